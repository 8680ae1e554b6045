#pragma once

#include "megaapi.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

#include <optional>

namespace mf::mega {

// What a sign-in yields and what the keychain keeps (never the password): the session id, the
// master key that opens every node key, and the account's user handle.
struct Session
{
    QByteArray sid;
    QByteArray masterKey; // 16 bytes
    QString userHandle;

    bool isValid() const { return !sid.isEmpty() && masterKey.size() == 16; }
    // The provider's secrets as stored: {"session","masterKey","userHandle"} (base64url).
    QJsonObject toSecrets() const;
    static std::optional<Session> fromSecrets(const QJsonObject& secrets);
};

// Signs in with an e-mail and password (and a two-factor code when the account has one):
// prelogin (us0) for the account version and salt, key derivation (v1, or PBKDF2-HMAC-SHA512
// for v2, on the thread pool), login (us), then the master key, the RSA private key and the
// session id decrypted. finished() once, queued; session() is valid when error() is none. The
// password is dropped as soon as the keys are derived.
class SignIn final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignIn)

public:
    SignIn(Api* api, const QString& email, const QString& password, const QString& twoFactorCode,
           QObject* parent = nullptr);
    ~SignIn() override;

    void start();
    const Error& error() const { return m_error; }
    const Session& session() const { return m_session; }

Q_SIGNALS:
    void finished();

private:
    void onPrelogin(const Reply& r);
    void login(const QByteArray& passwordKey, const QByteArray& userHash);
    void onLogin(const QByteArray& passwordKey, const Reply& r);
    void finish(const Error& e);

    Api* m_api;
    QByteArray m_email;
    QByteArray m_password;
    QString m_twoFactorCode;
    Session m_session;
    Error m_error;
    bool m_finished = false;
};

} // namespace mf::mega
