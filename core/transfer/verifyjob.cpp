#include "verifyjob.h"

#include "chunking/cid.h"
#include "chunking/shardspread.h"
#include "providers/chunkwriter.h"
#include "shardmapcheck.h"
#include "util/units.h"
#include "vault/vault.h"

#include <algorithm>

namespace mf {

namespace {
constexpr int ParallelChecks = 4;
constexpr int MaxMapChecks = 2;
} // namespace

VerifyJob::VerifyJob(Vault* vault, const QStringList& modelNames, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_modelNames(modelNames)
{}

VerifyJob::~VerifyJob()
{
    for (auto& entry : m_running) {
        entry.first->disconnect(this);
        delete entry.first; // waits for its worker; the writer goes after it
    }
}

void VerifyJob::doStart()
{
    Registry& registry = m_vault->registry();
    QList<ModelRecord> models;
    if (m_modelNames.isEmpty()) {
        models = registry.modelRows().models();
    } else {
        for (const QString& name : std::as_const(m_modelNames)) {
            const auto m = registry.modelRows().modelByName(name);
            if (!m) {
                finish(Error::make(Error::Kind::NotFound,
                                   tr("There is no model named “%1”").arg(name)));
                return;
            }
            models.append(*m);
        }
    }
    m_replication = registry.healthRows().wantedCopies();
    m_report.wanted = m_replication;
    QSet<QString> seen;
    for (const ModelRecord& m : std::as_const(models)) {
        m_modelIds.append(m.id);
        const auto placements = registry.placementRows().placementsOfModel(m.id);
        for (const FileRecord& f : registry.modelRows().files(m.id)) {
            // An unfinished float has recorded chunks it has not placed yet: nothing is lost
            // there, and the float's resume places them.
            if (f.state != FileRecord::State::Complete)
                continue;
            for (const FileChunk& c : registry.modelRows().fileChunks(f.id)) {
                if (seen.contains(c.cid))
                    continue;
                seen.insert(c.cid);
                m_sizeByCid.insert(c.cid, c.size);
                m_goodByCid.insert(c.cid, 0);
                const QList<Placement> copies = placements.value(c.cid);
                for (const Placement& p : copies) {
                    m_checks.append({p, c.size, QString()});
                    m_totalBytes += c.size;
                }
                const auto scheme =
                    copies.isEmpty() ? registry.shardRows().shardScheme(c.cid) : std::nullopt;
                if (!scheme)
                    continue;
                Shards& shards = m_shardsOf[c.cid];
                shards.k = scheme->k;
                shards.m = scheme->m;
                for (const ShardRows::Shard& s :
                     registry.shardRows().shards(c.cid, scheme->k, scheme->m)) {
                    shards.cids.append(s.cid);
                    for (const Placement& p : registry.placementRows().placements(s.cid)) {
                        m_checks.append({p, s.size, c.cid});
                        m_totalBytes += s.size;
                        shards.checksLeft++;
                    }
                }
            }
        }
    }
    m_report.chunks = int(seen.size());
    startMore();
}

void VerifyJob::doAbort()
{
    for (auto& entry : m_running)
        entry.first->abort();
    if (m_running.empty())
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void VerifyJob::startMore()
{
    while (!isAborting() && int(m_running.size()) < ParallelChecks &&
           m_mapChecksRunning < MaxMapChecks && m_next < m_checks.size()) {
        const Check check = m_checks.at(m_next++);
        QString why;
        const std::shared_ptr<Provider> provider =
            m_vault->provider(check.placement.providerId, &why);
        if (!provider) {
            m_report.placementsChecked++;
            m_report.unreachable++;
            m_unsureCids.insert(check.placement.cid);
            m_report.problems.append(tr("chunk %1: %2").arg(check.placement.cid, why));
            if (!check.chunk.isEmpty())
                shardChecked(check, nullptr);
            continue;
        }
        // A shard's bytes are kept for shardChecked(): a shard is a fraction of a chunk, and a
        // chunk's checks are queued together, so only the chunks being checked are held.
        std::unique_ptr<ChunkWriter> writer;
        if (check.chunk.isEmpty())
            writer = std::make_unique<HashingChunkWriter>();
        else
            writer = std::make_unique<MemoryChunkWriter>();
        ProviderJob* job = provider->get(check.placement.locator, writer.get());
        job->setParent(this);
        connect(job, &ProviderJob::finished, this, [this, job] { onChecked(job); });
        m_running.emplace(job, std::make_pair(check, std::move(writer)));
        job->start();
    }
    if (m_running.empty() && (isAborting() || m_next == m_checks.size()) &&
        m_mapChecksRunning == 0) {
        if (isAborting()) {
            finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
            return;
        }
        for (auto it = m_goodByCid.begin(); it != m_goodByCid.end(); ++it) {
            if (!m_sizeByCid.contains(it.key()))
                continue; // a shard: judged with its chunk
            if (const auto shards = m_shardsOf.constFind(it.key()); shards != m_shardsOf.cend()) {
                m_report.shardedChunks++;
                // An index reads when its shard has a good copy; it is whole when each index
                // can keep a provider of its own (shardspread.h): two shards whose only copies
                // are on one provider are both lost with it. A chunk of zeros is one object for
                // every index, wanted on as many providers.
                int good = 0;
                std::vector<QSet<qint64>> holdings;
                for (int i = 0; i < shards->cids.size(); ++i) {
                    const QString& shard = shards->cids.at(i);
                    const bool counts = shards->rebuilds && !shards->wrong.contains(i);
                    holdings.push_back(counts ? m_goodOn.value(shard) : QSet<qint64>());
                    good += holdings.back().isEmpty() ? 0 : 1;
                    if (m_unsureCids.contains(shard))
                        m_unsureCids.insert(it.key());
                }
                const std::vector<qint64> kept = keepShardsApart(holdings);
                const int own =
                    int(std::count_if(kept.cbegin(), kept.cend(), [](qint64 p) { return p >= 0; }));
                if (own < good)
                    m_report.problems.append(crowdedShards(it.key(), holdings, kept));
                it.value() = own >= shards->cids.size() ? m_replication : good >= shards->k ? 1 : 0;
            }
            if (it.value() == 0) {
                m_report.lost++;
                if (m_unsureCids.contains(it.key()))
                    m_report.lostUnsure++;
                m_report.problems.append(tr("chunk %1 has no good replica").arg(it.key()));
            } else if (it.value() < m_replication)
                m_report.underReplicated++;
        }
        // Fewer copies than wanted is not "all well", even when each copy is intact.
        if (m_report.underReplicated > 0)
            addWarning(units::counted(m_report.underReplicated,
                                      tr("1 chunk has fewer good copies than the %2 wanted%3; "
                                         "it is not lost, but one more failure could lose data"),
                                      tr("%1 chunks have fewer good copies than the %2 wanted%3; "
                                         "none is lost, but one more failure could lose data"))
                           .arg(m_replication)
                           .arg(m_report.shardedChunks > 0 ? tr(" (or, stored as shards, fewer "
                                                                "good shards than all of them)")
                                                           : QString()));
        // What it found bad makes its models degraded (and what it found good may heal them).
        m_vault->registry().healthRows().refreshDegraded(m_modelIds);
        finish(Error::none());
    }
}

void VerifyJob::onChecked(ProviderJob* job)
{
    auto node = m_running.extract(job);
    job->deleteLater();
    const Check& check = node.mapped().first;
    ChunkWriter& writer = *node.mapped().second;
    const Placement& p = check.placement;
    const QString name = m_vault->providerName(p.providerId);
    Registry& registry = m_vault->registry();
    m_bytesDone += check.size;
    if (job->error().kind == Error::Kind::Cancelled) {
        startMore();
        return;
    }
    m_report.placementsChecked++;
    bool good = false;
    if (job->error().ok()) {
        if (writer.written() == check.size && writer.digest() == cid::toSha256(p.cid)) {
            good = true;
            m_report.good++;
            m_goodByCid[p.cid]++;
            if (!check.chunk.isEmpty())
                m_goodOn[p.cid].insert(p.providerId);
            registry.placementRows().setPlacementState(p.cid, p.providerId, PlacementState::Stored,
                                                       true);
        } else {
            m_report.corrupt++;
            m_report.problems.append(tr("chunk %1 on provider “%2” is corrupt").arg(p.cid, name));
            registry.placementRows().setPlacementState(p.cid, p.providerId, PlacementState::Corrupt,
                                                       true);
        }
    } else if (job->error().kind == Error::Kind::NotFound) {
        m_report.missing++;
        m_report.problems.append(tr("chunk %1 is missing on provider “%2”").arg(p.cid, name));
        registry.placementRows().setPlacementState(p.cid, p.providerId, PlacementState::Missing,
                                                   true);
    } else {
        m_report.unreachable++;
        m_unsureCids.insert(p.cid);
        m_report.problems.append(
            tr("chunk %1 on provider “%2”: %3").arg(p.cid, name, job->error().message));
    }
    if (!check.chunk.isEmpty())
        shardChecked(check, good ? &static_cast<MemoryChunkWriter&>(writer).bytes() : nullptr);
    Q_EMIT progress();
    startMore();
}

QString VerifyJob::crowdedShards(const QString& chunk, const std::vector<QSet<qint64>>& holdings,
                                 const std::vector<qint64>& kept) const
{
    QStringList said;
    for (int i = 0; i < int(kept.size()); ++i) {
        if (kept.at(size_t(i)) >= 0 || holdings.at(size_t(i)).isEmpty())
            continue;
        // Left without one in a largest matching: every provider it is on is kept by another.
        QList<qint64> on(holdings.at(size_t(i)).cbegin(), holdings.at(size_t(i)).cend());
        std::sort(on.begin(), on.end());
        QStringList where;
        for (qint64 provider : std::as_const(on)) {
            const auto by = std::find(kept.cbegin(), kept.cend(), provider);
            where.append(tr("“%1” (with shard %2)")
                             .arg(m_vault->providerName(provider))
                             .arg(by == kept.cend() ? -1 : int(by - kept.cbegin())));
        }
        said.append(tr("shard %1 is only on %2").arg(i).arg(where.join(QStringLiteral(", "))));
    }
    return tr("chunk %1: %2; losing one of those providers would cost two of its shards (repair "
              "gives each shard a provider of its own)")
        .arg(chunk, said.join(QStringLiteral("; ")));
}

void VerifyJob::shardChecked(const Check& check, const QByteArray* bytes)
{
    Shards& shards = m_shardsOf[check.chunk];
    if (bytes && !shards.read.contains(check.placement.cid))
        shards.read.insert(check.placement.cid, *bytes);
    if (--shards.checksLeft > 0)
        return;
    std::vector<ShardCodec::Shard> read;
    for (int i = 0; i < shards.cids.size(); ++i) {
        const auto it = shards.read.constFind(shards.cids.at(i));
        if (it != shards.read.cend())
            read.push_back({i, *it, it.key(), true});
    }
    shards.read.clear();
    if (int(read.size()) < shards.k)
        return; // lost, or short: counted as such at the end
    // A decode, a hash and an encode of the chunk: not on the thread that runs the transfers.
    ++m_mapChecksRunning;
    m_mapChecks.start([this, chunk = check.chunk, k = shards.k, m = shards.m,
                       size = m_sizeByCid.value(check.chunk), read = std::move(read)] {
        const ShardMapCheck map = checkShardMap(k, m, chunk, size, read);
        QMetaObject::invokeMethod(
            this, [this, chunk, map] { onMapChecked(chunk, map); }, Qt::QueuedConnection);
    });
}

void VerifyJob::onMapChecked(const QString& chunk, const ShardMapCheck& map)
{
    --m_mapChecksRunning;
    if (isFinished())
        return;
    Shards& shards = m_shardsOf[chunk];
    if (!map.rebuilt) {
        shards.rebuilds = false;
        m_report.corrupt++;
        m_report.problems.append(
            map.why.isEmpty() ? tr("chunk %1: the shards recorded for it do not make it").arg(chunk)
                              : tr("chunk %1: its shards do not make it: %2").arg(chunk, map.why));
    } else {
        for (int index : map.wrongIndices) {
            shards.wrong.insert(index);
            m_report.corrupt++;
            m_report.problems.append(
                tr("chunk %1: shard %2 recorded for it is not one of its shards")
                    .arg(chunk)
                    .arg(index));
        }
    }
    startMore();
}

TransferProgress VerifyJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesDone;
    return p;
}

} // namespace mf
