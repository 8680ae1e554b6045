#include "migrations.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace mf::migrations {

namespace {

// Each entry moves the schema from version i to i + 1. Entries are never edited once
// released: a change is a new entry.
const QList<QStringList>& steps()
{
    static const QList<QStringList> all = {
        // 0 -> 1: the first schema.
        {
            QStringLiteral("CREATE TABLE vault_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
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
            QStringLiteral("CREATE INDEX file_chunks_by_cid ON file_chunks (cid)"),
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
    };
    return all;
}

bool exec(QSqlDatabase& db, const QString& sql, QString* error)
{
    QSqlQuery q(db);
    if (q.exec(sql))
        return true;
    *error = q.lastError().text();
    return false;
}

} // namespace

int latestVersion() { return int(steps().size()); }

bool migrate(QSqlDatabase& db, QString* error)
{
    if (!exec(db, QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"),
              error))
        return false;
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT version FROM schema_version"))) {
        *error = q.lastError().text();
        return false;
    }
    int version = 0;
    const bool hasRow = q.next();
    if (hasRow)
        version = q.value(0).toInt();
    q.finish();
    if (version > latestVersion()) {
        *error = QStringLiteral("This vault was written by a newer ModelFloat (schema %1; this "
                                "version understands up to %2). Update ModelFloat to open it.")
                     .arg(version)
                     .arg(latestVersion());
        return false;
    }
    for (int v = version; v < latestVersion(); ++v) {
        if (!db.transaction()) {
            *error = db.lastError().text();
            return false;
        }
        bool ok = true;
        for (const QString& sql : steps().at(v))
            ok = ok && exec(db, sql, error);
        const QString bump = (v == 0 && !hasRow)
                                 ? QStringLiteral("INSERT INTO schema_version (version) VALUES (%1)")
                                 : QStringLiteral("UPDATE schema_version SET version = %1");
        ok = ok && exec(db, bump.arg(v + 1), error);
        if (!ok || !db.commit()) {
            if (ok)
                *error = db.lastError().text();
            db.rollback();
            *error = QStringLiteral("Upgrading the vault to schema %1 failed: %2").arg(v + 1).arg(*error);
            return false;
        }
    }
    return true;
}

} // namespace mf::migrations
