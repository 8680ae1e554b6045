#include "apihost.h"

#include "api/apiserver.h"
#include "api/apitoken.h"
#include "credentials/credentialstore.h"
#include "vault/vault.h"

namespace mf {

ApiHost::ApiHost(api::TransferControl* queue, QObject* parent)
    : QObject(parent)
    , m_queue(queue)
{}

ApiHost::~ApiHost()
{
    stop();
}

void ApiHost::start(Vault* vault)
{
    m_vault = vault;
    if (m_wanted)
        restart();
}

void ApiHost::close()
{
    stop();
    m_vault = nullptr;
}

void ApiHost::set(bool enabled, quint16 port, bool hubWithoutToken, const QHostAddress& address)
{
    if (enabled == m_wanted && port == m_port && hubWithoutToken == m_hubWithoutToken &&
        address == m_address && (m_server || !enabled))
        return;
    m_wanted = enabled;
    m_port = port;
    m_hubWithoutToken = hubWithoutToken;
    m_address = address;
    restart();
}

void ApiHost::stop()
{
    // Its connections and the reads they run go with it, before the vault they read.
    delete m_server;
    m_server = nullptr;
    delete m_token;
}

void ApiHost::restart()
{
    stop();
    if (!m_wanted || !m_vault) {
        ApiServerStatus off;
        off.wanted = m_wanted;
        Q_EMIT changed(off);
        return;
    }
    auto* job = new api::ApiTokenJob(m_vault, this);
    m_token = job;
    connect(job, &api::ApiTokenJob::finished, this, [this, job] {
        job->deleteLater();
        ApiServerStatus status;
        status.wanted = m_wanted;
        if (!job->error().ok()) {
            status.error = tr("Cannot get the API's token from %1: %2")
                               .arg(m_vault->credentials() ? m_vault->credentials()->description()
                                                           : tr("the credential store"),
                                    job->error().message);
            Q_EMIT changed(status);
            return;
        }
        auto* server = new api::ApiServer(m_vault, job->token(), this);
        server->setHubWithoutToken(m_hubWithoutToken);
        server->setTransferControl(m_queue);
        QString why;
        if (!server->listen(m_address, m_port, &why)) {
            delete server;
            status.error = why;
            Q_EMIT changed(status);
            return;
        }
        m_server = server;
        status.url = server->baseUrl();
        status.reachableFromOtherComputers = server->reachableFromOtherComputers();
        status.token = QString::fromLatin1(job->token());
        status.hubWithoutToken = m_hubWithoutToken;
        Q_EMIT changed(status);
    });
    job->start();
}

QString ApiHost::newWebSignInLink()
{
    return m_server ? m_server->newSignInLink() : QString();
}

bool ApiHost::endWebSessions(QString* error)
{
    if (m_server)
        return m_server->endWebSessions(error);
    if (!m_vault) {
        *error = tr("No vault is open");
        return false;
    }
    return api::WebSessions::endAllSessions(m_vault->directory(), error);
}

} // namespace mf
