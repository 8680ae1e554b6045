#include "directwriter.h"
#include "util/fileio.h"

#include <cerrno>
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
    void* p = nullptr;
    if (::posix_memalign(&p, size_t(Alignment), size_t(blockSize)) == 0)
        m_buffer.reset(static_cast<char*>(p));
    Q_CHECK_PTR(m_buffer.get());
}

DirectWriter::~DirectWriter() = default;

bool DirectWriter::write(qint64 size)
{
    qint64 direct = 0;
    if (m_directFd >= 0 && m_position % Alignment == 0)
        direct = size - size % Alignment;
    if (direct > 0 && !pwriteAll(m_directFd, m_buffer.get(), direct, m_position)) {
        if (errno != EINVAL)
            return false;
        // Accepted at open, refused for this write: write through the page cache from now on.
        m_directFd = -1;
        direct = 0;
    }
    if (direct < size &&
        !pwriteAll(m_bufferedFd, m_buffer.get() + direct, size - direct, m_position + direct))
        return false;
    m_position += size;
    return true;
}

} // namespace mf
