// PlacementRows: chunks and where their copies are (placements), and the deletions still owed to
// providers.
#include "registry.h"
#include "registryquery.h"
#include "shortlocator.h"

#include <QDateTime>

namespace mf {

using registrycolumns::nowSecs;

namespace {

PlacementState placementStateFromName(const QString& name)
{
    if (name == QLatin1String("stored"))
        return PlacementState::Stored;
    if (name == QLatin1String("missing"))
        return PlacementState::Missing;
    if (name == QLatin1String("corrupt"))
        return PlacementState::Corrupt;
    return PlacementState::Pending;
}

Placement placementFrom(const QSqlQuery& q)
{
    Placement p;
    p.cid = q.value(0).toString();
    p.providerId = q.value(1).toLongLong();
    p.locator = q.value(2).toString();
    p.state = placementStateFromName(q.value(3).toString());
    if (!q.value(4).isNull())
        // UTC: a local-time QDateTime made per row re-reads the time zone (a stat of
        // /etc/localtime each), which made restoring a model of many files quadratic.
        p.verifiedAt = QDateTime::fromSecsSinceEpoch(q.value(4).toLongLong(), Qt::UTC);
    return p;
}

} // namespace

QString placementStateName(PlacementState state)
{
    switch (state) {
    case PlacementState::Pending:
        return QStringLiteral("pending");
    case PlacementState::Stored:
        return QStringLiteral("stored");
    case PlacementState::Missing:
        return QStringLiteral("missing");
    case PlacementState::Corrupt:
        return QStringLiteral("corrupt");
    }
    return {};
}

std::optional<qint64> PlacementRows::chunkSize(const QString& cid)
{
    Query q(this, QStringLiteral("SELECT size FROM chunks WHERE cid = ?"));
    q.bind(cid);
    if (q.exec() && q.q().next())
        return q.q().value(0).toLongLong();
    return std::nullopt;
}

QList<Placement> PlacementRows::placements(const QString& cid)
{
    QList<Placement> out;
    Query q(this, QStringLiteral("SELECT cid, provider_id, locator, state, verified_at FROM "
                                 "placements WHERE cid = ? AND locator != '' ORDER BY "
                                 "provider_id")); // no locator: a put that has not ended
    q.bind(cid);
    if (q.exec())
        while (q.q().next())
            out.append(placementFrom(q.q()));
    return out;
}

QSet<qint64> PlacementRows::putsBegun(const QString& cid)
{
    QSet<qint64> out;
    Query q(this, QStringLiteral("SELECT provider_id FROM placements WHERE cid = ? AND state = "
                                 "'pending' AND locator = ''"));
    if (q.bind(cid).exec())
        while (q.q().next())
            out.insert(q.q().value(0).toLongLong());
    return out;
}

QHash<QString, QList<Placement>> PlacementRows::placementsOfFile(qint64 fileId)
{
    QHash<QString, QList<Placement>> out;
    Query q(this, QStringLiteral("SELECT p.cid, p.provider_id, p.locator, p.state, p.verified_at "
                                 "FROM placements p WHERE p.cid IN (SELECT cid FROM file_chunks "
                                 "WHERE file_id = ?) AND p.locator != '' ORDER BY p.cid, "
                                 "p.provider_id"));
    q.bind(fileId);
    if (q.exec())
        while (q.q().next()) {
            Placement p = placementFrom(q.q());
            if (const qint64 seen = q.q().value(5).toLongLong(); seen > 0)
                p.lastSeen = QDateTime::fromSecsSinceEpoch(seen, Qt::UTC);
            out[p.cid].append(p);
        }
    return out;
}
QHash<QString, QList<Placement>> PlacementRows::placementsOfModel(qint64 modelId)
{
    QHash<QString, QList<Placement>> out;
    Query q(this, QStringLiteral("SELECT p.cid, p.provider_id, p.locator, p.state, p.verified_at, "
                                 "MAX(COALESCE(p.stored_at, 0), COALESCE(p.checked_at, 0), "
                                 "COALESCE(p.verified_at, 0)) FROM placements p WHERE p.cid IN "
                                 "(SELECT fc.cid FROM file_chunks fc JOIN files f "
                                 "ON f.id = fc.file_id WHERE f.model_id = ?) AND p.locator != '' "
                                 "ORDER BY p.cid, p.provider_id"));
    q.bind(modelId);
    if (q.exec())
        while (q.q().next()) {
            Placement p = placementFrom(q.q());
            if (const qint64 seen = q.q().value(5).toLongLong(); seen > 0)
                p.lastSeen = QDateTime::fromSecsSinceEpoch(seen, Qt::UTC);
            out[p.cid].append(p);
        }
    return out;
}

bool PlacementRows::recordPlacement(const Placement& p)
{
    QVariant locator;
    if (!shortLocator(p.cid, p.locator, &locator))
        return fail(QStringLiteral("placement"), unkeptLocator(p.locator));
    Query q(this, QStringLiteral("INSERT INTO placements (cid, provider_id, short_locator, state, "
                                 "verified_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (cid, "
                                 "provider_id) DO UPDATE SET short_locator = "
                                 "excluded.short_locator, state = excluded.state, verified_at = "
                                 "excluded.verified_at"));
    q.bind(p.cid).bind(p.providerId).bind(locator).bind(placementStateName(p.state));
    q.bind(p.verifiedAt.isValid() ? QVariant(p.verifiedAt.toSecsSinceEpoch()) : QVariant());
    return q.exec();
}

bool PlacementRows::setPlacementState(const QString& cid, qint64 providerId, PlacementState state,
                                      bool verifiedNow)
{
    Query q(this, verifiedNow ? QStringLiteral("UPDATE placements SET state = ?, verified_at = ? "
                                               "WHERE cid = ? AND provider_id = ?")
                              : QStringLiteral("UPDATE placements SET state = ? "
                                               "WHERE cid = ? AND provider_id = ?"));
    q.bind(placementStateName(state));
    if (verifiedNow)
        q.bind(nowSecs());
    return q.bind(cid).bind(providerId).exec();
}

bool PlacementRows::removePlacement(const QString& cid, qint64 providerId)
{
    Query q(this, QStringLiteral("DELETE FROM placements WHERE cid = ? AND provider_id = ?"));
    return q.bind(cid).bind(providerId).exec();
}

QHash<QString, int> PlacementRows::chunkModelCounts(qint64 modelId)
{
    QHash<QString, int> out;
    Query q(this,
            QStringLiteral(
                "SELECT fc.cid, COUNT(DISTINCT f.model_id) FROM file_chunks fc JOIN files f "
                "ON f.id = fc.file_id WHERE fc.cid IN (SELECT fc2.cid FROM file_chunks fc2 "
                "JOIN files f2 ON f2.id = fc2.file_id WHERE f2.model_id = ?) GROUP BY fc.cid"));
    q.bind(modelId);
    if (q.exec())
        while (q.q().next())
            out.insert(q.q().value(0).toString(), q.q().value(1).toInt());
    return out;
}

QList<QPair<QString, qint64>> PlacementRows::orphanChunks()
{
    QList<QPair<QString, qint64>> out;
    Query q(this,
            // chunks.refs and its index: schema 14 (migrations.cpp).
            QStringLiteral("SELECT cid, size FROM chunks WHERE refs = 0 ORDER BY cid"));
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toString(), q.q().value(1).toLongLong()});
    return out;
}

