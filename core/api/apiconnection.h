#pragma once

#include "apiresponse.h"
#include "apiroute.h"
#include "httprequesthead.h"

#include <QHostAddress>
#include <QObject>

class QTcpSocket;
class QTimer;

namespace mf {
class Vault;
class RangeJob;
class TransferJob;
struct FileChunk;
struct FileRecord;
} // namespace mf

namespace mf::api {

class ApiEventStream;
class ApiUpload;
class HubBlobIds;
class HubBlobIdJob;
class TransferControl;
class WebSessions;

// One client connection: reads one request head, checks it (size, Host, token), answers it, and
// closes. A JSON answer is written whole; a byte stream is a RangeJob writing to the socket, so
// each chunk is verified against its CID before any of its bytes are sent and what waits in the
// send buffer stays bounded. A stream that fails part-way is cut short of its Content-Length,
// which every client reports as an error: wrong bytes are never sent. Deletes itself when done.
class ApiConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiConnection)

public:
    struct Settings
    {
        QByteArray token;
        quint16 port = 0;
        // What the server listens on: 127.0.0.1 unless the user chose another address.
        QHostAddress address = QHostAddress(QHostAddress::LocalHost);
        int idleTimeoutMs = 30'000;
        // The whole request head (and a JSON body) must have come within this long of the
        // connection, however slowly its bytes trickle in: the idle timer restarts with each
        // byte, this does not (docs/api.md).
        int requestDeadlineMs = 20'000;
        bool hubWithoutToken = false; // ApiServer::setHubWithoutToken()
        // The transfer queue the transfer endpoints use; none: they answer 503.
        TransferControl* transfers = nullptr;
        // The git blob ids the Hub's routes have computed (the server's, for its lifetime).
        HubBlobIds* blobIds = nullptr;
        // The web page's sign-in codes and sessions (the server's); none: only the token.
        WebSessions* sessions = nullptr;
        QString linkBaseUrl;        // ApiServer::linkBaseUrl(), for the sign-in links it makes
        bool secureCookies = false; // served over TLS: the session cookie is Secure
    };
    // The most a JSON request body (a POST) may have.
    static constexpr qint64 MaxJsonBodyBytes = 64 * 1024;

    ApiConnection(Vault* vault, QTcpSocket* socket, const Settings& settings, QObject* parent);
    ~ApiConnection() override;

    // Still sending its request (nothing is known of it yet, not even whether it carries the
    // token): the server may close it to make room for another connection.
    bool sendingRequest() const
    {
        return !m_answered && !m_upload && !m_events &&
               (!m_headDone || (m_bodyLength >= 0 && m_body.size() < m_bodyLength));
    }
    void evict(); // closed with 503, for another connection

private:
    void onReadyRead();
    void onIdle();
    void onDeadline();
    void onDisconnected();
    void handle();
    // The request's body is in m_body: the POST endpoints.
    void handlePost();
    void serveTransfers();
    void startUpload();
    bool hostAllowed() const;
    bool authorized() const;
    // Who sent the request: the token's holder, a signed-in browser (its session's cookie), or
    // neither.
    enum class Caller { Nobody, Token, Session };
    Caller caller();
    // The page's files and the sign-in link's landing: no token, no session (webresources.h).
    void serveWeb(const ApiRoute& route, const QByteArray& method);
    // GET /api/v1/session (the CSRF token) and DELETE (signing out).
    void serveSession(const QByteArray& method);
    void respond(const ApiResponse& response);
    void serveFile(const ApiRoute& route);
    void serveHub(const ApiRoute& route);
    void serveRegistry(const ApiRoute& route);
    // /raw/: what git holds for `file` (an LFS file's pointer, any other's bytes).
    void serveRaw(const FileRecord& file, const QByteArray& commit);
    // The bytes of `file` (whole, or the Range asked for), with `response`'s header fields;
    // `etag` quoted is its ETag (and what If-Range must name).
    void sendFile(const FileRecord& file, ApiResponse response, const QByteArray& etag);
    void serveChunk(const ApiRoute& route);
    void removeModel(const ApiRoute& route);
    // Answers with `response` (its head, Content-Length `length`) and the bytes [begin, end) of
    // `file`, or of `chunk` when `file` is null.
    void stream(ApiResponse response, const FileRecord* file, const FileChunk* chunk, qint64 begin,
                qint64 end);
    void onStreamFinished();

    Vault* m_vault;
    QTcpSocket* m_socket;
    Settings m_settings;
    QTimer* m_idle;
    QTimer* m_deadline; // the request's (Settings::requestDeadlineMs)
    QByteArray m_buffer;
    HttpRequestHead m_head;
    bool m_headDone = false; // the request's head is read whole
    bool m_answered = false;
    bool m_headOnly = false; // HEAD: the head of the answer, no body
    RangeJob* m_job = nullptr;
    TransferJob* m_removal = nullptr;  // a DELETE running
    HubBlobIdJob* m_blobJob = nullptr; // computing git blob ids before a Hub answer
    bool m_blobIdsTried = false;
    ApiRoute m_route;
    qint64 m_bodyLength = -1; // a POST's Content-Length once its head is read
    QByteArray m_body;
    ApiUpload* m_upload = nullptr;      // a PUT of a file's bytes, until it answers
    ApiEventStream* m_events = nullptr; // GET /events, until the client goes
    bool m_jobFinished = false;
    bool m_disconnected = false;
    QByteArray m_sessionId; // the session's cookie, when a browser sent the request
    QByteArray m_csrf;      // that session's CSRF token
};

} // namespace mf::api
