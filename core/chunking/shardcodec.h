#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <functional>
#include <optional>
#include <vector>

namespace mf {

class ChunkBytes;

// Reed–Solomon erasure coding of one chunk into K data shards and M parity shards, any K of
// which rebuild the chunk (docs/erasure.md). The arithmetic is ISA-L's: a Cauchy generator
// matrix (any K rows of it are invertible), ec_encode_data to encode, gf_invert_matrix and
// ec_encode_data again to decode. Nothing here does Galois-field arithmetic of its own.
//
// Layout: every shard is shardSize = ceil(chunkSize / K) bytes. Data shard i holds the chunk's
// bytes [i × shardSize, (i + 1) × shardSize); the last data shards are padded with zero bytes
// up to K × shardSize, and `padding` says how many, so decoding gives back exactly chunkSize
// bytes. Parity shards are indices K .. K+M−1. Each shard is an object of its own named by its
// own CID (raw, sha2-256, as a chunk is), so it is checked as it is fetched.
//
// A ShardCodec is immutable once made: any thread may use one at the same time.
class ShardCodec final
{
public:
    // K + M: 32 shards at most. Each shard goes to a provider of its own, and no vault has more
    // than a handful; the bound keeps the coding tables (32 × K × M bytes) and the decode matrix
    // small. K ≥ 1 and M ≥ 1: without parity a scheme is only a split, with no safety.
    static constexpr int MaxShards = 32;

    // What went wrong, so callers (and tests) can tell the cases apart; the message says it in
    // a sentence.
    enum class Problem {
        None,
        BadScheme,        // K or M out of range
        BadChunkSize,     // empty chunk, or larger than ChunkerParams::LargestChunkSize
        BadShardIndex,    // an index outside 0 .. K+M−1
        DuplicateShard,   // the same index given twice
        BadShardSize,     // a shard whose length is not the layout's shard size
        TooFewShards,     // fewer than K distinct shards
        ShardCidMismatch, // a shard's bytes do not match its CID
        BadPadding,       // decodeUnchecked(): the padding after the chunk is not zero
        SingularMatrix,   // ISA-L could not invert the decode matrix (never with Cauchy rows)
    };

    struct Error
    {
        Problem problem = Problem::None;
        QString message;
        int shardIndex = -1; // the shard concerned, when one is
    };

    // The sizes of one chunk's shards.
    struct Layout
    {
        qint64 chunkSize = 0;
        qint64 shardSize = 0; // each shard's length
        qint64 padding = 0;   // zero bytes after the chunk's end in the last data shards
    };

    struct Shard
    {
        int index = -1;   // 0 .. K−1 data, K .. K+M−1 parity
        QByteArray bytes; // Layout::shardSize bytes
        QString cid;      // CIDv1 raw sha2-256 of `bytes`
        // The reader already checked `bytes` against `cid` (a fetch checks every object it
        // reads): decode() and rebuild() do not hash it a second time.
        bool checked = false;
    };

    // A codec for K data and M parity shards, or nullopt with *error set (BadScheme).
    static std::optional<ShardCodec> make(int dataShards, int parityShards, Error* error);

    int dataShards() const { return m_k; }
    int parityShards() const { return m_m; }
    int totalShards() const { return m_k + m_m; }

    // The layout of a chunk of `chunkSize` bytes, or nullopt with *error set (BadChunkSize).
    std::optional<Layout> layout(qint64 chunkSize, Error* error) const;

    // The K + M shards of `chunk`, in index order, each with its CID. Empty with *error set when
    // the chunk's size is refused.
    std::vector<Shard> encode(QByteArrayView chunk, Error* error) const;
    // The same, from the pieces a scanner read: each byte is copied once, into its shard.
    std::vector<Shard> encode(const ChunkBytes& chunk, Error* error) const;
    // The shards' bytes alone, without their CIDs (no hashing): for comparing shards read back
    // with the ones a chunk makes.
    std::vector<Shard> encodeBytes(QByteArrayView chunk, Error* error) const;

    // The chunk of `chunkSize` bytes from any K of its shards, given with their indices and the
    // CIDs recorded for them (more than K is fine: the data shards are preferred, then the
    // lowest parity). Each shard used is checked against its CID first (unless it comes
    // `checked`); a mismatch is refused
    // with ShardCidMismatch and the shard's index, so the caller can mark it and fetch another.
    // Every other input is checked too (see Problem). Returns nullopt with *error set.
    //
    // The result is not yet trusted: the caller checks it against the chunk's own CID, as every
    // chunk read is checked —
    //     const auto chunk = codec.decode(shards, size, &error);
    //     if (!chunk || cid::ofData(*chunk) != chunkCid) ... refuse, never use the bytes
    // — because the shard CIDs came from a manifest, and a manifest that lists the wrong shards
    // must not produce a wrong chunk.
    std::optional<QByteArray> decode(const std::vector<Shard>& shards, qint64 chunkSize,
                                     Error* error) const;

    // decode() without hashing the shards, for a reader that checks the chunk against its own
    // CID anyway (ShardGather): one hash of the chunk then checks the K shards used too. Any K
    // shards decode to the chunk's bytes and padding through invertible rows of the generator,
    // so other bytes in any of them give another chunk, or padding that is not zero (refused
    // with BadPadding). Only when the chunk does not match must the reader hash the shards, to
    // tell a corrupt shard (mark it, fetch another) from a manifest with the wrong shards.
    std::optional<QByteArray> decodeUnchecked(const std::vector<Shard>& shards, qint64 chunkSize,
                                              Error* error) const;

    // Rebuilds the shards at `wanted` indices (for repair) from any K others, checked as decode()
    // checks them. The rebuilt shards come with their CIDs, which the caller compares with the
    // recorded ones.
    std::vector<Shard> rebuild(const std::vector<Shard>& shards, qint64 chunkSize,
                               const std::vector<int>& wanted, Error* error) const;

private:
    ShardCodec(int dataShards, int parityShards);
    // encode() of a chunk of `chunkSize` bytes; `copy(from, to, n)` copies its bytes
    // [from, from + n) to `to`. Without `named`, the shards' CIDs are left empty.
    std::vector<Shard> encodeFrom(qint64 chunkSize,
                                  const std::function<void(qint64, char*, qint64)>& copy,
                                  Error* error, bool named = true) const;
    // decode(), with the shards used checked against their CIDs or (for decodeUnchecked) not.
    std::optional<QByteArray> decodeFrom(const std::vector<Shard>& shards, qint64 chunkSize,
                                         bool checkCids, Error* error) const;
    // The K shards a decode uses, checked when `checkCids`; empty with *error set.
    std::vector<const Shard*> pickShards(const std::vector<Shard>& shards, const Layout& layout,
                                         bool checkCids, Error* error) const;

    int m_k = 0;
    int m_m = 0;
    std::vector<unsigned char> m_matrix;       // (K+M) × K generator, identity on top
    std::vector<unsigned char> m_encodeTables; // ec_init_tables of the M parity rows
};

} // namespace mf