bool PlacementRows::removeChunk(const QString& cid)
{
    return transaction([&] {
        // Re-check inside the transaction: a float may have referenced it again meanwhile.
        Query used(this, QStringLiteral("SELECT 1 FROM file_chunks WHERE cid = ? LIMIT 1"));
        if (!used.bind(cid).exec())
            return false;
        if (used.q().next())
            return fail(QStringLiteral("remove chunk"), QStringLiteral("chunk is in use"));
        used.q().finish();
        Query record(this, QStringLiteral(
                               "INSERT OR IGNORE INTO deletions (provider_id, locator, cid, size, "
                               "created_at) SELECT p.provider_id, p.locator, p.cid, c.size, ? "
                               "FROM placements p JOIN chunks c ON c.cid = p.cid WHERE p.cid = ? "
                               "AND p.locator != ''")); // a put never finished names no object
        Query del(this, QStringLiteral("DELETE FROM chunks WHERE cid = ?"));
        return record.bind(nowSecs()).bind(cid).exec() && del.bind(cid).exec();
    });
}

QList<PendingDeletion> PlacementRows::pendingDeletions()
{
    QList<PendingDeletion> out;
    Query q(this, QStringLiteral("SELECT id, provider_id, locator, cid, size FROM deletions "
                                 "ORDER BY id"));
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), q.q().value(1).toLongLong(),
                        q.q().value(2).toString(), q.q().value(3).toString(),
                        q.q().value(4).toLongLong()});
    return out;
}

bool PlacementRows::forgetDeletion(qint64 id)
{
    // The object's bytes leave the provider's usage in the same transaction.
    return transaction([&] {
        Query uncount(this, QStringLiteral("UPDATE providers SET used_bytes = MAX(0, used_bytes - "
                                           "(SELECT size FROM deletions WHERE id = ?)) WHERE id = "
                                           "(SELECT provider_id FROM deletions WHERE id = ?)"));
        Query q(this, QStringLiteral("DELETE FROM deletions WHERE id = ?"));
        return uncount.bind(id).bind(id).exec() && q.bind(id).exec();
    });
}

} // namespace mf
