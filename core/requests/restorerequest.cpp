#include "restorerequest.h"

#include "requestsupport.h"
#include "transfer/restorejob.h"
#include "vault/vault.h"

#include <QDir>

namespace mf {

using requestsupport::modelOf;
using requestsupport::tr;

QString RestoreRequest::validate(Vault& vault, TransferInfo* shown) const
{
    const auto model = modelOf(vault, modelId, modelName);
    const QString name = model ? model->name : tr("model %1").arg(modelId);
    shown->destination = destination;
    shown->title = tr("Restore %1 to %2").arg(name, QDir::toNativeSeparators(destination));
    if (!model)
        return tr("There is no model with id %1 (was it removed?)").arg(modelId);
    return QString();
}

MadeJob RestoreRequest::makeJob(Vault& vault, const JobContext& context) const
{
    RestoreJob::Request request;
    // By name (the CLI), the job itself says a missing model is not there ("not found").
    request.modelName = modelName;
    if (modelId) {
        const auto model = vault.registry().modelRows().model(modelId);
        if (!model)
            return {nullptr, nullptr, tr("The model is no longer in the vault")};
        request.modelName = model->name;
    }
    request.filePath = filePath;
    request.destinationDir = destination;
    // Exactly what was asked, on every run: a retry or a resume never replaces more. Files an
    // earlier run finished are its own, and are simply done.
    request.whenExists = overwrite ? ExistingFile::Replace : ExistingFile::Refuse;
    request.answers = answers;
    request.restoredBefore = restored;
    auto* job = new RestoreJob(&vault, request, context.parent);
    return {job, job, QString()};
}

QJsonObject RestoreRequest::toJson() const
{
    QJsonObject json{{QStringLiteral("modelId"), modelId},
                     {QStringLiteral("destination"), destination},
                     {QStringLiteral("overwrite"), overwrite},
                     {QStringLiteral("ask"), ask}};
    if (!modelName.isEmpty())
        json.insert(QStringLiteral("model"), modelName);
    if (!filePath.isEmpty())
        json.insert(QStringLiteral("file"), filePath);
    if (!answers.isEmpty())
        json.insert(QStringLiteral("answers"), existingFileAnswersToJson(answers));
    if (!restored.isEmpty()) {
        QJsonObject files;
        for (auto it = restored.constBegin(); it != restored.constEnd(); ++it)
            files.insert(it.key(), it.value());
        json.insert(QStringLiteral("restored"), files);
    }
    return json;
}

RestoreRequest RestoreRequest::fromJson(const QJsonObject& json)
{
    RestoreRequest r;
    r.modelId = json.value(QStringLiteral("modelId")).toInteger();
    r.modelName = json.value(QStringLiteral("model")).toString();
    r.filePath = json.value(QStringLiteral("file")).toString();
    r.destination = json.value(QStringLiteral("destination")).toString();
    r.overwrite = json.value(QStringLiteral("overwrite")).toBool();
    r.ask = json.value(QStringLiteral("ask")).toBool();
    r.answers = existingFileAnswersFromJson(json.value(QStringLiteral("answers")).toObject());
    const QJsonObject files = json.value(QStringLiteral("restored")).toObject();
    for (auto it = files.constBegin(); it != files.constEnd(); ++it)
        r.restored.insert(it.key(), it.value().toString());
    return r;
}

} // namespace mf
