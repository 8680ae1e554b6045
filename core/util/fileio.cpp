#include "fileio.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mf {

QString errnoText(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

bool pwriteAll(int fd, const char* data, qint64 size, qint64 offset)
{
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size_t(size), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        data += n;
        size -= n;
        offset += n;
    }
    return true;
}

} // namespace mf
