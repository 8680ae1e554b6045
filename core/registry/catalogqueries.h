#pragma once

#include "records.h"

#include <QSqlDatabase>

#include <memory>

namespace mf {

// Read-only queries for browsing a large catalogue: models a page at a time, filtered in SQL,
// so a view over 10,000 models never loads them all. It has its own read-only SQLite
// connection on the registry file (WAL lets it read beside the engine's writes) and never
// writes. Owned by the thread that opened it, like every connection.
class CatalogQueries final
{
    Q_DISABLE_COPY_MOVE(CatalogQueries)

public:
    ~CatalogQueries();
    static std::unique_ptr<CatalogQueries> open(const QString& registryPath, QString* error);

    QString lastError() const { return m_lastError; }

    // Up to `limit` models with an id above `afterId`, in id order (keyset paging: a page costs
    // the same however deep into the catalogue it is). A non-empty `search` keeps the models
    // whose name, source, or any file's format or quantization contains it (case-insensitive).
    QList<ModelRecord> modelPage(qint64 afterId, int limit, const QString& search = {});
    // Whether one model matches `search` as modelPage() would filter it (a changed row).
    bool modelMatches(qint64 modelId, const QString& search);
    int modelCount(const QString& search = {});
    // The vault's wanted replicas per chunk (the "replication" setting, default 2).
    int replicationFactor();

private:
    CatalogQueries() = default;

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_lastError;
};

} // namespace mf
