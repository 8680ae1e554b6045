#pragma once

#include "credentialstore.h"

namespace mf {

// Secrets in the OS keychain through QtKeychain: the Secret Service on Linux (gnome-keyring,
// KeePassXC, KWallet), the Keychain on macOS, the Credential Manager on Windows. Each key is
// one QtKeychain entry of service "ModelFloat" holding the secrets as compact JSON text; on
// Linux that is a Secret Service item with schema org.qt.keychain and attributes
// server=ModelFloat, user=<key>, type=plaintext (so `secret-tool lookup server ModelFloat user
// <key>` finds it). QtKeychain's own plaintext fallback is off: nothing is ever written in the
// clear without the user's consent.
//
// On Linux every operation first asks the session D-Bus (asynchronously) whether a keychain
// service is running or can be started, so a machine without one gets an error that says what
// to install or start instead of QtKeychain's generic one.
class KeychainCredentialStore final : public CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeychainCredentialStore)

public:
    explicit KeychainCredentialStore(QObject* parent = nullptr);
    ~KeychainCredentialStore() override;

    // The QtKeychain service name (the Secret Service item's "server" attribute and label).
    static QString serviceName() { return QStringLiteral("ModelFloat"); }
    // The message when no keychain service answers: what to install or start.
    static QString noServiceMessage(const QString& reason);

    CredentialJob* read(const QString& key) override;
    CredentialJob* write(const QString& key, const QJsonObject& secrets) override;
    CredentialJob* remove(const QString& key) override;
    QString description() const override;
};

} // namespace mf
