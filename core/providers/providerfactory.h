#pragma once

#include "provider.h"
#include "providercontext.h"
#include "providerkind.h"
#include "registry/records.h"

#include <functional>
#include <memory>

namespace mf {

// Makes the adapter for a provider row. Each provider kind registers itself here once — what
// it is (ProviderKind: its fields, for the CLI and the GUI's forms) and how to make its
// adapter — so the vault, the CLI and the GUI create and describe adapters the same way.
class ProviderFactory final
{
public:
    using Maker = std::function<std::unique_ptr<Provider>(const ProviderRecord&,
                                                          const ProviderContext&, QString* error)>;

    ProviderFactory(); // knows the built-in kinds
    void registerKind(const ProviderKind& kind, Maker maker);
    QStringList kinds() const;
    // nullptr for an unknown kind.
    const ProviderKind* kind(const QString& id) const;
    std::unique_ptr<Provider> create(const ProviderRecord& record, const ProviderContext& context,
                                     QString* error) const;

private:
    struct Entry
    {
        ProviderKind kind;
        Maker maker;
    };
    QHash<QString, Entry> m_kinds;
};

} // namespace mf
