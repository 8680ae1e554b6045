#include "chunkfetcher.h"

#include "chunking/cid.h"
#include "shardgather.h"
#include "vault/providerspeeds.h"
#include "vault/vault.h"

#include <QDateTime>

#include <algorithm>
#include <limits>

namespace mf {

namespace {
int preference(PlacementState s)
{
    switch (s) {
    case PlacementState::Stored:
        return 0;
    case PlacementState::Pending:
        return 1;
    case PlacementState::Missing:
        return 2;
    case PlacementState::Corrupt:
        return 3;
    }
    return 4;
}
} // namespace

ChunkFetcher::ChunkFetcher(Vault* vault, const FileChunk& chunk, QList<Placement> placements,
                           ChunkWriter* writer, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_chunk(chunk)
    , m_placements(std::move(placements))
    , m_writer(writer)
{
    // Healthy replicas first; ones marked bad are tried last, in case they came back.
    std::stable_sort(m_placements.begin(), m_placements.end(),
                     [](const Placement& a, const Placement& b) {
                         return preference(a.state) < preference(b.state);
                     });
    m_writer->setExpectedSize(m_chunk.size);
    m_hedgeTimer.setInterval(HedgeCheckMs);
    connect(&m_hedgeTimer, &QTimer::timeout, this, &ChunkFetcher::maybeHedge);
}

ChunkFetcher::~ChunkFetcher()
{
    if (m_job) {
        m_job->disconnect(this);
        m_job->abort();
        m_job->deleteLater();
        m_vault->speeds().fetchEnded(m_currentProvider, m_chunk.size, m_jobDelivered, false);
    }
    if (m_hedgeJob) {
        // Now, not with the other children: its worker writes into m_hedgeWriter.
        m_hedgeJob->disconnect(this);
        m_hedgeJob->abort();
        m_vault->speeds().fetchEnded(m_hedgeProvider, m_chunk.size, m_hedgeDelivered, false);
        delete m_hedgeJob.data();
    }
}

void ChunkFetcher::setCheckedByCaller()
{
    m_wholeObjectsOnly = true;
    m_checkedByCaller = true;
    m_writer->setHashing(false);
}

void ChunkFetcher::start()
{
    if (startShards())
        return;
    // Replicas on providers paused for downloads (a transfer quota) come last: other replicas
    // serve meanwhile, and the paused provider gets no request before its time.
    for (qsizetype i = 0; i < m_placements.size();) {
        const ProviderBudget b =
            m_vault->registry().providerRows().providerBudget(m_placements.at(i).providerId);
        if (b.downloadPaused()) {
            m_pausedUntil = m_pausedUntil < 0 ? b.downloadPausedUntilMs
                                              : qMin(m_pausedUntil, b.downloadPausedUntilMs);
            m_placements.removeAt(i);
        } else {
            ++i;
        }
    }
    m_tried = QList<bool>(m_placements.size(), false);
    tryNext();
}

void ChunkFetcher::abort()
{
    if (m_finished || m_aborted)
        return;
    m_aborted = true;
    if (m_gather) {
        m_gather->abort(); // its finished() ends this fetch
        return;
    }
    m_hedgeTimer.stop();
    if (m_hedgeJob)
        m_hedgeJob->abort();
    if (m_job)
        m_job->abort();
    else if (!m_hedgeJob)
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

int ChunkFetcher::pickNext() const
{
    const ProviderSpeeds& speeds = m_vault->speeds();
    int best = -1;
    double bestMs = 0;
    for (int i = 0; i < m_placements.size(); ++i) {
        if (m_tried.at(i))
            continue;
        const Placement& p = m_placements.at(i);
        // Sorted by state: a worse state is only a candidate when no better one is left.
        if (best >= 0 && preference(p.state) > preference(m_placements.at(best).state))
            break;
        const double ms = speeds.expectedMs(p.providerId, m_chunk.size);
        if (best < 0 || ms < bestMs) {
            best = i;
            bestMs = ms;
        }
    }
    return best;
}

void ChunkFetcher::tryNext()
{
    for (int next = pickNext(); next >= 0; next = pickNext()) {
        m_tried[next] = true;
        const Placement& p = m_placements.at(next);
        QString why;
        const std::shared_ptr<Provider> provider = m_vault->provider(p.providerId, &why);
        if (!provider) {
            m_lastFailure = Error::make(Error::Kind::Fatal, why);
            m_unsure = true;
            continue;
        }
        m_writer->restart();
        m_currentProvider = p.providerId;
        m_jobDelivered = 0;
        m_job = provider->get(p.locator, m_writer);
        m_job->setParent(this);
        connect(m_job, &ProviderJob::finished, this, &ChunkFetcher::onJobFinished);
        connect(m_job, &ProviderJob::progress, this, [this](qint64 done, qint64) {
            // A retry starts the body over: only bytes past what was counted are new.
            if (done > m_jobDelivered)
                m_vault->speeds().delivered(m_currentProvider, done - m_jobDelivered);
            m_jobDelivered = done;
            Q_EMIT progress(done);
        });
        m_vault->speeds().fetchStarted(m_currentProvider, m_chunk.size);
        m_jobClock.start();
        m_job->start();
        if (!m_hedged && m_placements.size() > 1)
            m_hedgeTimer.start();
        return;
    }
    if (m_hedgeJob) {
        m_waitingOnHedge = true; // the last hope runs already
        return;
    }
    if (m_pausedUntil > 0) {
        // The only replicas left are on paused providers: wait for the first to come back.
        finish(Error::outOfBudget(
            tr("Chunk %1 waits for a provider that serves no downloads before %2")
                .arg(m_chunk.cid, QDateTime::fromMSecsSinceEpoch(m_pausedUntil)
                                      .toString(QStringLiteral("yyyy-MM-dd HH:mm"))),
            m_pausedUntil));
        return;
    }
    if (m_unsure) {
        finish(Error::make(m_lastFailure.kind,
                           tr("Chunk %1 cannot be fetched: no replica is readable and intact "
                              "(last error: %2)")
                               .arg(m_chunk.cid, m_lastFailure.message)));
        return;
    }
    // Every copy was looked at and none is good: the data is missing or corrupt, which no retry
    // will change.
    finish(
        Error::make(Error::Kind::Corrupt,
                    m_placements.isEmpty()
                        ? tr("Chunk %1 is lost: it has no replica on any provider").arg(m_chunk.cid)
                        : tr("Chunk %1 is lost: every replica is missing or corrupt (last: %2)")
                              .arg(m_chunk.cid, m_lastFailure.message)));
}

bool ChunkFetcher::judge(qint64 provider, const Error& e, ChunkWriter& writer)
{
    Registry& registry = m_vault->registry();
    const QString name = m_vault->providerName(provider);
    // A replica longer than its chunk was cut off by the writer: it is damaged, like one whose
    // bytes do not match.
    if (e.ok() || writer.overflowed()) {
        if (e.ok() && writer.written() == m_chunk.size &&
            (m_checkedByCaller || writer.digest() == cid::toSha256(m_chunk.cid))) {
            if (!m_checkedByCaller)
                registry.placementRows().setPlacementState(m_chunk.cid, provider,
                                                           PlacementState::Stored, true);
            return true;
        }
        m_lastFailure = Error::make(
            Error::Kind::Corrupt, tr("the copy on provider “%1” does not match its CID").arg(name));
        registry.placementRows().setPlacementState(m_chunk.cid, provider, PlacementState::Corrupt,
                                                   true);
        m_problems.append(tr("chunk %1 on provider “%2” is corrupt").arg(m_chunk.cid, name));
        return false;
    }
    m_lastFailure = e;
    if (e.isOutOfBudget()) {
        // "No more downloads until T" (a transfer quota): paused for every process.
        registry.providerRows().pauseProvider(provider, BudgetDirection::Download, e.budgetResetMs,
                                              e.message);
        m_pausedUntil = m_pausedUntil < 0 ? e.budgetResetMs : qMin(m_pausedUntil, e.budgetResetMs);
        m_problems.append(tr("provider “%1” serves no downloads for now: %2").arg(name, e.message));
    } else if (e.kind == Error::Kind::NotFound) {
        registry.placementRows().setPlacementState(m_chunk.cid, provider, PlacementState::Missing,
                                                   true);
        m_problems.append(tr("chunk %1 is missing on provider “%2”").arg(m_chunk.cid, name));
    } else if (e.kind == Error::Kind::Fatal && !writer.errorString().isEmpty()) {
        // The destination failed (disk full): another replica will not help.
        m_writerFailed = true;
        m_lastFailure = Error::make(Error::Kind::Fatal, writer.errorString());
    } else {
        m_unsure = true;
        m_problems.append(tr("chunk %1 on provider “%2”: %3").arg(m_chunk.cid, name, e.message));
    }
    return false;
}

void ChunkFetcher::onJobFinished()
{
    ProviderJob* job = m_job;
    m_job = nullptr;
    job->deleteLater();
    m_hedgeTimer.stop();
    const Error& e = job->error();
    const bool cancelled = e.kind == Error::Kind::Cancelled;
    const bool good = !m_aborted && !m_hedgeWon && judge(m_currentProvider, e, *m_writer);
    m_vault->speeds().fetchEnded(m_currentProvider, m_chunk.size, m_jobDelivered,
                                 !good && !cancelled && !m_hedgeWon);
    if (m_aborted) {
        if (!m_hedgeJob)
            finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (m_hedgeWon) {
        adoptHedge();
        return;
    }
    if (good) {
        if (m_hedgeJob)
            m_hedgeJob->abort(); // the loser; the destructor waits for it if need be
        finish(Error::none());
        return;
    }
    if (m_writerFailed) {
        finish(m_lastFailure);
        return;
    }
    tryNext();
}

void ChunkFetcher::maybeHedge()
{
    if (m_hedged || !m_job || m_finished || m_aborted) {
        m_hedgeTimer.stop();
        return;
    }
    if (m_jobClock.elapsed() < HedgeAfterMs)
        return;
    const ProviderSpeeds& speeds = m_vault->speeds();
    // What is left of this chunk on its provider, at its share of that provider's speed.
    const double rate = speeds.rate(m_currentProvider);
    const double left = double(qMax<qint64>(0, m_chunk.size - m_jobDelivered)) *
                        qMax(1, speeds.inFlight(m_currentProvider));
    const double leftMs = rate > 0 ? left * 1000.0 / rate : std::numeric_limits<double>::infinity();
    int best = -1;
    double bestMs = 0;
    for (int i = 0; i < m_placements.size(); ++i) {
        const Placement& p = m_placements.at(i);
        // Only a stored copy, on another provider with nothing to do.
        if (m_tried.at(i) || p.state != PlacementState::Stored ||
            p.providerId == m_currentProvider || speeds.inFlight(p.providerId) > 0)
            continue;
        const double ms = speeds.expectedMs(p.providerId, m_chunk.size);
        if (best < 0 || ms < bestMs) {
            best = i;
            bestMs = ms;
        }
    }
    // Worth a second request only when it would end well before the first.
    if (best < 0 || !(bestMs * 2 < leftMs))
        return;
    const Placement& p = m_placements.at(best);
    m_tried[best] = true;
    m_hedged = true;
    m_hedgeTimer.stop();
    const std::shared_ptr<Provider> provider = m_vault->provider(p.providerId);
    if (!provider)
        return;
    m_hedgeProvider = p.providerId;
    m_hedgeDelivered = 0;
    m_hedgeWriter = std::make_unique<MemoryChunkWriter>();
    m_hedgeWriter->setExpectedSize(m_chunk.size);
    m_hedgeWriter->setHashing(!m_checkedByCaller);
    m_hedgeJob = provider->get(p.locator, m_hedgeWriter.get());
    m_hedgeJob->setParent(this);
    connect(m_hedgeJob, &ProviderJob::finished, this, &ChunkFetcher::onHedgeFinished);
    connect(m_hedgeJob, &ProviderJob::progress, this, [this](qint64 done, qint64) {
        if (done > m_hedgeDelivered)
            m_vault->speeds().delivered(m_hedgeProvider, done - m_hedgeDelivered);
        m_hedgeDelivered = done;
    });
    m_vault->speeds().fetchStarted(m_hedgeProvider, m_chunk.size);
    m_hedgeJob->start();
}

void ChunkFetcher::onHedgeFinished()
{
    ProviderJob* job = m_hedgeJob;
    m_hedgeJob = nullptr;
    job->deleteLater();
    const Error& e = job->error();
    const bool cancelled = e.kind == Error::Kind::Cancelled;
    const bool good = !m_aborted && !m_finished && judge(m_hedgeProvider, e, *m_hedgeWriter);
    m_vault->speeds().fetchEnded(m_hedgeProvider, m_chunk.size, m_hedgeDelivered,
                                 !good && !cancelled && !m_finished);
    if (m_aborted) {
        if (!m_job)
            finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (m_finished)
        return; // the first request won
    if (good) {
        if (m_job) {
            m_hedgeWon = true;
            m_job->abort(); // its writer is free once it has finished: onJobFinished() goes on
        } else {
            adoptHedge();
        }
        return;
    }
    m_hedgeWriter.reset();
    if (m_waitingOnHedge) {
        m_waitingOnHedge = false;
        tryNext();
    }
}

void ChunkFetcher::adoptHedge()
{
    const QByteArray& bytes = m_hedgeWriter->bytes();
    m_writer->restart();
    if (!m_writer->write(bytes.constData(), bytes.size())) {
        finish(Error::make(Error::Kind::Fatal, m_writer->errorString()));
        return;
    }
    m_hedgeWriter.reset();
    if (m_writer->written() != m_chunk.size ||
        (!m_checkedByCaller && m_writer->digest() != cid::toSha256(m_chunk.cid))) {
        finish(Error::make(Error::Kind::Corrupt,
                           tr("Chunk %1 changed on its way to the disk").arg(m_chunk.cid)));
        return;
    }
    m_currentProvider = m_hedgeProvider;
    finish(Error::none());
}

bool ChunkFetcher::startShards()
{
    if (m_wholeObjectsOnly)
        return false;
    // A stored copy is read as it is; shards only when there is none.
    for (const Placement& p : std::as_const(m_placements))
        if (p.state == PlacementState::Stored)
            return false;
    ShardRows& shardRows = m_vault->registry().shardRows();
    const auto scheme = shardRows.shardScheme(m_chunk.cid);
    if (!scheme)
        return false;
    QList<ShardRows::Shard> shards = shardRows.shards(m_chunk.cid, scheme->k, scheme->m);
    m_gather = std::make_unique<ShardGather>(m_vault, m_chunk, scheme->k, scheme->m,
                                             std::move(shards), m_writer);
    connect(m_gather.get(), &ShardGather::progress, this, &ChunkFetcher::progress);
    connect(m_gather.get(), &ShardGather::finished, this, &ChunkFetcher::onGathered);
    m_gather->start();
    return true;
}

void ChunkFetcher::onGathered()
{
    m_problems.append(m_gather->problems());
    const Error e = m_gather->error();
    if (!e.ok()) {
        finish(e);
        return;
    }
    // ShardGather checked the decoded chunk against its CID and wrote it, on its decoding thread.
    if (m_writer->written() != m_chunk.size || m_writer->digest() != cid::toSha256(m_chunk.cid)) {
        finish(Error::make(Error::Kind::Corrupt,
                           tr("Chunk %1 changed on its way to the disk").arg(m_chunk.cid)));
        return;
    }
    finish(Error::none());
}

void ChunkFetcher::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    QMetaObject::invokeMethod(this, &ChunkFetcher::finished, Qt::QueuedConnection);
}

} // namespace mf
