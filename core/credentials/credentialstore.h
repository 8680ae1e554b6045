#pragma once

#include "util/error.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

namespace mf {

// One asynchronous keychain operation. Started by the caller, ends with exactly one finished()
// (never from inside start()). On failure error() says, in words a person can act on, what is
// wrong (for example that no Secret Service is running and which package provides one). The
// secret itself never appears in any message.
class CredentialJob : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CredentialJob)

public:
    ~CredentialJob() override;
    virtual void start() = 0;
    const Error& error() const { return m_error; }
    // read: the stored secrets (an empty object when nothing is stored is a NotFound error).
    const QJsonObject& secrets() const { return m_secrets; }

Q_SIGNALS:
    void finished();

protected:
    explicit CredentialJob(QObject* parent = nullptr);
    // Records the outcome and emits finished() from the event loop. Only the first call counts.
    void finish(const Error& error);

    QJsonObject m_secrets;

private:
    Error m_error;
    bool m_finished = false;
};

// Where a provider's secrets live: the OS keychain (Secret Service, macOS Keychain, Windows
// Credential Manager) or, only when the user opted in, a plaintext file. A provider's secrets
// are one JSON object ({"secretAccessKey": "..."}) under the key providerKey(id). Every call
// returns a job the caller starts and deletes after finished() (deleteLater()).
class CredentialStore : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CredentialStore)

public:
    ~CredentialStore() override;

    // "modelfloat/<vault id>/provider/<provider id>": unique per vault and provider.
    static QString providerKey(const QString& vaultId, qint64 providerId);

    virtual CredentialJob* read(const QString& key) = 0;
    virtual CredentialJob* write(const QString& key, const QJsonObject& secrets) = 0;
    // Removing what is not stored succeeds.
    virtual CredentialJob* remove(const QString& key) = 0;
    // For messages: "the Secret Service keychain", "the plaintext file …".
    virtual QString description() const = 0;
    // What the user must be told whenever secrets go here (the plaintext store: that they are
    // not encrypted); empty when nothing.
    virtual QString warning() const { return {}; }

protected:
    explicit CredentialStore(QObject* parent = nullptr);
};

} // namespace mf
