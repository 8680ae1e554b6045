// ScrubRows: the chunks repair has to work on, in CID order a batch at a time (keyset paging), so
// a vault of half a million chunks is walked with bounded memory; and the bad copies a repair
// made up for, forgotten once it is done.

#include "registry.h"
#include "registryquery.h"
#include "shardrows.h"

#include <QDateTime>

namespace mf {

namespace {

// Restricts to chunks (whose CID is the expression `cid`) used by a complete file (of the given
// models): an unfinished float's chunks are its own business, and it places them itself.
QString usedCondition(const QList<qint64>& modelIds, const QString& cid = QStringLiteral("c.cid"))
{
    QString sql = QStringLiteral("EXISTS (SELECT 1 FROM file_chunks fc JOIN files f ON f.id = "
                                 "fc.file_id WHERE fc.cid = ") +
                  cid + QStringLiteral(" AND f.state = 'complete'");
    if (!modelIds.isEmpty())
        sql += QStringLiteral(" AND f.model_id IN (") + sqlIdList(modelIds) + QLatin1Char(')');
    return sql + QLatin1Char(')');
}

// Copies that count: stored, on a provider that is not being drained.
const QLatin1String
    GoodCopies("(SELECT COUNT(*) FROM placements p WHERE p.cid = c.cid AND p.state = 'stored' AND "
               "p.provider_id NOT IN (SELECT provider_id FROM provider_drains))");
const QLatin1String AnyFile("EXISTS (SELECT 1 FROM file_chunks u WHERE u.cid = c.cid)");

// The chunks to look at: short of copies, or (draining) with a copy on that provider.
QString scope(const QList<qint64>& modelIds, qint64 drainProvider)
{
    if (drainProvider > 0) {
        const QString there = QStringLiteral("EXISTS (SELECT 1 FROM placements d WHERE d.cid = "
                                             "c.cid AND d.provider_id = %1)")
                                  .arg(drainProvider);
        // Models named: only their chunks leave it (an offload), the rest of it stays.
        return modelIds.isEmpty() ? there
                                  : there + QStringLiteral(" AND ") + usedCondition(modelIds);
    }
    // Short as health judges it (HealthRows: fewer copies than wanted and not whole in
    // shards): a chunk stored as shards gets its lost shards rebuilt, never copies, which would
    // change its scheme behind the user's back (RepairJob tells the two apart). A sharded chunk
    // with a shard on several providers may be whole in SQL's count and still have two shards
    // on one provider: RepairJob asks ShardRows::wholeApart() before it reads anything.
    return QStringLiteral("good < ? AND (NOT ") +
           ShardRows::wholeInShards(QStringLiteral("c.cid")) + QStringLiteral(" OR ") +
           ShardRows::mayShareProviders(QStringLiteral("c.cid")) + QStringLiteral(") AND ") +
           usedCondition(modelIds);
}

} // namespace

QList<ScrubRows::ChunkToRepair> ScrubRows::chunksToRepair(const QString& afterCid, int limit,
                                                          int wanted, const QList<qint64>& modelIds,
                                                          qint64 drainProvider)
{
    QList<ChunkToRepair> out;
    Query q(this, QStringLiteral("SELECT c.cid, c.size, ") + GoodCopies +
                      QStringLiteral(" AS good, ") + AnyFile +
                      QStringLiteral(" FROM chunks c WHERE c.cid > ? AND ") +
                      scope(modelIds, drainProvider) + QStringLiteral(" ORDER BY c.cid LIMIT ?"));
    q.bind(afterCid);
    if (drainProvider <= 0)
        q.bind(wanted);
    q.bind(limit);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toString(), q.q().value(1).toLongLong(),
                        q.q().value(2).toInt(), q.q().value(3).toBool()});
    return out;
}

QList<ScrubRows::ChunkToRepair> ScrubRows::chunksOfModels(const QString& afterCid, int limit,
                                                          const QList<qint64>& modelIds)
{
    QList<ChunkToRepair> out;
    Query q(this, QStringLiteral("SELECT c.cid, c.size, ") + GoodCopies +
                      QStringLiteral(" FROM chunks c WHERE c.cid > ? AND ") +
                      usedCondition(modelIds) + QStringLiteral(" ORDER BY c.cid LIMIT ?"));
    if (q.bind(afterCid).bind(limit).exec())
        while (q.q().next())
            out.append({q.q().value(0).toString(), q.q().value(1).toLongLong(),
                        q.q().value(2).toInt(), true});
    return out;
}

