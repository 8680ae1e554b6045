#include "temporaries.h"

#include "fileio.h"
#include "processidentity.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mf::temporaries {

namespace {

const QRegularExpression& ownedSuffix()
{
    static const QRegularExpression re(QStringLiteral(
        "\\.modelfloat-([0-9a-f]{8})-([0-9]{1,10})-([0-9a-f]{1,16})-[A-Za-z0-9]{1,32}$"));
    return re;
}

qint64 nowSecs()
{
    return QDateTime::currentSecsSinceEpoch();
}

} // namespace

QString prefix(const QString& base)
{
    return base + QStringLiteral(".modelfloat-%1-%2-%3-")
                      .arg(processidentity::hostKey())
                      .arg(processidentity::pid())
                      .arg(processidentity::nonce());
}

QString uniqueName(const QString& base)
{
    return prefix(base) + QStringLiteral("%1").arg(QRandomGenerator::global()->generate64(), 16, 16,
                                                   QLatin1Char('0'));
}

Owner ownerOf(const QString& fileName, qint64 lastModifiedSecs, const QRegularExpression& legacy)
{
    const QRegularExpressionMatch m = ownedSuffix().match(fileName);
    if (!m.hasMatch())
        return !legacy.pattern().isEmpty() && legacy.match(fileName).hasMatch()
                   ? Owner::Unknown
                   : Owner::NotATemporary;
    if (m.captured(1) != processidentity::hostKey())
        return Owner::Unknown;
    const qint64 pid = m.captured(2).toLongLong();
    if (pid == processidentity::pid() && m.captured(3) == processidentity::nonce())
        return Owner::ThisProcess;
    return processidentity::mayBeRunning(pid, lastModifiedSecs) ? Owner::Running : Owner::Dead;
}

bool isAbandoned(Owner owner, qint64 ageSecs)
{
    switch (owner) {
    case Owner::Dead:
        return true;
    case Owner::Unknown:
        return ageSecs > UnknownOwnerAgeSecs;
    case Owner::NotATemporary:
    case Owner::ThisProcess:
    case Owner::Running:
        return false;
    }
    return false;
}

qint64 SweepResult::bytes() const
{
    qint64 sum = 0;
    for (const Removed& r : removed)
        sum += r.bytes;
    return sum;
}

SweepResult& SweepResult::operator+=(const SweepResult& other)
{
    removed += other.removed;
    errors += other.errors;
    return *this;
}

SweepResult sweepFolder(const QString& folder, const QRegularExpression& pattern,
                        const QRegularExpression& legacy)
{
    SweepResult result;
    const QByteArray dirPath = QFile::encodeName(folder);
    DIR* dir = ::opendir(dirPath.constData());
    if (!dir)
        return result; // no folder, nothing left in it
    const int dirFd = ::dirfd(dir);
    const qint64 now = nowSecs();
    while (const dirent* entry = ::readdir(dir)) {
        const QString name = QFile::decodeName(entry->d_name);
        if (!pattern.match(name).hasMatch())
            continue;
        struct stat st
        {
        };
        if (::fstatat(dirFd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        const qint64 modified = qint64(st.st_mtim.tv_sec);
        if (!isAbandoned(ownerOf(name, modified, legacy), now - modified))
            continue;
        if (::unlinkat(dirFd, entry->d_name, 0) == 0) {
            result.removed.append({name, qint64(st.st_size)});
        } else if (errno != ENOENT) { // ENOENT: another sweep took it first
            result.errors.append(QStringLiteral("Cannot remove the leftover “%1/%2”: %3")
                                     .arg(folder, name, errnoText(errno)));
        }
    }
    ::closedir(dir);
    return result;
}

} // namespace mf::temporaries
