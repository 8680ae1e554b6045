#include "keychaincredentialstore.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QPointer>

#include <qt6keychain/keychain.h>

#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
#define MF_KEYCHAIN_ON_DBUS 1
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#endif

namespace mf {

namespace {

enum class Operation { Read, Write, Remove };

#ifdef MF_KEYCHAIN_ON_DBUS
// Bus names of the services QtKeychain can use on Linux.
const QStringList KeychainBusNames = {QStringLiteral("org.freedesktop.secrets"),
                                      QStringLiteral("org.kde.kwalletd6"),
                                      QStringLiteral("org.kde.kwalletd5")};
#endif

class KeychainJob final : public CredentialJob
{
public:
    KeychainJob(Operation op, const QString& key, const QJsonObject& secrets, QObject* parent)
        : CredentialJob(parent)
        , m_op(op)
        , m_key(key)
        , m_input(secrets)
    {}

    void start() override
    {
#ifdef MF_KEYCHAIN_ON_DBUS
        checkService();
#else
        runKeychain();
#endif
    }

private:
#ifdef MF_KEYCHAIN_ON_DBUS
    // Asks the bus, without blocking, whether a keychain service is running (ListNames) or
    // can be started on demand (ListActivatableNames).
    void checkService(bool activatable = false)
    {
        QDBusConnection bus = QDBusConnection::sessionBus();
        if (!bus.isConnected()) {
            const QString why = bus.lastError().message();
            finish(noService(why.isEmpty()
                                 ? QStringLiteral("no session D-Bus is reachable")
                                 : QStringLiteral("no session D-Bus is reachable (%1)").arg(why)));
            return;
        }
        const QDBusMessage call = QDBusMessage::createMethodCall(
            QStringLiteral("org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
            QStringLiteral("org.freedesktop.DBus"),
            activatable ? QStringLiteral("ListActivatableNames") : QStringLiteral("ListNames"));
        auto* watcher = new QDBusPendingCallWatcher(bus.asyncCall(call), this);
        connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher, activatable] {
            watcher->deleteLater();
            const QDBusPendingReply<QStringList> reply = *watcher;
            if (reply.isError()) {
                finish(noService(QStringLiteral("the session D-Bus did not answer (%1)")
                                     .arg(reply.error().message())));
                return;
            }
            const QStringList names = reply.value();
            for (const QString& n : KeychainBusNames)
                if (names.contains(n)) {
                    runKeychain();
                    return;
                }
            if (!activatable)
                checkService(true);
            else
                finish(
                    noService(QStringLiteral("no Secret Service is running on the session D-Bus")));
        });
    }
#endif

    static Error noService(const QString& reason)
    {
        return Error::make(Error::Kind::Fatal, KeychainCredentialStore::noServiceMessage(reason));
    }

    // What a QtKeychain job ended with, read on the thread that ran it.
    struct Outcome
    {
        QKeychain::Error code = QKeychain::NoError;
        QString detail;
        QString text; // a read's data
    };

    void runKeychain()
    {
        const QString service = KeychainCredentialStore::serviceName();
        const Operation op = m_op;
        const QString key = m_key;
        const QByteArray input = QJsonDocument(m_input).toJson(QJsonDocument::Compact);
        m_input = {}; // the secret need not stay in this job's memory
        // QtKeychain runs on the application's main thread, whatever thread asks: its libsecret
        // backend answers through GLib on the thread that first used it, so a job started on a
        // later thread (a second engine in one process) would never hear back. The outcome
        // comes back here by a queued call, and not at all once this job is gone.
        QPointer<KeychainJob> self(this);
        QObject* app = QCoreApplication::instance();
        QMetaObject::invokeMethod(app, [service, op, key, input, self, app] {
            QKeychain::Job* job = nullptr;
            switch (op) {
            case Operation::Read:
                job = new QKeychain::ReadPasswordJob(service);
                break;
            case Operation::Write: {
                auto* w = new QKeychain::WritePasswordJob(service);
                w->setTextData(QString::fromUtf8(input));
                job = w;
                break;
            }
            case Operation::Remove:
                job = new QKeychain::DeletePasswordJob(service);
                break;
            }
            // The libsecret backend hands its job's raw pointer to libsecret's callback:
            // deleting the job before that callback would be a use after free. So the job has
            // no parent and deletes itself once finished.
            job->setAutoDelete(true);
            job->setInsecureFallback(false);
            job->setKey(key);
            QObject::connect(job, &QKeychain::Job::finished, app, [job, op, self] {
                Outcome o{job->error(), job->errorString(), {}};
                if (op == Operation::Read && o.code == QKeychain::NoError)
                    o.text = static_cast<QKeychain::ReadPasswordJob*>(job)->textData();
                if (self)
                    QMetaObject::invokeMethod(self.data(), [self, o] {
                        if (self)
                            self->onKeychainFinished(o);
                    });
            });
            job->start();
        });
    }

