#include "modelrequests.h"

#include "hub/appuses.h"
#include "hub/hubclient.h"
#include "hub/hubsettings.h"
#include "hub/importjob.h"
#include "hub/materializejob.h"
#include "requestsupport.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogguard.h"
#include "transfer/verifyjob.h"
#include "vault/vault.h"

#include <QDir>
#include <QJsonArray>

namespace mf {

using requestsupport::modelOf;
using requestsupport::tr;

namespace {

// A request on one model: its title (made by `title` from the model's name) and, when the model
// is not there, why it cannot run.
QString validateOnModel(Vault& vault, qint64 modelId, TransferInfo* shown,
                        const std::function<QString(const QString&)>& title)
{
    const auto model = vault.registry().modelRows().model(modelId);
    shown->title = title(model ? model->name : tr("model %1").arg(modelId));
    return model ? QString() : tr("There is no model with id %1 (was it removed?)").arg(modelId);
}

QString modelGone()
{
    return tr("The model is no longer in the vault");
}

} // namespace

QString VerifyRequest::validate(Vault& vault, TransferInfo* shown) const
{
    return validateOnModel(vault, modelId, shown,
                           [](const QString& name) { return tr("Verify %1").arg(name); });
}

MadeJob VerifyRequest::makeJob(Vault& vault, const JobContext& context) const
{
    const auto model = modelOf(vault, modelId);
    if (!model)
        return {nullptr, nullptr, modelGone()};
    auto* job = new VerifyJob(&vault, {model->name}, context.parent);
    return {job, job, QString()};
}

QJsonObject VerifyRequest::toJson() const
{
    return {{QStringLiteral("modelId"), modelId}};
}

VerifyRequest VerifyRequest::fromJson(const QJsonObject& json)
{
    return {json.value(QStringLiteral("modelId")).toInteger()};
}

QString RemoveRequest::validate(Vault& vault, TransferInfo* shown) const
{
    const QString error = validateOnModel(
        vault, modelId, shown, [](const QString& name) { return tr("Remove %1").arg(name); });
    if (!error.isEmpty())
        return error;
    // As `modelfloat-cli rm`: a model an app uses (`use`) stays until it is taken out.
    const auto model = vault.registry().modelRows().model(modelId);
    return model ? AppUses::ofVault(vault.directory()).removalRefusal(model->name) : QString();
}

MadeJob RemoveRequest::makeJob(Vault& vault, const JobContext& context) const
{
    const auto model = modelOf(vault, modelId);
    // A removal paused after its registry step goes on with the deletions it left.
    if (!model && !context.resumed)
        return {nullptr, nullptr, modelGone()};
    // Across vaults: the removal is published, and nothing another vault's catalog or a float
    // in progress anywhere relies on is deleted (docs/catalog.md).
    auto* job = new CatalogCollectJob(&vault, model ? model->name : QString(), context.parent);
    return {job, job, QString()};
}

QJsonObject RemoveRequest::toJson() const
{
    return {{QStringLiteral("modelId"), modelId}};
}

RemoveRequest RemoveRequest::fromJson(const QJsonObject& json)
{
    return {json.value(QStringLiteral("modelId")).toInteger()};
}

QString MaterializeRequest::validate(Vault& vault, TransferInfo* shown) const
{
    const QString error = validateOnModel(vault, modelId, shown, [this](const QString& name) {
        return tr("Materialize %1 to %2").arg(name, QDir::toNativeSeparators(destination));
    });
    return destination.isEmpty() ? tr("Choose a folder to materialize the model into") : error;
}

MadeJob MaterializeRequest::makeJob(Vault& vault, const JobContext& context) const
{
    const auto model = modelOf(vault, modelId);
    if (!model)
        return {nullptr, nullptr, modelGone()};
    MaterializeJob::Request request;
    request.modelName = model->name;
    request.destination = destination;
    request.layout = hfCache ? MaterializeJob::Layout::HfCache : MaterializeJob::Layout::Plain;
    // Resumed after a pause, a plain materialize finds the files its first run wrote.
    request.overwrite = context.resumed;
    auto* job = new MaterializeJob(&vault, request, context.parent);
    return {job, job, QString()};
}

QJsonObject MaterializeRequest::toJson() const
{
    return {
        {QStringLiteral("modelId"), modelId},
        {QStringLiteral("destination"), destination},
        {QStringLiteral("layout"), hfCache ? QStringLiteral("hf-cache") : QStringLiteral("plain")}};
}

MaterializeRequest MaterializeRequest::fromJson(const QJsonObject& json)
{
    MaterializeRequest r;
    r.modelId = json.value(QStringLiteral("modelId")).toInteger();
    r.destination = json.value(QStringLiteral("destination")).toString();
    r.hfCache = json.value(QStringLiteral("layout")).toString() == QLatin1String("hf-cache");
    return r;
}

QString ImportRequest::validate(Vault& /*vault*/, TransferInfo* shown) const
{
    shown->title = tr("Import %1 from Hugging Face").arg(modelName.isEmpty() ? repoId : modelName);
    shown->modelName = modelName.isEmpty() ? repoId : modelName;
    shown->totalBytes = expectedBytes;
    if (repoId.count(QLatin1Char('/')) != 1 || repoId.startsWith(QLatin1Char('/')) ||
        repoId.endsWith(QLatin1Char('/')))
        return tr("“%1” is not a Hugging Face repo id (org/name)").arg(repoId);
    return QString();
}

MadeJob ImportRequest::makeJob(Vault& vault, const JobContext& context) const
{
    ImportJob::Request request;
    request.repoId = repoId;
    request.revision = commit;
    request.variants = variants;
    request.patterns = patterns;
    request.modelName = modelName;
    request.options.replication = replicas > 0 ? replicas : vault.replicationFactor();
    request.options.warnIfCapped = replicas > 0;
    const auto params = ChunkerParams::fromString(chunker);
    request.options.chunker = params ? *params : vault.defaultChunker();
    // Chunk bytes wait in memory until placed: this bounds that memory (StreamChunkSource).
    request.options.maxPendingChunks = 8;

    HubClient* client = context.hubClient;
    if (!client) {
        HubSettings settings = HubSettings::forVault(vault.registry());
        settings.token = context.hubToken;
        client = new HubClient(context.network, settings);
    }
    auto* job = new ImportJob(&vault, client, request, context.parent);
    // A client made here lives as long as its job (a child, deleted after the job's own
    // destructor).
    if (!context.hubClient)
        client->setParent(job);
    // Inside the catalog's rules, as a float.
    auto* guard =
        new CatalogGuard(&vault, job,
                         QStringLiteral("“%1”").arg(
                             request.modelName.isEmpty() ? request.repoId : request.modelName),
                         context.parent);
    return {guard, job, QString()};
}

QJsonObject ImportRequest::toJson() const
{
    QJsonObject json{{QStringLiteral("repo"), repoId},
                     {QStringLiteral("commit"), commit},
                     {QStringLiteral("variants"), QJsonArray::fromStringList(variants)},
                     {QStringLiteral("model"), modelName},
                     {QStringLiteral("totalBytes"), expectedBytes}};
    if (!chunker.isEmpty())
        json.insert(QStringLiteral("chunker"), chunker);
    if (!patterns.isEmpty())
        json.insert(QStringLiteral("patterns"), QJsonArray::fromStringList(patterns));
    if (replicas > 0)
        json.insert(QStringLiteral("replicas"), replicas);
    return json;
}

ImportRequest ImportRequest::fromJson(const QJsonObject& json)
{
    ImportRequest r;
    r.repoId = json.value(QStringLiteral("repo")).toString();
    r.commit = json.value(QStringLiteral("commit")).toString();
    r.variants = json.value(QStringLiteral("variants")).toVariant().toStringList();
    r.modelName = json.value(QStringLiteral("model")).toString();
    r.expectedBytes = json.value(QStringLiteral("totalBytes")).toInteger();
    r.chunker = json.value(QStringLiteral("chunker")).toString();
    r.patterns = json.value(QStringLiteral("patterns")).toVariant().toStringList();
    r.replicas = json.value(QStringLiteral("replicas")).toInt();
    return r;
}

} // namespace mf
