// QueueRows: the folders restores and materializations write temporaries into, recorded while
// they run. A killed restore leaves a hidden temporary beside its destination
// (FileAssembler); the row says where to look for it, and the row's owner whether its process
// is gone (util/temporaries.h says how the temporary itself is told apart from a live one's).

#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

QList<qint64> QueueRows::addScratchAreas(const QStringList& folders, const QString& owner)
{
    QList<qint64> ids;
    const bool ok = transaction([&] {
        for (const QString& folder : folders) {
            Query q(this, QStringLiteral("INSERT INTO scratch_areas (owner, folder, created_at) "
                                         "VALUES (?, ?, ?)"));
            if (!q.bind(owner).bind(folder).bind(QDateTime::currentSecsSinceEpoch()).exec())
                return false;
            ids.append(q.lastId());
        }
        return true;
    });
    return ok ? ids : QList<qint64>();
}

bool QueueRows::removeScratchAreas(const QList<qint64>& ids)
{
    return transaction([&] {
        for (const qint64 id : ids) {
            Query q(this, QStringLiteral("DELETE FROM scratch_areas WHERE id = ?"));
            if (!q.bind(id).exec())
                return false;
        }
        return true;
    });
}

QList<ScratchArea> QueueRows::scratchAreas()
{
    QList<ScratchArea> out;
    Query q(this, QStringLiteral("SELECT id, owner, folder, created_at FROM scratch_areas "
                                 "ORDER BY id"));
    if (q.exec())
        while (q.q().next())
            out.append({q.q().value(0).toLongLong(), q.q().value(1).toString(),
                        q.q().value(2).toString(), q.q().value(3).toLongLong()});
    return out;
}

} // namespace mf
