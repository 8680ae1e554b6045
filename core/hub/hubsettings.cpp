#include "hubsettings.h"

#include "registry/registry.h"

namespace mf {

HubSettings HubSettings::forVault(Registry& registry)
{
    HubSettings s;
    QString endpoint = qEnvironmentVariable("HF_ENDPOINT");
    if (endpoint.isEmpty())
        endpoint = registry.settings().setting(QString::fromLatin1(EndpointSetting));
    if (!endpoint.isEmpty())
        s.endpoint = endpoint;
    while (s.endpoint.endsWith(QLatin1Char('/')))
        s.endpoint.chop(1);
    const QString envOffline = qEnvironmentVariable("HF_HUB_OFFLINE").toLower();
    s.offline =
        envOffline == QLatin1String("1") || envOffline == QLatin1String("true") ||
        registry.settings().setting(QString::fromLatin1(OfflineSetting)) == QLatin1String("1");
    return s;
}

QString HubSettings::tokenKey(const QString& vaultId)
{
    return QStringLiteral("modelfloat/%1/hf-token").arg(vaultId);
}

} // namespace mf
