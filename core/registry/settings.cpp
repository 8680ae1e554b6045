// SettingsRows: the vault's settings.
#include "registry.h"
#include "registryquery.h"

#include <QDateTime>

namespace mf {

QString SettingsRows::setting(const QString& key, const QString& fallback)
{
    Query q(this, QStringLiteral("SELECT value FROM vault_settings WHERE key = ?"));
    q.bind(key);
    return q.exec() && q.q().next() ? q.q().value(0).toString() : fallback;
}

bool SettingsRows::setSetting(const QString& key, const QString& value)
{
    Query q(this, QStringLiteral("INSERT INTO vault_settings (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    return q.bind(key).bind(value).exec();
}

} // namespace mf
