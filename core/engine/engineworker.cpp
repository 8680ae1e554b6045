#include "engineworker.h"

#include "apihost.h"
#include "provideradmin.h"
#include "syncservice.h"

#include "transfer/transferrows.h"

#include "credentials/credentialstore.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogguard.h"
#include "sync/powerstate.h"
#include "transfer/transferjob.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>

namespace mf {

// A transfer is persisted as one row of the registry's jobs table of kind "transfer". Its payload
// is its request's keys (core/requests: "paths", "model", ... for a float; "modelId",
// "destination", ... for a restore) and the queue's record of it (rowJson(), enginehistory.cpp):
// "kind", "title", "created" (ms since the epoch), "background" and "task" (the scheduler
// started it), "paused", "started" (it ran before), "degraded", and its history: "startedAt",
// "finishedAt" (ms since the epoch), "activeMs" (time it ran, over all runs), "error",
// "doneBytes", "sentBytes", "deduplicatedBytes", "chunksDone", "chunksTotal", "retries",
// "warnings", "providerNames". The key names are those of every earlier version, so a vault's
// queue resumes across an upgrade.
// Finished rows stay, the history shown after a restart (enginehistory.cpp).
// Row state "queued" (or "running" after a crash) means: resume on open, or keep paused.
// "waitUntil" (ms since the epoch): it waits for a paused provider and starts then; a float
// that waits has "topUp" (its next run makes the copies its complete files lack).

using transferrows::nowMs;
using transferrows::resumesFromStoredChunks;
using transferrows::RowKind;

namespace {

constexpr int ProgressIntervalMs = 200;        // transferChanged at most 5/s per transfer
constexpr qint64 ModelSignalIntervalMs = 2000; // a growing model's row, chunk map

} // namespace

EngineWorker::EngineWorker(std::atomic<qint64>* ids, QObject* parent)
    : QObject(parent)
    , m_ids(ids)
    , m_progressTimer(this)
    , m_wakeTimer(this) // a child, so it moves to the engine thread with the worker
{
    m_progressTimer.setInterval(ProgressIntervalMs);
    connect(&m_progressTimer, &QTimer::timeout, this, &EngineWorker::emitProgress);
    m_wakeTimer.setSingleShot(true);
    connect(&m_wakeTimer, &QTimer::timeout, this, &EngineWorker::schedule);
    m_transferEvents.setParent(this); // moves to the engine thread with the worker
    connect(this, &EngineWorker::transferUpdated, &m_transferEvents,
            &api::TransferEvents::transferUpdated);
    connect(this, &EngineWorker::transferRemoved, &m_transferEvents,
            &api::TransferEvents::transferRemoved);
    SyncService::Queue queue;
    queue.launch = [this](TransferRequest request, const QString& task) {
        const qint64 id = ++*m_ids;
        add(id, std::move(request), true, task);
        return id;
    };
    queue.forget = [this](qint64 id) { forget(id); };
    queue.pause = [this](qint64 id) { pause(id); };
    queue.resume = [this](qint64 id) { resume(id); };
    queue.isPaused = [this](qint64 id) {
        const Transfer* t = find(id);
        return t && t->info.state == TransferInfo::State::Paused;
    };
    m_sync = new SyncService(std::move(queue), this);
    connect(m_sync, &SyncService::statusChanged, this, &EngineWorker::syncStatusChanged);
    connect(m_sync, &SyncService::notice, this, &EngineWorker::syncNotice);
    connect(m_sync, &SyncService::catalogSynced, this, &EngineWorker::catalogSynced);
    connect(m_sync, &SyncService::catalogRecovered, this, &EngineWorker::catalogRecovered);
    connect(m_sync, &SyncService::catalogKeyShown, this, &EngineWorker::catalogKeyShown);
    connect(m_sync, &SyncService::catalogKeyImported, this, &EngineWorker::catalogKeyImported);
    connect(m_sync, &SyncService::modelChanged, this, &EngineWorker::modelChanged);
    connect(m_sync, &SyncService::modelRemoved, this, &EngineWorker::modelRemoved);
    connect(m_sync, &SyncService::modelsHealthChanged, this, &EngineWorker::modelsHealthChanged);
    connect(m_sync, &SyncService::providersChanged, this, &EngineWorker::providersChanged);
    connect(m_sync, &SyncService::statsChanged, this, &EngineWorker::emitStats);
    m_apiHost = new ApiHost(this, this);
    connect(m_apiHost, &ApiHost::changed, this, &EngineWorker::apiServerChanged);
    m_providerAdmin = new ProviderAdmin([this](TransferRequest r) { add(++*m_ids, std::move(r)); },
                                        [this] { return runningCount() > 0; }, this);
    auto* admin = m_providerAdmin;
    connect(admin, &ProviderAdmin::providersChanged, this, &EngineWorker::providersChanged);
    connect(admin, &ProviderAdmin::providerError, this, &EngineWorker::providerError);
    connect(admin, &ProviderAdmin::providerWarning, this, &EngineWorker::providerWarning);
    connect(admin, &ProviderAdmin::providerTested, this, &EngineWorker::providerTested);
    connect(admin, &ProviderAdmin::providerSpace, this, &EngineWorker::providerSpace);
    connect(admin, &ProviderAdmin::setupApplied, this, [this] {
        emitStats();
        // Another provider, or one fewer: the copies every chunk wants may have changed.
        if (m_vault)
            m_vault->registry().refreshDegraded();
        Q_EMIT modelsHealthChanged();
        m_sync->emitStatus();
        m_sync->scheduler()->poke();
    });
}

EngineWorker::~EngineWorker()
{
    shutdown();
}

void EngineWorker::open(const QString& directory)
{
    if (m_vault) {
        Q_EMIT opened(tr("A vault is already open here (%1)").arg(m_vault->directory()));
        return;
    }
    QString error;
    // The app opens the vault the user chose (in Settings, with --vault, or the default) and
    // makes it there if it is new: that choice is the app's "create here".
    m_vault = Vault::open(directory, Vault::OpenMode::CreateIfMissing, &error);
    if (!m_vault) {
        Q_EMIT opened(error.isEmpty() ? tr("Cannot open the vault in “%1”").arg(directory) : error);
        return;
    }
    m_vault->bandwidth()->setLimits(m_uploadLimit, m_downloadLimit);
    startOnVault();
}

void EngineWorker::adopt(std::unique_ptr<Vault> vault)
{
    if (m_vault) {
        Q_EMIT opened(tr("A vault is already open here (%1)").arg(m_vault->directory()));
        return;
    }
    m_vault = std::move(vault);
    startOnVault();
}

void EngineWorker::startOnVault()
{
    loadRows();
    Q_EMIT opened(QString());
    emitStats();
    schedule();
    m_sync->start(m_vault.get());
    m_providerAdmin->start(m_vault.get());
    m_apiHost->start(m_vault.get());
    // What other computers sharing the providers changed meanwhile, and what this one has not
    // published yet (a run that ended before it could).
    m_sync->syncCatalog();
}

void EngineWorker::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_progressTimer.stop();
    m_apiHost->close();
    m_sync->close();
    for (auto& [id, t] : m_transfers) {
        if (!t.job)
            continue;
        t.stop = Stop::Shutdown;
        endRun(t);
        if (t.bytesDone && m_vault && t.rowId) {
            // Where it stopped, for the row shown until it runs again after the next open.
            t.info.doneBytes = t.bytesDone();
            m_vault->registry().setJobPayload(t.rowId, rowJson(t));
        }
        t.job->disconnect(this);
        // Running work stays "queued" in the registry: the next open resumes it.
        abortJob(t, Stop::Shutdown);
        delete t.job;
        t.job = nullptr;
        if (m_vault && t.rowId)
            m_vault->registry().setJobState(t.rowId, QStringLiteral("queued"));
    }
    // Our rows are free for the next process that opens the vault, at once (this process may
    // still be ending when it does).
    if (m_vault) {
        for (auto& [id, t] : m_transfers)
            if (t.rowId)
                m_vault->registry().takeOverJob(t.rowId, Registry::processLeaseOwner(), {});
    }
    m_providerAdmin->close();
    // Jobs hand their provider requests to deleteLater(); those (and their leases) must go
    // before the vault.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    m_transfers.clear();
    m_vault.reset();
}

