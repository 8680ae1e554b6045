#include "apiserver.h"

#include "apiconnection.h"

#include <QTcpServer>
#include <QTcpSocket>

namespace mf::api {

ApiServer::ApiServer(Vault* vault, const QByteArray& token, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_token(token)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &ApiServer::onNewConnection);
}

ApiServer::~ApiServer() = default;

bool ApiServer::listen(const QHostAddress& address, quint16 port, QString* error)
{
    if (m_server->listen(address, port))
        return true;
    *error = tr("Cannot listen on %1 port %2: %3")
                 .arg(address.toString())
                 .arg(port)
                 .arg(m_server->errorString());
    return false;
}

quint16 ApiServer::port() const
{
    return m_server->serverPort();
}

void ApiServer::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        ApiConnection::Settings settings;
        settings.token = m_token;
        settings.port = port();
        settings.idleTimeoutMs = m_idleTimeoutMs;
        new ApiConnection(m_vault, socket, settings, this); // deletes itself when done
    }
}

} // namespace mf::api
