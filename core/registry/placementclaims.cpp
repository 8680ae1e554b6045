// PlacementRows: the claims that keep a put and a delete of one object apart. Every check is
// made in the same IMMEDIATE transaction as the change it guards, so SQLite's write lock orders
// them: no interleaving of floats, removals and collections in any number of processes can
// record a placement of an object that a deletion then removes.
#include "leaseowner.h"
#include "providerrows.h"
#include "registry.h"
#include "registryquery.h"
#include "shortlocator.h"

#include <QDateTime>

namespace mf {

using registrycolumns::nowSecs;

PlacementRows::PlacementIntent PlacementRows::beginPlacement(const QString& cid, qint64 providerId)
{
    PlacementIntent result = PlacementIntent::Failed;
    const bool ok = transaction([&] {
        Query pending(this, QStringLiteral("SELECT id, size, claimed_by, claimed_until FROM "
                                           "deletions WHERE cid = ? AND provider_id = ?"));
        if (!pending.bind(cid).bind(providerId).exec())
            return false;
        QList<QPair<qint64, qint64>> queued; // id, size
        while (pending.q().next()) {
            if (leaseowner::isLive(pending.q().value(2).toString(), pending.q().value(3))) {
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
        const qint64 blockedUntil =
            m_registry.providerRows().uploadBlockedUntil(providerId, chunkSize, &why);
        if (blockedUntil > 0) {
            // Recorded, so every process (and `provider list`) sees the pause, not only us.
            if (!m_registry.providerRows().pauseProvider(providerId, BudgetDirection::Upload,
                                                         blockedUntil, why))
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

bool PlacementRows::recordStored(const QString& cid, qint64 providerId, const QString& locator,
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
        return count.bind(size).bind(providerId).exec() &&
               m_registry.providerRows().countUpload(providerId, size);
    });
}

PlacementRows::DeletionClaim PlacementRows::claimDeletion(qint64 id, const QString& owner,
                                                          Store store)
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
        if (holder != owner && leaseowner::isLive(holder, row.q().value(3))) {
            result = DeletionClaim::Busy;
            return true;
        }
        row.q().finish();
        // Placed there again (stored, or a put under way): the object must stay. On a shared
        // store, so must an object a file here still uses, as a chunk kept whole or as a shard
        // of one: this vault only knows that its own copy there was bad once, not what is there
        // now. A chunk is kept whole while it has no shards recorded, or while a model keeping
        // copies ('' is copies: floated before schemes) uses it beside one keeping shards and a
        // whole copy of it is stored. A conversion to shards retires every whole copy of a
        // chunk no copies-model uses, and those go.
        Query placed(this, QStringLiteral("SELECT 1 FROM placements WHERE cid = ? AND "
                                          "provider_id = ?"));
        if (!placed.bind(cid).bind(providerId).exec())
            return false;
        bool keep = placed.q().next();
        placed.q().finish();
        DeletionClaim kept = DeletionClaim::Cancelled;
        if (!keep && store == Store::Shared) {
            Query used(this,
                       QStringLiteral(
                           "SELECT 1 FROM file_chunks fc WHERE fc.cid = ? AND (NOT EXISTS "
                           "(SELECT 1 FROM chunk_shards s WHERE s.chunk_cid = fc.cid) OR (EXISTS "
                           "(SELECT 1 FROM files f JOIN models m ON m.id = f.model_id WHERE f.id "
                           "= fc.file_id AND m.redundancy NOT LIKE 'shards %') AND EXISTS (SELECT "
                           "1 FROM placements p WHERE p.cid = fc.cid AND p.state = 'stored'))) "
                           "UNION ALL SELECT 1 FROM chunk_shards s WHERE s.shard_cid = ? AND "
                           "EXISTS (SELECT 1 FROM file_chunks fc WHERE fc.cid = s.chunk_cid) "
                           "LIMIT 1"));
            if (!used.bind(cid).bind(cid).exec())
                return false;
            keep = used.q().next();
            used.q().finish();
            kept = DeletionClaim::KeptShared;
        }
        if (keep) {
            // Its usage was counted when it was first stored and is counted again by the new
            // placement (pending now, or stored), or by no placement of this vault any more
            // (kept on a shared store), so the deletion's count goes with it.
            Query forget(this, QStringLiteral("DELETE FROM deletions WHERE id = ?"));
            Query uncount(this,
                          QStringLiteral("UPDATE providers SET used_bytes = MAX(0, used_bytes "
                                         "- ?) WHERE id = ?"));
            if (!uncount.bind(size).bind(providerId).exec() || !forget.bind(id).exec())
                return false;
            result = kept;
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

void PlacementRows::abandonPlacement(const QString& cid, qint64 providerId)
{
    Query q(this, QStringLiteral("DELETE FROM placements WHERE cid = ? AND provider_id = ? AND "
                                 "state = 'pending' AND locator = ''"));
    q.bind(cid).bind(providerId).exec();
}

void PlacementRows::releaseDeletion(qint64 id)
{
    Query q(this, QStringLiteral("UPDATE deletions SET claimed_by = NULL, claimed_until = NULL "
                                 "WHERE id = ?"));
    q.bind(id).exec();
}

} // namespace mf
