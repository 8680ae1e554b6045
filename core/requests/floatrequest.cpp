#include "floatrequest.h"

#include "requestsupport.h"
#include "sync/catalogguard.h"
#include "transfer/floatjob.h"
#include "vault/vault.h"

#include <QJsonArray>

namespace mf {

using requestsupport::tr;

QString FloatRequest::validate(Vault& /*vault*/, TransferInfo* shown) const
{
    QString error;
    shown->title = tr("Float %1").arg(modelName);
    shown->modelName = modelName;
    if (const auto files = FloatJob::collectFiles(paths, &error, names)) {
        for (const auto& f : *files)
            shown->totalBytes += f.size;
        shown->title = files->size() == 1
                           ? tr("Float %1 (1 file)").arg(modelName)
                           : tr("Float %1 (%2 files)").arg(modelName).arg(files->size());
    }
    if (modelName.trimmed().isEmpty())
        error = tr("The model needs a name");
    return error;
}

MadeJob FloatRequest::makeJob(Vault& vault, const JobContext& context) const
{
    FloatJob::Request request;
    request.paths = paths;
    request.modelName = modelName;
    request.options.replication = replicas > 0 ? replicas : vault.replicationFactor();
    request.options.warnIfCapped = replicas > 0;
    request.topUp = topUp;
    request.source = source;
    request.names = names;
    request.expectedSha256 = expectedSha256;
    const auto params = ChunkerParams::fromString(chunker);
    request.options.chunker = params ? *params : vault.defaultChunker();
    request.options.providerIds = providerIds;
    // An existing name is the job's to judge: the same files again are "nothing to do".
    auto* job = new FloatJob(&vault, request, context.parent);
    // Inside the catalog's rules: a lease on the providers while it runs, the catalog published
    // when it ends (docs/catalog.md).
    const QString name = modelName.isEmpty() ? FloatJob::defaultModelName(paths) : modelName;
    auto* guard = new CatalogGuard(&vault, job, QStringLiteral("“%1”").arg(name), context.parent);
    return {guard, job, QString()};
}

QJsonObject FloatRequest::toJson() const
{
    QJsonArray providers;
    for (const qint64 p : providerIds)
        providers.append(p);
    QJsonObject json{{QStringLiteral("paths"), QJsonArray::fromStringList(paths)},
                     {QStringLiteral("model"), modelName},
                     {QStringLiteral("replicas"), replicas},
                     {QStringLiteral("providers"), providers}};
    if (!chunker.isEmpty())
        json.insert(QStringLiteral("chunker"), chunker);
    if (topUp)
        json.insert(QStringLiteral("topUp"), true);
    if (!source.isEmpty())
        json.insert(QStringLiteral("source"), source);
    if (!names.isEmpty())
        json.insert(QStringLiteral("names"), QJsonArray::fromStringList(names));
    if (!expectedSha256.isEmpty()) {
        QJsonObject expected;
        for (auto it = expectedSha256.cbegin(); it != expectedSha256.cend(); ++it)
            expected.insert(it.key(), QString::fromLatin1(it.value()));
        json.insert(QStringLiteral("expectedSha256"), expected);
    }
    return json;
}

FloatRequest FloatRequest::fromJson(const QJsonObject& json)
{
    FloatRequest r;
    r.paths = json.value(QStringLiteral("paths")).toVariant().toStringList();
    r.modelName = json.value(QStringLiteral("model")).toString();
    r.replicas = json.value(QStringLiteral("replicas")).toInt();
    for (const QJsonValue v : json.value(QStringLiteral("providers")).toArray())
        r.providerIds.append(v.toInteger());
    r.chunker = json.value(QStringLiteral("chunker")).toString();
    r.topUp = json.value(QStringLiteral("topUp")).toBool();
    r.source = json.value(QStringLiteral("source")).toString();
    r.names = json.value(QStringLiteral("names")).toVariant().toStringList();
    const QJsonObject expected = json.value(QStringLiteral("expectedSha256")).toObject();
    for (auto it = expected.begin(); it != expected.end(); ++it)
        r.expectedSha256.insert(it.key(), it.value().toString().toLatin1());
    return r;
}

} // namespace mf
