#pragma once

#include <QByteArray>
#include <QIODevice>

#include <memory>
#include <vector>

namespace mf {

// One chunk's bytes as a scanner read them: pieces of its read blocks, shared with them and
// never copied. A chunk spans the blocks its bytes came in. Immutable once built, so any thread
// may read it.
class ChunkBytes
{
public:
    // One piece, in chunk order: `size` bytes at `data`, kept alive by `owner`.
    struct Piece
    {
        std::shared_ptr<const void> owner;
        const char* data = nullptr;
        qsizetype size = 0;
        qint64 start = 0; // where the piece begins in the chunk
    };

    // Appends bytes [from, from + size) of `block` (shared, not copied).
    void append(const QByteArray& block, qsizetype from, qsizetype size);
    // Appends `size` bytes at `data`, which `owner` keeps alive.
    void append(std::shared_ptr<const void> owner, const char* data, qsizetype size);
    qint64 size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    const std::vector<Piece>& pieces() const { return m_pieces; }
    // A read-only, random-access device over the bytes, open for reading.
    std::unique_ptr<QIODevice> open() const;
    // The bytes behind a device that open() made, while nothing was read from it yet; null for
    // any other device. A writer that can send memory as it is (a direct write from the
    // scanner's aligned blocks) takes the pieces instead of copying them out of the device.
    static const ChunkBytes* behind(const QIODevice* device);
    // Copies bytes [from, from + count) to `to`; the range lies within size().
    void copy(qint64 from, char* to, qint64 count) const;
    // The SHA-256 of the bytes, piece after piece.
    QByteArray sha256() const;
    // The bytes in one piece (a copy): for tests and small chunks.
    QByteArray toByteArray() const;

private:
    friend class ChunkBytesDevice;
    std::vector<Piece> m_pieces;
    qint64 m_size = 0;
};

} // namespace mf
