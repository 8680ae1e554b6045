// RepairJob for a chunk stored as shards (docs/erasure.md): the chunk was read from any K of its
// shards (ChunkFetcher through ShardGather, checked against its CID) or from a file at hand; its
// shards are made again from it on the job's pool, each one the chunk lost is checked against
// the CID the registry records for it, and put, one after the other, on a provider that holds no
// shard of the chunk (back where it was lost first), through the same puts as a copy.
#include "repairjob.h"
#include "repairjobtask.h"

#include "chunking/shardspread.h"
#include "vault/vault.h"

#include <QThreadPool>

#include <algorithm>

namespace mf {

void RepairJob::rebuildShards(quint64 taskId)
{
    Task& task = *m_tasks.at(taskId);
    Registry& registry = m_vault->registry();
    const int k = task.scheme->k;
    const int m = task.scheme->m;
    const QList<ShardRows::Shard> recorded = registry.shardRows().shards(task.chunk.cid, k, m);
    // A chunk converted to shards has none recorded at first: they are once encoded.
    task.recordShards = task.converting && recorded.isEmpty();
    if (recorded.size() != k + m && !task.recordShards) {
        m_report.stillShort++;
        problem(tr("chunk %1: %2 of its %3 shards are recorded; it is not rebuilt")
                    .arg(task.chunk.cid)
                    .arg(recorded.size())
                    .arg(k + m));
        return endTask(taskId);
    }
    if (!task.recordShards) {
        findLostShards(task, recorded);
        if (task.lostShards.empty()) {
            m_report.chunksRepaired++; // whole again meanwhile (a float put its shards back)
            if (task.converting)
                convertedChunk(task.chunk.cid);
            return endTask(taskId);
        }
    }
    // Encoding the chunk again gives every shard: the chunk is decoded and checked against its
    // own CID already (ShardCodec::rebuild() would decode it a second time).
    pool().start([this, taskId, bytes = task.chunkBytes(), k, m, cancelled = m_poolCancelled] {
        std::vector<ShardCodec::Shard> shards;
        QString error;
        if (!cancelled->load()) {
            ShardCodec::Error e;
            if (const auto codec = ShardCodec::make(k, m, &e))
                shards = codec->encode(bytes, &e);
            if (shards.empty())
                error = e.message;
        }
        // Queued to our thread; the destructor waits for this task, so `this` is whole here.
        QMetaObject::invokeMethod(
            this,
            [this, taskId, shards = std::move(shards), error] {
                onShardsRebuilt(taskId, shards, error);
            },
            Qt::QueuedConnection);
    });
}

void RepairJob::findLostShards(Task& task, const QList<ShardRows::Shard>& recorded)
{
    Registry& registry = m_vault->registry();
    // Which shards it lost: those with fewer good copies of their own than the chunk has
    // indices with their bytes. A provider being drained still holds what it holds: it takes no
    // other shard of the chunk.
    task.shardProviders.clear();
    task.shardPutsBegun.clear();
    task.lostShards.clear();
    QHash<QString, QSet<qint64>> good;
    QList<Task::LostShard> distinct;
    for (const ShardRows::Shard& s : recorded) {
        const auto same = std::find_if(distinct.begin(), distinct.end(),
                                       [&s](const Task::LostShard& l) { return l.cid == s.cid; });
        if (same != distinct.end()) {
            same->indices.append(s.index);
            continue;
        }
        distinct.append(Task::LostShard{s.cid, {s.index}, {}, {}});
        for (qint64 id : registry.placementRows().putsBegun(s.cid))
            task.shardPutsBegun[id].insert(s.cid);
        for (const Placement& p : registry.placementRows().placements(s.cid)) {
            if (p.state != PlacementState::Stored)
                continue;
            if (m_draining.contains(p.providerId))
                task.shardProviders.insert(p.providerId);
            else
                good[s.cid].insert(p.providerId);
        }
    }
    // An index counts only on a provider of its own: two shards whose only copies are on one
    // provider (two vaults placing the chunk each their own way, then deleting) are one there,
    // and the other is lost as much as a missing one, which a verify says too.
    std::vector<QSet<qint64>> holdings;
    for (const ShardRows::Shard& s : recorded)
        holdings.push_back(good.value(s.cid));
    const std::vector<qint64> kept = keepShardsApart(holdings);
    // A lost shard goes to a provider no other index keeps as its own: one holding only an
    // extra copy of a shard kept elsewhere loses nothing more with it. (Leaving out every
    // provider with a shard on it left none in a store two vaults filled each their own way.)
    for (qint64 provider : kept)
        if (provider >= 0)
            task.shardProviders.insert(provider);
    for (Task::LostShard& l : distinct) {
        QSet<qint64> own;
        for (int i = 0; i < int(recorded.size()); ++i)
            if (recorded.at(i).cid == l.cid && kept.at(size_t(i)) >= 0)
                own.insert(kept.at(size_t(i)));
        if (own.size() >= l.indices.size())
            continue;
        l.sharedWith = good.value(l.cid) - own;
        task.lostShards.push_back(l);
    }
}

void RepairJob::onShardsRebuilt(quint64 taskId, const std::vector<ShardCodec::Shard>& shards,
                                const QString& error)
{
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    if (isAborting() || isFinished())
        return endTask(taskId);
    Task& task = *it->second;
    if (shards.empty()) {
        m_report.stillShort++;
        problem(tr("chunk %1: its shards could not be made again: %2")
                    .arg(task.chunk.cid, error.isEmpty() ? tr("cancelled") : error));
        return endTask(taskId);
    }
    if (task.recordShards)
        return recordConvertedShards(taskId, shards); // repairjob_convert.cpp
    // The CIDs the registry records came from a float here or from a catalog: a shard made
    // again that is not what they say is put nowhere, and the chunk stays as it is.
    for (Task::LostShard& lost : task.lostShards) {
        for (int index : std::as_const(lost.indices)) {
            const ShardCodec::Shard& made = shards.at(size_t(index));
            if (made.cid != lost.cid) {
                m_report.stillShort++;
                problem(tr("chunk %1: shard %2 made again from it is %3, not the %4 the registry "
                           "records; no shard of it was put")
                            .arg(task.chunk.cid, QString::number(index), made.cid, lost.cid));
                return endTask(taskId);
            }
        }
        lost.bytes = shards.at(size_t(lost.indices.first())).bytes;
    }
    nextShard(taskId);
}

void RepairJob::nextShard(quint64 taskId)
{
    Task& task = *m_tasks.at(taskId);
    if (!task.puttingShard()) {
        m_report.chunksRepaired++;
        if (!task.drainedShard.isEmpty())
            retire(task.drainedShard, int(task.drainedShardIndices.size()));
        if (task.converting)
            convertedChunk(task.chunk.cid); // all its shards are stored: its copies can go
        return endTask(taskId);
    }
    placeCopies(taskId);
}

void RepairJob::drainShard(const ScrubRows::ChunkToRepair& shard)
{
    Registry& registry = m_vault->registry();
    const QList<ShardRows::ShardOf> chunks = registry.shardRows().chunksOfShard(shard.cid);
    // The chunk it is wanted for: one a file uses (where it has the most indices, for a shard of
    // zeros part of several chunks). None: nothing needs it elsewhere, and collect deletes it.
    const ShardRows::ShardOf* wantedFor = nullptr;
    for (const ShardRows::ShardOf& c : chunks)
        if (c.used && (!wantedFor || c.indices.size() > wantedFor->indices.size()))
            wantedFor = &c;
    if (!wantedFor)
        return retire(shard.cid, 0);
    const int copies = int(wantedFor->indices.size());
    int good = 0;
    for (const Placement& p : registry.placementRows().placements(shard.cid))
        good += p.state == PlacementState::Stored && !m_draining.contains(p.providerId) ? 1 : 0;
    if (good >= copies)
        return retire(shard.cid, copies); // moved already (a drain killed after the put)

    m_report.chunksShort++;
    const quint64 id = ++m_nextTaskId;
    auto task = std::make_unique<Task>();
    task->chunk = ScrubRows::ChunkToRepair{wantedFor->chunkCid, wantedFor->chunkSize, 0, true};
    task->scheme = wantedFor->scheme;
    task->drainedShard = shard.cid;
    task->drainedShardIndices = wantedFor->indices;
    // No provider holding another shard of a chunk it is part of takes it: losing that provider
    // would then cost the chunk two shards.
    for (const ShardRows::ShardOf& c : chunks)
        for (const ShardRows::Shard& s :
             registry.shardRows().shards(c.chunkCid, c.scheme.k, c.scheme.m)) {
            for (const Placement& p : registry.placementRows().placements(s.cid))
                if (p.state == PlacementState::Stored)
                    task->shardProviders.insert(p.providerId);
            for (qint64 provider : registry.placementRows().putsBegun(s.cid))
                task->shardPutsBegun[provider].insert(s.cid);
        }
    Task& t = *task;
    m_bytesInFlight += t.chunk.size;
    m_tasks.emplace(id, std::move(task));
    FileChunk fc;
    fc.cid = shard.cid;
    fc.size = shard.size;
    // Read as any object is (checked against its CID; a bad copy is marked); it is put as read.
    t.fetcher = std::make_unique<ChunkFetcher>(
        m_vault, fc, registry.placementRows().placements(shard.cid), &t.writer);
    connect(t.fetcher.get(), &ChunkFetcher::finished, this,
            [this, id] { onDrainedShardFetched(id); });
    t.fetcher->start();
}

void RepairJob::onDrainedShardFetched(quint64 taskId)
{
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    Task& task = *it->second;
    const Error fetchError = endFetch(task);
    if (isAborting())
        return endTask(taskId);
    if (fetchError.ok()) {
        task.movingShard = true;
        task.lostShards.push_back(
            Task::LostShard{task.drainedShard, task.drainedShardIndices, task.writer.bytes(), {}});
        return nextShard(taskId);
    }
    // Gone or damaged there too: made again from the chunk's other shards, as repair does
    // (the drained provider's copies do not count, so it is one of the shards the chunk lost).
    task.writer.restart();
    fetch(taskId);
}

} // namespace mf
