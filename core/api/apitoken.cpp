#include "apitoken.h"

#include "credentials/credentialstore.h"
#include "vault/vault.h"

#include <QJsonObject>
#include <QMetaObject>
#include <QRandomGenerator>

namespace mf::api {

namespace {
const QString TokenField = QStringLiteral("token");

// "hf_" first: Hugging Face clients refuse a token without it, and this one is also theirs
// (HF_TOKEN) when they read from this server.
QByteArray newToken()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32*>(bytes.data()),
                                          bytes.size() / 4);
    return "hf_" + bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}
} // namespace

ApiTokenJob::ApiTokenJob(Vault* vault, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
{}

QString ApiTokenJob::credentialKey(const QString& vaultId)
{
    return QStringLiteral("modelfloat/%1/api-token").arg(vaultId);
}

void ApiTokenJob::start()
{
    CredentialStore* store = m_vault->credentials();
    if (!store) {
        QMetaObject::invokeMethod(
            this,
            [this] {
                finish(Error::make(Error::Kind::Fatal,
                                   tr("The vault has no credential store to keep the API's "
                                      "token in")));
            },
            Qt::QueuedConnection);
        return;
    }
    CredentialJob* read = store->read(credentialKey(m_vault->id()));
    connect(read, &CredentialJob::finished, this, [this, read] { onRead(read); });
    read->start();
}

void ApiTokenJob::onRead(CredentialJob* read)
{
    read->deleteLater();
    const QString stored = read->secrets().value(TokenField).toString();
    if (read->error().ok() && !stored.isEmpty()) {
        m_token = stored.toLatin1();
        finish(Error::none());
        return;
    }
    if (!read->error().ok() && read->error().kind != Error::Kind::NotFound) {
        finish(read->error());
        return;
    }
    // First use: make one and keep it, so the next run (and the app) use the same token.
    m_token = newToken();
    m_created = true;
    CredentialJob* write = m_vault->credentials()->write(
        credentialKey(m_vault->id()), QJsonObject{{TokenField, QString::fromLatin1(m_token)}});
    connect(write, &CredentialJob::finished, this, [this, write] {
        write->deleteLater();
        if (!write->error().ok())
            m_token.clear();
        finish(write->error());
    });
    write->start();
}

void ApiTokenJob::finish(const Error& error)
{
    m_error = error;
    Q_EMIT finished();
}

} // namespace mf::api
