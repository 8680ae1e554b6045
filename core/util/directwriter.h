#pragma once

#include "util/alignedbuffers.h"

#include <QByteArray>

#include <cstdlib>
#include <memory>

namespace mf {

// Writes a stream of bytes into a file from a given offset on, bypassing the page cache
// (O_DIRECT) for every whole aligned block. Chunk objects and restored files are written once
// and not read again soon; on the virtual machines this runs on, copying them into fresh
// page-cache pages costs more CPU than hashing the same bytes, while a direct write hands the
// buffer to the device. Unaligned heads and tails, and file systems that refuse O_DIRECT
// (tmpfs), go through an ordinary descriptor instead.
class DirectWriter final
{
public:
    static constexpr qint64 Alignment = alignedbuffers::Alignment;
    static constexpr qint64 BlockSize = 1 << 20;

    // Opens `path` again for direct writing; -1 where the file system does not support it.
    static int openDirect(const QByteArray& path);

    // `bufferedFd` takes what cannot go direct; `directFd` (-1: none) was opened with O_DIRECT
    // on the same file. `blockSize` (a multiple of Alignment) is the staging buffer's size.
    DirectWriter(int bufferedFd, int directFd, qint64 startOffset, qint64 blockSize = BlockSize);
    ~DirectWriter();
    Q_DISABLE_COPY_MOVE(DirectWriter)

    // The staging buffer (blockSize() bytes, aligned): fill it, then write().
    char* buffer();
    // Hands over the staging buffer as it is (after a write(size), the bytes just written), so
    // that a reader of them needs no copy; the next buffer() takes another from the pool.
    alignedbuffers::Shared releaseBuffer();
    qint64 blockSize() const { return m_blockSize; }
    // Writes `size` bytes from buffer() at the current position. Returns false with errno set.
    bool write(qint64 size);
    // Writes `size` bytes from `data` at the current position: straight from `data` when it is
    // aligned (no copy), else through the staging buffer. Returns false with errno set.
    bool write(const char* data, qint64 size);
    qint64 position() const { return m_position; }

private:
    bool writeFrom(const char* data, qint64 size);

    int m_bufferedFd;
    int m_directFd;
    qint64 m_position;
    qint64 m_blockSize;
    alignedbuffers::Shared m_buffer; // from the pool of spare buffers, given back when let go
};

} // namespace mf
