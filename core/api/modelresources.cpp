#include "modelresources.h"

#include "registry/modeljson.h"
#include "registry/modelsummary.h"
#include "registry/registry.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace mf::api {

namespace {
constexpr int DefaultLimit = 100;
constexpr int MaxLimit = 1000;

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::api", text);
}

// A query parameter that must be a whole number in [min, max]; `fallback` when absent.
bool numberParameter(const QUrlQuery& query, const QString& name, int min, int max, int fallback,
                     int* out)
{
    if (!query.hasQueryItem(name)) {
        *out = fallback;
        return true;
    }
    bool ok = false;
    const int n = query.queryItemValue(name).toInt(&ok);
    if (!ok || n < min || n > max)
        return false;
    *out = n;
    return true;
}

// What a list shows of a model's format, from its files' headers (files.metadata,
// modelinspector.h): the format, quantization and architecture of its largest model file, and
// its parameters (a sharded safetensors model's shards summed).
void addFormatFacts(const QList<FileRecord>& files, QJsonObject* entry)
{
    const FileRecord* largest = nullptr;
    for (const FileRecord& f : files) {
        const QString format = f.metadata.value(QLatin1String("format")).toString();
        if ((format == QLatin1String("gguf") || format == QLatin1String("safetensors")) &&
            (!largest || f.size > largest->size))
            largest = &f;
    }
    if (!largest)
        return;
    const QString format = largest->metadata.value(QLatin1String("format")).toString();
    qint64 parameters = 0;
    for (const FileRecord& f : files)
        if (f.metadata.value(QLatin1String("format")).toString() == format)
            parameters =
                format == QLatin1String("gguf")
                    ? qMax(parameters, f.metadata.value(QLatin1String("parameters")).toInteger())
                    : parameters + f.metadata.value(QLatin1String("parameters")).toInteger();
    entry->insert(QStringLiteral("format"), format);
    for (const QString& key : {QStringLiteral("quantization"), QStringLiteral("architecture")})
        if (largest->metadata.contains(key))
            entry->insert(key, largest->metadata.value(key));
    if (parameters > 0)
        entry->insert(QStringLiteral("parameters"), parameters);
}
} // namespace

ApiResponse listModels(Vault* vault, const QUrlQuery& query)
{
    int limit = 0, offset = 0;
    if (!numberParameter(query, QStringLiteral("limit"), 1, MaxLimit, DefaultLimit, &limit))
        return ApiResponse::error(400,
                                  tr("limit must be a whole number from 1 to %1").arg(MaxLimit));
    if (!numberParameter(query, QStringLiteral("offset"), 0, std::numeric_limits<int>::max(), 0,
                         &offset))
        return ApiResponse::error(400, tr("offset must be a whole number, 0 or more"));
    const QString search = query.queryItemValue(QStringLiteral("q"), QUrl::FullyDecoded);
    return ApiResponse::json(200, modelPageJson(vault, search, offset, limit));
}

QJsonObject modelPageJson(Vault* vault, const QString& search, int offset, int limit)
{
    Registry& registry = vault->registry();
    const int wanted = registry.healthRows().wantedCopies();
    int total = 0;
    const QList<ModelRecord> page = registry.modelRows().modelPage(search, offset, limit, &total);
    // Beside what `list --json` says of each model: its format facts and why it is not healthy
    // (what the web page's list shows), one small read of its files per model listed.
    QJsonArray models;
    for (const ModelSummary& s : summarizeModels(registry, page, wanted)) {
        QJsonObject entry = modelListEntryJson(s.model, s, wanted);
        entry.insert(QStringLiteral("lost"), s.lost);
        entry.insert(QStringLiteral("under_replicated"), s.underReplicated);
        addFormatFacts(registry.modelRows().files(s.model.id), &entry);
        models.append(entry);
    }
    return {{QStringLiteral("models"), models},
            {QStringLiteral("total"), total},
            {QStringLiteral("offset"), offset},
            {QStringLiteral("limit"), limit}};
}

ApiResponse modelInfo(Vault* vault, const QString& name)
{
    Registry& registry = vault->registry();
    const auto model = registry.modelRows().modelByName(name);
    if (!model)
        return ApiResponse::error(404, tr("There is no model named “%1”").arg(name));
    return ApiResponse::json(
        200, modelInfoJson(registry, *model, registry.healthRows().wantedCopies(), true));
}

} // namespace mf::api
