#include "manifestshards.h"

#include "chunking/redundancyscheme.h"
#include "chunking/shardcodec.h"
#include "registry/registry.h"

namespace mf::manifestshards {

catalog::ManifestShards ofFile(Registry& registry, const QList<FileChunk>& chunks, qint64 modelId)
{
    catalog::ManifestShards out;
    ShardRows& rows = registry.shardRows();
    // A chunk converted from one scheme to another has both until the old one is retired: the
    // manifest names the model's.
    const auto modelScheme = RedundancyScheme::parse(rows.modelRedundancy(modelId));
    std::optional<ShardRows::Scheme> preferred;
    if (modelScheme && modelScheme->isShards())
        preferred = ShardRows::Scheme{modelScheme->dataShards, modelScheme->parityShards};
    for (const FileChunk& c : chunks) {
        auto scheme = rows.shardScheme(c.cid);
        if (scheme && preferred && *scheme != *preferred &&
            rows.shardSchemes(c.cid).contains(*preferred))
            scheme = preferred;
        if (!scheme || (out.k != 0 && (scheme->k != out.k || scheme->m != out.m)))
            return {};
        out.k = scheme->k;
        out.m = scheme->m;
        QStringList cids;
        for (const ShardRows::Shard& s : rows.shards(c.cid, scheme->k, scheme->m))
            cids.append(s.cid);
        if (cids.size() != scheme->k + scheme->m)
            return {};
        out.cids.append(cids);
    }
    return out;
}

bool record(Registry& registry, qint64 modelId, const QList<catalog::ManifestFile>& files)
{
    QString scheme;
    for (const catalog::ManifestFile& f : files) {
        if (f.shards.isEmpty())
            continue;
        ShardCodec::Error error;
        const auto codec = ShardCodec::make(f.shards.k, f.shards.m, &error);
        if (!codec || f.shards.cids.size() != f.chunks.size())
            return false;
        for (qsizetype i = 0; i < f.chunks.size(); ++i) {
            const FileChunk& chunk = f.chunks.at(i);
            const auto layout = codec->layout(chunk.size, &error);
            if (!layout)
                return false;
            QList<ShardRows::Shard> shards;
            const QStringList& cids = f.shards.cids.at(i);
            for (int index = 0; index < cids.size(); ++index)
                shards.append(ShardRows::Shard{index, cids.at(index), layout->shardSize});
            if (!registry.shardRows().recordShards(chunk.cid, f.shards.k, f.shards.m, shards))
                return false;
        }
        scheme = RedundancyScheme::makeShards(f.shards.k, f.shards.m).toString();
    }
    return scheme.isEmpty() || registry.shardRows().setModelRedundancy(modelId, scheme);
}

} // namespace mf::manifestshards
