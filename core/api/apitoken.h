#pragma once

#include "util/error.h"

#include <QObject>

namespace mf {
class Vault;
class CredentialJob;
} // namespace mf

namespace mf::api {

// The bearer token every API request carries: read from the vault's credential store (the one
// the providers' secrets live in), or made on first use (256 random bits) and stored there. Ends
// with exactly one finished(), delivered from the event loop.
class ApiTokenJob final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiTokenJob)

public:
    explicit ApiTokenJob(Vault* vault, QObject* parent = nullptr);
    void start();
    const Error& error() const { return m_error; }
    const QByteArray& token() const { return m_token; }
    // Whether start() made the token (nothing was stored yet).
    bool created() const { return m_created; }

    static QString credentialKey(const QString& vaultId);

Q_SIGNALS:
    void finished();

private:
    void onRead(CredentialJob* read);
    void finish(const Error& error);

    Vault* m_vault;
    QByteArray m_token;
    bool m_created = false;
    Error m_error;
};

} // namespace mf::api
