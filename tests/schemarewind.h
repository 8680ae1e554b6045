#pragma once

// Takes a registry back to an older schema as that version was released, undoing the steps of
// core/registry/migrations.cpp from the newest down: the upgrade tests build a vault with today's
// code, rewind it, and check that opening it upgrades it. A new migration step adds its undo here.

#include <QMap>
#include <QSqlQuery>
#include <QStringList>

namespace mf::test {

// The statements that take a registry at the latest schema back to `version`.
inline QStringList schemaRewind(int version)
{
    auto dropColumns = [](const char* table, std::initializer_list<const char*> columns) {
        QStringList out;
        for (const char* c : columns)
            out.append(QStringLiteral("ALTER TABLE %1 DROP COLUMN %2")
                           .arg(QLatin1String(table), QLatin1String(c)));
        return out;
    };
    // undo[v]: from schema v back to v - 1.
    QMap<int, QStringList> undo;
    // Step 15's tables rebuilt as schema 14 had them, their indexes made again. Their triggers
    // went with the tables; undo[14] drops the rest. A test that wants schema 14 itself, triggers
    // and all, rewinds to 13 and runs migrations::migrateTo(db, 14).
    auto rebuild = [](const char* table, const char* columns, const char* values,
                      const char* definition) {
        const QString t = QLatin1String(table);
        return QStringList{
            QStringLiteral("CREATE TABLE %1_14 (%2)").arg(t, QLatin1String(definition)),
            QStringLiteral("INSERT INTO %1_14 (%2) SELECT %3 FROM %1")
                .arg(t, QLatin1String(columns), QLatin1String(values)),
            QStringLiteral("DROP TABLE %1").arg(t),
            QStringLiteral("ALTER TABLE %1_14 RENAME TO %1").arg(t),
        };
    };
    undo[18] = QStringList{QStringLiteral("DROP TRIGGER chunk_shards_refs_insert"),
                           QStringLiteral("DROP TRIGGER chunk_shards_refs_delete"),
                           QStringLiteral("DROP TABLE chunk_shards")} +
               dropColumns("models", {"redundancy"});
    undo[17] = QStringList{QStringLiteral("DROP TRIGGER chunks_known_again"),
                           QStringLiteral("DROP TRIGGER chunks_referenced_again"),
                           QStringLiteral("DROP TRIGGER chunks_forgotten"),
                           QStringLiteral("DROP TRIGGER deletions_done"),
                           QStringLiteral("DROP TABLE chunk_unreferenced")};
    undo[16] = dropColumns("providers", {"unreachable_since"});
    undo[15] = QStringList{QStringLiteral("PRAGMA legacy_alter_table = ON")} +
               rebuild("chunks", "cid, size, dag_cid, dag_size, copies, refs",
                       "cid, size, dag_cid, dag_size, copies, refs",
                       "cid TEXT PRIMARY KEY, size INTEGER NOT NULL CHECK (size > 0), dag_cid "
                       "TEXT, dag_size INTEGER, copies INTEGER NOT NULL DEFAULT 0, refs INTEGER "
                       "NOT NULL DEFAULT 0") +
               rebuild("file_chunks", "file_id, idx, offset, cid", "file_id, idx, offset, cid",
                       "file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, idx "
                       "INTEGER NOT NULL, offset INTEGER NOT NULL, cid TEXT NOT NULL REFERENCES "
                       "chunks(cid), PRIMARY KEY (file_id, idx)") +
               rebuild("placements",
                       "cid, provider_id, locator, state, verified_at, stored_at, checked_at",
                       "cid, provider_id, locator, state, verified_at, stored_at, checked_at",
                       "cid TEXT NOT NULL REFERENCES chunks(cid) ON DELETE CASCADE, provider_id "
                       "INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE, locator "
                       "TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'stored', "
                       "'missing', 'corrupt')), verified_at INTEGER, stored_at INTEGER, "
                       "checked_at INTEGER, PRIMARY KEY (cid, provider_id)") +
               QStringList{
                   QStringLiteral("CREATE INDEX chunks_lost ON chunks (cid) WHERE copies = 0"),
                   QStringLiteral("CREATE INDEX chunks_orphaned ON chunks (cid) WHERE refs = 0"),
                   QStringLiteral("CREATE INDEX file_chunks_by_cid ON file_chunks (cid)"),
                   QStringLiteral("CREATE INDEX placements_by_provider ON placements "
                                  "(provider_id)"),
                   QStringLiteral("CREATE INDEX placements_not_named ON placements (provider_id, "
                                  "cid) WHERE locator <> cid AND substr(locator, -1 - "
                                  "length(cid)) <> '/' || cid"),
                   QStringLiteral("CREATE INDEX placements_pending ON placements (provider_id) "
                                  "WHERE state = 'pending' AND locator = ''"),
                   QStringLiteral("CREATE INDEX placements_bad ON placements (cid) WHERE state IN "
                                  "('missing', 'corrupt')"),
                   QStringLiteral("PRAGMA legacy_alter_table = OFF"),
               };
    for (const char* trigger :
         {"placements_copies_insert", "placements_copies_delete", "placements_copies_lost",
          "placements_copies_made", "file_chunks_copies_insert", "file_chunks_copies_delete",
          "files_copies_delete", "file_chunks_fixed", "files_fixed", "chunks_copies_delete",
          "file_chunks_refs_insert", "file_chunks_refs_delete", "chunks_counts_insert",
          "chunks_counts_delete", "chunks_fixed", "placements_counts_insert",
          "placements_counts_delete", "placements_counts_update"})
        undo[14].append(QStringLiteral("DROP TRIGGER IF EXISTS ") + QLatin1String(trigger));
    for (const char* table : {"model_copies", "vault_counts"})
        undo[14].append(QStringLiteral("DROP TABLE ") + QLatin1String(table));
    undo[14].append(QStringLiteral("DROP INDEX chunks_lost"));
    undo[14].append(QStringLiteral("DROP INDEX placements_bad"));
    undo[14].append(QStringLiteral("DROP INDEX chunks_orphaned"));
    undo[14] += dropColumns("chunks", {"copies", "refs"}) +
                dropColumns("providers", {"stored_chunks", "stored_bytes"});
    undo[13] = {QStringLiteral("DROP INDEX placements_pending")};
    undo[12] = {QStringLiteral("DROP INDEX placements_not_named")};
    undo[11] = {QStringLiteral("DROP TABLE dag_pins")};
    undo[10] =
        dropColumns("chunks", {"dag_cid", "dag_size"}) + dropColumns("files", {"cid", "dag_size"});
    for (const char* trigger :
         {"models_catalog_dirty", "files_catalog_insert", "files_catalog_update",
          "files_catalog_delete", "models_catalog_removed"})
        undo[9].append(QStringLiteral("DROP TRIGGER ") + QLatin1String(trigger));
    for (const char* table : {"catalog_entries", "catalog_tombstones", "catalog_manifests",
                              "catalog_removed", "catalog_vaults", "catalog_published"})
        undo[9].append(QStringLiteral("DROP TABLE ") + QLatin1String(table));
    undo[9].append(QStringLiteral("DROP INDEX models_by_uid"));
    undo[9] += dropColumns("models", {"uid", "catalog_dirty", "catalog_manifest"});
    undo[8] = dropColumns("placements", {"stored_at", "checked_at"});
    undo[7] = {QStringLiteral("DROP TABLE provider_drains")};
    undo[6] = dropColumns("models", {"degraded"});
    undo[5] =
        dropColumns("jobs", {"owner"}) + QStringList{QStringLiteral("DROP TABLE scratch_areas")};
    undo[4] = {QStringLiteral("DROP TABLE provider_budgets")};
    undo[3] = dropColumns("models", {"lease_owner", "lease_expires"}) +
              QStringList{QStringLiteral("DROP INDEX deletions_by_cid")} +
              dropColumns("deletions", {"claimed_by", "claimed_until"});
    undo[2] = {QStringLiteral("DROP TABLE deletions")};
    QStringList out;
    for (int v = undo.lastKey(); v > version; --v)
        out += undo.value(v);
    out.append(QStringLiteral("UPDATE schema_version SET version = %1").arg(version));
    return out;
}

// Runs schemaRewind(version) with `query`; the first statement that fails, or empty.
inline QString rewindSchema(QSqlQuery& query, int version)
{
    for (const QString& sql : schemaRewind(version))
        if (!query.exec(sql))
            return sql;
    return {};
}

} // namespace mf::test
