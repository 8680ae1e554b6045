#include "syncrequests.h"

#include "requestsupport.h"
#include "sync/drainjob.h"
#include "sync/repairjob.h"
#include "sync/scrubjob.h"
#include "vault/vault.h"

#include <QFileInfo>
#include <QJsonArray>

namespace mf {

using requestsupport::tr;

QString RepairRequest::validate(Vault& vault, TransferInfo* shown) const
{
    if (modelId == 0 && !fromPaths.isEmpty())
        return tr("Name the model to repair from the files at hand");
    if (modelId == 0) {
        shown->title = shown->background ? tr("Background repair: every chunk back to its copies")
                                         : tr("Repair the vault");
        return QString();
    }
    const auto model = vault.registry().modelRows().model(modelId);
    const QString name = model ? model->name : tr("model %1").arg(modelId);
    shown->title = fromPaths.isEmpty() ? tr("Repair %1").arg(name)
                                       : tr("Repair %1 from the files at hand").arg(name);
    if (!model)
        return tr("There is no model with id %1 (was it removed?)").arg(modelId);
    for (const QString& path : fromPaths)
        if (!QFileInfo::exists(path))
            return tr("There is no file or folder at “%1” to repair %2 from").arg(path, name);
    return QString();
}

MadeJob RepairRequest::makeJob(Vault& vault, const JobContext& context) const
{
    RepairJob::Options options;
    if (modelId)
        options.modelIds = {modelId};
    // "Repair now" looks at the copies before it says anything; the scheduler's repair follows
    // its own scrub.
    options.checkFirst = !context.background;
    options.fromPaths = fromPaths;
    auto* job = new RepairJob(&vault, options, context.parent);
    return {job, job, QString()};
}

QJsonObject RepairRequest::toJson() const
{
    QJsonObject json{{QStringLiteral("modelId"), modelId}};
    if (!fromPaths.isEmpty())
        json.insert(QStringLiteral("fromPaths"), QJsonArray::fromStringList(fromPaths));
    return json;
}

RepairRequest RepairRequest::fromJson(const QJsonObject& json)
{
    RepairRequest r;
    r.modelId = json.value(QStringLiteral("modelId")).toInteger();
    for (const QJsonValue& p : json.value(QStringLiteral("fromPaths")).toArray())
        r.fromPaths.append(p.toString());
    return r;
}

QString DrainRequest::validate(Vault& vault, TransferInfo* shown) const
{
    const auto provider = vault.registry().providerRows().provider(providerId);
    const QString name = provider ? provider->name : tr("provider %1").arg(providerId);
    shown->title = removeAfter ? tr("Remove provider %1 (its chunks go elsewhere first)").arg(name)
                               : tr("Drain provider %1").arg(name);
    return provider ? QString()
                    : tr("There is no provider with id %1 (was it removed?)").arg(providerId);
}

MadeJob DrainRequest::makeJob(Vault& vault, const JobContext& context) const
{
    if (!vault.registry().providerRows().provider(providerId))
        return {nullptr, nullptr, tr("The provider is no longer in the vault")};
    DrainJob::Options options;
    options.force = force;
    options.removeAfter = removeAfter;
    auto* job = new DrainJob(&vault, providerId, options, context.parent);
    return {job, job, QString()};
}

QJsonObject DrainRequest::toJson() const
{
    return {{QStringLiteral("providerId"), providerId},
            {QStringLiteral("force"), force},
            {QStringLiteral("removeAfter"), removeAfter}};
}

DrainRequest DrainRequest::fromJson(const QJsonObject& json)
{
    DrainRequest r;
    r.providerId = json.value(QStringLiteral("providerId")).toInteger();
    r.force = json.value(QStringLiteral("force")).toBool();
    r.removeAfter = json.value(QStringLiteral("removeAfter")).toBool();
    return r;
}

QString ScrubRequest::validate(Vault& /*vault*/, TransferInfo* shown) const
{
    if (everyCopy)
        shown->title = read ? tr("Reading every copy back") : tr("Checking every copy is there");
    else
        shown->title = read ? tr("Background scrub: reading copies back")
                            : tr("Background scrub: checking copies are there");
    return QString();
}

MadeJob ScrubRequest::makeJob(Vault& vault, const JobContext& context) const
{
    ScrubJob::Options options = ScrubJob::scheduled(
        vault.registry(), read ? ScrubRows::ScrubPass::Read : ScrubRows::ScrubPass::Check);
    if (everyCopy)
        options.intervalSecs = 0; // every copy is due
    auto* job = new ScrubJob(&vault, options, context.parent);
    return {job, job, QString()};
}

QJsonObject ScrubRequest::toJson() const
{
    return {{QStringLiteral("read"), read}, {QStringLiteral("every"), everyCopy}};
}

ScrubRequest ScrubRequest::fromJson(const QJsonObject& json)
{
    return {json.value(QStringLiteral("read")).toBool(),
            json.value(QStringLiteral("every")).toBool()};
}

} // namespace mf
