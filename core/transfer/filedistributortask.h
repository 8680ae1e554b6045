#pragma once

// What FileDistributor knows of one chunk while it places it: shared by filedistributor.cpp
// (scanning, confirming copies, completing) and filedistributor_puts.cpp (choosing providers,
// putting, retrying, pausing).

#include "filedistributor.h"

#include <atomic>
#include <memory>

namespace mf {

struct FileDistributor::ChunkTask
{
    ScannedChunk chunk;
    int duplicates = 0;   // further occurrences of this chunk in the file, placed with it
    QSet<qint64> holders; // providers that store it
    // Providers the registry says store it, being asked whether they still do (stat) before
    // the chunk counts as stored there: the registry remembers, the providers decide.
    QSet<qint64> confirming;
    QSet<qint64> inFlight; // providers a put is running on
    QSet<qint64> givenUp;  // providers not to try again for this chunk
    // Providers with a copy known to be corrupt, by its locator: a put there must replace it,
    // or it would find the bad object and count it as stored. (A copy known missing is put
    // again, not replaced: an object there now was stored since, by another vault sharing the
    // store, and removing it first would take that vault's copy.)
    QHash<qint64, QString> badCopies;
    // The providers where a put of it was begun and never recorded (a float killed mid-put, or
    // another process's put under way): the object may be there. It goes back there first (the
    // put then finds it, or sends it again), and, for a shard, no other shard of its chunk goes
    // there, which would leave two shards of one chunk on one provider.
    QSet<qint64> begunOn;
    bool counted = false; // counted in chunksSent
    bool waiting = false; // in m_ready or waiting for a retry timer
    Error lastError;
    // Set by a put's device when the bytes it read do not hash to the CID: the source changed.
    std::shared_ptr<std::atomic_bool> mismatched = std::make_shared<std::atomic_bool>(false);
    // A shard of a chunk stored as shards (docs/erasure.md): `chunk` is then the shard (its CID,
    // its length, its bytes, made here), `group` the chunk's CID, `key` its key in m_tasks
    // (group/shard: one shard may belong to several chunks), `wanted` how many of the chunk's
    // indices have these very bytes (one, unless shards repeat, as those of a run of zeros do),
    // and `indices` which. Empty `group`: a whole chunk, placed `m_replication` times.
    QString key;
    QString group;
    int wanted = 0;
    QList<int> indices;
    bool isShard() const { return !group.isEmpty(); }
};

// A chunk stored as shards while its shards are placed: counted placed once every shard is.
struct FileDistributor::ShardGroup
{
    ScannedChunk chunk;
    int duplicates = 0;    // further occurrences of this chunk in the file, placed with it
    bool encoding = false; // its shards are being made on the pool
    bool admitted = false; // its shards' tasks were made (with their bytes or without)
    // Its shards' tasks that wait for their bytes (admitted without them, to be put now).
    QStringList waitingForBytes;
    QStringList keys;  // its shards' tasks in m_tasks, until each is placed
    bool sent = false; // some shard was sent (not all found stored already)
    // Its shards placed already: the providers each is stored on, one entry per index.
    std::vector<QSet<qint64>> placedShards;
};

} // namespace mf
