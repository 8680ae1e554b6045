// ScrubRows: the copies scrub looks at, in (CID, provider) order a batch at a time (keyset
// paging), and what it found. A copy's pass time is stamped as it is checked, so a scrub that is
// stopped anywhere goes on, next time, with the copies it had not reached.

#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

namespace {

QLatin1String stampColumn(ScrubRows::ScrubPass pass)
{
    return pass == ScrubRows::ScrubPass::Read ? QLatin1String("verified_at")
                                              : QLatin1String("checked_at");
}

// Stored copies on enabled providers that the pass has not looked at since the bound time (nor
// were stored since: a put that succeeded is as good as a look). One bound value: the time.
// Only the copies the scope takes: of chunks the given models use (a repair of one model looks
// at that model's copies), or of orphans.
QString dueCondition(ScrubRows::ScrubPass pass, const ScrubRows::ScrubScope& scope)
{
    QString sql = QStringLiteral("p.state = 'stored' AND COALESCE(p.") + stampColumn(pass) +
                  QStringLiteral(", p.stored_at, 0) < ? AND p.provider_id IN (SELECT id FROM "
                                 "providers WHERE enabled = 1)");
    if (!scope.modelIds.isEmpty()) {
        // The models' chunks, and the shards of those stored as shards (docs/erasure.md).
        const QString ofModels = QStringLiteral(" AND f.model_id IN (") +
                                 sqlIdList(scope.modelIds) + QStringLiteral("))");
        sql += QStringLiteral(" AND (EXISTS (SELECT 1 FROM file_chunks fc JOIN files f ON f.id = "
                              "fc.file_id WHERE fc.cid = p.cid") +
               ofModels +
               QStringLiteral(" OR EXISTS (SELECT 1 FROM chunk_shards s JOIN file_chunks fc ON "
                              "fc.cid = s.chunk_cid JOIN files f ON f.id = fc.file_id WHERE "
                              "s.shard_cid = p.cid") +
               ofModels + QLatin1Char(')');
    }
    if (scope.orphansOnly) // through the index of orphans (chunks_orphaned)
        sql += QStringLiteral(" AND p.cid IN (SELECT cid FROM chunks WHERE refs = 0)");
    return sql;
}

// Whether the copy's provider serves no downloads until later (provider budgets: a transfer
// quota). Only the full pass downloads: the check asks for an object's size and reads none of
// it. The full pass's binds one value: now, in ms since the epoch (bindPausedBound()).
QString pausedCondition(ScrubRows::ScrubPass pass)
{
    return pass == ScrubRows::ScrubPass::Read
               ? QStringLiteral("p.provider_id IN (SELECT provider_id FROM provider_budgets "
                                "WHERE download_paused_until > ?)")
               : QStringLiteral("0");
}

template <typename Query> void bindPausedBound(Query& q, ScrubRows::ScrubPass pass)
{
    if (pass == ScrubRows::ScrubPass::Read)
        q.bind(QDateTime::currentMSecsSinceEpoch());
}

} // namespace

QList<ScrubRows::ScrubItem> ScrubRows::placementsToScrub(ScrubPass pass, qint64 dueBefore,
                                                         const QString& afterCid,
                                                         qint64 afterProvider, int limit,
                                                         const ScrubScope& scope)
{
    QList<ScrubItem> out;
    Query q(this, QStringLiteral("SELECT p.cid, p.provider_id, p.locator, c.size FROM placements "
                                 "p JOIN chunks c ON c.cid = p.cid WHERE ") +
                      dueCondition(pass, scope) + QStringLiteral(" AND NOT ") +
                      pausedCondition(pass) +
                      QStringLiteral(" AND (p.cid > ? OR (p.cid = ? AND p.provider_id > ?)) "
                                     "ORDER BY p.cid, p.provider_id LIMIT ?"));
    q.bind(dueBefore);
    bindPausedBound(q, pass);
    q.bind(afterCid).bind(afterCid).bind(afterProvider).bind(limit);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toString(), q.q().value(1).toLongLong(),
                        q.q().value(2).toString(), q.q().value(3).toLongLong()});
    return out;
}

ScrubRows::ScrubDue ScrubRows::scrubDue(ScrubPass pass, qint64 dueBefore, const ScrubScope& scope)
{
    ScrubDue due;
    Query q(this, QStringLiteral("SELECT COALESCE(SUM(1 - held), 0), COALESCE(SUM((1 - held) * "
                                 "size), 0), COALESCE(SUM(held), 0) FROM (SELECT ") +
                      pausedCondition(pass) +
                      QStringLiteral(" AS held, c.size AS size FROM placements p JOIN chunks c ON "
                                     "c.cid = p.cid WHERE ") +
                      dueCondition(pass, scope) + QStringLiteral(")"));
    bindPausedBound(q, pass);
    q.bind(dueBefore);
    if (q.exec() && q.q().next()) {
        due.placements = q.q().value(0).toInt();
        due.bytes = q.q().value(1).toLongLong();
        due.paused = q.q().value(2).toInt();
    }
    return due;
}

bool ScrubRows::recordScrub(const QString& cid, qint64 providerId, ScrubPass pass,
                            PlacementState found)
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QString sql = QStringLiteral("UPDATE placements SET state = ?, checked_at = ?");
    if (pass == ScrubPass::Read)
        sql += QStringLiteral(", verified_at = ?");
    Query q(this, sql + QStringLiteral(" WHERE cid = ? AND provider_id = ? AND state = 'stored'"));
    q.bind(placementStateName(found)).bind(now);
    if (pass == ScrubPass::Read)
        q.bind(now);
    return q.bind(cid).bind(providerId).exec();
}

int ScrubRows::forgetMissingOrphanCopies()
{
    Query q(this, QStringLiteral("DELETE FROM placements WHERE state = 'missing' AND cid IN "
                                 "(SELECT cid FROM chunks WHERE refs = 0)"));
    return q.exec() ? q.affected() : -1;
}

} // namespace mf
