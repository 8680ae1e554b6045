#pragma once

#include "chunking/chunkerparams.h"
#include "chunking/filescanner.h"
#include "chunking/redundancyscheme.h"
#include "chunking/shardcodec.h"
#include "chunksource.h"
#include "providers/retrypolicy.h"
#include "registry/registry.h"
#include "util/error.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

class QThreadPool;

namespace mf {

namespace formats {
class HeaderInspection;
}
class Vault;
class ProviderJob;

// Floats one file into a model: streams it through the chunker (on worker threads), records
// its manifest as it goes, skips chunks already stored on enough providers (dedup), and places
// every new chunk on `replication` distinct providers (or, when the model's redundancy is
// `shards K+M`, cuts it into K+M shards on a worker pool and places each shard once, no two
// shards of a chunk on one provider: docs/erasure.md), each provider given as many puts at once
// as it takes (a slow one never holds up the others), with at most maxPendingChunks in memory.
// Every stored placement is written to the registry as it happens, so running the same float again
// after a crash or kill sends no chunk twice. Lives on the engine thread; never blocks it.
class FileDistributor final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FileDistributor)

public:
    struct Options
    {
        int replication = 2; // capped by the number of usable providers
        // Warn when the cap applies. Off for the vault's default, which a new vault with its
        // single local provider cannot reach: that is the normal first run, not a problem.
        bool warnIfCapped = true;
        ChunkerParams chunker = ChunkerParams::defaults();
        int maxPendingChunks = 16; // scanned but not yet placed
        QList<qint64> providerIds; // empty: every enabled provider
        // Who writes the model: the manifest is written only while this owner holds the
        // model's lease (ModelRows::claimModel()).
        QString leaseOwner = leaseowner::processLeaseOwner();
        // The file is complete already: its manifest is not written again but checked against
        // the source, and only the copies its chunks lack are made (a provider's paused work
        // resumed by the queue). A source that no longer matches fails.
        bool topUp = false;
        // The SHA-256 (hex) the file's bytes must have (another app's copy, named by its
        // digest); empty: none. Otherwise the file is not completed and the source fails.
        QByteArray expectedSha256;
    };
    // What a float says of a file whose bytes do not hash to what its app named them by.
    static QString damagedCopyMessage(const QString& pathInModel, const QByteArray& actual,
                                      const QByteArray& expected);

    struct Stats
    {
        qint64 fileSize = 0;
        qint64 bytesScanned = 0;
        qint64 bytesPlaced = 0; // of the file, placed or found already placed
        qint64 bytesSent = 0;   // sent to providers (all replicas)
        // Of the file, not sent: already stored before, or a repeat of a chunk this float
        // places. chunks == chunksSent + chunksDeduplicated unless chunks are under-replicated.
        qint64 bytesDeduplicated = 0;
        int chunks = 0;
        int chunksSent = 0;
        int chunksDeduplicated = 0;
        int underReplicatedChunks = 0;
        int retries = 0; // requests of puts tried again (the adapters' retries)
        // Copies the registry remembered that their provider no longer holds (another
        // computer's collect, a lost object) or holds damaged: stored again by this float.
        int copiesFoundGone = 0;
        // Chunks cut into shards by this float (docs/erasure.md): a chunk whose shards are
        // recorded and all found stored is not.
        int chunksEncoded = 0;
        QByteArray sha256;
    };

    FileDistributor(Vault* vault, qint64 modelId, const QString& sourcePath,
                    const QString& pathInModel, const Options& options, QObject* parent = nullptr);
    // Floats the bytes of another source (a download): the distributor owns it. The source's
    // chunker parameters must be options.chunker (they are recorded with the file).
    FileDistributor(Vault* vault, qint64 modelId, std::unique_ptr<ChunkSource> source,
                    const QString& pathInModel, const Options& options, QObject* parent = nullptr);
    ~FileDistributor() override;

    void start();
    void abort();
    // Format metadata to store with the file (files.metadata) when it completes. A file on disk
    // has its header inspected during start() (off this thread); a stream source (the Hub
    // import) sets it from a formats::HeaderSniffer as the header streams past.
    void setMetadata(const QJsonObject& metadata);
    bool isFinished() const { return m_finished; }
    const Error& error() const { return m_error; }
    // True when the failure lies with the source file (unreadable, changed while read), not
    // with the providers or the registry.
    bool sourceFailed() const { return m_sourceFailed; }
    const Stats& stats() const { return m_stats; }
    qint64 fileId() const { return m_fileId; }
    // When a provider that this float wanted takes uploads again, if it was paused (a budget,
    // a cap) while chunks were left with fewer copies than wanted or unplaced; -1 otherwise.
    qint64 budgetResetMs() const;
    // A provider's puts being retried after failures, the latest of them; empty when none is.
    RetryWait retryWait() const;

Q_SIGNALS:
    void progress(); // stats() changed; throttled by the receiver
    void warning(const QString& message);
    void finished();

