// HealthRows: how many copies each chunk should have, and which complete models have fewer than
// that (degraded). One definition for the command line, the GUI, repair and the scheduler.

#include "healthqueries.h"
#include "registry.h"
#include "registryquery.h"

namespace mf {

namespace {

// Whether the `models` row being updated has a chunk of a complete file with fewer stored
// copies than the one placeholder says. Pending placements (a put under way) and copies known
// missing or corrupt are not copies. A chunk stored as shards has no copies: it is whole when
// all its shards are stored (docs/erasure.md).
QString underReplicated()
{
    return QStringLiteral("EXISTS (SELECT 1 FROM files f JOIN file_chunks fc ON fc.file_id = "
                          "f.id WHERE f.model_id = models.id AND f.state = 'complete' AND "
                          "(SELECT COUNT(*) FROM placements p WHERE p.cid = fc.cid AND p.state "
                          "= 'stored') < ? AND NOT ") +
           ShardRows::wholeInShards(QStringLiteral("fc.cid")) + QStringLiteral(")");
}

} // namespace

int HealthRows::wantedCopies()
{
    const int replication = qMax(
        1,
        m_registry.settings().setting(QStringLiteral("replication"), QStringLiteral("2")).toInt());
    Query q(this, QStringLiteral("SELECT COUNT(*) FROM providers WHERE enabled = 1 AND id NOT IN "
                                 "(SELECT provider_id FROM provider_drains)"));
    const int providers = q.exec() && q.q().next() ? q.q().value(0).toInt() : 0;
    return qMax(1, qMin(replication, providers));
}

bool HealthRows::refreshDegraded(const QList<qint64>& modelIds)
{
    const int wanted = wantedCopies();
    return transaction([&] {
        QList<qint64> ids = modelIds;
        if (ids.isEmpty()) {
            Query all(this, QStringLiteral("SELECT id FROM models WHERE state = 'complete'"));
            if (!all.exec())
                return false;
            while (all.q().next())
                ids.append(all.q().value(0).toLongLong());
        }
        Query update(this, QStringLiteral("UPDATE models SET degraded = (state = 'complete' AND ") +
                               underReplicated() + QStringLiteral(") WHERE id = ?"));
        for (qint64 id : std::as_const(ids))
            if (!update.bind(wanted).bind(id).exec())
                return false;
        // A model SQL calls whole may have a sharded chunk with a shard on several providers
        // and two shards whose only copies share one (ShardRows::mayShareProviders): judged
        // exactly, one such chunk at a time.
        Query shared(this, QStringLiteral("SELECT DISTINCT fc.cid FROM files f JOIN file_chunks fc "
                                          "ON fc.file_id = f.id JOIN models m ON m.id = f.model_id "
                                          "WHERE f.model_id = ? AND m.state = 'complete' AND "
                                          "m.degraded = 0 AND f.state = 'complete' AND ") +
                               ShardRows::mayShareProviders(QStringLiteral("fc.cid")));
        Query mark(this, QStringLiteral("UPDATE models SET degraded = 1 WHERE id = ?"));
        for (qint64 id : std::as_const(ids)) {
            if (!shared.bind(id).exec())
                return false;
            QStringList chunks;
            while (shared.q().next())
                chunks.append(shared.q().value(0).toString());
            for (const QString& cid : std::as_const(chunks)) {
                if (m_registry.shardRows().wholeApart(cid))
                    continue;
                if (!mark.bind(id).exec())
                    return false;
                break;
            }
        }
        return true;
    });
}

QList<qint64> HealthRows::degradedModels()
{
    QList<qint64> out;
    Query q(this, QStringLiteral("SELECT id FROM models WHERE state = 'complete' AND degraded = 1 "
                                 "ORDER BY id"));
    if (q.exec())
        while (q.q().next())
            out.append(q.q().value(0).toLongLong());
    return out;
}

int HealthRows::degradedModelsStoredAsShards()
{
    Query q(this, QStringLiteral("SELECT COUNT(*) FROM models WHERE state = 'complete' AND "
                                 "degraded = 1 AND redundancy LIKE 'shards %'"));
    return q.exec() && q.q().next() ? q.q().value(0).toInt() : 0;
}

int HealthRows::underReplicatedChunks(qint64 modelId)
{
    Query q(this, QStringLiteral("SELECT COUNT(DISTINCT fc.cid) FROM files f JOIN file_chunks fc "
                                 "ON fc.file_id = f.id WHERE f.model_id = ? AND f.state = "
                                 "'complete' AND (SELECT COUNT(*) FROM placements p WHERE p.cid = "
                                 "fc.cid AND p.state = 'stored') < ? AND NOT ") +
                      ShardRows::wholeInShards(QStringLiteral("fc.cid")));
    q.bind(modelId).bind(wantedCopies());
    return q.exec() && q.q().next() ? q.q().value(0).toInt() : 0;
}

QString healthqueries::shardedChunks(bool oneModel)
{
    // CROSS JOIN fixes the order SQLite reads the tables in: from the few chunks with no copy,
    // or from one model's files.
    const QString from =
        oneModel ? QStringLiteral("FROM files f CROSS JOIN file_chunks fc ON fc.file_id = f.id "
                                  "CROSS JOIN chunks c ON c.cid = fc.cid WHERE f.model_id = ? AND ")
                 : QStringLiteral("FROM chunks c CROSS JOIN file_chunks fc ON fc.cid = c.cid JOIN "
                                  "files f ON f.id = fc.file_id WHERE ");
    return QStringLiteral("SELECT f.model_id, ") +
           ShardRows::wholeInShards(QStringLiteral("c.cid")) + QStringLiteral(", ") +
           ShardRows::readableFromShards(QStringLiteral("c.cid")) + QLatin1Char(' ') + from +
           QStringLiteral("c.copies = 0 AND EXISTS (SELECT 1 FROM chunk_shards s0 WHERE "
                          "s0.chunk_cid = c.cid) GROUP BY f.model_id, c.cid");
}

QHash<qint64, HealthRows::ModelCounts> HealthRows::modelCounts(const QList<qint64>& modelIds)
{
    QHash<qint64, ModelCounts> out;
    const QString files =
        QStringLiteral("SELECT model_id, COUNT(*), COALESCE(SUM(size), 0) FROM files");
    const QString copies =
        QStringLiteral("SELECT model_id, copies, chunks FROM model_copies WHERE chunks > 0");
    auto read = [&](Query& filesQuery, Query& copiesQuery) {
        if (!filesQuery.exec() || !copiesQuery.exec())
            return false;
        while (filesQuery.q().next()) {
            ModelCounts& c = out[filesQuery.q().value(0).toLongLong()];
            c.files = filesQuery.q().value(1).toInt();
            c.bytes = filesQuery.q().value(2).toLongLong();
        }
        while (copiesQuery.q().next())
            out[copiesQuery.q().value(0).toLongLong()].chunksByCopies.insert(
                copiesQuery.q().value(1).toInt(), copiesQuery.q().value(2).toInt());
        return true;
    };
    // Chunks stored as shards have no copies of their own (docs/erasure.md): counted as many
    // as wanted when all their shards are stored, as one when at least K are (degraded), and
    // lost (no copy) otherwise, so that every view gives the verdict refreshDegraded() gives.
    const int wanted = wantedCopies();
    auto readSharded = [&](Query& q) {
        if (!q.exec())
            return false;
        while (q.q().next()) {
            const bool whole = q.q().value(1).toBool();
            const bool readable = q.q().value(2).toBool();
            if (!readable)
                continue;
            ModelCounts& c = out[q.q().value(0).toLongLong()];
            const auto none = c.chunksByCopies.find(0);
            if (none == c.chunksByCopies.end())
                continue;
            if (--none.value() == 0)
                c.chunksByCopies.erase(none);
            c.chunksByCopies[whole ? wanted : 1]++;
        }
        return true;
    };
    if (modelIds.isEmpty()) {
        Query f(this, files + QStringLiteral(" GROUP BY model_id"));
        Query c(this, copies);
        Query s(this, healthqueries::shardedChunks(false));
        read(f, c) && readSharded(s);
        return out;
    }
    Query f(this, files + QStringLiteral(" WHERE model_id = ? GROUP BY model_id"));
    Query c(this, copies + QStringLiteral(" AND model_id = ?"));
    Query s(this, healthqueries::shardedChunks(true));
    for (qint64 id : modelIds) {
        f.bind(id);
        c.bind(id);
        s.bind(id);
        if (!read(f, c) || !readSharded(s))
            break;
    }
    return out;
}

QList<qint64> HealthRows::modelsWithUncopiedChunks()
{
    QList<qint64> out;
    // Through the index of chunks with no stored copy (chunks_lost): few, CROSS JOIN keeps
    // that order.
    Query q(this, QStringLiteral("SELECT DISTINCT f.model_id FROM chunks c CROSS JOIN file_chunks "
                                 "fc ON fc.cid = c.cid JOIN files f ON f.id = fc.file_id WHERE "
                                 "c.copies = 0 AND f.state = 'complete' AND NOT ") +
                      ShardRows::readableFromShards(QStringLiteral("c.cid")) +
                      QStringLiteral(" ORDER BY f.model_id"));
    if (q.exec())
        while (q.q().next())
            out.append(q.q().value(0).toLongLong());
    return out;
}

QList<qint64> HealthRows::modelsUsingChunks(const QStringList& cids)
{
    QList<qint64> out;
    if (cids.isEmpty())
        return out;
    QSet<qint64> seen;
    // A shard's models are those of its chunk: scrub finds bad shards, and their models are the
    // ones degraded.
    Query q(this, QStringLiteral("SELECT DISTINCT f.model_id FROM file_chunks fc JOIN files f ON "
                                 "f.id = fc.file_id WHERE fc.cid = ? OR fc.cid IN (SELECT "
                                 "chunk_cid FROM chunk_shards WHERE shard_cid = ?)"));
    for (const QString& cid : cids) {
        if (!q.bind(cid).bind(cid).exec())
            return out;
        while (q.q().next()) {
            const qint64 id = q.q().value(0).toLongLong();
            if (!seen.contains(id)) {
                seen.insert(id);
                out.append(id);
            }
        }
    }
    return out;
}

QList<qint64> HealthRows::modelsSharingChunksWith(qint64 modelId)
{
    QList<qint64> out;
    Query q(this, QStringLiteral("SELECT DISTINCT other.model_id FROM files f JOIN file_chunks fc "
                                 "ON fc.file_id = f.id JOIN file_chunks ofc ON ofc.cid = fc.cid "
                                 "JOIN files other ON other.id = ofc.file_id WHERE f.model_id = ? "
                                 "AND other.model_id != ? ORDER BY other.model_id"));
    if (q.bind(modelId).bind(modelId).exec())
        while (q.q().next())
            out.append(q.q().value(0).toLongLong());
    return out;
}

QString HealthRows::underReplicatedCondition()
{
    return underReplicated();
}

} // namespace mf
