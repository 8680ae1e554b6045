#include "aesblock.h"

#include <QtGlobal>

namespace mf::mega {

AesBlock::AesBlock(const EVP_CIPHER* cipher, QByteArrayView key, bool encrypt, QByteArrayView iv)
    : m_ctx(EVP_CIPHER_CTX_new())
    , m_encrypt(encrypt)
{
    Q_ASSERT(key.size() == 16);
    static const unsigned char zero[16] = {};
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const auto* v = iv.size() == 16 ? reinterpret_cast<const unsigned char*>(iv.data()) : zero;
    // Only allocation failures can make these fail: nothing to recover from.
    if (!m_ctx || EVP_CipherInit_ex(m_ctx.get(), cipher, nullptr, k, v, encrypt ? 1 : 0) != 1)
        qFatal("OpenSSL cannot set up AES-128");
    EVP_CIPHER_CTX_set_padding(m_ctx.get(), 0);
}

void AesBlock::setIv(QByteArrayView iv)
{
    Q_ASSERT(iv.size() == 16);
    EVP_CipherInit_ex(m_ctx.get(), nullptr, nullptr, nullptr,
                      reinterpret_cast<const unsigned char*>(iv.data()), m_encrypt ? 1 : 0);
}

void AesBlock::run(const char* in, char* out, qsizetype size)
{
    int written = 0;
    // OpenSSL takes int lengths: large buffers go in slices.
    while (size > 0) {
        const int n = int(qMin<qsizetype>(size, 1 << 30));
        EVP_CipherUpdate(m_ctx.get(), reinterpret_cast<unsigned char*>(out), &written,
                         reinterpret_cast<const unsigned char*>(in), n);
        in += n;
        out += n;
        size -= n;
    }
}

} // namespace mf::mega
