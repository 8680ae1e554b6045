#pragma once

#include "hubblobids.h"
#include "websessions.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>

class QTcpServer;
class QTcpSocket;

namespace mf {
class Vault;
}

namespace mf::api {

class ApiConnection;
class TransferControl;

// The local HTTP API (docs/api.md): a small HTTP/1.1 server on QTcpServer in the thread the
// vault lives in, so that the byte endpoints run the engine's own jobs (RangeJob) and write to
// the socket as their output, with the socket's send buffer as the only back-pressure needed.
// One request per connection (the answer says Connection: close): parallel ranged reads use
// parallel connections, as download tools do.
class ApiServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiServer)

public:
    // `token`: what "Authorization: Bearer …" must carry (ApiTokenJob makes and keeps it).
    ApiServer(Vault* vault, const QByteArray& token, QObject* parent = nullptr);
    ~ApiServer() override;

    // Listens on `address` (127.0.0.1 unless the user chose another) and `port` (0: any free
    // one). On failure returns false and says why in `error`.
    bool listen(const QHostAddress& address, quint16 port, QString* error);
    // Serves HTTPS from the next listen() on, with the certificate chain and the private key
    // (RSA or EC, no passphrase) in these PEM files: for use beyond this computer, and the web
    // page's session cookie is then Secure. On failure returns false and says why in `error`.
    bool useTls(const QString& certificateFile, const QString& keyFile, QString* error);
    bool usesTls() const { return m_tls; }
    quint16 port() const;
    // Where clients on this computer reach it: "http://127.0.0.1:PORT" (also when it listens on
    // every address), else the address it listens on ("http://[::1]:PORT").
    QString baseUrl() const;
    // Where a sign-in link sends a browser: baseUrl(), except that when it listens on every
    // address, the address this computer has on its network, so that a phone opens the link.
    QString linkBaseUrl() const;
    // It listens on more than this computer's loopback: other computers can reach it.
    bool reachableFromOtherComputers() const;
    // A connection with nothing received or sent for this long is closed.
    void setIdleTimeoutMs(int ms) { m_idleTimeoutMs = ms; }
    // How long a connection has to send its whole request (ApiConnection::Settings).
    void setRequestDeadlineMs(int ms) { m_requestDeadlineMs = qMax(1, ms); }
    // Serve the read-only Hugging Face endpoints without a token (an explicit setting: anyone
    // on this computer may then read the models through them). /api/v1 and /ipfs keep asking.
    void setHubWithoutToken(bool open) { m_hubWithoutToken = open; }
    // Connections served at once; one more is answered 503 with Retry-After and closed, so a
    // flood of clients cannot take the memory their buffers would need (about 6 MiB each while
    // streaming) — unless a connection is still sending its request: the oldest of those is
    // closed for it, so clients that trickle their requests cannot hold every slot.
    void setMaxConnections(int count) { m_maxConnections = qMax(1, count); }
    static constexpr int DefaultMaxConnections = 128;
    // The transfer queue behind the transfer endpoints, uploads and events (the engine's);
    // without one they answer 503.
    void setTransferControl(TransferControl* queue) { m_transfers = queue; }
    int connections() const { return m_connections; }
    // A one-time link that signs a browser in to the web page (webresources.h), good once within
    // `lifetimeSeconds`: what `serve` prints and the app's Local API setting can show.
    QString newSignInLink(int lifetimeSeconds = WebSessions::DefaultCodeLifetimeSeconds);
    // Ends every web session (and those of any other server on this vault).
    bool endWebSessions(QString* error) { return m_sessions.endAll(error); }

private:
    bool listensEverywhere() const;
    void onNewConnection();
    void refuseBusy(QTcpSocket* socket);

    Vault* m_vault;
    QByteArray m_token;
    QTcpServer* m_server;
    int m_idleTimeoutMs = 30'000;
    int m_requestDeadlineMs = 20'000;
    QList<QPointer<ApiConnection>> m_open; // oldest first
    bool m_hubWithoutToken = false;
    int m_maxConnections = DefaultMaxConnections;
    int m_connections = 0;
    TransferControl* m_transfers = nullptr;
    HubBlobIds m_blobIds; // what the connections computed, for the next ones
    WebSessions m_sessions;
    bool m_tls = false;
};

} // namespace mf::api
