// PlacementRows: a drain's retiring of one copy, counted in the same transaction that turns the
// copy into a deletion.
#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

using registrycolumns::nowSecs;

PlacementRows::RetireResult PlacementRows::retirePlacement(const QString& cid, qint64 providerId,
                                                           int minOtherCopies)
{
    RetireResult result = RetireResult::Failed;
    const bool ok = transaction([&] {
        Query copy(this, QStringLiteral("SELECT p.locator, p.state, c.size FROM placements p JOIN "
                                        "chunks c ON c.cid = p.cid WHERE p.cid = ? AND "
                                        "p.provider_id = ?"));
        if (!copy.bind(cid).bind(providerId).exec())
            return false;
        if (!copy.q().next()) {
            result = RetireResult::Gone;
            return true;
        }
        const QString locator = copy.q().value(0).toString();
        const bool stored = copy.q().value(1).toString() == QLatin1String("stored");
        const qint64 size = copy.q().value(2).toLongLong();
        copy.q().finish();
        if (locator.isEmpty()) {
            result = RetireResult::Busy; // a put is under way there (begun before the drain)
            return true;
        }
        if (stored) {
            // Counted now, in the transaction that drops the copy: the other copies are stored
            // on providers that stay.
            Query others(this, QStringLiteral("SELECT COUNT(*) FROM placements WHERE cid = ? AND "
                                              "provider_id != ? AND state = 'stored' AND "
                                              "provider_id NOT IN (SELECT provider_id FROM "
                                              "provider_drains)"));
            if (!others.bind(cid).bind(providerId).exec() || !others.q().next())
                return false;
            if (others.q().value(0).toInt() < minOtherCopies) {
                result = RetireResult::TooFewCopies;
                return true;
            }
        }
        // As a removal does: the object becomes a deletion (its bytes stay counted in the
        // provider's usage until it is deleted), and the copy is forgotten.
        Query record(this, QStringLiteral("INSERT OR IGNORE INTO deletions (provider_id, locator, "
                                          "cid, size, created_at) VALUES (?, ?, ?, ?, ?)"));
        Query drop(this,
                   QStringLiteral("DELETE FROM placements WHERE cid = ? AND provider_id = ?"));
        if (!record.bind(providerId).bind(locator).bind(cid).bind(size).bind(nowSecs()).exec() ||
            !drop.bind(cid).bind(providerId).exec())
            return false;
        result = RetireResult::Retired;
        return true;
    });
    return ok ? result : RetireResult::Failed;
}

} // namespace mf