EngineWorker::Transfer* EngineWorker::find(qint64 id)
{
    const auto it = m_transfers.find(id);
    return it == m_transfers.end() ? nullptr : &it->second;
}

void EngineWorker::insert(Transfer transfer)
{
    const qint64 id = transfer.info.id;
    auto& t = m_transfers.emplace(id, std::move(transfer)).first->second;
    Q_EMIT transferUpdated(t.info, true);
}

void EngineWorker::add(qint64 id, TransferRequest request, bool background, const QString& task)
{
    Transfer t;
    t.info.id = id;
    t.info.kind = kindOf(request);
    t.info.background = background;
    t.info.created = QDateTime::currentDateTime();
    t.task = task;
    t.info.modelId = modelIdOf(request);

    QString error;
    if (!m_vault) {
        error = tr("No vault is open");
    } else {
        error = validate(request, *m_vault, &t.info);
        settle(request, *m_vault);
    }
    t.request = std::move(request);
    if (!error.isEmpty()) {
        // Bad input fails at once with the reason; it is stored as failed, in the history, never
        // to be retried at start.
        t.info.state = TransferInfo::State::Failed;
        t.info.error = error;
        t.info.finished = QDateTime::currentDateTime();
        if (m_vault)
            if (const auto row = m_vault->registry().addJob(RowKind, rowJson(t))) {
                t.rowId = *row;
                persist(t);
            }
        insert(std::move(t));
        return;
    }
    if (const auto row = m_vault->registry().addJob(RowKind, rowJson(t)))
        t.rowId = *row;
    insert(std::move(t));
    schedule();
}

