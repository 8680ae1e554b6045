// The scheduler half of SyncService: the background tasks (repair of degraded models, drains
// left unfinished, scrubs, the periodic catalog sync, whatever else registers a task) and what the
// tray shows of them. The transfers they start run in the engine's queue (transferqueue_sync.cpp
// says how a repair, drain or scrub runs there).
#include "syncservice.h"

#include "sync/catalogcollectjob.h"
#include "sync/powerstate.h"
#include "sync/scrubjob.h"
#include "transfer/transferjob.h"
#include "util/units.h"
#include "vault/thiscomputer.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QStorageInfo>

namespace mf {

SyncService::SyncService(Queue queue, QObject* parent)
    : QObject(parent)
    , m_queue(std::move(queue))
    , m_diskCheck(new QTimer(this))
{
    setUpScheduler();
    m_diskCheck->setInterval(10 * 60 * 1000);
    connect(m_diskCheck, &QTimer::timeout, this, &SyncService::checkDiskSpace);
}

SyncService::~SyncService() = default;

void SyncService::start(Vault* vault)
{
    m_vault = vault;
    m_closed = false;
    m_nextCheckStale = true;
    m_power->start();
    m_scheduler->setRegistry(&m_vault->registry());
    m_scheduler->start();
    emitStatus();
    m_diskLowSaid = false;
    m_diskCheck->start();
    checkDiskSpace();
}

void SyncService::checkDiskSpace()
{
    if (!m_vault)
        return;
    // On the engine thread: a statvfs, never on the GUI's.
    const QStorageInfo disk(m_vault->directory());
    const bool low = disk.isValid() && disk.isReady() &&
                     thiscomputer::diskSpaceIsLow(disk.bytesAvailable(), disk.bytesTotal());
    if (low && !m_diskLowSaid) {
        Q_EMIT notice(tr("Low disk space"),
                      tr("The disk that holds the vault has %1 free. To free up space, choose "
                         "Free up space… on a model: it stays available from the providers.")
                          .arg(units::formatBytes(disk.bytesAvailable())),
                      true);
        Q_EMIT diskSpaceLow();
    }
    m_diskLowSaid = low;
}

void SyncService::close()
{
    m_closed = true;
    m_diskCheck->stop();
    m_scheduler->stop();
    m_scheduler->setRegistry(nullptr);
    for (const QPointer<TransferJob>& job : std::as_const(m_catalogJobs))
        if (job) {
            job->disconnect(this);
            job->abort();
            delete job;
        }
    m_catalogJobs.clear();
    m_recovery = {};
    m_vault = nullptr;
}

void SyncService::noteScrub(int bad)
{
    m_status.lastScrub = QDateTime::currentDateTimeUtc();
    m_nextCheckStale = true;
    if (bad > 0) {
        Q_EMIT notice(tr("Scrub found lost copies"),
                      units::counted(bad, tr("1 copy missing or corrupt on a provider; repairing"),
                                     tr("%1 copies missing or corrupt on a provider; repairing")),
                      true);
        if (m_vault)
            for (qint64 model : m_vault->registry().healthRows().degradedModels())
                Q_EMIT modelChanged(model);
        Q_EMIT modelsHealthChanged();
        m_scheduler->poke(); // the repair task is due now
    }
    emitStatus();
}

namespace {
// A background repair or drain that could not finish (a provider still away) is tried again
// after this long; the vault setting "sync.retry_secs" changes it.
constexpr qint64 DefaultRetrySecs = 300;
// Other computers' changes to the catalog are taken in (and this one's that could not be
// published are tried again) this often; the vault setting "catalog.sync_secs" changes it.
// The collector's grace period is never less than two of these (CatalogCollectJob).
constexpr qint64 DefaultCatalogSyncSecs = CatalogCollectJob::DefaultSyncSecs;
} // namespace

qint64 SyncService::secondsSetting(const QString& key, qint64 fallback)
{
    bool ok = false;
    const qint64 secs = m_vault ? m_vault->registry().settings().setting(key).toLongLong(&ok) : 0;
    return ok && secs >= 0 ? secs : fallback;
}

qint64 SyncService::retrySecs()
{
    return secondsSetting(QStringLiteral("sync.retry_secs"), DefaultRetrySecs);
}

void SyncService::setUpScheduler()
{
    m_power = new PowerState(this);
    m_scheduler = new Scheduler(this);
    m_scheduler->setPowerState(m_power);
    connect(m_scheduler, &Scheduler::stopRequested, this, [this](qint64 id) { m_queue.pause(id); });
    connect(m_scheduler, &Scheduler::statusChanged, this, [this] {
        resumeBackgroundIfAllowed();
        emitStatus();
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
        return m_vault && !m_vault->registry().providerRows().drains().isEmpty() &&
               (since < 0 || since >= retrySecs());
    };
    m_scheduler->addTask(drain);
    Scheduler::Task repair;
    repair.key = QStringLiteral("repair");
    repair.heavy = true;
    repair.due = [this](qint64 since) {
        return m_vault && !m_vault->registry().healthRows().degradedModels().isEmpty() &&
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
            const ScrubRows::ScrubPass pass =
                read ? ScrubRows::ScrubPass::Read : ScrubRows::ScrubPass::Check;
            const ScrubJob::Options o = ScrubJob::scheduled(m_vault->registry(), pass);
            const qint64 dueBefore = QDateTime::currentSecsSinceEpoch() - o.intervalSecs + 1;
            return m_vault->registry().scrubRows().scrubDue(pass, dueBefore).placements > 0;
        };
        m_scheduler->addTask(scrub);
    }
}

qint64 SyncService::launch(const Scheduler::Task& task)
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
        const bool read = task.key == QLatin1String("scrub.read");
        request = ScrubRequest{read, !read && m_checkEveryCopy};
        if (!read) {
            m_checkEveryCopy = false;
            m_nextCheckStale = true;
        }
    } else if (task.key == QLatin1String("drain")) {
        const QList<ProviderRows::Drain> drains = m_vault->registry().providerRows().drains();
        if (drains.isEmpty())
            return 0;
        // In turn, so one provider that stays away does not hold the others up.
        const ProviderRows::Drain& d = drains.at(int(m_nextDrain++ % quint64(drains.size())));
        DrainRequest drain;
        drain.providerId = d.providerId;
        request = drain;
    } else {
        return 0;
    }
    // The previous run of the same task leaves the list: the latest says how it went.
    const auto previous = m_backgroundByTask.constFind(task.key);
    if (previous != m_backgroundByTask.cend())
        m_queue.forget(*previous);
    const qint64 id = m_queue.launch(std::move(request), task.key);
    m_backgroundByTask.insert(task.key, id);
    return id;
}

