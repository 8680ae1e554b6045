#pragma once

#include "api/transfercontrol.h"
#include "registry/records.h"
#include "requests/transferrequest.h"
#include "transfer/existingfile.h"
#include "transfer/transferinfo.h"
#include "transfer/transferjob.h"
#include "util/progressmeter.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <atomic>
#include <functional>
#include <map>

class QNetworkAccessManager;

namespace mf {

class SyncService;
class TransferJob;
class Vault;

// The engine's one queue of transfers, on the engine thread: a bounded number run at once, in
// the order they were added (the scheduler's background work in a lane of its own), each made
// from its typed request (core/requests), kept in the registry's jobs table so that it resumes
// after a restart, and its history. The local API's door to it is api::TransferControl.
class TransferQueue final : public QObject, public api::TransferControl
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransferQueue)

public:
    // `ids` hands out transfer ids; shared with the facade, which returns them at once.
    TransferQueue(std::atomic<qint64>* ids, QObject* parent);
    ~TransferQueue() override;

    // `sync`: the background sync its repairs, drains and scrubs report to.
    void setSync(SyncService* sync) { m_sync = sync; }
    // The vault is open: reads back the transfers the registry keeps (those to resume, and the
    // history); schedule() then starts what may run.
    void open(Vault* vault);
    void schedule();
    // Stops running work without forgetting it (it stays queued in the registry and resumes on
    // the next open) and frees its rows for the next process.
    void close();
    // After close(), once the jobs' deferred deletions are done: the vault may go.
    void clear();

    // Queues `request` as transfer `id`; bad input shows as a transfer failed at once, with the
    // reason. background: started by the scheduler (a lane of its own, one at a time), for its
    // task `task`.
    void add(qint64 id, TransferRequest request, bool background = false,
             const QString& task = QString());
    void pause(qint64 id);
    void resume(qint64 id);
    void cancel(qint64 id);
    void retry(qint64 id);
    void answerRestoreConflict(qint64 id, const ExistingFileAnswers& answers);
    // Transfers queued for `task` wait while `reason` is not empty (background work may not run
    // now: sync paused, on battery, on a metered network; the row says why); those running stop
    // and wait, queued, and all go on by themselves once it is empty again.
    void holdTask(const QString& task, const QString& reason);
    void pauseAll();
    void resumeAll();
    void clearFinished();
    void setConcurrency(int transfersAtOnce);
    // A finished transfer leaves the list and the registry.
    void forget(qint64 id);
    bool isPaused(qint64 id) const;
    int runningCount() const;
    void emitStats();

    // api::TransferControl (transferqueue_control.cpp): the API's door to this queue.
    QList<TransferInfo> transferList() const override;
    qint64 queueTransfer(const TransferRequest& request) override;
    qint64 adoptTransfer(TransferInfo::Kind kind, const QString& title, TransferJob* job,
                         qint64 modelId) override;
    bool controlTransfer(qint64 id, Action action, QString* why) override;
    api::TransferEvents* transferEvents() override { return &m_transferEvents; }

Q_SIGNALS:
    void transferUpdated(const mf::TransferInfo& info, bool added);
    void transferRemoved(qint64 id);
    void restoreConflict(qint64 id, const QString& destinationDir, const QStringList& files);
    void modelChanged(qint64 modelId);
    void modelRemoved(qint64 modelId);
    void providersChanged(); // a drain removed its provider
    void statsChanged(const mf::VaultStats& stats);
    void busyChanged(bool busy);
    // Models' health may have changed (a repair or drain ended): rows are read again.
    void modelsHealthChanged();