int EngineWorker::runningCount() const
{
    int n = 0;
    for (const auto& [id, t] : m_transfers)
        n += t.job ? 1 : 0;
    return n;
}

int EngineWorker::runningCount(bool background) const
{
    int n = 0;
    for (const auto& [id, t] : m_transfers)
        n += t.job && t.info.background == background ? 1 : 0;
    return n;
}

void EngineWorker::schedule()
{
    if (!m_vault || m_shuttingDown)
        return;
    const QDateTime now = QDateTime::currentDateTime();
    // Two lanes: the user's transfers, so many at once; the scheduler's background work, one at
    // a time beside them (it never makes the user's wait).
    for (auto& [id, t] : m_transfers) {
        if (t.info.state != TransferInfo::State::Queued || t.job)
            continue;
        if (runningCount(t.info.background) >= (t.info.background ? 1 : m_concurrency))
            continue;
        if (t.info.waitingUntil.isValid() && t.info.waitingUntil > now)
            continue; // its provider is paused until then
        t.info.waitingUntil = QDateTime();
        start(t);
    }
    armWakeTimer();
    updateBusy();
}

void EngineWorker::armWakeTimer()
{
    QDateTime next;
    for (const auto& [id, t] : m_transfers)
        if (t.info.state == TransferInfo::State::Queued && !t.job &&
            t.info.waitingUntil.isValid() && (!next.isValid() || t.info.waitingUntil < next))
            next = t.info.waitingUntil;
    if (!next.isValid()) {
        m_wakeTimer.stop();
        return;
    }
    // A little after the time, so the provider's pause has surely ended; bounded, since a
    // QTimer's interval is an int and the clock may be changed meanwhile.
    const qint64 ms = QDateTime::currentDateTime().msecsTo(next) + 1000;
    m_wakeTimer.start(int(qBound<qint64>(0, ms, qint64(3600) * 1000)));
}

