#pragma once

#include "apiserverstatus.h"
#include "chunking/redundancyscheme.h"
#include "hub/materializejob.h"
#include "mounthost.h"
#include "providers/providerfactory.h"
#include "registry/records.h"
#include "requests/transferrequest.h"
#include "syncstatus.h"
#include "transfer/existingfile.h"
#include "transfer/transferinfo.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QThread>

namespace mf {

class EngineWorker;

// The GUI's one door to the vault. It lives on the GUI thread as a facade and owns a QThread on
// which the Vault, the providers and all jobs live (EngineWorker). Every call returns at once;
// results come back by queued signals on the GUI thread, so nothing here ever blocks the caller.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    explicit Engine(QObject* parent = nullptr);
    ~Engine() override; // pauses running work (it resumes on the next open), joins the thread

    void open(const QString& vaultDirectory); // -> opened(error)
    QString vaultDirectory() const { return m_vaultDirectory; }

    qint64 floatFiles(const FloatRequest& request); // returns a transfer id
    // What a restore does with files already at the destination. Fail: it fails, naming them
    // (a retry fails the same way: it never replaces more than was asked). Ask: it pauses and
    // emits restoreConflict(); answerRestoreConflict() resumes it.
    enum class RestoreConflicts { Fail, Replace, Ask };
    qint64 restoreModel(qint64 modelId, const QString& destinationDir,
                        RestoreConflicts existing = RestoreConflicts::Fail);
    // The answers to restoreConflict(), by path in the model; the restore goes on with them.
    // Files not answered are asked about again. cancel() is the answer "none of it".
    void answerRestoreConflict(qint64 transferId, const ExistingFileAnswers& answers);
    qint64 verifyModel(qint64 modelId);
    qint64 removeModel(qint64 modelId);
    // Free this computer of a model whose copies are safe on the providers, or keep it here
    // (core/offload).
    qint64 offloadModel(qint64 modelId);
    qint64 pinModel(qint64 modelId);
    // Puts the model in another app's store (`appKey` as appstores::appKey: "ollama",
    // "lmstudio", "hf-cache", "llama.cpp"), sharing one materialized copy, or with `remove`
    // takes it out again (core/appstores/appusejob.h, as `modelfloat-cli use`). `as` is
    // Ollama's "name:tag", `root` a store folder other than the app's own (empty: defaults).
    qint64 useModelIn(qint64 modelId, const QString& appKey, bool remove = false,
                      const QString& as = QString(), const QString& root = QString());
    // The apps' own copies of a floated model the scan finds replaced by the one shared copy,
    // or with `keepFloatingOnly` removed from the apps outright; refused until every copy the
    // vault wants is verified (as `modelfloat-cli use MODEL --free`).
    qint64 freeAppCopies(qint64 modelId, bool keepFloatingOnly);
    // "Repair now": copies of the model's chunks (0: of every model) made again where they are
    // short; the scheduler also does it by itself.
    qint64 repairModel(qint64 modelId);
    // The same, reading the chunks from files the person still has wherever they match the
    // model's files (by size and name, then SHA-256): heals even chunks no provider has left.
    qint64 repairModelFrom(qint64 modelId, const QStringList& paths);
    // "Change redundancy…": the model stored under `scheme` in place, as `modelfloat-cli
    // convert` does (ConvertRequest, docs/erasure.md).
    qint64 convertModel(qint64 modelId, const RedundancyScheme& scheme);
    // Imports a Hub repo at `commit` (the variants chosen, e.g. "Q4_K_M"; empty: every file)
    // as `modelName` (empty: the repo id). Token and endpoint as for the CLI: $HF_TOKEN or the
    // vault's keychain entry, $HF_ENDPOINT or the vault's hub.endpoint. Pausing keeps what is
    // placed; resuming downloads only the rest.
    qint64 importFromHub(const QString& repoId, const QString& commit, const QStringList& variants,
                         const QString& modelName, qint64 expectedBytes = 0);
    // Writes a model out as a plain folder or into a Hugging Face cache root (HfCache needs a
    // model imported from the Hub).
    qint64 materializeModel(qint64 modelId, const QString& destination,
                            MaterializeJob::Layout layout = MaterializeJob::Layout::Plain);
    void pause(qint64 transferId);
    void resume(qint64 transferId);
    void cancel(qint64 transferId);
    void retry(qint64 transferId);
    void pauseAll();
    void resumeAll();
    void clearFinished();