    void onKeychainFinished(const Outcome& outcome)
    {
        const QKeychain::Error code = outcome.code;
        const QString& detail = outcome.detail;
        if (code == QKeychain::NoError) {
            if (m_op == Operation::Read) {
                const QString& text = outcome.text;
                const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
                if (!doc.isObject()) {
                    finish(Error::make(Error::Kind::Fatal,
                                       QStringLiteral("The keychain entry “%1” is not the JSON "
                                                      "ModelFloat writes; enter the provider's "
                                                      "secrets again")
                                           .arg(m_key)));
                    return;
                }
                m_secrets = doc.object();
            }
            finish(Error::none());
            return;
        }
        switch (code) {
        case QKeychain::EntryNotFound:
            if (m_op == Operation::Remove) {
                finish(Error::none());
                return;
            }
            // A locked keyring also answers "not found" (gnome-keyring without its prompter).
            finish(Error::make(Error::Kind::NotFound,
                               QStringLiteral("No secrets stored under “%1” in the keychain (or "
                                              "the keyring is locked)")
                                   .arg(m_key)));
            return;
        case QKeychain::AccessDenied:
        case QKeychain::AccessDeniedByUser:
            finish(Error::make(Error::Kind::Authentication,
                               QStringLiteral("The keychain denied access (%1). Unlock the "
                                              "keyring and try again.")
                                   .arg(detail)));
            return;
        case QKeychain::NoBackendAvailable:
        case QKeychain::NotImplemented:
            finish(noService(detail));
            return;
        default:
            finish(Error::make(
                Error::Kind::Fatal,
                QStringLiteral("The keychain failed: %1. If its login keyring is locked or was "
                               "never created, unlock it (log in to the desktop, or run "
                               "`gnome-keyring-daemon --unlock` and type the password), then "
                               "try again.")
                    .arg(detail)));
            return;
        }
    }

    Operation m_op;
    QString m_key;
    QJsonObject m_input;
};

} // namespace

KeychainCredentialStore::KeychainCredentialStore(QObject* parent)
    : CredentialStore(parent)
{}

KeychainCredentialStore::~KeychainCredentialStore() = default;

QString KeychainCredentialStore::noServiceMessage(const QString& reason)
{
#ifdef MF_KEYCHAIN_ON_DBUS
    return QStringLiteral(
               "No keychain service answers: %1. Install and start gnome-keyring (or KeePassXC "
               "with its Secret Service integration enabled, or KWallet) in your desktop session, "
               "or opt in to the unencrypted plaintext store with `modelfloat-cli config "
               "credentials plaintext --i-understand-plaintext`.")
        .arg(reason);
#else
    return QStringLiteral("No keychain service answers: %1. Opt in to the unencrypted plaintext "
                          "store with `modelfloat-cli config credentials plaintext "
                          "--i-understand-plaintext` if this machine has none.")
        .arg(reason);
#endif
}

CredentialJob* KeychainCredentialStore::read(const QString& key)
{
    return new KeychainJob(Operation::Read, key, {}, this);
}

CredentialJob* KeychainCredentialStore::write(const QString& key, const QJsonObject& secrets)
{
    return new KeychainJob(Operation::Write, key, secrets, this);
}

CredentialJob* KeychainCredentialStore::remove(const QString& key)
{
    return new KeychainJob(Operation::Remove, key, {}, this);
}

QString KeychainCredentialStore::description() const
{
    return QStringLiteral("the system keychain");
}

} // namespace mf
