// The "mega" provider kind: its fields (for the CLI and the GUI's form), its maker, and its
// sign-in, which ProviderSetup runs before storing secrets so the password is exchanged for a
// session and never kept.
#include "credentials/credentialstore.h"
#include "megaprovider.h"
#include "megasession.h"
#include "providers/providerfactory.h"
#include "providers/providerfields.h"

#include <QNetworkAccessManager>

namespace mf {

namespace {

const QString DefaultApiUrl = QStringLiteral("https://g.api.mega.co.nz/");

// Signs in with the typed secrets and yields the ones to store: {"session","masterKey",
// "userHandle"}. Its network, API channel and sign-in live and die with it.
class MegaSignInJob final : public CredentialJob
{
public:
    MegaSignInJob(const QJsonObject& settings, const QJsonObject& typed, QObject* parent)
        : CredentialJob(parent)
        , m_api(&m_network, QUrl(settings.value(QStringLiteral("apiUrl")).toString(DefaultApiUrl)))
        , m_signIn(&m_api, settings.value(QStringLiteral("email")).toString(),
                   typed.value(QStringLiteral("password")).toString(),
                   typed.value(QStringLiteral("twoFactorCode")).toString())
    {
        m_network.setAutoDeleteReplies(false);
        m_api.setWhat(QObject::tr("MEGA sign-in"));
        QObject::connect(&m_signIn, &mega::SignIn::finished, this, [this] {
            if (m_signIn.error().ok())
                m_secrets = m_signIn.session().toSecrets();
            finish(m_signIn.error());
        });
    }

    void start() override { m_signIn.start(); }

private:
    QNetworkAccessManager m_network;
    mega::Api m_api;
    mega::SignIn m_signIn;
};

ProviderKind megaKind()
{
    using T = ProviderField::Type;
    ProviderKind k;
    k.id = QStringLiteral("mega");
    k.displayName = QStringLiteral("MEGA");
    k.description = QStringLiteral("A folder in a MEGA account (20 GB free, end-to-end "
                                   "encrypted). Signing in keeps a session, never the password.");
    k.fields = {
        {QStringLiteral("email"),
         QStringLiteral("E-mail"),
         T::Text,
         true,
         QStringLiteral("you@example.com"),
         QStringLiteral("The MEGA account's e-mail address."),
         {},
         {}},
        {QStringLiteral("password"),
         QStringLiteral("Password"),
         T::Secret,
         true,
         {},
         QStringLiteral("Used once to sign in; only the session is kept, in the keychain."),
         {},
         {}},
        {QStringLiteral("twoFactorCode"),
         QStringLiteral("Two-factor code"),
         T::Secret,
         false,
         {},
         QStringLiteral("The current code from the authenticator app, if the account has "
                        "two-factor authentication."),
         {},
         {}},
        {QStringLiteral("folder"),
         QStringLiteral("Folder"),
         T::Text,
         false,
         QStringLiteral("ModelFloat"),
         QStringLiteral("The folder in the Cloud Drive that holds the chunks; made when needed."),
         QStringLiteral("ModelFloat"),
         {}},
        {QStringLiteral("apiUrl"),
         QStringLiteral("API server"),
         T::Url,
         false,
         DefaultApiUrl,
         QStringLiteral("Leave empty for MEGA itself; for test servers that speak MEGA's API."),
         {},
         {}},
        providerfields::concurrencyField(),
    };
    k.signIn = [](const QJsonObject& settings, const QJsonObject& typed,
                  QObject* parent) -> CredentialJob* {
        return new MegaSignInJob(settings, typed, parent);
    };
    return k;
}

} // namespace

void registerMegaKind(ProviderFactory& factory)
{
    factory.registerKind(megaKind(), [](const ProviderRecord& r, const ProviderContext& context,
                                        QString* error) {
        MegaProvider::Options o;
        o.email = r.settings.value(QStringLiteral("email")).toString().trimmed();
        o.folder = r.settings.value(QStringLiteral("folder")).toString().trimmed();
        if (o.folder.isEmpty())
            o.folder = QStringLiteral("ModelFloat");
        o.apiUrl = QUrl(r.settings.value(QStringLiteral("apiUrl")).toString(DefaultApiUrl));
        if (!o.apiUrl.path().endsWith(QLatin1Char('/')))
            o.apiUrl.setPath(o.apiUrl.path() + QLatin1Char('/'));
        o.concurrency = qBound(1,
                               providerfields::settingInt(r.settings, QStringLiteral("concurrency"),
                                                          providerfields::DefaultConcurrency),
                               16);
        if (o.email.isEmpty()) {
            if (error)
                *error = QObject::tr("Provider “%1”: no MEGA e-mail is set").arg(r.name);
            return std::unique_ptr<Provider>();
        }
        return std::unique_ptr<Provider>(new MegaProvider(
            r.name, context, CredentialStore::providerKey(context.vaultId, r.id), o));
    });
}

} // namespace mf
