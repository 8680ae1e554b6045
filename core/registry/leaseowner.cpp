// Owner strings: who holds a lease, a claim, a job or a scratch area, and whether that still
// counts.
#include "leaseowner.h"

#include "util/processidentity.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QStringList>

namespace mf::leaseowner {

namespace {

struct Owner
{
    QString host;
    qint64 pid = 0;
    QString process; // host|pid|nonce
};

Owner parseOwner(const QString& owner)
{
    const QStringList parts = owner.split(QLatin1Char('|'));
    Owner o;
    if (parts.size() >= 3) {
        o.host = parts.at(0);
        o.pid = parts.at(1).toLongLong();
        o.process = parts.mid(0, 3).join(QLatin1Char('|'));
    }
    return o;
}

} // namespace

bool isLive(const QString& owner, const QVariant& until)
{
    if (owner.isEmpty() || until.isNull() ||
        until.toLongLong() < QDateTime::currentSecsSinceEpoch())
        return false;
    const Owner o = parseOwner(owner);
    if (o.process == parseOwner(processLeaseOwner()).process)
        return true; // another job of this very process
    if (o.host == processidentity::hostName() && !processidentity::mayBeRunning(o.pid))
        return false;
    return true;
}

QString describeHolder(const QString& owner)
{
    const Owner o = parseOwner(owner);
    if (o.host == processidentity::hostName())
        return QString::number(o.pid);
    return QStringLiteral("%1 on %2").arg(o.pid).arg(o.host);
}

QString processLeaseOwner()
{
    static const QString owner = QStringLiteral("%1|%2|%3")
                                     .arg(processidentity::hostName())
                                     .arg(processidentity::pid())
                                     .arg(processidentity::nonce());
    return owner;
}

QString newLeaseOwner()
{
    static QAtomicInteger<quint64> serial;
    return processLeaseOwner() + QLatin1Char('|') +
           QString::number(serial.fetchAndAddRelaxed(1) + 1);
}

bool isProcessGone(const QString& owner, qint64 sinceSecs)
{
    // "host|pid|nonce[|serial]"
    const QStringList parts = owner.split(QLatin1Char('|'));
    if (parts.size() < 3)
        return false;
    if (parts.at(0) != processidentity::hostName())
        return false;
    const qint64 pid = parts.at(1).toLongLong();
    if (pid == processidentity::pid() && parts.at(2) == processidentity::nonce())
        return false; // this process
    return !processidentity::mayBeRunning(pid, sinceSecs);
}

} // namespace mf::leaseowner
