#include "filerangedevice.h"
#include "util/fileio.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace mf {

FileRangeDevice::FileRangeDevice(const QString& path, qint64 offset, qint64 size,
                                 std::optional<FileSnapshot> expected, QObject* parent)
    : QIODevice(parent)
    , m_path(path)
    , m_offset(offset)
    , m_size(size)
    , m_expected(expected)
{}

FileRangeDevice::~FileRangeDevice()
{
    close();
}

bool FileRangeDevice::open(OpenMode mode)
{
    if (mode != ReadOnly) {
        setErrorString(QStringLiteral("read-only device"));
        return false;
    }
    m_fd = ::open(m_path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) {
        setErrorString(QStringLiteral("Cannot read “%1”: %2").arg(m_path, errnoText(errno)));
        return false;
    }
    // Tell the kernel we read this range once, in order.
    ::posix_fadvise(m_fd, m_offset, m_size, POSIX_FADV_SEQUENTIAL);
    return QIODevice::open(mode | Unbuffered);
}

void FileRangeDevice::close()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (isOpen())
        QIODevice::close();
}

bool FileRangeDevice::seek(qint64 pos)
{
    if (pos < 0 || pos > m_size)
        return false;
    return QIODevice::seek(pos);
}

qint64 FileRangeDevice::readData(char* data, qint64 maxSize)
{
    const qint64 pos = QIODevice::pos();
    const qint64 want = qMin(maxSize, m_size - pos);
    if (want <= 0)
        return 0;
    qint64 got = 0;
    while (got < want) {
        const ssize_t n = ::pread(m_fd, data + got, size_t(want - got), m_offset + pos + got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            setErrorString(QStringLiteral("Cannot read “%1”: %2").arg(m_path, errnoText(errno)));
            return -1;
        }
        if (n == 0)
            break;
        got += n;
    }
    const bool changed = got < want || (pos + got == m_size && m_expected &&
                                        FileSnapshot::ofDescriptor(m_fd) != m_expected);
    if (changed) {
        setErrorString(QStringLiteral("“%1” changed while it was being read; float it again once "
                                      "it is no longer being written")
                           .arg(m_path));
        return -1;
    }
    return got;
}

} // namespace mf
