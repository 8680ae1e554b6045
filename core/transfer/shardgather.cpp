#include "shardgather.h"

#include "chunkfetcher.h"
#include "chunking/cid.h"
#include "chunking/redundancyscheme.h"
#include "chunking/sha256.h"
#include "providers/chunkwriter.h"
#include "vault/providerspeeds.h"
#include "vault/vault.h"

#include <QPromise>
#include <QThreadPool>

#include <algorithm>
#include <limits>

namespace mf {

// One pool decodes for every gather (as many threads as cores): a pool of their own started a
// thread for each chunk, and the memory each thread's decodes left behind added up (a restore
// at 4+2 peaked at 430 MiB).
Q_GLOBAL_STATIC(QThreadPool, decodePool)

struct ShardGather::Fetch
{
    // The writer outlives the fetcher, whose job writes into it until it ends.
    std::unique_ptr<MemoryChunkWriter> writer = std::make_unique<MemoryChunkWriter>();
    std::unique_ptr<ChunkFetcher> fetcher;
    qint64 delivered = 0;
};

ShardGather::ShardGather(Vault* vault, const FileChunk& chunk, int dataShards, int parityShards,
                         QList<ShardRows::Shard> shards, ChunkWriter* writer, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_chunk(chunk)
    , m_k(dataShards)
    , m_m(parityShards)
    , m_shards(std::move(shards))
    , m_writer(writer)
{
    m_hedgeTimer.setInterval(ChunkFetcher::HedgeCheckMs);
    connect(&m_hedgeTimer, &QTimer::timeout, this, &ShardGather::maybeHedge);
}

ShardGather::~ShardGather()
{
    m_fetches.clear();           // each fetcher's job ends before its writer goes
    m_decoded.waitForFinished(); // a decode posts to us and writes to the writer: it ends first
}

void ShardGather::start()
{
    // The shards whose providers will deliver soonest first (ProviderSpeeds, as a chunk's
    // replicas are chosen), shards with no stored copy last, data shards first among equals:
    // with all K data shards the decode is a copy.
    Registry& registry = m_vault->registry();
    const ProviderSpeeds& speeds = m_vault->speeds();
    QHash<int, double> soonest;
    for (const ShardRows::Shard& s : std::as_const(m_shards)) {
        double best = std::numeric_limits<double>::infinity();
        QList<qint64>& holders = m_holders[s.index];
        for (const Placement& p : registry.placementRows().placements(s.cid)) {
            if (p.state != PlacementState::Stored)
                continue;
            holders.append(p.providerId);
            best = qMin(best, speeds.expectedMs(p.providerId, s.size));
        }
        soonest.insert(s.index, best);
    }
    std::stable_sort(m_shards.begin(), m_shards.end(),
                     [&](const ShardRows::Shard& a, const ShardRows::Shard& b) {
                         const double msA = soonest.value(a.index);
                         const double msB = soonest.value(b.index);
                         if (msA != msB)
                             return msA < msB;
                         const bool dataA = a.index < m_k;
                         const bool dataB = b.index < m_k;
                         if (dataA != dataB)
                             return dataA;
                         return a.index < b.index;
                     });
    m_clock.start();
    fetchMore();
    if (m_next < m_shards.size() && !m_finished)
        m_hedgeTimer.start();
}

void ShardGather::maybeHedge()
{
    if (m_extra > 0 || m_finished || m_aborted || m_decoding || m_next >= m_shards.size() ||
        m_fetches.empty()) {
        m_hedgeTimer.stop();
        return;
    }
    if (m_clock.elapsed() < ChunkFetcher::HedgeAfterMs)
        return;
    // The slowest running fetch: what is left of its shard, at its share of its provider's speed.
    const ProviderSpeeds& speeds = m_vault->speeds();
    double slowestLeftMs = 0;
    for (const auto& [index, fetch] : m_fetches) {
        const qint64 provider = fetch->fetcher->readingFrom();
        const double rate = speeds.rate(provider);
        const double left =
            double(qMax<qint64>(0, fetch->fetcher->chunk().size - fetch->delivered)) *
            qMax(1, speeds.inFlight(provider));
        slowestLeftMs = qMax(slowestLeftMs, rate > 0 ? left * 1000.0 / rate
                                                     : std::numeric_limits<double>::infinity());
    }
    // The next shard, from a provider with nothing to do.
    const ShardRows::Shard& next = m_shards.at(m_next);
    double nextMs = std::numeric_limits<double>::infinity();
    for (qint64 provider : m_holders.value(next.index))
        if (speeds.inFlight(provider) == 0)
            nextMs = qMin(nextMs, speeds.expectedMs(provider, next.size));
    // Worth a request more only when it would end well before the slowest.
    if (!(nextMs * 2 < slowestLeftMs))
        return;
    m_extra = 1;
    m_hedgeTimer.stop();
    fetchMore();
}

void ShardGather::abort()
{
    if (m_finished || m_aborted)
        return;
    m_aborted = true;
    m_hedgeTimer.stop();
    m_fetches.clear();
    if (!m_decoding)
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void ShardGather::fetchMore()
{
    Registry& registry = m_vault->registry();
    while (int(m_fetches.size() + m_good.size()) < m_k + m_extra && m_next < m_shards.size()) {
        const ShardRows::Shard s = m_shards.at(m_next++);
        auto fetch = std::make_unique<Fetch>();
        const FileChunk object{0, 0, s.size, s.cid, {}, 0};
        fetch->fetcher = std::make_unique<ChunkFetcher>(
            m_vault, object, registry.placementRows().placements(s.cid), fetch->writer.get());
        // A shard is checked by the chunk decoded from it (ShardCodec::decodeUnchecked): one hash
        // of the chunk instead of one of each shard and one of the chunk. Once a chunk did not
        // match, each shard is checked as it comes.
        if (m_checkEach)
            fetch->fetcher->setWholeObjectsOnly();
        else
            fetch->fetcher->setCheckedByCaller();
        const int index = s.index;
        connect(fetch->fetcher.get(), &ChunkFetcher::finished, this,
                [this, index] { onFetched(index); });
        connect(fetch->fetcher.get(), &ChunkFetcher::progress, this, [this, index](qint64 done) {
            const auto it = m_fetches.find(index);
            if (it == m_fetches.end())
                return;
            it->second->delivered = done;
            qint64 all = 0;
            for (const auto& [i, f] : m_fetches)
                all += f->delivered;
            for (const ShardCodec::Shard& g : m_good)
                all += g.bytes.size();
            Q_EMIT progress(all);
        });
        ChunkFetcher* fetcher = fetch->fetcher.get();
        m_fetches.emplace(index, std::move(fetch));
        fetcher->start();
    }
    if (!m_fetches.empty() || int(m_good.size()) >= m_k)
        return;
    // Every shard was asked for and fewer than K came back good.
    const QString scheme = RedundancyScheme::makeShards(m_k, m_m).toString();
    const QString why = m_unreadable.join(QStringLiteral("; "));
    if (m_unsure) {
        finish(Error::make(m_lastFailure.kind,
                           tr("Chunk %1 cannot be read: %2 of its %3 shards (%4) could be read, "
                              "%5 are needed (%6)")
                               .arg(m_chunk.cid)
                               .arg(m_good.size())
                               .arg(m_k + m_m)
                               .arg(scheme)
                               .arg(m_k)
                               .arg(why)));
        return;
    }
    finish(Error::make(Error::Kind::Corrupt,
                       tr("Chunk %1 is lost: %2 of its %3 shards (%4) are readable, %5 are "
                          "needed (%6)")
                           .arg(m_chunk.cid)
                           .arg(m_good.size())
                           .arg(m_k + m_m)
                           .arg(scheme)
                           .arg(m_k)
                           .arg(why)));
}

void ShardGather::onFetched(int index)
{
    const auto it = m_fetches.find(index);
    if (it == m_fetches.end())
        return;
    std::unique_ptr<Fetch> fetch = std::move(it->second);
    m_fetches.erase(it);
    const Error e = fetch->fetcher->error();
    m_problems.append(fetch->fetcher->problems());
    if (e.ok()) {
        const auto s =
            std::find_if(m_shards.cbegin(), m_shards.cend(),
                         [index](const ShardRows::Shard& x) { return x.index == index; });
        // With m_checkEach, the fetch checked the object against the shard's CID; otherwise the
        // decoded chunk checks it.
        m_good.push_back(ShardCodec::Shard{index, fetch->writer->bytes(), s->cid, m_checkEach});
        m_sources.insert(index, fetch->fetcher->sourceProvider());
    } else if (e.kind != Error::Kind::Cancelled) {
        m_unreadable.append(tr("shard %1: %2").arg(index).arg(e.message));
        if (e.kind != Error::Kind::Corrupt) {
            m_unsure = true;
            m_lastFailure = e;
        }
    }
    // Its job has ended (finished() comes after it): the fetcher, then its writer, can go.
    fetch->fetcher.release()->deleteLater();
    fetch.reset();
    if (m_aborted || m_finished)
        return;
    if (int(m_good.size()) >= m_k) {
        m_hedgeTimer.stop();
        m_fetches.clear(); // more than K were asked for: the rest are not needed
        decode();
        return;
    }
    fetchMore();
}

void ShardGather::decode()
{
    m_decoding = true;
    auto promise = std::make_shared<QPromise<void>>();
    m_decoded = promise->future();
    promise->start();
    decodePool()->start([this, shards = m_good, k = m_k, m = m_m, chunk = m_chunk,
                         writer = m_writer, promise] {
        ShardCodec::Error e;
        Error result = Error::none();
        QList<int> corrupt;
        if (const auto codec = ShardCodec::make(k, m, &e)) {
            const std::optional<QByteArray> bytes = codec->decodeUnchecked(shards, chunk.size, &e);
            const QByteArray sha256 = bytes ? Sha256::hash(*bytes) : QByteArray();
            if (bytes && cid::fromSha256(sha256) == chunk.cid) {
                writer->restart();
                if (!writer->writeChecked(*bytes, sha256))
                    result = Error::make(Error::Kind::Fatal, writer->errorString());
            } else {
                // A shard that is not what its CID says, or shard CIDs (from a manifest)
                // that are not this chunk's: only hashing the shards tells which.
                for (const ShardCodec::Shard& s : shards)
                    if (!s.checked && cid::ofData(s.bytes) != s.cid)
                        corrupt.append(s.index);
                if (corrupt.isEmpty())
                    result = cannotRebuild(
                        chunk, bytes ? tr("the chunk decoded from its shards does not match "
                                          "its CID")
                                     : e.message);
            }
        } else {
            result = cannotRebuild(chunk, e.message);
        }
        QMetaObject::invokeMethod(
            this, [this, result, corrupt] { onDecoded(result, corrupt); }, Qt::QueuedConnection);
        promise->finish();
    });
}

Error ShardGather::cannotRebuild(const FileChunk& chunk, const QString& why)
{
    return Error::make(Error::Kind::Corrupt,
                       tr("Chunk %1 cannot be rebuilt from its shards: %2").arg(chunk.cid, why));
}

void ShardGather::onDecoded(const Error& error, const QList<int>& corrupt)
{
    m_decoding = false;
    if (m_aborted) {
        m_good.clear();
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    PlacementRows& placements = m_vault->registry().placementRows();
    if (!corrupt.isEmpty()) {
        // Marked as a fetch marks a copy that does not match; the others were hashed and are
        // right. Every shard from now on is checked as it comes, and the chunk is decoded again
        // once K good ones are at hand.
        for (int index : corrupt) {
            const auto s =
                std::find_if(m_good.cbegin(), m_good.cend(),
                             [index](const ShardCodec::Shard& x) { return x.index == index; });
            const qint64 provider = m_sources.value(index);
            const QString name = m_vault->providerName(provider);
            placements.setPlacementState(s->cid, provider, PlacementState::Corrupt, true);
            m_problems.append(tr("chunk %1 on provider “%2” is corrupt").arg(s->cid, name));
            m_unreadable.append(tr("shard %1: the copy on provider “%2” does not match its CID")
                                    .arg(index)
                                    .arg(name));
            // A shard stored twice (two vaults on the same providers may place it so) is asked
            // of its other copy next, as a fetch that checks as it reads would have.
            const QList<Placement> copies = placements.placements(s->cid);
            const bool another =
                std::any_of(copies.cbegin(), copies.cend(), [provider](const Placement& p) {
                    return p.providerId != provider && p.state != PlacementState::Corrupt;
                });
            const auto again =
                std::find_if(m_shards.cbegin(), m_shards.cend(),
                             [index](const ShardRows::Shard& x) { return x.index == index; });
            if (another && again != m_shards.cend())
                m_shards.insert(m_next, ShardRows::Shard(*again));
            m_good.erase(s);
        }
        for (ShardCodec::Shard& s : m_good)
            s.checked = true;
        m_checkEach = true;
        fetchMore();
        return;
    }
    if (error.ok()) {
        // The chunk matched: the K shards it was decoded from are right (decodeUnchecked).
        for (const ShardCodec::Shard& s : std::as_const(m_good))
            placements.setPlacementState(s.cid, m_sources.value(s.index), PlacementState::Stored,
                                         true);
    }
    m_good.clear();
    finish(error);
}

void ShardGather::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    QMetaObject::invokeMethod(this, &ShardGather::finished, Qt::QueuedConnection);
}

} // namespace mf
