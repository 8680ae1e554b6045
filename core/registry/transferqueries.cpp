// What a transfer's details say about the model it works on (the Transfers page's panel):
// cheap aggregate reads, made when a transfer starts and ends, never per chunk.
#include "registry.h"
#include "registryquery.h"

namespace mf {

QStringList ModelRows::providerNamesOfModel(qint64 modelId)
{
    QStringList out;
    Query q(this, QStringLiteral("SELECT pr.name FROM providers pr WHERE pr.id IN (SELECT "
                                 "DISTINCT p.provider_id FROM files f JOIN file_chunks fc ON "
                                 "fc.file_id = f.id JOIN placements p ON p.cid = fc.cid WHERE "
                                 "f.model_id = ? AND p.state = 'stored') ORDER BY pr.name"));
    if (q.bind(modelId).exec())
        while (q.q().next())
            out.append(q.q().value(0).toString());
    return out;
}

int ModelRows::chunkCountOfModel(qint64 modelId)
{
    Query q(this, QStringLiteral("SELECT COUNT(*) FROM files f JOIN file_chunks fc ON fc.file_id "
                                 "= f.id WHERE f.model_id = ?"));
    if (q.bind(modelId).exec() && q.q().next())
        return q.q().value(0).toInt();
    return 0;
}

} // namespace mf
