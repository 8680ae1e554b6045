#include "migrations.h"

#include "sqlerror.h"

#include <QHash>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace mf::migrations {

namespace {

// Schema 14's triggers that keep chunks.copies, model_copies and the providers' stored counts in
// step with the stored placements: when `row` becomes (+1) or stops being (-1) a stored copy.
// Part of a released step: never edited.
QString copiesTrigger(const char* name, const char* event, const char* when, const char* row,
                      int delta)
{
    return QStringLiteral(
               "CREATE TRIGGER %1 %2 ON placements WHEN %3 BEGIN "
               "UPDATE model_copies SET chunks = chunks - 1 WHERE model_id IN (SELECT f.model_id "
               "FROM file_chunks fc JOIN files f ON f.id = fc.file_id WHERE fc.cid = %4.cid) AND "
               "copies = (SELECT copies FROM chunks WHERE cid = %4.cid); "
               "INSERT INTO model_copies (model_id, copies, chunks) SELECT DISTINCT f.model_id, "
               "(SELECT copies FROM chunks WHERE cid = %4.cid) + %5, 1 FROM file_chunks fc JOIN "
               "files f ON f.id = fc.file_id WHERE fc.cid = %4.cid ON CONFLICT (model_id, copies) "
               "DO UPDATE SET chunks = chunks + 1; "
               "UPDATE providers SET stored_chunks = stored_chunks + %5, stored_bytes = "
               "stored_bytes + %5 * (SELECT size FROM chunks WHERE cid = %4.cid) WHERE id = "
               "%4.provider_id; "
               "UPDATE vault_counts SET stored_chunk_bytes = stored_chunk_bytes + %5 * "
               "COALESCE((SELECT size FROM chunks WHERE cid = %4.cid AND copies = %6), 0); "
               "UPDATE chunks SET copies = copies + %5 WHERE cid = %4.cid; END")
        .arg(QLatin1String(name), QLatin1String(event), QLatin1String(when), QLatin1String(row))
        .arg(delta)
        // The chunk's first stored copy made, or its last one lost.
        .arg(delta > 0 ? 0 : 1);
}

// Schema 14's four triggers on placements, made again by step 15. A stored copy of chunk X made
// or lost: every model using X moves X from the count it had to the next one up or down, then X's
// count follows.
QStringList copiesTriggers()
{
    return {
        copiesTrigger("placements_copies_insert", "AFTER INSERT", "NEW.state = 'stored'", "NEW", 1),
        copiesTrigger("placements_copies_delete", "AFTER DELETE", "OLD.state = 'stored'", "OLD",
                      -1),
        copiesTrigger("placements_copies_lost", "AFTER UPDATE OF state, cid, provider_id",
                      "OLD.state = 'stored' AND (NEW.state <> 'stored' OR NEW.cid <> OLD.cid "
                      "OR NEW.provider_id <> OLD.provider_id)",
                      "OLD", -1),
        copiesTrigger("placements_copies_made", "AFTER UPDATE OF state, cid, provider_id",
                      "NEW.state = 'stored' AND (OLD.state <> 'stored' OR NEW.cid <> OLD.cid "
                      "OR NEW.provider_id <> OLD.provider_id)",
                      "NEW", 1),
    };
}

// Indexes and triggers that step 15 makes again on the tables it rebuilds, word for word as the
// steps that first made them (dropping a table drops its indexes and triggers).
QString reused(const char* name)
{
    static const QHash<QString, QString> all = {
        {QStringLiteral("chunks_counts_insert"),
         QStringLiteral("CREATE TRIGGER chunks_counts_insert AFTER INSERT ON chunks BEGIN "
                        "UPDATE vault_counts SET chunks = chunks + 1, chunk_bytes = chunk_bytes "
                        "+ NEW.size; END")},
        {QStringLiteral("chunks_counts_delete"),
         QStringLiteral("CREATE TRIGGER chunks_counts_delete AFTER DELETE ON chunks BEGIN "
                        "UPDATE vault_counts SET chunks = chunks - 1, chunk_bytes = chunk_bytes "
                        "- OLD.size; END")},
        {QStringLiteral("chunks_fixed"),
         QStringLiteral("CREATE TRIGGER chunks_fixed BEFORE UPDATE OF cid, size ON chunks "
                        "BEGIN SELECT RAISE(ABORT, 'a chunk keeps its CID and size'); END")},
        {QStringLiteral("placements_counts_insert"),
         QStringLiteral("CREATE TRIGGER placements_counts_insert AFTER INSERT ON placements "
                        "WHEN NEW.locator <> '' BEGIN UPDATE vault_counts SET placements = "
                        "placements + 1; END")},
        {QStringLiteral("placements_counts_delete"),
         QStringLiteral("CREATE TRIGGER placements_counts_delete AFTER DELETE ON placements "
                        "WHEN OLD.locator <> '' BEGIN UPDATE vault_counts SET placements = "
                        "placements - 1; END")},
        {QStringLiteral("chunks_copies_delete"),
         QStringLiteral("CREATE TRIGGER chunks_copies_delete BEFORE DELETE ON chunks BEGIN "
                        "DELETE FROM placements WHERE cid = OLD.cid; END")},
        {QStringLiteral("file_chunks_copies_insert"),
         QStringLiteral(
             "CREATE TRIGGER file_chunks_copies_insert AFTER INSERT ON file_chunks WHEN NOT "
             "EXISTS (SELECT 1 FROM file_chunks o JOIN files f ON f.id = o.file_id WHERE o.cid "
             "= NEW.cid AND f.model_id = (SELECT model_id FROM files WHERE id = NEW.file_id) "
             "AND (o.file_id <> NEW.file_id OR o.idx <> NEW.idx)) BEGIN INSERT INTO "
             "model_copies (model_id, copies, chunks) SELECT model_id, (SELECT copies FROM "
             "chunks WHERE cid = NEW.cid), 1 FROM files WHERE id = NEW.file_id ON CONFLICT "
             "(model_id, copies) DO UPDATE SET chunks = chunks + 1; END")},
        {QStringLiteral("file_chunks_copies_delete"),
         QStringLiteral(
             "CREATE TRIGGER file_chunks_copies_delete AFTER DELETE ON file_chunks WHEN NOT "
             "EXISTS (SELECT 1 FROM file_chunks o JOIN files f ON f.id = o.file_id WHERE o.cid "
             "= OLD.cid AND f.model_id = (SELECT model_id FROM files WHERE id = OLD.file_id)) "
             "BEGIN UPDATE model_copies SET chunks = chunks - 1 WHERE model_id = (SELECT "
             "model_id FROM files WHERE id = OLD.file_id) AND copies = (SELECT copies FROM "
             "chunks WHERE cid = OLD.cid); END")},
        {QStringLiteral("file_chunks_refs_insert"),
         QStringLiteral("CREATE TRIGGER file_chunks_refs_insert AFTER INSERT ON file_chunks "
                        "BEGIN UPDATE chunks SET refs = refs + 1 WHERE cid = NEW.cid; END")},
        {QStringLiteral("file_chunks_refs_delete"),
         QStringLiteral("CREATE TRIGGER file_chunks_refs_delete AFTER DELETE ON file_chunks "
                        "BEGIN UPDATE chunks SET refs = refs - 1 WHERE cid = OLD.cid; END")},
        {QStringLiteral("file_chunks_fixed"),
         QStringLiteral("CREATE TRIGGER file_chunks_fixed BEFORE UPDATE OF cid, file_id ON "
                        "file_chunks BEGIN SELECT RAISE(ABORT, 'a manifest row keeps its chunk "
                        "and file'); END")},
        {QStringLiteral("file_chunks_by_cid"),
         QStringLiteral("CREATE INDEX file_chunks_by_cid ON file_chunks (cid)")},
        {QStringLiteral("placements_not_named"),
         QStringLiteral("CREATE INDEX placements_not_named ON placements (provider_id, cid) "
                        "WHERE locator <> cid AND substr(locator, -1 - length(cid)) <> '/' "
                        "|| cid")},
        {QStringLiteral("placements_pending"),
         QStringLiteral("CREATE INDEX placements_pending ON placements (provider_id) WHERE "
                        "state = 'pending' AND locator = ''")},
        {QStringLiteral("chunks_lost"),
         QStringLiteral("CREATE INDEX chunks_lost ON chunks (cid) WHERE copies = 0")},
        {QStringLiteral("placements_bad"),
         QStringLiteral("CREATE INDEX placements_bad ON placements (cid) WHERE state IN "
                        "('missing', 'corrupt')")},
        {QStringLiteral("chunks_orphaned"),
         QStringLiteral("CREATE INDEX chunks_orphaned ON chunks (cid) WHERE refs = 0")},
    };
    Q_ASSERT(all.contains(QLatin1String(name)));
    return all.value(QLatin1String(name));
}

// Each entry moves the schema from version i to i + 1. Entries are never edited once
// released: a change is a new entry.
const QList<QStringList>& steps()
{
    static const QList<QStringList> all = {
        // 0 -> 1: the first schema.
        {
            QStringLiteral(
                "CREATE TABLE vault_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
            QStringLiteral(
                "CREATE TABLE providers (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
                "name TEXT NOT NULL UNIQUE, settings TEXT NOT NULL DEFAULT '{}', "
                "quota_bytes INTEGER NOT NULL DEFAULT -1, used_bytes INTEGER NOT NULL DEFAULT 0, "
                "health TEXT NOT NULL DEFAULT 'unknown', enabled INTEGER NOT NULL DEFAULT 1, "
                "created_at INTEGER NOT NULL)"),
            QStringLiteral(
                "CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                "source TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, "
                "tags TEXT NOT NULL DEFAULT '[]', state TEXT NOT NULL DEFAULT 'incomplete' "
                "CHECK (state IN ('incomplete', 'complete')))"),
            QStringLiteral(
                "CREATE TABLE files (id INTEGER PRIMARY KEY, "
                "model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE, "
                "path TEXT NOT NULL, size INTEGER NOT NULL CHECK (size >= 0), "
                "sha256 TEXT NOT NULL DEFAULT '', chunker TEXT NOT NULL, "
                "metadata TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL DEFAULT 'incomplete' "
                "CHECK (state IN ('incomplete', 'complete')), UNIQUE (model_id, path))"),
            QStringLiteral("CREATE TABLE chunks (cid TEXT PRIMARY KEY, size INTEGER NOT NULL "
                           "CHECK (size > 0))"),
            QStringLiteral(
                "CREATE TABLE file_chunks (file_id INTEGER NOT NULL REFERENCES files(id) "
                "ON DELETE CASCADE, idx INTEGER NOT NULL, offset INTEGER NOT NULL, "
                "cid TEXT NOT NULL REFERENCES chunks(cid), PRIMARY KEY (file_id, idx))"),
            reused("file_chunks_by_cid"),
            QStringLiteral(
                "CREATE TABLE placements (cid TEXT NOT NULL REFERENCES chunks(cid) ON DELETE "
                "CASCADE, provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE "
                "CASCADE, locator TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN "
                "('pending', 'stored', 'missing', 'corrupt')), verified_at INTEGER, "
                "PRIMARY KEY (cid, provider_id))"),
            QStringLiteral("CREATE INDEX placements_by_provider ON placements (provider_id)"),
            QStringLiteral(
                "CREATE TABLE jobs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
                "state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', "
                "'cancelled')), payload TEXT NOT NULL DEFAULT '{}', error TEXT NOT NULL "
                "DEFAULT '', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)"),
        },
        // 1 -> 2: objects still to delete from providers. A freed chunk's row goes at once;
        // its objects are deleted afterwards, and one a provider could not delete then (it was
        // offline) must not be forgotten, or it would stay there, unaccounted for, for ever.
        {
            QStringLiteral(
                "CREATE TABLE deletions (id INTEGER PRIMARY KEY, provider_id INTEGER NOT NULL "
                "REFERENCES providers(id) ON DELETE CASCADE, locator TEXT NOT NULL, "
                "cid TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL, "
                "UNIQUE (provider_id, locator))"),
        },
        // 2 -> 3: coordination between processes and jobs sharing a vault (leases.cpp). A model
        // being written has a lease (who, until when); a deletion being carried out is claimed,
        // so a float never counts on an object that a running deletion is about to remove.
        {
            QStringLiteral("ALTER TABLE models ADD COLUMN lease_owner TEXT"),
            QStringLiteral("ALTER TABLE models ADD COLUMN lease_expires INTEGER"),
            QStringLiteral("ALTER TABLE deletions ADD COLUMN claimed_by TEXT"),
            QStringLiteral("ALTER TABLE deletions ADD COLUMN claimed_until INTEGER"),
            QStringLiteral("CREATE INDEX deletions_by_cid ON deletions (cid, provider_id)"),
        },
        // 3 -> 4: provider budgets (budgets.cpp). A provider may take no more uploads (a daily
        // cap) or downloads (a transfer quota) until a time; every process sharing the vault
        // must see that, and the bytes uploaded in the current day count against a daily budget
        // the user can set. Times in ms since the epoch.
        {
            QStringLiteral(
                "CREATE TABLE provider_budgets (provider_id INTEGER PRIMARY KEY REFERENCES "
                "providers(id) ON DELETE CASCADE, day_start INTEGER, day_bytes INTEGER NOT NULL "
                "DEFAULT 0, upload_paused_until INTEGER, upload_reason TEXT NOT NULL DEFAULT '', "
                "download_paused_until INTEGER, download_reason TEXT NOT NULL DEFAULT '')"),
        },
        // 4 -> 5: what a killed process leaves behind is found again. A job row names the
        // process that runs it (another process takes over only a dead one's rows); the folders
        // restores and materializations write temporaries into are recorded while they run, so
        // `collect` can sweep a killed one's leftovers there (util/temporaries.h).
        {
            QStringLiteral("ALTER TABLE jobs ADD COLUMN owner TEXT"),
            QStringLiteral("CREATE TABLE scratch_areas (id INTEGER PRIMARY KEY, owner TEXT NOT "
                           "NULL, folder TEXT NOT NULL, created_at INTEGER NOT NULL)"),
        },
        // 5 -> 6: a model can be complete (every file written, restorable) and degraded: some
        // chunk has fewer good copies than the vault wants. A float that could not reach every
        // provider ends so, and so does a model whose copies a scrub found missing or corrupt;
        // repair clears it (HealthRows::refreshDegraded()). A column of its own rather than a
        // third value of `state`: the CHECK on `state` cannot change without rebuilding the
        // table, and every reader that asks "restorable?" keeps asking state = 'complete'.
        {
            QStringLiteral("ALTER TABLE models ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0"),
            // Models already under-replicated say so from the start (the wanted count as
            // HealthRows::wantedCopies() had it then: the replication setting, capped by the
            // providers there are).
            QStringLiteral(
                "UPDATE models SET degraded = 1 WHERE state = 'complete' AND EXISTS (SELECT 1 "
                "FROM files f JOIN file_chunks fc ON fc.file_id = f.id WHERE f.model_id = "
                "models.id AND (SELECT COUNT(*) FROM placements p WHERE p.cid = fc.cid AND "
                "p.state = 'stored') < MIN(MAX(1, COALESCE((SELECT CAST(value AS INTEGER) FROM "
                "vault_settings WHERE key = 'replication'), 2)), MAX(1, (SELECT COUNT(*) FROM "
                "providers WHERE enabled = 1))))"),
        },
        // 6 -> 7: providers being drained before they are retired or removed (drains.cpp). A row
        // here means: no new copies go to it, its copies do not count towards a chunk's wanted
        // copies, and the drain goes on (after a crash too) until it holds nothing of the vault.
        {
            QStringLiteral("CREATE TABLE provider_drains (provider_id INTEGER PRIMARY KEY "
                           "REFERENCES providers(id) ON DELETE CASCADE, started_at INTEGER NOT "
                           "NULL, remove_after INTEGER NOT NULL DEFAULT 0)"),
        },
        // 7 -> 8: when each copy was stored, and when scrub last found it there with the right
        // size (the cheap pass, scrubqueries.cpp); verified_at stays the time it was last read
        // back and hashed. A copy is due a pass an interval after the later of its store and that
        // pass's last look; copies from before this step (NULL) are due at once.
        {
            QStringLiteral("ALTER TABLE placements ADD COLUMN stored_at INTEGER"),
            QStringLiteral("ALTER TABLE placements ADD COLUMN checked_at INTEGER"),
        },
        // 8 -> 9: the catalog on the providers (docs/catalog.md, catalogrows.cpp). A model has an
        // id across vaults (uid) and a counter of changes not yet published, bumped by triggers
        // so that no code path can change a model unnoticed; the merged entries and tombstones
        // of every vault; the manifests of this vault's own entries; what each provider holds.
        {
            QStringLiteral("ALTER TABLE models ADD COLUMN uid TEXT"),
            QStringLiteral("ALTER TABLE models ADD COLUMN catalog_dirty INTEGER NOT NULL "
                           "DEFAULT 1"),
            QStringLiteral("ALTER TABLE models ADD COLUMN catalog_manifest TEXT"),
            QStringLiteral("CREATE UNIQUE INDEX models_by_uid ON models (uid)"),
            QStringLiteral("CREATE TABLE catalog_entries (eid TEXT PRIMARY KEY, uid TEXT NOT "
                           "NULL, vault TEXT NOT NULL, manifest TEXT NOT NULL, name TEXT NOT "
                           "NULL, time INTEGER NOT NULL)"),
            QStringLiteral("CREATE INDEX catalog_entries_by_uid ON catalog_entries (uid)"),
            QStringLiteral("CREATE INDEX catalog_entries_by_vault ON catalog_entries (vault)"),
            QStringLiteral("CREATE TABLE catalog_tombstones (eid TEXT NOT NULL, vault TEXT NOT "
                           "NULL, PRIMARY KEY (eid, vault))"),
            QStringLiteral("CREATE TABLE catalog_manifests (cid TEXT PRIMARY KEY, bytes BLOB "
                           "NOT NULL)"),
            QStringLiteral("CREATE TABLE catalog_removed (uid TEXT PRIMARY KEY)"),
            QStringLiteral("CREATE TABLE catalog_vaults (vault TEXT PRIMARY KEY, seq INTEGER "
                           "NOT NULL)"),
            QStringLiteral("CREATE TABLE catalog_published (provider_id INTEGER PRIMARY KEY "
                           "REFERENCES providers(id) ON DELETE CASCADE, seq INTEGER NOT NULL)"),
            QStringLiteral("CREATE TRIGGER models_catalog_dirty AFTER UPDATE OF name, source, "
                           "tags, state ON models BEGIN UPDATE models SET catalog_dirty = "
                           "catalog_dirty + 1 WHERE id = NEW.id; END"),
            QStringLiteral("CREATE TRIGGER files_catalog_insert AFTER INSERT ON files BEGIN "
                           "UPDATE models SET catalog_dirty = catalog_dirty + 1 WHERE id = "
                           "NEW.model_id; END"),
            QStringLiteral("CREATE TRIGGER files_catalog_update AFTER UPDATE ON files BEGIN "
                           "UPDATE models SET catalog_dirty = catalog_dirty + 1 WHERE id = "
                           "NEW.model_id; END"),
            QStringLiteral("CREATE TRIGGER files_catalog_delete AFTER DELETE ON files BEGIN "
                           "UPDATE models SET catalog_dirty = catalog_dirty + 1 WHERE id = "
                           "OLD.model_id; END"),
            QStringLiteral("CREATE TRIGGER models_catalog_removed AFTER DELETE ON models WHEN "
                           "OLD.uid IS NOT NULL BEGIN INSERT OR IGNORE INTO catalog_removed (uid) "
                           "VALUES (OLD.uid); END"),
        },
        // 9 -> 10: IPFS CIDs of files and models (docs/cids.md, filedags.cpp). A chunk larger
        // than one 1 MiB leaf records its UnixFS DAG's root, so a file's root can be computed
        // from its manifest whichever float or import recorded its chunks; a file records its
        // root once complete. NULL: not known (recorded before this step).
        {
            QStringLiteral("ALTER TABLE chunks ADD COLUMN dag_cid TEXT"),
            QStringLiteral("ALTER TABLE chunks ADD COLUMN dag_size INTEGER"),
            QStringLiteral("ALTER TABLE files ADD COLUMN cid TEXT"),
            QStringLiteral("ALTER TABLE files ADD COLUMN dag_size INTEGER"),
        },
        // 10 -> 11: model roots pinned on IPFS nodes (sync/dagrootsjob.cpp, docs/cids.md), so
        // that only pins this vault made are ever removed, and each is removed once its model
        // is gone or no longer whole on the node. `pinned` 0: a pin was being made (a crash
        // may have come before or after the node made it).
        {
            QStringLiteral("CREATE TABLE dag_pins (provider_id INTEGER NOT NULL REFERENCES "
                           "providers(id) ON DELETE CASCADE, cid TEXT NOT NULL, pinned INTEGER "
                           "NOT NULL DEFAULT 0, PRIMARY KEY (provider_id, cid))"),
        },
        // 11 -> 12: the placements whose locator does not name their chunk (IPFS DAG roots, Drive
        // and MEGA ids), which every catalog publish writes into the vault's state
        // (PlacementRows::placementsNotNamedByCid), found without reading every placement of the
        // provider: a partial index whose condition is that query's, word for word.
        {
            reused("placements_not_named"),
        },
        // 12 -> 13: the puts under way on a provider (placements 'pending' with no locator yet),
        // which every put counts against the provider's quota (PlacementRows::beginPlacement),
        // found
        // without reading every placement of the provider: without it a float's cost per chunk
        // grew with everything the provider held.
        {
            reused("placements_pending"),
        },
        // 13 -> 14: what `list`, the API's model list, `stats` and `rm` need, kept up to date as
        // rows change instead of summed from every chunk and copy at each read (a vault of
        // 10,000 models, docs/scale.md). `chunks.copies`: the chunk's stored placements;
        // `chunks.refs`: the manifest rows using it. `model_copies`: for each model, how many of
        // its distinct chunks (in any manifest row of its files) have each number of stored
        // copies; its lost chunks, its worst-off chunk and its under-replicated ones follow,
        // whatever the wanted count. `providers.stored_chunks` and `stored_bytes`: its stored
        // placements and their chunks' bytes. `vault_counts`, one row: the chunks and their
        // bytes, the bytes of those with a stored copy, the placements that name an object
        // (HealthRows::stats()). Triggers keep them right on every path that writes placements,
        // manifests, files or chunks, as catalog_dirty is kept; tst_modelcounts compares them
        // with sums of the rows. Rows of 0 chunks are left in place (readers skip them): a
        // chunk moving between counts would delete and insert.
        QStringList{
            QStringLiteral("ALTER TABLE chunks ADD COLUMN copies INTEGER NOT NULL DEFAULT 0"),
            QStringLiteral("UPDATE chunks SET copies = (SELECT COUNT(*) FROM placements p WHERE "
                           "p.cid = chunks.cid AND p.state = 'stored')"),
            QStringLiteral("ALTER TABLE providers ADD COLUMN stored_chunks INTEGER NOT NULL "
                           "DEFAULT 0"),
            QStringLiteral("ALTER TABLE providers ADD COLUMN stored_bytes INTEGER NOT NULL "
                           "DEFAULT 0"),
            QStringLiteral("UPDATE providers SET stored_chunks = (SELECT COUNT(*) FROM placements "
                           "p WHERE p.provider_id = providers.id AND p.state = 'stored'), "
                           "stored_bytes = (SELECT COALESCE(SUM(c.size), 0) FROM placements p "
                           "JOIN chunks c ON c.cid = p.cid WHERE p.provider_id = providers.id "
                           "AND p.state = 'stored')"),
            QStringLiteral("CREATE TABLE vault_counts (id INTEGER PRIMARY KEY CHECK (id = 1), "
                           "chunks INTEGER NOT NULL, chunk_bytes INTEGER NOT NULL, "
                           "stored_chunk_bytes INTEGER NOT NULL, placements INTEGER NOT NULL)"),
            QStringLiteral("INSERT INTO vault_counts (id, chunks, chunk_bytes, stored_chunk_bytes, "
                           "placements) SELECT 1, (SELECT COUNT(*) FROM chunks), (SELECT "
                           "COALESCE(SUM(size), 0) FROM chunks), (SELECT COALESCE(SUM(size), 0) "
                           "FROM chunks WHERE copies > 0), (SELECT COUNT(*) FROM placements "
                           "WHERE locator <> '')"),
            reused("chunks_counts_insert"),
            reused("chunks_counts_delete"),
            reused("chunks_fixed"),
            reused("placements_counts_insert"),
            reused("placements_counts_delete"),
            QStringLiteral("CREATE TRIGGER placements_counts_update AFTER UPDATE OF locator ON "
                           "placements WHEN (OLD.locator <> '') <> (NEW.locator <> '') BEGIN "
                           "UPDATE vault_counts SET placements = placements + (CASE WHEN "
                           "NEW.locator <> '' THEN 1 ELSE -1 END); END"),
            // Chunks no stored copy holds, which the dedup figures of `stats` leave out.
            reused("chunks_lost"),
            QStringLiteral("CREATE TABLE model_copies (model_id INTEGER NOT NULL REFERENCES "
                           "models(id) ON DELETE CASCADE, copies INTEGER NOT NULL, chunks "
                           "INTEGER NOT NULL, PRIMARY KEY (model_id, copies)) WITHOUT ROWID"),
            QStringLiteral("INSERT INTO model_copies (model_id, copies, chunks) SELECT model_id, "
                           "copies, COUNT(*) FROM (SELECT DISTINCT f.model_id AS model_id, fc.cid "
                           "AS cid, c.copies AS copies FROM files f JOIN file_chunks fc ON "
                           "fc.file_id = f.id JOIN chunks c ON c.cid = fc.cid) GROUP BY "
                           "model_id, copies"),
        } + copiesTriggers() +
            QStringList{
                // A chunk's placements go before the chunk does, for the same reason as a file's
                // manifest below: the triggers above need its size.
                reused("chunks_copies_delete"),
                // The copies found missing or corrupt, which `stats` counts: few, found without
                // reading every placement.
                reused("placements_bad"),
                // A manifest row adds its chunk to the model's distinct chunks unless another row
                // of the model has it already, and takes it away when it was the last such row.
                reused("file_chunks_copies_insert"),
                reused("file_chunks_copies_delete"),
                // How many manifest rows use each chunk: one that none uses is an orphan, found
                // through its own index (PlacementRows::orphanChunks()) rather than by reading
                // every
                // chunk of the vault after each rm.
                QStringLiteral("ALTER TABLE chunks ADD COLUMN refs INTEGER NOT NULL DEFAULT 0"),
                QStringLiteral(
                    "UPDATE chunks SET refs = (SELECT COUNT(*) FROM file_chunks fc WHERE "
                    "fc.cid = chunks.cid)"),
                reused("chunks_orphaned"),
                reused("file_chunks_refs_insert"),
                reused("file_chunks_refs_delete"),
                // A file's manifest goes before the file does: the ON DELETE CASCADE that would
                // remove it runs once the file's row is gone, when file_chunks_copies_delete could
                // no longer tell whose chunks they were.
                QStringLiteral("CREATE TRIGGER files_copies_delete BEFORE DELETE ON files BEGIN "
                               "DELETE FROM file_chunks WHERE file_id = OLD.id; END"),
                // Manifest rows only ever change their idx (beginFile()); a row given another chunk
                // or file would need the triggers above, so it is refused rather than miscounted.
                reused("file_chunks_fixed"),
                QStringLiteral(
                    "CREATE TRIGGER files_fixed BEFORE UPDATE OF model_id ON files BEGIN "
                    "SELECT RAISE(ABORT, 'a file stays in its model'); END"),
            },
        // 14 -> 15: a registry under 300 bytes per placement (docs/scale.md): 403 before, most of
        // it the chunk's 59-character CID written again and again. `chunks`, `file_chunks` and
        // `placements` become WITHOUT ROWID tables, whose rows live in their primary key's tree,
        // so the separate index of that key (a copy of every CID) is gone; and a placement no
        // longer writes its locator out when the CID gives it. `short_locator` NULL: the object is
        // named by the CID (local folders, WebDAV); ending in '/': by that prefix and the CID
        // (S3's keys); otherwise the locator itself (IPFS DAG roots, Drive and MEGA ids), '' for
        // a put not yet ended. `locator` is computed from it, so every reader reads it as before;
        // no provider names an object with a trailing '/' (registry/shortlocator.h refuses one).
        // The tables are rebuilt as SQLite's "other kinds of table schema changes" says, with
        // foreign keys off and no check of other tables' triggers on the rename (RebuildSettings).
        // Dropping a table drops its own indexes and triggers, made again here as they were.
        QStringList{
            QStringLiteral("CREATE TABLE chunks_15 (cid TEXT PRIMARY KEY, size INTEGER NOT NULL "
                           "CHECK (size > 0), dag_cid TEXT, dag_size INTEGER, copies INTEGER NOT "
                           "NULL DEFAULT 0, refs INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID"),
            QStringLiteral("INSERT INTO chunks_15 (cid, size, dag_cid, dag_size, copies, refs) "
                           "SELECT cid, size, dag_cid, dag_size, copies, refs FROM chunks"),
            QStringLiteral("DROP TABLE chunks"),
            QStringLiteral("ALTER TABLE chunks_15 RENAME TO chunks"),
            reused("chunks_lost"),
            reused("chunks_orphaned"),
            reused("chunks_counts_insert"),
            reused("chunks_counts_delete"),
            reused("chunks_fixed"),
            reused("chunks_copies_delete"),
            QStringLiteral("CREATE TABLE file_chunks_15 (file_id INTEGER NOT NULL REFERENCES "
                           "files(id) ON DELETE CASCADE, idx INTEGER NOT NULL, offset INTEGER NOT "
                           "NULL, cid TEXT NOT NULL REFERENCES chunks(cid), PRIMARY KEY (file_id, "
                           "idx)) WITHOUT ROWID"),
            QStringLiteral("INSERT INTO file_chunks_15 (file_id, idx, offset, cid) SELECT file_id, "
                           "idx, offset, cid FROM file_chunks"),
            QStringLiteral("DROP TABLE file_chunks"),
            QStringLiteral("ALTER TABLE file_chunks_15 RENAME TO file_chunks"),
            reused("file_chunks_by_cid"),
            reused("file_chunks_copies_insert"),
            reused("file_chunks_copies_delete"),
            reused("file_chunks_refs_insert"),
            reused("file_chunks_refs_delete"),
            reused("file_chunks_fixed"),
            QStringLiteral(
                "CREATE TABLE placements_15 (cid TEXT NOT NULL REFERENCES chunks(cid) ON DELETE "
                "CASCADE, provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE "
                "CASCADE, short_locator TEXT, state TEXT NOT NULL CHECK (state IN ('pending', "
                "'stored', 'missing', 'corrupt')), verified_at INTEGER, stored_at INTEGER, "
                "checked_at INTEGER, locator TEXT GENERATED ALWAYS AS (CASE WHEN short_locator IS "
                "NULL THEN cid WHEN substr(short_locator, -1) = '/' THEN short_locator || cid ELSE "
                "short_locator END) VIRTUAL, PRIMARY KEY (cid, provider_id)) WITHOUT ROWID"),
            QStringLiteral(
                "INSERT INTO placements_15 (cid, provider_id, short_locator, state, verified_at, "
                "stored_at, checked_at) SELECT cid, provider_id, CASE WHEN locator = cid THEN NULL "
                "WHEN substr(locator, -1 - length(cid)) = '/' || cid THEN substr(locator, 1, "
                "length(locator) - length(cid)) ELSE locator END, state, verified_at, stored_at, "
                "checked_at FROM placements"),
            QStringLiteral("DROP TABLE placements"),
            QStringLiteral("ALTER TABLE placements_15 RENAME TO placements"),
            // CREATE INDEX placements_by_provider is not made again: in a WITHOUT ROWID table an
            // index holds the row's key, and this one would be another copy of every CID (75
            // bytes a placement). The readers that went through it follow other ways: a
            // provider's stored copies are counted (providers.stored_chunks), its other ones are
            // few (the index below), and its objects are found chunk by chunk through the key.
            QStringLiteral("CREATE INDEX placements_unstored ON placements (provider_id) WHERE "
                           "state <> 'stored'"),
            reused("placements_not_named"),
            reused("placements_pending"),
            reused("placements_bad"),
            reused("placements_counts_insert"),
            reused("placements_counts_delete"),
            // As schema 14's, but a locator changes through the column it is computed from.
            QStringLiteral("CREATE TRIGGER placements_counts_update AFTER UPDATE OF short_locator "
                           "ON placements WHEN (OLD.locator <> '') <> (NEW.locator <> '') BEGIN "
                           "UPDATE vault_counts SET placements = placements + (CASE WHEN "
                           "NEW.locator <> '' THEN 1 ELSE -1 END); END"),
        } + copiesTriggers(),
        // 15 -> 16: since when a provider has not answered (NULL: it answered when last asked).
        // One silent for longer than the setting health.unreachable_after has its copies
        // counted as lost by the next check (reachability.cpp).
        {
            QStringLiteral("ALTER TABLE providers ADD COLUMN unreachable_since INTEGER"),
        },
        // 16 -> 17: since when this vault has seen a chunk unreferenced (docs/coordination.md,
        // "Collecting across vaults"): a chunk the registry holds with no file using it, or an
        // object a provider lists that no catalog names. The collector stamps it the first
        // time it sees it so and deletes it only once the grace period has passed since. Known,
        // used again, forgotten or deleted, the stamp goes (the triggers): an old stamp must
        // never make a chunk that comes back later deletable at once.
        {
            QStringLiteral("CREATE TABLE chunk_unreferenced (cid TEXT PRIMARY KEY, since INTEGER "
                           "NOT NULL) WITHOUT ROWID"),
            QStringLiteral("CREATE TRIGGER chunks_known_again AFTER INSERT ON chunks BEGIN "
                           "DELETE FROM chunk_unreferenced WHERE cid = NEW.cid; END"),
            QStringLiteral("CREATE TRIGGER chunks_referenced_again AFTER UPDATE OF refs ON chunks "
                           "WHEN NEW.refs > 0 AND OLD.refs = 0 BEGIN DELETE FROM "
                           "chunk_unreferenced WHERE cid = NEW.cid; END"),
            QStringLiteral("CREATE TRIGGER chunks_forgotten AFTER DELETE ON chunks BEGIN "
                           "DELETE FROM chunk_unreferenced WHERE cid = OLD.cid; END"),
            QStringLiteral("CREATE TRIGGER deletions_done AFTER DELETE ON deletions BEGIN "
                           "DELETE FROM chunk_unreferenced WHERE cid = OLD.cid; END"),
        },
        // 17 -> 18: chunks stored as erasure-coded shards (docs/erasure.md). A shard is a row of
        // `chunks` of its own (its CID and length), so placements, deletions, budgets and scrub
        // see it as an object; `chunk_shards` says which shards make a chunk under a scheme.
        // A shard named there counts as a reference (`refs`), so collection never takes a shard
        // a chunk needs; the chunk's row going (collected once no file uses it) takes its rows
        // here with it, and its shards become unreferenced in turn. `models.redundancy` is the
        // scheme a model was floated with ("copies N", "shards K+M"; '' for a model floated
        // before: copies, as many as the vault's replication).
        {
            QStringLiteral("ALTER TABLE models ADD COLUMN redundancy TEXT NOT NULL DEFAULT ''"),
            QStringLiteral("CREATE TABLE chunk_shards (chunk_cid TEXT NOT NULL REFERENCES "
                           "chunks(cid) ON DELETE CASCADE, k INTEGER NOT NULL CHECK (k >= 1), "
                           "m INTEGER NOT NULL CHECK (m >= 1 AND k + m <= 32), idx INTEGER NOT "
                           "NULL CHECK (idx >= 0 AND idx < k + m), shard_cid TEXT NOT NULL "
                           "REFERENCES chunks(cid), PRIMARY KEY (chunk_cid, k, m, idx)) "
                           "WITHOUT ROWID"),
            QStringLiteral("CREATE INDEX chunk_shards_by_shard ON chunk_shards (shard_cid)"),
            QStringLiteral("CREATE TRIGGER chunk_shards_refs_insert AFTER INSERT ON chunk_shards "
                           "BEGIN UPDATE chunks SET refs = refs + 1 WHERE cid = NEW.shard_cid; "
                           "END"),
            QStringLiteral("CREATE TRIGGER chunk_shards_refs_delete AFTER DELETE ON chunk_shards "
                           "BEGIN UPDATE chunks SET refs = refs - 1 WHERE cid = OLD.shard_cid; "
                           "END"),
        },
    };
    return all;
}

bool exec(QSqlDatabase& db, const QString& sql, QString* error)
{
    QSqlQuery q(db);
    if (q.exec(sql))
        return true;
    *error = describeSqlError(q.lastError());
    return false;
}

// The stored version, 0 for a database that has none yet (a new or empty file). Only reads.
bool readVersion(QSqlDatabase& db, int* version, bool* hasRow, QString* error)
{
    *version = 0;
    *hasRow = false;
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'schema_version'")) ||
        !q.next()) {
        *error = describeSqlError(q.lastError());
        return false;
    }
    if (q.value(0).toInt() == 0)
        return true;
    if (!q.exec(QStringLiteral("SELECT version FROM schema_version"))) {
        *error = describeSqlError(q.lastError());
        return false;
    }
    if (q.next()) {
        *version = q.value(0).toInt();
        *hasRow = true;
    }
    return true;
}

QString newerError(int version)
{
    return QStringLiteral("This vault was written by a newer ModelFloat (schema %1; this "
                          "version understands up to %2). Update ModelFloat to open it.")
        .arg(version)
        .arg(latestVersion());
}

} // namespace