private:
    struct ChunkTask;
    struct ShardGroup;
    void onChunkScanned(const ScannedChunk& chunk);
    // Takes a task for a chunk or a shard: placed at once, or after the copies the registry
    // remembers are confirmed.
    void admit(std::vector<std::unique_ptr<ChunkTask>> tasks);
    // How many distinct providers must store the task's object: m_replication for a chunk.
    int wanted(const ChunkTask& task) const;
    // How many of those it has: its holders (and, with `withInFlight`, the providers a put of
    // it runs on). A shard's copy counts only on a provider its siblings can do without: two
    // shards of a chunk whose only copies are on one provider are one copy between them
    // (filedistributor_shards.cpp).
    int copiesCounted(const ChunkTask& task, bool withInFlight) const;

    // Shards (filedistributor_shards.cpp).
    // The model's scheme: its own, or the vault's, recorded as the model's; false on failure.
    bool chooseScheme();
    // A chunk under the model's shards: its shards recorded already (the model floated before,
    // a float resumed) are looked for first, with no bytes, and made only when one must be put;
    // a new chunk's are made at once.
    void placeShards(const ScannedChunk& chunk);
    // Makes the group's shards on the pool -> onShardsMade.
    void encodeShards(ShardGroup& group);
    void onShardsMade(const QString& chunkCid, const std::vector<ShardCodec::Shard>& shards,
                      const QString& error);
    // One task per distinct shard of the group's chunk; `bytes` (when made) gives their bytes.
    std::vector<std::unique_ptr<ChunkTask>> shardTasks(ShardGroup& group,
                                                       const QList<ShardRows::Shard>& shards,
                                                       const std::vector<ShardCodec::Shard>* bytes);
    // Whether the task can be put now: a shard admitted without its bytes has them made first
    // (the task waits in its group, and the encoding queues it again).
    bool hasBytes(ChunkTask& task);
    // Providers the task's shard may not go to: where another shard of its chunk is being put
    // or was begun, and where a stored one must stay apart from it (filedistributor_shards.cpp).
    QSet<qint64> siblingProviders(const ChunkTask& task) const;
    // Where the task's siblings are or may soon be, one entry per index: the stored shards of
    // its chunk and the others' holders, copies being confirmed and puts running.
    std::vector<QSet<qint64>> siblingHoldings(const ChunkTask& task) const;
    // Whether a sibling's remembered copies are still being confirmed: the task waits for them,
    // or it could go where a sibling turns out to be.
    bool siblingsConfirming(const ChunkTask& task) const;
    void shardDone(ChunkTask& task);
    void countAlreadyPlaced(const ScannedChunk& chunk);
    void onScannerFinished();
    // Asks the provider whether it still holds a copy the registry remembers.
    void confirmCopy(ChunkTask& task, qint64 providerId, const QString& locator);
    // Its answer: there with the chunk's size, gone, there with another size, or not known (the
    // provider could not be asked).
    enum class Copy { Held, Gone, Damaged, Unknown };
    void confirmed(const QString& cid, qint64 providerId, Copy copy);
    void schedule();
    void noteRetrying(qint64 providerId, const QString& reason, int delayMs);
    // Started; Waiting for a deletion of the chunk; Full: every provider it could go to runs
    // as many puts as it takes (Provider::putsAtOnce()); None: no provider is left for it.
    enum class PutStart { Started, Waiting, Full, None };
    bool allProvidersFull();
    bool isFull(qint64 providerId);
    static constexpr int DeletionPollMs = 500;
    PutStart startPut(ChunkTask& task);
    QHash<qint64, qint64> m_quotas;      // by provider, as the float started; -1: none
    QHash<qint64, qint64> m_usedAtStart; // by provider
    void onPutFinished(const QString& cid, qint64 providerId, ProviderJob* job);
    bool recordStored(ChunkTask& task, qint64 providerId, const QString& locator,
                      bool alreadyStored);
    void exclude(qint64 providerId, const Error& why);
    // The provider takes no uploads until `untilMs`: no more puts go there this float.
    void pauseProvider(qint64 providerId, qint64 untilMs, const QString& reason);
    void chunkDone(ChunkTask& task);
    void maybeComplete();
    void fail(const Error& error);
    void finishBeforeScanning(const Error& error);
    void failSource(const QString& message);
    QList<qint64> usableProviders();

    Vault* m_vault;
    qint64 m_modelId;
    QString m_sourcePath;
    QString m_pathInModel;
    Options m_options;
    qint64 m_fileId = 0;
    int m_replication = 1;
    int m_nextIndex = 0;
    std::unique_ptr<ChunkSource> m_scanner; // a FileChunkSource unless one was given
    bool m_scanDone = false;
    bool m_finished = false;
    bool m_sourceFailed = false;
    Error m_error;
    Stats m_stats;

    std::map<QString, std::unique_ptr<ChunkTask>> m_tasks; // by CID, while being placed
    std::deque<QString> m_ready;                           // CIDs waiting for a put slot
    QSet<ProviderJob*> m_jobs;
    QHash<qint64, RetryWait> m_retrying; // providers whose puts are being retried, by id
    QHash<qint64, Error> m_excluded; // providers that failed for good during this float, and why
    QHash<qint64, qint64> m_pausedUntil; // excluded providers that take uploads again then
    QList<FileChunk> m_manifest;         // topUp: the file's recorded chunks
    QSet<QString> m_placedCids;          // chunks this float has finished placing
    QList<qint64> m_providers;
    QHash<qint64, qint64> m_bytesQueued; // per provider, given to it by this float in all
    QHash<qint64, int> m_putsInFlight;   // per provider
    QJsonObject m_metadata;
    bool m_metadataGiven = false;
    formats::HeaderInspection* m_inspection = nullptr; // while a file's header is being read

    // Shards: the scheme's codec (none under copies), the chunks being placed as shards by CID,
    // and the pool that encodes them, waited for by the destructor (a task never outlives us).
    RedundancyScheme m_scheme;
    std::optional<ShardCodec> m_codec;
    std::map<QString, std::unique_ptr<ShardGroup>> m_groups;
    std::unique_ptr<QThreadPool> m_pool;
    int m_encoding = 0; // encodes running on the pool
    std::shared_ptr<std::atomic_bool> m_cancelled = std::make_shared<std::atomic_bool>(false);
};

} // namespace mf
