// CatalogRows: the catalog on the providers (docs/catalog.md). The merged entries and tombstones
// of every vault, this vault's own state and what each provider holds of it, and the models
// that the merged catalog creates, changes or removes here. Every change that touches several
// rows is one transaction.

#include "modelname.h"
#include "registry.h"
#include "registryquery.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace mf {

using registrycolumns::nowSecs;
using registrycolumns::toJson;

namespace {

const QString SeqKey = QStringLiteral("catalog.seq");
// Models taken in from other vaults' catalogs that no finished sync has reported yet.
const QLatin1String AddedUnreportedKey("catalog.added_unreported");

// An entry (aliased e) is live while no vault's tombstone names it.
const QLatin1String
    LiveEntry("NOT EXISTS (SELECT 1 FROM catalog_tombstones t WHERE t.eid = e.eid)");

CatalogEntry entryFrom(const QSqlQuery& q)
{
    CatalogEntry e;
    e.eid = q.value(0).toString();
    e.uid = q.value(1).toString();
    e.vault = q.value(2).toString();
    e.manifest = q.value(3).toString();
    e.name = q.value(4).toString();
    e.time = q.value(5).toLongLong();
    return e;
}

// The entry every vault shows for a uid with several live ones: the latest, then the greatest
// eid, so that every computer picks the same.
bool shownBefore(const CatalogEntry& a, const CatalogEntry& b)
{
    return a.time != b.time ? a.time < b.time : a.eid < b.eid;
}

// A file set as a comparable list: path, size, hash.
QStringList fileKeys(const QList<QPair<FileRecord, QList<FileChunk>>>& files)
{
    QStringList keys;
    for (const auto& f : files)
        keys.append(f.first.path + QLatin1Char('\n') + QString::number(f.first.size) +
                    QLatin1Char('\n') + QString::fromLatin1(f.first.sha256));
    keys.sort();
    return keys;
}

} // namespace

QList<CatalogRows::CatalogChange> CatalogRows::catalogChanges()
{
    QList<CatalogChange> out;
    Query q(this, QStringLiteral("SELECT id, catalog_dirty, uid, catalog_manifest IS NOT NULL "
                                 "FROM models WHERE catalog_dirty > 0 AND state = 'complete' "
                                 "ORDER BY id"));
    if (!q.exec())
        return out;
    while (q.q().next())
        out.append({q.q().value(0).toLongLong(), q.q().value(1).toLongLong(),
                    q.q().value(2).toString(), q.q().value(3).toBool()});
    return out;
}

bool CatalogRows::markChanged(qint64 modelId)
{
    Query q(this,
            QStringLiteral("UPDATE models SET catalog_dirty = catalog_dirty + 1 WHERE id = ?"));
    return q.bind(modelId).exec();
}

QStringList CatalogRows::catalogRemovals()
{
    QStringList out;
    // A uid that has a model again (the merged catalog brought it back) is not removed.
    Query q(this, QStringLiteral("SELECT uid FROM catalog_removed WHERE uid NOT IN (SELECT uid "
                                 "FROM models WHERE uid IS NOT NULL) ORDER BY uid"));
    if (!q.exec())
        return out;
    while (q.q().next())
        out.append(q.q().value(0).toString());
    return out;
}

