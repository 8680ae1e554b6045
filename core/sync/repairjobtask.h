#pragma once
// What RepairJob keeps of a chunk it is repairing, shared by repairjob.cpp and
// repairjob_local.cpp.

#include "providers/chunkwriter.h"
#include "repairjob.h"
#include "transfer/chunkfetcher.h"

#include <QHash>
#include <QSet>

#include <atomic>
#include <deque>
#include <memory>
#include <optional>

namespace mf {

struct RepairJob::Task
{
    // A shard of a chunk stored as shards, rebuilt (repairjob_shards.cpp): its CID as the
    // registry records it, and its bytes once made again from the chunk's.
    struct LostShard
    {
        QString cid;
        QList<int> indices; // the chunk's indices with these bytes (one, unless shards repeat)
        QByteArray bytes;
        // Providers with a good copy of it that other shards of the chunk need as their own
        // (shardspread.h): a copy there does not count, and it is put elsewhere.
        QSet<qint64> sharedWith;
    };

    ScrubRows::ChunkToRepair chunk;
    MemoryChunkWriter writer;
    std::unique_ptr<ChunkFetcher> fetcher;
    QSet<qint64> holders; // providers with a good copy of the object put now
    // Provider -> locator of a copy known corrupt: a put there replaces it (ReplaceJob), or it
    // would find the bad object and count it as stored.
    QHash<qint64, QString> badCopies;
    // Providers with a copy known missing or corrupt: a shard goes back there first. A missing
    // copy is not replaced but put again: whatever is there now was stored since, by another
    // vault sharing the store, and removing it would take that vault's copy.
    QSet<qint64> lostOn;
    std::deque<qint64> candidates; // where to put copies, best first
    QByteArray localBytes;         // read from a file at hand (fromPaths) instead of a provider
    // A chunk stored as shards: its scheme; the shards it lost, made again from its bytes, put
    // one after the other (the first is the object put now); the providers that hold a shard of
    // it as its own (shardspread.h), none of which takes another (losing it would cost two).
    std::optional<ShardRows::Scheme> scheme;
    std::deque<LostShard> lostShards;
    QSet<qint64> shardProviders;
    // Provider -> the chunk's shards whose put there began and never ended (a run killed
    // mid-put): such a provider may hold them, so it takes no other shard of the chunk.
    QHash<qint64, QSet<QString>> shardPutsBegun;
    // A drain moving this shard off the drained provider (repairjob_shards.cpp); the task's chunk
    // is the chunk it is a shard of. Read as it is and put elsewhere (movingShard), or, when it
    // cannot be read, made again from the chunk's other shards; then retired there, once it has
    // a good copy elsewhere for each index it has in the chunk.
    QString drainedShard;
    QList<int> drainedShardIndices;
    bool movingShard = false;
    // The chunk's bytes (checked against its CID).
    const QByteArray& chunkBytes() const
    {
        return localBytes.isEmpty() ? writer.bytes() : localBytes;
    }
    // The object put now: the chunk itself, or the lost shard being put.
    bool puttingShard() const { return !lostShards.empty(); }
    const QString& objectCid() const { return puttingShard() ? lostShards.front().cid : chunk.cid; }
    const QByteArray& bytes() const
    {
        return puttingShard() ? lostShards.front().bytes : chunkBytes();
    }
    qint64 objectSize() const
    {
        return puttingShard() ? lostShards.front().bytes.size() : chunk.size;
    }
    // Good copies the object put now needs: the vault's copies, or one per index of a shard.
    int wanted(int copies) const
    {
        return puttingShard() ? int(lostShards.front().indices.size()) : copies;
    }
    // The good copies it has that count: a shard's, on a provider of its own.
    int copiesCounted() const
    {
        return int((puttingShard() ? holders - lostShards.front().sharedWith : holders).size());
    }
    ProviderJob* put = nullptr;
    qint64 putProvider = 0;
    bool waiting = false; // for a deletion to end
    // Part of a conversion (Options::convertTo): once whole under the new scheme, the old
    // scheme's objects are retired. recordShards: its shards under the new scheme are recorded
    // once encoded (none were yet).
    bool converting = false;
    bool recordShards = false;
    // Set by a put's device when the bytes it sent would not hash to the CID.
    std::shared_ptr<std::atomic_bool> mismatched = std::make_shared<std::atomic_bool>(false);
};

} // namespace mf
