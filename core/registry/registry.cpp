#include "registry.h"

#include "chunking/unixfs.h"
#include "migrations.h"
#include "modelname.h"
#include "modelrow.h"
#include "registryquery.h"
#include "shortlocator.h"
#include "sqlerror.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

namespace mf {

namespace {

QString toJson(const QJsonObject& o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
QJsonObject fromJson(const QString& s)
{
    return QJsonDocument::fromJson(s.toUtf8()).object();
}
qint64 nowSecs()
{
    return QDateTime::currentSecsSinceEpoch();
}

constexpr int BusyTimeoutMs = 10000;
constexpr int SqliteBusy = 5; // SQLITE_BUSY, the primary result code of "database is locked"

PlacementState placementStateFromName(const QString& name)
{
    if (name == QLatin1String("stored"))
        return PlacementState::Stored;
    if (name == QLatin1String("missing"))
        return PlacementState::Missing;
    if (name == QLatin1String("corrupt"))
        return PlacementState::Corrupt;
    return PlacementState::Pending;
}

ProviderRecord providerFrom(const QSqlQuery& q)
{
    ProviderRecord r;
    r.id = q.value(0).toLongLong();
    r.kind = q.value(1).toString();
    r.name = q.value(2).toString();
    r.settings = fromJson(q.value(3).toString());
    r.quotaBytes = q.value(4).toLongLong();
    r.usedBytes = q.value(5).toLongLong();
    r.health = q.value(6).toString();
    r.enabled = q.value(7).toBool();
    r.draining = q.value(8).toBool();
    r.unreachableSince = q.value(9).toLongLong();
    return r;
}
const char* const ProviderColumns =
    "SELECT id, kind, name, settings, quota_bytes, used_bytes, health, enabled, EXISTS (SELECT 1 "
    "FROM provider_drains d WHERE d.provider_id = providers.id), unreachable_since FROM "
    "providers ";

const char* const ModelColumns =
    "SELECT id, name, source, created_at, tags, state, degraded FROM models ";

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

Placement placementFrom(const QSqlQuery& q)
{
    Placement p;
    p.cid = q.value(0).toString();
    p.providerId = q.value(1).toLongLong();
    p.locator = q.value(2).toString();
    p.state = placementStateFromName(q.value(3).toString());
    if (!q.value(4).isNull())
        // UTC: a local-time QDateTime made per row re-reads the time zone (a stat of
        // /etc/localtime each), which made restoring a model of many files quadratic.
        p.verifiedAt = QDateTime::fromSecsSinceEpoch(q.value(4).toLongLong(), Qt::UTC);
    return p;
}

} // namespace

QString placementStateName(PlacementState state)
{
    switch (state) {
    case PlacementState::Pending:
        return QStringLiteral("pending");
    case PlacementState::Stored:
        return QStringLiteral("stored");
    case PlacementState::Missing:
        return QStringLiteral("missing");
    case PlacementState::Corrupt:
        return QStringLiteral("corrupt");
    }
    return {};
}

Registry::~Registry()
{
    m_statements.clear(); // before the connection they belong to
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

std::unique_ptr<Registry> Registry::open(const QString& path, QString* error, Schema schema)
{
    static QAtomicInteger<quint64> counter;
    std::unique_ptr<Registry> r(new Registry);
    r->m_path = path;
    r->m_connectionName =
        QStringLiteral("modelfloat-registry-%1").arg(counter.fetchAndAddRelaxed(1));
    r->m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), r->m_connectionName);
    r->m_db.setDatabaseName(path);
    // Another process (the CLI beside the app) may hold a write lock briefly.
    r->m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(BusyTimeoutMs));
    if (!r->m_db.open()) {
        *error = QStringLiteral("Cannot open the registry “%1”: %2")
                     .arg(path, describeSqlError(r->m_db.lastError()));
        return nullptr;
    }
    QSqlQuery q(r->m_db);
    // Per-connection settings first; they change nothing in the file.
    for (const char* pragma : {"PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"}) {
        if (!q.exec(QLatin1String(pragma))) {
            *error = QStringLiteral("Cannot open the registry “%1”: %2")
                         .arg(path, describeSqlError(q.lastError()));
            return nullptr;
        }
    }
    q.finish();
    // Migrations before WAL: switching the journal mode rewrites the file header, and a vault
    // from a newer ModelFloat must be refused without a single byte changed.
    QString migrateError;
    if (!migrations::migrate(r->m_db, &migrateError, schema == Schema::MustExist)) {
        *error = QStringLiteral("Cannot open the registry “%1”: %2").arg(path, migrateError);
        return nullptr;
    }
    // WAL: readers never block the writer; synchronous=NORMAL is durable across crashes of the
    // process and only risks the last transactions on power loss, never corruption.
    // The switch is made once, when the vault is new, and unlike other statements it does not
    // wait for the lock: SQLite answers "busy" at once while another connection (a second
    // process creating the same vault) holds it. So it is retried for as long as the busy
    // timeout would have waited.
    QElapsedTimer waited;
    waited.start();
    while (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL"))) {
        const bool busy = (q.lastError().nativeErrorCode().toInt() & 0xff) == SqliteBusy;
        if (!busy || waited.elapsed() > BusyTimeoutMs) {
            *error = QStringLiteral("Cannot open the registry “%1”: %2")
                         .arg(path, describeSqlError(q.lastError()));
            return nullptr;
        }
        QThread::msleep(5);
    }
    q.finish();
    return r;
}

