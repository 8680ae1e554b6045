#pragma once

#include "chunking/redundancyscheme.h"
#include "chunking/shardcodec.h"
#include "localsources.h"
#include "providers/retrypolicy.h"
#include "registry/registry.h"
#include "transfer/transferjob.h"

#include <QHash>
#include <QSet>

#include <atomic>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

class QThreadPool;

namespace mf {

class Vault;

// Brings every chunk back to the copies the vault wants (HealthRows::wantedCopies()): a chunk of
// a complete file with fewer good copies is read from a surviving replica (checked against its
// CID before it is written anywhere; a bad replica is marked missing or corrupt and the next one
// is tried, as a restore does) and put on other providers until it has enough. Every put follows
// the distributor's rules: it is announced first (PlacementRows::beginPlacement: it waits for a
// deletion of that object under way, honours the provider's quota) and recorded when it is done,
// a known-bad copy on the target is replaced rather than counted, and a put that fails (after
// the adapter's own retries) is tried elsewhere. Degraded models whose chunks all have their
// copies again become healthy.
//
// The work is found in the registry, a batch of chunks at a time, so nothing needs saving:
// interrupted, it is simply run again. Lives on the engine thread; never blocks it.
class RepairJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RepairJob)

public:
    struct Options
    {
        QList<qint64> modelIds; // empty: every model
        // Drains this provider instead: every chunk with a copy there gets the wanted copies
        // elsewhere, then that copy is retired (PlacementRows::retirePlacement: a pending deletion,
        // which DrainJob carries out). Copies there never count.
        qint64 drainProvider = 0;
        // With drainProvider and modelIds: only these models' chunks leave it (an offload of
        // a model from this computer), and not the chunks listed here, which stay there
        // (a model kept on this computer uses them too). The provider itself need not be
        // marked draining: its copies never count, and it takes no copies in this run.
        QSet<QString> keepOnDrained;
        // Looks first: every stored copy is asked for (the scrub's check pass, a stat each) and
        // what is gone or the wrong size is marked, so that the repair relies on what the
        // providers hold, not on what the registry remembers. What a person starts does this;
        // the scheduler's repair follows its own scrub instead.
        bool checkFirst = false;
        // Files the person still has (files or folders): those that match a file of the
        // models asked for (size and name first, then the SHA-256 the registry recorded) give
        // the chunks of that file, read from them rather than from a provider, so that even a
        // chunk with no copy left anywhere is made again (localsources.h). Nothing matching
        // is an error that says so.
        QStringList fromPaths;
        // Converts the models named (modelIds, one in practice) to this scheme instead of
        // repairing (repairjob_convert.cpp, docs/erasure.md): every chunk of theirs is made whole
        // under it (its shards encoded and put, or its copies put), then what the old scheme
        // stored is retired, and the model's scheme changes once every chunk is whole. Nothing
        // but the registry's rows says how far it got: run again, it goes on.
        std::optional<RedundancyScheme> convertTo;
        int parallelChunks = 4;
        qint64 maxBytesInFlight = qint64(64) * 1024 * 1024; // chunks held in memory at once
    };

    struct Report
    {
        int chunksShort = 0;    // found with fewer copies than wanted
        int chunksRepaired = 0; // brought back to the wanted copies
        int copiesMade = 0;
        // Shards of chunks stored as shards made again from the chunk and put (docs/erasure.md).
        int shardsRebuilt = 0;
        qint64 bytesCopied = 0; // copies and rebuilt shards
        int badCopies = 0;      // replicas found missing or corrupt on the way
        // Chunks with no good copy left anywhere (stored as shards: fewer good shards than
        // needed to read them): cannot be rebuilt.
        int lost = 0;
        int stillShort = 0; // left with fewer copies than wanted: nowhere to put them now
        int retired = 0;    // copies on the drained provider turned into deletions
        // Copies known missing or corrupt of chunks that have their copies again: forgotten,
        // their objects queued for deletion (ScrubRows::retireReplacedCopies()).
        int badCopiesForgotten = 0;
        // checkFirst: copies asked for, found gone or damaged, and that could not be asked
        // (their provider did not answer: they still count, and the repair says so).
        int copiesChecked = 0;
        int copiesFoundBad = 0;
        int copiesUnchecked = 0;
        // fromPaths: the model files found among them, and the chunks read from them.
        int filesMatched = 0;
        int filesWanted = 0;
        int chunksFromFiles = 0;
        // convertTo: chunks whole under the new scheme with the old one's objects retired (or
        // kept, below), and chunks whose old objects stay because another model uses the chunk
        // under the old scheme. Shards put count in shardsRebuilt, retired objects in retired.
        int chunksConverted = 0;
        int keptForOthers = 0;
        bool schemeChanged = false; // models.redundancy now says the new scheme
        QStringList problems;
        bool complete() const { return lost == 0 && stillShort == 0 && copiesUnchecked == 0; }
    };

    RepairJob(Vault* vault, Options options, QObject* parent = nullptr);
    explicit RepairJob(Vault* vault, QObject* parent = nullptr)
        : RepairJob(vault, Options(), parent)
    {}
    ~RepairJob() override;

    TransferProgress progressNow() const override;
    // A conversion's result in words, for the Transfers page (empty for a repair).
    QString summary() const override;
    const Report& report() const { return m_report; }
    const Options& options() const { return m_options; }
    int wantedCopies() const { return m_wanted; }