qint64 CatalogRows::recordCatalogPublish(const QString& vault,
                                         const QList<CatalogPublication>& published,
                                         const QStringList& removedUids)
{
    qint64 seq = 0;
    const bool ok = transaction([&] {
        // Every live entry of a uid, tombstoned by this vault.
        auto tombstoneUid = [&](const QString& uid) {
            Query t(this, QStringLiteral("INSERT OR IGNORE INTO catalog_tombstones (eid, vault) "
                                         "SELECT e.eid, ? FROM catalog_entries e WHERE e.uid = ? "
                                         "AND ") +
                              LiveEntry);
            return t.bind(vault).bind(uid).exec();
        };
        for (const CatalogPublication& p : published) {
            const CatalogEntry& e = p.entry;
            if (p.change.uid.isEmpty()) {
                Query give(this, QStringLiteral("UPDATE models SET uid = ? WHERE id = ? AND uid "
                                                "IS NULL"));
                if (!give.bind(e.uid).bind(p.change.modelId).exec())
                    return false;
            }
            Query add(this, QStringLiteral("INSERT INTO catalog_entries (eid, uid, vault, "
                                           "manifest, name, time) VALUES (?, ?, ?, ?, ?, ?)"));
            Query keep(this, QStringLiteral("INSERT OR IGNORE INTO catalog_manifests (cid, bytes) "
                                            "VALUES (?, ?)"));
            // Clean only if nothing changed since the manifest was read.
            Query clean(this, QStringLiteral("UPDATE models SET catalog_manifest = ?, "
                                             "catalog_dirty = CASE WHEN catalog_dirty = ? THEN 0 "
                                             "ELSE catalog_dirty END WHERE id = ?"));
            if (!tombstoneUid(e.uid) ||
                !add.bind(e.eid)
                     .bind(e.uid)
                     .bind(vault)
                     .bind(e.manifest)
                     .bind(e.name)
                     .bind(e.time)
                     .exec() ||
                !keep.bind(e.manifest).bind(p.manifest).exec() ||
                !clean.bind(e.manifest).bind(p.change.dirty).bind(p.change.modelId).exec())
                return false;
        }
        for (const QString& uid : removedUids) {
            Query forget(this, QStringLiteral("DELETE FROM catalog_removed WHERE uid = ?"));
            if (!tombstoneUid(uid) || !forget.bind(uid).exec())
                return false;
        }
        // Own entries someone tombstoned are dead for every reader who sees the tombstone.
        Query drop(this, QStringLiteral("DELETE FROM catalog_entries WHERE vault = ? AND eid IN "
                                        "(SELECT eid FROM catalog_tombstones)"));
        Query unused(this, QStringLiteral("DELETE FROM catalog_manifests WHERE cid NOT IN "
                                          "(SELECT manifest FROM catalog_entries WHERE vault = "
                                          "?)"));
        if (!drop.bind(vault).exec() || !unused.bind(vault).exec())
            return false;
        seq = catalogSeq() + 1;
        return m_registry.settings().setSetting(SeqKey, QString::number(seq));
    });
    return ok ? seq : 0;
}

qint64 CatalogRows::catalogSeq()
{
    return m_registry.settings().setting(SeqKey, QStringLiteral("0")).toLongLong();
}

bool CatalogRows::raiseCatalogSeq(qint64 above)
{
    return transaction([&] {
        return catalogSeq() > above ||
               m_registry.settings().setSetting(SeqKey, QString::number(above + 1));
    });
}

bool CatalogRows::catalogOwnState(const QString& vault, QList<CatalogEntry>* entries,
                                  QStringList* tombstones)
{
    Query e(this, QStringLiteral("SELECT eid, uid, vault, manifest, name, time FROM "
                                 "catalog_entries e WHERE vault = ? AND ") +
                      LiveEntry + QStringLiteral(" ORDER BY eid"));
    if (!e.bind(vault).exec())
        return false;
    while (e.q().next())
        entries->append(entryFrom(e.q()));
    Query t(this, QStringLiteral("SELECT eid FROM catalog_tombstones WHERE vault = ? ORDER BY "
                                 "eid"));
    if (!t.bind(vault).exec())
        return false;
    while (t.q().next())
        tombstones->append(t.q().value(0).toString());
    return true;
}

QByteArray CatalogRows::catalogManifest(const QString& cid)
{
    Query q(this, QStringLiteral("SELECT bytes FROM catalog_manifests WHERE cid = ?"));
    if (!q.bind(cid).exec() || !q.q().next())
        return {};
    return q.q().value(0).toByteArray();
}

qint64 CatalogRows::catalogPublishedSeq(qint64 providerId)
{
    Query q(this, QStringLiteral("SELECT seq FROM catalog_published WHERE provider_id = ?"));
    if (!q.bind(providerId).exec() || !q.q().next())
        return 0;
    return q.q().value(0).toLongLong();
}

bool CatalogRows::setCatalogPublishedSeq(qint64 providerId, qint64 seq)
{
    Query q(this,
            QStringLiteral("INSERT INTO catalog_published (provider_id, seq) VALUES (?, ?) "
                           "ON CONFLICT (provider_id) DO UPDATE SET seq = MAX(seq, excluded.seq)"));
    return q.bind(providerId).bind(seq).exec();
}

qint64 CatalogRows::catalogVaultSeq(const QString& vault)
{
    Query q(this, QStringLiteral("SELECT seq FROM catalog_vaults WHERE vault = ?"));
    if (!q.bind(vault).exec() || !q.q().next())
        return 0;
    return q.q().value(0).toLongLong();
}

