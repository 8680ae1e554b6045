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
    for (const char* trigger :
         {"placements_copies_insert", "placements_copies_delete", "placements_copies_lost",
          "placements_copies_made", "file_chunks_copies_insert", "file_chunks_copies_delete",
          "files_copies_delete", "file_chunks_fixed", "files_fixed", "chunks_copies_delete",
          "file_chunks_refs_insert", "file_chunks_refs_delete", "chunks_counts_insert",
          "chunks_counts_delete", "chunks_fixed", "placements_counts_insert",
          "placements_counts_delete", "placements_counts_update"})
        undo[14].append(QStringLiteral("DROP TRIGGER ") + QLatin1String(trigger));
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
