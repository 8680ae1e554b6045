#include "transferqueue.h"

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
// "destination", ... for a restore) and the queue's record of it (rowJson(),
// transferqueue_history.cpp): "kind", "title", "created" (ms since the epoch), "background" and
// "task" (the scheduler started it), "paused", "started" (it ran before), "degraded", and its
// history: "startedAt", "finishedAt" (ms since the epoch), "activeMs" (time it ran, over all runs),
// "error", "doneBytes", "sentBytes", "deduplicatedBytes", "chunksDone", "chunksTotal", "retries",
// "warnings", "providerNames". The key names are those of every earlier version, so a vault's
// queue resumes across an upgrade.
// Finished rows stay, the history shown after a restart (transferqueue_history.cpp).
// Row state "queued" (or "running" after a crash) means: resume on open, or keep paused.
// "waitUntil" (ms since the epoch): it waits for a paused provider and starts then; a float
// that waits has "topUp" (its next run makes the copies its complete files lack).

using transferrows::nowMs;
using transferrows::resumesFromStoredChunks;
using transferrows::RowKind;

namespace {

constexpr int ProgressIntervalMs = 200;        // transferChanged at most 5/s per transfer
constexpr qint64 ModelSignalIntervalMs = 2000; // a growing model's row, chunk map

// What a transfer held back by holdTask() says in its row.
QString heldStage(const QString& reason)
{
    return QCoreApplication::translate("mf::TransferQueue", "Waits: %1").arg(reason);
}

} // namespace

TransferQueue::TransferQueue(std::atomic<qint64>* ids, QObject* parent)
    : QObject(parent)
    , m_ids(ids)
    , m_progressTimer(this)
    , m_wakeTimer(this) // a child, so it moves to the engine thread with the queue
{
    m_progressTimer.setInterval(ProgressIntervalMs);
    connect(&m_progressTimer, &QTimer::timeout, this, &TransferQueue::emitProgress);
    m_wakeTimer.setSingleShot(true);
    connect(&m_wakeTimer, &QTimer::timeout, this, &TransferQueue::schedule);
    m_transferEvents.setParent(this); // moves to the engine thread with the queue
    connect(this, &TransferQueue::transferUpdated, &m_transferEvents,
            &api::TransferEvents::transferUpdated);
    connect(this, &TransferQueue::transferRemoved, &m_transferEvents,
            &api::TransferEvents::transferRemoved);
}

TransferQueue::~TransferQueue() = default;

void TransferQueue::open(Vault* vault)
{
    m_vault = vault;
    m_closing = false;
    loadRows();
}

void TransferQueue::close()
{
    m_closing = true;
    m_progressTimer.stop();
    for (auto& [id, t] : m_transfers) {
        if (!t.job)
            continue;
        t.stop = Stop::Shutdown;
        endRun(t);
        if (t.progress && m_vault && t.rowId) {
            // Where it stopped, for the row shown until it runs again after the next open.
            t.info.doneBytes = t.doneBytes(t.progress());
            m_vault->registry().queueRows().setJobPayload(t.rowId, rowJson(t));
        }
        t.job->disconnect(this);
        // Running work stays "queued" in the registry: the next open resumes it.
        abortJob(t, Stop::Shutdown);
        delete t.job;
        t.job = nullptr;
        if (m_vault && t.rowId)
            m_vault->registry().queueRows().setJobState(t.rowId, QStringLiteral("queued"));
    }
    // Our rows are free for the next process that opens the vault, at once (this process may
    // still be ending when it does).
    if (m_vault) {
        for (auto& [id, t] : m_transfers)
            if (t.rowId)
                m_vault->registry().queueRows().takeOverJob(t.rowId,
                                                            leaseowner::processLeaseOwner(), {});
    }
}

void TransferQueue::clear()
{
    m_transfers.clear();
    m_vault = nullptr;
}

bool TransferQueue::isPaused(qint64 id) const
{
    const auto it = m_transfers.find(id);
    return it != m_transfers.end() && it->second.info.state == TransferInfo::State::Paused;
}

void TransferQueue::forget(qint64 id)
{
    const auto it = m_transfers.find(id);
    if (it == m_transfers.end() || !it->second.info.isFinished() || it->second.job)
        return;
    if (m_vault && it->second.rowId)
        m_vault->registry().queueRows().removeJob(it->second.rowId);
    m_transfers.erase(it);
    Q_EMIT transferRemoved(id);
}

