// QueueRows: the jobs table, the durable queue of transfers (payloads as JSON, owned by one
// process at a time).
#include "registry.h"
#include "registryquery.h"

namespace mf {

using registrycolumns::fromJson;
using registrycolumns::nowSecs;
using registrycolumns::toJson;

std::optional<qint64> QueueRows::addJob(const QString& kind, const QJsonObject& payload,
                                        const QString& owner)
{
    Query q(this, QStringLiteral("INSERT INTO jobs (kind, state, payload, created_at, updated_at, "
                                 "owner) VALUES (?, 'queued', ?, ?, ?, ?)"));
    const qint64 now = nowSecs();
    if (!q.bind(kind).bind(toJson(payload)).bind(now).bind(now).bind(owner).exec())
        return std::nullopt;
    return q.lastId();
}

bool QueueRows::takeOverJob(qint64 id, const QString& expectedOwner, const QString& owner)
{
    Query q(this, QStringLiteral("UPDATE jobs SET owner = ?, updated_at = ? WHERE id = ? AND "
                                 "COALESCE(owner, '') = ?"));
    return q.bind(owner).bind(nowSecs()).bind(id).bind(expectedOwner).exec() && q.affected() == 1;
}

QList<JobRow> QueueRows::jobRows(const QString& kind, const QString& state)
{
    QList<JobRow> out;
    Query q(this, QStringLiteral("SELECT id, payload, COALESCE(owner, ''), updated_at FROM jobs "
                                 "WHERE kind = ? AND state = ? ORDER BY id"));
    q.bind(kind).bind(state);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), fromJson(q.q().value(1).toString()),
                        q.q().value(2).toString(), q.q().value(3).toLongLong()});
    return out;
}

QString QueueRows::jobState(qint64 id, QString* reason)
{
    Query q(this, QStringLiteral("SELECT state, COALESCE(json_extract(payload, '$.error'), '') "
                                 "FROM jobs WHERE id = ?"));
    if (!q.bind(id).exec() || !q.q().next())
        return {};
    if (reason)
        *reason = q.q().value(1).toString();
    return q.q().value(0).toString();
}

bool QueueRows::cancelJobsOfModel(qint64 modelId, const QString& modelName, const QString& reason)
{
    // Paused jobs are "queued" rows; the reason goes into the payload too, where the transfer's
    // row reads it.
    Query q(this,
            QStringLiteral("UPDATE jobs SET state = 'cancelled', error = ?, updated_at = ?, "
                           "payload = json_set(payload, '$.error', ?) WHERE state IN "
                           "('queued', 'running') AND COALESCE(json_extract(payload, '$.kind'), "
                           "'') <> 'remove' AND (json_extract(payload, '$.modelId') = ? OR "
                           "json_extract(payload, '$.model') = ?)"));
    return q.bind(reason).bind(nowSecs()).bind(reason).bind(modelId).bind(modelName).exec();
}

bool QueueRows::setJobState(qint64 id, const QString& state, const QString& error)
{
    Query q(this,
            QStringLiteral("UPDATE jobs SET state = ?, error = ?, updated_at = ? WHERE id = ?"));
    return q.bind(state).bind(error).bind(nowSecs()).bind(id).exec();
}

bool QueueRows::setJobPayload(qint64 id, const QJsonObject& payload)
{
    Query q(this, QStringLiteral("UPDATE jobs SET payload = ?, updated_at = ? WHERE id = ?"));
    return q.bind(toJson(payload)).bind(nowSecs()).bind(id).exec();
}

QList<QPair<qint64, QJsonObject>> QueueRows::jobs(const QString& kind, const QString& state)
{
    QList<QPair<qint64, QJsonObject>> out;
    Query q(this, QStringLiteral(
                      "SELECT id, payload FROM jobs WHERE kind = ? AND state = ? ORDER BY id"));
    q.bind(kind).bind(state);
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), fromJson(q.q().value(1).toString())});
    return out;
}

bool QueueRows::removeJob(qint64 id)
{
    Query q(this, QStringLiteral("DELETE FROM jobs WHERE id = ?"));
    return q.bind(id).exec();
}

bool QueueRows::pruneFinishedJobs(qint64 beforeSecs, int keepNewest)
{
    Query q(this, QStringLiteral("DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') "
                                 "AND updated_at < ?"));
    if (!q.bind(beforeSecs).exec())
        return false;
    if (keepNewest < 0)
        return true;
    Query over(this, QStringLiteral(
                         "DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND id "
                         "NOT IN (SELECT id FROM jobs WHERE state IN ('done', 'failed', "
                         "'cancelled') ORDER BY updated_at DESC, id DESC LIMIT ?)"));
    return over.bind(keepNewest).exec();
}

} // namespace mf
