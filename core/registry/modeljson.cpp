#include "modeljson.h"

#include "chunking/redundancyscheme.h"

#include "filedags.h"
#include "modelsummary.h"
#include "registry.h"

namespace mf {

QJsonObject modelListEntryJson(const ModelRecord& m, const ModelSummary& s, int wanted)
{
    return QJsonObject{{QStringLiteral("name"), m.name},
                       {QStringLiteral("files"), s.files},
                       {QStringLiteral("bytes"), s.bytes},
                       {QStringLiteral("chunks"), s.uniqueChunks},
                       {QStringLiteral("redundancy"), m.scheme(wanted).toString()},
                       {QStringLiteral("min_replicas"), s.minReplicas},
                       {QStringLiteral("health"), s.health(wanted)},
                       {QStringLiteral("source"), m.source},
                       {QStringLiteral("created"), m.created.toString(Qt::ISODate)}};
}

QJsonArray manifestJson(const QList<FileChunk>& chunks,
                        const QHash<QString, QList<Placement>>& placements,
                        const QHash<qint64, QString>& providerNames)
{
    QJsonArray out;
    for (const FileChunk& c : chunks) {
        QJsonArray copies;
        for (const Placement& p : placements.value(c.cid))
            copies.append(QJsonObject{
                {QStringLiteral("provider"), providerNames.value(p.providerId)},
                {QStringLiteral("provider_id"), p.providerId},
                {QStringLiteral("locator"), p.locator},
                {QStringLiteral("state"), placementStateName(p.state)},
                {QStringLiteral("verified_at"),
                 p.verifiedAt.isValid() ? QJsonValue(p.verifiedAt.toUTC().toString(Qt::ISODate))
                                        : QJsonValue()}});
        out.append(QJsonObject{{QStringLiteral("index"), c.index},
                               {QStringLiteral("offset"), c.offset},
                               {QStringLiteral("size"), c.size},
                               {QStringLiteral("cid"), c.cid},
                               {QStringLiteral("placements"), copies}});
    }
    return out;
}

QJsonObject modelInfoJson(Registry& registry, const ModelRecord& model, int wanted,
                          bool withManifests)
{
    const ModelSummary s = summarizeModel(registry, model, wanted);
    QJsonArray providers;
    QHash<qint64, QString> providerNames;
    for (const ProviderRecord& pr : registry.providerRows().providers()) {
        providerNames.insert(pr.id, pr.name);
        providers.append(QJsonObject{{QStringLiteral("name"), pr.name},
                                     {QStringLiteral("chunks"), s.chunksByProvider.value(pr.id)},
                                     {QStringLiteral("shards"), s.shardsByProvider.value(pr.id)},
                                     {QStringLiteral("bytes"), s.bytesByProvider.value(pr.id)}});
    }
    QJsonArray files;
    const QList<FileRecord> fileRecords = registry.modelRows().files(model.id);
    for (const FileRecord& f : fileRecords) {
        const QList<FileChunk> manifest = registry.modelRows().fileChunks(f.id);
        files.append(QJsonObject{
            {QStringLiteral("path"), f.path},
            {QStringLiteral("size"), f.size},
            {QStringLiteral("sha256"), QString::fromLatin1(f.sha256)},
            {QStringLiteral("cid"), f.cid}, // docs/cids.md; empty where not known
            {QStringLiteral("chunks"), int(manifest.size())},
            {QStringLiteral("chunker"), f.chunker},
            {QStringLiteral("complete"), f.state == FileRecord::State::Complete},
            {QStringLiteral("metadata"), f.metadata},
            {QStringLiteral("manifest"),
             withManifests ? manifestJson(manifest, registry.placementRows().placementsOfFile(f.id),
                                          providerNames)
                           : QJsonArray()}});
    }
    return {{QStringLiteral("name"), model.name},
            {QStringLiteral("source"), model.source},
            {QStringLiteral("cid"), filedags::modelCid(fileRecords)},
            {QStringLiteral("complete"), model.state == ModelRecord::State::Complete},
            {QStringLiteral("degraded"), model.degraded},
            {QStringLiteral("health"), s.health(wanted)},
            {QStringLiteral("bytes"), s.bytes},
            {QStringLiteral("unique_chunks"), s.uniqueChunks},
            {QStringLiteral("chunk_refs"), s.chunkRefs},
            {QStringLiteral("unique_bytes"), s.uniqueBytes},
            {QStringLiteral("shared_bytes"), s.sharedBytes},
            {QStringLiteral("redundancy"), model.scheme(wanted).toString()},
            {QStringLiteral("sharded_chunks"), s.shardedChunks},
            {QStringLiteral("min_replicas"), s.minReplicas},
            // What min_replicas and under_replicated are measured against.
            {QStringLiteral("wanted_copies"), wanted},
            {QStringLiteral("under_replicated"), s.underReplicated},
            {QStringLiteral("lost"), s.lost},
            // How fresh the health is: when the copies were last looked at (null: some never).
            {QStringLiteral("checked_at"),
             s.lastChecked.isValid() ? QJsonValue(s.lastChecked.toUTC().toString(Qt::ISODate))
                                     : QJsonValue()},
            {QStringLiteral("providers"), providers},
            {QStringLiteral("files"), files}};
}

} // namespace mf