bool Registry::fail(const QString& what, const QString& detail)
{
    m_lastError = QStringLiteral("Registry error (%1): %2").arg(what, detail);
    return false;
}

bool Registry::transaction(const std::function<bool()>& work)
{
    // Nested calls join the outer transaction. What they wrote cannot be undone on its own, so
    // their failure dooms the whole transaction, even if the outer work carries on.
    if (m_transactionDepth > 0) {
        ++m_transactionDepth;
        const bool ok = work();
        --m_transactionDepth;
        if (!ok)
            m_rollbackOnly = true;
        return ok;
    }
    {
        // IMMEDIATE takes the write lock up front (waiting for it under the busy timeout). A
        // deferred transaction that reads and then writes fails at once with "database is
        // locked" when another connection committed in between.
        QSqlQuery begin(m_db);
        if (!begin.exec(QStringLiteral("BEGIN IMMEDIATE")))
            return fail(QStringLiteral("begin"), begin.lastError().text());
    }
    m_rollbackOnly = false;
    ++m_transactionDepth;
    const bool ok = work() && !m_rollbackOnly;
    --m_transactionDepth;
    m_rollbackOnly = false;
    if (ok && m_db.commit())
        return true;
    if (ok)
        fail(QStringLiteral("commit"), m_db.lastError().text());
    m_db.rollback();
    return false;
}

bool Registry::readSnapshot(const std::function<bool()>& work)
{
    if (m_transactionDepth > 0)
        return work();
    {
        // Deferred: the snapshot is taken by the first read and held until the end (WAL mode).
        // Not counted as a transaction: a write inside would fail at its BEGIN, not be lost.
        QSqlQuery begin(m_db);
        if (!begin.exec(QStringLiteral("BEGIN DEFERRED")))
            return fail(QStringLiteral("begin"), begin.lastError().text());
    }
    const bool ok = work();
    // Nothing was written: ending it either way only lets the snapshot go.
    if (!m_db.commit())
        m_db.rollback();
    return ok;
}

int Registry::schemaVersion()
{
    Query q(this, QStringLiteral("SELECT version FROM schema_version"));
    return q.exec() && q.q().next() ? q.q().value(0).toInt() : -1;
}

QString Registry::setting(const QString& key, const QString& fallback)
{
    Query q(this, QStringLiteral("SELECT value FROM vault_settings WHERE key = ?"));
    q.bind(key);
    return q.exec() && q.q().next() ? q.q().value(0).toString() : fallback;
}

