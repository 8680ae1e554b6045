// Registry: whether each provider answers. A provider that has not answered a check for longer
// than the vault allows (a disk that is never mounted again, an account closed) is lost for the
// copies it holds: the check counts them missing, health says degraded, and repair makes them
// elsewhere, instead of "could not be checked" for ever.

#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

namespace {
constexpr qint64 DefaultUnreachableAfterSecs = 86400;
const QLatin1String UnreachableAfterKey("health.unreachable_after");
} // namespace

bool Registry::recordProviderAnswer(qint64 providerId, bool answered)
{
    Query q(this, answered ? QStringLiteral("UPDATE providers SET unreachable_since = NULL WHERE "
                                            "id = ? AND unreachable_since IS NOT NULL")
                           : QStringLiteral("UPDATE providers SET unreachable_since = ? WHERE id "
                                            "= ? AND unreachable_since IS NULL"));
    if (!answered)
        q.bind(QDateTime::currentSecsSinceEpoch());
    return q.bind(providerId).exec();
}

qint64 Registry::unreachableAfterSecs()
{
    bool ok = false;
    const qint64 secs = setting(UnreachableAfterKey).toLongLong(&ok);
    return ok && secs >= 0 ? secs : DefaultUnreachableAfterSecs;
}

bool Registry::setUnreachableAfterSecs(qint64 secs)
{
    return setSetting(UnreachableAfterKey, QString::number(qMax<qint64>(0, secs)));
}

bool Registry::providerLost(const ProviderRecord& provider)
{
    return provider.unreachableSince > 0 &&
           QDateTime::currentSecsSinceEpoch() - provider.unreachableSince >= unreachableAfterSecs();
}

QList<Registry::ScrubItem> Registry::missingCopiesOn(qint64 providerId, const QString& afterCid,
                                                     int limit)
{
    QList<ScrubItem> out;
    Query q(this, QStringLiteral("SELECT p.cid, p.provider_id, p.locator, c.size FROM placements "
                                 "p JOIN chunks c ON c.cid = p.cid WHERE p.provider_id = ? AND "
                                 "p.state = 'missing' AND p.locator <> '' AND p.cid > ? ORDER BY "
                                 "p.cid LIMIT ?"));
    q.bind(providerId).bind(afterCid).bind(limit);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toString(), q.q().value(1).toLongLong(),
                        q.q().value(2).toString(), q.q().value(3).toLongLong()});
    return out;
}

bool Registry::recordFoundAgain(const QString& cid, qint64 providerId, ScrubPass pass,
                                PlacementState found)
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    Query q(this, pass == ScrubPass::Read
                      ? QStringLiteral("UPDATE placements SET state = ?, checked_at = ?, "
                                       "verified_at = ? WHERE cid = ? AND provider_id = ? AND "
                                       "state = 'missing'")
                      : QStringLiteral("UPDATE placements SET state = ?, checked_at = ? WHERE cid "
                                       "= ? AND provider_id = ? AND state = 'missing'"));
    q.bind(placementStateName(found)).bind(now);
    if (pass == ScrubPass::Read)
        q.bind(now);
    return q.bind(cid).bind(providerId).exec();
}

} // namespace mf
