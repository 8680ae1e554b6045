#include "apiroute.h"

#include <QList>

#include <optional>

namespace mf::api {

namespace {

bool badPart(const QString& part)
{
    return part.isEmpty() || part == QLatin1String(".") || part == QLatin1String("..");
}

// The decoded segments of `path`, or none if any is empty, "." or "..".
std::optional<QStringList> segmentsOf(const QByteArray& path)
{
    QStringList segments;
    for (const QByteArray& raw : path.split('/')) {
        const QString segment = QString::fromUtf8(QByteArray::fromPercentEncoding(raw));
        if (badPart(segment))
            return std::nullopt;
        segments.append(segment);
    }
    return segments;
}

// A file path made of `rest`: none if a segment decodes to "../x" or "a/../b" (refused as its
// plain form is).
std::optional<QString> filePathOf(const QStringList& rest)
{
    const QString path = rest.join(QLatin1Char('/'));
    for (const QString& part : path.split(QLatin1Char('/')))
        if (badPart(part))
            return std::nullopt;
    return path;
}

// How many leading segments make the Hub repo id: "org/name", or one segment ("gpt2") when the
// next is a keyword of the endpoint.
qsizetype repoIdLength(const QStringList& segments, const QStringList& keywords)
{
    if (segments.size() >= 2 && !keywords.contains(segments.at(1)))
        return 2;
    return segments.isEmpty() ? 0 : 1;
}

void parseHubApi(const QStringList& segments, ApiRoute* route)
{
    static const QStringList keywords = {QStringLiteral("revision"), QStringLiteral("tree"),
                                         QStringLiteral("refs"), QStringLiteral("paths-info")};
    const qsizetype n = repoIdLength(segments, keywords);
    if (n == 0)
        return;
    route->model = segments.mid(0, n).join(QLatin1Char('/'));
    const QStringList rest = segments.mid(n);
    if (rest.isEmpty()) {
        route->kind = ApiRoute::Kind::HubModelInfo;
    } else if (rest.first() == QLatin1String("revision") && rest.size() == 2) {
        route->kind = ApiRoute::Kind::HubModelInfo;
        route->revision = rest.at(1);
    } else if (rest == QStringList{QStringLiteral("refs")}) {
        route->kind = ApiRoute::Kind::HubRefs;
    } else if (rest.first() == QLatin1String("paths-info") && rest.size() == 2) {
        route->kind = ApiRoute::Kind::HubPathsInfo;
        route->revision = rest.at(1);
    } else if (rest.first() == QLatin1String("tree") && rest.size() >= 2) {
        const auto folder = filePathOf(rest.mid(2));
        if (rest.size() > 2 && !folder)
            return;
        route->kind = ApiRoute::Kind::HubTree;
        route->revision = rest.at(1);
        route->filePath = rest.size() > 2 ? *folder : QString();
    }
}

void parseHubResolve(const QStringList& segments, ApiRoute* route)
{
    static const QStringList keywords = {QStringLiteral("resolve"), QStringLiteral("raw")};
    const qsizetype n = repoIdLength(segments, keywords);
    if (n == 0 || segments.size() < n + 3 || !keywords.contains(segments.at(n)))
        return;
    const auto path = filePathOf(segments.mid(n + 2));
    if (!path)
        return;
    route->kind = segments.at(n) == QLatin1String("raw") ? ApiRoute::Kind::HubRaw
                                                         : ApiRoute::Kind::HubResolve;
    route->model = segments.mid(0, n).join(QLatin1Char('/'));
    route->revision = segments.at(n + 1);
    route->filePath = *path;
}

// /v2/ and /v2/{name}/manifests/{reference}, /v2/{name}/blobs/{digest}, /v2/{name}/tags/list,
// where a name is one or more segments. Anything else under /v2/ is left to the Hub's resolve/
// (a repo whose organization is called "v2").
bool parseRegistry(const QByteArray& path, ApiRoute* route)
{
    static const QByteArray prefix = "/v2/";
    if (path == "/v2" || path == prefix) {
        route->kind = ApiRoute::Kind::RegistryBase;
        return true;
    }
    if (path == "/v2/token") {
        route->kind = ApiRoute::Kind::RegistryToken;
        return true;
    }
    if (!path.startsWith(prefix))
        return false;
    const auto segments = segmentsOf(path.mid(prefix.size()));
    if (!segments || segments->size() < 3)
        return false;
    const qsizetype n = segments->size();
    const QString& keyword = segments->at(n - 2);
    if (segments->mid(n - 2) == QStringList{QStringLiteral("tags"), QStringLiteral("list")}) {
        route->kind = ApiRoute::Kind::RegistryTags;
    } else if (keyword == QLatin1String("manifests")) {
        route->kind = ApiRoute::Kind::RegistryManifest;
    } else if (keyword == QLatin1String("blobs")) {
        route->kind = ApiRoute::Kind::RegistryBlob;
    } else {
        return false;
    }
    route->model = segments->mid(0, n - 2).join(QLatin1Char('/'));
    if (route->kind != ApiRoute::Kind::RegistryTags)
        route->revision = segments->last();
    return true;
}

} // namespace

ApiRoute ApiRoute::parse(const QByteArray& target)
{
    ApiRoute route;
    const qsizetype question = target.indexOf('?');
    const QByteArray path = question < 0 ? target : target.left(question);
    if (question >= 0)
        route.query = QUrlQuery(QString::fromUtf8(target.mid(question + 1)));
    static const QByteArray prefix = "/api/v1/";
    static const QByteArray hubPrefix = "/api/models/";
    if (path.startsWith(hubPrefix)) {
        if (const auto segments = segmentsOf(path.mid(hubPrefix.size())))
            parseHubApi(*segments, &route);
        return route;
    }
    static const QByteArray ipfsPrefix = "/ipfs/";
    if (path.startsWith(ipfsPrefix)) {
        const auto segments = segmentsOf(path.mid(ipfsPrefix.size()));
        if (segments && segments->size() == 1) {
            route.kind = Kind::IpfsBlock;
            route.cid = segments->first();
        }
        return route;
    }
    if (parseRegistry(path, &route))
        return route;
    // The page's own addresses have one or two segments: the Hub's resolve/ needs four or more.
    static const QByteArray webPrefix = "/web/";
    if (path == "/" || path == "/signin") {
        route.kind = path == "/" ? Kind::WebFile : Kind::WebSignIn;
        route.filePath = path == "/" ? QStringLiteral("index.html") : QString();
        return route;
    }
    if (path.startsWith(webPrefix)) {
        const auto segments = segmentsOf(path.mid(webPrefix.size()));
        if (segments && segments->size() == 1) {
            route.kind = Kind::WebFile;
            route.filePath = segments->first();
            return route;
        }
    }
    if (!path.startsWith(prefix)) {
        if (path.startsWith('/'))
            if (const auto segments = segmentsOf(path.mid(1)))
                parseHubResolve(*segments, &route);
        return route;
    }
    const auto parsed = segmentsOf(path.mid(prefix.size()));
    if (!parsed)
        return route;
    const QStringList& segments = *parsed;
    if (segments == QStringList{QStringLiteral("openapi.json")}) {
        route.kind = Kind::OpenApi;
    } else if (segments == QStringList{QStringLiteral("events")}) {
        route.kind = Kind::Events;
    } else if (segments == QStringList{QStringLiteral("session")}) {
        route.kind = Kind::Session;
    } else if (segments == QStringList{QStringLiteral("session"), QStringLiteral("links")}) {
        route.kind = Kind::SessionLinks;
    } else if (segments == QStringList{QStringLiteral("floats")}) {
        route.kind = Kind::Floats;
    } else if (segments.first() == QLatin1String("transfers") && segments.size() <= 3) {
        bool ok = true;
        route.transferId = segments.size() > 1 ? segments.at(1).toLongLong(&ok) : 0;
        if (!ok || (segments.size() > 1 && route.transferId <= 0))
            return route;
        route.kind = segments.size() == 1   ? Kind::Transfers
                     : segments.size() == 2 ? Kind::Transfer
                                            : Kind::TransferAction;
        route.action = segments.value(2);
    } else if (segments.first() == QLatin1String("models")) {
        if (segments.size() == 1) {
            route.kind = Kind::ModelList;
        } else if (segments.size() == 2) {
            route.kind = Kind::ModelInfo;
            route.model = segments.at(1);
        } else if (segments.size() == 3 && (segments.at(2) == QLatin1String("restore") ||
                                            segments.at(2) == QLatin1String("verify"))) {
            route.kind = Kind::ModelAction;
            route.model = segments.at(1);
            route.action = segments.at(2);
        } else if (segments.size() >= 4 && segments.at(2) == QLatin1String("files")) {
            const auto filePath = filePathOf(segments.mid(3));
            if (!filePath)
                return route;
            route.kind = Kind::ModelFile;
            route.model = segments.at(1);
            route.filePath = *filePath;
        }
    } else if (segments.first() == QLatin1String("chunks") && segments.size() == 2) {
        route.kind = Kind::Chunk;
        route.cid = segments.at(1);
    }
    return route;
}

} // namespace mf::api
