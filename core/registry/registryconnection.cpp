// RegistryConnection: the registry's SQLite connection, its transactions and read snapshots.
#include "registryconnection.h"

#include "registryquery.h"
#include "sqlerror.h"

#include <QAtomicInteger>
#include <QSqlError>
#include <QSqlQuery>

namespace mf {

RegistryConnection::~RegistryConnection()
{
    m_statements.clear(); // before the connection they belong to
    m_db.close();
    m_db = QSqlDatabase();
    if (!m_connectionName.isEmpty())
        QSqlDatabase::removeDatabase(m_connectionName);
}

bool RegistryConnection::open(const QString& path, QString* error)
{
    static QAtomicInteger<quint64> counter;
    m_path = path;
    m_connectionName = QStringLiteral("modelfloat-registry-%1").arg(counter.fetchAndAddRelaxed(1));
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    m_db.setDatabaseName(path);
    // Another process (the CLI beside the app) may hold a write lock briefly.
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(BusyTimeoutMs));
    if (m_db.open())
        return true;
    *error = describeSqlError(m_db.lastError());
    return false;
}

bool RegistryConnection::fail(const QString& what, const QString& detail)
{
    m_lastError = QStringLiteral("Registry error (%1): %2").arg(what, detail);
    return false;
}

bool RegistryConnection::transaction(const std::function<bool()>& work)
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

bool RegistryConnection::readSnapshot(const std::function<bool()>& work)
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

} // namespace mf
