#include "apitoken.h"

#include "credentials/credentialstore.h"
#include "vault/vault.h"

#include <QJsonObject>
#include <QMetaObject>
#include <QRandomGenerator>

#include <algorithm>

namespace mf::api {

namespace {
const QString TokenField = QStringLiteral("token");

// "hf_" first: Hugging Face clients refuse a token without it, and this one is also theirs
// (HF_TOKEN) when they read from this server. Then letters and digits only (hex): llama.cpp
// sends no token with any other character after "hf_" (common/hf-cache.cpp), so one made of
// base64 ("-", "_") left its -hf unauthorized three times in four.
QByteArray newToken()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32*>(bytes.data()),
                                          bytes.size() / 4);
    return "hf_" + bytes.toHex();
}

// A token every Hugging Face client sends: "hf_" and 37 to 256 characters in all, letters and
// digits after the prefix (llama.cpp's rule, the strictest of them).
bool everyClientSends(const QByteArray& token)
{
    if (!token.startsWith("hf_") || token.size() < 37 || token.size() > 256)
        return false;
    return std::all_of(token.cbegin() + 3, token.cend(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
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
    // A token an older version made of base64 is replaced, once, by one llama.cpp sends.
    if (read->error().ok() && everyClientSends(stored.toLatin1())) {
        m_token = stored.toLatin1();
        finish(Error::none());
        return;
    }
    if (!read->error().ok() && read->error().kind != Error::Kind::NotFound) {
        finish(read->error());
        return;
    }
    // First use (or an old token): make one and keep it, so the next run (and the app) use the
    // same token.
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