TransferQueue::Transfer* TransferQueue::find(qint64 id)
{
    const auto it = m_transfers.find(id);
    return it == m_transfers.end() ? nullptr : &it->second;
}

void TransferQueue::insert(Transfer transfer)
{
    const qint64 id = transfer.info.id;
    auto& t = m_transfers.emplace(id, std::move(transfer)).first->second;
    Q_EMIT transferUpdated(t.info, true);
}

void TransferQueue::add(qint64 id, TransferRequest request, bool background, const QString& task)
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
            if (const auto row = m_vault->registry().queueRows().addJob(RowKind, rowJson(t))) {
                t.rowId = *row;
                persist(t);
            }
        insert(std::move(t));
        return;
    }
    if (const auto row = m_vault->registry().queueRows().addJob(RowKind, rowJson(t)))
        t.rowId = *row;
    insert(std::move(t));
    schedule();
}

int TransferQueue::runningCount() const
{
    int n = 0;
    for (const auto& [id, t] : m_transfers)
        n += t.job ? 1 : 0;
    return n;
}

int TransferQueue::runningCount(bool background) const
{
    int n = 0;
    for (const auto& [id, t] : m_transfers)
        n += t.job && t.info.background == background ? 1 : 0;
    return n;
}

void TransferQueue::schedule()
{
    if (!m_vault || m_closing)
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
        // Background work that may not run now, or a repair and a conversion of one model: the
        // row says why it waits.
        const QString reason = !t.task.isEmpty() && m_heldTasks.contains(t.task)
                                   ? m_heldTasks.value(t.task)
                                   : waitsForConversion(t);
        if (!reason.isEmpty()) {
            const QString stage = heldStage(reason);
            if (t.info.stage != stage) {
                t.info.stage = stage;
                Q_EMIT transferUpdated(t.info, false);
            }
            continue;
        }
        t.info.waitingUntil = QDateTime();
        start(t);
    }
    armWakeTimer();
    updateBusy();
}

QString TransferQueue::waitsForConversion(const Transfer& waiting) const
{
    // A conversion retires the objects of the model's old scheme while it stores the new one; a
    // repair running beside it would make again what it retires (copies of a model becoming
    // shards), so the two never run on one model at once. A repair of the whole vault (model 0)
    // touches every model.
    using Kind = TransferInfo::Kind;
    const auto repairsOrConverts = [](Kind k) { return k == Kind::Repair || k == Kind::Convert; };
    if (!repairsOrConverts(waiting.info.kind))
        return {};
    for (const auto& [id, t] : m_transfers) {
        if (!t.job || !repairsOrConverts(t.info.kind))
            continue;
        if (t.info.kind != Kind::Convert && waiting.info.kind != Kind::Convert)
            continue; // two repairs may run together, as before
        const qint64 a = t.info.modelId;
        const qint64 b = waiting.info.modelId;
        if (a != 0 && b != 0 && a != b)
            continue;
        if (t.info.kind != Kind::Convert)
            return QCoreApplication::translate("mf::TransferQueue", "a repair is running");
        const auto model = m_vault->registry().modelRows().model(a);
        return QCoreApplication::translate("mf::TransferQueue", "“%1” is being converted")
            .arg(model ? model->name : t.info.title);
    }
    return {};
}

void TransferQueue::armWakeTimer()
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