void EngineWorker::start(Transfer& t)
{
    t.stop = Stop::None;
    t.meter = ProgressMeter();
    t.info.error.clear();
    QString error;
    bool ok = false;
    switch (t.info.kind) {
    case TransferInfo::Kind::Float:
        ok = startFloat(t, &error);
        break;
    case TransferInfo::Kind::Restore:
        ok = startRestore(t, &error);
        break;
    case TransferInfo::Kind::Verify:
        ok = startVerify(t, &error);
        break;
    case TransferInfo::Kind::Remove:
        ok = startRemove(t, &error);
        break;
    case TransferInfo::Kind::Import:
        ok = startImport(t, &error);
        break;
    case TransferInfo::Kind::Materialize:
        ok = startMaterialize(t, &error);
        break;
    case TransferInfo::Kind::Repair:
        ok = startRepair(t, &error);
        break;
    case TransferInfo::Kind::Drain:
        ok = startDrain(t, &error);
        break;
    case TransferInfo::Kind::Scrub:
        ok = startScrub(t, &error);
        break;
    }
    if (!ok) {
        setState(t, TransferInfo::State::Failed, error);
        if (t.info.background)
            m_sync->scheduler()->transferFinished(t.info.id);
        return;
    }
    began(t);
}

void EngineWorker::began(Transfer& t)
{
    t.started = true;
    if (resumesFromStoredChunks(t.info.kind)) {
        // A float or import resumed goes on from the chunks it stored: its new job counts from
        // 0 until it has found them again, but the transfer's progress does not go back.
        t.bytesDone = [floor = t.info.doneBytes, jobBytes = std::move(t.bytesDone)] {
            return qMax(floor, jobBytes());
        };
    }
    t.meter.setTotal(t.info.totalBytes);
    t.meter.update(t.bytesDone(), nowMs());
    t.info.doneBytes = t.bytesDone();
    t.runStartMs = nowMs();
    t.info.stage = TransferInfo::stageName(t.info.kind);
    describeFromRegistry(t);
    if (t.describe)
        t.describe(t.info);
    if (!t.info.started.isValid())
        t.info.started = QDateTime::currentDateTime();
    setState(t, TransferInfo::State::Running);
    if (!m_progressTimer.isActive())
        m_progressTimer.start();
}

bool EngineWorker::abortJob(Transfer& t, Stop why)
{
    if (auto* job = qobject_cast<TransferJob*>(t.job))
        t.stop = why, job->abort();
    else if (qobject_cast<CredentialJob*>(t.job))
        t.stop = why; // an import still reading the Hub token: it stops once the read ends
    else
        return false;
    return true;
}

