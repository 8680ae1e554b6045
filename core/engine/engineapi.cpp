// The local HTTP API served by the app while it runs (docs/api.md): started on the engine's
// thread, beside the vault whose jobs it runs, when the setting is on and a vault is open.
#include "engineworker.h"

#include "api/apiserver.h"
#include "api/apitoken.h"
#include "credentials/credentialstore.h"
#include "vault/vault.h"

namespace mf {

void EngineWorker::setApiServer(bool enabled, quint16 port, bool hubWithoutToken,
                                const QHostAddress& address)
{
    if (enabled == m_apiWanted && port == m_apiPort && hubWithoutToken == m_apiHubWithoutToken &&
        address == m_apiAddress && (m_api || !enabled))
        return;
    m_apiWanted = enabled;
    m_apiPort = port;
    m_apiHubWithoutToken = hubWithoutToken;
    m_apiAddress = address;
    restartApiServer();
}

void EngineWorker::stopApiServer()
{
    // Its connections and the reads they run go with it, before the vault they read.
    delete m_api;
    m_api = nullptr;
    delete m_apiToken;
}

void EngineWorker::restartApiServer()
{
    stopApiServer();
    if (!m_apiWanted || !m_vault || m_shuttingDown) {
        ApiServerStatus off;
        off.wanted = m_apiWanted;
        Q_EMIT apiServerChanged(off);
        return;
    }
    auto* job = new api::ApiTokenJob(m_vault.get(), this);
    m_apiToken = job;
    connect(job, &api::ApiTokenJob::finished, this, [this, job] {
        job->deleteLater();
        ApiServerStatus status;
        status.wanted = m_apiWanted;
        if (!job->error().ok()) {
            status.error = tr("Cannot get the API's token from %1: %2")
                               .arg(m_vault->credentials() ? m_vault->credentials()->description()
                                                           : tr("the credential store"),
                                    job->error().message);
            Q_EMIT apiServerChanged(status);
            return;
        }
        auto* server = new api::ApiServer(m_vault.get(), job->token(), this);
        server->setHubWithoutToken(m_apiHubWithoutToken);
        server->setTransferControl(this);
        QString why;
        if (!server->listen(m_apiAddress, m_apiPort, &why)) {
            delete server;
            status.error = why;
            Q_EMIT apiServerChanged(status);
            return;
        }
        m_api = server;
        status.url = server->baseUrl();
        status.reachableFromOtherComputers = server->reachableFromOtherComputers();
        status.token = QString::fromLatin1(job->token());
        status.hubWithoutToken = m_apiHubWithoutToken;
        Q_EMIT apiServerChanged(status);
    });
    job->start();
}

} // namespace mf
