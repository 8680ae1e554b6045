#include "engine.h"

#include "engineworker.h"
#include "watch/folderwatcher.h"

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace mf {

namespace {

std::atomic<qint64> g_transferIds{0}; // unique in the process, also across Engines

// Runs on the engine thread as it starts. On a busy machine with few cores the GUI thread must
// win the CPU over hashing and I/O, or it stalls for tens of milliseconds: the engine thread
// gets a slightly lower scheduling priority (nice +5), which the scanner's and providers'
// worker threads it creates inherit. QThread::setPriority cannot do this on Linux (it only has
// SCHED_IDLE, which would starve transfers whenever anything else runs).
void yieldToGui()
{
#ifdef Q_OS_LINUX
    const auto tid = id_t(::syscall(SYS_gettid));
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, tid);
    if (errno == 0)
        ::setpriority(PRIO_PROCESS, tid, qMin(19, nice + 5));
#endif
}

} // namespace

Engine::Engine(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<mf::TransferInfo>();
    qRegisterMetaType<mf::VaultStats>();
    qRegisterMetaType<mf::SyncStatus>();
    qRegisterMetaType<mf::ApiServerStatus>();
    m_thread.setObjectName(QStringLiteral("engine"));
    m_worker = new EngineWorker(&g_transferIds);
    m_worker->moveToThread(&m_thread);
    // The worker's signals cross threads, so they arrive queued on this (the GUI) thread.
    connect(m_worker, &EngineWorker::opened, this, &Engine::opened);
    connect(m_worker, &EngineWorker::transferUpdated, this, &Engine::onWorkerTransfer);
    connect(m_worker, &EngineWorker::transferRemoved, this, &Engine::onWorkerRemoved);
    connect(m_worker, &EngineWorker::restoreConflict, this, &Engine::restoreConflict);
    connect(m_worker, &EngineWorker::modelChanged, this, &Engine::modelChanged);
    connect(m_worker, &EngineWorker::modelRemoved, this, &Engine::modelRemoved);
    connect(m_worker, &EngineWorker::providersChanged, this, &Engine::providersChanged);
    connect(m_worker, &EngineWorker::providerError, this, &Engine::providerError);
    connect(m_worker, &EngineWorker::providerWarning, this, &Engine::providerWarning);
    connect(m_worker, &EngineWorker::providerTested, this, &Engine::providerTested);
    connect(m_worker, &EngineWorker::providerSpace, this, &Engine::providerSpace);
    connect(m_worker, &EngineWorker::statsChanged, this, &Engine::statsChanged);
    connect(m_worker, &EngineWorker::busyChanged, this, &Engine::onWorkerBusy);
    connect(m_worker, &EngineWorker::syncStatusChanged, this, [this](const SyncStatus& s) {
        m_syncStatus = s;
        Q_EMIT syncStatusChanged(s);
    });
    connect(m_worker, &EngineWorker::syncNotice, this, &Engine::syncNotice);
    connect(m_worker, &EngineWorker::diskSpaceLow, this, &Engine::diskSpaceLow);
    connect(m_worker->mountHost(), &MountHost::changed, this, &Engine::mountChanged);
    connect(m_worker, &EngineWorker::modelsHealthChanged, this, &Engine::modelsHealthChanged);
    connect(m_worker, &EngineWorker::catalogSynced, this, &Engine::catalogSynced);
    connect(m_worker, &EngineWorker::catalogRecovered, this, &Engine::catalogRecovered);
    connect(m_worker, &EngineWorker::catalogKeyShown, this, &Engine::catalogKeyShown);
    connect(m_worker, &EngineWorker::catalogKeyImported, this, &Engine::catalogKeyImported);
    connect(m_worker, &EngineWorker::watchedFoldersChanged, this,
            [this](const QStringList& folders, const QString& error) {
                m_watchedFolders = folders;
                Q_EMIT watchedFoldersChanged(folders, error);
            });
    connect(m_worker, &EngineWorker::webSignInLink, this, &Engine::webSignInLink);
    connect(m_worker, &EngineWorker::webSessionsEnded, this, &Engine::webSessionsEnded);
    connect(m_worker, &EngineWorker::apiServerChanged, this, [this](const ApiServerStatus& s) {
        m_apiStatus = s;
        Q_EMIT apiServerChanged(s);
    });
    connect(&m_thread, &QThread::started, &m_thread, &yieldToGui, Qt::DirectConnection);
    m_thread.start();
}