private:
    struct Task;
    struct LocalChunk
    {
        QString path;
        qint64 offset = 0;
    };
    // repairjob_local.cpp: the files at hand.
    void matchLocalFiles();
    void onLocalFilesMatched(const localsources::Matches& matches);
    void readLocal(quint64 taskId, const LocalChunk& local);
    void onLocalRead(quint64 taskId, const QByteArray& bytes);
    void fetch(quint64 taskId);
    void look();
    void begin();
    void fill();
    void startTask(const ScrubRows::ChunkToRepair& chunk);
    void onFetched(quint64 taskId);
    // The task's fetch has ended: the bad copies it found reported, the fetcher let go; its
    // error.
    Error endFetch(Task& task);
    // The chunk's bytes are at hand: copies of it, or (stored as shards) its lost shards.
    void haveBytes(quint64 taskId);
    // repairjob_shards.cpp: which shards the chunk lost, made again on the pool from its bytes,
    // checked against the CIDs recorded for them, then put one after the other.
    void rebuildShards(quint64 taskId);
    void onShardsRebuilt(quint64 taskId, const std::vector<ShardCodec::Shard>& shards,
                         const QString& error);
    void nextShard(quint64 taskId);
    // A drain's shard: read it, then put it where no shard of its chunk is; rebuilt from the
    // chunk's other shards when it cannot be read.
    void drainShard(const ScrubRows::ChunkToRepair& shard);
    void onDrainedShardFetched(quint64 taskId);
    // The shards of the task's chunk (recorded, all K+M) it has no good copy of, in
    // task.lostShards; the providers holding one of them in task.shardProviders.
    void findLostShards(Task& task, const QList<ShardRows::Shard>& recorded);
    // repairjob_convert.cpp: a chunk of a model converted to options().convertTo; when whole
    // under it, the old scheme's objects retired (unless another model needs them); at the end,
    // the model's scheme changed if every chunk is whole.
    void startConvert(const ScrubRows::ChunkToRepair& chunk);
    void recordConvertedShards(quint64 taskId, const std::vector<ShardCodec::Shard>& shards);
    void convertedChunk(const QString& cid);
    bool schemeNeededElsewhere(const QString& cid, const std::optional<ShardRows::Scheme>& scheme);
    bool retireCopies(const QString& cid);
    bool finishConvert();
    // The end's warnings of chunks left short, and (a drain) what would let it end.
    void warnStillShort();
    QThreadPool& pool();
    // What the registry says now of the task's chunk: who holds a good copy, who a bad one.
    void collectHolders(quint64 taskId);
    // Who holds the object put now (collectHolders), where the copies (or the shard) go, then
    // the first put.
    void placeCopies(quint64 taskId);
    void putNext(quint64 taskId);
    void onPut(quint64 taskId, qint64 providerId, class ProviderJob* job);
    void endTask(quint64 taskId);
    void exclude(qint64 providerId, const QString& why);
    // Drain: the drained provider's copy of `cid` goes, if `minOtherCopies` stay elsewhere.
    void retire(const QString& cid, int minOtherCopies);
    void retryLater(quint64 taskId, int delayMs);
    void problem(const QString& text);
    void finishAll();
    void doStart() override;
    void doAbort() override;
    void ending(Error& error) override;

    Vault* m_vault;
    Options m_options;
    class ScrubJob* m_check = nullptr;        // checkFirst, while it runs
    QHash<QString, LocalChunk> m_localChunks; // fromPaths: CID -> where it is at hand
    std::unique_ptr<QThreadPool> m_pool;      // hashes files and reads chunks (fromPaths), encodes
    std::shared_ptr<std::atomic_bool> m_poolCancelled = std::make_shared<std::atomic_bool>(false);
    bool m_matching = false;
    class TemporarySweep* m_sweep = nullptr;
    int m_wanted = 1;
    QList<qint64> m_targets;           // providers that take new copies
    QSet<qint64> m_draining;           // providers whose copies do not count
    QHash<qint64, qint64> m_room;      // bytes each may still take; -1: no quota
    QHash<qint64, QString> m_excluded; // failed for good in this run, and why
    int m_shardsShort = 0;             // of m_report.stillShort: shards nowhere could take
    // Schemes whose shards a drain left where they were: nowhere else to go.
    QList<ShardRows::Scheme> m_schemesLeftOnDrained;
    std::deque<ScrubRows::ChunkToRepair> m_batch;
    QString m_lastCid;
    bool m_exhausted = false;
    std::map<quint64, std::unique_ptr<Task>> m_tasks;
    quint64 m_nextTaskId = 0;
    qint64 m_bytesInFlight = 0;
    qint64 m_totalBytes = 0;
    qint64 m_bytesDone = 0;
    Report m_report;
};

} // namespace mf