    // Providers (secrets go to the credential store, never to settings)
    void addProvider(const QString& kind, const QString& name, const QJsonObject& settings,
                     const QJsonObject& secrets,
                     qint64 quotaBytes); // -> providersChanged / providerError
    void updateProvider(qint64 id, const QString& name, const QJsonObject& settings,
                        const QJsonObject& secrets /* empty: unchanged */, qint64 quotaBytes);
    // Drains it first (its chunks copied elsewhere, then deleted from it), then removes it; a
    // drain that would leave chunks short of copies is refused. force: forget it at once, with
    // its chunks (their copies there are no longer counted).
    void removeProvider(qint64 id, bool force = false);
    void testProvider(qint64 id); // -> providerTested
    // What every enabled provider says it holds and can still take (free space, the rest of an
    // account's quota) -> providerSpace, once per provider that answers.
    void measureProviders();
    // The form's "Test connection" before saving -> providerTested(0, ...)
    void testProviderSettings(const QString& kind, const QJsonObject& settings,
                              const QJsonObject& secrets);

    // The catalog on the providers (docs/catalog.md): publish this vault's changes and take in
    // what other computers sharing the providers changed (also done when the vault opens)
    // -> catalogSynced; rebuild models from the catalogs on every provider, e.g. after adding
    // storage another computer filled -> catalogRecovered.
    void syncCatalog();
    void recoverCatalog();
    // The key that signs the catalog (docs/catalog.md, "Who may write"): its recovery text
    // for another computer -> catalogKeyShown; a recovery key another computer showed, made
    // this vault's -> catalogKeyImported.
    void showCatalogKey();
    void importCatalogKey(const QString& recoveryText);
    // Attaching another computer's storage: its recovery key made this vault's, then the
    // catalogs recovered (-> catalogKeyImported, and when it was taken, catalogRecovered,
    // whose report counts the models the storage brought).
    void importCatalogKeyAndRecover(const QString& recoveryText);

    // Vault settings
    // The vault's scheme for new floats (docs/erasure.md); one it cannot keep (too few
    // providers for its shards) is refused with providerError.
    void setRedundancy(const RedundancyScheme& scheme);
    void setChunker(const QString& chunkerSpec);
    // The vault's durability (Vault::setFlushWrites()); false: fast mode.
    void setFlushWrites(bool flush);
    void setConcurrency(int transfersAtOnce);
    void setBandwidthLimits(qint64 uploadBytesPerSecond,
                            qint64 downloadBytesPerSecond); // 0 = none

    // Background sync: paused (nothing starts, background work stops), and whether heavy work
    // may run on a metered network or on battery.
    void setSyncPaused(bool paused);
    void setSyncPolicy(bool allowMetered, bool allowBattery);
    // How often the scheduler looks (tests; it looks every 30 s and whenever something changed).
    void setSchedulerTick(int ms);
    SyncStatus syncStatus() const { return m_syncStatus; }
    // "Check everything now": every copy of every chunk checked at once (a background transfer,
    // within the pause and power rules) -> syncStatusChanged, transferAdded.
    void checkNow();

    // Folders whose new and changed models float by themselves while the vault is open
    // (docs/watch.md) -> watchedFoldersChanged (with why a change was refused).
    void addWatchedFolder(const QString& path);
    void removeWatchedFolder(const QString& path);
    QStringList watchedFolders() const { return m_watchedFolders; }
    // How long a model must stay unchanged before it floats (tests; FolderWatcher::stableMs()).
    void setWatchStableMs(int ms);

    // The local HTTP API (docs/api.md), off until the user turns it on: served on
    // `address`:`port` (127.0.0.1 unless the user chose another) while a vault is open
    // -> apiServerChanged. `hubWithoutToken`: the read-only Hugging Face endpoints answer
    // requests without the token (ApiServer::setHubWithoutToken()).
    void setApiServer(bool enabled, quint16 port, bool hubWithoutToken = false,
                      const QHostAddress& address = QHostAddress(QHostAddress::LocalHost));
    ApiServerStatus apiServerStatus() const { return m_apiStatus; }
    // The web page the API serves (docs/api.md): a one-time link that signs a browser in
    // -> webSignInLink (empty while the API does not serve); sign every browser out
    // -> webSessionsEnded.
    void requestWebSignInLink();
    void endWebSessions();

