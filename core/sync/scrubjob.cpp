#include "scrubjob.h"

#include "chunking/cid.h"
#include "providers/chunkwriter.h"
#include "providers/providerprobe.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDateTime>

#include <cmath>

namespace mf {

namespace {
constexpr int BatchSize = 256;
constexpr int MaxProblems = 200; // a report, not a log of every chunk of a dead provider
} // namespace

ScrubJob::Options ScrubJob::scheduled(Registry& registry, ScrubRows::ScrubPass pass)
{
    const bool read = pass == ScrubRows::ScrubPass::Read;
    auto number = [&registry](const char* key, double fallback) {
        bool ok = false;
        const double v = registry.settings().setting(QLatin1String(key)).toDouble(&ok);
        return ok && v >= 0 ? v : fallback;
    };
    Options o;
    o.pass = pass;
    o.intervalSecs = read ? qint64(number("scrub.read_interval", 30.0 * 86400))
                          : qint64(number("scrub.check_interval", 86400));
    o.rate = read ? number("scrub.read_rate", 4.0 * 1024 * 1024) : number("scrub.check_rate", 20);
    return o;
}

QStringList ScrubJob::settingKeys()
{
    return {QStringLiteral("scrub.check_interval"), QStringLiteral("scrub.read_interval"),
            QStringLiteral("scrub.check_rate"), QStringLiteral("scrub.read_rate")};
}

ScrubJob::ScrubJob(Vault* vault, Options options, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_options(options)
{
    m_paceTimer.setSingleShot(true);
    connect(&m_paceTimer, &QTimer::timeout, this, &ScrubJob::startMore);
}

ScrubJob::~ScrubJob()
{
    for (auto& entry : m_running) {
        entry.first->disconnect(this);
        delete entry.first; // waits for its worker; the writer goes after it
    }
}

void ScrubJob::doStart()
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    // Copies stamped in this run are at `now` or later, never due again in it.
    m_dueBefore = m_options.intervalSecs > 0 ? now - m_options.intervalSecs + 1 : now + 1;
    const ScrubRows::ScrubDue due =
        m_vault->registry().scrubRows().scrubDue(m_options.pass, m_dueBefore, m_options.scope);
    m_report.due = m_options.limit >= 0 ? qMin(m_options.limit, due.placements) : due.placements;
    // Progress is in the bytes of the copies looked at, for either pass (the check moves none,
    // but its row and speed graph say bytes like every other transfer's: counting copies there
    // read "363 B of 393 B"), and in copies beside them.
    m_totalBytes = due.bytes;
    if (m_options.limit >= 0 && due.placements > 0)
        m_totalBytes = due.bytes / due.placements * m_report.due;
    for (const ProviderRecord& p : m_vault->registry().providerRows().providers())
        if (p.unreachableSince > 0)
            m_wereSilent.insert(p.id);
    m_clock.start();
    startMore();
}

void ScrubJob::doAbort()
{
    m_paceTimer.stop();
    for (auto& entry : m_running)
        entry.first->abort();
    if (m_running.empty())
        finishAll();
}

qint64 ScrubJob::nextStartMs() const
{
    if (m_options.rate <= 0)
        return 0;
    return qint64(std::ceil(m_costSoFar / m_options.rate * 1000.0));
}

void ScrubJob::startMore()
{
    if (isFinished())
        return;
    Registry& registry = m_vault->registry();
    while (!isAborting() && int(m_running.size()) < qMax(1, m_options.parallel)) {
        if (m_options.limit >= 0 && m_started >= m_options.limit)
            break;
        if (m_batch.empty() && !m_exhausted) {
            const auto next = registry.scrubRows().placementsToScrub(
                m_options.pass, m_dueBefore, m_lastCid, m_lastProvider, BatchSize, m_options.scope);
            if (next.isEmpty())
                m_exhausted = true;
            m_batch.assign(next.cbegin(), next.cend());
        }
        const bool again = m_batch.empty() && m_exhausted && !m_again.empty();
        if (m_batch.empty() && !again)
            break;
        // The pace: the next copy starts once the ones before it are within the rate.
        const qint64 wait = nextStartMs() - m_clock.elapsed();
        if (wait > 0) {
            if (!m_paceTimer.isActive())
                m_paceTimer.start(int(qMin<qint64>(wait, 60000)));
            return;
        }
        std::deque<ScrubRows::ScrubItem>& from = again ? m_again : m_batch;
        const ScrubRows::ScrubItem item = from.front();
        from.pop_front();
        if (!again) {
            m_lastCid = item.cid;
            m_lastProvider = item.providerId;
        }
        if (m_pausedProviders.contains(item.providerId))
            continue; // its provider paused downloads since the batch was read: it waits
        if (!again)
            m_started++;
        m_costSoFar += m_options.pass == ScrubRows::ScrubPass::Read ? double(item.size) : 1.0;

        QString why;
        const std::shared_ptr<Provider> provider = m_vault->provider(item.providerId, &why);
        if (!provider && again)
            continue; // recorded missing it was, and so it stays
        if (!provider) {
            m_report.checked++;
            if (silentTooLong(item.providerId))
                countLost(item);
            else {
                m_report.unreachable++;
                problem(tr("chunk %1: %2").arg(item.cid, why));
            }
            continue;
        }
        Running running;
        running.item = item;
        running.again = again;
        ProviderJob* job = nullptr;
        if (m_options.pass == ScrubRows::ScrubPass::Read) {
            running.writer = std::make_unique<HashingChunkWriter>();
            running.writer->setExpectedSize(item.size);
            job = provider->get(item.locator, running.writer.get());
        } else {
            job = provider->stat(item.locator);
        }
        job->setParent(this);
        connect(job, &ProviderJob::finished, this, [this, job] { onChecked(job); });
        m_running.emplace(job, std::move(running));
        job->start();
    }
    if (m_running.empty() && !m_paceTimer.isActive())
        finishAll();
}

void ScrubJob::onChecked(ProviderJob* job)
{
    auto node = m_running.extract(job);
    job->deleteLater();
    if (node.empty())
        return;
    const ScrubRows::ScrubItem& item = node.mapped().item;
    HashingChunkWriter* writer = node.mapped().writer.get();
    const bool again = node.mapped().again;
    const bool read = m_options.pass == ScrubRows::ScrubPass::Read;
    const Error& e = job->error();
    if (!again) { // copies asked again are not of the due ones the progress counts
        m_bytesDone += item.size;
        m_copiesDone++;
    }
    if (e.kind == Error::Kind::Cancelled) {
        startMore();
        return;
    }
    const QString name = m_vault->providerName(item.providerId);
    if (read && e.isOutOfBudget()) {
        // "No more downloads until T" (a transfer quota): paused for every process, and this
        // copy and the provider's others wait for it, due as they were.
        m_vault->registry().providerRows().pauseProvider(item.providerId, BudgetDirection::Download,
                                                         e.budgetResetMs, e.message);
        m_pausedProviders.insert(item.providerId);
        startMore();
        return;
    }
    if (!again)
        m_report.checked++;
    std::optional<PlacementState> found;
    if (read && writer && writer->overflowed()) {
        found = PlacementState::Corrupt;
    } else if (e.ok()) {
        bool intact = true;
        if (read) {
            m_report.bytesRead += writer->written();
            intact = writer->written() == item.size && writer->digest() == cid::toSha256(item.cid);
        } else {
            // A provider that cannot tell the size (-1) has at least the object.
            intact = job->objectSize() < 0 || job->objectSize() == item.size;
        }
        found = intact ? PlacementState::Stored : PlacementState::Corrupt;
    } else if (e.kind == Error::Kind::NotFound) {
        found = PlacementState::Missing;
    }
    if (again) {
        // A copy recorded missing, on a provider heard again: found there, it counts again (a
        // damaged one is recorded so, for repair to replace); not found, it stays missing.
        if (found && *found != PlacementState::Missing &&
            m_vault->registry().scrubRows().recordFoundAgain(item.cid, item.providerId,
                                                             m_options.pass, *found)) {
            m_foundAgainCids.insert(item.cid);
            if (*found == PlacementState::Stored)
                m_report.foundAgain++;
            else
                m_report.corrupt++;
            // Counted lost earlier in this run: it is not missing after all.
            if (m_countedLost.remove({item.cid, item.providerId})) {
                m_report.missing--;
                m_report.lostWithProvider--;
            }
        }
    } else if (!found && silentTooLong(item.providerId)) {
        countLost(item);
    } else if (!found) {
        m_report.unreachable++;
        problem(tr("chunk %1 on provider “%2”: %3").arg(item.cid, name, e.message));
    } else {
        answered(item.providerId);
        m_vault->registry().scrubRows().recordScrub(item.cid, item.providerId, m_options.pass,
                                                    *found);
        if (*found == PlacementState::Stored) {
            m_report.good++;
        } else {
            m_badCids.insert(item.cid);
            if (*found == PlacementState::Missing) {
                m_report.missing++;
                problem(tr("chunk %1 is missing on provider “%2”").arg(item.cid, name));
            } else {
                m_report.corrupt++;
                problem(tr("chunk %1 on provider “%2” is corrupt").arg(item.cid, name));
            }
        }
    }
    Q_EMIT progress();
    startMore();
}

void ScrubJob::answered(qint64 providerId)
{
    if (!m_answered.contains(providerId)) {
        m_answered.insert(providerId);
        m_vault->registry().providerRows().recordProviderAnswer(providerId, true);
        // Silent before (this run may have counted some of its copies lost already): heard
        // now, its copies recorded missing are asked again, and its later silences in this run
        // are passing failures, not loss.
        if (m_wereSilent.contains(providerId) || m_silent.value(providerId))
            m_heardAgain.insert(providerId);
        m_silent.insert(providerId, false);
    }
}

bool ScrubJob::silentTooLong(qint64 providerId)
{
    const auto known = m_silent.constFind(providerId);
    if (known != m_silent.cend())
        return *known;
    Registry& registry = m_vault->registry();
    // One answer in this run (another copy) and it is not silent: a passing failure.
    bool lost = false;
    if (!m_answered.contains(providerId)) {
        registry.providerRows().recordProviderAnswer(providerId, false);
        const auto record = registry.providerRows().provider(providerId);
        lost = record && registry.providerRows().providerLost(*record);
        if (lost) {
            m_report.lostProviders.append(
                tr("Provider “%1” has not answered since %2: the copies it holds count as lost, "
                   "and repair makes them elsewhere")
                    .arg(record->name,
                         QDateTime::fromSecsSinceEpoch(record->unreachableSince, Qt::UTC)
                             .toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"))));
            addWarning(m_report.lostProviders.last());
        }
    }
    m_silent.insert(providerId, lost);
    return lost;
}

// A copy on a provider lost to silence: missing, as far as health and repair go.
void ScrubJob::countLost(const ScrubRows::ScrubItem& item)
{
    m_vault->registry().scrubRows().recordScrub(item.cid, item.providerId, m_options.pass,
                                                PlacementState::Missing);
    m_badCids.insert(item.cid);
    m_countedLost.insert({item.cid, item.providerId});
    m_report.missing++;
    m_report.lostWithProvider++;
    problem(tr("chunk %1 counts as lost: provider “%2” has not answered for too long")
                .arg(item.cid, m_vault->providerName(item.providerId)));
}

void ScrubJob::problem(const QString& text)
{
    if (m_report.problems.size() < MaxProblems)
        m_report.problems.append(text);
}

// Providers recorded silent that this run did not ask (their copies are gone or were counted
// lost, so no check reaches them): a connection test each, so that one that is back is heard.
void ScrubJob::probeSilentProviders()
{
    m_probed = true;
    for (const ProviderRecord& p : m_vault->registry().providerRows().providers()) {
        if (!p.enabled || p.unreachableSince <= 0 || m_answered.contains(p.id) ||
            m_silent.contains(p.id))
            continue;
        const std::shared_ptr<Provider> provider = m_vault->provider(p.id);
        if (!provider)
            continue;
        auto* probe = new ProviderProbe(provider.get(), this);
        ++m_probes;
        connect(probe, &ProviderProbe::finished, this, [this, probe, id = p.id] {
            probe->deleteLater();
            if (probe->error().ok()) {
                m_vault->registry().providerRows().setProviderHealth(
                    id, ProviderRecord::healthAfterTest({}));
                m_heardAgain.insert(id);
            }
            if (--m_probes == 0)
                finishAll();
        });
        probe->start();
    }
    if (m_probes == 0)
        finishAll();
}

bool ScrubJob::askAgain()
{
    m_askedAgain = true;
    Registry& registry = m_vault->registry();
    for (const qint64 id : std::as_const(m_heardAgain)) {
        QString after;
        for (;;) {
            const auto next = registry.scrubRows().missingCopiesOn(id, after, BatchSize);
            m_again.insert(m_again.end(), next.cbegin(), next.cend());
            if (next.size() < BatchSize)
                break;
            after = next.last().cid;
        }
    }
    return !m_again.empty();
}

void ScrubJob::finishAll()
{
    if (isFinished() || m_probes > 0)
        return;
    if (!m_probed && !isAborting() && m_options.scope.modelIds.isEmpty() &&
        !m_options.scope.orphansOnly)
        return probeSilentProviders();
    if (!m_askedAgain && !isAborting() && askAgain())
        return startMore();
    if (!m_foundAgainCids.isEmpty()) {
        Registry& registry = m_vault->registry();
        registry.healthRows().refreshDegraded(
            registry.healthRows().modelsUsingChunks(m_foundAgainCids.values()));
        if (m_report.foundAgain > 0)
            addWarning(units::counted(m_report.foundAgain,
                                      tr("1 copy on a provider that answers again was found "
                                         "there and counts again"),
                                      tr("%1 copies on providers that answer again were found "
                                         "there and count again")));
    }
    if (!m_badCids.isEmpty()) {
        // The models using what was found bad are degraded now: repair's work.
        Registry& registry = m_vault->registry();
        registry.healthRows().refreshDegraded(
            registry.healthRows().modelsUsingChunks(m_badCids.values()));
        addWarning(units::counted(m_report.bad(),
                                  tr("1 copy found missing or corrupt; repair makes it again"),
                                  tr("%1 copies found missing or corrupt; repair makes them "
                                     "again")));
    }
    if (m_report.unreachable > 0)
        addWarning(units::counted(m_report.unreachable,
                                  tr("1 copy could not be checked now; it is checked next time"),
                                  tr("%1 copies could not be checked now; they are checked next "
                                     "time")));
    if (m_options.pass == ScrubRows::ScrubPass::Read) {
        Registry& registry = m_vault->registry();
        m_report.paused =
            registry.scrubRows().scrubDue(m_options.pass, m_dueBefore, m_options.scope).paused;
        if (m_report.paused > 0) {
            QStringList names;
            for (const ProviderRecord& p : registry.providerRows().providers())
                if (registry.providerRows().providerBudget(p.id).downloadPaused())
                    names.append(p.name);
            const QString paused = names.size() == 1 ? tr("provider %1 serves no downloads")
                                                     : tr("providers %1 serve no downloads");
            addWarning(tr("%1 not read: %2 for now; read once the pause is over")
                           .arg(units::counted(m_report.paused, tr("1 copy"), tr("%1 copies")),
                                paused.arg(names.join(QStringLiteral(", ")))));
        }
    }
    finish(isAborting() ? Error::make(Error::Kind::Cancelled, tr("Cancelled")) : Error::none());
}

void ScrubJob::ending(Error& /*error*/)
{
    m_paceTimer.stop();
}

TransferProgress ScrubJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesDone;
    p.chunksTotal = m_report.due;
    p.chunksDone = m_copiesDone;
    return p;
}

} // namespace mf