void SyncService::resumeBackgroundIfAllowed()
{
    const qint64 id = m_scheduler ? m_scheduler->runningTransfer() : 0;
    if (!id || !m_queue.isPaused(id) || m_scheduler->isPaused() ||
        !m_scheduler->deferReason().isEmpty())
        return;
    m_queue.resume(id);
}

void SyncService::setPaused(bool paused)
{
    if (m_scheduler)
        m_scheduler->setPaused(paused);
}

void SyncService::setPolicy(bool allowMetered, bool allowBattery)
{
    if (!m_scheduler)
        return;
    m_scheduler->setAllowMetered(allowMetered);
    m_scheduler->setAllowBattery(allowBattery);
    resumeBackgroundIfAllowed();
    emitStatus();
}

void SyncService::setTick(int ms)
{
    if (m_scheduler)
        m_scheduler->setTickMs(ms);
}

void SyncService::modelsChanged()
{
    m_nextCheckStale = true;
    if (m_statusQueued)
        return;
    m_statusQueued = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_statusQueued = false;
            if (m_vault)
                emitStatus();
        },
        Qt::QueuedConnection);
}

void SyncService::checkNow()
{
    if (!m_scheduler)
        return;
    m_checkEveryCopy = true;
    m_nextCheckStale = true;
    m_scheduler->runNow(QStringLiteral("scrub.check"));
    emitStatus();
}

