#include "sharedcopy.h"

#include "util/temporaries.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mf::appstores {

namespace {

QByteArray native(const QString& path)
{
    return QFile::encodeName(path);
}

QString reason(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

// "Cannot write in <folder>: ..." with a read-only file system named as such.
QString cannotWrite(const QString& folder, int err)
{
    if (err == EROFS)
        return QStringLiteral("Cannot write in “%1”: it is on a read-only file system").arg(folder);
    return QStringLiteral("Cannot write in “%1”: %2").arg(folder, reason(err));
}

QString exists(const QString& target)
{
    return QStringLiteral("“%1” already exists and was not written by ModelFloat; it was left "
                          "as it is (move it away, or choose another name)")
        .arg(target);
}

bool makeFolder(const QString& folder, QString* error)
{
    if (QFileInfo(folder).isDir() || QDir().mkpath(folder))
        return true;
    // mkpath does not say why: ask the nearest existing parent.
    QString parent = folder;
    while (!parent.isEmpty() && !QFileInfo::exists(parent))
        parent = QFileInfo(parent).path();
    const int err = ::access(native(parent).constData(), W_OK) == 0 ? EIO : errno;
    *error = cannotWrite(folder, err);
    return false;
}

// Copies `from` into the open `to`: a reflink when the file system can, else the bytes.
bool fillTemporary(int from, int to, SharedCopy::Method* method, QString* error,
                   const QString& source)
{
    if (::ioctl(to, FICLONE, from) == 0) {
        *method = SharedCopy::Method::Reflink;
        return true;
    }
    *method = SharedCopy::Method::Copy;
    for (;;) {
        const ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
        if (n == 0)
            break;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
            *error = QStringLiteral("Cannot copy “%1”: %2").arg(source, reason(errno));
            return false;
        }
        // Older kernels: read and write.
        char buffer[1 << 16];
        for (;;) {
            const ssize_t got = ::read(from, buffer, sizeof buffer);
            if (got == 0)
                break;
            if (got < 0 || ::write(to, buffer, size_t(got)) != got) {
                *error = QStringLiteral("Cannot copy “%1”: %2").arg(source, reason(errno));
                return false;
            }
        }
        break;
    }
    if (::fsync(to) != 0) {
        *error = QStringLiteral("Cannot copy “%1”: %2").arg(source, reason(errno));
        return false;
    }
    return true;
}

// Publishes the temporary at `target` without replacing anything, then drops its name.
bool publish(const QString& temporary, const QString& target, QString* error)
{
    const bool linked = ::link(native(temporary).constData(), native(target).constData()) == 0;
    const int err = errno;
    ::unlink(native(temporary).constData());
    if (linked)
        return true;
    *error = err == EEXIST ? exists(target) : cannotWrite(QFileInfo(target).path(), err);
    return false;
}

} // namespace

std::optional<FileIdentity> identityOf(const QString& path)
{
    struct stat st
    {
    };
    if (::lstat(native(path).constData(), &st) != 0)
        return std::nullopt;
    return FileIdentity{quint64(st.st_dev), quint64(st.st_ino), qint64(st.st_size)};
}

QString methodName(SharedCopy::Method method)
{
    switch (method) {
    case SharedCopy::Method::HardLink:
        return QStringLiteral("hard link");
    case SharedCopy::Method::Reflink:
        return QStringLiteral("reflink");
    case SharedCopy::Method::Copy:
        return QStringLiteral("copy");
    }
    return {};
}

