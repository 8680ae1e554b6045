#include "localcopyrequests.h"

#include "appstores/appuse.h"
#include "appstores/appusejob.h"

#include "offload/offloadjob.h"
#include "offload/pinjob.h"
#include "requestsupport.h"

#include <QJsonArray>

namespace mf {

using requestsupport::modelOf;
using requestsupport::tr;

namespace {

QString validateModel(Vault& vault, qint64 modelId, TransferInfo* shown, const char* title)
{
    const auto model = modelOf(vault, modelId);
    shown->title = tr(title).arg(model ? model->name : tr("model %1").arg(modelId));
    return model ? QString() : tr("There is no model with id %1 (was it removed?)").arg(modelId);
}

} // namespace

QString OffloadRequest::validate(Vault& vault, TransferInfo* shown) const
{
    return validateModel(vault, modelId, shown, "Free up space: %1");
}

MadeJob OffloadRequest::makeJob(Vault& vault, const JobContext& context) const
{
    const auto model = modelOf(vault, modelId);
    if (!model)
        return {nullptr, nullptr, tr("The model is no longer in the vault")};
    auto* job = new OffloadJob(&vault, model->name, context.parent);
    return {job, job, QString()};
}

QJsonObject OffloadRequest::toJson() const
{
    return {{QStringLiteral("modelId"), modelId}};
}

OffloadRequest OffloadRequest::fromJson(const QJsonObject& json)
{
    return {json.value(QStringLiteral("modelId")).toInteger()};
}

QString PinRequest::validate(Vault& vault, TransferInfo* shown) const
{
    return validateModel(vault, modelId, shown, "Keep %1 on this computer");
}

MadeJob PinRequest::makeJob(Vault& vault, const JobContext& context) const
{
    const auto model = modelOf(vault, modelId);
    if (!model)
        return {nullptr, nullptr, tr("The model is no longer in the vault")};
    auto* job = new PinJob(&vault, model->name, context.parent);
    return {job, job, QString()};
}

QJsonObject PinRequest::toJson() const
{
    return {{QStringLiteral("modelId"), modelId}};
}

PinRequest PinRequest::fromJson(const QJsonObject& json)
{
    return {json.value(QStringLiteral("modelId")).toInteger()};
}

QString UseInAppRequest::validate(Vault& vault, TransferInfo* shown) const
{
    const auto model = modelOf(vault, modelId);
    const QString name = model ? model->name : tr("model %1").arg(modelId);
    const auto which = appstores::appFromKey(app);
    const QString appName = which ? appstores::appName(*which) : app;
    shown->title = remove                            ? tr("Remove %1 from %2").arg(name, appName)
                   : free.isEmpty()                  ? tr("Use %1 in %2").arg(name, appName)
                   : free == QLatin1String("remove") ? tr("Remove the apps' copies of %1").arg(name)
                                                     : tr("Free the apps' copies of %1").arg(name);
    if (!model)
        return tr("There is no model with id %1 (was it removed?)").arg(modelId);
    if (!free.isEmpty() && free != QLatin1String("replace") && free != QLatin1String("remove"))
        return tr("Free the apps' copies how: “replace” or “remove”, not “%1”").arg(free);
    if (!free.isEmpty() && app.isEmpty())
        return {};
    if (!which)
        return tr("Unknown app “%1”: use ollama, lmstudio, hf-cache or llama.cpp").arg(app);
    if (!as.isEmpty() && *which != appstores::App::Ollama)
        return tr("Only Ollama takes a name to run the model as; the other apps name it by its "
                  "repo and file");
    return {};
}

MadeJob UseInAppRequest::makeJob(Vault& vault, const JobContext& context) const
{
    const auto model = modelOf(vault, modelId);
    const auto which = free.isEmpty() || !app.isEmpty() ? appstores::appFromKey(app)
                                                        : std::optional(appstores::App::Ollama);
    if (!model || !which)
        return {nullptr, nullptr, tr("The model is no longer in the vault")};
    AppUseJob::Request request;
    request.modelName = model->name;
    request.app = *which;
    request.root = root;
    request.ollamaName = as;
    request.remove = remove;
    using Free = AppUseJob::Request::Free;
    request.free = free == QLatin1String("replace")  ? Free::Replace
                   : free == QLatin1String("remove") ? Free::Remove
                                                     : Free::No;
    request.everyApp = !free.isEmpty() && app.isEmpty();
    auto* job = new AppUseJob(&vault, request, context.parent);
    return {job, job, QString()};
}

QJsonObject UseInAppRequest::toJson() const
{
    return {{QStringLiteral("modelId"), modelId}, {QStringLiteral("app"), app},
            {QStringLiteral("as"), as},           {QStringLiteral("root"), root},
            {QStringLiteral("remove"), remove},   {QStringLiteral("free"), free}};
}

UseInAppRequest UseInAppRequest::fromJson(const QJsonObject& json)
{
    UseInAppRequest r;
    r.modelId = json.value(QStringLiteral("modelId")).toInteger();
    r.app = json.value(QStringLiteral("app")).toString();
    r.as = json.value(QStringLiteral("as")).toString();
    r.root = json.value(QStringLiteral("root")).toString();
    r.remove = json.value(QStringLiteral("remove")).toBool();
    r.free = json.value(QStringLiteral("free")).toString();
    // A queue saved before `free` listed the files to replace instead: still a replace.
    if (r.free.isEmpty() && !json.value(QStringLiteral("replace")).toArray().isEmpty())
        r.free = QStringLiteral("replace");
    return r;
}

} // namespace mf
