#pragma once

#include "registryrows.h"

#include <QList>
#include <QString>

#include <optional>

namespace mf {

// Chunks stored as erasure-coded shards (docs/erasure.md, shardrows.cpp): which shards make a
// chunk under a scheme (table chunk_shards; each shard a row of `chunks` of its own, so its
// placements are ordinary ones), and the scheme each model was floated with
// (models.redundancy). The scheme is kept as its words ("shards 4+2"), RedundancyScheme's.
class ShardRows final : public RegistryRows
{
public:
    ShardRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    struct Shard
    {
        int index = -1; // 0 .. K−1 data, K .. K+M−1 parity
        QString cid;
        qint64 size = 0;
    };
    // A chunk's shards under K+M, all of them (index order), in one transaction: the shards'
    // rows in `chunks` where they are new, then the chunk's rows here. Recording the same
    // shards again changes nothing; different CIDs for a recorded index are refused (encoding
    // is deterministic, so that is a damaged registry or a wrong caller, never a new truth).
    bool recordShards(const QString& chunkCid, int k, int m, const QList<Shard>& shards);
    // The shards recorded for a chunk under K+M, in index order; empty when none are.
    QList<Shard> shards(const QString& chunkCid, int k, int m);
    // The scheme a chunk stored as shards is read and judged by: K and M, or nullopt for a
    // chunk with none recorded (stored as copies). A chunk has shards under two schemes only
    // while a model is converted from one to the other (RepairJob, docs/erasure.md); then it is
    // the one with the most stored shards beyond its K (the old one until the new one is whole),
    // the smaller K on a tie.
    struct Scheme
    {
        int k = 0;
        int m = 0;
        bool operator==(const Scheme& o) const { return k == o.k && m == o.m; }
        bool operator!=(const Scheme& o) const { return !(*this == o); }
    };
    std::optional<Scheme> shardScheme(const QString& chunkCid);
    // Every scheme the chunk has shards recorded under, smaller K first.
    QList<Scheme> shardSchemes(const QString& chunkCid);
    // Whether `cid` is a shard of some chunk recorded here.
    bool isShard(const QString& cid);
    // How many of a chunk's shard indices can be read (their shard has a stored placement) and
    // how many have a stored copy of their own, on a provider no other index needs
    // (chunking/shardspread.h), with its scheme; nullopt for a chunk with no shards recorded.
    // The two differ where shards are the same bytes (a chunk of zeros: one copy reads as all
    // of them, but losing it loses all of them), and where two shards' only copies are on one
    // provider (two vaults placing a chunk each their own way, then deleting).
    struct Stored
    {
        Scheme scheme;
        int shards = 0;
        int ownCopies = 0;
    };
    std::optional<Stored> storedShards(const QString& chunkCid);
    // The same under one scheme (nullopt when the chunk has none recorded under it).
    std::optional<Stored> storedShards(const QString& chunkCid, const Scheme& scheme);
    // The chunks a shard is part of (a shard of zeros can be part of several), each with its
    // size, scheme and the indices the shard has in it, and whether a file uses the chunk.
    struct ShardOf
    {
        QString chunkCid;
        qint64 chunkSize = 0;
        Scheme scheme;
        QList<int> indices;
        bool used = false;
    };
    QList<ShardOf> chunksOfShard(const QString& shardCid);

    // A conversion is done with a chunk (RepairJob, docs/erasure.md): its shards under
    // `scheme` (the one it is converted from) are forgotten and their objects queued for
    // deletion (as PlacementRows::retirePlacement() does), except a shard that is also part of
    // another chunk or of the chunk under another scheme (shards of zeros), whose copies those
    // still need. One transaction. Busy (and nothing changed) while a put of one of them is
    // under way.
    struct RetiredShards
    {
        enum class Result { Retired, Busy, Failed } result = Result::Failed;
        int objects = 0; // placements turned into deletions
    };
    RetiredShards retireShards(const QString& chunkCid, const Scheme& scheme);
    // Chunks of the model's complete files that are not whole under a scheme: `k` + `m` shards
    // (k > 0), each index with a copy of its own; or (k == 0) `copies` stored copies on
    // providers not being drained. -1 on failure.
    int chunksNotWhole(qint64 modelId, int k, int m, int copies);

    // The model's scheme as recorded ("copies 2", "shards 4+2"); empty for a model floated
    // before schemes were recorded (copies, as the vault's replication).
    QString modelRedundancy(qint64 modelId);
    // `republish`: the model's manifest changes with it (a conversion: the manifest names each
    // chunk's shards), so the catalog publishes the model again (models.catalog_dirty).
    bool setModelRedundancy(qint64 modelId, const QString& scheme, bool republish = false);

    // SQL conditions on the chunk whose CID is the expression `cid`, for the queries of other
    // concerns that judge chunks by their stored placements: the chunk is stored as shards and
    // at least K distinct shards of it are stored (readable), or all K+M are, each index with a
    // copy of its own (whole: shards of the same bytes need a copy each) and on as many
    // providers between them, under some scheme or under the one given.
    static QString readableFromShards(const QString& cid);
    static QString wholeInShards(const QString& cid, const std::optional<Scheme>& scheme = {});
    // SQL condition: the chunk is stored as shards and one of its shards has stored copies on
    // more than one provider. Only then can wholeInShards() call whole a chunk whose shards
    // cannot each keep a provider of their own, which wholeApart() then decides.
    static QString mayShareProviders(const QString& cid);
    // Whether every shard of the chunk, under the scheme it is read by, has a stored copy on a
    // provider of its own (storedShards()).
    bool wholeApart(const QString& chunkCid);
};

} // namespace mf
