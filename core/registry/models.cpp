// ModelRows: models and their files, with each file's manifest (its ordered chunks) as a float
// writes it.
#include "chunking/unixfs.h"
#include "modelname.h"
#include "modelrow.h"
#include "registry.h"
#include "registryquery.h"

namespace mf {

using registrycolumns::fromJson;
using registrycolumns::nowSecs;
using registrycolumns::toJson;

namespace {

const char* const ModelColumns =
    "SELECT id, name, source, created_at, tags, state, degraded, redundancy FROM models ";

FileRecord fileFrom(const QSqlQuery& q)
{
    FileRecord r;
    r.id = q.value(0).toLongLong();
    r.modelId = q.value(1).toLongLong();
    r.path = q.value(2).toString();
    r.size = q.value(3).toLongLong();
    r.sha256 = q.value(4).toString().toLatin1();
    r.chunker = q.value(5).toString();
    r.metadata = fromJson(q.value(6).toString());
    r.state = q.value(7).toString() == QLatin1String("complete") ? FileRecord::State::Complete
                                                                 : FileRecord::State::Incomplete;
    r.cid = q.value(8).toString();
    r.dagSize = q.value(9).toLongLong();
    return r;
}
const char* const FileColumns = "SELECT id, model_id, path, size, sha256, chunker, metadata, "
                                "state, cid, dag_size FROM files ";

} // namespace

std::optional<ModelRecord> ModelRows::modelByName(const QString& name)
{
    Query q(this, QLatin1String(ModelColumns) + QStringLiteral("WHERE name = ?"));
    q.bind(name);
    if (q.exec() && q.q().next())
        return modelFromRow(q.q());
    return std::nullopt;
}

std::optional<ModelRecord> ModelRows::model(qint64 id)
{
    Query q(this, QLatin1String(ModelColumns) + QStringLiteral("WHERE id = ?"));
    q.bind(id);
    if (q.exec() && q.q().next())
        return modelFromRow(q.q());
    return std::nullopt;
}

QList<ModelRecord> ModelRows::models()
{
    QList<ModelRecord> out;
    Query q(this, QLatin1String(ModelColumns) + QStringLiteral("ORDER BY name"));
    if (q.exec())
        while (q.q().next())
            out.append(modelFromRow(q.q()));
    return out;
}

QList<ModelRecord> ModelRows::modelPage(const QString& search, int offset, int limit, int* total)
{
    QList<ModelRecord> out;
    *total = 0;
    if (search.isEmpty()) {
        Query count(this, QStringLiteral("SELECT COUNT(*) FROM models"));
        if (count.exec() && count.q().next())
            *total = count.q().value(0).toInt();
        Query q(this,
                QLatin1String(ModelColumns) + QStringLiteral("ORDER BY name LIMIT ? OFFSET ?"));
        q.bind(limit).bind(qint64(offset));
        if (q.exec())
            while (q.q().next())
                out.append(modelFromRow(q.q()));
        return out;
    }
    // SQLite's LIKE folds ASCII letters only: the names are matched here, as Qt folds case.
    QList<qint64> page;
    Query names(this, QStringLiteral("SELECT id, name FROM models ORDER BY name"));
    if (names.exec())
        while (names.q().next())
            if (names.q().value(1).toString().contains(search, Qt::CaseInsensitive)) {
                if (*total >= offset && page.size() < limit)
                    page.append(names.q().value(0).toLongLong());
                ++*total;
            }
    for (const qint64 id : std::as_const(page))
        if (auto m = model(id))
            out.append(*m);
    return out;
}

QSet<qint64> ModelRows::modelIds()
{
    QSet<qint64> out;
    Query q(this, QStringLiteral("SELECT id FROM models"));
    if (q.exec())
        while (q.q().next())
            out.insert(q.q().value(0).toLongLong());
    return out;
}

std::optional<qint64> ModelRows::createModel(const QString& name, const QString& source,
                                             const QString& owner)
{
    // The last guard: whichever way a name comes in (a float, an import, a catalog from another
    // vault), a model that breaks the naming rules is not made.
    if (const QString bad = modelname::problem(name); !bad.isEmpty()) {
        m_db.setLastError(bad);
        return std::nullopt;
    }
    Query q(this, QStringLiteral("INSERT INTO models (name, source, created_at, lease_owner, "
                                 "lease_expires) VALUES (?, ?, ?, ?, ?)"));
    if (!q.bind(name)
             .bind(source)
             .bind(nowSecs())
             .bind(owner)
             .bind(nowSecs() + ModelLeaseSecs)
             .exec())
        return std::nullopt;
    return q.lastId();
}

bool ModelRows::setModelState(qint64 id, ModelRecord::State state)
{
    Query q(this, QStringLiteral("UPDATE models SET state = ? WHERE id = ?"));
    return q
        .bind(state == ModelRecord::State::Complete ? QStringLiteral("complete")
                                                    : QStringLiteral("incomplete"))
        .bind(id)
        .exec();
}

bool ModelRows::removeModel(qint64 id, const QString& owner, QString* writer)
{
    // files and file_chunks go by ON DELETE CASCADE, in the statement's own transaction.
    return transaction([&] {
        // A model another job or process is writing right now is not pulled from under it.
        const QString holder = modelWriter(id, owner);
        if (!holder.isEmpty()) {
            if (writer)
                *writer = holder;
            return fail(QStringLiteral("remove model"),
                        QStringLiteral("it is being floated right now (process %1); cancel that "
                                       "float first, or wait for it to end")
                            .arg(holder));
        }
        const std::optional<ModelRecord> removed = model(id);
        if (!removed)
            return true; // already gone
        Query q(this, QStringLiteral("DELETE FROM models WHERE id = ?"));
        if (!q.bind(id).exec())
            return false;
        // Its unfinished jobs are cancelled in the same transaction: a float that a killed
        // process left would otherwise be resumed by the next one and bring the model back.
        return m_registry.queueRows().cancelJobsOfModel(
            id, removed->name, QStringLiteral("“%1” was removed").arg(removed->name));
    });
}

std::optional<qint64> ModelRows::beginFile(qint64 modelId, const QString& path, qint64 size,
                                           const QString& chunker, const QString& owner)
{
    std::optional<qint64> result;
    const bool ok = transaction([&] {
        if (!checkModelLease(modelId, owner))
            return false;
        Query find(this,
                   QStringLiteral("SELECT id, state FROM files WHERE model_id = ? AND path = ?"));
        if (!find.bind(modelId).bind(path).exec())
            return false;
        if (find.q().next()) {
            const qint64 id = find.q().value(0).toLongLong();
            if (find.q().value(1).toString() == QLatin1String("complete"))
                return fail(QStringLiteral("begin file"),
                            QStringLiteral("“%1” is already complete in this model").arg(path));
            find.q().finish();
            // The interrupted scan's rows are kept, moved below index 0, where they are no part
            // of the manifest (fileChunks(), completeFile()) but still refer to their chunks:
            // cleared, the chunks this file has stored would be orphans until the new scan
            // reaches them again, and an rm or collect running meanwhile (in any process) would
            // delete them, to be sent again. Each interruption moves its rows below the ones
            // kept before; one row per chunk is enough to keep it. completeFile() drops them.
            Query lowest(this, QStringLiteral("SELECT MIN(COALESCE(MIN(idx), 0), 0) FROM "
                                              "file_chunks WHERE file_id = ?"));
            if (!lowest.bind(id).exec() || !lowest.q().next())
                return false;
            const qint64 below = lowest.q().value(0).toLongLong() - 1;
            lowest.q().finish();
            Query keep(this, QStringLiteral("UPDATE file_chunks SET idx = ? - idx "
                                            "WHERE file_id = ? AND idx >= 0"));
            Query once(this, QStringLiteral(
                                 "DELETE FROM file_chunks WHERE file_id = ? AND EXISTS (SELECT 1 "
                                 "FROM file_chunks o WHERE o.file_id = ? AND o.cid = "
                                 "file_chunks.cid AND o.idx > file_chunks.idx)"));
            Query reset(this, QStringLiteral("UPDATE files SET size = ?, chunker = ?, sha256 = '' "
                                             "WHERE id = ?"));
            if (!keep.bind(below).bind(id).exec() || !once.bind(id).bind(id).exec() ||
                !reset.bind(size).bind(chunker).bind(id).exec())
                return false;
            result = id;
            return true;
        }
        Query insert(this, QStringLiteral("INSERT INTO files (model_id, path, size, chunker) "
                                          "VALUES (?, ?, ?, ?)"));
        if (!insert.bind(modelId).bind(path).bind(size).bind(chunker).exec())
            return false;
        result = insert.lastId();
        return true;
    });
    return ok ? result : std::nullopt;
}

bool ModelRows::appendChunks(qint64 fileId, const QList<FileChunk>& chunks, const QString& owner)
{
    return transaction([&] {
        if (!checkFileLease(fileId, owner))
            return false;
        // A complete file's manifest is what restores rely on; only a scan in progress grows.
        Query file(this, QStringLiteral("SELECT state FROM files WHERE id = ?"));
        if (!file.bind(fileId).exec())
            return false;
        if (!file.q().next())
            return fail(QStringLiteral("append chunks"), QStringLiteral("no such file"));
        if (file.q().value(0).toString() == QLatin1String("complete"))
            return fail(QStringLiteral("append chunks"),
                        QStringLiteral("the file is already complete"));
        file.q().finish();
        Query chunk(this, QStringLiteral("INSERT OR IGNORE INTO chunks (cid, size, dag_cid, "
                                         "dag_size) VALUES (?, ?, NULLIF(?, ''), NULLIF(?, 0))"));
        Query known(this, QStringLiteral("SELECT size FROM chunks WHERE cid = ?"));
        // A chunk recorded before its DAG was computed (by an older version) learns it now.
        Query learn(this, QStringLiteral("UPDATE chunks SET dag_cid = ?, dag_size = ? WHERE "
                                         "cid = ? AND dag_cid IS NULL"));
        Query link(this, QStringLiteral("INSERT INTO file_chunks (file_id, idx, offset, cid) "
                                        "VALUES (?, ?, ?, ?)"));
        for (const FileChunk& c : chunks) {
            if (!chunk.bind(c.cid).bind(c.size).bind(c.dagCid).bind(c.dagSize).exec())
                return false;
            if (chunk.affected() == 0) {
                // Already known. A CID names its bytes, so another size means a bug upstream;
                // recording it would give this file a manifest that does not describe it.
                if (!known.bind(c.cid).exec() || !known.q().next())
                    return false;
                const qint64 size = known.q().value(0).toLongLong();
                known.q().finish();
                if (size != c.size)
                    return fail(QStringLiteral("append chunks"),
                                QStringLiteral("chunk %1 is recorded with %2 bytes, not %3")
                                    .arg(c.cid)
                                    .arg(size)
                                    .arg(c.size));
                if (!c.dagCid.isEmpty() && !learn.bind(c.dagCid).bind(c.dagSize).bind(c.cid).exec())
                    return false;
            }
            if (!link.bind(fileId).bind(c.index).bind(c.offset).bind(c.cid).exec())
                return false;
        }
        return true;
    });
}

bool ModelRows::completeFile(qint64 fileId, const QByteArray& sha256Hex,
                             const QJsonObject& metadata, const QString& owner)
{
    return transaction([&] {
        if (!checkFileLease(fileId, owner))
            return false;
        Query file(this, QStringLiteral("SELECT size FROM files WHERE id = ?"));
        if (!file.bind(fileId).exec() || !file.q().next())
            return fail(QStringLiteral("complete file"), QStringLiteral("no such file"));
        const qint64 size = file.q().value(0).toLongLong();
        file.q().finish();
        // The manifest must tile the file exactly: indices 0, 1, 2, ..., each chunk starting
        // where the one before ended, the last ending at the end of the file. Sizes that merely
        // add up are not enough (a gap and an overlap cancel out).
        Query manifest(this, QStringLiteral("SELECT fc.idx, fc.offset, c.size FROM file_chunks fc "
                                            "JOIN chunks c ON c.cid = fc.cid WHERE fc.file_id = ? "
                                            "AND fc.idx >= 0 ORDER BY fc.idx"));
        if (!manifest.bind(fileId).exec())
            return false;
        qint64 index = 0;
        qint64 covered = 0;
        while (manifest.q().next()) {
            const qint64 idx = manifest.q().value(0).toLongLong();
            const qint64 offset = manifest.q().value(1).toLongLong();
            if (idx != index || offset != covered)
                return fail(QStringLiteral("complete file"),
                            QStringLiteral("the manifest has chunk %1 at byte %2 where chunk %3 "
                                           "at byte %4 should be")
                                .arg(idx)
                                .arg(offset)
                                .arg(index)
                                .arg(covered));
            ++index;
            covered += manifest.q().value(2).toLongLong();
        }
        manifest.q().finish();
        if (covered != size)
            return fail(QStringLiteral("complete file"),
                        QStringLiteral("manifest covers %1 of %2 bytes").arg(covered).arg(size));
        std::optional<unixfs::Node> dag;
        if (!fileDagFromManifest(fileId, &dag))
            return false;
        // What interrupted scans kept (beginFile()) has served: the chunks the manifest does
        // not use are orphans from now on.
        Query kept(this, QStringLiteral("DELETE FROM file_chunks WHERE file_id = ? AND idx < 0"));
        Query q(this, QStringLiteral("UPDATE files SET sha256 = ?, metadata = ?, state = "
                                     "'complete', cid = ?, dag_size = ? WHERE id = ?"));
        return kept.bind(fileId).exec() &&
               q.bind(QString::fromLatin1(sha256Hex))
                   .bind(toJson(metadata))
                   .bind(dag ? unixfs::toText(dag->cid) : QVariant())
                   .bind(dag ? QVariant(qint64(dag->cumulativeSize)) : QVariant())
                   .bind(fileId)
                   .exec();
    });
}

QList<FileRecord> ModelRows::files(qint64 modelId)
{
    QList<FileRecord> out;
    Query q(this, QLatin1String(FileColumns) + QStringLiteral("WHERE model_id = ? ORDER BY path"));
    q.bind(modelId);
    if (q.exec())
        while (q.q().next())
            out.append(fileFrom(q.q()));
    return out;
}

std::optional<FileRecord> ModelRows::file(qint64 modelId, const QString& path)
{
    Query q(this, QLatin1String(FileColumns) + QStringLiteral("WHERE model_id = ? AND path = ?"));
    q.bind(modelId).bind(path);
    if (q.exec() && q.q().next())
        return fileFrom(q.q());
    return std::nullopt;
}

QList<FileChunk> ModelRows::fileChunks(qint64 fileId)
{
    QList<FileChunk> out;
    Query q(this,
            QStringLiteral("SELECT fc.idx, fc.offset, c.size, fc.cid, c.dag_cid, c.dag_size FROM "
                           "file_chunks fc JOIN chunks c ON c.cid = fc.cid WHERE fc.file_id = ? "
                           "AND fc.idx >= 0 ORDER BY fc.idx"));
    q.bind(fileId);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toInt(), q.q().value(1).toLongLong(),
                        q.q().value(2).toLongLong(), q.q().value(3).toString(),
                        q.q().value(4).toString(), q.q().value(5).toLongLong()});
    return out;
}

} // namespace mf
