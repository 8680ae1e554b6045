// Registry: coordination between the processes and jobs that share one vault. Every check is
// made in the same IMMEDIATE transaction as the change it guards, so SQLite's write lock orders
// them: no interleaving of floats, removals and collections in any number of processes can
// record a placement of an object that a deletion then removes, or merge two writers' files.

#include "registry.h"
#include "registryquery.h"
#include "shortlocator.h"
#include "util/processidentity.h"

#include <QAtomicInteger>
#include <QDateTime>

namespace mf {

using registrycolumns::nowSecs;

namespace {

// An owner reads "host|pid|nonce|serial". The nonce tells a later process that got the same pid
// from the one that wrote the lease.
struct Owner
{
    QString host;
    qint64 pid = 0;
    QString process; // host|pid|nonce
};

Owner parseOwner(const QString& owner)
{
    const QStringList parts = owner.split(QLatin1Char('|'));
    Owner o;
    if (parts.size() >= 3) {
        o.host = parts.at(0);
        o.pid = parts.at(1).toLongLong();
        o.process = parts.mid(0, 3).join(QLatin1Char('|'));
    }
    return o;
}

// A lease (or claim) counts while it is unexpired and its process may still be running: on this
// host a dead pid frees it at once, so a float killed a moment ago can be resumed right away.
bool leaseLive(const QString& owner, const QVariant& until)
{
    if (owner.isEmpty() || until.isNull() || until.toLongLong() < nowSecs())
        return false;
    const Owner o = parseOwner(owner);
    if (o.process == parseOwner(Registry::processLeaseOwner()).process)
        return true; // another job of this very process
    if (o.host == processidentity::hostName() && !processidentity::mayBeRunning(o.pid))
        return false;
    return true;
}

QString describeHolder(const QString& owner)
{
    const Owner o = parseOwner(owner);
    if (o.host == processidentity::hostName())
        return QString::number(o.pid);
    return QStringLiteral("%1 on %2").arg(o.pid).arg(o.host);
}

} // namespace

QString Registry::processLeaseOwner()
{
    static const QString owner = QStringLiteral("%1|%2|%3")
                                     .arg(processidentity::hostName())
                                     .arg(processidentity::pid())
                                     .arg(processidentity::nonce());
    return owner;
}

QString Registry::newLeaseOwner()
{
    static QAtomicInteger<quint64> serial;
    return processLeaseOwner() + QLatin1Char('|') +
           QString::number(serial.fetchAndAddRelaxed(1) + 1);
}

bool Registry::checkModelLease(qint64 modelId, const QString& owner)
{
    Query q(this, QStringLiteral("SELECT lease_owner FROM models WHERE id = ?"));
    if (!q.bind(modelId).exec())
        return false;
    if (!q.q().next())
        return fail(QStringLiteral("write model"), QStringLiteral("the model no longer exists"));
    if (q.q().value(0).toString() != owner)
        return fail(QStringLiteral("write model"),
                    QStringLiteral("another process has taken this model over"));
    return true;
}

bool Registry::checkFileLease(qint64 fileId, const QString& owner)
{
    Query q(this, QStringLiteral("SELECT model_id FROM files WHERE id = ?"));
    if (!q.bind(fileId).exec())
        return false;
    if (!q.q().next())
        return fail(QStringLiteral("write file"), QStringLiteral("no such file"));
    const qint64 modelId = q.q().value(0).toLongLong();
    q.q().finish();
    return checkModelLease(modelId, owner);
}

Registry::ModelClaim Registry::claimModel(const QString& name, const QString& source,
                                          const QString& owner, bool reopenComplete)
{
    ModelClaim claim;
    const bool ok = transaction([&] {
        Query find(this, QStringLiteral("SELECT id, state, source, lease_owner, lease_expires "
                                        "FROM models WHERE name = ?"));
        if (!find.bind(name).exec())
            return false;
        if (!find.q().next()) {
            find.q().finish();
            const auto id = createModel(name, source, owner);
            if (!id)
                return false;
            claim.status = ModelClaim::Status::Created;
            claim.modelId = *id;
            return true;
        }
        claim.modelId = find.q().value(0).toLongLong();
        claim.source = find.q().value(2).toString();
        if (find.q().value(1).toString() == QLatin1String("complete") && !reopenComplete) {
            claim.status = ModelClaim::Status::Complete;
            return true;
        }
        const QString holder = find.q().value(3).toString();
        if (holder != owner && leaseLive(holder, find.q().value(4))) {
            claim.status = ModelClaim::Status::Busy;
            claim.holderPid = describeHolder(holder);
            return true;
        }
        find.q().finish();
        Query take(this, QStringLiteral("UPDATE models SET lease_owner = ?, lease_expires = ? "
                                        "WHERE id = ?"));
        if (!take.bind(owner).bind(nowSecs() + ModelLeaseSecs).bind(claim.modelId).exec())
            return false;
        claim.status = ModelClaim::Status::Resumed;
        return true;
    });
    if (!ok)
        claim.status = ModelClaim::Status::Failed;
    return claim;
}

bool Registry::renewModelLease(qint64 modelId, const QString& owner)
{
    Query q(this, QStringLiteral("UPDATE models SET lease_expires = ? WHERE id = ? AND "
                                 "lease_owner = ?"));
    return q.bind(nowSecs() + ModelLeaseSecs).bind(modelId).bind(owner).exec() && q.affected() == 1;
}

void Registry::releaseModelLease(qint64 modelId, const QString& owner)
{
    Query q(this, QStringLiteral("UPDATE models SET lease_owner = NULL, lease_expires = NULL "
                                 "WHERE id = ? AND lease_owner = ?"));
    q.bind(modelId).bind(owner).exec();
}

bool Registry::completeModel(qint64 modelId, const QString& owner)
{
    return transaction([&] {
        if (!checkModelLease(modelId, owner))
            return false;
        // Complete and, in the same step, honest about its copies: a float that could not
        // reach every provider leaves a degraded model, which repair brings back.
        const int wanted = wantedCopies();
        Query q(this,
                QStringLiteral("UPDATE models SET state = 'complete', degraded = ") +
                    underReplicatedCondition() +
                    QStringLiteral(", lease_owner = NULL, lease_expires = NULL WHERE id = ?"));
        return q.bind(wanted).bind(modelId).exec();
    });
}

QString Registry::modelWriter(qint64 modelId, const QString& except)
{
    Query q(this, QStringLiteral("SELECT lease_owner, lease_expires FROM models WHERE id = ?"));
    if (!q.bind(modelId).exec() || !q.q().next())
        return {};
    const QString holder = q.q().value(0).toString();
    return holder != except && leaseLive(holder, q.q().value(1)) ? describeHolder(holder)
                                                                 : QString();
}

Registry::PlacementIntent Registry::beginPlacement(const QString& cid, qint64 providerId)
{
    PlacementIntent result = PlacementIntent::Failed;
    const bool ok = transaction([&] {
        Query pending(this, QStringLiteral("SELECT id, size, claimed_by, claimed_until FROM "
                                           "deletions WHERE cid = ? AND provider_id = ?"));
        if (!pending.bind(cid).bind(providerId).exec())
            return false;
        QList<QPair<qint64, qint64>> queued; // id, size
        while (pending.q().next()) {
            if (leaseLive(pending.q().value(2).toString(), pending.q().value(3))) {
                result = PlacementIntent::Busy;
                return true;
            }
            queued.append({pending.q().value(0).toLongLong(), pending.q().value(1).toLongLong()});
        }
        pending.q().finish();
        // The quota set for the provider, whatever its kind, counting what is stored and what
        // puts under way (in any process) will store: one place for every adapter.
        Query room(
            this,
            QStringLiteral("SELECT p.quota_bytes, p.used_bytes, (SELECT COALESCE(SUM(c.size), 0) "
                           "FROM placements x JOIN chunks c ON c.cid = x.cid WHERE "
                           "x.provider_id = p.id AND x.state = 'pending' AND x.locator = '' AND "
                           "x.cid != ?), (SELECT size FROM chunks WHERE cid = ?) FROM providers p "
                           "WHERE p.id = ?"));
        if (!room.bind(cid).bind(cid).bind(providerId).exec())
            return false;
        qint64 chunkSize = 0;
        if (room.q().next()) {
            const qint64 quota = room.q().value(0).toLongLong();
            const qint64 taken = room.q().value(1).toLongLong() + room.q().value(2).toLongLong();
            const qint64 size = room.q().value(3).toLongLong();
            chunkSize = size;
            if (quota >= 0 && taken + size > quota) {
                result = PlacementIntent::QuotaFull;
                return true;
            }
        }
        room.q().finish();
        // Paused (a cap the provider reported, or the user's daily budget used up).
        QString why;
        const qint64 blockedUntil = uploadBlockedUntil(providerId, chunkSize, &why);
        if (blockedUntil > 0) {
            // Recorded, so every process (and `provider list`) sees the pause, not only us.
            if (!pauseProvider(providerId, BudgetDirection::Upload, blockedUntil, why))
                return false;
            result = PlacementIntent::Paused;
            return true;
        }
        // The object is wanted again: it stays, and stays counted in the provider's usage only
        // through the placement recordStored() makes (which counts it afresh).
        Query forget(this, QStringLiteral("DELETE FROM deletions WHERE id = ?"));
        Query uncount(this, QStringLiteral("UPDATE providers SET used_bytes = MAX(0, used_bytes "
                                           "- ?) WHERE id = ?"));
        for (const auto& [id, size] : std::as_const(queued))
            if (!forget.bind(id).exec() || !uncount.bind(size).bind(providerId).exec())
                return false;
        Query intent(this, QStringLiteral("INSERT OR IGNORE INTO placements (cid, provider_id, "
                                          "short_locator, state) VALUES (?, ?, '', 'pending')"));
        if (!intent.bind(cid).bind(providerId).exec())
            return false;
        result = PlacementIntent::Go;
        return true;
    });
    return ok ? result : PlacementIntent::Failed;
}

bool Registry::recordStored(const QString& cid, qint64 providerId, const QString& locator,
                            qint64 size)
{
    QVariant kept;
    if (!shortLocator(cid, locator, &kept))
        return fail(QStringLiteral("stored"), unkeptLocator(locator));
    return transaction([&] {
        Query before(this, QStringLiteral("SELECT state FROM placements WHERE cid = ? AND "
                                          "provider_id = ?"));
        if (!before.bind(cid).bind(providerId).exec())
            return false;
        // A missing or corrupt placement was counted when it was first stored.
        const bool counted =
            before.q().next() && before.q().value(0).toString() != QLatin1String("pending");
        before.q().finish();
        // A new copy is as good as checked when its put succeeds: scrub's passes are due an
        // interval after stored_at.
        Query store(this, QStringLiteral("INSERT INTO placements (cid, provider_id, "
                                         "short_locator, state, verified_at, stored_at) VALUES "
                                         "(?, ?, ?, 'stored', NULL, ?) ON CONFLICT (cid, "
                                         "provider_id) DO UPDATE SET short_locator = "
                                         "excluded.short_locator, state = 'stored', verified_at = "
                                         "NULL, stored_at = excluded.stored_at, checked_at = "
                                         "NULL"));
        if (!store.bind(cid)
                 .bind(providerId)
                 .bind(kept)
                 .bind(QDateTime::currentSecsSinceEpoch())
                 .exec())
            return false;
        if (counted)
            return true;
        Query count(this, QStringLiteral("UPDATE providers SET used_bytes = used_bytes + ? "
                                         "WHERE id = ?"));
        return count.bind(size).bind(providerId).exec() && countUpload(providerId, size);
    });
}

Registry::DeletionClaim Registry::claimDeletion(qint64 id, const QString& owner)
{
    DeletionClaim result = DeletionClaim::Failed;
    const bool ok = transaction([&] {
        Query row(this, QStringLiteral("SELECT cid, provider_id, claimed_by, claimed_until, size "
                                       "FROM deletions WHERE id = ?"));
        if (!row.bind(id).exec())
            return false;
        if (!row.q().next()) {
            result = DeletionClaim::Cancelled; // forgotten meanwhile
            return true;
        }
        const QString cid = row.q().value(0).toString();
        const qint64 providerId = row.q().value(1).toLongLong();
        const QString holder = row.q().value(2).toString();
        const qint64 size = row.q().value(4).toLongLong();
        if (holder != owner && leaseLive(holder, row.q().value(3))) {
            result = DeletionClaim::Busy;
            return true;
        }
        row.q().finish();
        // Placed there again (stored, or a put under way): the object must stay.
        Query placed(this, QStringLiteral("SELECT 1 FROM placements WHERE cid = ? AND "
                                          "provider_id = ?"));
        if (!placed.bind(cid).bind(providerId).exec())
            return false;
        if (placed.q().next()) {
            placed.q().finish();
            // Its usage was counted when it was first stored and is counted again by the new
            // placement (pending now, or stored), so the deletion's count goes with it.
            Query forget(this, QStringLiteral("DELETE FROM deletions WHERE id = ?"));
            Query uncount(this,
                          QStringLiteral("UPDATE providers SET used_bytes = MAX(0, used_bytes "
                                         "- ?) WHERE id = ?"));
            if (!uncount.bind(size).bind(providerId).exec() || !forget.bind(id).exec())
                return false;
            result = DeletionClaim::Cancelled;
            return true;
        }
        Query claim(this, QStringLiteral("UPDATE deletions SET claimed_by = ?, claimed_until = ? "
                                         "WHERE id = ?"));
        if (!claim.bind(owner).bind(nowSecs() + DeletionClaimSecs).bind(id).exec())
            return false;
        result = DeletionClaim::Claimed;
        return true;
    });
    return ok ? result : DeletionClaim::Failed;
}

void Registry::abandonPlacement(const QString& cid, qint64 providerId)
{
    Query q(this, QStringLiteral("DELETE FROM placements WHERE cid = ? AND provider_id = ? AND "
                                 "state = 'pending' AND locator = ''"));
    q.bind(cid).bind(providerId).exec();
}

void Registry::releaseDeletion(qint64 id)
{
    Query q(this, QStringLiteral("UPDATE deletions SET claimed_by = NULL, claimed_until = NULL "
                                 "WHERE id = ?"));
    q.bind(id).exec();
}

} // namespace mf
