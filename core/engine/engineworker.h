#pragma once

#include "api/transfercontrol.h"
#include "apiserverstatus.h"
#include "providers/retrypolicy.h"
#include "registry/records.h"
#include "requests/transferrequest.h"
#include "syncstatus.h"
#include "transfer/existingfile.h"
#include "transfer/transferinfo.h"
#include "util/progressmeter.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <atomic>
#include <functional>
#include <map>
#include <memory>

class QNetworkAccessManager;

namespace mf {

class ApiHost;
class ProviderAdmin;
class SyncService;
class TransferJob;
class Vault;

// The Engine's half on the engine thread: owns the Vault, runs the transfer queue (a bounded
// number at once, in the order they were added) and the provider operations. Everything it
// reports goes out as signals, which reach the Engine facade queued on the GUI thread.
class EngineWorker final : public QObject, public api::TransferControl
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineWorker)

public:
    // `ids` hands out transfer ids; shared with the facade, which returns them at once.
    explicit EngineWorker(std::atomic<qint64>* ids, QObject* parent = nullptr);
    ~EngineWorker() override;

    void open(const QString& directory);
    // Runs on a vault opened already (modelfloat-cli serve, with the CLI's vault options), with
    // its bandwidth limits as they are.
    void adopt(std::unique_ptr<Vault> vault);
    // Stops running work without forgetting it (it resumes on the next open) and closes the
    // vault, on this thread, before the thread ends.
    void shutdown();

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
    void pauseAll();
    void resumeAll();
    void clearFinished();
    void setConcurrency(int transfersAtOnce);

    void addProvider(const ProviderRecord& record, const QJsonObject& secrets);
    void updateProvider(const ProviderRecord& record, const QJsonObject& secrets);
    void removeProvider(qint64 id, bool force);
    void testProvider(qint64 id);
    void testProviderSettings(const ProviderRecord& record, const QJsonObject& secrets);
    // Asks every enabled provider what it holds and how much more it takes -> providerSpace.
    void measureProviders();
    void setReplicationFactor(int replicas);
    void setChunker(const QString& spec);
    void setFlushWrites(bool flush);
    // Applied at once to every transfer of the vault (and to a vault opened later).
    void setBandwidthLimits(qint64 uploadBytesPerSecond, qint64 downloadBytesPerSecond);

    // Background sync and the catalog (SyncService).
    void setSyncPaused(bool paused);
    void setSyncPolicy(bool allowMetered, bool allowBattery);
    void setSchedulerTick(int ms);
    // The catalog on the providers: publish this vault's changes and take
    // in other vaults' (also done once the vault is open); recover models from the catalogs
    // on every provider (storage another computer filled).
    void syncCatalog();
    void recoverCatalog();
    void showCatalogKey();
    void importCatalogKey(const QString& recoveryText);

    // The local HTTP API (ApiHost): served on `address`:`port` while `enabled` and a vault
    // is open -> apiServerChanged.
    void setApiServer(bool enabled, quint16 port, bool hubWithoutToken,
                      const QHostAddress& address);

    Vault* vault() const { return m_vault.get(); }

    // api::TransferControl (enginetransfercontrol.cpp): the API's door to this queue.
    QList<TransferInfo> transferList() const override;
    qint64 queueTransfer(const TransferRequest& request) override;
    qint64 adoptTransfer(TransferInfo::Kind kind, const QString& title, TransferJob* job,
                         qint64 modelId) override;
    bool controlTransfer(qint64 id, Action action, QString* why) override;
    api::TransferEvents* transferEvents() override { return &m_transferEvents; }

