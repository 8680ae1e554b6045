#include "modelsummary.h"

#include "registry.h"

#include <QSet>

namespace mf {

QString ModelSummary::health(int wantedReplicas) const
{
    if (model.state != ModelRecord::State::Complete)
        return QStringLiteral("incomplete");
    if (lost > 0)
        return QStringLiteral("damaged");
    // Restorable, but a provider lost now could lose data: repair brings it back.
    if (model.degraded || (uniqueChunks > 0 && minReplicas < wantedReplicas))
        return QStringLiteral("degraded");
    return QStringLiteral("healthy");
}

ModelSummary summarizeModel(Registry& registry, const ModelRecord& model, int wantedReplicas)
{
    ModelSummary s;
    s.model = model;
    const auto placements = registry.placementRows().placementsOfModel(model.id);
    QHash<QString, qint64> unique;
    for (const FileRecord& f : registry.modelRows().files(model.id)) {
        s.files++;
        s.bytes += f.size;
        for (const FileChunk& c : registry.modelRows().fileChunks(f.id)) {
            s.chunkRefs++;
            unique.insert(c.cid, c.size);
        }
    }
    s.uniqueChunks = int(unique.size());
    s.minReplicas = unique.isEmpty() ? 0 : INT_MAX;
    const auto refs = registry.placementRows().chunkModelCounts(model.id);
    bool neverVerified = unique.isEmpty();
    bool neverChecked = unique.isEmpty();
    // Counts a stored object (a copy of a chunk, or a shard of one) of `size` bytes: when it was
    // last looked at and read back; whether it is there.
    const auto count = [&](const Placement& p, qint64 size, QHash<qint64, int>& byProvider) {
        // A copy found missing or damaged was looked at too: the health says so already.
        if (p.state != PlacementState::Pending) {
            if (!p.lastSeen.isValid())
                neverChecked = true;
            else if (!s.lastChecked.isValid() || p.lastSeen < s.lastChecked)
                s.lastChecked = p.lastSeen;
        }
        if (p.state != PlacementState::Stored)
            return false;
        if (!p.verifiedAt.isValid())
            neverVerified = true;
        else if (!s.lastVerified.isValid() || p.verifiedAt < s.lastVerified)
            s.lastVerified = p.verifiedAt;
        byProvider[p.providerId]++;
        s.bytesByProvider[p.providerId] += size;
        return true;
    };
    for (auto it = unique.cbegin(); it != unique.cend(); ++it) {
        s.uniqueBytes += it.value();
        if (refs.value(it.key()) > 1)
            s.sharedBytes += it.value();
        int good = 0;
        for (const Placement& p : placements.value(it.key()))
            good += count(p, it.value(), s.chunksByProvider) ? 1 : 0;
        if (good == 0) {
            // Stored as shards (docs/erasure.md): as many as wanted when all its shards are
            // there, one when at least K are, none below: as HealthRows counts it.
            if (const auto shards = registry.shardRows().storedShards(it.key())) {
                const int whole = shards->scheme.k + shards->scheme.m;
                good = shards->ownCopies >= whole           ? wantedReplicas
                       : shards->shards >= shards->scheme.k ? 1
                                                            : 0;
                s.shardedChunks++;
                QSet<QString> seen; // shards of the same bytes are one object
                for (const ShardRows::Shard& shard :
                     registry.shardRows().shards(it.key(), shards->scheme.k, shards->scheme.m)) {
                    if (seen.contains(shard.cid))
                        continue;
                    seen.insert(shard.cid);
                    for (const Placement& p : registry.placementRows().placements(shard.cid))
                        count(p, shard.size, s.shardsByProvider);
                }
            }
        }
        s.minReplicas = qMin(s.minReplicas, good);
        if (good == 0)
            s.lost++;
        else if (good < wantedReplicas)
            s.underReplicated++;
    }
    if (neverVerified)
        s.lastVerified = QDateTime();
    if (neverChecked)
        s.lastChecked = QDateTime();
    return s;
}

QList<ModelSummary> summarizeModels(Registry& registry, const QList<ModelRecord>& models,
                                    int wantedReplicas)
{
    // A page of models is read model by model; a longer list reads every model's counts at once
    // (two table reads), quicker than as many lookups.
    constexpr qsizetype ModelByModel = 256;
    QList<qint64> ids;
    if (models.size() <= ModelByModel)
        for (const ModelRecord& m : models)
            ids.append(m.id);
    if (models.isEmpty())
        return {};
    const auto counts = registry.healthRows().modelCounts(ids);
    QList<ModelSummary> out;
    out.reserve(models.size());
    for (const ModelRecord& m : models) {
        ModelSummary s;
        s.model = m;
        const HealthRows::ModelCounts c = counts.value(m.id);
        s.files = c.files;
        s.bytes = c.bytes;
        // As summarizeModel() counts them: the worst-off chunk's copies, and 0 without chunks.
        s.minReplicas = c.chunksByCopies.isEmpty() ? 0 : c.chunksByCopies.firstKey();
        for (auto it = c.chunksByCopies.cbegin(); it != c.chunksByCopies.cend(); ++it) {
            s.uniqueChunks += it.value();
            if (it.key() == 0)
                s.lost += it.value();
            else if (it.key() < wantedReplicas)
                s.underReplicated += it.value();
        }
        out.append(s);
    }
    return out;
}

} // namespace mf