int CatalogRows::takeCatalogModelsAdded()
{
    int added = 0;
    transaction([&] {
        added = m_registry.settings().setting(AddedUnreportedKey).toInt();
        return added == 0 ||
               m_registry.settings().setSetting(AddedUnreportedKey, QStringLiteral("0"));
    });
    return added;
}

QString CatalogRows::catalogEntryUid(const QString& eid)
{
    Query q(this, QStringLiteral("SELECT uid FROM catalog_entries WHERE eid = ?"));
    if (!q.bind(eid).exec() || !q.q().next())
        return {};
    return q.q().value(0).toString();
}

bool CatalogRows::storeCatalogState(const QString& vault, qint64 seq,
                                    const QList<CatalogEntry>& entries,
                                    const QStringList& tombstones)
{
    return transaction([&] {
        Query clearEntries(this, QStringLiteral("DELETE FROM catalog_entries WHERE vault = ?"));
        Query clearTombstones(this,
                              QStringLiteral("DELETE FROM catalog_tombstones WHERE vault = ?"));
        if (!clearEntries.bind(vault).exec() || !clearTombstones.bind(vault).exec())
            return false;
        for (const CatalogEntry& e : entries) {
            // An eid is its writer's alone: another vault's row of it would be a forgery.
            Query add(this, QStringLiteral("INSERT OR IGNORE INTO catalog_entries (eid, uid, "
                                           "vault, manifest, name, time) VALUES (?, ?, ?, ?, ?, "
                                           "?)"));
            if (!add.bind(e.eid)
                     .bind(e.uid)
                     .bind(vault)
                     .bind(e.manifest)
                     .bind(e.name)
                     .bind(e.time)
                     .exec())
                return false;
        }
        for (const QString& eid : tombstones) {
            Query add(this, QStringLiteral("INSERT OR IGNORE INTO catalog_tombstones (eid, vault) "
                                           "VALUES (?, ?)"));
            if (!add.bind(eid).bind(vault).exec())
                return false;
        }
        Query mark(this, QStringLiteral("INSERT INTO catalog_vaults (vault, seq) VALUES (?, ?) ON "
                                        "CONFLICT (vault) DO UPDATE SET seq = excluded.seq"));
        return mark.bind(vault).bind(seq).exec();
    });
}

QList<CatalogRows::CatalogDifference> CatalogRows::catalogDifferences()
{
    // One snapshot: the entries and the models are read as of one moment. Read apart, a
    // publish by another process committing in between (a float of a new model ending there)
    // showed its model clean, with a uid, and no live entry: "removed elsewhere", and the sync
    // removed a model that had just been floated.
    QList<CatalogDifference> out;
    m_db.readSnapshot([&] {
        QHash<QString, CatalogEntry> shown;
        Query live(this, QStringLiteral("SELECT eid, uid, vault, manifest, name, time FROM "
                                        "catalog_entries e WHERE ") +
                             LiveEntry);
        if (!live.exec())
            return false;
        while (live.q().next()) {
            const CatalogEntry e = entryFrom(live.q());
            const auto it = shown.find(e.uid);
            if (it == shown.end() || shownBefore(*it, e))
                shown.insert(e.uid, e);
        }
        live.q().finish();
        QSet<QString> removedHere;
        Query removed(this, QStringLiteral("SELECT uid FROM catalog_removed"));
        if (!removed.exec())
            return false;
        while (removed.q().next())
            removedHere.insert(removed.q().value(0).toString());
        removed.q().finish();

        QSet<QString> local;
        Query models(this, QStringLiteral("SELECT id, uid, catalog_dirty, catalog_manifest, "
                                          "state FROM models WHERE uid IS NOT NULL"));
        if (!models.exec())
            return false;
        while (models.q().next()) {
            const qint64 id = models.q().value(0).toLongLong();
            const QString uid = models.q().value(1).toString();
            local.insert(uid);
            // A model with changes of its own here wins: it is published next.
            const bool clean = models.q().value(2).toLongLong() == 0 &&
                               models.q().value(4).toString() == QLatin1String("complete");
            if (!clean)
                continue;
            const auto it = shown.constFind(uid);
            if (it == shown.constEnd())
                out.append({uid, id, std::nullopt});
            else if (it->manifest != models.q().value(3).toString())
                out.append({uid, id, *it});
        }
        models.q().finish();
        for (auto it = shown.constBegin(); it != shown.constEnd(); ++it)
            if (!local.contains(it.key()) && !removedHere.contains(it.key()))
                out.append({it.key(), 0, *it});
        return true;
    });
    return out;
}

