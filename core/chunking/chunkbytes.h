#pragma once

#include <QByteArray>
#include <QIODevice>

#include <memory>
#include <vector>

namespace mf {

// One chunk's bytes as a scanner read them: slices of its read blocks, shared with them and
// never copied. A chunk spans the blocks its bytes came in; a block holds the end of one chunk
// and the start of the next. Immutable once built, so any thread may read it.
class ChunkBytes
{
public:
    // Appends bytes [from, from + size) of `block` (shared, not copied).
    void append(const QByteArray& block, qsizetype from, qsizetype size);
    qint64 size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    // A read-only, random-access device over the bytes, open for reading.
    std::unique_ptr<QIODevice> open() const;
    // The bytes in one piece (a copy): for tests and small chunks.
    QByteArray toByteArray() const;

private:
    friend class ChunkBytesDevice;
    struct Slice
    {
        QByteArray block;
        qsizetype from = 0;
        qsizetype size = 0;
        qint64 start = 0; // where the slice begins in the chunk
    };
    std::vector<Slice> m_slices;
    qint64 m_size = 0;
};

} // namespace mf
