#include "chunkbytes.h"

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

protected:
    qint64 readData(char* data, qint64 maxSize) override
    {
        const auto& slices = m_bytes.m_slices;
        qint64 pos = QIODevice::pos();
        if (pos >= m_bytes.m_size)
            return 0;
        // The slice holding `pos`: the last one that starts at or before it.
        auto it =
            std::upper_bound(slices.begin(), slices.end(), pos,
                             [](qint64 p, const ChunkBytes::Slice& s) { return p < s.start; });
        qint64 done = 0;
        for (--it; it != slices.end() && done < maxSize; ++it) {
            const qint64 into = pos - it->start;
            const qint64 n = qMin<qint64>(it->size - into, maxSize - done);
            std::memcpy(data + done, it->block.constData() + it->from + into, size_t(n));
            done += n;
            pos += n;
        }
        return done;
    }
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    const ChunkBytes m_bytes;
};

void ChunkBytes::append(const QByteArray& block, qsizetype from, qsizetype size)
{
    if (size <= 0)
        return;
    m_slices.push_back({block, from, size, m_size});
    m_size += size;
}

std::unique_ptr<QIODevice> ChunkBytes::open() const
{
    auto device = std::make_unique<ChunkBytesDevice>(*this);
    device->open(QIODevice::ReadOnly);
    return device;
}

QByteArray ChunkBytes::toByteArray() const
{
    QByteArray all(qsizetype(m_size), Qt::Uninitialized);
    for (const Slice& s : m_slices)
        std::memcpy(all.data() + s.start, s.block.constData() + s.from, size_t(s.size));
    return all;
}

} // namespace mf
