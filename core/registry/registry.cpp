// Registry: opening the vault's database (migrations, WAL). The connection, its transactions
// and read snapshots are RegistryConnection's (registryconnection.cpp); the tables' own queries
// are in the files of the classes of rows (models.cpp, placements.cpp, catalogrows.cpp, ...).
#include "registry.h"

#include "migrations.h"
#include "registryquery.h"
#include "sqlerror.h"

#include <QElapsedTimer>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

namespace mf {

namespace {

constexpr int SqliteBusy = 5; // SQLITE_BUSY, the primary result code of "database is locked"

} // namespace

Registry::~Registry() = default;

std::unique_ptr<Registry> Registry::open(const QString& path, QString* error, Schema schema)
{
    std::unique_ptr<Registry> r(new Registry);
    QString openError;
    if (!r->m_connection.open(path, &openError)) {
        *error = QStringLiteral("Cannot open the registry “%1”: %2").arg(path, openError);
        return nullptr;
    }
    QSqlDatabase& db = r->m_connection.database();
    QSqlQuery q(db);
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
    if (!migrations::migrate(db, &migrateError, schema == Schema::MustExist)) {
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
        if (!busy || waited.elapsed() > RegistryConnection::BusyTimeoutMs) {
            *error = QStringLiteral("Cannot open the registry “%1”: %2")
                         .arg(path, describeSqlError(q.lastError()));
            return nullptr;
        }
        QThread::msleep(5);
    }
    q.finish();
    return r;
}

int Registry::schemaVersion()
{
    RegistryQuery q(m_connection, QStringLiteral("SELECT version FROM schema_version"));
    return q.exec() && q.q().next() ? q.q().value(0).toInt() : -1;
}

} // namespace mf
