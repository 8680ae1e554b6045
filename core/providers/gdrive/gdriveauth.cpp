#include "gdriveauth.h"

#include "providers/network/httpexchange.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QUrlQuery>

namespace mf::gdrive {

namespace {

std::function<void(const QUrl&)>& opener()
{
    static std::function<void(const QUrl&)> o;
    return o;
}

QByteArray randomBase64Url(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator* rng = QRandomGenerator::system();
    for (char& c : raw)
        c = char(rng->bounded(256));
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// A form POST to the token endpoint; the body is rebuilt for each attempt.
HttpExchange::Request tokenRequest(const QUrl& url, const QUrlQuery& form, const QString& what)
{
    const QByteArray body = form.toString(QUrl::FullyEncoded).toUtf8();
    HttpExchange::Request r;
    r.method = "POST";
    r.what = what;
    r.build = [url](const HttpExchange::Attempt&) {
        QNetworkRequest q(url);
        q.setHeader(QNetworkRequest::ContentTypeHeader,
                    QByteArrayLiteral("application/x-www-form-urlencoded"));
        return q;
    };
    r.openBody = [body]() -> std::unique_ptr<QIODevice> {
        auto b = std::make_unique<QBuffer>();
        b->setData(body);
        b->open(QIODevice::ReadOnly);
        return b;
    };
    r.bodySize = body.size();
    // Their bodies say why (invalid_grant, invalid_client): read by tokenError().
    r.acceptedStatuses = {400, 401};
    return r;
}

const char* const ClosePage =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>ModelFloat</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>%1</h1><p>%2</p></body></html>";

} // namespace

void setConsentPageOpener(std::function<void(const QUrl&)> o)
{
    opener() = std::move(o);
}

QByteArray makeCodeVerifier()
{
    return randomBase64Url(32);
}

QByteArray codeChallengeS256(const QByteArray& verifier)
{
    return QCryptographicHash::hash(verifier, QCryptographicHash::Sha256)
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

Error tokenError(int status, const QByteArray& body, const QString& providerName)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QString error = o.value(QStringLiteral("error")).toString();
    if (error == QLatin1String("invalid_grant"))
        return Error::make(Error::Kind::Authentication,
                           QObject::tr("Google no longer accepts the sign-in of “%1” (it was "
                                       "revoked or has expired): sign in again with "
                                       "`modelfloat-cli provider auth %1` or “Sign in again” on "
                                       "the Providers page")
                               .arg(providerName));
    if (error == QLatin1String("invalid_client") || status == 401)
        return Error::make(Error::Kind::Authentication,
                           QObject::tr("Google does not know the OAuth client of “%1”: check its "
                                       "client id and client secret")
                               .arg(providerName));
    return Error::make(Error::Kind::Authentication,
                       QObject::tr("Google refused the sign-in of “%1” (%2)")
                           .arg(providerName, error.isEmpty() ? QString::number(status) : error));
}

// ---------------------------------------------------------------------------------------------

SignInJob::SignInJob(const OAuthClient& client, QObject* parent)
    : CredentialJob(parent)
    , m_client(client)
    , m_timeout(this)
{
    m_network.setAutoDeleteReplies(false);
    m_timeout.setSingleShot(true);
    m_timeout.setInterval(BrowserTimeoutMs);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        fail(Error::make(Error::Kind::Authentication,
                         tr("Nobody answered Google's consent page within %1 minutes")
                             .arg(BrowserTimeoutMs / 60000)));
    });
    connect(&m_listener, &QTcpServer::newConnection, this, &SignInJob::onConnection);
}

SignInJob::~SignInJob()
{
    if (m_exchange)
        m_exchange->abort();
}

