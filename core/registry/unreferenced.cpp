// PlacementRows: since when this vault has seen a chunk unreferenced, for the collector's grace
// period (docs/coordination.md, "Collecting across vaults"). The stamp is made by the collector
// the first time it finds the chunk so; the triggers of schema 17 take it away as soon as the
// chunk is known or used again (migrations.cpp), so a later orphaning starts a new period.

#include "registry.h"
#include "registryquery.h"

namespace mf {

std::optional<qint64> PlacementRows::unreferencedSince(const QString& cid, qint64 now)
{
    std::optional<qint64> since;
    const bool ok = transaction([&] {
        Query stamp(this, QStringLiteral("INSERT OR IGNORE INTO chunk_unreferenced (cid, since) "
                                         "VALUES (?, ?)"));
        if (!stamp.bind(cid).bind(now).exec())
            return false;
        Query read(this, QStringLiteral("SELECT since FROM chunk_unreferenced WHERE cid = ?"));
        if (!read.bind(cid).exec() || !read.q().next())
            return false;
        since = read.q().value(0).toLongLong();
        return true;
    });
    return ok ? since : std::nullopt;
}

int PlacementRows::forgetUnreferencedExcept(const QSet<QString>& seen)
{
    int forgotten = 0;
    const bool ok = transaction([&] {
        // Stamps of chunks the registry holds go with their triggers; these are the swept ones.
        Query stamped(this, QStringLiteral("SELECT cid FROM chunk_unreferenced WHERE cid NOT IN "
                                           "(SELECT cid FROM chunks)"));
        if (!stamped.exec())
            return false;
        QStringList gone;
        while (stamped.q().next()) {
            const QString cid = stamped.q().value(0).toString();
            if (!seen.contains(cid))
                gone.append(cid);
        }
        stamped.q().finish();
        for (const QString& cid : std::as_const(gone)) {
            Query del(this, QStringLiteral("DELETE FROM chunk_unreferenced WHERE cid = ?"));
            if (!del.bind(cid).exec())
                return false;
            ++forgotten;
        }
        return true;
    });
    return ok ? forgotten : -1;
}

} // namespace mf
