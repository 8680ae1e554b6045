#pragma once

// SQLite's plan for a query on a registry file, for the tests that check that a query of a big
// vault is answered through its index rather than by reading every row.

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>

namespace mf::test {

// One line per step of the plan ("SCAN c USING INDEX chunks_lost", ...), read through a
// connection of its own; the error instead when the query cannot be planned.
inline QString queryPlan(const QString& databasePath, const QString& sql)
{
    const QString connection = QStringLiteral("query-plan");
    QString described;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(databasePath);
        QSqlQuery plan(db);
        if (!db.open() || !plan.exec(QStringLiteral("EXPLAIN QUERY PLAN ") + sql))
            described = QStringLiteral("cannot plan: ") + plan.lastError().text();
        while (plan.next())
            described += plan.value(3).toString() + QLatin1Char('\n');
    }
    QSqlDatabase::removeDatabase(connection);
    return described;
}

} // namespace mf::test
