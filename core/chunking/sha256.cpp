#include "sha256.h"

#include <QFile>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace mf {

namespace {
// OpenSSL frees its global state in an exit handler that it registers when it first starts,
// from whichever thread first hashes. A thread that hashed and ends after that handler ran (one
// joined while the process exits) then leaks its per-thread error state, and LeakSanitizer
// fails the process: tst_ui_quit did once. Started here, while the program's static objects
// are made, before main() and any thread, OpenSSL registers no exit handler; each thread still
// frees its own state as it ends, and the rest goes with the process.
[[maybe_unused]] const bool g_openSslStarted =
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
} // namespace

void Sha256::CtxDeleter::operator()(evp_md_ctx_st* ctx) const
{
    EVP_MD_CTX_free(ctx);
}

Sha256::Sha256()
    : m_ctx(EVP_MD_CTX_new())
{
    Q_CHECK_PTR(m_ctx.get());
    reset();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::reset()
{
    // EVP_sha256() is a static method table; fetching it is free and never fails with the
    // default provider, which OpenSSL 3 always loads.
    EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr);
}

void Sha256::addData(const void* data, qsizetype size)
{
    if (size > 0)
        EVP_DigestUpdate(m_ctx.get(), data, size_t(size));
}

QByteArray Sha256::result()
{
    QByteArray digest(DigestSize, Qt::Uninitialized);
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_ctx.get(), reinterpret_cast<unsigned char*>(digest.data()), &len);
    reset();
    return digest;
}

Sha256 Sha256::clone() const
{
    Sha256 copy;
    EVP_MD_CTX_copy_ex(copy.m_ctx.get(), m_ctx.get());
    return copy;
}

QByteArray Sha256::hash(QByteArrayView data)
{
    Sha256 h;
    h.addData(data);
    return h.result();
}

std::optional<QByteArray> Sha256::hashFile(const QString& path, const std::atomic_bool* cancelled)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    Sha256 sha;
    QByteArray block(4 * 1024 * 1024, Qt::Uninitialized);
    for (;;) {
        if (cancelled && cancelled->load())
            return std::nullopt;
        const qint64 n = file.read(block.data(), block.size());
        if (n < 0)
            return std::nullopt;
        if (n == 0)
            break;
        sha.addData(block.constData(), n);
    }
    return sha.result();
}

} // namespace mf