void TransferQueue::start(Transfer& t)
{
    t.stop = Stop::None;
    t.meter = ProgressMeter();
    t.info.error.clear();
    // Running it would bring its removed model back.
    if (endIfCancelledInRegistry(t))
        return;
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
    case TransferInfo::Kind::Convert: // the repair's job, with a target scheme
        ok = startRepair(t, &error);
        break;
    case TransferInfo::Kind::Drain:
        ok = startDrain(t, &error);
        break;
    case TransferInfo::Kind::Scrub:
        ok = startScrub(t, &error);
        break;
    case TransferInfo::Kind::Offload:
    case TransferInfo::Kind::Pin:
    case TransferInfo::Kind::UseInApp:
        ok = startLocalCopies(t, &error);
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

bool TransferQueue::endIfCancelledInRegistry(Transfer& t)
{
    if (t.job || t.info.isFinished() || !t.rowId)
        return false;
    QString reason;
    if (m_vault->registry().queueRows().jobState(t.rowId, &reason) != QLatin1String("cancelled"))
        return false;
    setState(t, TransferInfo::State::Cancelled, reason);
    if (t.info.background)
        m_sync->scheduler()->transferFinished(t.info.id);
    return true;
}

void TransferQueue::began(Transfer& t)
{
    t.started = true;
    // A float or import resumed goes on from the chunks it stored: its new job counts from 0
    // until it has found them again, but the transfer's progress does not go back.
    t.doneFloor = resumesFromStoredChunks(t.info.kind) ? t.info.doneBytes : 0;
    const TransferProgress now = t.progress();
    t.meter.setTotal(t.info.totalBytes);
    t.meter.update(t.doneBytes(now), nowMs());
    t.info.doneBytes = t.doneBytes(now);
    t.runStartMs = nowMs();
    t.info.stage = TransferInfo::stageName(t.info.kind);
    describeFromRegistry(t);
    if (t.describe)
        t.describe(t.info, now);
    if (!t.info.started.isValid())
        t.info.started = QDateTime::currentDateTime();
    setState(t, TransferInfo::State::Running);
    if (!m_progressTimer.isActive())
        m_progressTimer.start();
}

bool TransferQueue::abortJob(Transfer& t, Stop why)
{
    if (auto* job = qobject_cast<TransferJob*>(t.job))
        t.stop = why, job->abort();
    else if (qobject_cast<CredentialJob*>(t.job))
        t.stop = why; // an import still reading the Hub token: it stops once the read ends
    else
        return false;
    return true;
}

void TransferQueue::onJobFinished(qint64 id, const QString& error, bool cancelled,
                                  qint64 waitUntilMs)
{
    Transfer* t = find(id);
    if (!t || !t->job)
        return;
    const auto* transferJob = qobject_cast<TransferJob*>(t->job);
    const bool degraded = transferJob && transferJob->degraded();
    if (transferJob && error.isEmpty() && !cancelled)
        t->info.summary = transferJob->summary();
    const TransferProgress last = t->progress ? t->progress() : TransferProgress{};
    if (t->describe) {
        t->describe(t->info, last);
        t->describe = {};
    }
    t->job->deleteLater();
    t->job = nullptr;
    endRun(*t);
    if (t->progress) {
        t->info.doneBytes = t->doneBytes(last);
        t->progress = {};
    }
    t->doneFloor = 0;
    // Its job is gone, and whatever it retried with it.
    t->info.retrying.clear();
    t->info.nextTry = QDateTime();
    if (cancelled && t->stop == Stop::Hold) {
        // Background work may not run now: it waits, queued, and goes on once it may.
        t->info.bytesPerSecond = 0;
        t->info.etaSeconds = -1;
        setState(*t, TransferInfo::State::Queued);
        emitStats();
        schedule();
        return;
    }
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
        t->info.providers = m_vault->registry().modelRows().providerNamesOfModel(t->info.modelId);

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
            // The removal cancelled the model's queued and paused transfers in the registry.
            for (auto& [otherId, other] : m_transfers)
                endIfCancelledInRegistry(other);
        } else {
            // A restore or materialize that found a bad copy changed the model's health too.
            Q_EMIT modelChanged(t->info.modelId);
            modelCopiesChanged(t->info.modelId);
        }
    }
    emitStats();
    schedule();
}

void TransferQueue::modelCopiesChanged(qint64 modelId)
{
    // The job stored copies of the model's chunks, or found some bad (or good again): every
    // other model using those chunks is as healthy as they are now, and its row says so.
    if (!m_vault)
        return;
    Registry& registry = m_vault->registry();
    const QList<qint64> sharing = registry.healthRows().modelsSharingChunksWith(modelId);
    if (sharing.isEmpty())
        return;
    registry.healthRows().refreshDegraded(sharing);
    for (qint64 id : sharing)
        Q_EMIT modelChanged(id);
}

void TransferQueue::addWarning(qint64 id, const QString& message)
{
    Transfer* t = find(id);
    // A bounded list: a provider failing for every chunk says so once, not ten thousand times.
    constexpr int MaxWarnings = 20;
    if (!t || t->info.warnings.contains(message) || t->info.warnings.size() >= MaxWarnings)
        return;
    t->info.warnings.append(message);
    t->dirty = true;
}

void TransferQueue::setState(Transfer& t, TransferInfo::State state, const QString& error)
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

