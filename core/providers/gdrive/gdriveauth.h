#pragma once

#include "credentials/credentialstore.h"
#include "util/error.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>

class QTcpSocket;

namespace mf {

class HttpExchange;

namespace gdrive {

// The OAuth 2.0 client a Drive provider signs in as (a "Desktop app" client: its secret is not
// confidential, but Google's token endpoint expects it) and Google's endpoints, or a test
// server's.
struct OAuthClient
{
    QString clientId;
    QString clientSecret;
    QUrl authUrl;  // https://accounts.google.com/o/oauth2/v2/auth
    QUrl tokenUrl; // https://oauth2.googleapis.com/token
};

inline const QString DriveFileScope = QStringLiteral("https://www.googleapis.com/auth/drive.file");

// How the address of the consent page reaches the user: the desktop app opens the browser, the
// command-line tool prints it (and tries the browser). Set once by the program at start; without
// one the address is only logged.
void setConsentPageOpener(std::function<void(const QUrl&)> opener);

// PKCE (RFC 7636): a 43-character verifier from 32 random bytes, and its S256 challenge.
QByteArray makeCodeVerifier();
QByteArray codeChallengeS256(const QByteArray& verifier);

// OAuth 2.0 for installed apps: a listener on 127.0.0.1 (an ephemeral port) is the redirect
// URI; the consent page is opened with PKCE (S256) and a random state; the answer that carries
// that state ends the wait (anything else reaching the listener is answered 400 and ignored) and
// the browser is told it can close the page; the code is exchanged for tokens. Its secrets() are
// what the credential store keeps: {"clientSecret", "refreshToken"}. Written on QTcpServer
// rather than Qt 6.4's QOAuth2AuthorizationCodeFlow, which has no PKCE and hands the code on
// percent-encoded twice (Google's codes start with "4/").
class SignInJob final : public CredentialJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignInJob)

public:
    SignInJob(const OAuthClient& client, QObject* parent = nullptr);
    ~SignInJob() override;

    void start() override;
    // The consent page's address (valid once started), for tests and messages.
    QUrl consentUrl() const { return m_consentUrl; }
    static constexpr int BrowserTimeoutMs = 5 * 60 * 1000;

private:
    void onConnection();
    void onRequest(QTcpSocket* socket);
    void exchange(const QString& code);
    void fail(const Error& error);

    QNetworkAccessManager m_network;
    OAuthClient m_client;
    QTcpServer m_listener;
    QTimer m_timeout;
    QByteArray m_verifier;
    QString m_state;
    QString m_redirectUri;
    QUrl m_consentUrl;
    QPointer<HttpExchange> m_exchange;
    bool m_answered = false;
};

// The access tokens of a signed-in provider: refreshed from the refresh token a minute before
// they expire and when the API answers 401. One refresh at a time; callers wait for it. A grant
// Google no longer accepts (revoked, expired) becomes an Authentication error that says to sign
// in again.
class TokenSource final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TokenSource)

public:
    TokenSource(QNetworkAccessManager* network, const QString& providerName,
                QObject* parent = nullptr);
    ~TokenSource() override;

    void setClient(const OAuthClient& client, const QString& refreshToken);
    // Calls `ready` with a usable access token (at once when the current one is), or an error.
    // Nothing is called if `owner` is gone by then.
    void withToken(QObject* owner, std::function<void(const Error&, const QByteArray&)> ready);
    // The API refused `token` (401): the next withToken() refreshes.
    void invalidate(const QByteArray& token);
    int refreshes() const { return m_refreshes; }

private:
    struct Waiter
    {
        QPointer<QObject> owner;
        std::function<void(const Error&, const QByteArray&)> ready;
    };
    void refresh();
    void deliver(const Error& error);

    QNetworkAccessManager* m_network;
    QString m_providerName;
    OAuthClient m_client;
    QString m_refreshToken;
    QByteArray m_accessToken;
    qint64 m_expiresAtMs = 0;
    QPointer<HttpExchange> m_exchange;
    std::vector<Waiter> m_waiters;
    int m_refreshes = 0;
};

// The token endpoint's error body ({"error":"invalid_grant",...}) as an Error: invalid_grant
// means the grant is dead (sign in again), invalid_client a wrong client id or secret.
Error tokenError(int status, const QByteArray& body, const QString& providerName);

} // namespace gdrive
} // namespace mf
