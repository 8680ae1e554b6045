#include "processidentity.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHostInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace mf::processidentity {

namespace {

// When the process `pid` started, in seconds since the epoch; -1 where it cannot be told (no
// /proc). Field 22 of /proc/PID/stat is the start in clock ticks after boot; /proc/stat's
// "btime" is the boot in seconds since the epoch.
qint64 startEpochSecs(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const qsizetype close = line.lastIndexOf(')');
    if (close < 0)
        return -1;
    const QList<QByteArray> fields = line.mid(close + 2).split(' ');
    constexpr int StartTimeAfterName = 22 - 3; // fields 3.. follow the name
    if (fields.size() <= StartTimeAfterName)
        return -1;
    bool ok = false;
    const qint64 ticks = fields.at(StartTimeAfterName).toLongLong(&ok);
    const long hz = ::sysconf(_SC_CLK_TCK);
    if (!ok || hz <= 0)
        return -1;
    QFile boot(QStringLiteral("/proc/stat"));
    if (!boot.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& l : boot.readAll().split('\n'))
        if (l.startsWith("btime "))
            return l.mid(6).trimmed().toLongLong() + ticks / hz;
    return -1;
}

} // namespace

QString hostName()
{
    static const QString name = QHostInfo::localHostName();
    return name;
}

QString hostKey()
{
    static const QString key = QString::fromLatin1(
        QCryptographicHash::hash(hostName().toUtf8(), QCryptographicHash::Sha256).toHex().left(8));
    return key;
}

qint64 pid()
{
    return qint64(::getpid());
}

QString nonce()
{
    static const QString n = QString::number(QRandomGenerator::system()->generate64(), 16);
    return n;
}

bool mayBeRunning(qint64 pid, qint64 traceEpochSecs)
{
    if (pid <= 0)
        return false;
    if (::kill(pid_t(pid), 0) != 0 && errno != EPERM)
        return false;
    if (traceEpochSecs < 0)
        return true;
    // A process cannot have left a trace before it started; a second of slack for rounding.
    const qint64 started = startEpochSecs(pid);
    return started < 0 || started <= traceEpochSecs + 1;
}

} // namespace mf::processidentity
