// RepairJob converting a model between schemes (Options::convertTo, docs/erasure.md): each chunk
// of the model is made whole under the new scheme through the repair's own steps (read with
// ChunkFetcher, checked against its CID; shards encoded on the pool and put one after the other
// on providers holding no shard of the chunk; copies put by placeCopies/putNext), and only then
// are the old scheme's objects retired (turned into deletions, which `collect` or a drain
// carries out; nothing is deleted while a put of them is under way). Every step is a row in the
// registry before the next begins, so a run killed anywhere starts again where the rows say:
// shards recorded and not yet stored are put (a put that reached its provider before the kill
// is found there, "already stored"), a chunk whole already only has its old objects retired.
#include "repairjob.h"
#include "repairjobtask.h"

#include "util/units.h"
#include "vault/vault.h"

namespace mf {

void RepairJob::startConvert(const ScrubRows::ChunkToRepair& chunk)
{
    const RedundancyScheme& to = *m_options.convertTo;
    Registry& registry = m_vault->registry();
    const std::optional<ShardRows::Stored> stored = registry.shardRows().storedShards(chunk.cid);
    if (to.isShards()) {
        if (stored && (stored->scheme.k != to.dataShards || stored->scheme.m != to.parityShards)) {
            // A chunk has shards under one scheme at most (ShardRows): another model made it so.
            m_report.stillShort++;
            problem(
                tr("chunk %1 is stored as %2 already (another model uses it so); it is not "
                   "converted to %3")
                    .arg(
                        chunk.cid,
                        RedundancyScheme::makeShards(stored->scheme.k, stored->scheme.m).toString(),
                        to.toString()));
            return;
        }
        if (stored && stored->ownCopies >= to.dataShards + to.parityShards)
            return convertedChunk(chunk.cid); // whole (a run killed before retiring its copies)
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
    fetch(id); // from its copies, or (stored as shards) any K of its shards
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

bool RepairJob::oldSchemeNeededElsewhere(const QString& cid)
{
    // Another model using the chunk under the old scheme still needs what that scheme stored:
    // its copies (or shards) stay, and the chunk has both until that model is converted too.
    // A model with no scheme recorded was floated as copies.
    Registry& registry = m_vault->registry();
    const bool toShards = m_options.convertTo->isShards();
    for (qint64 id : registry.healthRows().modelsUsingChunks({cid})) {
        if (m_options.modelIds.contains(id))
            continue;
        const auto scheme = RedundancyScheme::parse(registry.shardRows().modelRedundancy(id));
        if ((scheme && scheme->isShards()) != toShards)
            return true;
    }
    return false;
}

void RepairJob::convertedChunk(const QString& cid)
{
    if (isFinished())
        return;
    if (oldSchemeNeededElsewhere(cid)) {
        m_report.keptForOthers++;
        m_report.chunksConverted++;
        return;
    }
    Registry& registry = m_vault->registry();
    if (!m_options.convertTo->isShards()) {
        if (!registry.shardRows().shardScheme(cid)) {
            m_report.chunksConverted++;
            return;
        }
        // Its N copies are stored: its shards are forgotten and their objects deleted later.
        const ShardRows::RetiredShards r = registry.shardRows().retireShards(cid);
        switch (r.result) {
        case ShardRows::RetiredShards::Result::Retired:
            m_report.retired += r.objects;
            m_report.chunksConverted++;
            return;
        case ShardRows::RetiredShards::Result::Busy:
            m_report.stillShort++;
            problem(tr("chunk %1 keeps its shards for now: a put of one of them is under way")
                        .arg(cid));
            return;
        case ShardRows::RetiredShards::Result::Failed:
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
        return;
    }
    // All K+M shards are stored: each copy of the chunk becomes a deletion, carried out later
    // (with the deletions' claims: a float placing the chunk again cancels it).
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
            return;
        case PlacementRows::RetireResult::Failed:
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
    }
    m_report.chunksConverted++;
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
