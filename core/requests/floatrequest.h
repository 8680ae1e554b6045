#pragma once

#include "requestcontext.h"
#include "transfer/transferinfo.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace mf {

class Vault;

// Float files into the vault: what the GUI, the CLI and the local API ask, and what the queue
// keeps of it in the jobs table (the same keys since the first queue: "paths", "model",
// "replicas", "providers", "chunker", "topUp").
struct FloatRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Float;

    QStringList paths;         // local files or folders (folders: their files, recursively)
    QString modelName;         // required by the queue; the CLI's default: the first path's name
    int replicas = 0;          // 0: the vault's default
    QList<qint64> providerIds; // empty: all enabled providers
    // Chunker spec (ChunkerParams::toString), fixed when it is queued so that a resume cuts the
    // same chunks; empty: the vault's default.
    QString chunker;
    // Also make the copies its complete files lack: set when it waits for a paused provider.
    bool topUp = false;
    // A model another app keeps (`float --from`): what the model records as its source
    // ("ollama:registry.ollama.ai/library/NAME:TAG", "hf:REPO@COMMIT"; empty: the first path),
    // each file path's name in the model (FloatJob::Request::names) and the SHA-256 its app
    // named each file's bytes by. Stored under their own keys only when set.
    QString source;
    QStringList names;
    QHash<QString, QByteArray> expectedSha256;

    // What the queue shows before it runs (title, total bytes) and the reason it cannot run
    // (empty: it can).
    QString validate(Vault& vault, TransferInfo* shown) const;
    // The FloatJob inside a CatalogGuard: a lease on the providers while it runs, the catalog
    // published when it ends.
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static FloatRequest fromJson(const QJsonObject& json);
};

} // namespace mf
