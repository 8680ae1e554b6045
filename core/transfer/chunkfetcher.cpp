#include "chunkfetcher.h"

#include "chunking/cid.h"
#include "vault/vault.h"

#include <QDateTime>

#include <algorithm>

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
}

ChunkFetcher::~ChunkFetcher()
{
    if (m_job) {
        m_job->disconnect(this);
        m_job->abort();
        m_job->deleteLater();
    }
}

void ChunkFetcher::start()
{
    // Replicas on providers paused for downloads (a transfer quota) come last: other replicas
    // serve meanwhile, and the paused provider gets no request before its time.
    for (qsizetype i = 0; i < m_placements.size();) {
        const ProviderBudget b = m_vault->registry().providerBudget(m_placements.at(i).providerId);
        if (b.downloadPaused()) {
            m_pausedUntil = m_pausedUntil < 0 ? b.downloadPausedUntilMs
                                              : qMin(m_pausedUntil, b.downloadPausedUntilMs);
            m_placements.removeAt(i);
        } else {
            ++i;
        }
    }
    tryNext();
}

void ChunkFetcher::abort()
{
    if (m_finished || m_aborted)
        return;
    m_aborted = true;
    if (m_job)
        m_job->abort();
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void ChunkFetcher::tryNext()
{
    while (m_next < m_placements.size()) {
        const Placement& p = m_placements.at(m_next++);
        QString why;
        Provider* provider = m_vault->provider(p.providerId, &why);
        if (!provider) {
            m_lastFailure = Error::make(Error::Kind::Fatal, why);
            m_unsure = true;
            continue;
        }
        m_writer->restart();
        m_currentProvider = p.providerId;
        m_job = provider->get(p.locator, m_writer);
        m_job->setParent(this);
        connect(m_job, &ProviderJob::finished, this, &ChunkFetcher::onJobFinished);
        connect(m_job, &ProviderJob::progress, this,
                [this](qint64 done, qint64) { Q_EMIT progress(done); });
        m_job->start();
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

void ChunkFetcher::onJobFinished()
{
    ProviderJob* job = m_job;
    m_job = nullptr;
    job->deleteLater();
    if (m_aborted) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    Registry& registry = m_vault->registry();
    const QString name = m_vault->providerName(m_currentProvider);
    const Error& e = job->error();
    // A replica longer than its chunk was cut off by the writer: it is damaged, like one whose
    // bytes do not match.
    if (e.ok() || m_writer->overflowed()) {
        if (e.ok() && m_writer->written() == m_chunk.size &&
            m_writer->digest() == cid::toSha256(m_chunk.cid)) {
            registry.setPlacementState(m_chunk.cid, m_currentProvider, PlacementState::Stored,
                                       true);
            finish(Error::none());
            return;
        }
        m_lastFailure = Error::make(
            Error::Kind::Corrupt, tr("the copy on provider “%1” does not match its CID").arg(name));
        registry.setPlacementState(m_chunk.cid, m_currentProvider, PlacementState::Corrupt, true);
        m_problems.append(tr("chunk %1 on provider “%2” is corrupt").arg(m_chunk.cid, name));
    } else {
        m_lastFailure = e;
        if (e.isOutOfBudget()) {
            // "No more downloads until T" (a transfer quota): paused for every process.
            registry.pauseProvider(m_currentProvider, BudgetDirection::Download, e.budgetResetMs,
                                   e.message);
            m_pausedUntil =
                m_pausedUntil < 0 ? e.budgetResetMs : qMin(m_pausedUntil, e.budgetResetMs);
            m_problems.append(
                tr("provider “%1” serves no downloads for now: %2").arg(name, e.message));
        } else if (e.kind == Error::Kind::NotFound) {
            registry.setPlacementState(m_chunk.cid, m_currentProvider, PlacementState::Missing,
                                       true);
            m_problems.append(tr("chunk %1 is missing on provider “%2”").arg(m_chunk.cid, name));
        } else if (e.kind == Error::Kind::Fatal && !m_writer->errorString().isEmpty()) {
            // The destination failed (disk full): another replica will not help.
            finish(Error::make(Error::Kind::Fatal, m_writer->errorString()));
            return;
        } else {
            m_unsure = true;
            m_problems.append(
                tr("chunk %1 on provider “%2”: %3").arg(m_chunk.cid, name, e.message));
        }
    }
    tryNext();
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
