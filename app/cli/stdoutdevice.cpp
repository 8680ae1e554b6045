#include "stdoutdevice.h"

#include "util/fileio.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace mf::cli {

StdoutDevice::StdoutDevice(QObject* parent)
    : QIODevice(parent)
{
    open(QIODevice::WriteOnly | QIODevice::Unbuffered);
}

StdoutDevice::~StdoutDevice() = default;

qint64 StdoutDevice::writeData(const char* data, qint64 size)
{
    qint64 done = 0;
    while (done < size) {
        const ssize_t n = ::write(STDOUT_FILENO, data + done, size_t(size - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(n == 0 ? EIO : errno);
            return -1;
        }
        done += n;
    }
    return done;
}

bool StdoutDevice::closeOutput()
{
    if (m_closed)
        return m_errno == 0;
    m_closed = true;
    const bool closed = ::close(STDOUT_FILENO) == 0 || errno == EINTR;
    const int err = errno;
    // Descriptor 1 stays taken, so that no file opened later becomes "standard output".
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0 && null != STDOUT_FILENO) {
        ::dup2(null, STDOUT_FILENO);
        ::close(null);
    }
    if (!closed) {
        fail(err);
        return false;
    }
    return m_errno == 0;
}

void StdoutDevice::fail(int err)
{
    if (m_errno == 0)
        m_errno = err;
    setErrorString(errnoText(err));
}

} // namespace mf::cli