Engine::~Engine()
{
    // The vault and every job belong to the engine thread: they are closed there (running work
    // stays queued in the registry and resumes on the next open), then the thread ends.
    QMetaObject::invokeMethod(m_worker, &EngineWorker::shutdown, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

template <typename F> static void post(EngineWorker* worker, F work)
{
    QMetaObject::invokeMethod(worker, std::move(work), Qt::QueuedConnection);
}

void Engine::open(const QString& vaultDirectory)
{
    m_vaultDirectory = vaultDirectory;
    post(m_worker, [w = m_worker, vaultDirectory] { w->open(vaultDirectory); });
}

qint64 Engine::nextTransferId()
{
    return ++g_transferIds;
}

qint64 Engine::queue(TransferRequest request)
{
    const qint64 id = nextTransferId();
    // A value: it crosses to the engine thread as it is.
    post(m_worker, [w = m_worker, id, request = std::move(request)]() mutable {
        w->add(id, std::move(request));
    });
    return id;
}

qint64 Engine::floatFiles(const FloatRequest& request)
{
    FloatRequest r = request;
    r.modelName = r.modelName.trimmed();
    return queue(std::move(r));
}

qint64 Engine::restoreModel(qint64 modelId, const QString& destinationDir,
                            RestoreConflicts existing)
{
    RestoreRequest r;
    r.modelId = modelId;
    r.destination = destinationDir;
    r.overwrite = existing == RestoreConflicts::Replace;
    r.ask = existing == RestoreConflicts::Ask;
    return queue(std::move(r));
}

qint64 Engine::verifyModel(qint64 modelId)
{
    return queue(VerifyRequest{modelId});
}

qint64 Engine::removeModel(qint64 modelId)
{
    return queue(RemoveRequest{modelId});
}

qint64 Engine::offloadModel(qint64 modelId)
{
    return queue(OffloadRequest{modelId});
}

qint64 Engine::pinModel(qint64 modelId)
{
    return queue(PinRequest{modelId});
}

qint64 Engine::useModelIn(qint64 modelId, const QString& appKey, bool remove, const QString& as,
                          const QString& root)
{
    UseInAppRequest request;
    request.modelId = modelId;
    request.app = appKey;
    request.remove = remove;
    request.as = as;
    request.root = root;
    return queue(request);
}

qint64 Engine::freeAppCopies(qint64 modelId, bool keepFloatingOnly)
{
    UseInAppRequest request;
    request.modelId = modelId;
    request.free = keepFloatingOnly ? QStringLiteral("remove") : QStringLiteral("replace");
    return queue(request);
}

qint64 Engine::importFromHub(const QString& repoId, const QString& commit,
                             const QStringList& variants, const QString& modelName,
                             qint64 expectedBytes)
{
    ImportRequest r;
    r.repoId = repoId.trimmed();
    r.commit = commit;
    r.variants = variants;
    r.modelName = modelName.trimmed();
    r.expectedBytes = expectedBytes;
    return queue(std::move(r));
}

qint64 Engine::materializeModel(qint64 modelId, const QString& destination,
                                MaterializeJob::Layout layout)
{
    MaterializeRequest r;
    r.modelId = modelId;
    r.destination = destination;
    r.hfCache = layout == MaterializeJob::Layout::HfCache;
    return queue(std::move(r));
}

qint64 Engine::repairModel(qint64 modelId)
{
    return queue(RepairRequest{modelId});
}

qint64 Engine::repairModelFrom(qint64 modelId, const QStringList& paths)
{
    RepairRequest r;
    r.modelId = modelId;
    r.fromPaths = paths;
    return queue(std::move(r));
}

qint64 Engine::convertModel(qint64 modelId, const RedundancyScheme& scheme)
{
    return queue(ConvertRequest{modelId, scheme.toString()});
}

void Engine::setSyncPaused(bool paused)
{
    m_syncStatus.paused = paused;
    post(m_worker, [w = m_worker, paused] { w->setSyncPaused(paused); });
}

void Engine::setSyncPolicy(bool allowMetered, bool allowBattery)
{
    post(m_worker, [w = m_worker, allowMetered, allowBattery] {
        w->setSyncPolicy(allowMetered, allowBattery);
    });
}

void Engine::setSchedulerTick(int ms)
{
    post(m_worker, [w = m_worker, ms] { w->setSchedulerTick(ms); });
}

void Engine::checkNow()
{
    post(m_worker, [w = m_worker] { w->checkNow(); });
}

void Engine::addWatchedFolder(const QString& path)
{
    post(m_worker, [w = m_worker, path] { w->addWatchedFolder(path); });
}

void Engine::removeWatchedFolder(const QString& path)
{
    post(m_worker, [w = m_worker, path] { w->removeWatchedFolder(path); });
}

void Engine::setWatchStableMs(int ms)
{
    post(m_worker, [w = m_worker, ms] { w->folderWatcher()->setStableMs(ms); });
}

void Engine::pause(qint64 transferId)
{
    post(m_worker, [w = m_worker, transferId] { w->pause(transferId); });
}

void Engine::resume(qint64 transferId)
{
    post(m_worker, [w = m_worker, transferId] { w->resume(transferId); });
}

void Engine::cancel(qint64 transferId)
{
    post(m_worker, [w = m_worker, transferId] { w->cancel(transferId); });
}

void Engine::answerRestoreConflict(qint64 transferId, const ExistingFileAnswers& answers)
{
    post(m_worker,
         [w = m_worker, transferId, answers] { w->answerRestoreConflict(transferId, answers); });
}

void Engine::retry(qint64 transferId)
{
    post(m_worker, [w = m_worker, transferId] { w->retry(transferId); });
}

void Engine::pauseAll()
{
    post(m_worker, [w = m_worker] { w->pauseAll(); });
}

void Engine::resumeAll()
{
    post(m_worker, [w = m_worker] { w->resumeAll(); });
}

void Engine::clearFinished()
{
    post(m_worker, [w = m_worker] { w->clearFinished(); });
}

void Engine::addProvider(const QString& kind, const QString& name, const QJsonObject& settings,
                         const QJsonObject& secrets, qint64 quotaBytes)
{
    ProviderRecord r;
    r.kind = kind;
    r.name = name;
    r.settings = settings;
    r.quotaBytes = quotaBytes;
    post(m_worker, [w = m_worker, r, secrets] { w->addProvider(r, secrets); });
}

void Engine::updateProvider(qint64 id, const QString& name, const QJsonObject& settings,
                            const QJsonObject& secrets, qint64 quotaBytes)
{
    ProviderRecord r;
    r.id = id;
    r.name = name;
    r.settings = settings;
    r.quotaBytes = quotaBytes;
    post(m_worker, [w = m_worker, r, secrets] { w->updateProvider(r, secrets); });
}

void Engine::removeProvider(qint64 id, bool force)
{
    post(m_worker, [w = m_worker, id, force] { w->removeProvider(id, force); });
}

void Engine::testProvider(qint64 id)
{
    post(m_worker, [w = m_worker, id] { w->testProvider(id); });
}

void Engine::setApiServer(bool enabled, quint16 port, bool hubWithoutToken,
                          const QHostAddress& address)
{
    post(m_worker, [w = m_worker, enabled, port, hubWithoutToken, address] {
        w->setApiServer(enabled, port, hubWithoutToken, address);
    });
}

void Engine::requestWebSignInLink()
{
    post(m_worker, [w = m_worker] { w->makeWebSignInLink(); });
}

void Engine::endWebSessions()
{
    post(m_worker, [w = m_worker] { w->endWebSessions(); });
}

void Engine::setMountFactory(MountHost::Factory factory)
{
    post(m_worker,
         [w = m_worker, factory = std::move(factory)] { w->mountHost()->setFactory(factory); });
}

void Engine::setMount(bool enabled, const QString& directory)
{
    post(m_worker, [w = m_worker, enabled, directory] { w->mountHost()->set(enabled, directory); });
}

void Engine::measureProviders()
{
    post(m_worker, [w = m_worker] { w->measureProviders(); });
}

void Engine::testProviderSettings(const QString& kind, const QJsonObject& settings,
                                  const QJsonObject& secrets)
{
    ProviderRecord r;
    r.kind = kind;
    r.name = QStringLiteral("test");
    r.settings = settings;
    post(m_worker, [w = m_worker, r, secrets] { w->testProviderSettings(r, secrets); });
}

void Engine::syncCatalog()
{
    post(m_worker, [w = m_worker] { w->syncCatalog(); });
}

void Engine::recoverCatalog()
{
    post(m_worker, [w = m_worker] { w->recoverCatalog(); });
}

void Engine::showCatalogKey()
{
    post(m_worker, [w = m_worker] { w->showCatalogKey(); });
}

void Engine::importCatalogKey(const QString& recoveryText)
{
    post(m_worker, [w = m_worker, recoveryText] { w->importCatalogKey(recoveryText, false); });
}

void Engine::importCatalogKeyAndRecover(const QString& recoveryText)
{
    post(m_worker, [w = m_worker, recoveryText] { w->importCatalogKey(recoveryText, true); });
}

void Engine::setRedundancy(const RedundancyScheme& scheme)
{
    post(m_worker, [w = m_worker, scheme] { w->setRedundancy(scheme); });
}

void Engine::setFlushWrites(bool flush)
{
    post(m_worker, [w = m_worker, flush] { w->setFlushWrites(flush); });
}

void Engine::setChunker(const QString& chunkerSpec)
{
    post(m_worker, [w = m_worker, chunkerSpec] { w->setChunker(chunkerSpec); });
}

void Engine::setConcurrency(int transfersAtOnce)
{
    post(m_worker, [w = m_worker, transfersAtOnce] { w->setConcurrency(transfersAtOnce); });
}

void Engine::setBandwidthLimits(qint64 uploadBytesPerSecond, qint64 downloadBytesPerSecond)
{
    post(m_worker, [w = m_worker, uploadBytesPerSecond, downloadBytesPerSecond] {
        w->setBandwidthLimits(uploadBytesPerSecond, downloadBytesPerSecond);
    });
}

QList<TransferInfo> Engine::transfers() const
{
    QList<TransferInfo> out = m_transfers.values();
    std::sort(out.begin(), out.end(),
              [](const TransferInfo& a, const TransferInfo& b) { return a.id < b.id; });
    return out;
}

void Engine::onWorkerTransfer(const TransferInfo& info, bool added)
{
    m_transfers.insert(info.id, info);
    if (added)
        Q_EMIT transferAdded(info);
    else
        Q_EMIT transferChanged(info);
}

void Engine::onWorkerRemoved(qint64 id)
{
    m_transfers.remove(id);
    Q_EMIT transferRemoved(id);
}

void Engine::onWorkerBusy(bool busy)
{
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

} // namespace mf
