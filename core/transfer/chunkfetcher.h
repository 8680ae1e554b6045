#pragma once

#include "providers/chunkwriter.h"
#include "registry/records.h"
#include "util/error.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace mf {

class Vault;
class ProviderJob;
class ShardGather;

// Fetches one chunk from any of its replicas into a ChunkWriter and checks it against its CID.
// Replicas are tried in the order of their state (stored ones first), and among equals the one
// whose provider is expected to deliver soonest by the vault's measured speeds comes first
// (ProviderSpeeds): many fetches together spread across every provider holding copies. When the
// chosen provider turns out slow and another replica's provider is idle, the chunk is asked of
// that one too (a hedged request): the first verified copy wins and the other request is
// aborted. A replica that is missing or whose bytes do not match is marked in the registry
// (missing, corrupt) and the next replica is tried; the fetch fails only when no replica is good.
// It fails with Error::Kind::Corrupt when the chunk is known to be lost (every replica was found
// missing or corrupt, or it has none), and with the last provider error when some replica could not
// be read (the chunk may still be there).
// A chunk stored as shards (docs/erasure.md: no stored copy, its shards in the registry) is read
// through a ShardGather instead, whose checked chunk goes into the same writer: every reader of
// chunks (restore, `cat`, the local API, the mount, repair) reads shards with no code of its own.
class ChunkFetcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChunkFetcher)

public:
    // Milliseconds a fetch runs before a hedged request may be considered; and how often
    // (ShardGather hedges by the same measures).
    static constexpr int HedgeAfterMs = 250;
    static constexpr int HedgeCheckMs = 100;

    ChunkFetcher(Vault* vault, const FileChunk& chunk, QList<Placement> placements,
                 ChunkWriter* writer, QObject* parent = nullptr);
    ~ChunkFetcher() override;

    void start();
    void abort();
    // Read the object as it is stored, never from shards: for the shards themselves.
    void setWholeObjectsOnly() { m_wholeObjectsOnly = true; }
    // The same, and the bytes are not hashed here: the caller checks them some other way (a
    // shard, by the chunk decoded from it: ShardGather). Any replica of the chunk's size is
    // taken and none is marked stored (one of another size is marked corrupt): the caller marks
    // what its check finds (sourceProvider()).
    void setCheckedByCaller();
    const Error& error() const { return m_error; }
    const FileChunk& chunk() const { return m_chunk; }
    // Replicas found bad during this fetch, for the caller's report.
    const QStringList& problems() const { return m_problems; }
    // The provider being read now (0 before the first request).
    qint64 readingFrom() const { return m_currentProvider; }
    // The provider whose copy was read, once it succeeded.
    qint64 sourceProvider() const { return m_error.ok() && m_finished ? m_currentProvider : 0; }

Q_SIGNALS:
    void progress(qint64 bytes);
    void finished();

private:
    void tryNext();
    // The untried replica to ask next, -1 when none is left.
    int pickNext() const;
    void onJobFinished();
    // Whether `writer` holds the chunk's verified bytes after `provider`'s job ended with `e`;
    // if not, the replica's state, the problem and m_lastFailure are recorded.
    bool judge(qint64 provider, const Error& e, ChunkWriter& writer);
    void maybeHedge();
    void onHedgeFinished();
    // The hedged request won: its bytes go into the real writer, verified there again.
    void adoptHedge();
    void finish(const Error& error);
    // Starts reading the chunk from its shards when it is stored that way; false otherwise.
    bool startShards();
    void onGathered();

    Vault* m_vault;
    FileChunk m_chunk;
    QList<Placement> m_placements;
    ChunkWriter* m_writer;
    QList<bool> m_tried;
    QPointer<ProviderJob> m_job;
    qint64 m_currentProvider = 0;
    qint64 m_jobDelivered = 0; // bytes the current job delivered, for the speed measures
    QElapsedTimer m_jobClock;
    QTimer m_hedgeTimer;
    // The hedged request, at most one per fetch, into memory (a chunk is a few MiB at most).
    QPointer<ProviderJob> m_hedgeJob;
    std::unique_ptr<MemoryChunkWriter> m_hedgeWriter;
    qint64 m_hedgeProvider = 0;
    qint64 m_hedgeDelivered = 0;
    bool m_hedged = false;
    bool m_hedgeWon = false;       // the primary job is being aborted in its favour
    bool m_waitingOnHedge = false; // the primary failed while the hedge still runs
    qint64 m_pausedUntil = -1;     // a replica's provider serves no downloads before then
    bool m_aborted = false;
    bool m_finished = false;
    bool m_unsure = false;       // a replica could not be read: its state is unknown
    bool m_writerFailed = false; // the destination failed: no replica will help
    Error m_error;
    Error m_lastFailure;
    QStringList m_problems;
    bool m_wholeObjectsOnly = false;
    bool m_checkedByCaller = false;
    std::unique_ptr<ShardGather> m_gather;
};

} // namespace mf
