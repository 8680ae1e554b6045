#pragma once

#include "apiresponse.h"
#include "registry/records.h"

#include <QUrlQuery>

#include <optional>

namespace mf {
class Registry;
class Vault;
} // namespace mf

namespace mf::api {

// The part of the Hugging Face Hub's HTTP API that download clients use (model info, the file
// tree of a revision, resolve/), answered from this vault, so that HF_ENDPOINT pointed at this
// server makes Hugging Face tools read floating models (docs/api.md).
//
// Which repo ids name which models:
//  - a model imported from the Hub answers to its own repo id ("org/name"); "main" (or "HEAD")
//    is its newest complete import, and the commit it was imported at names that import;
//  - every model also answers to "local/<its name>", at "main" or at the commit this server
//    gives it: a hash of its files' paths and SHA-256s, so it changes when its bytes do.
// Every file is described as a Git LFS file (its SHA-256 is its LFS oid), as the Hub does for
// model weights; clients then check a download against that SHA-256.
struct HubModel
{
    ModelRecord model;
    QString repoId;
    QByteArray commit;       // 40 hex digits
    QList<FileRecord> files; // complete ones, by path
};

// The model `repoId` names at `revision`, or a 404 answer in the Hub's own form (X-Error-Code
// RepoNotFound or RevisionNotFound) in *notFound.
std::optional<HubModel> findHubModel(Registry& registry, const QString& repoId,
                                     const QString& revision, ApiResponse* notFound);

// GET /api/models/{repo}[/revision/{rev}]; ?blobs=true adds each file's size and LFS oid.
ApiResponse hubModelInfo(const HubModel& hub, const QUrlQuery& query);

// GET /api/models/{repo}/tree/{rev}[/{folder}][?recursive=true]: one page with every entry.
ApiResponse hubTree(const HubModel& hub, const QString& folder, const QUrlQuery& query);

// The answer of the Hub for something it does not have: `code` goes in X-Error-Code.
ApiResponse hubError(int status, const QByteArray& code, const QString& message);

} // namespace mf::api
