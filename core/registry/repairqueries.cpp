// Registry: the chunks repair has to work on. Read-only queries, in CID order a batch at a time
// (keyset paging), so a vault of half a million chunks is walked with bounded memory.

#include "registry.h"
#include "registryquery.h"

namespace mf {

namespace {

// Restricts to chunks used by a complete file (of the given models): an unfinished float's
// chunks are its own business, and it places them itself.
QString usedCondition(const QList<qint64>& modelIds)
{
    QString sql = QStringLiteral("EXISTS (SELECT 1 FROM file_chunks fc JOIN files f ON f.id = "
                                 "fc.file_id WHERE fc.cid = c.cid AND f.state = 'complete'");
    if (!modelIds.isEmpty()) {
        QStringList ids;
        for (qint64 id : modelIds)
            ids.append(QString::number(id)); // integers: nothing to escape
        sql +=
            QStringLiteral(" AND f.model_id IN (") + ids.join(QLatin1Char(',')) + QLatin1Char(')');
    }
    return sql + QLatin1Char(')');
}

const QLatin1String GoodCopies("(SELECT COUNT(*) FROM placements p WHERE p.cid = c.cid AND "
                               "p.state = 'stored')");

} // namespace

QList<Registry::ChunkToRepair> Registry::chunksToRepair(const QString& afterCid, int limit,
                                                        int wanted, const QList<qint64>& modelIds)
{
    QList<ChunkToRepair> out;
    Query q(this, QStringLiteral("SELECT c.cid, c.size, ") + GoodCopies +
                      QStringLiteral(" AS good FROM chunks c WHERE c.cid > ? AND good < ? AND ") +
                      usedCondition(modelIds) + QStringLiteral(" ORDER BY c.cid LIMIT ?"));
    q.bind(afterCid).bind(wanted).bind(limit);
    if (q.exec())
        while (q.q().next())
            out.append(
                {q.q().value(0).toString(), q.q().value(1).toLongLong(), q.q().value(2).toInt()});
    return out;
}

Registry::RepairWork Registry::repairWork(int wanted, const QList<qint64>& modelIds)
{
    RepairWork work;
    Query q(this, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(c.size * (? - good)), 0) FROM "
                                 "(SELECT c.cid, c.size, ") +
                      GoodCopies + QStringLiteral(" AS good FROM chunks c WHERE ") +
                      usedCondition(modelIds) + QStringLiteral(") c WHERE good < ?"));
    q.bind(wanted).bind(wanted);
    if (q.exec() && q.q().next()) {
        work.chunks = q.q().value(0).toInt();
        work.bytes = q.q().value(1).toLongLong();
    }
    return work;
}

} // namespace mf
