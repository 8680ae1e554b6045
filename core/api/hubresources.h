#pragma once

#include "apiresponse.h"
#include "hubblobids.h"
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
// A file is described as the Hub describes it: a weight file or one over 10 MiB as a Git LFS file
// (its SHA-256 is its LFS oid and its ETag), any other by its git blob id (HubBlobIds), by the
// rule `materialize --layout hf` names blobs by (hfcache::storedInLfs()).
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

// GET /api/models/{repo}[/revision/{rev}]; ?blobs=true adds each file's size and blob id (and
// LFS oid). `ids` holds the git blob id of every file of `hub` outside LFS.
ApiResponse hubModelInfo(const HubModel& hub, const QUrlQuery& query, const HubBlobIds& ids);

// GET /api/models/{repo}/tree/{rev}[/{folder}][?recursive=true][&expand=true]: a page of
// entries (?limit=, at most and by default HubTreePage), and a Link to the next page
// (`pageUrl`, the request's own URL without its query, with a cursor) as the Hub sends.
constexpr int HubTreePage = 1000;
ApiResponse hubTree(const HubModel& hub, const QString& folder, const QUrlQuery& query,
                    const HubBlobIds& ids, const QByteArray& pageUrl);

// GET /api/models/{repo}/refs: the branch "main" at the model's commit.
ApiResponse hubRefs(const HubModel& hub);

// POST /api/models/{repo}/paths-info/{rev}: the entries of the paths asked for (a JSON body
// {"paths": [...], "expand": bool}, or the same as a form), those that exist.
constexpr int HubMaxPathsInfo = 1000;
ApiResponse hubPathsInfo(const HubModel& hub, const QByteArray& body, const QByteArray& contentType,
                         const HubBlobIds& ids);

// What the Hub gives as `file`'s ETag: its SHA-256 in LFS, its git blob id otherwise.
QByteArray hubEtag(const FileRecord& file, const HubBlobIds& ids);
// The Git LFS pointer the Hub keeps in git for a file in LFS (what /raw/ answers for it).
QByteArray lfsPointer(const FileRecord& file);
QByteArray gitBlobId(const QByteArray& content);

// The answer of the Hub for something it does not have: `code` goes in X-Error-Code.
ApiResponse hubError(int status, const QByteArray& code, const QString& message);

} // namespace mf::api
