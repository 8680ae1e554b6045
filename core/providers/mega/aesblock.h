#pragma once

#include <QByteArrayView>

#include <openssl/evp.h>

#include <memory>

namespace mf::mega {

// One AES-128 key schedule in an OpenSSL EVP context, padding off: ECB, CBC (zero IV unless
// set) or CTR, run over whole blocks (CTR: any length, the stream continues across calls).
class AesBlock final
{
public:
    AesBlock(const EVP_CIPHER* cipher, QByteArrayView key, bool encrypt, QByteArrayView iv = {});
    AesBlock(const AesBlock&) = delete;
    AesBlock& operator=(const AesBlock&) = delete;

    // Starts again at `iv` (16 bytes) with the same key: a new CBC chain or CTR position.
    void setIv(QByteArrayView iv);
    // `in` and `out` may be the same buffer.
    void run(const char* in, char* out, qsizetype size);

private:
    struct CtxDeleter
    {
        void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
    };
    std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> m_ctx;
    bool m_encrypt;
};

} // namespace mf::mega
