#pragma once

#include "requests/transferrequest.h"
#include "sync/catalogsyncjob.h"
#include "sync/scheduler.h"
#include "syncstatus.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>

namespace mf {

class PowerState;
class TransferJob;
class Vault;

// The background sync of the open vault: the scheduler and the tasks it starts (repair of
// degraded models, drains left unfinished, scrubs, the periodic catalog sync), what the tray
// shows of it, and the catalog on the providers (docs/catalog.md): publishing this vault's
// changes, taking in other vaults', recovering models, the catalog key. Lives on the engine
// thread; the transfers it starts run in the engine's queue, which it reaches through `Queue`.
class SyncService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SyncService)

public:
    // What it asks of the transfer queue.
    struct Queue
    {
        // Queues a background transfer for the scheduler's task `task`; its id.
        std::function<qint64(TransferRequest request, const QString& task)> launch;
        // A finished transfer leaves the list and the registry.
        std::function<void(qint64 id)> forget;
        std::function<void(qint64 id)> pause;
        std::function<void(qint64 id)> resume;
        std::function<bool(qint64 id)> isPaused;
    };
    SyncService(Queue queue, QObject* parent);
    ~SyncService() override;

    // The vault is open: the scheduler starts.
    void start(Vault* vault);
    // Before the vault closes: the scheduler stops, running catalog jobs end.
    void close();

    Scheduler* scheduler() const { return m_scheduler; }
    void setPaused(bool paused);
    void setPolicy(bool allowMetered, bool allowBattery);
    void setTick(int ms);
    // "Check everything now": the check of every copy starts at once (within the pause and
    // power rules), whether or not the schedule says it is due.
    void checkNow();
    void emitStatus();
    // Models were added or removed: what the status says of them (the next check) is told again,
    // once for a burst of changes.
    void modelsChanged();
    // What a background repair or drain did, for the tray.
    void noteBackgroundResult(const TransferInfo& info, qint64 copiesMade);
    // A scrub ended; `bad` copies were missing or corrupt.
    void noteScrub(int bad);

    void syncCatalog();
    void recoverCatalog();
    void showCatalogKey();
    // What runs once the key is this vault's: a sync (Settings › Recovery key), or a recovery
    // (attaching another computer's storage), whose report then counts the models it brought.
    enum class AfterKeyImport { Sync, Recover };
    void importCatalogKey(const QString& recoveryText, AfterKeyImport then);
    // Chunks found gone may mean the model is gone: another computer sharing the providers
    // removed it and freed them before this vault synced (the CLI's checkRemovedElsewhere()).
    // Pulls the catalog if need be, then calls `then` with what it says of `modelName` ("… was
    // removed on another computer (vault …)"), or with nothing when it was not removed.
    void checkRemovedElsewhere(const QString& modelName,
                               std::function<void(const QString& removed)> then);

Q_SIGNALS:
    void statusChanged(const mf::SyncStatus& status);
    void notice(const QString& title, const QString& text, bool isProblem);
    // The disk that holds the vault ran low: once, with its notice (the tray offers Free up
    // space…).
    void diskSpaceLow();
    void catalogSynced(const QString& summary, const QString& error);
    void catalogRecovered(const QString& summary, const QString& error);
    void catalogKeyShown(const QString& recoveryText, const QString& error);
    void catalogKeyImported(const QString& error);
    void modelChanged(qint64 modelId);
    void modelRemoved(qint64 modelId);
    void modelsHealthChanged();
    void providersChanged();
    void statsChanged(); // the vault's figures may have changed

private:
    void setUpScheduler();
    // The disk that holds the vault: a notice when it runs low (thiscomputer::diskSpaceIsLow),
    // once until it has room again.
    void checkDiskSpace();
    qint64 launch(const Scheduler::Task& task);
    void resumeBackgroundIfAllowed();
    // A vault setting in seconds ("sync.retry_secs"); `fallback` when unset or invalid.
    qint64 secondsSetting(const QString& key, qint64 fallback);
    qint64 retrySecs();
    QDateTime nextCheck();
    // Catalog jobs that are not transfers of their own (syncservice_catalog.cpp).
    void runCatalogJob(TransferJob* job, std::function<void()> then);
    static QString withoutCatalogNote(const QString& providers);
    // Keeps what a sync says other computers removed, and tells the rows; counts what it took
    // in for a recovery waiting to report.
    void noteTakenIn(const CatalogSyncJob::Report& report);
    // Calls `again` once the catalog jobs running now have ended, and says whether it waits.
    bool waitForCatalogJobs(std::function<void()> again);

    Queue m_queue;
    Vault* m_vault = nullptr;
    bool m_closed = false;
    Scheduler* m_scheduler = nullptr;
    PowerState* m_power = nullptr;
    QHash<QString, qint64> m_backgroundByTask; // the last transfer of each scheduler task
    quint64 m_nextDrain = 0;
    bool m_checkEveryCopy = false; // the next scrub.check is checkNow()'s
    bool m_statusQueued = false;
    QDateTime m_nextCheck; // nextCheck() as last worked out
    bool m_nextCheckStale = true;
    SyncStatus m_status;
    QList<QPointer<TransferJob>> m_catalogJobs; // running sync, publish and recover jobs
    // Removals by other computers that this service's syncs took in, by model name: what a
    // restore or verify that finds the chunks gone says (checkRemovedElsewhere()).
    QHash<QString, CatalogSyncJob::Report::Removal> m_removalsTaken;
    QString m_withoutCatalogSaid; // providers keeping no catalog, as last said (said once)
    // A recovery asked for (attaching storage) waits for the catalog jobs already running; a
    // sync among them may take the attached storage's models in first (the one at open reads
    // the provider just added once the key is here), and its report then counts them.
    struct PendingRecovery
    {
        bool asked = false;
        bool waiting = false;
        int added = 0;
        int changed = 0;
    };
    PendingRecovery m_recovery;
    QTimer* m_diskCheck = nullptr;
    bool m_diskLowSaid = false;
};

} // namespace mf
