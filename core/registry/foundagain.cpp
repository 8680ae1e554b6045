// ScrubRows: the copies of a provider that answers again after they were counted lost
// (ProviderRows::providerLost()), which a check asks again.
#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

QList<ScrubRows::ScrubItem> ScrubRows::missingCopiesOn(qint64 providerId, const QString& afterCid,
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

bool ScrubRows::recordFoundAgain(const QString& cid, qint64 providerId, ScrubPass pass,
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