void EngineWorker::onJobFinished(qint64 id, const QString& error, bool cancelled,
                                 qint64 waitUntilMs)
{
    Transfer* t = find(id);
    if (!t || !t->job)
        return;
    const auto* transferJob = qobject_cast<TransferJob*>(t->job);
    const bool degraded = transferJob && transferJob->degraded();
    if (t->describe) {
        t->describe(t->info);
        t->describe = {};
    }
    t->job->deleteLater();
    t->job = nullptr;
    endRun(*t);
    if (t->bytesDone) {
        t->info.doneBytes = t->bytesDone();
        t->bytesDone = {};
    }
    // Its job is gone, and whatever it retried with it.
    t->retryWait = {};
    t->info.retrying.clear();
    t->info.nextTry = QDateTime();
    if (!cancelled && waitUntilMs > 0 && t->stop == Stop::None) {
        // A provider it needs is paused (a daily cap, a transfer quota): the rest waits for it
        // and goes on by itself then, instead of ending as failed or short of copies.
        t->info.waitingUntil = QDateTime::fromMSecsSinceEpoch(waitUntilMs);
        if (auto* f = std::get_if<FloatRequest>(&t->request))
            f->topUp = true;
        if (!error.isEmpty())
            addWarning(id, error);
        t->info.bytesPerSecond = 0;
        t->info.etaSeconds = -1;
        setState(*t, TransferInfo::State::Queued);
        if (t->info.modelId)
            Q_EMIT modelChanged(t->info.modelId);
        emitStats();
        schedule();
        return;
    }
    const bool succeeded = error.isEmpty() && !cancelled;
    if (succeeded && t->info.kind != TransferInfo::Kind::Remove)
        t->info.doneBytes = t->info.totalBytes;
    // Done: every chunk it had to handle is handled (a float's total is known only now).
    if (succeeded && t->info.chunksTotal < 0 && t->info.chunksDone >= 0)
        t->info.chunksTotal = t->info.chunksDone;
    else if (succeeded && t->info.chunksTotal >= 0)
        t->info.chunksDone = t->info.chunksTotal;
    t->info.stage.clear();
    t->info.bytesPerSecond = 0;
    t->info.etaSeconds = -1;
    // Where its copies are now (a float: the providers it actually used).
    if (t->info.modelId && succeeded && t->info.kind != TransferInfo::Kind::Remove)
        t->info.providers = m_vault->registry().providerNamesOfModel(t->info.modelId);

    if (succeeded && degraded)
        setState(*t, TransferInfo::State::Degraded);
    else if (succeeded)
        setState(*t, TransferInfo::State::Done);
    else if (cancelled && t->stop == Stop::Pause)
        setState(*t, TransferInfo::State::Paused);
    else if (cancelled)
        setState(*t, TransferInfo::State::Cancelled);
    else
        setState(*t, TransferInfo::State::Failed, error);

    if (t->info.background && t->info.isFinished())
        m_sync->scheduler()->transferFinished(id);
    if (t->info.modelId) {
        if (t->info.kind == TransferInfo::Kind::Remove && succeeded) {
            Q_EMIT modelRemoved(t->info.modelId);
        } else {
            // A restore or materialize that found a bad copy changed the model's health too.
            Q_EMIT modelChanged(t->info.modelId);
            modelCopiesChanged(t->info.modelId);
        }
    }
    emitStats();
    schedule();
}

void EngineWorker::modelCopiesChanged(qint64 modelId)
{
    // The job stored copies of the model's chunks, or found some bad (or good again): every
    // other model using those chunks is as healthy as they are now, and its row says so.
    if (!m_vault)
        return;
    Registry& registry = m_vault->registry();
    const QList<qint64> sharing = registry.modelsSharingChunksWith(modelId);
    if (sharing.isEmpty())
        return;
    registry.refreshDegraded(sharing);
    for (qint64 id : sharing)
        Q_EMIT modelChanged(id);
}

void EngineWorker::addWarning(qint64 id, const QString& message)
{
    Transfer* t = find(id);
    // A bounded list: a provider failing for every chunk says so once, not ten thousand times.
    constexpr int MaxWarnings = 20;
    if (!t || t->info.warnings.contains(message) || t->info.warnings.size() >= MaxWarnings)
        return;
    t->info.warnings.append(message);
    t->dirty = true;
}

void EngineWorker::setState(Transfer& t, TransferInfo::State state, const QString& error)
{
    t.info.state = state;
    t.info.error = error;
    if (state != TransferInfo::State::Running)
        t.info.stage.clear();
    if (t.info.isFinished())
        t.info.finished = QDateTime::currentDateTime();
    else
        t.info.finished = QDateTime();
    persist(t);
    t.dirty = false;
    Q_EMIT transferUpdated(t.info, false);
    updateBusy();
}

