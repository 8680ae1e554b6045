#include "engine.h"

namespace mf {

Engine::Engine(QObject* parent)
    : QObject(parent)
{}
Engine::~Engine() = default;
void Engine::open(const QString& vaultDirectory)
{
    m_vaultDirectory = vaultDirectory;
}
qint64 Engine::floatFiles(const FloatRequest&)
{
    return 0;
}
qint64 Engine::restoreModel(qint64, const QString&, bool)
{
    return 0;
}
qint64 Engine::verifyModel(qint64)
{
    return 0;
}
qint64 Engine::removeModel(qint64)
{
    return 0;
}
void Engine::pause(qint64) {}
void Engine::resume(qint64) {}
void Engine::cancel(qint64) {}
void Engine::retry(qint64) {}
void Engine::pauseAll() {}
void Engine::resumeAll() {}
void Engine::clearFinished() {}
void Engine::addProvider(const QString&, const QString&, const QJsonObject&, const QJsonObject&,
                         qint64)
{}
void Engine::updateProvider(qint64, const QString&, const QJsonObject&, const QJsonObject&, qint64)
{}
void Engine::removeProvider(qint64) {}
void Engine::testProvider(qint64) {}
void Engine::testProviderSettings(const QString&, const QJsonObject&, const QJsonObject&) {}
void Engine::setReplicationFactor(int) {}
void Engine::setChunker(const QString&) {}
void Engine::setConcurrency(int) {}
void Engine::setBandwidthLimits(qint64, qint64) {}
QList<TransferInfo> Engine::transfers() const
{
    return m_transfers.values();
}
qint64 Engine::nextTransferId()
{
    return 0;
}
void Engine::onWorkerTransfer(const TransferInfo&, bool) {}
void Engine::onWorkerRemoved(qint64) {}
void Engine::onWorkerBusy(bool) {}

} // namespace mf