private:
    // Hold: stopped by holdTask(), to wait queued.
    enum class Stop { None, Pause, Hold, Cancel, Shutdown };
    struct Transfer
    {
        TransferInfo info;
        TransferRequest request; // what to do; its per-run notes too (a restore's answers)
        bool started = false;    // it ran before (a resumed removal or materialize knows)
        bool adopted = false;    // the API's upload (adoptTransfer()): never stored
        QString task;            // the scheduler's task that started it
        qint64 rowId = 0;        // in the registry's jobs table; 0 when it could not be stored
        QObject* job = nullptr;
        // Its job's progress now (unset: no job runs it). Read once per tick: a float's
        // snapshot lists its files, so each read costs a little.
        std::function<TransferProgress()> progress;
        // A float or import resumed: where the transfer stood before this run, which its progress
        // does not go back below while the new job finds again what was stored.
        qint64 doneFloor = 0;
        ProgressMeter meter;
        Stop stop = Stop::None;
        bool dirty = false;
        qint64 lastModelSignalMs = 0;
        qint64 runStartMs = -1; // nowMs() when its current run started; -1: not running
        // Fills in what its job's snapshot says of chunks, retries and stage (unset: the job
        // says none).
        std::function<void(TransferInfo&, const TransferProgress&)> describe;
        qint64 doneBytes(const TransferProgress& now) const
        {
            return qMax(doneFloor, now.bytesDone);
        }
    };
    // Its details that the registry knows (providers, chunks of its model), read when it starts
    // and when it ends.
    void describeFromRegistry(Transfer& t);
    // Why `t`, a repair or a conversion, must wait for another that runs on its model (or on the
    // whole vault); empty when it may start.
    QString waitsForConversion(const Transfer& t) const;
    // Reads back the transfers the registry keeps (transferqueue_history.cpp): those to resume, and
    // the finished ones (the history), after pruning old ones.
    void loadRows();
    // A transfer read back from its registry row (queued, paused, or finished: the history);
    // nothing when the row's kind is not known.
    static std::optional<Transfer> fromRow(const QJsonObject& payload, bool finished);
    // Its registry row's payload: the request's keys and the record's (transferqueue_history.cpp).
    static QJsonObject rowJson(const Transfer& t);
    // What makeJob() needs besides the request.
    JobContext jobContext(const Transfer& t);
    // Its current run ended: the time it ran is added to its history.
    static void endRun(Transfer& t);

    Transfer* find(qint64 id);
    void insert(Transfer transfer);
    void start(Transfer& t);
    // Its job started: it runs from now on (progress, history, state).
    void began(Transfer& t);
    // An unfinished transfer not running whose row the registry says is cancelled (its model
    // was removed, by this process or another) ends so, with the reason. True when it did.
    bool endIfCancelledInRegistry(Transfer& t);
    // Started by the API with bytes that come with its request (adoptTransfer()): it cannot be
    // paused, retried or resumed after a restart.
    static bool isAdopted(const Transfer& t);
    bool startFloat(Transfer& t, QString* error);
    bool startRestore(Transfer& t, QString* error);
    bool startVerify(Transfer& t, QString* error);
    // Chunks found gone may mean the model is gone: another computer sharing the providers
    // removed it and freed them before this vault synced (the CLI's checkRemovedElsewhere()).
    // Pulls the catalog, then ends transfer `id` with what it says of `modelName` ("… was
    // removed on another computer (vault …)"), or with `otherwise` when it was not removed.
    void finishUnlessRemovedElsewhere(qint64 id, const QString& modelName,
                                      const QString& otherwise);
    bool startRemove(Transfer& t, QString* error);
    bool startImport(Transfer& t, QString* error);
    void runImport(qint64 id, const QString& token);
    bool startMaterialize(Transfer& t, QString* error);
    bool startRepair(Transfer& t, QString* error);
    bool startDrain(Transfer& t, QString* error);
    bool startScrub(Transfer& t, QString* error);
    // Offload and pin: a model's copies on this computer (core/offload).
    bool startLocalCopies(Transfer& t, QString* error);
    int runningCount(bool background) const;
    // Asks a running job to stop (Pause/Cancel); false for one that cannot be interrupted.
    bool abortJob(Transfer& t, Stop why);
    // The job ended: `error` empty for success; `cancelled` when it stopped on request.
    // `waitUntilMs` > 0: work is left for a provider that is paused until then (a budget): the
    // transfer is queued again for that time instead of ending.
    void onJobFinished(qint64 id, const QString& error, bool cancelled, qint64 waitUntilMs = -1);
    // A job on this model ended: the models sharing its chunks get their health read again.
    void modelCopiesChanged(qint64 modelId);
    // Starts queued transfers whose wait for a paused provider is over, and sets the timer for
    // the next.
    void armWakeTimer();
    void addWarning(qint64 id, const QString& message);
    void setState(Transfer& t, TransferInfo::State state, const QString& error = {});
    void persist(Transfer& t);
    void emitProgress();
    void updateBusy();

    std::atomic<qint64>* m_ids;
    Vault* m_vault = nullptr;
    SyncService* m_sync = nullptr;
    std::map<qint64, Transfer> m_transfers; // by id: the queue order
    int m_concurrency = 2;
    QHash<QString, QString> m_heldTasks;        // task -> why its transfers wait (holdTask())
    QTimer m_progressTimer;                     // throttles transferChanged
    QTimer m_wakeTimer;                         // the next transfer waiting for a provider
    QNetworkAccessManager* m_network = nullptr; // for Hub imports; made on first use, here
    bool m_busy = false;
    bool m_closing = false;
    api::TransferEvents m_transferEvents; // transferUpdated/-Removed, for the API's streams
};

} // namespace mf
