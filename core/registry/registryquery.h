#pragma once

// The registry's prepared-statement wrapper, shared by the files that implement the registry's
// classes of rows.

#include "registryconnection.h"
#include "registryrows.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <memory>

namespace mf {

struct RegistryConnection::CachedStatement
{
    QSqlQuery query;
    bool inUse = false;
};

// A prepared statement that records its error on the registry's connection. The connection
// keeps it prepared for the next Query of the same SQL (values are bound afresh for each
// exec()); destroying the Query resets it, as destroying a QSqlQuery would, so no read stays
// open. Made by a class of rows (`Query q(this, sql)`) or on the connection itself.
class RegistryQuery
{
public:
    RegistryQuery(RegistryRows* rows, const QString& sql)
        : RegistryQuery(rows->m_db, sql)
    {}
    RegistryQuery(RegistryConnection& connection, const QString& sql)
        : m_registry(&connection)
        , m_sql(sql)
    {
        RegistryConnection* r = &connection;
        const auto kept = r->m_statements.constFind(sql);
        if (kept != r->m_statements.constEnd() && !(*kept)->inUse) {
            m_cached = *kept;
            m_cached->inUse = true;
            m_ok = true;
            return;
        }
        auto made = std::make_shared<RegistryConnection::CachedStatement>();
        made->query = QSqlQuery(r->m_db);
        made->query.setForwardOnly(true);
        m_ok = made->query.prepare(sql);
        if (!m_ok)
            r->fail(QStringLiteral("prepare"), made->query.lastError().text());
        // Kept for the next Query of this SQL; bounded, since a few statements are built with
        // as many placeholders as they have values.
        else if (kept == r->m_statements.constEnd() && r->m_statements.size() < MaxKept)
            r->m_statements.insert(sql, made);
        made->inUse = true;
        m_cached = std::move(made);
    }
    ~RegistryQuery()
    {
        m_cached->query.finish();
        m_cached->inUse = false;
    }
    RegistryQuery(const RegistryQuery&) = delete;
    RegistryQuery& operator=(const RegistryQuery&) = delete;

    RegistryQuery& bind(const QVariant& v)
    {
        // A null QString binds as SQL NULL, which every NOT NULL text column refuses: a model
        // without a source or a job state without an error would fail to save.
        if (v.typeId() == QMetaType::QString && v.toString().isNull())
            m_cached->query.addBindValue(QStringLiteral(""));
        else
            m_cached->query.addBindValue(v);
        return *this;
    }
    bool exec()
    {
        if (!m_ok)
            return false;
        if (!m_cached->query.exec())
            return m_registry->fail(m_sql.section(QLatin1Char(' '), 0, 2),
                                    m_cached->query.lastError().text());
        return true;
    }
    QSqlQuery& q() { return m_cached->query; }
    qint64 lastId() const { return m_cached->query.lastInsertId().toLongLong(); }
    int affected() const { return m_cached->query.numRowsAffected(); }

private:
    static constexpr qsizetype MaxKept = 256;

    RegistryConnection* m_registry;
    QString m_sql;
    // Shared with the connection's cache, if kept there.
    std::shared_ptr<RegistryConnection::CachedStatement> m_cached;
    bool m_ok = false;
};

// The name the rows' files use.
using Query = RegistryQuery;

// Values as the registry's columns keep them: times in seconds since the epoch, JSON objects as
// compact text.
namespace registrycolumns {
inline qint64 nowSecs()
{
    return QDateTime::currentSecsSinceEpoch();
}
inline QString toJson(const QJsonObject& o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}
inline QJsonObject fromJson(const QString& s)
{
    return QJsonDocument::fromJson(s.toUtf8()).object();
}
} // namespace registrycolumns

// "1,2,3": ids for an IN (...) list. Integers: nothing to escape; a different list is a
// different statement, so keep these lists to what a user named (a few models).
inline QString sqlIdList(const QList<qint64>& ids)
{
    QStringList out;
    out.reserve(ids.size());
    for (qint64 id : ids)
        out.append(QString::number(id));
    return out.join(QLatin1Char(','));
}

} // namespace mf