std::optional<qint64>
CatalogRows::importCatalogModel(const CatalogEntry& entry, const ModelRecord& model,
                                const QList<QPair<FileRecord, QList<FileChunk>>>& files)
{
    qint64 modelId = 0;
    const bool ok = transaction([&] {
        // Removed here after the sync read the catalog: the removal stands and is published.
        Query removed(this, QStringLiteral("SELECT 1 FROM catalog_removed WHERE uid = ?"));
        if (!removed.bind(entry.uid).exec())
            return false;
        if (removed.q().next())
            return fail(QStringLiteral("import model"),
                        QStringLiteral("“%1” was removed here since; its removal is published "
                                       "instead")
                            .arg(modelname::escaped(model.name)));
        removed.q().finish();
        Query find(this, QStringLiteral("SELECT id, catalog_dirty, name FROM models WHERE uid = "
                                        "?"));
        if (!find.bind(entry.uid).exec())
            return false;
        QString currentName;
        if (find.q().next()) {
            modelId = find.q().value(0).toLongLong();
            currentName = find.q().value(2).toString();
            if (find.q().value(1).toLongLong() != 0)
                return fail(QStringLiteral("import model"),
                            QStringLiteral("“%1” was changed here since; its change is published "
                                           "instead")
                                .arg(currentName));
            const QString writer = m_registry.modelRows().modelWriter(modelId);
            if (!writer.isEmpty())
                return fail(
                    QStringLiteral("import model"),
                    QStringLiteral("“%1” is being written by process %2").arg(currentName, writer));
        }
        find.q().finish();
        // A model new to this vault is counted in the same transaction, so that a sync killed
        // after it still has it reported by the next one (takeCatalogModelsAdded()).
        if (modelId == 0 &&
            !m_registry.settings().setSetting(
                AddedUnreportedKey,
                QString::number(m_registry.settings().setting(AddedUnreportedKey).toLongLong() +
                                1)))
            return false;
        if (modelId == 0) {
            // A model floated here before it had a uid, with the same files: the same model.
            Query same(this, QStringLiteral("SELECT id FROM models WHERE name = ? AND uid IS NULL "
                                            "AND state = 'complete'"));
            if (!same.bind(model.name).exec())
                return false;
            if (same.q().next()) {
                const qint64 candidate = same.q().value(0).toLongLong();
                same.q().finish();
                QList<QPair<FileRecord, QList<FileChunk>>> have;
                for (const FileRecord& f : m_registry.modelRows().files(candidate))
                    have.append({f, {}});
                if (fileKeys(have) == fileKeys(files)) {
                    modelId = candidate;
                    currentName = model.name;
                }
            }
        }
        // The name: kept by a model that has it here already (another uid); this one is shown
        // as "name~<uid>" (the uid's first part, or all of it if that is taken too), cut to the
        // names' length limit.
        QString name;
        for (const QString& candidate :
             {model.name, modelname::withSuffix(model.name, QLatin1Char('~') + entry.uid.left(8)),
              modelname::withSuffix(model.name, QLatin1Char('~') + entry.uid)}) {
            if (candidate == currentName) {
                name = candidate;
                break;
            }
            Query taken(this, QStringLiteral("SELECT COUNT(*) FROM models WHERE name = ?"));
            if (!taken.bind(candidate).exec() || !taken.q().next())
                return false;
            if (taken.q().value(0).toInt() == 0) {
                name = candidate;
                break;
            }
        }
        if (name.isEmpty())
            return fail(QStringLiteral("import model"),
                        QStringLiteral("“%1” and the names it could be shown as are taken here")
                            .arg(modelname::escaped(model.name)));
        if (modelId == 0) {
            Query add(this, QStringLiteral("INSERT INTO models (name, source, created_at, tags, "
                                           "state) VALUES (?, ?, ?, ?, 'complete')"));
            if (!add.bind(name)
                     .bind(model.source)
                     .bind(model.created.isValid() ? model.created.toSecsSinceEpoch() : nowSecs())
                     .bind(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(model.tags))
                                                 .toJson(QJsonDocument::Compact)))
                     .exec())
                return false;
            modelId = add.lastId();
        } else {
            Query update(this, QStringLiteral("UPDATE models SET name = ?, source = ?, state = "
                                              "'complete' WHERE id = ?"));
            Query clear(this, QStringLiteral("DELETE FROM files WHERE model_id = ?"));
            if (!update.bind(name).bind(model.source).bind(modelId).exec() ||
                !clear.bind(modelId).exec())
                return false;
        }
        // Prepared once: a recovery takes in tens of thousands of chunks.
        Query chunk(this, QStringLiteral("INSERT OR IGNORE INTO chunks (cid, size) VALUES (?, ?)"));
        Query link(this, QStringLiteral("INSERT INTO file_chunks (file_id, idx, offset, cid) "
                                        "VALUES (?, ?, ?, ?)"));
        for (const auto& [file, chunks] : files) {
            Query f(this, QStringLiteral("INSERT INTO files (model_id, path, size, sha256, "
                                         "chunker, metadata, state, cid, dag_size) VALUES (?, ?, "
                                         "?, ?, ?, ?, 'complete', NULLIF(?, ''), NULLIF(?, 0))"));
            if (!f.bind(modelId)
                     .bind(file.path)
                     .bind(file.size)
                     .bind(QString::fromLatin1(file.sha256))
                     .bind(file.chunker)
                     .bind(toJson(file.metadata))
                     .bind(file.cid)
                     .bind(file.dagSize)
                     .exec())
                return false;
            const qint64 fileId = f.lastId();
            for (const FileChunk& c : chunks) {
                if (!chunk.bind(c.cid).bind(c.size).exec() ||
                    !link.bind(fileId).bind(c.index).bind(c.offset).bind(c.cid).exec())
                    return false;
            }
        }
        // Last, after the triggers counted the rows above as changes: nothing to publish.
        Query mark(this, QStringLiteral("UPDATE models SET uid = ?, catalog_manifest = ?, "
                                        "catalog_dirty = 0, lease_owner = NULL, lease_expires = "
                                        "NULL WHERE id = ?"));
        return mark.bind(entry.uid).bind(entry.manifest).bind(modelId).exec();
    });
    if (!ok)
        return std::nullopt;
    return modelId;
}

