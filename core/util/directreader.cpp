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
    // One page more than a block, for a read that starts inside a page.
    if (::posix_memalign(&p, size_t(Alignment), size_t(BlockSize + Alignment)) == 0)
        m_buffer.reset(static_cast<char*>(p));
    Q_CHECK_PTR(m_buffer.get());
}

DirectReader::~DirectReader() = default;

qint64 DirectReader::read(qint64 position, qint64 size)
{
    size = qMin(size, BlockSize);
    m_skew = 0;
    while (true) {
        ssize_t n;
        if (m_directFd >= 0) {
            // Whole pages only: start at the page holding `position` and skip the bytes before
            // it; what lies past `size` is read and ignored.
            const qint64 skew = position % Alignment;
            const qint64 pages = (skew + size + Alignment - 1) / Alignment * Alignment;
            n = ::pread(m_directFd, m_buffer.get(), size_t(pages), position - skew);
            if (n < 0 && errno == EINVAL) {
                m_directFd = -1; // accepted at open, refused now: stay buffered
                continue;
            }
            if (n >= 0) {
                m_skew = skew;
                n = qMax<ssize_t>(0, n - ssize_t(skew));
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
