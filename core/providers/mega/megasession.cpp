#include "megasession.h"

#include "megacrypto.h"

#include <QFutureWatcher>
#include <QJsonArray>
#include <QPromise>
#include <QThreadPool>

#include <openssl/crypto.h>

namespace mf::mega {

QJsonObject Session::toSecrets() const
{
    return {{QStringLiteral("session"), QString::fromLatin1(sid)},
            {QStringLiteral("masterKey"), QString::fromLatin1(base64urlEncode(masterKey))},
            {QStringLiteral("userHandle"), userHandle}};
}

std::optional<Session> Session::fromSecrets(const QJsonObject& secrets)
{
    Session s;
    s.sid = secrets.value(QStringLiteral("session")).toString().toLatin1();
    s.masterKey = base64urlDecode(secrets.value(QStringLiteral("masterKey")).toString().toLatin1())
                      .value_or(QByteArray());
    s.userHandle = secrets.value(QStringLiteral("userHandle")).toString();
    if (!s.isValid())
        return std::nullopt;
    return s;
}

SignIn::SignIn(Api* api, const QString& email, const QString& password,
               const QString& twoFactorCode, QObject* parent)
    : QObject(parent)
    , m_api(api)
    , m_email(email.trimmed().toLower().toUtf8())
    , m_password(password.toUtf8())
    , m_twoFactorCode(twoFactorCode.trimmed())
{}

SignIn::~SignIn()
{
    OPENSSL_cleanse(m_password.data(), size_t(m_password.size()));
}

void SignIn::start()
{
    if (m_email.isEmpty() || m_password.isEmpty())
        return finish(
            Error::make(Error::Kind::Authentication,
                        tr("Signing in to MEGA needs the account's e-mail and password")));
    m_api->call(this,
                {{QStringLiteral("a"), QStringLiteral("us0")},
                 {QStringLiteral("user"), QString::fromUtf8(m_email)}},
                [this](const Reply& r) { onPrelogin(r); });
}

void SignIn::onPrelogin(const Reply& r)
{
    if (r.error)
        return finish(r.error);
    const QJsonObject o = r.value.toObject();
    const int version = o.value(QStringLiteral("v")).toInt();
    const auto salt = base64urlDecode(o.value(QStringLiteral("s")).toString().toLatin1());
    if (version != 1 && !(version == 2 && salt && !salt->isEmpty()))
        return finish(Error::make(Error::Kind::Fatal,
                                  tr("This MEGA account is of a version (%1) this version of "
                                     "ModelFloat cannot sign in to")
                                      .arg(version)));
    // 100,000 rounds of PBKDF2 (or 65,536 AES passes for v1): not on this thread.
    auto promise = std::make_shared<QPromise<DerivedKeys>>();
    auto* watcher = new QFutureWatcher<DerivedKeys>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        watcher->deleteLater();
        const DerivedKeys k = watcher->future().result();
        login(k.passwordKey, k.userHash);
    });
    watcher->setFuture(promise->future());
    promise->start();
    const QByteArray password = m_password;
    const QByteArray email = m_email;
    const QByteArray s = salt.value_or(QByteArray());
    OPENSSL_cleanse(m_password.data(), size_t(m_password.size()));
    m_password.clear();
    QThreadPool::globalInstance()->start([promise, password, email, s, version] {
        QByteArray pw = password;
        promise->addResult(version == 2 ? deriveKeysV2(pw, s) : deriveKeysV1(pw, email));
        OPENSSL_cleanse(pw.data(), size_t(pw.size()));
        // OpenSSL's per-thread state (its error queue) would live as long as this pool thread,
        // past the process's leak check: freed where the work ends, as FloatJob does.
        OPENSSL_thread_stop();
        promise->finish();
    });
}

void SignIn::login(const QByteArray& passwordKey, const QByteArray& userHash)
{
    QJsonObject us{{QStringLiteral("a"), QStringLiteral("us")},
                   {QStringLiteral("user"), QString::fromUtf8(m_email)},
                   {QStringLiteral("uh"), QString::fromLatin1(userHash)}};
    if (!m_twoFactorCode.isEmpty())
        us.insert(QStringLiteral("mfa"), m_twoFactorCode);
    m_api->call(this, us, [this, passwordKey](const Reply& r) { onLogin(passwordKey, r); });
}

void SignIn::onLogin(const QByteArray& passwordKey, const Reply& r)
{
    if (r.code == -9)
        return finish(Error::make(Error::Kind::Authentication,
                                  m_twoFactorCode.isEmpty()
                                      ? tr("MEGA did not accept this e-mail and password")
                                      : tr("MEGA did not accept this e-mail, password and "
                                           "two-factor code")));
    if (r.code == -26)
        return finish(Error::make(Error::Kind::Authentication,
                                  tr("This MEGA account has two-factor authentication: give the "
                                     "current code from the authenticator app as well")));
    if (r.error)
        return finish(r.error);
    const QJsonObject o = r.value.toObject();
    const auto k = base64urlDecode(o.value(QStringLiteral("k")).toString().toLatin1());
    const Error unreadable =
        Error::make(Error::Kind::Fatal, tr("MEGA's answer to the sign-in could not be decrypted"));
    if (!k || k->size() != KeySize)
        return finish(unreadable);
    m_session.masterKey = ecbDecrypt(passwordKey, *k);
    m_session.userHandle = o.value(QStringLiteral("u")).toString();
    if (o.contains(QStringLiteral("tsid"))) {
        const QByteArray text = o.value(QStringLiteral("tsid")).toString().toLatin1();
        const auto tsid = base64urlDecode(text);
        if (!tsid || !checkTemporarySession(m_session.masterKey, *tsid))
            return finish(unreadable);
        m_session.sid = text;
        return finish(Error::none());
    }
    const auto privk = base64urlDecode(o.value(QStringLiteral("privk")).toString().toLatin1());
    const auto csid = base64urlDecode(o.value(QStringLiteral("csid")).toString().toLatin1());
    if (!privk || !csid || privk->isEmpty() || privk->size() % 16 != 0)
        return finish(unreadable);
    QByteArray rsa = ecbDecrypt(m_session.masterKey, *privk);
    const auto sid = decryptSessionId(rsa, *csid);
    OPENSSL_cleanse(rsa.data(), size_t(rsa.size()));
    if (!sid)
        return finish(unreadable);
    m_session.sid = *sid;
    finish(Error::none());
}

void SignIn::finish(const Error& e)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = e;
    if (e)
        m_session = Session{};
    QMetaObject::invokeMethod(this, &SignIn::finished, Qt::QueuedConnection);
}

} // namespace mf::mega
