// The composition root of the engine thread: the vault and the parts that work on it.
#include "engineworker.h"

#include "apihost.h"
#include "hub/materializedcache.h"
#include "mounthost.h"
#include "provideradmin.h"
#include "syncservice.h"
#include "transferqueue.h"
#include "vault/vault.h"
#include "watch/folderwatcher.h"
#include "watch/watchlist.h"

#include <QCoreApplication>

namespace mf {

EngineWorker::EngineWorker(std::atomic<qint64>* ids, QObject* parent)
    : QObject(parent)
    , m_ids(ids)
{
    // Its parts are its children, so they move to the engine thread with it.
    m_queue = new TransferQueue(ids, this);
    TransferQueue* q = m_queue;
    connect(q, &TransferQueue::transferUpdated, this, &EngineWorker::transferUpdated);
    connect(q, &TransferQueue::transferRemoved, this, &EngineWorker::transferRemoved);
    connect(q, &TransferQueue::restoreConflict, this, &EngineWorker::restoreConflict);
    connect(q, &TransferQueue::modelChanged, this, &EngineWorker::modelChanged);
    connect(q, &TransferQueue::modelRemoved, this, &EngineWorker::modelRemoved);
    connect(q, &TransferQueue::providersChanged, this, &EngineWorker::providersChanged);
    connect(q, &TransferQueue::statsChanged, this, &EngineWorker::statsChanged);
    connect(q, &TransferQueue::busyChanged, this, &EngineWorker::busyChanged);
    connect(q, &TransferQueue::modelsHealthChanged, this, &EngineWorker::modelsHealthChanged);

    SyncService::Queue queue;
    queue.launch = [this](TransferRequest request, const QString& task) {
        const qint64 id = ++*m_ids;
        m_queue->add(id, std::move(request), true, task);
        return id;
    };
    queue.forget = [this](qint64 id) { m_queue->forget(id); };
    queue.pause = [this](qint64 id) { m_queue->pause(id); };
    queue.resume = [this](qint64 id) { m_queue->resume(id); };
    queue.isPaused = [this](qint64 id) { return m_queue->isPaused(id); };
    m_sync = new SyncService(std::move(queue), this);
    m_queue->setSync(m_sync);
    connect(m_sync, &SyncService::statusChanged, this, &EngineWorker::syncStatusChanged);
    connect(m_sync, &SyncService::notice, this, &EngineWorker::syncNotice);
    connect(m_sync, &SyncService::diskSpaceLow, this, &EngineWorker::diskSpaceLow);
    connect(m_sync, &SyncService::catalogSynced, this, &EngineWorker::catalogSynced);
    connect(m_sync, &SyncService::catalogRecovered, this, &EngineWorker::catalogRecovered);
    connect(m_sync, &SyncService::catalogKeyShown, this, &EngineWorker::catalogKeyShown);
    connect(m_sync, &SyncService::catalogKeyImported, this, &EngineWorker::catalogKeyImported);
    connect(m_sync, &SyncService::modelChanged, this, &EngineWorker::modelChanged);
    connect(m_sync, &SyncService::modelRemoved, this, &EngineWorker::modelRemoved);
    connect(m_sync, &SyncService::modelsHealthChanged, this, &EngineWorker::modelsHealthChanged);
    connect(m_sync, &SyncService::providersChanged, this, &EngineWorker::providersChanged);
    connect(m_sync, &SyncService::statsChanged, m_queue, &TransferQueue::emitStats);
    connect(q, &TransferQueue::modelChanged, m_sync, &SyncService::modelsChanged);
    connect(q, &TransferQueue::modelRemoved, m_sync, &SyncService::modelsChanged);

    // Watched folders float as the user's own floats do, shown in Transfers; like the other
    // background work they wait while sync is paused, on battery or on a metered network.
    FolderWatcher::Hooks hooks;
    hooks.queueFloat = [this](FloatRequest request) {
        const qint64 id = ++*m_ids;
        m_queue->add(id, std::move(request), false, QLatin1String(WatchTask));
        return id;
    };
    hooks.mayFloat = [this] { return backgroundHoldReason().isEmpty(); };
    m_watcher = new FolderWatcher(std::move(hooks), this);
    // And those it queued already wait too, running or not, and go on once they may.
    const auto holdWatchedFloats = [this] {
        m_queue->holdTask(QLatin1String(WatchTask), backgroundHoldReason());
    };
    connect(m_sync->scheduler(), &Scheduler::statusChanged, this, holdWatchedFloats);
    holdWatchedFloats();
    connect(m_sync->scheduler(), &Scheduler::statusChanged, m_watcher,
            &FolderWatcher::retryDeferred);

    m_apiHost = new ApiHost(m_queue, this);
    connect(m_apiHost, &ApiHost::changed, this, &EngineWorker::apiServerChanged);
    m_mountHost = new MountHost(this);

    m_providerAdmin =
        new ProviderAdmin([this](TransferRequest r) { m_queue->add(++*m_ids, std::move(r)); },
                          [this] { return m_queue->runningCount() > 0; }, this);
    auto* admin = m_providerAdmin;
    connect(admin, &ProviderAdmin::providersChanged, this, &EngineWorker::providersChanged);
    connect(admin, &ProviderAdmin::providerError, this, &EngineWorker::providerError);
    connect(admin, &ProviderAdmin::providerWarning, this, &EngineWorker::providerWarning);
    connect(admin, &ProviderAdmin::providerTested, this, &EngineWorker::providerTested);
    connect(admin, &ProviderAdmin::providerSpace, this, &EngineWorker::providerSpace);
    connect(admin, &ProviderAdmin::setupApplied, this, [this] {
        m_queue->emitStats();
        // Another provider, or one fewer: the copies every chunk wants may have changed.
        if (m_vault)
            m_vault->registry().healthRows().refreshDegraded();
        Q_EMIT modelsHealthChanged();
        m_sync->emitStatus();
        m_sync->scheduler()->poke();
    });
}

QString EngineWorker::backgroundHoldReason() const
{
    const Scheduler* s = m_sync->scheduler();
    return s->isPaused() ? tr("background sync is paused") : s->deferReason();
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
    MaterializedCache::shareBudget(m_vault.get());
    m_queue->open(m_vault.get());
    Q_EMIT opened(QString());
    m_queue->emitStats();
    m_queue->schedule();
    m_sync->start(m_vault.get());
    m_providerAdmin->start(m_vault.get());
    m_apiHost->start(m_vault.get());
    m_mountHost->start(m_vault.get());
    m_watcher->start(m_vault.get());
    emitWatchedFolders(QString());
    // What other computers sharing the providers changed meanwhile, and what this one has not
    // published yet (a run that ended before it could).
    m_sync->syncCatalog();
}

void EngineWorker::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_apiHost->close();
    m_mountHost->close(); // its reads go before the vault
    m_watcher->close();
    m_sync->close();
    m_queue->close();
    m_providerAdmin->close();
    // Jobs hand their provider requests to deleteLater(); those (and their leases) must go
    // before the vault.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    m_queue->clear();
    m_vault.reset();
}

