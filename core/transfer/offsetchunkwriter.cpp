#include "offsetchunkwriter.h"

#include "followinghasher.h"
#include "util/fileio.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mf {

namespace {
// What a chunk's middle is written in. ext4 takes the file's lock exclusively for a direct write
// that allocates blocks, so the chunks a restore writes in parallel take turns on the one file:
// fewer, larger writes wait less. 4 MiB is the largest request the virtio disk takes whole
// (max_sectors_kb); with 1 MiB writes a cold 1 GiB restore took ~15% longer.
constexpr qint64 StagingBytes = 4 << 20;
} // namespace

OffsetChunkWriter::OffsetChunkWriter(int fd, int directFd, qint64 fileOffset, qint64 chunkSize,
                                     QString fileName, FollowingHasher* hasher)
    : m_fd(fd)
    , m_directFd(directFd)
    , m_fileOffset(fileOffset)
    , m_chunkSize(chunkSize)
    , m_fileName(std::move(fileName))
    , m_hasher(hasher)
{
    // It knows its chunk's size, so it refuses by itself what runs over it: the bytes would land
    // on the next chunk, which another writer may be writing (its head page through the page
    // cache, or its middle direct), or past the end of the file. The fetcher sets the same size.
    setExpectedSize(chunkSize);
}

OffsetChunkWriter::~OffsetChunkWriter() = default;

void OffsetChunkWriter::restart()
{
    ChunkWriter::restart();
    m_middle.reset();
    m_staged = 0;
    if (m_hasher)
        m_hasher->rollback(m_fileOffset);
}

bool OffsetChunkWriter::fail()
{
    m_error = QStringLiteral("Cannot write “%1”: %2").arg(m_fileName, errnoText(errno));
    return false;
}

bool OffsetChunkWriter::store(qint64 position, const char* data, qint64 size)
{
    constexpr qint64 A = DirectWriter::Alignment;
    const qint64 chunkEnd = m_fileOffset + m_chunkSize;
    const qint64 middleBegin = qMin(chunkEnd, (m_fileOffset + A - 1) / A * A);
    const qint64 middleEnd = qMax(middleBegin, chunkEnd / A * A);
    if (position < 0 || size < 0 || position + size > m_chunkSize) {
        // Only if someone lifted the limit set in the constructor: still never past the chunk.
        m_error = QStringLiteral("Cannot write “%1”: more bytes than its chunk (%2)")
                      .arg(m_fileName)
                      .arg(m_chunkSize);
        return false;
    }
    qint64 at = m_fileOffset + position;
    while (size > 0) {
        if (at < middleBegin || at >= middleEnd) {
            // A partial page shared with a neighbour: through the page cache.
            const qint64 n = at < middleBegin ? qMin(size, middleBegin - at) : size;
            if (!pwriteAll(m_fd, data, n, at))
                return fail();
            if (m_hasher)
                m_hasher->offer(at, data, n);
            data += n;
            size -= n;
            at += n;
            continue;
        }
        if (!m_middle)
            m_middle = std::make_unique<DirectWriter>(m_fd, m_directFd, middleBegin, StagingBytes);
        const qint64 n = std::min({size, m_middle->blockSize() - m_staged, middleEnd - at});
        memcpy(m_middle->buffer() + m_staged, data, size_t(n));
        m_staged += n;
        data += n;
        size -= n;
        at += n;
        if (m_staged == m_middle->blockSize() || at == middleEnd) {
            const qint64 blockAt = m_middle->position();
            if (!m_middle->write(m_staged))
                return fail();
            // The hash takes the staged block itself: the restore's bytes are copied once.
            if (m_hasher)
                m_hasher->offer(blockAt, m_middle->releaseBuffer(), m_staged);
            m_staged = 0;
        }
    }
    return true;
}

} // namespace mf
