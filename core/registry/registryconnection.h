#pragma once

#include <QHash>
#include <QSqlDatabase>
#include <QString>

#include <functional>
#include <memory>

namespace mf {

// The registry's one SQLite connection, shared by every class of rows over it (registry.h):
// the database handle, the statements kept prepared, transactions and read snapshots, and the
// error of the last call that failed. Owned by a Registry, on the thread that opened it.
class RegistryConnection final
{
    Q_DISABLE_COPY_MOVE(RegistryConnection)

public:
    // How long a statement waits for another connection's write lock.
    static constexpr int BusyTimeoutMs = 10000;

    RegistryConnection() = default;
    ~RegistryConnection();
    // Opens `path` as the connection's database (Registry::open() sets it up); false, with
    // `*error` in words a person can act on, when it cannot be opened.
    bool open(const QString& path, QString* error);

    QSqlDatabase& database() { return m_db; }
    QString path() const { return m_path; }
    QString lastError() const { return m_lastError; }
    // Records the error of the call under way: "Registry error (what): detail", or `error` as
    // it is (a refusal in words already meant for a person). fail() returns false, for
    // `return fail(...)`.
    bool fail(const QString& what, const QString& detail);
    void setLastError(const QString& error) { m_lastError = error; }

    // Runs `work` in one transaction; commits when it returns true, rolls back otherwise. A
    // nested call joins the outer transaction, and its failure rolls the whole one back.
    bool transaction(const std::function<bool()>& work);
    // Runs `work`, which only reads, on one snapshot of the registry: what other connections
    // commit meanwhile is not seen, and, unlike transaction(), no writer is kept waiting.
    // Inside a transaction it joins it; a write inside a snapshot fails.
    bool readSnapshot(const std::function<bool()>& work);

private:
    friend class RegistryQuery;
    // Statements prepared once and used again (RegistryQuery): preparing one costs more than
    // running it for the small statements a float runs per chunk. One per SQL text, unless it is
    // in use (a second at once is prepared on its own). Cleared before the connection closes.
    struct CachedStatement;
    QHash<QString, std::shared_ptr<CachedStatement>> m_statements;

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_path;
    QString m_lastError;
    int m_transactionDepth = 0;
    bool m_rollbackOnly = false; // a nested transaction failed
};

} // namespace mf
