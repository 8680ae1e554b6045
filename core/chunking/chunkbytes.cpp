#include "chunkbytes.h"

#include "sha256.h"

#include <algorithm>
#include <cstring>

namespace mf {

// Reads a ChunkBytes as a file: what a provider's put is given to send.
class ChunkBytesDevice final : public QIODevice
{
public:
    explicit ChunkBytesDevice(ChunkBytes bytes)
        : m_bytes(std::move(bytes))
    {}

    bool isSequential() const override { return false; }
    qint64 size() const override { return m_bytes.m_size; }
    const ChunkBytes& bytes() const { return m_bytes; }

protected:
    qint64 readData(char* data, qint64 maxSize) override
    {
        const qint64 pos = QIODevice::pos();
        const qint64 n = qBound<qint64>(0, m_bytes.m_size - pos, maxSize);
        m_bytes.copy(pos, data, n);
        return n;
    }
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    const ChunkBytes m_bytes;
};

void ChunkBytes::append(const QByteArray& block, qsizetype from, qsizetype size)
{
    if (size <= 0)
        return;
    auto owner = std::make_shared<const QByteArray>(block);
    const char* data = owner->constData() + from;
    append(std::move(owner), data, size);
}

void ChunkBytes::append(std::shared_ptr<const void> owner, const char* data, qsizetype size)
{
    if (size <= 0)
        return;
    m_pieces.push_back({std::move(owner), data, size, m_size});
    m_size += size;
}

std::unique_ptr<QIODevice> ChunkBytes::open() const
{
    auto device = std::make_unique<ChunkBytesDevice>(*this);
    device->open(QIODevice::ReadOnly);
    return device;
}

const ChunkBytes* ChunkBytes::behind(const QIODevice* device)
{
    const auto* ours = dynamic_cast<const ChunkBytesDevice*>(device);
    return ours && ours->pos() == 0 && ours->bytesAvailable() == ours->size() ? &ours->bytes()
                                                                              : nullptr;
}

void ChunkBytes::copy(qint64 from, char* to, qint64 count) const
{
    Q_ASSERT(from >= 0 && count >= 0 && from + count <= m_size);
    if (count <= 0)
        return;
    // The piece holding `from`: the last one that starts at or before it.
    auto it = std::upper_bound(m_pieces.begin(), m_pieces.end(), from,
                               [](qint64 p, const Piece& s) { return p < s.start; });
    qint64 done = 0;
    for (--it; it != m_pieces.end() && done < count; ++it) {
        const qint64 into = from + done - it->start;
        const qint64 n = qMin<qint64>(it->size - into, count - done);
        std::memcpy(to + done, it->data + into, size_t(n));
        done += n;
    }
}

QByteArray ChunkBytes::sha256() const
{
    Sha256 hash;
    for (const Piece& piece : m_pieces)
        hash.addData(piece.data, piece.size);
    return hash.result();
}

QByteArray ChunkBytes::toByteArray() const
{
    QByteArray all(qsizetype(m_size), Qt::Uninitialized);
    for (const Piece& s : m_pieces)
        std::memcpy(all.data() + s.start, s.data, size_t(s.size));
    return all;
}

} // namespace mf
