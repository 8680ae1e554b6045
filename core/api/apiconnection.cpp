#include "apiconnection.h"

#include "apieventstream.h"
#include "apiupload.h"
#include "byterange.h"
#include "hubblobids.h"
#include "hubresources.h"
#include "modelresources.h"
#include "openapidocument.h"
#include "registryresources.h"
#include "transferresources.h"
#include "webresources.h"
#include "websessions.h"

#include "hub/appuses.h"
#include "hub/hfcachelayout.h"
#include "registry/registry.h"
#include "sync/catalogcollectjob.h"
#include "transfer/rangejob.h"
#include "vault/vault.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QTcpSocket>
#include <QTimer>

namespace mf::api {

namespace {
// Compares in time that does not depend on where the first difference is.
bool sameSecret(const QByteArray& a, const QByteArray& b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}
} // namespace

ApiConnection::ApiConnection(Vault* vault, QTcpSocket* socket, const Settings& settings,
                             QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_socket(socket)
    , m_settings(settings)
    , m_idle(new QTimer(this))
    , m_deadline(new QTimer(this))
{
    m_socket->setParent(this);
    m_idle->setSingleShot(true);
    m_idle->setInterval(m_settings.idleTimeoutMs);
    connect(m_idle, &QTimer::timeout, this, &ApiConnection::onIdle);
    connect(m_socket, &QTcpSocket::readyRead, this, &ApiConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, m_idle, qOverload<>(&QTimer::start));
    connect(m_socket, &QTcpSocket::disconnected, this, &ApiConnection::onDisconnected);
    m_idle->start();
    m_deadline->setSingleShot(true);
    connect(m_deadline, &QTimer::timeout, this, &ApiConnection::onDeadline);
    m_deadline->start(m_settings.requestDeadlineMs);
    onReadyRead(); // bytes may have come with the connection
}

ApiConnection::~ApiConnection()
{
    delete m_job; // before the socket it writes to
}

void ApiConnection::onReadyRead()
{
    if (m_upload) {
        m_idle->start();
        m_upload->onReadyRead();
        return;
    }
    if (m_bodyLength >= 0 && !m_answered) {
        m_idle->start();
        m_body += m_socket->read(m_bodyLength - m_body.size());
        if (m_body.size() == m_bodyLength)
            handlePost();
        return;
    }
    if (m_answered) {
        m_socket->readAll(); // one request per connection: anything more is not read
        return;
    }
    m_idle->start();
    m_buffer += m_socket->read(HttpRequestHead::MaxHeadBytes + 4 - m_buffer.size());
    switch (m_head.feed(m_buffer)) {
    case HttpRequestHead::State::Incomplete:
        return;
    case HttpRequestHead::State::TooLarge:
        return respond(ApiResponse::error(431, tr("The request's header is larger than %1 KiB")
                                                   .arg(HttpRequestHead::MaxHeadBytes / 1024)));
    case HttpRequestHead::State::Malformed:
        return respond(ApiResponse::error(400, tr("The request is not valid HTTP/1.1")));
    case HttpRequestHead::State::Complete:
        m_headDone = true;
        return handle();
    }
}

void ApiConnection::onDeadline()
{
    // Answered, or an upload or event stream under way (their bodies have no deadline; the
    // idle timer watches them): nothing to do.
    if (!sendingRequest())
        return;
    respond(ApiResponse::error(408, tr("The request did not come whole within %1 s")
                                        .arg(m_settings.requestDeadlineMs / 1000.0)));
}

void ApiConnection::evict()
{
    if (!sendingRequest())
        return;
    ApiResponse r = ApiResponse::error(
        503, tr("The server needed this connection for another one; send the request again"));
    r.addHeader({"Retry-After", "1"});
    respond(r);
}

void ApiConnection::onIdle()
{
    if (m_events) {
        m_idle->start(); // a stream of events is quiet until something happens
        return;
    }
    if (m_upload) {
        if (m_upload->waitsOnProviders() || m_disconnected)
            m_idle->start();
        else
            m_socket->abort(); // a client that stopped sending its body: the upload is cut off
        return;
    }
    if (!m_answered) {
        respond(ApiResponse::error(
            408, tr("No complete request came within %1 s").arg(m_settings.idleTimeoutMs / 1000)));
        return;
    }
    // Waiting for the providers (a slow chunk, a removal) is not the client's idleness: only a
    // client that leaves what was sent unread is let go.
    if (m_removal || m_blobJob || (m_job && !m_jobFinished && m_socket->bytesToWrite() == 0)) {
        m_idle->start();
        return;
    }
    if (m_job && !m_jobFinished) {
        m_job->abort(); // its finished() lets the connection go
    } else {
        m_socket->abort();
        deleteLater();
    }
}

void ApiConnection::onDisconnected()
{
    m_disconnected = true;
    if (m_upload) {
        m_upload->onDisconnected(); // its answer (to no one) lets the connection go
        return;
    }
    if (m_removal)
        return; // a removal ends on its own (one transaction, then the providers); then this goes
    if (m_blobJob) {
        m_blobJob->abort(); // its finished() lets the connection go
        return;
    }
    if (m_job && !m_jobFinished)
        m_job->abort(); // its finished() deletes this
    else
        deleteLater();
}

bool ApiConnection::hostAllowed() const
{
    // Only names that no web page can make its own: a page that rebinds its own DNS name to
    // this server's address still sends that name, and is refused. So: "localhost" and
    // 127.0.0.1 on this computer, and, when the user chose another address to listen on, that
    // address (any IP address when it listens on all of them), never a DNS name.
    const QByteArray host = m_head.header("host").toLower();
    const QByteArray port = ':' + QByteArray::number(m_settings.port);
    if (!host.endsWith(port))
        return false;
    QString name = QString::fromLatin1(host.chopped(port.size()));
    if (name == QLatin1String("localhost") || name == QLatin1String("127.0.0.1"))
        return true;
    if (name.startsWith(QLatin1Char('[')) && name.endsWith(QLatin1Char(']')))
        name = name.mid(1, name.size() - 2); // [::1]
    QHostAddress literal;
    if (!literal.setAddress(name))
        return false;
    const QHostAddress& bound = m_settings.address;
    if (bound == QHostAddress::Any || bound == QHostAddress::AnyIPv4 ||
        bound == QHostAddress::AnyIPv6)
        return true;
    return literal.isEqual(bound, QHostAddress::TolerantConversion);
}

bool ApiConnection::authorized() const
{
    const QByteArray value = m_head.header("authorization");
    if (value.startsWith("Bearer "))
        return sameSecret(value.mid(7).trimmed(), m_settings.token);
    // Registry clients (skopeo --src-creds, podman login) send the token as a password.
    if (value.startsWith("Basic ")) {
        const QByteArray pair = QByteArray::fromBase64(value.mid(6).trimmed());
        const qsizetype colon = pair.indexOf(':');
        return colon >= 0 && sameSecret(pair.mid(colon + 1), m_settings.token);
    }
    return false;
}

void ApiConnection::handle()
{
    if (!m_head.hasHeader("host") || !hostAllowed())
        return respond(ApiResponse::error(
            421, tr("This server answers only to Host 127.0.0.1:%1 or localhost:%1 (or the "
                    "address it listens on)")
                     .arg(m_settings.port)));
    const QByteArray method = m_head.method();
    const ApiRoute route = ApiRoute::parse(m_head.target());
    if (route.kind == ApiRoute::Kind::WebFile || route.kind == ApiRoute::Kind::WebSignIn)
        return serveWeb(route, method);
    const Caller who = caller();
    // The Hub's download endpoints only read; the user may open them to every program here.
    // (paths-info is a POST that only reads.)
    const bool hubRead =
        route.kind == ApiRoute::Kind::HubModelInfo || route.kind == ApiRoute::Kind::HubTree ||
        route.kind == ApiRoute::Kind::HubResolve || route.kind == ApiRoute::Kind::HubRefs ||
        route.kind == ApiRoute::Kind::HubRaw;
    // So do the registry's, which `ollama pull` uses (it sends no token of ours).
    const bool registryRead = route.kind == ApiRoute::Kind::RegistryBase ||
                              route.kind == ApiRoute::Kind::RegistryManifest ||
                              route.kind == ApiRoute::Kind::RegistryBlob ||
                              route.kind == ApiRoute::Kind::RegistryTags;
    const bool open = m_settings.hubWithoutToken &&
                      (((method == "GET" || method == "HEAD") && (hubRead || registryRead)) ||
                       (method == "POST" && route.kind == ApiRoute::Kind::HubPathsInfo));
    if (!open && who == Caller::Nobody &&
        (registryRead || route.kind == ApiRoute::Kind::RegistryToken)) {
        // The registry's challenge: the token as a bearer token, or from the token service
        // (the realm) for the token as a password.
        ApiResponse r = registryError(
            401, "UNAUTHORIZED",
            tr("A valid token is needed: the token shown by modelfloat-cli serve --print-token, "
               "as a bearer token or as the password"));
        r.addHeader({"WWW-Authenticate", "Bearer realm=\"http://" + m_head.header("host") +
                                             "/v2/token\",service=\"modelfloat\""});
        return respond(r);
    }
    if (!open && who == Caller::Nobody) {
        ApiResponse r = ApiResponse::error(
            401, tr("A valid token is needed: send “Authorization: Bearer TOKEN” (the token is "
                    "shown by modelfloat-cli serve --print-token), or sign in with a link"));
        r.addHeader({"WWW-Authenticate", "Bearer"});
        return respond(r);
    }
    // A browser's cookie goes with any request the browser makes, also one another page made
    // it send: what changes something must also carry the CSRF token only the page can read.
    if (who == Caller::Session && method != "GET" && method != "HEAD" &&
        !sameSecret(m_head.header("x-csrf-token").trimmed(), m_csrf))
        return respond(ApiResponse::error(
            403, tr("A request that changes something needs the header X-CSRF-Token (from GET "
                    "/api/v1/session) when it is signed in by a cookie")));
    if (route.kind == ApiRoute::Kind::SessionLinks && who != Caller::Token)
        return respond(
            ApiResponse::error(403, tr("Sign-in links are made with the token, not a session")));
    // Which methods each endpoint takes: reads everywhere; a model is also removed (DELETE), a
    // file uploaded (PUT); the transfer queue's actions are POSTs.
    QByteArray allowed = "GET, HEAD";
    switch (route.kind) {
    case ApiRoute::Kind::ModelInfo:
        allowed = "GET, HEAD, DELETE, PUT"; // PUT: a folder's files (X-Model-Files)
        break;
    case ApiRoute::Kind::ModelFile:
        allowed = "GET, HEAD, PUT";
        break;
    case ApiRoute::Kind::TransferAction:
    case ApiRoute::Kind::Floats:
    case ApiRoute::Kind::ModelAction:
    case ApiRoute::Kind::HubPathsInfo:
    case ApiRoute::Kind::SessionLinks:
        allowed = "POST";
        break;
    case ApiRoute::Kind::Session:
        allowed = "GET, HEAD, DELETE";
        break;
    default:
        break;
    }
    const QList<QByteArray> methods = allowed.split(',');
    if (std::none_of(methods.cbegin(), methods.cend(),
                     [&](const QByteArray& m) { return m.trimmed() == method; })) {
        ApiResponse r = ApiResponse::error(
            405, tr("This address takes %1, not %2")
                     .arg(QString::fromLatin1(allowed), QString::fromLatin1(method)));
        r.addHeader({"Allow", allowed});
        return respond(r);
    }
    m_route = route;
    if (route.kind == ApiRoute::Kind::Session) {
        m_headOnly = method == "HEAD";
        return serveSession(method);
    }
    if (method == "DELETE")
        return removeModel(route);
    if (method == "PUT")
        return startUpload();
    if (method == "POST") {
        bool ok = true;
        m_bodyLength = m_head.hasHeader("content-length")
                           ? m_head.header("content-length").trimmed().toLongLong(&ok)
                           : 0;
        if (m_head.hasHeader("transfer-encoding") || !ok || m_bodyLength < 0)
            return respond(ApiResponse::error(411, tr("Send the body with a Content-Length")));
        if (m_bodyLength > MaxJsonBodyBytes)
            return respond(ApiResponse::error(
                413,
                tr("A request's JSON body may have at most %1 KiB").arg(MaxJsonBodyBytes / 1024)));
        m_body = m_buffer.left(m_bodyLength);
        m_buffer.clear();
        m_body += m_socket->read(m_bodyLength - m_body.size());
        if (m_body.size() == m_bodyLength)
            handlePost();
        return; // the rest of the body is on its way
    }
    m_headOnly = method == "HEAD";
    switch (route.kind) {
    case ApiRoute::Kind::None:
        return respond(ApiResponse::error(404, tr("There is nothing at this address")));
    case ApiRoute::Kind::ModelList:
        return respond(listModels(m_vault, route.query));
    case ApiRoute::Kind::ModelInfo:
        return respond(modelInfo(m_vault, route.model));
    case ApiRoute::Kind::ModelFile:
        return serveFile(route);
    case ApiRoute::Kind::Chunk:
        return serveChunk(route);
    case ApiRoute::Kind::HubModelInfo:
    case ApiRoute::Kind::HubTree:
    case ApiRoute::Kind::HubResolve:
    case ApiRoute::Kind::HubRefs:
    case ApiRoute::Kind::HubRaw:
        return serveHub(route);
    case ApiRoute::Kind::RegistryBase:
        return respond(registryBase());
    case ApiRoute::Kind::RegistryToken:
        return respond(ApiResponse::json(
            200, {{QStringLiteral("token"), QString::fromLatin1(m_settings.token)},
                  {QStringLiteral("access_token"), QString::fromLatin1(m_settings.token)}}));
    case ApiRoute::Kind::RegistryManifest:
    case ApiRoute::Kind::RegistryBlob:
    case ApiRoute::Kind::RegistryTags:
        return serveRegistry(route);
    case ApiRoute::Kind::IpfsBlock:
        // A trustless gateway answers a raw block only when asked for one; the other forms
        // (CAR, a file's bytes through its DAG) are not served here.
        if (route.query.queryItemValue(QStringLiteral("format")) != QLatin1String("raw") &&
            !m_head.header("accept").contains("application/vnd.ipld.raw"))
            return respond(ApiResponse::error(
                406, tr("Only raw blocks are served here: ask with ?format=raw or "
                        "“Accept: application/vnd.ipld.raw”")));
        return serveChunk(route);
    case ApiRoute::Kind::OpenApi: {
        ApiResponse r;
        r.addHeader({"Content-Type", "application/json"});
        r.body = openApiDocument();
        return respond(r);
    }
    case ApiRoute::Kind::Transfers:
    case ApiRoute::Kind::Transfer:
    case ApiRoute::Kind::Events:
        return serveTransfers();
    case ApiRoute::Kind::TransferAction:
    case ApiRoute::Kind::Floats:
    case ApiRoute::Kind::ModelAction:
    case ApiRoute::Kind::HubPathsInfo:
    case ApiRoute::Kind::SessionLinks:
        return; // POST only: answered above
    case ApiRoute::Kind::WebFile:
    case ApiRoute::Kind::WebSignIn:
    case ApiRoute::Kind::Session:
        return; // answered above
    }
}

ApiConnection::Caller ApiConnection::caller()
{
    if (authorized())
        return Caller::Token;
    if (!m_settings.sessions)
        return Caller::Nobody;
    const QByteArray id = WebSessions::sessionIdFromCookies(m_head.header("cookie"));
    const auto session = m_settings.sessions->find(id);
    if (!session)
        return Caller::Nobody;
    m_sessionId = id;
    m_csrf = session->csrf;
    return Caller::Session;
}

void ApiConnection::serveWeb(const ApiRoute& route, const QByteArray& method)
{
    if (method != "GET" && method != "HEAD") {
        ApiResponse r = ApiResponse::error(
            405, tr("This address takes GET, HEAD, not %1").arg(QString::fromLatin1(method)));
        r.addHeader({"Allow", "GET, HEAD"});
        return respond(r);
    }
    // A HEAD (what a link preview may send) does not spend a sign-in code: only opening it does.
    if (route.kind == ApiRoute::Kind::WebSignIn && method != "GET") {
        ApiResponse r = ApiResponse::error(
            405, tr("A sign-in link is opened (GET), not %1").arg(QString::fromLatin1(method)));
        r.addHeader({"Allow", "GET"});
        return respond(r);
    }
    m_headOnly = method == "HEAD";
    if (route.kind == ApiRoute::Kind::WebFile && route.filePath == QLatin1String("index.html"))
        // Signed in (a session, or the token): the page comes with the list's first rows.
        return respond(webPage(caller() == Caller::Nobody ? nullptr : m_vault,
                               m_head.header("if-none-match")));
    if (route.kind == ApiRoute::Kind::WebFile)
        return respond(webFile(route.filePath, m_head.header("if-none-match")));
    if (!m_settings.sessions)
        return respond(ApiResponse::error(404, tr("This server has no web sign-in")));
    respond(webSignIn(*m_settings.sessions, route.query, m_settings.secureCookies));
}

void ApiConnection::serveSession(const QByteArray& method)
{
    if (m_sessionId.isEmpty() || !m_settings.sessions)
        return respond(ApiResponse::error(
            401, tr("This request is not signed in by a web session (a cookie)")));
    if (method != "DELETE")
        return respond(webSessionInfo(*m_settings.sessions, m_sessionId));
    m_settings.sessions->end(m_sessionId);
    ApiResponse r = ApiResponse::json(200, {{QStringLiteral("signedOut"), true}});
    r.addHeader({"Set-Cookie", QByteArray(WebSessions::CookieName) +
                                   "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"});
    respond(r);
}

void ApiConnection::serveTransfers()
{
    TransferControl* queue = m_settings.transfers;
    if (!queue)
        return respond(ApiResponse::error(503, tr("This server runs no transfer queue")));
    switch (m_route.kind) {
    case ApiRoute::Kind::Transfers:
        return respond(listTransfers(queue));
    case ApiRoute::Kind::Transfer:
        return respond(transferById(queue, m_route.transferId));
    default:
        break;
    }
    m_answered = true;
    m_events = new ApiEventStream(queue, m_socket, this);
    m_events->start(m_headOnly);
}

void ApiConnection::handlePost()
{
    m_answered = true;
    if (m_route.kind == ApiRoute::Kind::HubPathsInfo)
        return serveHub(m_route);
    if (m_route.kind == ApiRoute::Kind::SessionLinks)
        return respond(m_settings.sessions
                           ? webSignInLink(*m_settings.sessions, m_settings.linkBaseUrl, m_body)
                           : ApiResponse::error(404, tr("This server has no web "
                                                        "sign-in")));
    TransferControl* queue = m_settings.transfers;
    if (!queue)
        return respond(ApiResponse::error(503, tr("This server runs no transfer queue")));
    // Reading and writing this computer's folders is for programs on this computer only, even
    // when the server is reachable from others: the token opens the vault, not the disk.
    const bool localPaths =
        m_route.kind == ApiRoute::Kind::Floats ||
        (m_route.kind == ApiRoute::Kind::ModelAction && m_route.action == QLatin1String("restore"));
    if (localPaths && !m_socket->peerAddress().isLoopback())
        return respond(ApiResponse::error(
            403, tr("Floating from this computer's folders and restoring into them is taken only "
                    "from programs on this computer; upload the bytes instead (PUT)")));
    switch (m_route.kind) {
    case ApiRoute::Kind::TransferAction:
        return respond(controlTransfer(queue, m_route.transferId, m_route.action));
    case ApiRoute::Kind::Floats:
        return respond(queueFloat(queue, m_body));
    case ApiRoute::Kind::ModelAction:
        return respond(queueModelAction(queue, m_vault, m_route.model, m_route.action, m_body));
    default:
        return respond(ApiResponse::error(404, tr("There is nothing at this address")));
    }
}

void ApiConnection::startUpload()
{
    m_answered = true;
    if (!m_settings.transfers)
        return respond(ApiResponse::error(503, tr("This server runs no transfer queue")));
    bool ok = false;
    const qint64 length = m_head.header("content-length").trimmed().toLongLong(&ok);
    if (m_head.hasHeader("transfer-encoding") || !ok || length < 0)
        return respond(ApiResponse::error(
            411, tr("Send the file's bytes with a Content-Length (a chunked body is not taken): "
                    "the size is recorded before the first byte is placed")));
    const bool folder = m_route.kind == ApiRoute::Kind::ModelInfo;
    QString why;
    const QList<ApiUpload::File> files =
        folder ? ApiUpload::filesOfHeader(m_head.header("x-model-files"), length, &why)
               : QList<ApiUpload::File>{{m_route.filePath, length}};
    if (files.isEmpty())
        return respond(ApiResponse::error(400, why));
    m_upload = new ApiUpload(m_vault, m_settings.transfers, m_socket, m_route.model, files, folder,
                             m_head.header("expect").toLower() == "100-continue", m_buffer, this);
    m_buffer.clear();
    connect(m_upload, &ApiUpload::answered, this, [this](const ApiResponse& response) {
        m_upload->deleteLater();
        m_upload = nullptr;
        if (m_disconnected) {
            deleteLater();
            return;
        }
        m_socket->setReadBufferSize(0);
        respond(response);
    });
    m_upload->start();
}

void ApiConnection::respond(const ApiResponse& response)
{
    m_answered = true;
    m_socket->write(response.head());
    if (!m_headOnly)
        m_socket->write(response.body);
    m_socket->disconnectFromHost(); // once the answer is sent
}

void ApiConnection::serveFile(const ApiRoute& route)
{
    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(route.model);
    if (!model)
        return respond(
            ApiResponse::error(404, tr("There is no model named “%1”").arg(route.model)));
    const auto file = registry.modelRows().file(model->id, route.filePath);
    if (!file)
        return respond(ApiResponse::error(
            404, tr("Model “%1” has no file “%2”").arg(route.model, route.filePath)));
    if (file->state != FileRecord::State::Complete)
        return respond(ApiResponse::error(
            409, tr("“%1” was never completely floated; float it again to finish it")
                     .arg(route.filePath)));
    sendFile(*file, ApiResponse(), '"' + file->sha256 + '"');
}

void ApiConnection::serveHub(const ApiRoute& route)
{
    m_answered = true;
    ApiResponse notFound;
    const auto hub = findHubModel(m_vault->registry(), route.model, route.revision, &notFound);
    if (!hub)
        return respond(notFound);
    if (route.kind == ApiRoute::Kind::HubRefs)
        return respond(hubRefs(*hub));
    if (route.kind == ApiRoute::Kind::HubModelInfo &&
        route.query.queryItemValue(QStringLiteral("blobs")) != QLatin1String("true"))
        return respond(hubModelInfo(*hub, route.query, *m_settings.blobIds));
    const FileRecord* file = nullptr;
    if (route.kind == ApiRoute::Kind::HubResolve || route.kind == ApiRoute::Kind::HubRaw) {
        const auto found =
            std::find_if(hub->files.cbegin(), hub->files.cend(),
                         [&](const FileRecord& f) { return f.path == route.filePath; });
        if (found == hub->files.cend())
            return respond(hubError(404, "EntryNotFound",
                                    tr("%1 does not exist on “%2”")
                                        .arg(route.filePath, QString::fromLatin1(hub->commit))));
        file = &*found;
    }
    // Files outside LFS are named by their git blob id, computed from their bytes the first
    // time they are asked for; the answer waits for it.
    const QList<FileRecord> missing =
        m_settings.blobIds->missing(file ? QList<FileRecord>{*file} : hub->files);
    if (!missing.isEmpty()) {
        if (m_blobIdsTried)
            return respond(ApiResponse::error(500, tr("The files' ids could not be computed")));
        m_blobIdsTried = true;
        m_blobJob = new HubBlobIdJob(m_vault, m_settings.blobIds, missing, this);
        connect(m_blobJob, &HubBlobIdJob::finished, this, [this] {
            const QString why = m_blobJob->error();
            m_blobJob->deleteLater();
            m_blobJob = nullptr;
            if (m_disconnected) {
                deleteLater();
                return;
            }
            if (!why.isEmpty())
                return respond(ApiResponse::error(
                    503, tr("A file of this model cannot be read now: %1").arg(why)));
            serveHub(m_route);
        });
        m_blobJob->start();
        return;
    }
    switch (route.kind) {
    case ApiRoute::Kind::HubModelInfo:
        return respond(hubModelInfo(*hub, route.query, *m_settings.blobIds));
    case ApiRoute::Kind::HubTree: {
        // The next page's address is this one's: the Host header was checked (hostAllowed()).
        const QByteArray target = m_head.target();
        const qsizetype question = target.indexOf('?');
        return respond(hubTree(*hub, route.filePath, route.query, *m_settings.blobIds,
                               "http://" + m_head.header("host") +
                                   (question < 0 ? target : target.left(question))));
    }
    case ApiRoute::Kind::HubPathsInfo:
        return respond(
            hubPathsInfo(*hub, m_body, m_head.header("content-type"), *m_settings.blobIds));
    case ApiRoute::Kind::HubRaw:
        return serveRaw(*file, hub->commit);
    default:
        break;
    }
    // What the Hub sends: the commit; for a Git LFS file also its SHA-256 and size (which its
    // clients take as the file's identity in their caches), for any other its git blob id.
    ApiResponse r;
    r.addHeader({"X-Repo-Commit", hub->commit});
    const QByteArray etag = '"' + hubEtag(*file, *m_settings.blobIds) + '"';
    if (hfcache::storedInLfs(file->path, file->size)) {
        r.addHeader({"X-Linked-Etag", etag});
        r.addHeader({"X-Linked-Size", QByteArray::number(file->size)});
    }
    sendFile(*file, r, etag);
}

void ApiConnection::serveRegistry(const ApiRoute& route)
{
    const QList<RegistryImage> images = registryImages(m_vault->registry(), route.model);
    if (images.isEmpty())
        return respond(registryError(
            404, "NAME_UNKNOWN",
            tr("No complete floating model with a GGUF file is named “%1”").arg(route.model)));
    if (route.kind == ApiRoute::Kind::RegistryTags)
        return respond(registryTags(route.model, images));
    if (route.kind == ApiRoute::Kind::RegistryManifest)
        return respond(isLlamaCppAgent(m_head.header("user-agent"))
                           ? llamaCppManifest(images, route.revision)
                           : registryManifest(images, route.revision, m_head.header("accept")));
    std::optional<FileRecord> file;
    const ApiResponse r = registryBlob(images, route.revision, &file);
    if (!file)
        return respond(r);
    sendFile(*file, r, '"' + route.revision.toLatin1() + '"');
}

void ApiConnection::serveRaw(const FileRecord& file, const QByteArray& commit)
{
    ApiResponse r;
    r.addHeader({"X-Repo-Commit", commit});
    // Git holds a small file's bytes, and only the pointer of a file in LFS: raw/ answers that.
    if (!hfcache::storedInLfs(file.path, file.size))
        return sendFile(file, r, '"' + hubEtag(file, *m_settings.blobIds) + '"');
    r.body = lfsPointer(file);
    r.addHeader({"ETag", '"' + gitBlobId(r.body) + '"'});
    r.addHeader({"Content-Type", "text/plain; charset=utf-8"});
    respond(r);
}

void ApiConnection::sendFile(const FileRecord& file, ApiResponse r, const QByteArray& etag)
{
    r.addHeader({"ETag", etag});
    r.addHeader({"Accept-Ranges", "bytes"});
    // A Range for another version of the file (If-Range names another ETag) gets it whole.
    const bool rangeApplies = m_head.hasHeader("range") &&
                              (!m_head.hasHeader("if-range") || m_head.header("if-range") == etag);
    const ByteRange range = rangeApplies ? ByteRange::parse(m_head.header("range"), file.size)
                                         : ByteRange{ByteRange::Kind::Whole, 0, file.size};
    if (range.kind == ByteRange::Kind::Unsatisfiable) {
        ApiResponse refused = ApiResponse::error(
            416, tr("The range is outside “%1”, which has %2 bytes").arg(file.path).arg(file.size));
        refused.addHeader({"Content-Range", "bytes */" + QByteArray::number(file.size)});
        return respond(refused);
    }
    r.addHeader({"Content-Type", "application/octet-stream"});
    if (range.kind == ByteRange::Kind::Part) {
        r.status = 206;
        r.addHeader({"Content-Range", "bytes " + QByteArray::number(range.begin) + '-' +
                                          QByteArray::number(range.end - 1) + '/' +
                                          QByteArray::number(file.size)});
    }
    stream(r, &file, nullptr, range.begin, range.end);
}

void ApiConnection::removeModel(const ApiRoute& route)
{
    m_answered = true;
    // As `modelfloat-cli rm`: a model an app uses stays; the removal is published to the
    // catalog, and no chunk that another model, another vault or a float in progress anywhere
    // relies on is deleted.
    if (const QString inUse = AppUses::ofVault(m_vault->directory()).removalRefusal(route.model);
        !inUse.isEmpty())
        return respond(ApiResponse::error(409, inUse));
    auto* job = new CatalogCollectJob(m_vault, route.model, this);
    m_removal = job;
    connect(job, &TransferJob::finished, this, [this, job, name = route.model] {
        job->deleteLater();
        m_removal = nullptr;
        if (m_disconnected) {
            deleteLater();
            return;
        }
        if (!job->error().ok()) {
            const int status = job->modelBusy()                             ? 409
                               : job->error().kind == Error::Kind::NotFound ? 404
                                                                            : 500;
            return respond(ApiResponse::error(status, job->error().message));
        }
        respond(ApiResponse::json(
            200, {{QStringLiteral("removed"), name},
                  {QStringLiteral("chunksFreed"), job->chunksFreed()},
                  {QStringLiteral("bytesFreed"), job->bytesFreed()},
                  {QStringLiteral("chunksWaiting"), job->chunksWaiting()},
                  {QStringLiteral("bytesWaiting"), job->bytesWaiting()},
                  {QStringLiteral("freeAfter"), job->freeAfter()},
                  {QStringLiteral("warnings"), QJsonArray::fromStringList(job->warnings())}}));
    });
    job->start();
}

void ApiConnection::serveChunk(const ApiRoute& route)
{
    const auto size = m_vault->registry().placementRows().chunkSize(route.cid);
    if (!size)
        return respond(ApiResponse::error(
            404, tr("This vault has no chunk with the CID “%1”").arg(route.cid)));
    ApiResponse r;
    // The trustless gateway's ETag names the block and its form.
    const QByteArray form = route.kind == ApiRoute::Kind::IpfsBlock ? ".raw" : "";
    r.addHeader({"ETag", '"' + route.cid.toLatin1() + form + '"'});
    r.addHeader({"Content-Type", "application/vnd.ipld.raw"});
    FileChunk chunk;
    chunk.cid = route.cid;
    chunk.size = *size;
    stream(r, nullptr, &chunk, 0, *size);
}

void ApiConnection::stream(ApiResponse response, const FileRecord* file, const FileChunk* chunk,
                           qint64 begin, qint64 end)
{
    m_answered = true;
    m_socket->write(response.head(end - begin));
    if (m_headOnly || begin == end) {
        m_socket->disconnectFromHost();
        return;
    }
    m_job = file ? new RangeJob(m_vault, *file, begin, end, m_socket)
                 : new RangeJob(m_vault, *chunk, m_socket);
    connect(m_job, &RangeJob::finished, this, &ApiConnection::onStreamFinished);
    m_job->start();
}

void ApiConnection::onStreamFinished()
{
    m_jobFinished = true;
    if (m_disconnected) {
        deleteLater();
        return;
    }
    if (m_job->error().ok()) {
        m_socket->disconnectFromHost(); // once every byte is sent
        return;
    }
    // Short of Content-Length: the client sees the answer is incomplete, never wrong bytes.
    qWarning("API: a stream ended early: %s", qUtf8Printable(m_job->error().message));
    m_socket->abort();
    deleteLater();
}

} // namespace mf::api
