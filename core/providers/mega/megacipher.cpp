#include "megacipher.h"

#include <QtEndian>

#include <cstring>

namespace mf::mega {

namespace {
constexpr qint64 MacStep = 128 * 1024;
constexpr qint64 MacMax = 8 * MacStep;
constexpr qint64 Slice = 64 * 1024;
constexpr qint64 LastGrowingBoundary = 36 * MacStep; // 128K * (1+2+...+8)

QByteArray counterBlock(const QByteArray& nonce, qint64 offset)
{
    QByteArray iv = nonce;
    iv.resize(16);
    qToBigEndian(quint64(offset / 16), iv.data() + 8);
    return iv;
}
} // namespace

qint64 macChunkEnd(qint64 chunkStart)
{
    if (chunkStart >= LastGrowingBoundary)
        return chunkStart + MacMax;
    qint64 end = 0;
    for (qint64 i = 1; end <= chunkStart; ++i)
        end += i * MacStep;
    return end;
}

bool isMacBoundary(qint64 offset)
{
    if (offset >= LastGrowingBoundary)
        return (offset - LastGrowingBoundary) % MacMax == 0;
    qint64 b = 0;
    for (qint64 i = 1; b < offset; ++i)
        b += i * MacStep;
    return b == offset;
}

FileCipher::FileCipher(const FileKey& key, Direction direction, qint64 start)
    : m_direction(direction)
    , m_ctr(EVP_aes_128_ctr(), key.aesKey, true, counterBlock(key.nonce, start))
    , m_cbc(EVP_aes_128_cbc(), key.aesKey, true, QByteArray(key.nonce + key.nonce))
    , m_macIv(QByteArray(key.nonce + key.nonce))
    , m_scratch(Slice, Qt::Uninitialized)
    , m_position(start)
    , m_mac(isMacBoundary(start))
    , m_macChunkStart(start)
    , m_aesKey(key.aesKey)
{
    Q_ASSERT(start % 16 == 0);
    m_macChunkEnd = macChunkEnd(start);
}

void FileCipher::process(const char* in, char* out, qint64 size)
{
    while (size > 0) {
        const qint64 n = qMin(size, Slice);
        if (m_mac && m_direction == Direction::Encrypt)
            macFeed(in, n);
        m_ctr.run(in, out, n);
        if (m_mac && m_direction == Direction::Decrypt)
            macFeed(out, n);
        m_position += n;
        in += n;
        out += n;
        size -= n;
    }
}

void FileCipher::macFeed(const char* data, qint64 size)
{
    qint64 macPosition = m_position;
    while (size > 0) {
        const qint64 n = qMin(size, m_macChunkEnd - macPosition);
        const char* p = data;
        qint64 left = n;
        if (m_partialSize > 0) {
            const int take = int(qMin<qint64>(left, 16 - m_partialSize));
            std::memcpy(m_partial + m_partialSize, p, size_t(take));
            m_partialSize += take;
            p += take;
            left -= take;
            if (m_partialSize == 16) {
                macBlocks(m_partial, 16);
                m_partialSize = 0;
            }
        }
        const qint64 whole = left & ~qint64(15);
        macBlocks(p, whole);
        if (left > whole) {
            std::memcpy(m_partial, p + whole, size_t(left - whole));
            m_partialSize = int(left - whole);
        }
        macPosition += n;
        data += n;
        size -= n;
        if (macPosition == m_macChunkEnd)
            closeMacChunk();
    }
}

void FileCipher::macBlocks(const char* data, qint64 size)
{
    if (size <= 0)
        return;
    m_cbc.run(data, m_scratch.data(), size);
    std::memcpy(m_lastBlock, m_scratch.constData() + size - 16, 16);
}

void FileCipher::closeMacChunk()
{
    if (m_partialSize > 0) {
        std::memset(m_partial + m_partialSize, 0, size_t(16 - m_partialSize));
        macBlocks(m_partial, 16);
        m_partialSize = 0;
    }
    m_chunkMacs.append(QByteArray(m_lastBlock, 16));
    m_macChunkStart = m_macChunkEnd;
    m_macChunkEnd = macChunkEnd(m_macChunkStart);
    m_cbc.setIv(m_macIv);
}

QList<QByteArray> FileCipher::chunkMacs()
{
    if (!m_mac)
        return {};
    if (m_position > m_macChunkStart)
        closeMacChunk();
    m_mac = false;
    return std::move(m_chunkMacs);
}

QByteArray FileCipher::metaMac()
{
    if (!m_mac)
        return {};
    return condenseMacs(m_aesKey, chunkMacs());
}

QByteArray FileCipher::condenseMacs(QByteArrayView aesKey, const QList<QByteArray>& macs)
{
    AesBlock ecb(EVP_aes_128_ecb(), aesKey, true);
    char acc[16] = {};
    for (const QByteArray& mac : macs) {
        for (int i = 0; i < 16; ++i)
            acc[i] = char(acc[i] ^ mac[i]);
        ecb.run(acc, acc, 16);
    }
    QByteArray out(MetaMacSize, '\0');
    for (int i = 0; i < 4; ++i) {
        out[i] = char(acc[i] ^ acc[i + 4]);
        out[i + 4] = char(acc[i + 8] ^ acc[i + 12]);
    }
    return out;
}

} // namespace mf::mega
