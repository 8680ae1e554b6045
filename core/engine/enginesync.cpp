// The sync half of EngineWorker: repair and drain transfers, and the scheduler that starts the
// background ones (repair of degraded models, drains left unfinished, whatever else registers a
// task), with what the tray shows of it.
#include "engineworker.h"

#include "sync/catalogcollectjob.h"
#include "sync/drainjob.h"
#include "sync/powerstate.h"
#include "sync/repairjob.h"
#include "sync/scheduler.h"
#include "sync/scrubjob.h"
#include "vault/vault.h"

#include <QCoreApplication>

namespace mf {

namespace {
// A background repair or drain that could not finish (a provider still away) is tried again
// after this long; the vault setting "sync.retry_secs" changes it.
constexpr qint64 DefaultRetrySecs = 300;
// Other computers' changes to the catalog are taken in (and this one's that could not be
// published are tried again) this often; the vault setting "catalog.sync_secs" changes it.
// The collector's grace period is never less than two of these (CatalogCollectJob).
constexpr qint64 DefaultCatalogSyncSecs = CatalogCollectJob::DefaultSyncSecs;
} // namespace

qint64 EngineWorker::secondsSetting(const QString& key, qint64 fallback)
{
    bool ok = false;
    const qint64 secs = m_vault ? m_vault->registry().setting(key).toLongLong(&ok) : 0;
    return ok && secs >= 0 ? secs : fallback;
}

qint64 EngineWorker::retrySecs()
{
    return secondsSetting(QStringLiteral("sync.retry_secs"), DefaultRetrySecs);
}

void EngineWorker::setUpScheduler()
{
    m_power = new PowerState(this);
    m_scheduler = new Scheduler(this);
    m_scheduler->setPowerState(m_power);
    connect(m_scheduler, &Scheduler::stopRequested, this, [this](qint64 id) { pause(id); });
    connect(m_scheduler, &Scheduler::statusChanged, this, [this] {
        resumeBackgroundIfAllowed();
        emitSyncStatus();
    });
    m_scheduler->setLauncher([this](const Scheduler::Task& task) { return launch(task); });

    // The tasks, in the order they are looked at. Others are added with Scheduler::addTask() in
    // the same way: a key, whether it is heavy, when it is due, and a case in launch().
    //
    // The catalog first: light, and not a transfer of its own (launch() starts its jobs beside
    // the transfers and returns 0), so it never holds the tasks below up. At open the engine
    // syncs already; the first look then finds that sync running and only records the time.
    Scheduler::Task catalog;
    catalog.key = QStringLiteral("catalog.sync");
    catalog.due = [this](qint64 since) {
        return m_vault && (since < 0 || since >= secondsSetting(QStringLiteral("catalog.sync_secs"),
                                                                DefaultCatalogSyncSecs));
    };
    m_scheduler->addTask(catalog);
    Scheduler::Task drain;
    drain.key = QStringLiteral("drain");
    drain.heavy = true;
    drain.due = [this](qint64 since) {
        return m_vault && !m_vault->registry().drains().isEmpty() &&
               (since < 0 || since >= retrySecs());
    };
    m_scheduler->addTask(drain);
    Scheduler::Task repair;
    repair.key = QStringLiteral("repair");
    repair.heavy = true;
    repair.due = [this](qint64 since) {
        return m_vault && !m_vault->registry().degradedModels().isEmpty() &&
               (since < 0 || since >= retrySecs());
    };
    m_scheduler->addTask(repair);
    // Scrub: the copies the schedule says are due (ScrubJob::scheduled: checked daily, read back
    // monthly by default), at the vault's pace. What it finds bad degrades its models, and the
    // repair task above makes the copies again. The cheap pass moves almost no bytes.
    for (const bool read : {false, true}) {
        Scheduler::Task scrub;
        scrub.key = read ? QStringLiteral("scrub.read") : QStringLiteral("scrub.check");
        scrub.heavy = read;
        scrub.due = [this, read](qint64 since) {
            if (!m_vault || (since >= 0 && since < retrySecs()))
                return false;
            const Registry::ScrubPass pass =
                read ? Registry::ScrubPass::Read : Registry::ScrubPass::Check;
            const ScrubJob::Options o = ScrubJob::scheduled(m_vault->registry(), pass);
            const qint64 dueBefore = QDateTime::currentSecsSinceEpoch() - o.intervalSecs + 1;
            return m_vault->registry().scrubDue(pass, dueBefore).placements > 0;
        };
        m_scheduler->addTask(scrub);
    }
}

qint64 EngineWorker::launch(const Scheduler::Task& task)
{
    if (!m_vault)
        return 0;
    if (task.key == QLatin1String("catalog.sync")) {
        if (m_catalogJobs.isEmpty())
            syncCatalog();
        return 0;
    }
    TransferRequest request;
    if (task.key == QLatin1String("repair")) {
        request = RepairRequest{0};
    } else if (task.key.startsWith(QLatin1String("scrub."))) {
        request = ScrubRequest{task.key == QLatin1String("scrub.read")};
    } else if (task.key == QLatin1String("drain")) {
        const QList<Registry::Drain> drains = m_vault->registry().drains();
        if (drains.isEmpty())
            return 0;
        // In turn, so one provider that stays away does not hold the others up.
        const Registry::Drain& d = drains.at(int(m_nextDrain++ % quint64(drains.size())));
        DrainRequest drain;
        drain.providerId = d.providerId;
        request = drain;
    } else {
        return 0;
    }
    // The previous run of the same task leaves the list: the latest says how it went.
    const auto previous = m_backgroundByTask.constFind(task.key);
    if (previous != m_backgroundByTask.cend())
        forget(*previous);
    const qint64 id = ++*m_ids;
    m_backgroundByTask.insert(task.key, id);
    add(id, std::move(request), true, task.key);
    return id;
}

void EngineWorker::forget(qint64 id)
{
    const auto it = m_transfers.find(id);
    if (it == m_transfers.end() || !it->second.info.isFinished() || it->second.job)
        return;
    if (m_vault && it->second.rowId)
        m_vault->registry().removeJob(it->second.rowId);
    m_transfers.erase(it);
    Q_EMIT transferRemoved(id);
}

void EngineWorker::resumeBackgroundIfAllowed()
{
    const qint64 id = m_scheduler ? m_scheduler->runningTransfer() : 0;
    Transfer* t = id ? find(id) : nullptr;
    if (!t || t->info.state != TransferInfo::State::Paused || m_scheduler->isPaused() ||
        !m_scheduler->deferReason().isEmpty())
        return;
    resume(id);
}

void EngineWorker::setSyncPaused(bool paused)
{
    if (m_scheduler)
        m_scheduler->setPaused(paused);
}

void EngineWorker::setSyncPolicy(bool allowMetered, bool allowBattery)
{
    if (!m_scheduler)
        return;
    m_scheduler->setAllowMetered(allowMetered);
    m_scheduler->setAllowBattery(allowBattery);
    resumeBackgroundIfAllowed();
    emitSyncStatus();
}

void EngineWorker::setSchedulerTick(int ms)
{
    if (m_scheduler)
        m_scheduler->setTickMs(ms);
}

void EngineWorker::emitSyncStatus()
{
    SyncStatus s = m_syncStatus;
    if (m_scheduler) {
        s.paused = m_scheduler->isPaused();
        s.deferReason = m_scheduler->deferReason();
        s.running = m_scheduler->runningTask();
    }
    if (m_vault) {
        s.degradedModels = int(m_vault->registry().degradedModels().size());
        s.drains = int(m_vault->registry().drains().size());
    }
    m_syncStatus = s;
    Q_EMIT syncStatusChanged(s);
}

// What a background repair or drain did, for the tray: one notice per change, never the same
// problem again and again while a provider stays away.
void EngineWorker::noteBackgroundResult(const Transfer& t, qint64 copiesMade)
{
    if (!t.info.background)
        return;
    QString problem;
    if (t.info.state == TransferInfo::State::Failed)
        problem = t.info.error;
    else if (t.info.state == TransferInfo::State::Degraded)
        problem = t.info.warnings.value(t.info.warnings.size() - 1);
    if (copiesMade > 0) {
        m_syncStatus.lastRepair = QDateTime::currentDateTimeUtc();
        m_syncStatus.lastRepairCopies = int(copiesMade);
        Q_EMIT syncNotice(
            tr("Repaired"),
            tr("%n missing copy(ies) of chunks were made again", nullptr, int(copiesMade)), false);
    }
    if (!problem.isEmpty() && problem != m_syncStatus.problem)
        Q_EMIT syncNotice(tr("Cannot repair everything now"), problem, true);
    m_syncStatus.problem = problem;
    emitSyncStatus();
}

bool EngineWorker::startRepair(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<RepairJob*>(made.work);
    const qint64 id = t.info.id;
    t.job = job;
    t.bytesDone = [job] { return job->progressNow().bytesDone; };
    connect(job, &RepairJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &RepairJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &RepairJob::finished, this, [this, id, job] {
        const Error& e = job->error();
        for (const QString& p : job->report().problems.mid(0, 5))
            addWarning(id, p);
        const qint64 copies = job->report().copiesMade;
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
        if (Transfer* x = find(id))
            noteBackgroundResult(*x, copies);
        // Models whose copies came back (or were found lost) show it.
        for (qint64 model : m_vault->registry().degradedModels())
            Q_EMIT modelChanged(model);
        Q_EMIT modelsHealthChanged();
    });
    job->start();
    t.info.totalBytes = job->progressNow().totalBytes;
    return true;
}

bool EngineWorker::startScrub(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<ScrubJob*>(made.work);
    const qint64 id = t.info.id;
    t.job = job;
    t.bytesDone = [job] { return job->progressNow().bytesDone; };
    connect(job, &ScrubJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &ScrubJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &ScrubJob::finished, this, [this, id, job] {
        const Error& e = job->error();
        const ScrubJob::Report r = job->report();
        for (const QString& p : r.problems.mid(0, 5))
            addWarning(id, p);
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
        m_syncStatus.lastScrub = QDateTime::currentDateTimeUtc();
        if (r.bad() > 0) {
            Q_EMIT syncNotice(
                tr("Scrub found lost copies"),
                tr("%n copy(ies) missing or corrupt on a provider; repairing", nullptr, r.bad()),
                true);
            for (qint64 model : m_vault->registry().degradedModels())
                Q_EMIT modelChanged(model);
            Q_EMIT modelsHealthChanged();
            if (m_scheduler)
                m_scheduler->poke(); // the repair task is due now
        }
        emitSyncStatus();
    });
    job->start();
    t.info.totalBytes = job->progressNow().totalBytes;
    return true;
}

bool EngineWorker::startDrain(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<DrainJob*>(made.work);
    const qint64 providerId = job->providerId();
    const qint64 id = t.info.id;
    t.job = job;
    t.bytesDone = [job] { return job->progressNow().bytesDone; };
    connect(job, &DrainJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &DrainJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &DrainJob::finished, this, [this, id, job, providerId] {
        const Error& e = job->error();
        const qint64 copies = job->report().copiesMade;
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
        if (Transfer* x = find(id))
            noteBackgroundResult(*x, copies);
        m_vault->dropProvider(providerId);
        Q_EMIT providersChanged();
        Q_EMIT modelsHealthChanged();
        emitStats();
    });
    job->start();
    return true;
}

} // namespace mf
