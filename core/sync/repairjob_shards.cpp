// RepairJob for a chunk stored as shards (docs/erasure.md): the chunk was read from any K of its
// shards (ChunkFetcher through ShardGather, checked against its CID) or from a file at hand; its
// shards are made again from it on the job's pool, each one the chunk lost is checked against
// the CID the registry records for it, and put, one after the other, on a provider that holds no
// shard of the chunk (back where it was lost first), through the same puts as a copy.
#include "repairjob.h"
#include "repairjobtask.h"

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
    // Which shards it lost: those with fewer good copies than the chunk has indices with their
    // bytes. Every provider with a stored shard of it counts as holding one, draining or not: it
    // still holds it.
    task.shardProviders.clear();
    task.lostShards.clear();
    QHash<QString, int> good;
    QList<Task::LostShard> distinct;
    for (const ShardRows::Shard& s : recorded) {
        const auto same = std::find_if(distinct.begin(), distinct.end(),
                                       [&s](const Task::LostShard& l) { return l.cid == s.cid; });
        if (same != distinct.end()) {
            same->indices.append(s.index);
            continue;
        }
        distinct.append(Task::LostShard{s.cid, {s.index}, {}});
        for (const Placement& p : registry.placementRows().placements(s.cid)) {
            if (p.state != PlacementState::Stored)
                continue;
            task.shardProviders.insert(p.providerId);
            if (!m_draining.contains(p.providerId))
                good[s.cid]++;
        }
    }
    for (const Task::LostShard& l : std::as_const(distinct))
        if (good.value(l.cid) < l.indices.size())
            task.lostShards.push_back(l);
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
        if (task.converting)
            convertedChunk(task.chunk.cid); // all its shards are stored: its copies can go
        return endTask(taskId);
    }
    collectHolders(taskId);
    placeCopies(taskId);
}

} // namespace mf