void EngineWorker::emitProgress()
{
    const qint64 now = nowMs();
    bool anyRunning = false;
    for (auto& [id, t] : m_transfers) {
        if (!t.job || !t.bytesDone)
            continue;
        anyRunning = true;
        const qint64 done = t.bytesDone();
        t.meter.update(done, now);
        const double rate = t.meter.bytesPerSecond();
        const qint64 eta = t.meter.etaSeconds();
        if (t.describe) {
            const int chunks = t.info.chunksDone, retries = t.info.retries;
            const QString stage = t.info.stage;
            t.describe(t.info);
            t.dirty = t.dirty || chunks != t.info.chunksDone || retries != t.info.retries ||
                      stage != t.info.stage;
        }
        const RetryWait wait = t.retryWait ? t.retryWait() : RetryWait{};
        const QDateTime nextTry =
            wait.isEmpty() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(wait.nextTryMs);
        if (!t.dirty && done == t.info.doneBytes && eta == t.info.etaSeconds &&
            qFuzzyCompare(rate + 1, t.info.bytesPerSecond + 1) && wait.reason == t.info.retrying &&
            nextTry == t.info.nextTry)
            continue;
        t.dirty = false;
        t.info.retrying = wait.reason;
        t.info.nextTry = nextTry;
        t.info.doneBytes = done;
        t.info.bytesPerSecond = rate;
        t.info.etaSeconds = eta;
        Q_EMIT transferUpdated(t.info, false);
        if ((t.info.kind == TransferInfo::Kind::Float ||
             t.info.kind == TransferInfo::Kind::Import) &&
            t.info.modelId && now - t.lastModelSignalMs >= ModelSignalIntervalMs) {
            t.lastModelSignalMs = now;
            Q_EMIT modelChanged(t.info.modelId);
        }
    }
    if (!anyRunning)
        m_progressTimer.stop();
}

void EngineWorker::emitStats()
{
    if (m_vault)
        Q_EMIT statsChanged(m_vault->registry().stats());
}

