// The "gdrive" provider kind: its fields (for the CLI and the GUI's form), its maker, and its
// sign-in (OAuth 2.0 for installed apps, gdrive::SignInJob), which ProviderSetup runs before
// storing secrets: the typed client secret goes in, the client secret and the refresh token are
// kept.
#include "credentials/credentialstore.h"
#include "gdriveprovider.h"
#include "providers/providerfactory.h"
#include "providers/providerfields.h"

#include <QDir>

namespace mf {

namespace {

const QString DefaultApiUrl = QStringLiteral("https://www.googleapis.com/");
const QString DefaultAuthUrl = QStringLiteral("https://accounts.google.com/o/oauth2/v2/auth");
const QString DefaultTokenUrl = QStringLiteral("https://oauth2.googleapis.com/token");

// A packager may build in an OAuth client of its own (-DMODELFLOAT_GDRIVE_CLIENT_ID=...).
QString defaultClientId()
{
#ifdef MODELFLOAT_GDRIVE_CLIENT_ID
    return QStringLiteral(MODELFLOAT_GDRIVE_CLIENT_ID);
#else
    return {};
#endif
}

QUrl urlSetting(const QJsonObject& settings, const QString& key, const QString& fallback)
{
    const QString text = settings.value(key).toString().trimmed();
    return QUrl(text.isEmpty() ? fallback : text);
}

gdrive::OAuthClient clientOf(const QJsonObject& settings, const QString& secret)
{
    gdrive::OAuthClient c;
    c.clientId = settings.value(QStringLiteral("clientId")).toString().trimmed();
    if (c.clientId.isEmpty())
        c.clientId = defaultClientId();
    c.clientSecret = secret;
    c.authUrl = urlSetting(settings, QStringLiteral("authUrl"), DefaultAuthUrl);
    c.tokenUrl = urlSetting(settings, QStringLiteral("tokenUrl"), DefaultTokenUrl);
    return c;
}

ProviderKind gdriveKind()
{
    using T = ProviderField::Type;
    ProviderKind k;
    k.id = QStringLiteral("gdrive");
    k.displayName = QStringLiteral("Google Drive");
    k.description = QStringLiteral("A folder in your Google Drive (15 GB free). Signs in with the "
                                   "browser; sees only the files ModelFloat made.");
    k.fields = {
        {QStringLiteral("clientId"),
         QStringLiteral("OAuth client id"),
         T::Text,
         defaultClientId().isEmpty(),
         QStringLiteral("1234-abc.apps.googleusercontent.com"),
         QStringLiteral("The id of your own \"Desktop app\" OAuth client (docs/gdrive.md)."),
         {},
         {}},
        {QStringLiteral("clientSecret"),
         QStringLiteral("OAuth client secret"),
         T::Secret,
         true,
         {},
         QStringLiteral("The secret of that client; kept in the keychain with the sign-in."),
         {},
         {}},
        {QStringLiteral("folder"),
         QStringLiteral("Folder"),
         T::Text,
         false,
         QStringLiteral("ModelFloat"),
         QStringLiteral("The folder in My Drive that holds the chunks; made when needed."),
         QStringLiteral("ModelFloat"),
         {}},
        providerfields::concurrencyField(),
        {QStringLiteral("createsPerSecond"),
         QStringLiteral("New files a second"),
         T::Number,
         false,
         QStringLiteral("3"),
         QStringLiteral("At most this many chunk files are created a second (Drive refuses a "
                        "faster pace); 0: no pacing."),
         3,
         {}},
        {QStringLiteral("limitWait"),
         QStringLiteral("Pause after the daily limit (s)"),
         T::Number,
         false,
         QStringLiteral("3600"),
         QStringLiteral("How long uploads pause when Drive reports its daily upload limit."),
         3600,
         {}},
        {QStringLiteral("apiUrl"),
         QStringLiteral("API server"),
         T::Url,
         false,
         DefaultApiUrl,
         QStringLiteral("Leave empty for Google; for test servers."),
         {},
         {}},
        {QStringLiteral("authUrl"),
         QStringLiteral("Consent page"),
         T::Url,
         false,
         DefaultAuthUrl,
         QStringLiteral("Leave empty for Google; for test servers."),
         {},
         {}},
        {QStringLiteral("tokenUrl"),
         QStringLiteral("Token endpoint"),
         T::Url,
         false,
         DefaultTokenUrl,
         QStringLiteral("Leave empty for Google; for test servers."),
         {},
         {}},
    };
    k.signIn = [](const QJsonObject& settings, const QJsonObject& typed,
                  QObject* parent) -> CredentialJob* {
        return new gdrive::SignInJob(
            clientOf(settings, typed.value(QStringLiteral("clientSecret")).toString()), parent);
    };
    return k;
}

} // namespace

gdrive::OAuthClient GDriveProvider::client() const
{
    return clientOf(m_settings, secrets().value(QStringLiteral("clientSecret")).toString());
}

void registerGDriveKind(ProviderFactory& factory)
{
    factory.registerKind(gdriveKind(), [](const ProviderRecord& r, const ProviderContext& context,
                                          QString* error) {
        GDriveProvider::Options o;
        o.folder = r.settings.value(QStringLiteral("folder")).toString().trimmed();
        if (o.folder.isEmpty())
            o.folder = QStringLiteral("ModelFloat");
        o.apiUrl = urlSetting(r.settings, QStringLiteral("apiUrl"), DefaultApiUrl);
        if (!o.apiUrl.path().endsWith(QLatin1Char('/')))
            o.apiUrl.setPath(o.apiUrl.path() + QLatin1Char('/'));
        o.concurrency = qBound(1,
                               providerfields::settingInt(r.settings, QStringLiteral("concurrency"),
                                                          providerfields::DefaultConcurrency),
                               16);
        o.createsPerSecond =
            qMax(0, providerfields::settingInt(r.settings, QStringLiteral("createsPerSecond"), 3));
        o.limitWaitSeconds =
            qMax(1, providerfields::settingInt(r.settings, QStringLiteral("limitWait"), 3600));
        if (!context.tempDirectory.isEmpty())
            o.sessionDirectory = QDir(context.tempDirectory)
                                     .filePath(QStringLiteral("gdrive-sessions/%1").arg(r.id));
        if (clientOf(r.settings, {}).clientId.isEmpty()) {
            if (error)
                *error = QObject::tr("Provider “%1”: no OAuth client id is set").arg(r.name);
            return std::unique_ptr<Provider>();
        }
        return std::unique_ptr<Provider>(new GDriveProvider(
            r.name, context, CredentialStore::providerKey(context.vaultId, r.id), o, r.settings));
    });
}

} // namespace mf
