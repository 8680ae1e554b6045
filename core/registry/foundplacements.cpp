// PlacementRows: what recovery and the collection's sweep find on the providers: objects of
// known chunks, chunks a provider lacks, and objects nothing refers to.
#include "registry.h"
#include "registryquery.h"
#include "shortlocator.h"

#include <QDateTime>

namespace mf {

using registrycolumns::nowSecs;

int PlacementRows::recordFoundPlacements(qint64 providerId, const QList<Placement>& found)
{
    int added = 0;
    const bool ok = transaction([&] {
        for (const Placement& p : found) {
            Query chunk(this, QStringLiteral("SELECT size FROM chunks WHERE cid = ?"));
            if (!chunk.bind(p.cid).exec())
                return false;
            if (!chunk.q().next())
                continue; // no model here uses it
            const qint64 size = chunk.q().value(0).toLongLong();
            chunk.q().finish();
            Query placed(this, QStringLiteral("SELECT state FROM placements WHERE cid = ? AND "
                                              "provider_id = ?"));
            if (!placed.bind(p.cid).bind(providerId).exec())
                return false;
            if (placed.q().next() && placed.q().value(0).toString() == QLatin1String("stored"))
                continue;
            placed.q().finish();
            // A deletion of this object being carried out: it may be gone in a moment. One only
            // queued is forgotten (the object is wanted), and its bytes, still counted, stay.
            Query deleting(this, QStringLiteral("SELECT id, claimed_until FROM deletions WHERE "
                                                "provider_id = ? AND cid = ?"));
            if (!deleting.bind(providerId).bind(p.cid).exec())
                return false;
            bool counted = false;
            bool busy = false;
            QList<qint64> queued;
            while (deleting.q().next()) {
                if (!deleting.q().value(1).isNull() &&
                    deleting.q().value(1).toLongLong() >= nowSecs())
                    busy = true;
                else
                    queued.append(deleting.q().value(0).toLongLong());
            }
            deleting.q().finish();
            if (busy)
                continue;
            for (const qint64 id : queued) {
                Query forget(this, QStringLiteral("DELETE FROM deletions WHERE id = ?"));
                if (!forget.bind(id).exec())
                    return false;
                counted = true;
            }
            if (!recordPlacement(
                    Placement{p.cid, providerId, p.locator, PlacementState::Stored, {}}))
                return false;
            if (!counted) {
                Query count(this, QStringLiteral("UPDATE providers SET used_bytes = used_bytes + "
                                                 "? WHERE id = ?"));
                if (!count.bind(size).bind(providerId).exec())
                    return false;
            }
            ++added;
        }
        return true;
    });
    return ok ? added : -1;
}

QList<Placement> PlacementRows::placementsNotNamedByCid(qint64 providerId)
{
    QList<Placement> out;
    // The condition is placements_not_named's (schema 12), so that the index serves it.
    Query q(this, QStringLiteral("SELECT cid, locator FROM placements WHERE provider_id = ? AND "
                                 "state = 'stored' AND locator <> cid AND substr(locator, -1 - "
                                 "length(cid)) <> '/' || cid ORDER BY cid"));
    if (!q.bind(providerId).exec())
        return out;
    while (q.q().next()) {
        Placement p;
        p.cid = q.q().value(0).toString();
        p.providerId = providerId;
        p.locator = q.q().value(1).toString();
        p.state = PlacementState::Stored;
        out.append(p);
    }
    return out;
}

QHash<QString, qint64> PlacementRows::chunksMissingOn(qint64 providerId,
                                                      const QList<qint64>& modelIds)
{
    QHash<QString, qint64> out;
    QString sql = QStringLiteral("SELECT DISTINCT c.cid, c.size FROM chunks c ");
    if (!modelIds.isEmpty()) {
        QStringList marks;
        for (int i = 0; i < modelIds.size(); ++i)
            marks.append(QStringLiteral("?"));
        // The models' chunks, and the shards of those stored as shards.
        sql += QStringLiteral("WHERE c.cid IN (SELECT fc.cid FROM file_chunks fc JOIN files f ON "
                              "f.id = fc.file_id WHERE f.model_id IN (%1) UNION SELECT "
                              "s.shard_cid FROM chunk_shards s JOIN file_chunks fc ON fc.cid = "
                              "s.chunk_cid JOIN files f ON f.id = fc.file_id WHERE f.model_id IN "
                              "(%1)) AND ")
                   .arg(marks.join(QLatin1Char(',')));
    } else {
        sql += QStringLiteral("WHERE ");
    }
    sql += QStringLiteral("NOT EXISTS (SELECT 1 FROM placements p WHERE p.cid = c.cid AND "
                          "p.provider_id = ? AND p.state = 'stored')");
    Query q(this, sql);
    for (int twice = 0; twice < 2; ++twice)
        for (const qint64 id : modelIds)
            q.bind(id);
    if (!q.bind(providerId).exec())
        return out;
    while (q.q().next())
        out.insert(q.q().value(0).toString(), q.q().value(1).toLongLong());
    return out;
}

QStringList PlacementRows::modelsMissingChunks()
{
    QStringList out;
    Query q(this, QStringLiteral("SELECT DISTINCT m.name FROM models m JOIN files f ON f.model_id "
                                 "= m.id JOIN file_chunks fc ON fc.file_id = f.id WHERE m.state = "
                                 "'complete' AND NOT EXISTS (SELECT 1 FROM placements p WHERE "
                                 "p.cid = fc.cid AND p.state = 'stored') AND NOT ") +
                      ShardRows::readableFromShards(QStringLiteral("fc.cid")) +
                      QStringLiteral(" ORDER BY m.name"));
    if (!q.exec())
        return out;
    while (q.q().next())
        out.append(q.q().value(0).toString());
    return out;
}

QStringList PlacementRows::chunksWithoutPlacement()
{
    QStringList out;
    // A chunk stored as shards (docs/erasure.md) has no copy of its own: it is there while K
    // distinct shards of it are.
    Query q(this, QStringLiteral("SELECT cid FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM "
                                 "placements p WHERE p.cid = c.cid AND p.state = 'stored') AND "
                                 "NOT ") +
                      ShardRows::readableFromShards(QStringLiteral("c.cid")));
    if (!q.exec())
        return out;
    while (q.q().next())
        out.append(q.q().value(0).toString());
    return out;
}

bool PlacementRows::queueSweepDeletion(qint64 providerId, const QString& cid,
                                       const QString& locator, qint64 size)
{
    Q_UNUSED(size);
    bool queued = false;
    const bool ok = transaction([&] {
        Query known(this, QStringLiteral("SELECT (SELECT COUNT(*) FROM chunks WHERE cid = ?) + "
                                         "(SELECT COUNT(*) FROM placements WHERE cid = ? AND "
                                         "provider_id = ?)"));
        if (!known.bind(cid).bind(cid).bind(providerId).exec() || !known.q().next())
            return false;
        if (known.q().value(0).toInt() > 0)
            return true;
        known.q().finish();
        // Size 0: the object was never counted in this vault's usage of the provider, so
        // deleting it must not take bytes off it.
        Query add(this,
                  QStringLiteral("INSERT OR IGNORE INTO deletions (provider_id, locator, cid, "
                                 "size, created_at) VALUES (?, ?, ?, 0, ?)"));
        if (!add.bind(providerId).bind(locator).bind(cid).bind(nowSecs()).exec())
            return false;
        queued = true;
        return true;
    });
    return ok && queued;
}

} // namespace mf
