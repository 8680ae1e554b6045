#include "localcopyrequests.h"

#include "offload/offloadjob.h"
#include "offload/pinjob.h"
#include "requestsupport.h"

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

} // namespace mf
