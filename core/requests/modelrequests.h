#pragma once
// The requests on one model besides float and restore (verify, remove, materialize) and the
// Hugging Face import, each with the keys the jobs table has always kept for it.

#include "requestcontext.h"
#include "transfer/transferinfo.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace mf {

class Vault;

// Read back every chunk of a model and check it. Stored: "modelId".
struct VerifyRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Verify;
    qint64 modelId = 0;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static VerifyRequest fromJson(const QJsonObject& json);
};

// Remove a model, inside the catalog's rules (CatalogCollectJob). Stored: "modelId".
struct RemoveRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Remove;
    qint64 modelId = 0;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static RemoveRequest fromJson(const QJsonObject& json);
};

// Write a model out as a plain folder or into a Hugging Face cache root. Stored: "modelId",
// "destination", "layout" ("plain" or "hf-cache").
struct MaterializeRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Materialize;
    qint64 modelId = 0;
    QString destination;
    bool hfCache = false;

    QString validate(Vault& vault, TransferInfo* shown) const;
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static MaterializeRequest fromJson(const QJsonObject& json);
};

// Import a Hub repo as a model, inside a CatalogGuard as a float. Stored: "repo", "commit",
// "variants", "model", "chunker", the bytes expected as "totalBytes", and where set "patterns"
// and "replicas".
struct ImportRequest
{
    static constexpr TransferInfo::Kind Kind = TransferInfo::Kind::Import;
    QString repoId; // org/name
    QString commit;
    QStringList variants; // empty: every file (or those `patterns` match)
    QStringList patterns; // globs on repo paths
    QString modelName;    // empty: the repo id
    int replicas = 0;     // copies of every chunk; 0: the vault's setting
    qint64 expectedBytes = 0;
    QString chunker; // fixed when it is queued; empty: the vault's default

    QString validate(Vault& vault, TransferInfo* shown) const;
    // Needs context.hubClient, or context.network (and context.hubToken for a gated repo).
    MadeJob makeJob(Vault& vault, const JobContext& context) const;
    QJsonObject toJson() const;
    static ImportRequest fromJson(const QJsonObject& json);
};

} // namespace mf
