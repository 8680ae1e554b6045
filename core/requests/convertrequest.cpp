#include "convertrequest.h"

#include "requestsupport.h"
#include "sync/repairjob.h"
#include "vault/vault.h"

namespace mf {

using requestsupport::tr;

ConvertRequest::Refusal ConvertRequest::refusal(const QString& model, const RedundancyScheme& from,
                                                const RedundancyScheme& to, int vaultCopies,
                                                int providers)
{
    // Copies N → M is the vault's replication and repair, not a conversion. Shards K+M → K'+M'
    // is one: the chunk is read from the old shards and the new ones are put before the old
    // ones go.
    if (!from.isShards() && !to.isShards() && from != to)
        return {tr("“%1” is stored as %2: the number of copies follows `config redundancy "
                   "copies N` and `repair`")
                    .arg(model, from.toString()),
                true};
    // Health, repair and every view judge a model of copies by the vault's number of copies
    // (HealthRows::wantedCopies): another number would be a scheme nothing keeps, said healthy
    // with fewer copies than it asked for.
    if (!to.isShards() && to.copies != vaultCopies)
        return {tr("“%1” can become copies %2, the vault's number of copies, not %3: `config "
                   "redundancy copies N` sets the copies of every model")
                    .arg(model)
                    .arg(vaultCopies)
                    .arg(to.copies),
                true};
    QString refused = to.refusal(providers);
    if (refused.isEmpty() && providers < to.providersNeeded())
        refused = tr("%1 needs %2 providers that take new copies; the vault has %3")
                      .arg(to.toString())
                      .arg(to.providersNeeded())
                      .arg(providers);
    if (!refused.isEmpty())
        return {tr("“%1” stays %2: %3").arg(model, from.toString(), refused), false};
    return {};
}

RedundancyScheme ConvertRequest::schemeOf(Registry& registry, qint64 modelId)
{
    const int wanted = registry.healthRows().wantedCopies();
    const auto model = registry.modelRows().model(modelId);
    return model ? model->scheme(wanted) : RedundancyScheme::makeCopies(wanted);
}

ConvertRequest::Refusal ConvertRequest::refusal(Registry& registry) const
{
    QString why;
    const auto to = RedundancyScheme::parse(scheme, &why);
    if (!to)
        return {why, true};
    const auto model = registry.modelRows().model(modelId);
    if (!model)
        return {tr("There is no model with id %1 (was it removed?)").arg(modelId), false};
    return refusal(model->name, schemeOf(registry, modelId), *to,
                   registry.healthRows().wantedCopies(), Vault::providersTakingCopiesIn(registry));
}

QString ConvertRequest::validate(Vault& vault, TransferInfo* shown) const
{
    const auto model = vault.registry().modelRows().model(modelId);
    shown->title =
        tr("Store %1 as %2").arg(model ? model->name : tr("model %1").arg(modelId), scheme);
    return refusal(vault.registry()).why;
}

MadeJob ConvertRequest::makeJob(Vault& vault, const JobContext& context) const
{
    // The providers may have changed since it was queued.
    const Refusal refused = refusal(vault.registry());
    if (!refused.why.isEmpty())
        return {nullptr, nullptr, refused.why};
    RepairJob::Options options;
    options.modelIds = {modelId};
    options.convertTo = RedundancyScheme::parse(scheme);
    auto* job = new RepairJob(&vault, options, context.parent);
    return {job, job, QString()};
}

QJsonObject ConvertRequest::toJson() const
{
    return {{QStringLiteral("modelId"), modelId}, {QStringLiteral("scheme"), scheme}};
}

ConvertRequest ConvertRequest::fromJson(const QJsonObject& json)
{
    return {json.value(QStringLiteral("modelId")).toInteger(),
            json.value(QStringLiteral("scheme")).toString()};
}

} // namespace mf
