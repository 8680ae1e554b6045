#pragma once

#include "chunking/shardcodec.h"
#include "registry/records.h"
#include "registry/shardrows.h"
#include "util/error.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QHash>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <map>
#include <memory>
#include <optional>

namespace mf {

class Vault;
class ChunkFetcher;
class ChunkWriter;
class MemoryChunkWriter;

// Reads a chunk stored as shards (docs/erasure.md): fetches K of its K+M shards, each through a
// ChunkFetcher of its own (the replica that will deliver soonest), starting with the shards
// whose providers are expected to deliver soonest, data shards first among equals; a shard that
// cannot be read is replaced by the next one. When a running fetch turns out slow and the next
// shard's provider is idle, that shard is asked for too (a hedged request, as ChunkFetcher makes
// for a chunk's copies): the first K shards win and the slower fetch is aborted, so one slow
// provider does not hold a chunk back while any K others could give it. With K shards it
// decodes on a worker thread (ShardCodec) and checks the chunk against its own CID, which
// checks the K shards too (ShardCodec::decodeUnchecked: the shards are not hashed one by one,
// a third of a restore's hashing at 4+2); only when the chunk does not match are they hashed,
// and a corrupt one is marked and replaced by another. The chunk goes to the writer from that
// thread (a restore's writes to its file are long: on the engine thread they held every other
// chunk's events back). Fewer than K good shards: the chunk is lost, and the error says so,
// naming it. The sibling of ChunkFetcher, which hands it a chunk with shards: start, abort
// safe twice, exactly one finished().
class ShardGather final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ShardGather)

public:
    // `writer` takes the chunk; it outlives this gather, which alone writes to it (from its
    // decoding thread) until finished().
    ShardGather(Vault* vault, const FileChunk& chunk, int dataShards, int parityShards,
                QList<ShardRows::Shard> shards, ChunkWriter* writer, QObject* parent = nullptr);
    ~ShardGather() override;

    void start();
    void abort();
    // Without error, the writer holds the chunk, checked against its CID.
    const Error& error() const { return m_error; }
    const QStringList& problems() const { return m_problems; }

Q_SIGNALS:
    void progress(qint64 bytes);
    void finished();

private:
    struct Fetch;
    // Starts fetches until K run or have succeeded; false when no shard is left to ask.
    void fetchMore();
    void onFetched(int index);
    // Asks for one shard more than K when the slowest running fetch would end well after the
    // next shard could be read from its idle provider (at most once per chunk).
    void maybeHedge();
    void decode();
    // `corrupt`: shards found not to match their CIDs when the chunk did not match (the
    // chunk's error is then empty): they are marked and others fetched.
    void onDecoded(const Error& error, const QList<int>& corrupt);
    static Error cannotRebuild(const FileChunk& chunk, const QString& why);
    void finish(const Error& error);

    Vault* m_vault;
    FileChunk m_chunk;
    int m_k;
    int m_m;
    QList<ShardRows::Shard> m_shards; // in the order they are asked for
    ChunkWriter* m_writer;
    QHash<int, QList<qint64>> m_holders; // by shard index: its providers at start()
    int m_next = 0;                      // the next of m_shards to ask
    int m_extra = 0;                     // fetches beyond K: 1 once hedged
    QTimer m_hedgeTimer;
    QElapsedTimer m_clock;                           // since the first fetches started
    std::map<int, std::unique_ptr<Fetch>> m_fetches; // running, by shard index
    std::vector<ShardCodec::Shard> m_good;
    QHash<int, qint64> m_sources; // by shard index: the provider its good copy came from
    bool m_checkEach = false;     // a decoded chunk did not match: check each shard as it comes
    QStringList m_unreadable;     // "shard i: why", for the error
    QStringList m_problems;
    Error m_lastFailure;
    bool m_unsure = false;   // a shard could not be read for a reason that may pass
    QFuture<void> m_decoded; // the running decode's end, which the destructor waits for
    bool m_decoding = false;
    bool m_aborted = false;
    bool m_finished = false;
    Error m_error;
};

} // namespace mf
