#include "apiserver.h"

#include "apiconnection.h"
#include "apiresponse.h"
#include "webresources.h"

#include "vault/vault.h"

#include <QFile>
#include <QNetworkInterface>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>

namespace mf::api {

namespace {

// Listening on every address: the one this computer has on its network (the first IPv4 address
// of an interface that is up, running and not the loopback), so that a link given to a phone
// opens there; 127.0.0.1 where it has none. Any IP address passes the Host check then.
QString networkHost()
{
    for (const QNetworkInterface& i : QNetworkInterface::allInterfaces()) {
        const QNetworkInterface::InterfaceFlags flags = i.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp) ||
            !flags.testFlag(QNetworkInterface::IsRunning) ||
            flags.testFlag(QNetworkInterface::IsLoopBack))
            continue;
        for (const QNetworkAddressEntry& entry : i.addressEntries()) {
            const QHostAddress ip = entry.ip();
            if (ip.protocol() == QAbstractSocket::IPv4Protocol && !ip.isLoopback() &&
                !ip.isLinkLocal())
                return ip.toString();
        }
    }
    return QStringLiteral("127.0.0.1");
}

} // namespace

ApiServer::ApiServer(Vault* vault, const QByteArray& token, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_token(token)
    , m_server(new QTcpServer(this))
    , m_sessions(vault->directory())
{
    connect(m_server, &QTcpServer::newConnection, this, &ApiServer::onNewConnection);
}

ApiServer::~ApiServer()
{
    // The connections go with this object (they are its children): they count no more.
    for (ApiConnection* c : findChildren<ApiConnection*>(Qt::FindDirectChildrenOnly))
        c->disconnect(this);
}

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

bool ApiServer::useTls(const QString& certificateFile, const QString& keyFile, QString* error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = tr("This build of Qt has no TLS backend: HTTPS cannot be served");
        return false;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certificateFile, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = tr("%1 holds no PEM certificate").arg(certificateFile);
        return false;
    }
    QFile keyIn(keyFile);
    if (!keyIn.open(QIODevice::ReadOnly)) {
        *error = tr("Cannot read %1: %2").arg(keyFile, keyIn.errorString());
        return false;
    }
    // A key file is small; one larger than this is not one.
    const QByteArray pem = keyIn.read(64 * 1024);
    QSslKey key(pem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Ec, QSsl::Pem);
    if (key.isNull()) {
        *error = tr("%1 holds no PEM private key (RSA or EC, without a passphrase)").arg(keyFile);
        return false;
    }
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificateChain(chain);
    config.setPrivateKey(key);
    config.setPeerVerifyMode(QSslSocket::VerifyNone); // clients are not asked for certificates
    config.setProtocol(QSsl::TlsV1_2OrLater);
    auto* server = new QSslServer(this);
    server->setSslConfiguration(config);
    // A client that never finishes its handshake is let go as one that never sends its request.
    server->setHandshakeTimeout(m_requestDeadlineMs);
    // A connection is handed over once its handshake is done (newConnection comes before).
    connect(server, &QSslServer::pendingConnectionAvailable, this, &ApiServer::onNewConnection);
    delete m_server;
    m_server = server;
    m_tls = true;
    return true;
}

quint16 ApiServer::port() const
{
    return m_server->serverPort();
}

QString ApiServer::baseUrl() const
{
    const QHostAddress a = m_server->serverAddress();
    const QString host = a.isLoopback() || listensEverywhere() ? QStringLiteral("127.0.0.1")
                         : a.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
                             : a.toString();
    return QStringLiteral("%1://%2:%3")
        .arg(m_tls ? QStringLiteral("https") : QStringLiteral("http"), host)
        .arg(port());
}

bool ApiServer::listensEverywhere() const
{
    const QHostAddress a = m_server->serverAddress();
    return a == QHostAddress::Any || a == QHostAddress::AnyIPv4 || a == QHostAddress::AnyIPv6;
}

QString ApiServer::linkBaseUrl() const
{
    if (!listensEverywhere())
        return baseUrl();
    return QStringLiteral("%1://%2:%3")
        .arg(m_tls ? QStringLiteral("https") : QStringLiteral("http"), networkHost())
        .arg(port());
}

bool ApiServer::reachableFromOtherComputers() const
{
    return !m_server->serverAddress().isLoopback();
}

void ApiServer::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        m_open.removeAll(nullptr);
        if (m_connections >= m_maxConnections) {
            const auto slow = std::find_if(m_open.cbegin(), m_open.cend(),
                                           [](const auto& c) { return c->sendingRequest(); });
            if (slow == m_open.cend()) {
                refuseBusy(socket);
                continue;
            }
            ApiConnection* evicted = *slow;
            m_open.removeAll(evicted);
            evicted->evict(); // its slot is free once it is gone; this one takes it now
        }
        ApiConnection::Settings settings;
        settings.token = m_token;
        settings.port = port();
        settings.address = m_server->serverAddress();
        settings.idleTimeoutMs = m_idleTimeoutMs;
        settings.requestDeadlineMs = m_requestDeadlineMs;
        settings.hubWithoutToken = m_hubWithoutToken;
        settings.transfers = m_transfers;
        settings.blobIds = &m_blobIds;
        settings.sessions = &m_sessions;
        settings.linkBaseUrl = linkBaseUrl();
        settings.secureCookies = m_tls;
        // Deletes itself when done.
        auto* connection = new ApiConnection(m_vault, socket, settings, this);
        ++m_connections;
        m_open.append(connection);
        connect(connection, &QObject::destroyed, this, [this] { --m_connections; });
    }
}

QString ApiServer::newSignInLink(int lifetimeSeconds)
{
    return signInLink(linkBaseUrl(), m_sessions.newCode(lifetimeSeconds));
}

void ApiServer::refuseBusy(QTcpSocket* socket)
{
    ApiResponse r = ApiResponse::error(
        503, tr("The server is serving %1 connections, as many as it takes at once; try again "
                "in a moment")
                 .arg(m_maxConnections));
    r.addHeader({"Retry-After", "1"});
    socket->setParent(this);
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->write(r.head());
    socket->write(r.body);
    socket->disconnectFromHost(); // once the answer is sent
}

} // namespace mf::api
