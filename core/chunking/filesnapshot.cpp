#include "filesnapshot.h"

#include <QFile>

#include <cerrno>
#include <sys/stat.h>

namespace mf {

namespace {

FileSnapshot fromStat(const struct stat& st)
{
    FileSnapshot s;
    s.size = qint64(st.st_size);
    // Nanoseconds, not seconds: a file rewritten within the same second must still look changed.
    s.mtimeNs = qint64(st.st_mtim.tv_sec) * 1000000000 + qint64(st.st_mtim.tv_nsec);
    s.ctimeNs = qint64(st.st_ctim.tv_sec) * 1000000000 + qint64(st.st_ctim.tv_nsec);
    s.inode = quint64(st.st_ino);
    s.device = quint64(st.st_dev);
    return s;
}

} // namespace

std::optional<FileSnapshot> FileSnapshot::ofPath(const QString& path, QString* error)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) {
        const int err = errno;
        if (error) {
            *error =
                err == ENOENT
                    ? QStringLiteral("“%1” does not exist").arg(path)
                    : QStringLiteral("Cannot look up “%1”: %2").arg(path, qt_error_string(err));
        }
        return std::nullopt;
    }
    return fromStat(st);
}

std::optional<FileSnapshot> FileSnapshot::ofDescriptor(int fd, QString* error)
{
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        if (error)
            *error = QStringLiteral("Cannot look up an open file: %1").arg(qt_error_string(err));
        return std::nullopt;
    }
    return fromStat(st);
}

} // namespace mf
