#pragma once

#include "records.h"
#include "registryrows.h"

namespace mf {

// The vault's settings (table vault_settings): replication factor, default chunker, ...
class SettingsRows final : public RegistryRows
{
public:
    SettingsRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    QString setting(const QString& key, const QString& fallback = {});
    bool setSetting(const QString& key, const QString& value);
};

} // namespace mf
