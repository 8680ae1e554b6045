#pragma once

#include "provider.h"
#include "registry/records.h"

#include <functional>
#include <memory>

namespace mf {

// Makes the adapter for a provider row. Each provider kind registers its maker here once, so
// the vault, the CLI and the GUI create adapters the same way.
class ProviderFactory final
{
public:
    using Maker = std::function<std::unique_ptr<Provider>(const ProviderRecord&, QString* error)>;

    ProviderFactory(); // knows the built-in kinds
    void registerKind(const QString& kind, Maker maker);
    QStringList kinds() const;
    std::unique_ptr<Provider> create(const ProviderRecord& record, QString* error) const;

private:
    QHash<QString, Maker> m_makers;
};

} // namespace mf