void TransferQueue::emitProgress()
{
    const qint64 now = nowMs();
    bool anyRunning = false;
    for (auto& [id, t] : m_transfers) {
        if (!t.job || !t.progress)
            continue;
        anyRunning = true;
        const TransferProgress progress = t.progress();
        const qint64 done = t.doneBytes(progress);
        t.meter.update(done, now);
        const double rate = t.meter.bytesPerSecond();
        const qint64 eta = t.meter.etaSeconds();
        if (t.describe) {
            const int chunks = t.info.chunksDone, retries = t.info.retries;
            const QString stage = t.info.stage;
            t.describe(t.info, progress);
            t.dirty = t.dirty || chunks != t.info.chunksDone || retries != t.info.retries ||
                      stage != t.info.stage;
        }
        const RetryWait& wait = progress.retryWait;
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

void TransferQueue::emitStats()
{
    if (m_vault)
        Q_EMIT statsChanged(m_vault->registry().healthRows().stats());
}

void TransferQueue::updateBusy()
{
    const bool busy = runningCount() > 0;
    if (busy == m_busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

void TransferQueue::holdTask(const QString& task, const QString& reason)
{
    if (reason.isEmpty() ? !m_heldTasks.remove(task) : m_heldTasks.value(task) == reason)
        return;
    if (!reason.isEmpty())
        m_heldTasks.insert(task, reason);
    for (auto& [id, t] : m_transfers) {
        if (t.task != task)
            continue;
        if (t.info.state == TransferInfo::State::Running && !reason.isEmpty() &&
            t.stop == Stop::None && !isAdopted(t)) {
            abortJob(t, Stop::Hold); // its finished() queues it again
        } else if (reason.isEmpty() && t.info.state == TransferInfo::State::Queued &&
                   !t.info.stage.isEmpty()) {
            t.info.stage.clear(); // it may run again (schedule() says otherwise if it waits)
            Q_EMIT transferUpdated(t.info, false);
        }
    }
    schedule();
}

void TransferQueue::pause(qint64 id)
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

void TransferQueue::resume(qint64 id)
{
    Transfer* t = find(id);
    if (!t || t->info.state != TransferInfo::State::Paused)
        return;
    setState(*t, TransferInfo::State::Queued);
    schedule();
}

void TransferQueue::cancel(qint64 id)
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

void TransferQueue::retry(qint64 id)
{
    Transfer* t = find(id);
    if (!t || isAdopted(*t) ||
        (t->info.state != TransferInfo::State::Failed &&
         t->info.state != TransferInfo::State::Cancelled))
        return;
    if (!t->rowId && m_vault) {
        // It failed before it was stored (bad input); store it now that it is asked again.
        if (const auto row = m_vault->registry().queueRows().addJob(RowKind, rowJson(*t)))
            t->rowId = *row;
    }
    t->info.doneBytes = 0;
    setState(*t, TransferInfo::State::Queued);
    schedule();
}

void TransferQueue::answerRestoreConflict(qint64 id, const ExistingFileAnswers& answers)
{
    Transfer* t = find(id);
    auto* restore = t ? std::get_if<RestoreRequest>(&t->request) : nullptr;
    if (!restore || t->info.state != TransferInfo::State::Paused)
        return;
    restore->answers.insert(answers);
    setState(*t, TransferInfo::State::Queued);
    schedule();
}

void TransferQueue::pauseAll()
{
    for (auto& [id, t] : m_transfers)
        pause(id);
}

void TransferQueue::resumeAll()
{
    for (auto& [id, t] : m_transfers)
        if (t.info.state == TransferInfo::State::Paused)
            setState(t, TransferInfo::State::Queued);
    schedule();
}

void TransferQueue::clearFinished()
{
    for (auto it = m_transfers.begin(); it != m_transfers.end();) {
        if (it->second.info.isFinished() && !it->second.job) {
            const qint64 id = it->first;
            if (m_vault && it->second.rowId)
                m_vault->registry().queueRows().removeJob(it->second.rowId);
            it = m_transfers.erase(it);
            Q_EMIT transferRemoved(id);
        } else {
            ++it;
        }
    }
}

void TransferQueue::setConcurrency(int transfersAtOnce)
{
    m_concurrency = qBound(1, transfersAtOnce, 16);
    schedule();
}

} // namespace mf
