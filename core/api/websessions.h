#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

#include <optional>

namespace mf::api {

// The web page's sign-in (docs/api.md, "The web page"): a person never types the token. The
// server hands out one-time sign-in codes (in the link `serve` prints, or one the app shows);
// opening the link trades the code, once and while it is fresh, for a session: a random id the
// browser keeps in an HttpOnly cookie, with a CSRF token the page reads from the API and sends
// back with every request that changes something. Only hashes of codes and session ids are
// kept, in memory: a session ends with the server, when it expires, or when every session is
// ended (endAll(), or `serve --logout-all` from another process, through a stamp file in the
// vault's folder that the running server reads).
class WebSessions final
{
    Q_DISABLE_COPY_MOVE(WebSessions)

public:
    static constexpr int DefaultCodeLifetimeSeconds = 300;
    static constexpr int MaxCodeLifetimeSeconds = 3600;
    static constexpr int SessionLifetimeSeconds = 12 * 3600;
    // Bounds on what the server keeps, whatever asks: the oldest goes first.
    static constexpr int MaxCodes = 64;
    static constexpr int MaxSessions = 256;
    static constexpr const char* CookieName = "mf_session";

    // `vaultDirectory`: where the stamp of `serve --logout-all` lives.
    explicit WebSessions(const QString& vaultDirectory);

    // A new sign-in code (URL-safe), good once within `lifetimeSeconds` (1 to
    // MaxCodeLifetimeSeconds).
    QByteArray newCode(int lifetimeSeconds = DefaultCodeLifetimeSeconds);

    struct Session
    {
        QByteArray id;   // the cookie's value
        QByteArray csrf; // what mutating requests carry in X-CSRF-Token
        qint64 expiresMs = 0;
    };
    // Trades a code for a new session: none if the code is unknown, used or expired.
    std::optional<Session> redeem(const QByteArray& code);
    // The live session a cookie value names (its id is not filled in), or none.
    std::optional<Session> find(const QByteArray& sessionId);
    // Ends the session `sessionId` names (signing out).
    void end(const QByteArray& sessionId);
    // Ends every session this server and any other on the vault has given, and every code.
    bool endAll(QString* error);
    // What `serve --logout-all` does from its own process: sessions given before now are no
    // longer taken by any server on the vault in `vaultDirectory`.
    static bool endAllSessions(const QString& vaultDirectory, QString* error);

    // The session id in a Cookie header's value, or empty.
    static QByteArray sessionIdFromCookies(const QByteArray& cookieHeader);

private:
    struct Kept
    {
        QByteArray csrf;
        qint64 createdMs = 0;
        qint64 expiresMs = 0;
    };
    void forgetExpired(qint64 nowMs);
    qint64 endedBeforeMs();

    QString m_stampPath;
    QHash<QByteArray, qint64> m_codes;  // hash of a code -> when it expires
    QHash<QByteArray, Kept> m_sessions; // hash of a session id -> the session
    qint64 m_stampModifiedMs = -1;      // the stamp file's mtime when last read
    qint64 m_endedBeforeMs = 0;         // what it said
};

} // namespace mf::api