bool Registry::setSetting(const QString& key, const QString& value)
{
    Query q(this, QStringLiteral("INSERT INTO vault_settings (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    return q.bind(key).bind(value).exec();
}

std::optional<qint64> Registry::addProvider(const ProviderRecord& r)
{
    // A new id is above every id ever given, to providers removed since too (SQLite alone would
    // give the highest one again): secrets are kept under a provider's id, and a new provider
    // must never find a removed one's. The highest id given is kept in the vault's settings.
    const QString lastIdKey = QStringLiteral("providers.lastId");
    qint64 id = 0;
    const bool ok = transaction([&] {
        Query last(this, QStringLiteral("SELECT MAX(COALESCE((SELECT MAX(id) FROM providers), 0), "
                                        "COALESCE((SELECT CAST(value AS INTEGER) FROM "
                                        "vault_settings WHERE key = ?), 0))"));
        if (!last.bind(lastIdKey).exec() || !last.q().next())
            return false;
        id = last.q().value(0).toLongLong() + 1;
        Query q(this, QStringLiteral("INSERT INTO providers (id, kind, name, settings, "
                                     "quota_bytes, health, enabled, created_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        q.bind(id).bind(r.kind).bind(r.name).bind(toJson(r.settings)).bind(r.quotaBytes);
        q.bind(r.health.isEmpty() ? QStringLiteral("unknown") : r.health)
            .bind(r.enabled)
            .bind(nowSecs());
        // A vault from before ids were kept may give a removed provider's id once more: what
        // is still kept under that id (settings) is not the new provider's.
        Query stale(this, QStringLiteral("DELETE FROM vault_settings WHERE key LIKE ?"));
        return q.exec() && setSetting(lastIdKey, QString::number(id)) &&
               stale.bind(QStringLiteral("provider.%1.%").arg(id)).exec();
    });
    if (!ok)
        return std::nullopt;
    return id;
}

QList<ProviderRecord> Registry::providers()
{
    QList<ProviderRecord> out;
    Query q(this, QLatin1String(ProviderColumns) + QStringLiteral("ORDER BY id"));
    if (q.exec())
        while (q.q().next())
            out.append(providerFrom(q.q()));
    return out;
}

std::optional<ProviderRecord> Registry::provider(qint64 id)
{
    Query q(this, QLatin1String(ProviderColumns) + QStringLiteral("WHERE id = ?"));
    q.bind(id);
    if (q.exec() && q.q().next())
        return providerFrom(q.q());
    return std::nullopt;
}

std::optional<ProviderRecord> Registry::providerByName(const QString& name)
{
    Query q(this, QLatin1String(ProviderColumns) + QStringLiteral("WHERE name = ?"));
    q.bind(name);
    if (q.exec() && q.q().next())
        return providerFrom(q.q());
    return std::nullopt;
}

bool Registry::setProviderHealth(qint64 id, const QString& health)
{
    Query q(this, QStringLiteral("UPDATE providers SET health = ? WHERE id = ?"));
    // A test that passed is an answer (reachability.cpp).
    return q.bind(health).bind(id).exec() &&
           (health != ProviderRecord::healthAfterTest({}) || recordProviderAnswer(id, true));
}

bool Registry::updateProvider(const ProviderRecord& r)
{
    Query q(this, QStringLiteral(
                      "UPDATE providers SET name = ?, settings = ?, quota_bytes = ? WHERE id = ?"));
    return q.bind(r.name).bind(toJson(r.settings)).bind(r.quotaBytes).bind(r.id).exec();
}

bool Registry::addProviderUsage(qint64 id, qint64 deltaBytes)
{
    Query q(this, QStringLiteral(
                      "UPDATE providers SET used_bytes = MAX(0, used_bytes + ?) WHERE id = ?"));
    return q.bind(deltaBytes).bind(id).exec();
}

bool Registry::removeProvider(qint64 id)
{
    // Its settings ("provider.<id>.*") go with it.
    return transaction([&] {
        Query placements(this, QStringLiteral("DELETE FROM placements WHERE provider_id = ?"));
        Query settings(this, QStringLiteral("DELETE FROM vault_settings WHERE key LIKE ?"));
        Query provider(this, QStringLiteral("DELETE FROM providers WHERE id = ?"));
        return placements.bind(id).exec() &&
               settings.bind(QStringLiteral("provider.%1.%").arg(id)).exec() &&
               provider.bind(id).exec();
    });
}

std::optional<ModelRecord> Registry::modelByName(const QString& name)
{
    Query q(this, QLatin1String(ModelColumns) + QStringLiteral("WHERE name = ?"));
    q.bind(name);
    if (q.exec() && q.q().next())
        return modelFromRow(q.q());
    return std::nullopt;
}

std::optional<ModelRecord> Registry::model(qint64 id)
{
    Query q(this, QLatin1String(ModelColumns) + QStringLiteral("WHERE id = ?"));
    q.bind(id);
    if (q.exec() && q.q().next())
        return modelFromRow(q.q());
    return std::nullopt;
}

QList<ModelRecord> Registry::models()
{
    QList<ModelRecord> out;
    Query q(this, QLatin1String(ModelColumns) + QStringLiteral("ORDER BY name"));
    if (q.exec())
        while (q.q().next())
            out.append(modelFromRow(q.q()));
    return out;
}

QSet<qint64> Registry::modelIds()
{
    QSet<qint64> out;
    Query q(this, QStringLiteral("SELECT id FROM models"));
    if (q.exec())
        while (q.q().next())
            out.insert(q.q().value(0).toLongLong());
    return out;
}

std::optional<qint64> Registry::createModel(const QString& name, const QString& source,
                                            const QString& owner)
{
    // The last guard: whichever way a name comes in (a float, an import, a catalog from another
    // vault), a model that breaks the naming rules is not made.
    if (const QString bad = modelname::problem(name); !bad.isEmpty()) {
        m_lastError = bad;
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

bool Registry::setModelState(qint64 id, ModelRecord::State state)
{
    Query q(this, QStringLiteral("UPDATE models SET state = ? WHERE id = ?"));
    return q
        .bind(state == ModelRecord::State::Complete ? QStringLiteral("complete")
                                                    : QStringLiteral("incomplete"))
        .bind(id)
        .exec();
}

bool Registry::removeModel(qint64 id, const QString& owner, QString* writer)
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
        Query q(this, QStringLiteral("DELETE FROM models WHERE id = ?"));
        return q.bind(id).exec();
    });
}

std::optional<qint64> Registry::beginFile(qint64 modelId, const QString& path, qint64 size,
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

bool Registry::appendChunks(qint64 fileId, const QList<FileChunk>& chunks, const QString& owner)
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

bool Registry::completeFile(qint64 fileId, const QByteArray& sha256Hex, const QJsonObject& metadata,
                            const QString& owner)
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

QList<FileRecord> Registry::files(qint64 modelId)
{
    QList<FileRecord> out;
    Query q(this, QLatin1String(FileColumns) + QStringLiteral("WHERE model_id = ? ORDER BY path"));
    q.bind(modelId);
    if (q.exec())
        while (q.q().next())
            out.append(fileFrom(q.q()));
    return out;
}

std::optional<FileRecord> Registry::file(qint64 modelId, const QString& path)
{
    Query q(this, QLatin1String(FileColumns) + QStringLiteral("WHERE model_id = ? AND path = ?"));
    q.bind(modelId).bind(path);
    if (q.exec() && q.q().next())
        return fileFrom(q.q());
    return std::nullopt;
}

QList<FileChunk> Registry::fileChunks(qint64 fileId)
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

std::optional<qint64> Registry::chunkSize(const QString& cid)
{
    Query q(this, QStringLiteral("SELECT size FROM chunks WHERE cid = ?"));
    q.bind(cid);
    if (q.exec() && q.q().next())
        return q.q().value(0).toLongLong();
    return std::nullopt;
}

QList<Placement> Registry::placements(const QString& cid)
{
    QList<Placement> out;
    Query q(this, QStringLiteral("SELECT cid, provider_id, locator, state, verified_at FROM "
                                 "placements WHERE cid = ? AND locator != '' ORDER BY "
                                 "provider_id")); // no locator: a put that has not ended
    q.bind(cid);
    if (q.exec())
        while (q.q().next())
            out.append(placementFrom(q.q()));
    return out;
}

QHash<QString, QList<Placement>> Registry::placementsOfFile(qint64 fileId)
{
    QHash<QString, QList<Placement>> out;
    Query q(this, QStringLiteral("SELECT p.cid, p.provider_id, p.locator, p.state, p.verified_at "
                                 "FROM placements p WHERE p.cid IN (SELECT cid FROM file_chunks "
                                 "WHERE file_id = ?) AND p.locator != '' ORDER BY p.cid, "
                                 "p.provider_id"));
    q.bind(fileId);
    if (q.exec())
        while (q.q().next()) {
            Placement p = placementFrom(q.q());
            out[p.cid].append(p);
        }
    return out;
}
QHash<QString, QList<Placement>> Registry::placementsOfModel(qint64 modelId)
{
    QHash<QString, QList<Placement>> out;
    Query q(this, QStringLiteral(
                      "SELECT p.cid, p.provider_id, p.locator, p.state, p.verified_at FROM "
                      "placements p WHERE p.cid IN (SELECT fc.cid FROM file_chunks fc JOIN files f "
                      "ON f.id = fc.file_id WHERE f.model_id = ?) AND p.locator != '' "
                      "ORDER BY p.cid, p.provider_id"));
    q.bind(modelId);
    if (q.exec())
        while (q.q().next()) {
            Placement p = placementFrom(q.q());
            out[p.cid].append(p);
        }
    return out;
}

bool Registry::recordPlacement(const Placement& p)
{
    QVariant locator;
    if (!shortLocator(p.cid, p.locator, &locator))
        return fail(QStringLiteral("placement"), unkeptLocator(p.locator));
    Query q(this, QStringLiteral("INSERT INTO placements (cid, provider_id, short_locator, state, "
                                 "verified_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (cid, "
                                 "provider_id) DO UPDATE SET short_locator = "
                                 "excluded.short_locator, state = excluded.state, verified_at = "
                                 "excluded.verified_at"));
    q.bind(p.cid).bind(p.providerId).bind(locator).bind(placementStateName(p.state));
    q.bind(p.verifiedAt.isValid() ? QVariant(p.verifiedAt.toSecsSinceEpoch()) : QVariant());
    return q.exec();
}

bool Registry::setPlacementState(const QString& cid, qint64 providerId, PlacementState state,
                                 bool verifiedNow)
{
    Query q(this, verifiedNow ? QStringLiteral("UPDATE placements SET state = ?, verified_at = ? "
                                               "WHERE cid = ? AND provider_id = ?")
                              : QStringLiteral("UPDATE placements SET state = ? "
                                               "WHERE cid = ? AND provider_id = ?"));
    q.bind(placementStateName(state));
    if (verifiedNow)
        q.bind(nowSecs());
    return q.bind(cid).bind(providerId).exec();
}

bool Registry::removePlacement(const QString& cid, qint64 providerId)
{
    Query q(this, QStringLiteral("DELETE FROM placements WHERE cid = ? AND provider_id = ?"));
    return q.bind(cid).bind(providerId).exec();
}

QHash<QString, int> Registry::chunkModelCounts(qint64 modelId)
{
    QHash<QString, int> out;
    Query q(this,
            QStringLiteral(
                "SELECT fc.cid, COUNT(DISTINCT f.model_id) FROM file_chunks fc JOIN files f "
                "ON f.id = fc.file_id WHERE fc.cid IN (SELECT fc2.cid FROM file_chunks fc2 "
                "JOIN files f2 ON f2.id = fc2.file_id WHERE f2.model_id = ?) GROUP BY fc.cid"));
    q.bind(modelId);
    if (q.exec())
        while (q.q().next())
            out.insert(q.q().value(0).toString(), q.q().value(1).toInt());
    return out;
}

QList<QPair<QString, qint64>> Registry::orphanChunks()
{
    QList<QPair<QString, qint64>> out;
    Query q(this,
            // chunks.refs and its index: schema 14 (migrations.cpp).
            QStringLiteral("SELECT cid, size FROM chunks WHERE refs = 0 ORDER BY cid"));
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toString(), q.q().value(1).toLongLong()});
    return out;
}

bool Registry::removeChunk(const QString& cid)
{
    return transaction([&] {
        // Re-check inside the transaction: a float may have referenced it again meanwhile.
        Query used(this, QStringLiteral("SELECT 1 FROM file_chunks WHERE cid = ? LIMIT 1"));
        if (!used.bind(cid).exec())
            return false;
        if (used.q().next())
            return fail(QStringLiteral("remove chunk"), QStringLiteral("chunk is in use"));
        used.q().finish();
        Query record(this, QStringLiteral(
                               "INSERT OR IGNORE INTO deletions (provider_id, locator, cid, size, "
                               "created_at) SELECT p.provider_id, p.locator, p.cid, c.size, ? "
                               "FROM placements p JOIN chunks c ON c.cid = p.cid WHERE p.cid = ? "
                               "AND p.locator != ''")); // a put never finished names no object
        Query del(this, QStringLiteral("DELETE FROM chunks WHERE cid = ?"));
        return record.bind(nowSecs()).bind(cid).exec() && del.bind(cid).exec();
    });
}

QList<PendingDeletion> Registry::pendingDeletions()
{
    QList<PendingDeletion> out;
    Query q(this, QStringLiteral("SELECT id, provider_id, locator, cid, size FROM deletions "
                                 "ORDER BY id"));
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), q.q().value(1).toLongLong(),
                        q.q().value(2).toString(), q.q().value(3).toString(),
                        q.q().value(4).toLongLong()});
    return out;
}

