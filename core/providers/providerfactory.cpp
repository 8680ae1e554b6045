#include "providerfactory.h"

#include "gdrive/gdriveprovider.h"
#include "ipfs/ipfsprovider.h"
#include "localprovider.h"
#include "mega/megaprovider.h"
#include "providerfields.h"
#include "s3/s3provider.h"
#include "webdav/webdavprovider.h"

namespace mf {

namespace {

ProviderKind localKind()
{
    ProviderKind k;
    k.id = QStringLiteral("local");
    k.displayName = QStringLiteral("Local folder");
    k.description = QStringLiteral("A folder on this computer or a mounted disk.");
    k.fields = {
        {QStringLiteral("path"),
         QStringLiteral("Folder"),
         ProviderField::Type::Path,
         true,
         QStringLiteral("/mnt/models"),
         QStringLiteral("Where the chunk objects are kept."),
         {},
         {}},
    };
    return k;
}

} // namespace

ProviderFactory::ProviderFactory()
{
    registerKind(localKind(),
                 [](const ProviderRecord& r, const ProviderContext& context, QString* error) {
                     const QString path = r.settings.value(QStringLiteral("path")).toString();
                     if (path.isEmpty()) {
                         *error = QStringLiteral("Provider “%1” has no folder set").arg(r.name);
                         return std::unique_ptr<Provider>();
                     }
                     LocalProvider::Options options;
                     options.quotaBytes = r.quotaBytes;
                     // Flushing follows the vault (its durability setting), not each provider.
                     options.flush = context.flushWrites;
                     options.bandwidth = context.bandwidth;
                     return std::unique_ptr<Provider>(new LocalProvider(r.name, path, options));
                 });
    // Network kinds register here, one line each: registerXxxKind(*this);
    registerS3Kind(*this);
    registerWebDavKind(*this);
    registerIpfsKind(*this);
    registerMegaKind(*this);
    registerGDriveKind(*this);
}

void ProviderFactory::registerKind(const ProviderKind& kind, Maker maker)
{
    // Every kind can be given a daily upload budget: the registry enforces it for all alike.
    ProviderKind k = kind;
    if (!k.field(providerfields::DailyUploadKey))
        k.fields.append(providerfields::dailyUploadField());
    m_kinds.insert(k.id, Entry{k, std::move(maker)});
}

QStringList ProviderFactory::kinds() const
{
    QStringList k = m_kinds.keys();
    k.sort();
    return k;
}

const ProviderKind* ProviderFactory::kind(const QString& id) const
{
    const auto it = m_kinds.constFind(id);
    return it == m_kinds.constEnd() ? nullptr : &it->kind;
}

std::unique_ptr<Provider> ProviderFactory::create(const ProviderRecord& record,
                                                  const ProviderContext& context,
                                                  QString* error) const
{
    const auto it = m_kinds.constFind(record.kind);
    if (it == m_kinds.constEnd()) {
        *error = QStringLiteral("Provider “%1” is of kind “%2”, which this version of ModelFloat "
                                "does not know")
                     .arg(record.name, record.kind);
        return nullptr;
    }
    return it->maker(record, context, error);
}

} // namespace mf
