#pragma once

// Registry's prepared-statement wrapper, shared by the files that implement Registry.

#include "registry.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace mf {

// A prepared statement that records its error in the registry.
class Registry::Query
{
public:
    Query(Registry* r, const QString& sql)
        : m_registry(r)
        , m_query(r->m_db)
        , m_sql(sql)
    {
        m_query.setForwardOnly(true);
        m_ok = m_query.prepare(sql);
        if (!m_ok)
            r->fail(QStringLiteral("prepare"), m_query.lastError().text());
    }
    Query& bind(const QVariant& v)
    {
        // A null QString binds as SQL NULL, which every NOT NULL text column refuses: a model
        // without a source or a job state without an error would fail to save.
        if (v.typeId() == QMetaType::QString && v.toString().isNull())
            m_query.addBindValue(QStringLiteral(""));
        else
            m_query.addBindValue(v);
        return *this;
    }
    bool exec()
    {
        if (!m_ok)
            return false;
        if (!m_query.exec())
            return m_registry->fail(m_sql.section(QLatin1Char(' '), 0, 2),
                                    m_query.lastError().text());
        return true;
    }
    QSqlQuery& q() { return m_query; }
    qint64 lastId() const { return m_query.lastInsertId().toLongLong(); }
    int affected() const { return m_query.numRowsAffected(); }

private:
    Registry* m_registry;
    QSqlQuery m_query;
    QString m_sql;
    bool m_ok = false;
};

} // namespace mf
