#include "fileio.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
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

int renameNoReplace(const char* from, const char* to)
{
    if (::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return -1;
    if (::link(from, to) == 0) {
        ::unlink(from);
        return 0;
    }
    if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOTSUP)
        return -1;
    struct stat st
    {
    };
    if (::lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return ::rename(from, to);
}

bool syncFolder(const QString& folder)
{
    const int fd =
        ::open(QFile::encodeName(folder).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    int rc;
    do {
        rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    // Some file systems cannot sync a folder (EINVAL): their entries are as durable as it gets.
    const bool ok = rc == 0 || errno == EINVAL;
    const int err = errno;
    ::close(fd);
    errno = err;
    return ok;
}

bool makeFolders(const QString& folder, bool durable)
{
    const QString clean = QDir::cleanPath(QDir(folder).absolutePath());
    QStringList missing; // deepest first
    for (QString f = clean; !QFileInfo(f).isDir(); f = QFileInfo(f).absolutePath()) {
        missing.append(f);
        if (f == QFileInfo(f).absolutePath())
            break; // the root itself
    }
    for (auto it = missing.crbegin(); it != missing.crend(); ++it) {
        if (::mkdir(QFile::encodeName(*it).constData(), 0777) != 0 && errno != EEXIST)
            return false;
        if (durable && !syncFolder(QFileInfo(*it).absolutePath()))
            return false;
    }
    return true;
}

} // namespace mf