bool CatalogRows::reopenModelWithLostChunks(qint64 modelId)
{
    return transaction([&] {
        Query files(this, QStringLiteral("UPDATE files SET state = 'incomplete' WHERE model_id = ? "
                                         "AND EXISTS (SELECT 1 FROM file_chunks fc WHERE "
                                         "fc.file_id = files.id AND NOT EXISTS (SELECT 1 FROM "
                                         "placements p WHERE p.cid = fc.cid AND p.state = "
                                         "'stored'))"));
        Query model(this, QStringLiteral("UPDATE models SET state = 'incomplete' WHERE id = ?"));
        return files.bind(modelId).exec() && model.bind(modelId).exec();
    });
}

CatalogRows::CatalogRemoval CatalogRows::removeCatalogModel(qint64 modelId)
{
    CatalogRemoval result = CatalogRemoval::Removed;
    const bool ok = transaction([&] {
        Query find(this, QStringLiteral("SELECT uid, catalog_dirty, name FROM models WHERE id = "
                                        "?"));
        if (!find.bind(modelId).exec())
            return false;
        if (!find.q().next())
            return true; // gone already
        const QString uid = find.q().value(0).toString();
        const QString name = find.q().value(2).toString();
        if (find.q().value(1).toLongLong() != 0)
            return fail(QStringLiteral("remove model"),
                        QStringLiteral("“%1” was changed here since it was removed elsewhere; it "
                                       "stays, and its change is published")
                            .arg(name));
        find.q().finish();
        // The difference was read before this transaction: a publish (of this process or
        // another) may have given the model a live entry since. Shown, it is no removal.
        Query live(this, QStringLiteral("SELECT 1 FROM catalog_entries e WHERE e.uid = ? AND ") +
                             LiveEntry + QStringLiteral(" LIMIT 1"));
        if (!live.bind(uid).exec())
            return false;
        if (live.q().next()) {
            result = CatalogRemoval::Shown;
            return true;
        }
        live.q().finish();
        if (!m_registry.modelRows().removeModel(modelId, leaseowner::newLeaseOwner()))
            return false;
        // Removed elsewhere: there is nothing for this vault to tombstone.
        Query forget(this, QStringLiteral("DELETE FROM catalog_removed WHERE uid = ?"));
        return forget.bind(uid).exec();
    });
    return ok ? result : CatalogRemoval::Failed;
}

} // namespace mf
