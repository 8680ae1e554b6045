#include "directwriter.h"
#include "util/alignedbuffers.h"
#include "util/fileio.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace mf {

int DirectWriter::openDirect(const QByteArray& path)
{
    return ::open(path.constData(), O_WRONLY | O_DIRECT | O_CLOEXEC);
}

DirectWriter::DirectWriter(int bufferedFd, int directFd, qint64 startOffset, qint64 blockSize)
    : m_bufferedFd(bufferedFd)
    , m_directFd(directFd)
    , m_position(startOffset)
    , m_blockSize(blockSize)
{
    Q_ASSERT(blockSize > 0 && blockSize % Alignment == 0);
}

DirectWriter::~DirectWriter() = default;

char* DirectWriter::buffer()
{
    // Taken when first needed: a writer given aligned memory (write(data, size)) needs none. From
    // the process's pool: a restore makes a writer per chunk.
    if (!m_buffer)
        m_buffer = alignedbuffers::takeShared(m_blockSize);
    return m_buffer.get();
}

alignedbuffers::Shared DirectWriter::releaseBuffer()
{
    return std::move(m_buffer);
}

bool DirectWriter::write(qint64 size)
{
    return writeFrom(buffer(), size);
}

bool DirectWriter::write(const char* data, qint64 size)
{
    if (reinterpret_cast<quintptr>(data) % Alignment == 0)
        return writeFrom(data, size);
    for (qint64 done = 0; done < size;) {
        const qint64 n = qMin(m_blockSize, size - done);
        std::memcpy(buffer(), data + done, size_t(n));
        if (!writeFrom(m_buffer.get(), n))
            return false;
        done += n;
    }
    return true;
}

bool DirectWriter::writeFrom(const char* data, qint64 size)
{
    qint64 direct = 0;
    if (m_directFd >= 0 && m_position % Alignment == 0)
        direct = size - size % Alignment;
    if (direct > 0 && !pwriteAll(m_directFd, data, direct, m_position)) {
        if (errno != EINVAL)
            return false;
        // Accepted at open, refused for this write: write through the page cache from now on.
        m_directFd = -1;
        direct = 0;
    }
    if (direct < size &&
        !pwriteAll(m_bufferedFd, data + direct, size - direct, m_position + direct))
        return false;
    m_position += size;
    return true;
}

} // namespace mf