bool Registry::forgetDeletion(qint64 id)
{
    // The object's bytes leave the provider's usage in the same transaction.
    return transaction([&] {
        Query uncount(this, QStringLiteral("UPDATE providers SET used_bytes = MAX(0, used_bytes - "
                                           "(SELECT size FROM deletions WHERE id = ?)) WHERE id = "
                                           "(SELECT provider_id FROM deletions WHERE id = ?)"));
        Query q(this, QStringLiteral("DELETE FROM deletions WHERE id = ?"));
        return uncount.bind(id).bind(id).exec() && q.bind(id).exec();
    });
}

std::optional<qint64> Registry::addJob(const QString& kind, const QJsonObject& payload,
                                       const QString& owner)
{
    Query q(this, QStringLiteral("INSERT INTO jobs (kind, state, payload, created_at, updated_at, "
                                 "owner) VALUES (?, 'queued', ?, ?, ?, ?)"));
    const qint64 now = nowSecs();
    if (!q.bind(kind).bind(toJson(payload)).bind(now).bind(now).bind(owner).exec())
        return std::nullopt;
    return q.lastId();
}

bool Registry::takeOverJob(qint64 id, const QString& expectedOwner, const QString& owner)
{
    Query q(this, QStringLiteral("UPDATE jobs SET owner = ?, updated_at = ? WHERE id = ? AND "
                                 "COALESCE(owner, '') = ?"));
    return q.bind(owner).bind(nowSecs()).bind(id).bind(expectedOwner).exec() && q.affected() == 1;
}