// When the scheduler next starts a check of the copies: at its next look when copies are due now
// (it looks for them every retrySecs() at the most), else when the first copy falls due (a copy
// is due one interval after it was last checked or stored). Found by asking the registry which
// copies are due at times to come, halving the span: a dozen counts, asked again only when it
// may have changed (models added or removed, a check ended) or once that time has passed.
QDateTime SyncService::nextCheck()
{
    if (!m_vault || !m_scheduler)
        return {};
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (!m_nextCheckStale && (!m_nextCheck.isValid() || m_nextCheck.toSecsSinceEpoch() > now))
        return m_nextCheck;
    m_nextCheckStale = false;
    ScrubRows& scrub = m_vault->registry().scrubRows();
    const qint64 interval =
        ScrubJob::scheduled(m_vault->registry(), ScrubRows::ScrubPass::Check).intervalSecs;
    // Copies due at `t`: neither checked nor stored since t - interval.
    auto dueAt = [&](qint64 t) {
        return scrub.scrubDue(ScrubRows::ScrubPass::Check, t - interval + 1).placements > 0;
    };
    const qint64 last = m_scheduler->lastStart(QStringLiteral("scrub.check"));
    if (m_checkEveryCopy || dueAt(now)) {
        const qint64 next = m_checkEveryCopy || last < 0 ? now : qMax(now, last + retrySecs());
        m_nextCheck = QDateTime::fromSecsSinceEpoch(next, Qt::UTC);
    } else if (!dueAt(now + interval + 1)) {
        m_nextCheck = QDateTime(); // no copies to check
    } else {
        qint64 notYet = now;
        qint64 due = now + interval + 1;
        while (due - notYet > 60) {
            const qint64 mid = notYet + (due - notYet) / 2;
            (dueAt(mid) ? due : notYet) = mid;
        }
        m_nextCheck = QDateTime::fromSecsSinceEpoch(due, Qt::UTC);
    }
    return m_nextCheck;
}

void SyncService::emitStatus()
{
    SyncStatus s = m_status;
    if (m_scheduler) {
        s.paused = m_scheduler->isPaused();
        s.deferReason = m_scheduler->deferReason();
        s.running = m_scheduler->runningTask();
    }
    if (m_vault) {
        s.degradedModels = int(m_vault->registry().healthRows().degradedModels().size());
        s.degradedSharded = m_vault->registry().healthRows().degradedModelsStoredAsShards();
        s.drains = int(m_vault->registry().providerRows().drains().size());
        s.nextCheck = nextCheck();
    }
    m_status = s;
    Q_EMIT statusChanged(s);
}

// What a background repair or drain did, for the tray: one notice per change, never the same
// problem again and again while a provider stays away.
void SyncService::noteBackgroundResult(const TransferInfo& info, qint64 copiesMade)
{
    if (!info.background)
        return;
    QString problem;
    if (info.state == TransferInfo::State::Failed)
        problem = info.error;
    else if (info.state == TransferInfo::State::Degraded)
        problem = info.warnings.value(info.warnings.size() - 1);
    if (copiesMade > 0) {
        m_status.lastRepair = QDateTime::currentDateTimeUtc();
        m_status.lastRepairCopies = int(copiesMade);
        Q_EMIT notice(tr("Repaired"),
                      units::counted(copiesMade,
                                     tr("1 missing copy or shard of a chunk was made again"),
                                     tr("%1 missing copies or shards of chunks were made again")),
                      false);
    }
    if (!problem.isEmpty() && problem != m_status.problem)
        Q_EMIT notice(tr("Cannot repair everything now"), problem, true);
    m_status.problem = problem;
    emitStatus();
}

} // namespace mf
