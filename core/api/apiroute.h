#pragma once

#include <QByteArray>
#include <QString>
#include <QUrlQuery>

namespace mf::api {

// Which endpoint a request target names, with its decoded parts. A model's name is one path
// segment (percent-encode a '/' in it as %2F); a file's path is the rest of the target. Nothing
// here touches the file system: a file path is only ever looked up in the registry, and a path
// with an empty, "." or ".." segment names no endpoint at all.
struct ApiRoute
{
    enum class Kind {
        None,
        ModelList,
        ModelInfo,
        ModelFile,
        Chunk,
        // The Hugging Face Hub's download endpoints (hubresources.h): /api/models/{repo}[/revision/
        // {rev}], /api/models/{repo}/tree/{rev}[/{folder}] and /{repo}/resolve/{rev}/{path};
        // /api/models/{repo}/refs, POST /api/models/{repo}/paths-info/{rev} and
        // /{repo}/raw/{rev}/{path} (what git holds: an LFS file's pointer).
        HubModelInfo,
        HubTree,
        HubResolve,
        HubRefs,
        HubPathsInfo,
        HubRaw,
        // GET /ipfs/{cid}: a chunk as a raw block, the IPFS trustless gateway's form.
        IpfsBlock,
        // The container registry's read endpoints (registryresources.h): /v2/,
        // /v2/{name}/manifests/{reference}, /v2/{name}/blobs/{digest}, /v2/{name}/tags/list.
        // `model` holds the repository name, `revision` the reference or digest.
        RegistryBase,
        RegistryManifest,
        RegistryBlob,
        RegistryTags,
        // GET /v2/token: the bearer token, to a client that sent it as a password (the registry
        // protocol's token service: the realm of the 401's challenge).
        RegistryToken,
        OpenApi,
        // The transfer queue (transferresources.h): GET /transfers, GET /transfers/{id},
        // POST /transfers/{id}/{action}, GET /events (Server-Sent Events), POST /floats and
        // POST /models/{model}/{restore|verify}.
        Transfers,
        Transfer,
        TransferAction,
        Events,
        Floats,
        ModelAction,
        // The web page (webresources.h): GET / and /web/{name} (`filePath` the file's name),
        // GET /signin?code=…, GET and DELETE /api/v1/session (the browser's session: its CSRF
        // token; signing out) and POST /api/v1/session/links (a new sign-in link).
        WebFile,
        WebSignIn,
        Session,
        SessionLinks
    };
    Kind kind = Kind::None;
    QString model; // a model's name, or a Hub repo id ("org/name", "local/name")
    QString revision;
    QString filePath; // a file's path in the model; a folder's for HubTree
    QString cid;
    QString action;        // TransferAction, ModelAction
    qint64 transferId = 0; // Transfer, TransferAction
    QUrlQuery query;

    static ApiRoute parse(const QByteArray& target);
};

} // namespace mf::api
