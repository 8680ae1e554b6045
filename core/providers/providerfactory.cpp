#include "providerfactory.h"

#include "localprovider.h"

namespace mf {

ProviderFactory::ProviderFactory()
{
    registerKind(QStringLiteral("local"), [](const ProviderRecord& r, QString* error) {
        const QString path = r.settings.value(QStringLiteral("path")).toString();
        if (path.isEmpty()) {
            *error = QStringLiteral("Provider “%1” has no folder set").arg(r.name);
            return std::unique_ptr<Provider>();
        }
        LocalProvider::Options options;
        options.quotaBytes = r.quotaBytes;
        options.syncObjects = r.settings.value(QStringLiteral("sync")).toBool(false);
        return std::unique_ptr<Provider>(new LocalProvider(r.name, path, options));
    });
}

void ProviderFactory::registerKind(const QString& kind, Maker maker)
{
    m_makers.insert(kind, std::move(maker));
}

QStringList ProviderFactory::kinds() const
{
    QStringList k = m_makers.keys();
    k.sort();
    return k;
}

std::unique_ptr<Provider> ProviderFactory::create(const ProviderRecord& record,
                                                  QString* error) const
{
    const auto it = m_makers.constFind(record.kind);
    if (it == m_makers.constEnd()) {
        *error = QStringLiteral("Provider “%1” is of kind “%2”, which this version of ModelFloat "
                                "does not know")
                     .arg(record.name, record.kind);
        return nullptr;
    }
    return (*it)(record, error);
}

} // namespace mf
