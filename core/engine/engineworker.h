#pragma once

#include "apiserverstatus.h"
#include "chunking/redundancyscheme.h"
#include "registry/records.h"
#include "requests/transferrequest.h"
#include "syncstatus.h"
#include "transfer/existingfile.h"
#include "transfer/transferinfo.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>

#include <atomic>
#include <memory>

namespace mf::api {
class TransferControl;
}

namespace mf {

class MountHost;
class ApiHost;
class FolderWatcher;
class ProviderAdmin;
class SyncService;
class TransferQueue;
class Vault;

// The Engine's half on the engine thread, and its composition root: it owns the Vault and the
// parts that work on it — the TransferQueue, ProviderAdmin, SyncService (the scheduler and the
// catalog) and ApiHost (the local HTTP API) — wires them to each other, and relays what they
// report as its signals, which reach the Engine facade queued on the GUI thread.
class EngineWorker final : public QObject
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

    // The transfer queue (TransferQueue).
    void add(qint64 id, TransferRequest request);
    void pause(qint64 id);
    void resume(qint64 id);
    void cancel(qint64 id);
    void retry(qint64 id);
    void answerRestoreConflict(qint64 id, const ExistingFileAnswers& answers);
    void pauseAll();
    void resumeAll();
    void clearFinished();
    void setConcurrency(int transfersAtOnce);
    // The API's door to the queue (modelfloat-cli serve gives it to its server).
    api::TransferControl* transferControl() const;

    // Providers (ProviderAdmin).
    void addProvider(const ProviderRecord& record, const QJsonObject& secrets);
    void updateProvider(const ProviderRecord& record, const QJsonObject& secrets);
    void removeProvider(qint64 id, bool force);
    void testProvider(qint64 id);
    void testProviderSettings(const ProviderRecord& record, const QJsonObject& secrets);
    // Asks every enabled provider what it holds and how much more it takes -> providerSpace.
    void measureProviders();

    // Vault settings.
    void setRedundancy(const RedundancyScheme& scheme);
    void setChunker(const QString& spec);
    void setFlushWrites(bool flush);
    // Applied at once to every transfer of the vault (and to a vault opened later).
    void setBandwidthLimits(qint64 uploadBytesPerSecond, qint64 downloadBytesPerSecond);

    // Background sync and the catalog (SyncService).
    void setSyncPaused(bool paused);
    void setSyncPolicy(bool allowMetered, bool allowBattery);
    void setSchedulerTick(int ms);
    // "Check everything now" (SyncService::checkNow()).
    void checkNow();
    // Watched folders (FolderWatcher, docs/watch.md): the list kept in the vault
    // -> watchedFoldersChanged.
    void addWatchedFolder(const QString& path);
    void removeWatchedFolder(const QString& path);
    FolderWatcher* folderWatcher() const { return m_watcher; }
    // The catalog on the providers: publish this vault's changes and take in other vaults'
    // (also done once the vault is open); recover models from the catalogs on every provider
    // (storage another computer filled).
    void syncCatalog();
    void recoverCatalog();
    void showCatalogKey();
    void importCatalogKey(const QString& recoveryText, bool recoverAfter);

    // The local HTTP API (ApiHost): served on `address`:`port` while `enabled` and a vault
    // is open -> apiServerChanged.
    void setApiServer(bool enabled, quint16 port, bool hubWithoutToken,
                      const QHostAddress& address);
    // -> webSignInLink: a one-time sign-in link for the web page (empty: the API is not serving).
    void makeWebSignInLink();
    // -> webSessionsEnded: every browser signed out.
    void endWebSessions();

    Vault* vault() const { return m_vault.get(); }
    MountHost* mountHost() const { return m_mountHost; }

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
    // The disk that holds the vault ran low (said once, with syncNotice).
    void diskSpaceLow();
    // Models' health may have changed (a repair or drain ended): rows are read again.
    void modelsHealthChanged();
    void catalogSynced(const QString& summary, const QString& error);
    void catalogRecovered(const QString& summary, const QString& error);
    void catalogKeyShown(const QString& recoveryText, const QString& error);
    void catalogKeyImported(const QString& error);
    void apiServerChanged(const mf::ApiServerStatus& status);
    void webSignInLink(const QString& link);
    void webSessionsEnded(const QString& error /* empty: OK */);
    // The watched folders as kept in the vault; `error`: why the last change was refused.
    void watchedFoldersChanged(const QStringList& folders, const QString& error);

private:
    // The task the watched folders' floats run under (TransferQueue::holdTask()).
    static constexpr char WatchTask[] = "watch";
    // Why background work (the scheduler's, the watched folders') may not run now; empty: it may.
    QString backgroundHoldReason() const;
    void emitWatchedFolders(const QString& error);
    // The vault is open: its queue, scheduler and API start.
    void startOnVault();

    std::atomic<qint64>* m_ids;
    std::unique_ptr<Vault> m_vault;
    qint64 m_uploadLimit = 0; // bytes per second, 0: none
    qint64 m_downloadLimit = 0;
    bool m_shuttingDown = false;
    TransferQueue* m_queue = nullptr;         // the transfers
    SyncService* m_sync = nullptr;            // the scheduler and the catalog
    ApiHost* m_apiHost = nullptr;             // the local HTTP API
    MountHost* m_mountHost = nullptr;         // the app's read-only mount of the vault
    ProviderAdmin* m_providerAdmin = nullptr; // add, edit, remove, test providers
    FolderWatcher* m_watcher = nullptr;       // floats what appears in watched folders
};

} // namespace mf
