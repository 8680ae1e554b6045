// The low-level SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, which has no
// way to export a running state; they remain supported and use the same assembly.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "resumablesha256.h"

#include <openssl/sha.h>

#include <cstring>

namespace mf {

struct ResumableSha256::Ctx
{
    SHA256_CTX sha;
};

namespace {
constexpr char Tag[4] = {'S', 'H', '2', '1'};
}

ResumableSha256::ResumableSha256()
    : m_ctx(std::make_unique<Ctx>())
{
    SHA256_Init(&m_ctx->sha);
}

ResumableSha256::~ResumableSha256() = default;

void ResumableSha256::addData(const void* data, qsizetype size)
{
    SHA256_Update(&m_ctx->sha, data, size_t(size));
}

QByteArray ResumableSha256::result() const
{
    SHA256_CTX copy = m_ctx->sha;
    QByteArray digest(SHA256_DIGEST_LENGTH, Qt::Uninitialized);
    SHA256_Final(reinterpret_cast<unsigned char*>(digest.data()), &copy);
    return digest;
}

qint64 ResumableSha256::bytesHashed() const
{
    return qint64((quint64(m_ctx->sha.Nh) << 32 | m_ctx->sha.Nl) / 8);
}

QByteArray ResumableSha256::saveState() const
{
    QByteArray state(Tag, sizeof Tag);
    const quint32 size = sizeof(SHA256_CTX);
    state.append(reinterpret_cast<const char*>(&size), sizeof size);
    state.append(reinterpret_cast<const char*>(&m_ctx->sha), sizeof(SHA256_CTX));
    return state;
}

bool ResumableSha256::restoreState(const QByteArray& state)
{
    const qsizetype header = sizeof Tag + sizeof(quint32);
    if (state.size() != header + qsizetype(sizeof(SHA256_CTX)) ||
        std::memcmp(state.constData(), Tag, sizeof Tag) != 0)
        return false;
    quint32 size = 0;
    std::memcpy(&size, state.constData() + sizeof Tag, sizeof size);
    if (size != sizeof(SHA256_CTX))
        return false;
    SHA256_CTX ctx;
    std::memcpy(&ctx, state.constData() + header, sizeof ctx);
    if (ctx.num >= SHA256_CBLOCK || ctx.md_len != SHA256_DIGEST_LENGTH)
        return false;
    m_ctx->sha = ctx;
    return true;
}

void ResumableSha256::reset()
{
    SHA256_Init(&m_ctx->sha);
}

} // namespace mf