QList<JobRow> Registry::jobRows(const QString& kind, const QString& state)
{
    QList<JobRow> out;
    Query q(this, QStringLiteral("SELECT id, payload, COALESCE(owner, ''), updated_at FROM jobs "
                                 "WHERE kind = ? AND state = ? ORDER BY id"));
    q.bind(kind).bind(state);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), fromJson(q.q().value(1).toString()),
                        q.q().value(2).toString(), q.q().value(3).toLongLong()});
    return out;
}

bool Registry::setJobState(qint64 id, const QString& state, const QString& error)
{
    Query q(this,
            QStringLiteral("UPDATE jobs SET state = ?, error = ?, updated_at = ? WHERE id = ?"));
    return q.bind(state).bind(error).bind(nowSecs()).bind(id).exec();
}

bool Registry::setJobPayload(qint64 id, const QJsonObject& payload)
{
    Query q(this, QStringLiteral("UPDATE jobs SET payload = ?, updated_at = ? WHERE id = ?"));
    return q.bind(toJson(payload)).bind(nowSecs()).bind(id).exec();
}

QList<QPair<qint64, QJsonObject>> Registry::jobs(const QString& kind, const QString& state)
{
    QList<QPair<qint64, QJsonObject>> out;
    Query q(this, QStringLiteral(
                      "SELECT id, payload FROM jobs WHERE kind = ? AND state = ? ORDER BY id"));
    q.bind(kind).bind(state);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), fromJson(q.q().value(1).toString())});
    return out;
}

bool Registry::removeJob(qint64 id)
{
    Query q(this, QStringLiteral("DELETE FROM jobs WHERE id = ?"));
    return q.bind(id).exec();
}

bool Registry::pruneFinishedJobs(qint64 beforeSecs, int keepNewest)
{
    Query q(this, QStringLiteral("DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') "
                                 "AND updated_at < ?"));
    if (!q.bind(beforeSecs).exec())
        return false;
    if (keepNewest < 0)
        return true;
    Query over(this, QStringLiteral(
                         "DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND id "
                         "NOT IN (SELECT id FROM jobs WHERE state IN ('done', 'failed', "
                         "'cancelled') ORDER BY updated_at DESC, id DESC LIMIT ?)"));
    return over.bind(keepNewest).exec();
}

} // namespace mf
