#pragma once

// A plain SQLite connection to a registry's file, beside the program that uses it and
// independent of the Registry class: what the suites use to read or edit a registry as another
// program (or another computer's catalog) would leave it.

#include <QAtomicInt>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>
#include <QtDebug>

namespace mf::test {

class Side final
{
    Q_DISABLE_COPY_MOVE(Side)

public:
    explicit Side(const QString& path)
        : m_name(QStringLiteral("side-%1").arg(s_counter.fetchAndAddRelaxed(1)))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        m_open = db.open();
    }
    ~Side()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    bool isOpen() const { return m_open; }
    bool exec(const QString& sql)
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        const bool ok = q.exec(sql);
        if (!ok)
            qWarning() << sql << q.lastError().text();
        return ok;
    }
    // The first column of the first row; invalid when there is no row or on error.
    QVariant scalar(const QString& sql)
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }
    qint64 count(const QString& table)
    {
        return scalar(QStringLiteral("SELECT COUNT(*) FROM ") + table).toLongLong();
    }

private:
    static inline QAtomicInteger<quint64> s_counter;
    QString m_name;
    bool m_open = false;
};

} // namespace mf::test
