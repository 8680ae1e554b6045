// RepairJob converting a model between schemes (Options::convertTo, docs/erasure.md): each chunk
// of the model is made whole under the new scheme through the repair's own steps (read with
// ChunkFetcher, checked against its CID; shards encoded on the pool and put one after the other
// on providers holding no shard of the chunk under the new scheme; copies put by
// placeCopies/putNext), and only then are the old scheme's objects retired (turned into deletions,
// which `collect` or a drain carries out; nothing is deleted while a put of them is under way).
// Every step is a row in the registry before the next begins, so a run killed anywhere starts again
// where the rows say: shards recorded and not yet stored are put (a put that reached its provider
// before the kill is found there, "already stored"), a chunk whole already only has its old objects
// retired.
#include "repairjob.h"
#include "repairjobtask.h"

#include "util/units.h"
#include "vault/vault.h"

namespace mf {

void RepairJob::startConvert(const ScrubRows::ChunkToRepair& chunk)
{
    const RedundancyScheme& to = *m_options.convertTo;
    Registry& registry = m_vault->registry();
    if (to.isShards()) {
        const ShardRows::Scheme target{to.dataShards, to.parityShards};
        // Another model keeping the chunk under a third scheme would leave it with two for
        // good (each scheme's shards are a full set of objects): that model goes first.
        for (const ShardRows::Scheme& other : registry.shardRows().shardSchemes(chunk.cid)) {
            if (other == target || !schemeNeededElsewhere(chunk.cid, other))
                continue;
            m_report.stillShort++;
            problem(tr("chunk %1 is stored as %2 already (another model uses it so); it is not "
                       "converted to %3")
                        .arg(chunk.cid, RedundancyScheme::makeShards(other.k, other.m).toString(),
                             to.toString()));
            return;
        }
        const auto stored = registry.shardRows().storedShards(chunk.cid, target);
        if (stored && stored->ownCopies >= to.dataShards + to.parityShards)
            return convertedChunk(chunk.cid); // whole (a run killed before retiring the old)
    } else if (chunk.goodCopies >= m_wanted) {
        return convertedChunk(chunk.cid);
    }
    const quint64 id = ++m_nextTaskId;
    auto task = std::make_unique<Task>();
    task->chunk = chunk;
    task->converting = true;
    // Converted to shards, the chunk goes the way repair rebuilds lost shards (rebuildShards());
    // converted to copies, the way repair makes lost copies (placeCopies()).
    if (to.isShards())
        task->scheme = ShardRows::Scheme{to.dataShards, to.parityShards};
    m_bytesInFlight += chunk.size;
    m_tasks.emplace(id, std::move(task));
    // From its copies, or (stored as shards) any K of its shards under the scheme it is read by
    // (the old one, until the new one is whole).
    fetch(id);
}

void RepairJob::recordConvertedShards(quint64 taskId, const std::vector<ShardCodec::Shard>& shards)
{
    Task& task = *m_tasks.at(taskId);
    Registry& registry = m_vault->registry();
    const int k = task.scheme->k;
    const int m = task.scheme->m;
    QList<ShardRows::Shard> rows;
    for (const ShardCodec::Shard& s : shards)
        rows.append(ShardRows::Shard{s.index, s.cid, qint64(s.bytes.size())});
    // Recorded before any is put: a shard put and then forgotten by a kill is still named by
    // the rows, found again by its CID and never left on a provider unaccounted for.
    if (!registry.shardRows().recordShards(task.chunk.cid, k, m, rows)) {
        m_report.stillShort++;
        problem(tr("chunk %1: its shards could not be recorded: %2")
                    .arg(task.chunk.cid, registry.lastError()));
        return endTask(taskId);
    }
    task.recordShards = false;
    findLostShards(task, registry.shardRows().shards(task.chunk.cid, k, m));
    for (Task::LostShard& lost : task.lostShards)
        lost.bytes = shards.at(size_t(lost.indices.first())).bytes;
    nextShard(taskId);
}

bool RepairJob::schemeNeededElsewhere(const QString& cid,
                                      const std::optional<ShardRows::Scheme>& scheme)
{
    // Another model using the chunk under `scheme` (nullopt: copies) still needs what that
    // scheme stored: its copies (or shards) stay, and the chunk has both until that model is
    // converted too. A model with no scheme recorded was floated as copies.
    Registry& registry = m_vault->registry();
    for (qint64 id : registry.healthRows().modelsUsingChunks({cid})) {
        if (m_options.modelIds.contains(id))
            continue;
        const auto its = RedundancyScheme::parse(registry.shardRows().modelRedundancy(id));
        if (!its || !its->isShards()) {
            if (!scheme)
                return true;
        } else if (scheme && its->dataShards == scheme->k && its->parityShards == scheme->m) {
            return true;
        }
    }
    return false;
}

void RepairJob::convertedChunk(const QString& cid)
{
    if (isFinished())
        return;
    // Whole under the new scheme: what the others stored goes, shards of each old scheme and
    // (converted to shards) the chunk's copies, each unless another model still uses it so.
    Registry& registry = m_vault->registry();
    const RedundancyScheme& to = *m_options.convertTo;
    // The published manifest reads this chunk from the objects about to be retired: before any
    // of them can be deleted (collect publishes first), the model is published again, naming
    // the chunk's new shards or copies (a manifest says per chunk: manifestshards::ofFile). A
    // computer that took the model in, or recovers this vault when this computer is lost
    // halfway, can then read every chunk.
    for (qint64 modelId : std::as_const(m_options.modelIds))
        if (!registry.catalogRows().markChanged(modelId)) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
    bool kept = false;
    for (const ShardRows::Scheme& old : registry.shardRows().shardSchemes(cid)) {
        if (to.isShards() && old == ShardRows::Scheme{to.dataShards, to.parityShards})
            continue;
        if (schemeNeededElsewhere(cid, old)) {
            kept = true;
            continue;
        }
        // Its shards are forgotten and their objects deleted later.
        const ShardRows::RetiredShards r = registry.shardRows().retireShards(cid, old);
        switch (r.result) {
        case ShardRows::RetiredShards::Result::Retired:
            m_report.retired += r.objects;
            break;
        case ShardRows::RetiredShards::Result::Busy:
            m_report.stillShort++;
            problem(tr("chunk %1 keeps its shards for now: a put of one of them is under way")
                        .arg(cid));
            return;
        case ShardRows::RetiredShards::Result::Failed:
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
    }
    if (to.isShards() && schemeNeededElsewhere(cid, std::nullopt))
        kept = true;
    else if (to.isShards() && !retireCopies(cid))
        return;
    if (kept)
        m_report.keptForOthers++;
    m_report.chunksConverted++;
}

bool RepairJob::retireCopies(const QString& cid)
{
    // Each copy of the chunk becomes a deletion, carried out later (with the deletions'
    // claims: a float placing the chunk again cancels it). Unless the chunk is a shard too (a
    // chunk of one byte is its own first data shard): its copies are that shard's.
    Registry& registry = m_vault->registry();
    if (registry.shardRows().isShard(cid))
        return true;
    for (const Placement& p : registry.placementRows().placements(cid)) {
        switch (registry.placementRows().retirePlacement(cid, p.providerId, 0)) {
        case PlacementRows::RetireResult::Retired:
            m_report.retired++;
            break;
        case PlacementRows::RetireResult::Gone:
        case PlacementRows::RetireResult::TooFewCopies: // not with no copies asked to stay
            break;
        case PlacementRows::RetireResult::Busy:
            m_report.stillShort++;
            problem(tr("chunk %1 keeps its copy on “%2” for now: a put of it there is under way")
                        .arg(cid, m_vault->providerName(p.providerId)));
            return false;
        case PlacementRows::RetireResult::Failed:
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return false;
        }
    }
    return true;
}

bool RepairJob::finishConvert()
{
    // The model's scheme changes only when every chunk of it is whole under the new one, as the
    // rows say now (not as this run counted: an earlier, killed run may have done part).
    if (m_report.lost > 0 || m_report.stillShort > 0)
        return true;
    Registry& registry = m_vault->registry();
    const RedundancyScheme& to = *m_options.convertTo;
    for (qint64 modelId : std::as_const(m_options.modelIds)) {
        const int notWhole = registry.shardRows().chunksNotWhole(
            modelId, to.isShards() ? to.dataShards : 0, to.parityShards, to.copies);
        if (notWhole < 0) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return false;
        }
        if (notWhole > 0) {
            m_report.stillShort += notWhole;
            problem(units::counted(notWhole,
                                   tr("1 chunk of the model is not whole under %2 yet; its "
                                      "scheme stays as it was"),
                                   tr("%1 chunks of the model are not whole under %2 yet; its "
                                      "scheme stays as it was"))
                        .arg(to.toString()));
            continue;
        }
        if (!registry.shardRows().setModelRedundancy(modelId, to.toString(), true)) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return false;
        }
        m_report.schemeChanged = true;
    }
    return true;
}

QString RepairJob::summary() const
{
    if (!m_options.convertTo || !m_report.schemeChanged)
        return {};
    return tr("Stored as %1: %2 shards and %3 copies put, %4 objects of the old scheme retired "
              "(deleted by the next collection)")
        .arg(m_options.convertTo->toString())
        .arg(m_report.shardsRebuilt)
        .arg(m_report.copiesMade)
        .arg(m_report.retired);
}

} // namespace mf
