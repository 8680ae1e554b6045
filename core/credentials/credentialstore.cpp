#include "credentialstore.h"

#include <QMetaObject>

namespace mf {

CredentialJob::CredentialJob(QObject* parent)
    : QObject(parent)
{}

CredentialJob::~CredentialJob() = default;

void CredentialJob::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    // Queued, so finished() never fires inside start() and callers may connect after starting.
    QMetaObject::invokeMethod(this, &CredentialJob::finished, Qt::QueuedConnection);
}

CredentialStore::CredentialStore(QObject* parent)
    : QObject(parent)
{}

CredentialStore::~CredentialStore() = default;

QString CredentialStore::providerKey(const QString& vaultId, qint64 providerId)
{
    return QStringLiteral("modelfloat/%1/provider/%2").arg(vaultId).arg(providerId);
}

} // namespace mf
