#include "megahashcash.h"

#include "megacrypto.h"

#include <QList>

#include <openssl/evp.h>

#include <cstring>
#include <memory>

namespace mf::mega {

namespace {
constexpr int Slots = 262144;
constexpr int SlotSize = 48;
} // namespace

std::optional<HashcashChallenge> HashcashChallenge::parse(const QByteArray& header)
{
    const QList<QByteArray> parts = header.trimmed().split(':');
    if (parts.size() != 4 || parts.at(0) != "1")
        return std::nullopt;
    bool ok = false;
    const int easiness = parts.at(1).toInt(&ok);
    if (!ok || easiness < 0 || easiness > 255)
        return std::nullopt;
    const auto token = base64urlDecode(parts.at(3));
    if (!token || token->isEmpty() || token->size() > SlotSize)
        return std::nullopt;
    HashcashChallenge c;
    c.easiness = easiness;
    c.token = parts.at(3);
    c.tokenBytes = *token;
    c.tokenBytes.append(QByteArray(SlotSize - token->size(), '\0')); // as go-mega pads
    return c;
}

quint32 HashcashChallenge::threshold() const
{
    const quint32 e = quint32(easiness);
    return (((e & 63) << 1) + 1) << ((e >> 6) * 7 + 3);
}

std::optional<QByteArray> solveHashcash(const HashcashChallenge& challenge,
                                        const std::atomic_bool* cancel)
{
    const quint32 threshold = challenge.threshold();
    QByteArray buffer(4 + Slots * SlotSize, Qt::Uninitialized);
    std::memset(buffer.data(), 0, 4);
    for (int i = 0; i < Slots; ++i)
        std::memcpy(buffer.data() + 4 + i * SlotSize, challenge.tokenBytes.constData(), SlotSize);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    auto* prefix = reinterpret_cast<unsigned char*>(buffer.data());
    for (quint64 tries = 0; tries < (quint64(1) << 32); ++tries) {
        if (cancel && cancel->load(std::memory_order_relaxed))
            return std::nullopt;
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
        EVP_DigestUpdate(ctx.get(), buffer.constData(), size_t(buffer.size()));
        EVP_DigestFinal_ex(ctx.get(), digest, &length);
        const quint32 head = (quint32(digest[0]) << 24) | (quint32(digest[1]) << 16) |
                             (quint32(digest[2]) << 8) | quint32(digest[3]);
        if (head <= threshold)
            return "1:" + challenge.token + ':' + base64urlEncode(buffer.left(4));
        // The prefix counts up as a little-endian number.
        for (int i = 0; i < 4 && ++prefix[i] == 0; ++i) {
        }
    }
    return std::nullopt;
}

} // namespace mf::mega
