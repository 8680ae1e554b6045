#include "manifestshards.h"

#include "chunking/redundancyscheme.h"
#include "chunking/shardcodec.h"
#include "registry/registry.h"

namespace mf::manifestshards {

catalog::ManifestShards ofFile(Registry& registry, const QList<FileChunk>& chunks, qint64 modelId)
{
    // One scheme per file: the model's when it is kept as shards (a chunk converted from one
    // scheme to another has both until the old one is retired), else the scheme of the first
    // chunk that has shards (the model is being converted from copies). A chunk without shards
    // under it is named with none, and read as copies.
    ShardRows& rows = registry.shardRows();
    std::optional<ShardRows::Scheme> scheme;
    if (const auto modelScheme = RedundancyScheme::parse(rows.modelRedundancy(modelId));
        modelScheme && modelScheme->isShards())
        scheme = ShardRows::Scheme{modelScheme->dataShards, modelScheme->parityShards};
    for (qsizetype i = 0; !scheme && i < chunks.size(); ++i)
        scheme = rows.shardScheme(chunks.at(i).cid);
    if (!scheme)
        return {};
    catalog::ManifestShards out;
    out.k = scheme->k;
    out.m = scheme->m;
    bool any = false;
    for (const FileChunk& c : chunks) {
        QStringList cids;
        if (rows.shardSchemes(c.cid).contains(*scheme))
            for (const ShardRows::Shard& s : rows.shards(c.cid, scheme->k, scheme->m))
                cids.append(s.cid);
        if (cids.size() != scheme->k + scheme->m)
            cids.clear();
        any = any || !cids.isEmpty();
        out.cids.append(cids);
    }
    return any ? out : catalog::ManifestShards{};
}

bool record(Registry& registry, qint64 modelId, const QList<catalog::ManifestFile>& files)
{
    QString scheme;
    bool whole = true;
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
            if (cids.isEmpty()) {
                whole = false; // stored as copies: its model is being converted
                continue;
            }
            for (int index = 0; index < cids.size(); ++index)
                shards.append(ShardRows::Shard{index, cids.at(index), layout->shardSize});
            if (!registry.shardRows().recordShards(chunk.cid, f.shards.k, f.shards.m, shards))
                return false;
        }
        scheme = RedundancyScheme::makeShards(f.shards.k, f.shards.m).toString();
    }
    // What the manifest says now, also of a model taken in before: kept as shards once every
    // chunk of every file is, else as copies ('': the vault's number of copies) — halfway through
    // a conversion, as the computer converting it still says, and once it was converted back.
    return registry.shardRows().setModelRedundancy(modelId, whole ? scheme : QString());
}

} // namespace mf::manifestshards
