// Registry: opening the vault's database (migrations, WAL, the busy timeout), transactions and
// read snapshots, and the vault's settings. The tables' own queries are in the files named
// after them (providers.cpp, models.cpp, placements.cpp, jobs.cpp, catalogrows.cpp, ...).
#include "registry.h"

#include "migrations.h"
#include "registryquery.h"
#include "sqlerror.h"

#include <QAtomicInteger>
#include <QElapsedTimer>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

namespace mf {

namespace {

constexpr int BusyTimeoutMs = 10000;
constexpr int SqliteBusy = 5; // SQLITE_BUSY, the primary result code of "database is locked"

} // namespace

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

} // namespace mf
