// HealthRows: the vault's totals for `stats` and the providers view, read from the counts schema
// 14's triggers keep (migrations.cpp) and from the few rows that are not counted, so that they
// take as long in a vault of a million chunks as in an empty one.

#include "registry.h"
#include "registryquery.h"

namespace mf {

namespace {
// What deduplication is measured on: the references of complete files of complete models to
// chunks that have a stored copy. An unfinished float, a model taken in from a catalog whose
// chunks are stored nowhere here, or a chunk lost everywhere saves nothing: only bytes that were
// kept once instead of twice are savings.
//
// Their bytes: a complete file's manifest tiles it (completeFile(), and the catalog's check of
// what it takes in), so its references' bytes are its size, less those of its chunks that have
// no stored copy: few, found through the index of such chunks (chunks_lost). CROSS JOIN keeps
// that order.
const QLatin1String ReferencedBytes(
    "(SELECT COALESCE(SUM(f.size), 0) FROM files f JOIN models m ON m.id = f.model_id WHERE "
    "f.state = 'complete' AND m.state = 'complete') - (SELECT COALESCE(SUM(c.size), 0) FROM "
    "chunks c CROSS JOIN file_chunks fc ON fc.cid = c.cid JOIN files f ON f.id = fc.file_id JOIN "
    "models m ON m.id = f.model_id WHERE c.copies = 0 AND f.state = 'complete' AND m.state = "
    "'complete')");
// The same chunks counted once: every chunk with a stored copy (counted), less those that no
// complete file of a complete model uses. Those are orphans (chunks_orphaned) or used only by
// unfinished files and models: few, found without reading every chunk (from the files, not the
// manifests: CROSS JOIN again).
const QLatin1String ReferencedUniqueBytes(
    "v.stored_chunk_bytes - (SELECT COALESCE(SUM(c.size), 0) FROM (SELECT cid FROM chunks WHERE "
    "refs = 0 UNION SELECT fc.cid FROM files f CROSS JOIN models m ON m.id = f.model_id CROSS "
    "JOIN file_chunks fc ON fc.file_id = f.id WHERE f.state <> 'complete' OR m.state <> "
    "'complete') "
    "u CROSS JOIN chunks c ON c.cid = u.cid WHERE c.copies > 0 AND NOT EXISTS (SELECT 1 FROM "
    "file_chunks o JOIN files f ON f.id = o.file_id JOIN models m ON m.id = f.model_id WHERE "
    "o.cid = c.cid AND f.state = 'complete' AND m.state = 'complete'))");
} // namespace

VaultStats HealthRows::stats()
{
    VaultStats s;
    Query q(this,
            QStringLiteral("SELECT (SELECT COUNT(*) FROM models), (SELECT COUNT(*) FROM files), "
                           "(SELECT COALESCE(SUM(size), 0) FROM files), v.chunk_bytes, (SELECT "
                           "COALESCE(SUM(stored_bytes), 0) FROM providers), v.chunks, "
                           "v.placements, (SELECT COUNT(*) FROM placements b JOIN chunks c ON "
                           "c.cid = b.cid WHERE b.state IN ('missing', 'corrupt') AND c.copies < "
                           "?), ") +
                ReferencedBytes + QStringLiteral(", ") + ReferencedUniqueBytes +
                // Few next to the chunks unless models are kept as shards; read by its index.
                QStringLiteral(", (SELECT COUNT(DISTINCT shard_cid) FROM chunk_shards) FROM "
                               "vault_counts v"));
    q.bind(wantedCopies());
    if (q.exec() && q.q().next()) {
        s.models = q.q().value(0).toInt();
        s.files = q.q().value(1).toInt();
        s.logicalBytes = q.q().value(2).toLongLong();
        s.uniqueBytes = q.q().value(3).toLongLong();
        s.storedBytes = q.q().value(4).toLongLong();
        s.chunks = q.q().value(5).toInt();
        s.placements = q.q().value(6).toInt();
        s.unhealthyPlacements = q.q().value(7).toInt();
        s.referencedBytes = q.q().value(8).toLongLong();
        s.referencedUniqueBytes = q.q().value(9).toLongLong();
        s.shards = q.q().value(10).toInt();
    }
    return s;
}

QHash<qint64, qint64> HealthRows::storedBytesByProvider()
{
    QHash<qint64, qint64> out;
    Query q(this, QStringLiteral("SELECT id, stored_bytes FROM providers WHERE stored_chunks > 0"));
    if (q.exec())
        while (q.q().next())
            out.insert(q.q().value(0).toLongLong(), q.q().value(1).toLongLong());
    return out;
}

} // namespace mf
