#include "shardmapcheck.h"

#include "chunking/cid.h"

namespace mf {

ShardMapCheck checkShardMap(int dataShards, int parityShards, const QString& chunkCid,
                            qint64 chunkSize, const std::vector<ShardCodec::Shard>& read)
{
    ShardMapCheck out;
    ShardCodec::Error error;
    const std::optional<ShardCodec> codec = ShardCodec::make(dataShards, parityShards, &error);
    if (!codec) {
        out.why = error.message;
        return out;
    }
    const std::optional<QByteArray> chunk = codec->decode(read, chunkSize, &error);
    if (!chunk) {
        out.why = error.message;
        return out;
    }
    if (cid::ofData(*chunk) != chunkCid)
        return out;
    out.rebuilt = true;
    // Encoded again, the chunk gives every shard it is made of: each one read must be it. The
    // bytes are compared, not hashed: those read matched their recorded CIDs already.
    const std::vector<ShardCodec::Shard> made = codec->encodeBytes(QByteArrayView(*chunk), &error);
    if (made.size() != size_t(codec->totalShards())) {
        out.rebuilt = false;
        out.why = error.message;
        return out;
    }
    for (const ShardCodec::Shard& s : read)
        if (s.index < 0 || size_t(s.index) >= made.size() || s.bytes != made[size_t(s.index)].bytes)
            out.wrongIndices.append(s.index);
    return out;
}

} // namespace mf