Q_SIGNALS:
    void opened(const QString& error);
    void transferUpdated(const mf::TransferInfo& info, bool added);
    void transferRemoved(qint64 id);
    void restoreConflict(qint64 id, const QString& destinationDir, const QStringList& files);
    void modelChanged(qint64 modelId);
    void modelRemoved(qint64 modelId);
    void providersChanged();
    void providerError(const QString& message);
    void providerWarning(const QString& message);
    void providerTested(qint64 id, const QString& error, qint64 roundTripMs, qint64 usedBytes,
                        qint64 availableBytes);
    void providerSpace(qint64 id, qint64 usedBytes, qint64 availableBytes);
    void statsChanged(const mf::VaultStats& stats);
    void busyChanged(bool busy);
    void syncStatusChanged(const mf::SyncStatus& status);
    // Something the background sync did that the user should hear of (the tray notifies).
    void syncNotice(const QString& title, const QString& text, bool isProblem);
    // Models' health may have changed (a repair or drain ended): rows are read again.
    void modelsHealthChanged();
    void catalogSynced(const QString& summary, const QString& error);
    void catalogRecovered(const QString& summary, const QString& error);
    void catalogKeyShown(const QString& recoveryText, const QString& error);
    void catalogKeyImported(const QString& error);
    void apiServerChanged(const mf::ApiServerStatus& status);

private:
    enum class Stop { None, Pause, Cancel, Shutdown };
    struct Transfer
    {
        TransferInfo info;
        TransferRequest request; // what to do; its per-run notes too (a restore's answers)
        bool started = false;    // it ran before (a resumed removal or materialize knows)
        bool adopted = false;    // the API's upload (adoptTransfer()): never stored
        QString task;            // the scheduler's task that started it
        qint64 rowId = 0;        // in the registry's jobs table; 0 when it could not be stored
        QObject* job = nullptr;
        std::function<qint64()> bytesDone;
        std::function<RetryWait()> retryWait; // what it waits on (a float's providers retried)
        ProgressMeter meter;
        Stop stop = Stop::None;
        bool dirty = false;
        qint64 lastModelSignalMs = 0;
        qint64 runStartMs = -1; // nowMs() when its current run started; -1: not running
        // Fills in what its job knows of chunks, retries and stage (unset: the job says none).
        std::function<void(TransferInfo&)> describe;
    };
    // Its details that the registry knows (providers, chunks of its model), read when it starts
    // and when it ends.
    void describeFromRegistry(Transfer& t);
    // The vault is open: its queue, scheduler and API start.
    void startOnVault();
    // Reads back the transfers the registry keeps (enginehistory.cpp): those to resume, and the
    // finished ones (the history), after pruning old ones.
    void loadRows();
    // A transfer read back from its registry row (queued, paused, or finished: the history);
    // nothing when the row's kind is not known.
    static std::optional<Transfer> fromRow(const QJsonObject& payload, bool finished);
    // Its registry row's payload: the request's keys and the record's (enginehistory.cpp).
    static QJsonObject rowJson(const Transfer& t);
    // What makeJob() needs besides the request.
    JobContext jobContext(const Transfer& t);
    // Its current run ended: the time it ran is added to its history.
    static void endRun(Transfer& t);

    Transfer* find(qint64 id);
    void insert(Transfer transfer);
    void schedule();
    void start(Transfer& t);
    // Its job started: it runs from now on (progress, history, state).
    void began(Transfer& t);
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
    void forget(qint64 id); // a finished transfer leaves the list and the registry
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
    void emitStats();
    void updateBusy();
    int runningCount() const;

    std::atomic<qint64>* m_ids;
    std::unique_ptr<Vault> m_vault;
    std::map<qint64, Transfer> m_transfers; // by id: the queue order
    int m_concurrency = 2;
    qint64 m_uploadLimit = 0; // bytes per second, 0: none
    qint64 m_downloadLimit = 0;
    QTimer m_progressTimer;                     // throttles transferChanged
    QTimer m_wakeTimer;                         // the next transfer waiting for a provider
    QNetworkAccessManager* m_network = nullptr; // for Hub imports; made on first use, here
    bool m_busy = false;
    bool m_shuttingDown = false;
    SyncService* m_sync = nullptr;            // the scheduler and the catalog
    ApiHost* m_apiHost = nullptr;             // the local HTTP API
    ProviderAdmin* m_providerAdmin = nullptr; // add, edit, remove, test providers
    api::TransferEvents m_transferEvents;     // transferUpdated/-Removed, for the API's streams
};

} // namespace mf