ScrubRows::RepairWork ScrubRows::modelsWork(const QList<qint64>& modelIds)
{
    RepairWork work;
    Query q(this, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(c.size), 0) FROM chunks c WHERE ") +
                      usedCondition(modelIds));
    if (q.exec() && q.q().next()) {
        work.chunks = q.q().value(0).toInt();
        work.bytes = q.q().value(1).toLongLong();
    }
    return work;
}

ScrubRows::RepairWork ScrubRows::repairWork(int wanted, const QList<qint64>& modelIds,
                                            qint64 drainProvider)
{
    RepairWork work;
    // A drain moves a shard there once (never N copies of it).
    const QLatin1String isShard("EXISTS (SELECT 1 FROM chunk_shards s WHERE s.shard_cid = c.cid)");
    const QString drainedShardBytes =
        QStringLiteral("CASE WHEN ") + isShard + QStringLiteral(" THEN c.size END");
    // A chunk stored as shards is owed the shards it lost (NULL for one stored as copies).
    const QLatin1String lostShardBytes(
        "(SELECT SUM(sc.size) FROM chunk_shards s JOIN chunks sc ON sc.cid = s.shard_cid WHERE "
        "s.chunk_cid = c.cid AND NOT EXISTS (SELECT 1 FROM placements sp WHERE sp.cid = "
        "s.shard_cid AND sp.state = 'stored'))");
    Query q(this, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(CASE WHEN used AND good < ? THEN "
                                 "COALESCE(shard_bytes, size * (? - good)) ELSE 0 END), 0) FROM "
                                 "(SELECT c.cid, c.size, ") +
                      GoodCopies + QStringLiteral(" AS good, ") +
                      (drainProvider > 0 ? QStringLiteral("(") + AnyFile + QStringLiteral(" OR ") +
                                               isShard + QLatin1Char(')')
                                         : QString(AnyFile)) +
                      QStringLiteral(" AS used, ") +
                      (drainProvider > 0 ? QString(drainedShardBytes) : QString(lostShardBytes)) +
                      QStringLiteral(" AS shard_bytes FROM chunks c WHERE ") +
                      scope(modelIds, drainProvider) + QStringLiteral(")"));
    q.bind(wanted).bind(wanted);
    if (drainProvider <= 0)
        q.bind(wanted);
    if (q.exec() && q.q().next()) {
        work.chunks = q.q().value(0).toInt();
        work.bytes = q.q().value(1).toLongLong();
    }
    return work;
}

int ScrubRows::retireReplacedCopies(int wanted, const QList<qint64>& modelIds)
{
    // Through placements_bad (the partial index of bad copies), then each chunk's good copies.
    // A shard (of a chunk stored as shards that such a file uses) is replaced when it has a
    // good copy for each index of the chunk that it is (one, unless shards repeat, as those of
    // a run of zeros do).
    const QString shardReplaced =
        QStringLiteral("EXISTS (SELECT 1 FROM chunk_shards s WHERE s.shard_cid = c.cid AND ") +
        usedCondition(modelIds, QStringLiteral("s.chunk_cid")) + QStringLiteral(" AND ") +
        GoodCopies +
        QStringLiteral(" >= (SELECT COUNT(*) FROM chunk_shards s2 WHERE s2.chunk_cid = "
                       "s.chunk_cid AND s2.shard_cid = c.cid))");
    const QString replaced = QStringLiteral("FROM placements p JOIN chunks c ON c.cid = p.cid "
                                            "WHERE p.state IN ('missing', 'corrupt') AND "
                                            "p.locator <> '' AND ((") +
                             GoodCopies + QStringLiteral(" >= ? AND ") + usedCondition(modelIds) +
                             QStringLiteral(") OR ") + shardReplaced + QLatin1Char(')');
    int retired = -1;
    const bool ok = transaction([&] {
        Query count(this, QStringLiteral("SELECT COUNT(*) ") + replaced);
        if (!count.bind(wanted).exec() || !count.q().next())
            return false;
        retired = count.q().value(0).toInt();
        count.q().finish();
        if (retired == 0)
            return true;
        // A corrupt object is deleted by the next collect or drain; a missing one's deletion
        // finds nothing, which counts as done.
        Query record(this, QStringLiteral("INSERT OR IGNORE INTO deletions (provider_id, locator, "
                                          "cid, size, created_at) SELECT p.provider_id, "
                                          "p.locator, p.cid, c.size, ? ") +
                               replaced);
        Query drop(this, QStringLiteral("DELETE FROM placements WHERE (cid, provider_id) IN "
                                        "(SELECT p.cid, p.provider_id ") +
                             replaced + QLatin1Char(')'));
        return record.bind(QDateTime::currentSecsSinceEpoch()).bind(wanted).exec() &&
               drop.bind(wanted).exec();
    });
    return ok ? retired : -1;
}

} // namespace mf
