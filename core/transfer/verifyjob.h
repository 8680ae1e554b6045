#pragma once

#include "registry/records.h"
#include "transferjob.h"
#include "util/error.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QThreadPool>

#include <map>
#include <memory>

namespace mf {

class Vault;
class ProviderJob;
class ChunkWriter;
struct ShardMapCheck;

// Checks every placement of the chunks of some models: each replica is read back and hashed
// against its CID. Placements are marked stored (with the time verified), missing or corrupt,
// and the report says which chunks have too few good replicas and which have none (lost).
class VerifyJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VerifyJob)

public:
    struct Report
    {
        int chunks = 0;
        int placementsChecked = 0;
        int good = 0;
        int missing = 0;
        int corrupt = 0;
        int unreachable = 0;     // provider errors: state unknown, left as it was
        int wanted = 1;          // good replicas the vault wants of each chunk
        int underReplicated = 0; // chunks with at least one but fewer good replicas than wanted
        int lost = 0;            // chunks with no good replica at all
        int lostUnsure = 0;      // of those, chunks with a replica that could not be read
        int shardedChunks = 0;   // chunks stored as shards, whole with all K+M (not copies)
        QStringList problems;    // one line per bad placement
        // No replica found bad (missing, corrupt, unreadable). Says nothing about how many
        // copies there are: see verdict().
        bool healthy() const
        {
            return missing == 0 && corrupt == 0 && unreachable == 0 && lost == 0;
        }
        // What the check found, worst first.
        enum class Verdict {
            Damaged,         // data is missing or corrupt (a bad replica, a chunk lost)
            Unknown,         // some replicas could not be read: verify again later
            UnderReplicated, // every chunk is intact, but some have fewer copies than wanted
            Healthy,         // every chunk has the copies wanted, each present and intact
        };
        Verdict verdict() const
        {
            if (missing > 0 || corrupt > 0 || lost > lostUnsure)
                return Verdict::Damaged;
            if (unreachable > 0 || lostUnsure > 0)
                return Verdict::Unknown;
            if (underReplicated > 0)
                return Verdict::UnderReplicated;
            return Verdict::Healthy;
        }
    };

    // Verifies the models named (all models when empty).
    VerifyJob(Vault* vault, const QStringList& modelNames, QObject* parent = nullptr);
    ~VerifyJob() override;

    const Report& report() const { return m_report; }
    TransferProgress progressNow() const override;

private:
    struct Check
    {
        Placement placement;
        qint64 size = 0;
        QString chunk; // of a shard's check: the chunk it is a shard of
    };
    void startMore();
    void onChecked(ProviderJob* job);
    // A check of one of `check.chunk`'s shards ended; `bytes` is what it read, when good. Once
    // its last one has, whether its shards make it (checkShardMap(), on m_mapChecks).
    void shardChecked(const Check& check, const QByteArray* bytes);
    // What an index left without a provider of its own (keepShardsApart()) shares, in words.
    QString crowdedShards(const QString& chunk, const std::vector<QSet<qint64>>& holdings,
                          const std::vector<qint64>& kept) const;
    void onMapChecked(const QString& chunk, const ShardMapCheck& map);
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    QStringList m_modelNames;
    QList<Check> m_checks;
    QList<qint64> m_modelIds;
    int m_next = 0;
    std::map<ProviderJob*, std::pair<Check, std::unique_ptr<ChunkWriter>>> m_running;
    QHash<QString, int> m_goodByCid;
    QHash<QString, QSet<qint64>> m_goodOn; // a shard's providers with a good copy
    QSet<QString> m_unsureCids;            // chunks with a replica that could not be read
    QHash<QString, qint64> m_sizeByCid;
    // Chunks stored as shards (docs/erasure.md): their K and their shards' CIDs by index. Each
    // shard's placements are checked as a chunk's are; the chunk is then whole with all K+M
    // good, there but short with K, lost below. The shards read are kept until the chunk's last
    // check ends, to check that they make the chunk: an index whose recorded shard does not is
    // not counted, and a chunk they do not rebuild is lost.
    struct Shards
    {
        int k = 0;
        int m = 0;
        QStringList cids;
        int checksLeft = 0;
        QHash<QString, QByteArray> read; // good shards read, by CID
        QSet<int> wrong;                 // indices whose recorded shard is not the chunk's
        bool rebuilds = true;
    };
    QHash<QString, Shards> m_shardsOf;
    int m_replication = 1;
    qint64 m_totalBytes = 0;
    qint64 m_bytesDone = 0;
    Report m_report;
    int m_mapChecksRunning = 0; // no more reads start while MaxMapChecks are: they hold shards
    QThreadPool m_mapChecks;    // last: destroyed, waiting for its checks, first
};

} // namespace mf
