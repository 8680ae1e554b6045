#pragma once

#include "chunking/shardcodec.h"

#include <QList>
#include <QString>

#include <vector>

namespace mf {

// Whether the shards recorded for a chunk make it. Each shard read back is checked against its
// own CID, but the map that says which shards make which chunk comes from the registry, or from
// another computer's manifest: a wrong one reads as healthy and fails at restore, at the
// chunk's own check. `verify` runs this on the shards it read (docs/erasure.md).
struct ShardMapCheck
{
    // The chunk decoded from the first K of the shards given (data shards first, as a restore
    // reads them) matches its CID.
    bool rebuilt = false;
    QString why; // when not rebuilt: the decoder's refusal, or empty for a chunk CID mismatch
    // Once rebuilt: the indices of the shards read that are not the ones the chunk makes (the
    // chunk is encoded again, and each shard read compared with the one at its index).
    QList<int> wrongIndices;
};

// `read`: the shards read back and found to match the CIDs recorded for their indices
// (`checked`), at least K of them. Runs on any thread.
ShardMapCheck checkShardMap(int dataShards, int parityShards, const QString& chunkCid,
                            qint64 chunkSize, const std::vector<ShardCodec::Shard>& read);

} // namespace mf