void EngineWorker::add(qint64 id, TransferRequest request)
{
    m_queue->add(id, std::move(request));
}

void EngineWorker::pause(qint64 id)
{
    m_queue->pause(id);
}

void EngineWorker::resume(qint64 id)
{
    m_queue->resume(id);
}

void EngineWorker::cancel(qint64 id)
{
    m_queue->cancel(id);
}

void EngineWorker::retry(qint64 id)
{
    m_queue->retry(id);
}

void EngineWorker::answerRestoreConflict(qint64 id, const ExistingFileAnswers& answers)
{
    m_queue->answerRestoreConflict(id, answers);
}

void EngineWorker::pauseAll()
{
    m_queue->pauseAll();
}

void EngineWorker::resumeAll()
{
    m_queue->resumeAll();
}

void EngineWorker::clearFinished()
{
    m_queue->clearFinished();
}

void EngineWorker::setConcurrency(int transfersAtOnce)
{
    m_queue->setConcurrency(transfersAtOnce);
}

api::TransferControl* EngineWorker::transferControl() const
{
    return m_queue;
}

void EngineWorker::setRedundancy(const RedundancyScheme& scheme)
{
    if (!m_vault)
        return;
    // Built by the caller, so checked here as `config redundancy` checks its text.
    QString why;
    if (!RedundancyScheme::parse(scheme.toString(), &why))
        return Q_EMIT providerError(why);
    why = scheme.refusal(m_vault->providersTakingCopies());
    if (!why.isEmpty())
        return Q_EMIT providerError(why);
    if (!m_vault->setRedundancy(scheme))
        return Q_EMIT providerError(m_vault->registry().lastError());
    // The copies every chunk wants changed: models short of them (or no longer) say so now,
    // and repair makes the new copies.
    m_vault->registry().healthRows().refreshDegraded();
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

void EngineWorker::importCatalogKey(const QString& recoveryText, bool recoverAfter)
{
    m_sync->importCatalogKey(recoveryText, recoverAfter ? SyncService::AfterKeyImport::Recover
                                                        : SyncService::AfterKeyImport::Sync);
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

void EngineWorker::makeWebSignInLink()
{
    Q_EMIT webSignInLink(m_apiHost->newWebSignInLink());
}

void EngineWorker::endWebSessions()
{
    QString why;
    Q_EMIT webSessionsEnded(m_apiHost->endWebSessions(&why) ? QString() : why);
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

namespace mf {

void EngineWorker::checkNow()
{
    m_sync->checkNow();
}

void EngineWorker::addWatchedFolder(const QString& path)
{
    if (!m_vault)
        return;
    const watchlist::Change change =
        watchlist::add(m_vault->registry(), m_vault->directory(), path);
    if (change.ok())
        m_watcher->reload();
    emitWatchedFolders(change.error);
}

void EngineWorker::removeWatchedFolder(const QString& path)
{
    if (!m_vault)
        return;
    const watchlist::Change change = watchlist::remove(m_vault->registry(), path);
    if (change.ok())
        m_watcher->reload();
    emitWatchedFolders(change.error);
}

void EngineWorker::emitWatchedFolders(const QString& error)
{
    Q_EMIT watchedFoldersChanged(m_vault ? watchlist::folders(m_vault->registry()) : QStringList(),
                                 error);
}

} // namespace mf