void SignInJob::start()
{
    if (m_client.clientId.isEmpty()) {
        fail(Error::make(Error::Kind::Authentication,
                         tr("Signing in to Google Drive needs an OAuth client id (see "
                            "docs/gdrive.md)")));
        return;
    }
    if (!m_listener.listen(QHostAddress::LocalHost, 0)) {
        fail(
            Error::make(Error::Kind::Fatal, tr("Cannot listen on 127.0.0.1 for Google's answer: %1")
                                                .arg(m_listener.errorString())));
        return;
    }
    m_verifier = makeCodeVerifier();
    m_state = QString::fromLatin1(randomBase64Url(16));
    m_redirectUri = QStringLiteral("http://127.0.0.1:%1/").arg(m_listener.serverPort());
    QUrl url = m_client.authUrl;
    QUrlQuery q(url);
    q.addQueryItem(QStringLiteral("client_id"), m_client.clientId);
    q.addQueryItem(QStringLiteral("redirect_uri"), m_redirectUri);
    q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
    q.addQueryItem(QStringLiteral("scope"), DriveFileScope);
    q.addQueryItem(QStringLiteral("code_challenge"),
                   QString::fromLatin1(codeChallengeS256(m_verifier)));
    q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
    q.addQueryItem(QStringLiteral("state"), m_state);
    q.addQueryItem(QStringLiteral("access_type"), QStringLiteral("offline"));
    // A new consent gives a new refresh token even when one was granted before.
    q.addQueryItem(QStringLiteral("prompt"), QStringLiteral("consent"));
    // QUrlQuery leaves ':' and '/' as they are; the redirect URI must arrive whole.
    url.setQuery(q.query(QUrl::FullyEncoded)
                     .replace(QStringLiteral(":"), QStringLiteral("%3A"))
                     .replace(QStringLiteral("/"), QStringLiteral("%2F")),
                 QUrl::StrictMode);
    m_consentUrl = url;
    m_timeout.start();
    if (opener())
        opener()(url);
    else
        qInfo("Open this address to sign in to Google Drive: %s",
              url.toEncoded(QUrl::FullyEncoded).constData());
}

void SignInJob::onConnection()
{
    while (QTcpSocket* socket = m_listener.nextPendingConnection()) {
        socket->setParent(this);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onRequest(socket); });
    }
}

void SignInJob::onRequest(QTcpSocket* socket)
{
    QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
    if (buffer.size() > 16384) {
        socket->abort();
        return;
    }
    socket->setProperty("buffer", buffer);
    if (!buffer.contains("\r\n\r\n"))
        return;
    const QList<QByteArray> line = buffer.left(buffer.indexOf("\r\n")).split(' ');
    const auto answer = [socket](int status, const QString& title, const QString& text) {
        const QByteArray page = QString::fromLatin1(ClosePage)
                                    .arg(title.toHtmlEscaped(), text.toHtmlEscaped())
                                    .toUtf8();
        socket->write("HTTP/1.1 " + QByteArray::number(status) +
                      (status == 200 ? " OK" : " Bad Request") +
                      "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                      QByteArray::number(page.size()) + "\r\nConnection: close\r\n\r\n" + page);
        socket->disconnectFromHost();
    };
    const QUrl target =
        line.size() >= 2 ? QUrl(QString::fromLatin1(line.at(1)), QUrl::StrictMode) : QUrl();
    const QUrlQuery query(target);
    // Only the answer to our own request counts (a page that guessed the port does not).
    if (m_answered || line.value(0) != "GET" ||
        query.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded) != m_state) {
        answer(400, tr("Not expected"), tr("This is not the answer ModelFloat waits for."));
        return;
    }
    m_answered = true;
    const QString error = query.queryItemValue(QStringLiteral("error"), QUrl::FullyDecoded);
    const QString code = query.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
    if (!error.isEmpty() || code.isEmpty()) {
        answer(200, tr("Not signed in"),
               tr("ModelFloat was not given access (%1). You can close this page.")
                   .arg(error.isEmpty() ? tr("no code") : error));
        fail(Error::make(Error::Kind::Authentication,
                         error == QLatin1String("access_denied")
                             ? tr("Access to Google Drive was refused on the consent page")
                             : tr("Google's consent page answered: %1")
                                   .arg(error.isEmpty() ? tr("no code") : error)));
        return;
    }
    answer(200, tr("ModelFloat is signed in"),
           tr("ModelFloat can now use your Google Drive. You can close this page."));
    m_listener.close();
    exchange(code);
}

