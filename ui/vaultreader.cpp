#include "vaultreader.h"

#include <QDir>

#include <algorithm>

namespace mf::ui {

std::unique_ptr<VaultReader> VaultReader::open(const QString& vaultDirectory, QString* error)
{
    const QString path = QDir(vaultDirectory).filePath(QStringLiteral("registry.sqlite"));
    std::unique_ptr<VaultReader> r(new VaultReader);
    r->m_directory = vaultDirectory;
    r->m_registry = Registry::open(path, error);
    if (!r->m_registry)
        return nullptr;
    r->m_catalog = CatalogQueries::open(path, error);
    if (!r->m_catalog)
        return nullptr;
    r->refreshProviders();
    return r;
}

VaultReader::~VaultReader() = default;

ModelRow VaultReader::row(const ModelRecord& model)
{
    ModelRow r;
    r.loaded = true;
    r.wantedReplicas = m_registry->healthRows().wantedCopies();
    r.summary = summarizeModel(*m_registry, model, r.wantedReplicas);
    r.health = r.summary.health(r.wantedReplicas);
    // A model's format is that of its files; the largest one decides when they differ (the
    // weights, not a tokenizer.json beside them).
    qint64 largest = -1;
    qint64 parameters = 0;
    for (const FileRecord& f : m_registry->modelRows().files(model.id)) {
        const QString format = f.metadata.value(QLatin1String("format")).toString();
        if (!format.isEmpty() && f.size > largest) {
            largest = f.size;
            r.format = format;
            r.quantization = f.metadata.value(QLatin1String("quantization")).toString();
        }
        // Sharded weights: the parameter counts of the shards add up.
        const double p = f.metadata.value(QLatin1String("parameters")).toDouble(-1);
        if (p > 0)
            parameters += qint64(p);
    }
    if (parameters > 0)
        r.parameters = parameters;
    for (auto it = r.summary.bytesByProvider.cbegin(); it != r.summary.bytesByProvider.cend();
         ++it) {
        r.storedBytes += it.value();
        r.providers.append(providerName(it.key()));
    }
    std::sort(r.providers.begin(), r.providers.end());
    r.here = thiscomputer::localState(*m_registry, m_directory, model.id);
    return r;
}

std::optional<ModelRow> VaultReader::row(qint64 modelId)
{
    const auto model = m_registry->modelRows().model(modelId);
    if (!model)
        return std::nullopt;
    return row(*model);
}

QString VaultReader::providerName(qint64 id)
{
    const auto it = m_providerNames.constFind(id);
    if (it != m_providerNames.cend())
        return *it;
    return QStringLiteral("#%1").arg(id);
}

void VaultReader::refreshProviders()
{
    m_providerNames.clear();
    for (const ProviderRecord& p : m_registry->providerRows().providers())
        m_providerNames.insert(p.id, p.name);
}

} // namespace mf::ui