int latestVersion()
{
    return int(steps().size());
}

namespace {

// Step 15 rebuilds tables the way SQLite's "other kinds of table schema changes" asks: with
// foreign keys off (dropping the old table would otherwise delete, by cascade, every row that
// refers to it) and without the rename's check of every trigger in the schema (other tables'
// triggers name the dropped table until the new one takes its name). Both are settings of the
// connection, changed outside any transaction and put back on every way out. Rows copied with
// them off keep the references they had, which those foreign keys kept whole until then.
class RebuildSettings final
{
    Q_DISABLE_COPY_MOVE(RebuildSettings)

public:
    explicit RebuildSettings(QSqlDatabase& db)
        : m_db(db)
    {
        QSqlQuery q(m_db);
        m_foreignKeys =
            q.exec(QStringLiteral("PRAGMA foreign_keys")) && q.next() && q.value(0).toInt() == 1;
        q.exec(QStringLiteral("PRAGMA foreign_keys = OFF"));
        q.exec(QStringLiteral("PRAGMA legacy_alter_table = ON"));
    }
    ~RebuildSettings()
    {
        QSqlQuery q(m_db);
        q.exec(QStringLiteral("PRAGMA legacy_alter_table = OFF"));
        if (m_foreignKeys)
            q.exec(QStringLiteral("PRAGMA foreign_keys = ON"));
    }

private:
    QSqlDatabase& m_db;
    bool m_foreignKeys = false;
};

bool runSteps(QSqlDatabase& db, int wanted, QString* error, bool requireSchema)
{
    // Look before writing anything: a vault from a newer ModelFloat is left exactly as it is.
    int version = 0;
    bool hasRow = false;
    if (!readVersion(db, &version, &hasRow, error))
        return false;
    if (requireSchema && !hasRow) {
        *error = QStringLiteral("it holds no ModelFloat registry (no schema version)");
        return false;
    }
    if (version > latestVersion()) {
        *error = newerError(version);
        return false;
    }
    if (version >= wanted)
        return true;
    const int from = version;
    RebuildSettings settings(db);
    while (version < wanted) {
        // One step per transaction, IMMEDIATE so that the write lock is ours before the version
        // is read again: two processes opening a new vault at once migrate it one after the
        // other, and the second finds nothing left to do.
        if (!exec(db, QStringLiteral("BEGIN IMMEDIATE"), error))
            return false;
        bool ok = readVersion(db, &version, &hasRow, error);
        if (ok && version >= wanted) {
            db.rollback();
            if (version <= latestVersion())
                return true;
            *error = newerError(version);
            return false;
        }
        const int target = version + 1;
        if (ok && version == 0)
            ok = exec(db,
                      QStringLiteral(
                          "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"),
                      error);
        for (const QString& sql : steps().at(version))
            ok = ok && exec(db, sql, error);
        const QString bump =
            hasRow ? QStringLiteral("UPDATE schema_version SET version = %1")
                   : QStringLiteral("INSERT INTO schema_version (version) VALUES (%1)");
        ok = ok && exec(db, bump.arg(target), error);
        if (!ok || !db.commit()) {
            if (ok)
                *error = describeSqlError(db.lastError());
            db.rollback();
            *error = QStringLiteral("Upgrading the vault to schema %1 failed: %2")
                         .arg(target)
                         .arg(*error);
            return false;
        }
        version = target;
    }
    // Step 15's rebuild leaves the old tables' pages free: a vault of 2,000,000 placements would
    // keep its 768 MiB file and fill the new tables beside it. Compacted once, after the upgrade;
    // if it cannot be (too little disk, another process reading), the free pages are used again
    // as the vault grows, so the upgrade stands.
    constexpr int RebuildStep = 15;
    if (from < RebuildStep && version >= RebuildStep && from > 0) {
        QSqlQuery vacuum(db);
        vacuum.exec(QStringLiteral("VACUUM"));
    }
    return true;
}

} // namespace

bool migrate(QSqlDatabase& db, QString* error, bool requireSchema)
{
    return runSteps(db, latestVersion(), error, requireSchema);
}

bool migrateTo(QSqlDatabase& db, int version, QString* error)
{
    Q_ASSERT(version <= latestVersion());
    return runSteps(db, version, error, false);
}

} // namespace mf::migrations
