// ProviderRows: providers being drained (emptied before they are retired or removed). A drained
// provider takes no new copies, its copies count for nothing towards a chunk's wanted copies,
// and each copy leaves it only once the chunk has those copies elsewhere, checked in the same
// transaction that turns the copy into a deletion.

#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

using registrycolumns::nowSecs;

ProviderRows::DrainStart ProviderRows::startDrain(qint64 providerId, bool force, bool removeAfter)
{
    DrainStart result;
    const bool ok = transaction([&] {
        Query exists(this, QStringLiteral("SELECT enabled FROM providers WHERE id = ?"));
        if (!exists.bind(providerId).exec())
            return false;
        if (!exists.q().next()) {
            result.status = DrainStart::Status::NotFound;
            return true;
        }
        exists.q().finish();
        Query already(this, QStringLiteral("SELECT remove_after FROM provider_drains WHERE "
                                           "provider_id = ?"));
        if (!already.bind(providerId).exec())
            return false;
        if (already.q().next()) {
            const bool wasRemoveAfter = already.q().value(0).toBool();
            already.q().finish();
            if (removeAfter && !wasRemoveAfter) {
                Query mark(this, QStringLiteral("UPDATE provider_drains SET remove_after = 1 "
                                                "WHERE provider_id = ?"));
                if (!mark.bind(providerId).exec())
                    return false;
            }
            result.status = DrainStart::Status::Resumed;
            return true;
        }
        // The copies the vault wants now, and what is left to hold them without this provider:
        // a drain must not lower what every chunk keeps (git-annex's numcopies) unless forced.
        const int replication =
            qMax(1, m_registry.settings()
                        .setting(QStringLiteral("replication"), QStringLiteral("2"))
                        .toInt());
        Query others(this, QStringLiteral("SELECT COUNT(*) FROM providers WHERE enabled = 1 AND "
                                          "id != ? AND id NOT IN (SELECT provider_id FROM "
                                          "provider_drains)"));
        if (!others.bind(providerId).exec() || !others.q().next())
            return false;
        result.otherProviders = others.q().value(0).toInt();
        others.q().finish();
        result.wanted = qMin(replication, result.otherProviders + 1);
        if (result.otherProviders < result.wanted && !force) {
            result.status = DrainStart::Status::TooFewProviders;
            return true;
        }
        Query insert(this, QStringLiteral("INSERT INTO provider_drains (provider_id, started_at, "
                                          "remove_after) VALUES (?, ?, ?)"));
        if (!insert.bind(providerId).bind(nowSecs()).bind(removeAfter ? 1 : 0).exec())
            return false;
        result.status = DrainStart::Status::Started;
        return true;
    });
    if (!ok)
        result.status = DrainStart::Status::Failed;
    return result;
}

bool ProviderRows::stopDrain(qint64 providerId)
{
    Query q(this, QStringLiteral("DELETE FROM provider_drains WHERE provider_id = ?"));
    return q.bind(providerId).exec();
}

QList<ProviderRows::Drain> ProviderRows::drains()
{
    QList<Drain> out;
    Query q(this, QStringLiteral("SELECT provider_id, started_at, remove_after FROM "
                                 "provider_drains ORDER BY provider_id"));
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), q.q().value(1).toLongLong(),
                        q.q().value(2).toBool()});
    return out;
}

bool ProviderRows::isDraining(qint64 providerId)
{
    Query q(this, QStringLiteral("SELECT 1 FROM provider_drains WHERE provider_id = ?"));
    return q.bind(providerId).exec() && q.q().next();
}

ProviderRows::ProviderContents ProviderRows::providerContents(qint64 providerId)
{
    ProviderContents c;
    // Its stored copies as counted (schema 14), and the others through their own small index:
    // no index lists every placement of a provider (migrations.cpp, step 15).
    Query q(this, QStringLiteral("SELECT (SELECT stored_chunks FROM providers WHERE id = ?) + "
                                 "(SELECT COUNT(*) FROM placements WHERE provider_id = ? AND "
                                 "state <> 'stored'), (SELECT COUNT(*) FROM deletions WHERE "
                                 "provider_id = ?)"));
    if (q.bind(providerId).bind(providerId).bind(providerId).exec() && q.q().next()) {
        c.placements = q.q().value(0).toInt();
        c.deletions = q.q().value(1).toInt();
    }
    return c;
}

} // namespace mf
