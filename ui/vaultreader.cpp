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
    // A model's format is that of its weights: the largest file whose header says so, not a
    // tokenizer.json or a config.json beside them. Until a float has read the weights their
    // names say it (an unfinished float of a safetensors folder showed "HF-CONFIG"); a
    // config.json decides only for a model with nothing else.
    enum Evidence { NoEvidence, ConfigOnly, WeightsByName, WeightsByHeader };
    Evidence best = NoEvidence;
    qint64 largest = -1;
    qint64 parameters = 0;
    for (const FileRecord& f : m_registry->modelRows().files(model.id)) {
        QString format = f.metadata.value(QLatin1String("format")).toString();
        Evidence evidence = NoEvidence;
        if (!format.isEmpty() && format != QLatin1String("hf-config")) {
            evidence = WeightsByHeader;
        } else if (f.path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive) ||
                   f.path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive)) {
            evidence = WeightsByName;
            format = f.path.section(QLatin1Char('.'), -1).toLower();
        } else if (!format.isEmpty()) {
            evidence = ConfigOnly;
        }
        if (evidence != NoEvidence && (evidence > best || (evidence == best && f.size > largest))) {
            best = evidence;
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
