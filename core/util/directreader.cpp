#include "directreader.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace mf {

int DirectReader::openDirect(const QByteArray& path)
{
    return ::open(path.constData(), O_RDONLY | O_DIRECT | O_CLOEXEC);
}

DirectReader::DirectReader(int bufferedFd, int directFd)
    : m_bufferedFd(bufferedFd)
    , m_directFd(directFd)
{
    void* p = nullptr;
    if (::posix_memalign(&p, size_t(Alignment), size_t(BlockSize)) == 0)
        m_buffer.reset(static_cast<char*>(p));
    Q_CHECK_PTR(m_buffer.get());
}

DirectReader::~DirectReader() = default;

qint64 DirectReader::read(qint64 position, qint64 size)
{
    size = qMin(size, BlockSize);
    while (true) {
        ssize_t n;
        if (m_directFd >= 0 && position % Alignment == 0) {
            // Whole pages only; what lies past `size` is read and ignored.
            const qint64 pages = (size + Alignment - 1) / Alignment * Alignment;
            n = ::pread(m_directFd, m_buffer.get(), size_t(pages), position);
            if (n < 0 && errno == EINVAL) {
                m_directFd = -1; // accepted at open, refused now: stay buffered
                continue;
            }
        } else {
            n = ::pread(m_bufferedFd, m_buffer.get(), size_t(size), position);
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -1 : qMin<qint64>(n, size);
    }
}

} // namespace mf
