#include "catalogqueries.h"

#include "modelrow.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>

namespace mf {

namespace {

// The same "replication" setting Vault reads and writes.
const QLatin1String ReplicationKey("replication");
constexpr int DefaultReplication = 2;

// LIKE pattern for "contains", with the wildcards of the text itself escaped.
QString containsPattern(const QString& text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    escaped.replace(QLatin1Char('%'), QLatin1String("\\%"));
    escaped.replace(QLatin1Char('_'), QLatin1String("\\_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

// A model matches when its name or source contains the text, or one of its files' format
// metadata does. Four placeholders, all bound to the same pattern.
const QLatin1String SearchCondition(
    "(m.name LIKE ? ESCAPE '\\' OR m.source LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM files f "
    "WHERE f.model_id = m.id AND (json_extract(f.metadata, '$.format') LIKE ? ESCAPE '\\' OR "
    "json_extract(f.metadata, '$.quantization') LIKE ? ESCAPE '\\')))");

void bindSearch(QSqlQuery& q, const QString& search)
{
    const QString pattern = containsPattern(search);
    for (int i = 0; i < 4; ++i)
        q.addBindValue(pattern);
}

} // namespace

CatalogQueries::~CatalogQueries()
{
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

std::unique_ptr<CatalogQueries> CatalogQueries::open(const QString& registryPath, QString* error)
{
    static QAtomicInteger<quint64> counter;
    std::unique_ptr<CatalogQueries> c(new CatalogQueries);
    c->m_connectionName =
        QStringLiteral("modelfloat-catalog-%1").arg(counter.fetchAndAddRelaxed(1));
    c->m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), c->m_connectionName);
    c->m_db.setDatabaseName(registryPath);
    // Read-only: the browser can never write, by construction.
    c->m_db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
    if (!c->m_db.open()) {
        *error = QStringLiteral("Cannot read the registry “%1”: %2")
                     .arg(registryPath, c->m_db.lastError().text());
        return nullptr;
    }
    return c;
}

QList<ModelRecord> CatalogQueries::modelPage(qint64 afterId, int limit, const QString& search)
{
    QList<ModelRecord> page;
    QSqlQuery q(m_db);
    QString sql =
        QStringLiteral("SELECT m.id, m.name, m.source, m.created_at, m.tags, m.state, m.degraded, "
                       "m.redundancy FROM "
                       "models m "
                       "WHERE m.id > ?");
    if (!search.isEmpty())
        sql += QLatin1String(" AND ") + SearchCondition;
    sql += QLatin1String(" ORDER BY m.id LIMIT ?");
    if (!q.prepare(sql)) {
        m_lastError = q.lastError().text();
        return page;
    }
    q.addBindValue(afterId);
    if (!search.isEmpty())
        bindSearch(q, search);
    q.addBindValue(limit);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return page;
    }
    while (q.next())
        page.append(modelFromRow(q));
    return page;
}

bool CatalogQueries::modelMatches(qint64 modelId, const QString& search)
{
    QSqlQuery q(m_db);
    QString sql = QStringLiteral("SELECT 1 FROM models m WHERE m.id = ?");
    if (!search.isEmpty())
        sql += QLatin1String(" AND ") + SearchCondition;
    if (!q.prepare(sql)) {
        m_lastError = q.lastError().text();
        return false;
    }
    q.addBindValue(modelId);
    if (!search.isEmpty())
        bindSearch(q, search);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return q.next();
}

int CatalogQueries::modelCount(const QString& search)
{
    QSqlQuery q(m_db);
    QString sql = QStringLiteral("SELECT COUNT(*) FROM models m");
    if (!search.isEmpty())
        sql += QLatin1String(" WHERE ") + SearchCondition;
    if (!q.prepare(sql)) {
        m_lastError = q.lastError().text();
        return 0;
    }
    if (!search.isEmpty())
        bindSearch(q, search);
    if (!q.exec() || !q.next()) {
        m_lastError = q.lastError().text();
        return 0;
    }
    return q.value(0).toInt();
}

int CatalogQueries::replicationFactor()
{
    QSqlQuery q(m_db);
    if (!q.prepare(QStringLiteral("SELECT value FROM vault_settings WHERE key = ?")))
        return DefaultReplication;
    q.addBindValue(QString(ReplicationKey));
    if (!q.exec() || !q.next())
        return DefaultReplication;
    return qMax(1, q.value(0).toInt());
}

} // namespace mf
