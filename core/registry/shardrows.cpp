// ShardRows: the shards that make a chunk, and each model's scheme (docs/erasure.md).
#include "shardrows.h"

#include "registry.h"
#include "registryquery.h"

#include "chunking/shardspread.h"

#include <algorithm>

namespace mf {

namespace {
// Whether the chunk_shards row `s` has a stored copy of its own: the r-th index (in index order)
// whose shard is given CID needs r + 1 providers storing that CID. Shards of the same bytes (a
// chunk of zeros) are one object wanted on as many providers as it has indices.
const QLatin1String OwnCopy(
    "(SELECT COUNT(*) FROM placements sp WHERE sp.cid = s.shard_cid AND sp.state = 'stored') > "
    "(SELECT COUNT(*) FROM chunk_shards s2 WHERE s2.chunk_cid = s.chunk_cid AND s2.k = s.k AND "
    "s2.m = s.m AND s2.shard_cid = s.shard_cid AND s2.idx < s.idx)");
// How many providers hold a stored copy of a shard of the chunk_shards group of `s`.
const QLatin1String ShardProviders(
    "SELECT COUNT(DISTINCT sp.provider_id) FROM chunk_shards s3 JOIN placements sp ON sp.cid = "
    "s3.shard_cid AND sp.state = 'stored' WHERE s3.chunk_cid = s.chunk_cid AND s3.k = s.k AND "
    "s3.m = s.m");
} // namespace

bool ShardRows::recordShards(const QString& chunkCid, int k, int m, const QList<Shard>& shards)
{
    if (k < 1 || m < 1 || shards.size() != k + m)
        return fail(QStringLiteral("shards"), QStringLiteral("chunk %1: %2 shards given for %3+%4")
                                                  .arg(chunkCid)
                                                  .arg(shards.size())
                                                  .arg(k)
                                                  .arg(m));
    return transaction([&] {
        Query row(this, QStringLiteral("INSERT OR IGNORE INTO chunks (cid, size) VALUES (?, ?)"));
        Query link(this, QStringLiteral("INSERT INTO chunk_shards (chunk_cid, k, m, idx, "
                                        "shard_cid) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO "
                                        "NOTHING"));
        for (const Shard& s : shards) {
            if (!row.bind(s.cid).bind(s.size).exec())
                return false;
            if (!link.bind(chunkCid).bind(k).bind(m).bind(s.index).bind(s.cid).exec())
                return false;
        }
        const QList<Shard> recorded = this->shards(chunkCid, k, m);
        for (int i = 0; i < shards.size(); ++i)
            if (i >= recorded.size() || recorded.at(i).cid != shards.at(i).cid ||
                recorded.at(i).index != shards.at(i).index)
                return fail(QStringLiteral("shards"),
                            QStringLiteral("chunk %1 has other shards recorded under %2+%3")
                                .arg(chunkCid)
                                .arg(k)
                                .arg(m));
        return true;
    });
}

QList<ShardRows::Shard> ShardRows::shards(const QString& chunkCid, int k, int m)
{
    Query q(this, QStringLiteral("SELECT s.idx, s.shard_cid, c.size FROM chunk_shards s JOIN "
                                 "chunks c ON c.cid = s.shard_cid WHERE s.chunk_cid = ? AND "
                                 "s.k = ? AND s.m = ? ORDER BY s.idx"));
    QList<Shard> out;
    if (!q.bind(chunkCid).bind(k).bind(m).exec())
        return out;
    while (q.q().next())
        out.append(
            Shard{q.q().value(0).toInt(), q.q().value(1).toString(), q.q().value(2).toLongLong()});
    return out;
}

std::optional<ShardRows::Scheme> ShardRows::shardScheme(const QString& chunkCid)
{
    Query q(this, QStringLiteral("SELECT s.k, s.m FROM chunk_shards s WHERE s.chunk_cid = ? "
                                 "GROUP BY s.k, s.m ORDER BY SUM(EXISTS (SELECT 1 FROM placements "
                                 "sp WHERE sp.cid = s.shard_cid AND sp.state = 'stored')) - s.k "
                                 "DESC, s.k, s.m LIMIT 1"));
    if (!q.bind(chunkCid).exec() || !q.q().next())
        return std::nullopt;
    return Scheme{q.q().value(0).toInt(), q.q().value(1).toInt()};
}

QList<ShardRows::Scheme> ShardRows::shardSchemes(const QString& chunkCid)
{
    Query q(this, QStringLiteral("SELECT DISTINCT k, m FROM chunk_shards WHERE chunk_cid = ? "
                                 "ORDER BY k, m"));
    QList<Scheme> out;
    if (!q.bind(chunkCid).exec())
        return out;
    while (q.q().next())
        out.append(Scheme{q.q().value(0).toInt(), q.q().value(1).toInt()});
    return out;
}

bool ShardRows::isShard(const QString& cid)
{
    Query q(this, QStringLiteral("SELECT 1 FROM chunk_shards WHERE shard_cid = ? LIMIT 1"));
    return q.bind(cid).exec() && q.q().next();
}

std::optional<ShardRows::Stored> ShardRows::storedShards(const QString& chunkCid)
{
    const auto scheme = shardScheme(chunkCid);
    return scheme ? storedShards(chunkCid, *scheme) : std::nullopt;
}

std::optional<ShardRows::Stored> ShardRows::storedShards(const QString& chunkCid,
                                                         const Scheme& scheme)
{
    // Each index with the providers of its shard's stored copies (none: NULL).
    Query q(this, QStringLiteral("SELECT s.idx, p.provider_id FROM chunk_shards s LEFT JOIN "
                                 "placements p ON p.cid = s.shard_cid AND p.state = 'stored' "
                                 "WHERE s.chunk_cid = ? AND s.k = ? AND s.m = ? ORDER BY s.idx"));
    if (!q.bind(chunkCid).bind(scheme.k).bind(scheme.m).exec())
        return std::nullopt;
    std::vector<QSet<qint64>> holdings;
    int lastIndex = -1;
    while (q.q().next()) {
        const int index = q.q().value(0).toInt();
        if (index != lastIndex)
            holdings.emplace_back();
        lastIndex = index;
        if (!q.q().value(1).isNull())
            holdings.back().insert(q.q().value(1).toLongLong());
    }
    if (holdings.empty())
        return std::nullopt;
    const int readable = int(std::count_if(holdings.cbegin(), holdings.cend(),
                                           [](const QSet<qint64>& h) { return !h.isEmpty(); }));
    return Stored{scheme, readable, shardsKeptApart(holdings)};
}

QList<ShardRows::ShardOf> ShardRows::chunksOfShard(const QString& shardCid)
{
    Query q(this, QStringLiteral("SELECT s.chunk_cid, c.size, s.k, s.m, s.idx, EXISTS (SELECT 1 "
                                 "FROM file_chunks u WHERE u.cid = s.chunk_cid) FROM chunk_shards "
                                 "s JOIN chunks c ON c.cid = s.chunk_cid WHERE s.shard_cid = ? "
                                 "ORDER BY s.chunk_cid, s.k, s.m, s.idx"));
    QList<ShardOf> out;
    if (!q.bind(shardCid).exec())
        return out;
    while (q.q().next()) {
        const QString chunkCid = q.q().value(0).toString();
        const Scheme scheme{q.q().value(2).toInt(), q.q().value(3).toInt()};
        if (out.isEmpty() || out.last().chunkCid != chunkCid || out.last().scheme.k != scheme.k ||
            out.last().scheme.m != scheme.m)
            out.append(ShardOf{
                chunkCid, q.q().value(1).toLongLong(), scheme, {}, q.q().value(5).toBool()});
        out.last().indices.append(q.q().value(4).toInt());
    }
    return out;
}

ShardRows::RetiredShards ShardRows::retireShards(const QString& chunkCid, const Scheme& scheme)
{
    RetiredShards out;
    // The chunk's shards under the scheme that nothing else is made of (no other chunk, nor
    // the chunk under another scheme) and that no file uses whole (a shard of 1+M is the chunk
    // itself, its copies the chunk's): their copies go.
    const QString own =
        QStringLiteral("SELECT DISTINCT s.shard_cid FROM chunk_shards s WHERE s.chunk_cid = ? AND "
                       "s.k = %1 AND s.m = %2 AND NOT EXISTS (SELECT 1 FROM chunk_shards o WHERE "
                       "o.shard_cid = s.shard_cid AND (o.chunk_cid <> s.chunk_cid OR o.k <> s.k "
                       "OR o.m <> s.m)) AND NOT EXISTS (SELECT 1 FROM file_chunks fc WHERE fc.cid "
                       "= s.shard_cid)")
            .arg(scheme.k)
            .arg(scheme.m);
    const bool ok = transaction([&] {
        Query busy(this, QStringLiteral("SELECT COUNT(*) FROM placements WHERE locator = '' AND "
                                        "cid IN (") +
                             own + QLatin1Char(')'));
        if (!busy.bind(chunkCid).exec() || !busy.q().next())
            return false;
        if (busy.q().value(0).toInt() > 0) {
            out.result = RetiredShards::Result::Busy;
            return true;
        }
        busy.q().finish();
        Query count(this, QStringLiteral("SELECT COUNT(*) FROM placements WHERE cid IN (") + own +
                              QLatin1Char(')'));
        if (!count.bind(chunkCid).exec() || !count.q().next())
            return false;
        out.objects = count.q().value(0).toInt();
        count.q().finish();
        // As a removal does: each object becomes a deletion (its bytes stay counted in the
        // provider's usage until it is deleted), and its placement is forgotten. The rows in
        // chunk_shards go last: the shards are then no one's (refs, by trigger).
        Query record(this, QStringLiteral("INSERT OR IGNORE INTO deletions (provider_id, locator, "
                                          "cid, size, created_at) SELECT p.provider_id, "
                                          "p.locator, p.cid, c.size, ? FROM placements p JOIN "
                                          "chunks c ON c.cid = p.cid WHERE p.cid IN (") +
                               own + QLatin1Char(')'));
        Query drop(this, QStringLiteral("DELETE FROM placements WHERE cid IN (") + own +
                             QLatin1Char(')'));
        Query unlink(this, QStringLiteral("DELETE FROM chunk_shards WHERE chunk_cid = ? AND k = ? "
                                          "AND m = ?"));
        if (!record.bind(registrycolumns::nowSecs()).bind(chunkCid).exec() ||
            !drop.bind(chunkCid).exec() ||
            !unlink.bind(chunkCid).bind(scheme.k).bind(scheme.m).exec())
            return false;
        out.result = RetiredShards::Result::Retired;
        return true;
    });
    if (!ok)
        out.result = RetiredShards::Result::Failed;
    return out;
}

int ShardRows::chunksNotWhole(qint64 modelId, int k, int m, int copies)
{
    const QString whole =
        k > 0 ? wholeInShards(QStringLiteral("c.cid"), Scheme{k, m})
              : QStringLiteral("(SELECT COUNT(*) FROM placements p WHERE p.cid = c.cid AND "
                               "p.state = 'stored' AND p.provider_id NOT IN (SELECT provider_id "
                               "FROM provider_drains)) >= %1")
                    .arg(copies);
    Query q(this, QStringLiteral("SELECT COUNT(*) FROM chunks c WHERE EXISTS (SELECT 1 FROM "
                                 "file_chunks fc JOIN files f ON f.id = fc.file_id WHERE fc.cid = "
                                 "c.cid AND f.state = 'complete' AND f.model_id = ?) AND NOT (") +
                      whole + QLatin1Char(')'));
    if (!q.bind(modelId).exec() || !q.q().next())
        return -1;
    return q.q().value(0).toInt();
}

QString ShardRows::modelRedundancy(qint64 modelId)
{
    Query q(this, QStringLiteral("SELECT redundancy FROM models WHERE id = ?"));
    return q.bind(modelId).exec() && q.q().next() ? q.q().value(0).toString() : QString();
}

bool ShardRows::setModelRedundancy(qint64 modelId, const QString& scheme, bool republish)
{
    Query q(this, republish ? QStringLiteral("UPDATE models SET redundancy = ?, catalog_dirty = "
                                             "catalog_dirty + 1 WHERE id = ?")
                            : QStringLiteral("UPDATE models SET redundancy = ? WHERE id = ?"));
    return q.bind(scheme).bind(modelId).exec();
}

QString ShardRows::readableFromShards(const QString& cid)
{
    // One stored copy of a shard reads as every index it is.
    return QStringLiteral("EXISTS (SELECT 1 FROM chunk_shards s WHERE s.chunk_cid = %1 GROUP BY "
                          "s.k, s.m HAVING SUM(EXISTS (SELECT 1 FROM placements sp WHERE sp.cid "
                          "= s.shard_cid AND sp.state = 'stored')) >= s.k)")
        .arg(cid);
}

QString ShardRows::mayShareProviders(const QString& cid)
{
    return QStringLiteral("EXISTS (SELECT 1 FROM chunk_shards s JOIN placements sp ON sp.cid = "
                          "s.shard_cid AND sp.state = 'stored' WHERE s.chunk_cid = %1 GROUP BY "
                          "s.k, s.m, s.idx HAVING COUNT(*) > 1)")
        .arg(cid);
}

bool ShardRows::wholeApart(const QString& chunkCid)
{
    const auto stored = storedShards(chunkCid);
    return stored && stored->ownCopies >= stored->scheme.k + stored->scheme.m;
}

QString ShardRows::wholeInShards(const QString& cid, const std::optional<Scheme>& scheme)
{
    const QString only =
        scheme ? QStringLiteral(" AND s.k = %1 AND s.m = %2").arg(scheme->k).arg(scheme->m)
               : QString();
    // And as many providers as shards between them: two shards whose only copies are on one
    // provider are both lost with it. (With a shard on several providers, fewer providers than
    // that can still be enough; `verify` judges each index's providers exactly, shardspread.h.)
    const QString sql = QStringLiteral("EXISTS (SELECT 1 FROM chunk_shards s WHERE s.chunk_cid = "
                                       "%1") +
                        only + QStringLiteral(" GROUP BY s.k, s.m HAVING SUM(") + OwnCopy +
                        QStringLiteral(") >= s.k + s.m AND (") + ShardProviders +
                        QStringLiteral(") >= s.k + s.m)");
    return sql.arg(cid);
}

} // namespace mf