    // "Show floating models in the file manager" (docs/mount.md): the vault mounted read-only
    // at `directory` while `enabled` and the vault is open -> mountChanged. The mount is made by
    // `factory` (set once, before open(): core/mount is a library of its own), on the engine
    // thread; the GUI unmounts first with MountDetach, which never blocks it, then turns it off.
    void setMountFactory(MountHost::Factory factory);
    void setMount(bool enabled, const QString& directory);

    const ProviderFactory& providerFactory() const { return m_factory; } // kinds and their fields

    // The GUI thread's snapshot of every transfer it was told about (kept current from the
    // signals below), for views created after transfers started.
    QList<TransferInfo> transfers() const;
    bool isBusy() const { return m_busy; }

Q_SIGNALS:
    void opened(const QString& error); // empty: OK
    void transferAdded(const mf::TransferInfo& info);
    void transferChanged(const mf::TransferInfo& info); // throttled (<= ~5/s per transfer)
    void transferRemoved(qint64 id);                    // after clearFinished
    // A restore started with RestoreConflicts::Ask found `files` (paths in the model) already in
    // `destinationDir` before writing anything; it is paused until answerRestoreConflict().
    void restoreConflict(qint64 transferId, const QString& destinationDir,
                         const QStringList& files);
    void modelChanged(qint64 modelId); // added or its state/health changed
    void modelRemoved(qint64 modelId);
    void providersChanged();
    void providerError(const QString& message);
    void
    providerWarning(const QString& message); // done, but the user should know (plaintext store)
    void providerTested(qint64 id, const QString& error /* empty: OK */, qint64 roundTripMs,
                        qint64 usedBytes, qint64 availableBytes);
    // -1: the provider cannot tell (or could not be asked).
    void providerSpace(qint64 id, qint64 usedBytes, qint64 availableBytes);
    void statsChanged(const mf::VaultStats& stats);
    void busyChanged(bool busy); // any transfer running
    void syncStatusChanged(const mf::SyncStatus& status);
    void syncNotice(const QString& title, const QString& text, bool isProblem);
    void modelsHealthChanged(); // read every model's health again
    // `summary` empty: nothing changed and nothing to tell; `problems` empty: none (a provider
    // that cannot be reached is one: the vault keeps working from this computer's registry).
    void catalogSynced(const QString& summary, const QString& problems);
    void catalogRecovered(const QString& summary, const QString& problems /* empty: none */);
    void catalogKeyShown(const QString& recoveryText, const QString& error /* empty: OK */);
    void catalogKeyImported(const QString& error /* empty: OK */);
    void apiServerChanged(const mf::ApiServerStatus& status);
    void webSignInLink(const QString& link);
    void webSessionsEnded(const QString& error /* empty: OK */);
    void watchedFoldersChanged(const QStringList& folders, const QString& error /* empty: OK */);
    // `error`: why it could not mount (empty: it did, or it was turned off).
    void mountChanged(bool mounted, const QString& directory, const QString& error);
    // The disk that holds the vault ran low (with its syncNotice): the tray offers Free up space.
    void diskSpaceLow();

private:
    qint64 nextTransferId();
    qint64 queue(TransferRequest request); // posts it to the worker; its transfer id
    void onWorkerTransfer(const mf::TransferInfo& info, bool added);
    void onWorkerRemoved(qint64 id);
    void onWorkerBusy(bool busy);

    QThread m_thread;
    EngineWorker* m_worker = nullptr; // lives on m_thread; deleted there
    ProviderFactory m_factory;
    QString m_vaultDirectory;
    QHash<qint64, TransferInfo> m_transfers;
    bool m_busy = false;
    SyncStatus m_syncStatus;
    ApiServerStatus m_apiStatus;
    QStringList m_watchedFolders;
};

} // namespace mf

Q_DECLARE_METATYPE(mf::VaultStats)
