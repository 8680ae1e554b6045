#pragma once

#include "credentials/credentialstore.h"

#include <QHash>

namespace mf {

// Secrets held in memory only: what "Test connection" gives a provider that is not saved yet,
// so the form's secrets reach the adapter without touching the keychain.
class MemoryCredentialStore final : public CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MemoryCredentialStore)

public:
    explicit MemoryCredentialStore(QObject* parent = nullptr)
        : CredentialStore(parent)
    {}

    CredentialJob* read(const QString& key) override;
    CredentialJob* write(const QString& key, const QJsonObject& secrets) override;
    CredentialJob* remove(const QString& key) override;
    QString description() const override;
    // Stores at once, for the one who made this store (no job needed).
    void insert(const QString& key, const QJsonObject& secrets) { m_secrets.insert(key, secrets); }

private:
    QHash<QString, QJsonObject> m_secrets;
};

} // namespace mf
