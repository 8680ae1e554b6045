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
    Registry& registry = vault->registry();
    const int wanted = registry.healthRows().wantedCopies();
    QList<ModelRecord> matching;
    for (const ModelRecord& m : registry.modelRows().models())
        if (search.isEmpty() || m.name.contains(search, Qt::CaseInsensitive))
            matching.append(m);
    QJsonArray models;
    for (const ModelSummary& s : summarizeModels(registry, matching.mid(offset, limit), wanted))
        models.append(modelListEntryJson(s.model, s, wanted));
    return ApiResponse::json(200, {{QStringLiteral("models"), models},
                                   {QStringLiteral("total"), int(matching.size())},
                                   {QStringLiteral("offset"), offset},
                                   {QStringLiteral("limit"), limit}});
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
