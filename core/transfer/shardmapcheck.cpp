#include "shardmapcheck.h"

#include "chunking/cid.h"

namespace mf {

ShardMapCheck checkShardMap(int dataShards, int parityShards, const QString& chunkCid,
                            qint64 chunkSize, const QStringList& recorded,
                            const std::vector<ShardCodec::Shard>& read)
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
    // Encoded again, the chunk gives every shard it is made of: each must be the one recorded.
    const std::vector<ShardCodec::Shard> made = codec->encode(QByteArrayView(*chunk), &error);
    if (made.size() != size_t(codec->totalShards())) {
        out.rebuilt = false;
        out.why = error.message;
        return out;
    }
    for (const ShardCodec::Shard& s : made)
        if (s.index >= recorded.size() || recorded.at(s.index) != s.cid)
            out.wrongIndices.append(s.index);
    return out;
}

} // namespace mf