void EngineWorker::updateBusy()
{
    const bool busy = runningCount() > 0;
    if (busy == m_busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

void EngineWorker::pause(qint64 id)
{
    Transfer* t = find(id);
    if (!t)
        return;
    if (t->info.state == TransferInfo::State::Queued) {
        setState(*t, TransferInfo::State::Paused);
    } else if (t->info.state == TransferInfo::State::Running && t->stop == Stop::None &&
               !isAdopted(*t)) {
        // Stopping is asynchronous: the job's finished() makes it Paused. A removal cannot be
        // interrupted halfway and simply runs to its end; an upload's bytes cannot wait.
        abortJob(*t, Stop::Pause);
    }
}

void EngineWorker::resume(qint64 id)
{
    Transfer* t = find(id);
    if (!t || t->info.state != TransferInfo::State::Paused)
        return;
    setState(*t, TransferInfo::State::Queued);
    schedule();
}

void EngineWorker::cancel(qint64 id)
{
    Transfer* t = find(id);
    if (!t)
        return;
    if (t->info.state == TransferInfo::State::Queued ||
        t->info.state == TransferInfo::State::Paused) {
        setState(*t, TransferInfo::State::Cancelled);
    } else if (t->info.state == TransferInfo::State::Running) {
        abortJob(*t, Stop::Cancel);
    }
}

void EngineWorker::retry(qint64 id)
{
    Transfer* t = find(id);
    if (!t || isAdopted(*t) ||
        (t->info.state != TransferInfo::State::Failed &&
         t->info.state != TransferInfo::State::Cancelled))
        return;
    if (!t->rowId && m_vault) {
        // It failed before it was stored (bad input); store it now that it is asked again.
        if (const auto row = m_vault->registry().addJob(RowKind, rowJson(*t)))
            t->rowId = *row;
    }
    t->info.doneBytes = 0;
    setState(*t, TransferInfo::State::Queued);
    schedule();
}

void EngineWorker::answerRestoreConflict(qint64 id, const ExistingFileAnswers& answers)
{
    Transfer* t = find(id);
    auto* restore = t ? std::get_if<RestoreRequest>(&t->request) : nullptr;
    if (!restore || t->info.state != TransferInfo::State::Paused)
        return;
    restore->answers.insert(answers);
    setState(*t, TransferInfo::State::Queued);
    schedule();
}

void EngineWorker::pauseAll()
{
    for (auto& [id, t] : m_transfers)
        pause(id);
}

void EngineWorker::resumeAll()
{
    for (auto& [id, t] : m_transfers)
        if (t.info.state == TransferInfo::State::Paused)
            setState(t, TransferInfo::State::Queued);
    schedule();
}

void EngineWorker::clearFinished()
{
    for (auto it = m_transfers.begin(); it != m_transfers.end();) {
        if (it->second.info.isFinished() && !it->second.job) {
            const qint64 id = it->first;
            if (m_vault && it->second.rowId)
                m_vault->registry().removeJob(it->second.rowId);
            it = m_transfers.erase(it);
            Q_EMIT transferRemoved(id);
        } else {
            ++it;
        }
    }
}

void EngineWorker::setConcurrency(int transfersAtOnce)
{
    m_concurrency = qBound(1, transfersAtOnce, 16);
    schedule();
}

void EngineWorker::setReplicationFactor(int replicas)
{
    if (!m_vault)
        return;
    if (replicas < 1 || replicas > 16 || !m_vault->setReplicationFactor(replicas))
        return Q_EMIT providerError(tr("The replication factor must be a number from 1 to 16"));
    // The copies every chunk wants changed: models short of them (or no longer) say so now,
    // and repair makes the new copies.
    m_vault->registry().refreshDegraded();
    Q_EMIT modelsHealthChanged();
    m_sync->emitStatus();
    m_sync->scheduler()->poke();
}

void EngineWorker::setFlushWrites(bool flush)
{
    // Adapters read the vault's switch at each write: running transfers follow at once.
    if (m_vault && !m_vault->setFlushWrites(flush))
        Q_EMIT providerError(m_vault->registry().lastError());
}

void EngineWorker::setChunker(const QString& spec)
{
    if (!m_vault)
        return;
    QString why;
    const auto params = ChunkerParams::fromString(spec, &why);
    if (!params || !params->isValid(&why) || !m_vault->setDefaultChunker(*params))
        Q_EMIT providerError(tr("Chunker “%1” is not valid: %2").arg(spec, why));
}

} // namespace mf

namespace mf {

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

void EngineWorker::setSyncPaused(bool paused)
{
    m_sync->setPaused(paused);
}

void EngineWorker::setSyncPolicy(bool allowMetered, bool allowBattery)
{
    m_sync->setPolicy(allowMetered, allowBattery);
}

void EngineWorker::setSchedulerTick(int ms)
{
    m_sync->setTick(ms);
}

void EngineWorker::syncCatalog()
{
    m_sync->syncCatalog();
}

void EngineWorker::recoverCatalog()
{
    m_sync->recoverCatalog();
}

void EngineWorker::showCatalogKey()
{
    m_sync->showCatalogKey();
}

void EngineWorker::importCatalogKey(const QString& recoveryText)
{
    m_sync->importCatalogKey(recoveryText);
}

void EngineWorker::addProvider(const ProviderRecord& record, const QJsonObject& secrets)
{
    m_providerAdmin->addProvider(record, secrets);
}

void EngineWorker::updateProvider(const ProviderRecord& record, const QJsonObject& secrets)
{
    m_providerAdmin->updateProvider(record, secrets);
}

void EngineWorker::removeProvider(qint64 id, bool force)
{
    m_providerAdmin->removeProvider(id, force);
}

void EngineWorker::testProvider(qint64 id)
{
    m_providerAdmin->testProvider(id);
}

void EngineWorker::testProviderSettings(const ProviderRecord& record, const QJsonObject& secrets)
{
    m_providerAdmin->testProviderSettings(record, secrets);
}

void EngineWorker::measureProviders()
{
    m_providerAdmin->measureProviders();
}

void EngineWorker::setApiServer(bool enabled, quint16 port, bool hubWithoutToken,
                                const QHostAddress& address)
{
    m_apiHost->set(enabled, port, hubWithoutToken, address);
}

void EngineWorker::setBandwidthLimits(qint64 uploadBytesPerSecond, qint64 downloadBytesPerSecond)
{
    m_uploadLimit = qMax<qint64>(0, uploadBytesPerSecond);
    m_downloadLimit = qMax<qint64>(0, downloadBytesPerSecond);
    // Running transfers follow at once: every adapter asks the vault's limiter for each piece.
    if (m_vault)
        m_vault->bandwidth()->setLimits(m_uploadLimit, m_downloadLimit);
}

} // namespace mf