void SignInJob::exchange(const QString& code)
{
    QUrlQuery form;
    const auto add = [&form](const QString& k, const QString& v) {
        form.addQueryItem(k, QString::fromLatin1(QUrl::toPercentEncoding(v)));
    };
    add(QStringLiteral("grant_type"), QStringLiteral("authorization_code"));
    add(QStringLiteral("code"), code);
    add(QStringLiteral("redirect_uri"), m_redirectUri);
    add(QStringLiteral("client_id"), m_client.clientId);
    add(QStringLiteral("client_secret"), m_client.clientSecret);
    add(QStringLiteral("code_verifier"), QString::fromLatin1(m_verifier));
    auto* x = new HttpExchange(
        &m_network, tokenRequest(m_client.tokenUrl, form, tr("Signing in to Google")), this);
    m_exchange = x;
    connect(x, &HttpExchange::finished, this, [this, x] {
        x->deleteLater();
        if (x->error()) {
            fail(x->error());
            return;
        }
        const QJsonObject o = QJsonDocument::fromJson(x->body()).object();
        const QString refresh = o.value(QStringLiteral("refresh_token")).toString();
        if (x->status() != 200 || refresh.isEmpty()) {
            fail(x->status() == 200 ? Error::make(Error::Kind::Authentication,
                                                  tr("Google signed in but gave no refresh token"))
                                    : tokenError(x->status(), x->body(), tr("Google Drive")));
            return;
        }
        m_timeout.stop();
        m_secrets = {{QStringLiteral("clientSecret"), m_client.clientSecret},
                     {QStringLiteral("refreshToken"), refresh}};
        finish(Error::none());
    });
    x->start();
}

void SignInJob::fail(const Error& error)
{
    m_timeout.stop();
    m_listener.close();
    finish(error);
}

// ---------------------------------------------------------------------------------------------

TokenSource::TokenSource(QNetworkAccessManager* network, const QString& providerName,
                         QObject* parent)
    : QObject(parent)
    , m_network(network)
    , m_providerName(providerName)
{}

TokenSource::~TokenSource()
{
    if (m_exchange)
        m_exchange->abort();
}

void TokenSource::setClient(const OAuthClient& client, const QString& refreshToken)
{
    m_client = client;
    if (refreshToken != m_refreshToken) {
        m_refreshToken = refreshToken;
        m_accessToken.clear();
        m_expiresAtMs = 0;
    }
}

void TokenSource::withToken(QObject* owner,
                            std::function<void(const Error&, const QByteArray&)> ready)
{
    // A minute of margin: a request that starts now must not arrive with an expired token.
    if (!m_accessToken.isEmpty() && QDateTime::currentMSecsSinceEpoch() + 60000 < m_expiresAtMs) {
        ready(Error::none(), m_accessToken);
        return;
    }
    m_waiters.push_back({owner, std::move(ready)});
    if (!m_exchange)
        refresh();
}

void TokenSource::invalidate(const QByteArray& token)
{
    if (token == m_accessToken)
        m_accessToken.clear();
}

void TokenSource::refresh()
{
    if (m_refreshToken.isEmpty()) {
        deliver(Error::make(Error::Kind::Authentication,
                            tr("“%1” is not signed in to Google Drive: run `modelfloat-cli "
                               "provider auth %1` or press “Sign in…” on the Providers page")
                                .arg(m_providerName)));
        return;
    }
    QUrlQuery form;
    const auto add = [&form](const QString& k, const QString& v) {
        form.addQueryItem(k, QString::fromLatin1(QUrl::toPercentEncoding(v)));
    };
    add(QStringLiteral("grant_type"), QStringLiteral("refresh_token"));
    add(QStringLiteral("refresh_token"), m_refreshToken);
    add(QStringLiteral("client_id"), m_client.clientId);
    add(QStringLiteral("client_secret"), m_client.clientSecret);
    auto* x =
        new HttpExchange(m_network,
                         tokenRequest(m_client.tokenUrl, form,
                                      tr("Refreshing the sign-in of “%1”").arg(m_providerName)),
                         this);
    m_exchange = x;
    connect(x, &HttpExchange::finished, this, [this, x] {
        x->deleteLater();
        m_exchange = nullptr;
        if (x->error()) {
            deliver(x->error());
            return;
        }
        const QJsonObject o = QJsonDocument::fromJson(x->body()).object();
        const QByteArray token = o.value(QStringLiteral("access_token")).toString().toLatin1();
        if (x->status() != 200 || token.isEmpty()) {
            deliver(tokenError(x->status(), x->body(), m_providerName));
            return;
        }
        ++m_refreshes;
        m_accessToken = token;
        m_expiresAtMs = QDateTime::currentMSecsSinceEpoch() +
                        qint64(o.value(QStringLiteral("expires_in")).toInt(3599)) * 1000;
        deliver(Error::none());
    });
    x->start();
}

void TokenSource::deliver(const Error& error)
{
    std::vector<Waiter> waiters;
    waiters.swap(m_waiters);
    for (Waiter& w : waiters)
        if (w.owner)
            w.ready(error, m_accessToken);
}

} // namespace mf::gdrive