bool shareFile(const QString& source, const QString& target, SharedCopy* result, QString* error)
{
    const auto from = identityOf(source);
    if (!from) {
        *error = QStringLiteral("Cannot read “%1”: %2").arg(source, reason(errno));
        return false;
    }
    if (const auto there = identityOf(target)) {
        if (*there == *from) {
            *result = SharedCopy{SharedCopy::Method::HardLink, *there, true};
            return true;
        }
        *error = exists(target);
        return false;
    }
    const QString folder = QFileInfo(target).path();
    if (!makeFolder(folder, error))
        return false;
    if (::link(native(source).constData(), native(target).constData()) == 0) {
        *result = SharedCopy{SharedCopy::Method::HardLink, *identityOf(target), false};
        return true;
    }
    if (errno == EEXIST) {
        *error = exists(target);
        return false;
    }
    if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
        *error = cannotWrite(folder, errno);
        return false;
    }
    // Another file system (or one that refuses hard links): a reflink, else a copy.
    const int in = ::open(native(source).constData(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        *error = QStringLiteral("Cannot read “%1”: %2").arg(source, reason(errno));
        return false;
    }
    const QString temporary =
        folder + QLatin1Char('/') + temporaries::uniqueName(QFileInfo(target).fileName());
    const int out =
        ::open(native(temporary).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        *error = cannotWrite(folder, errno);
        ::close(in);
        return false;
    }
    SharedCopy::Method method = SharedCopy::Method::Copy;
    const bool filled = fillTemporary(in, out, &method, error, source);
    ::close(in);
    if (::close(out) != 0 && filled) {
        *error = cannotWrite(folder, errno);
        ::unlink(native(temporary).constData());
        return false;
    }
    if (!filled) {
        ::unlink(native(temporary).constData());
        return false;
    }
    if (!publish(temporary, target, error))
        return false;
    *result = SharedCopy{method, *identityOf(target), false};
    return true;
}

bool replaceByLink(const QString& shared, const QString& target, qint64* freedBytes, QString* error)
{
    *freedBytes = 0;
    struct stat from
    {
    };
    struct stat there
    {
    };
    if (::stat(native(shared).constData(), &from) != 0) {
        *error = QStringLiteral("Cannot read “%1”: %2").arg(shared, reason(errno));
        return false;
    }
    if (::lstat(native(target).constData(), &there) != 0 || !S_ISREG(there.st_mode)) {
        *error = QStringLiteral("“%1” is no longer a file; it was left as it is").arg(target);
        return false;
    }
    if (from.st_dev == there.st_dev && from.st_ino == there.st_ino)
        return true;
    if (from.st_size != there.st_size) {
        *error = QStringLiteral("“%1” is not the size of the model's file; it was left as it is")
                     .arg(target);
        return false;
    }
    if (from.st_dev != there.st_dev) {
        *error = QStringLiteral("“%1” is on another file system than the vault: a link cannot "
                                "replace it, and a copy would free nothing; it was left as it is")
                     .arg(target);
        return false;
    }
    const QString folder = QFileInfo(target).path();
    const QString temporary =
        folder + QLatin1Char('/') + temporaries::uniqueName(QFileInfo(target).fileName());
    if (::link(native(shared).constData(), native(temporary).constData()) != 0) {
        *error = cannotWrite(folder, errno);
        return false;
    }
    if (::rename(native(temporary).constData(), native(target).constData()) != 0) {
        *error = cannotWrite(folder, errno);
        ::unlink(native(temporary).constData());
        return false;
    }
    *freedBytes = there.st_nlink == 1 ? qint64(there.st_size) : 0;
    return true;
}

bool writeNewFile(const QString& target, const QByteArray& bytes, bool* created, QString* error)
{
    *created = false;
    if (QFileInfo(target).exists() || QFileInfo(target).isSymLink()) {
        QFile existing(target);
        if (!QFileInfo(target).isSymLink() && QFileInfo(target).size() == bytes.size() &&
            existing.open(QIODevice::ReadOnly) && existing.readAll() == bytes)
            return true;
        *error = exists(target);
        return false;
    }
    const QString folder = QFileInfo(target).path();
    if (!makeFolder(folder, error))
        return false;
    const QString temporary =
        folder + QLatin1Char('/') + temporaries::uniqueName(QFileInfo(target).fileName());
    const int out =
        ::open(native(temporary).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        *error = cannotWrite(folder, errno);
        return false;
    }
    const bool written =
        ::write(out, bytes.constData(), size_t(bytes.size())) == bytes.size() && ::fsync(out) == 0;
    const int err = errno;
    if (::close(out) != 0 || !written) {
        *error = cannotWrite(folder, written ? errno : err);
        ::unlink(native(temporary).constData());
        return false;
    }
    if (!publish(temporary, target, error))
        return false;
    *created = true;
    return true;
}

} // namespace mf::appstores
