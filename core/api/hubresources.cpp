#include "hubresources.h"

#include "hub/hfcachelayout.h"
#include "registry/registry.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace mf::api {

namespace {

const QString LocalPrefix = QStringLiteral("local/");

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::api", text);
}

QJsonObject lfsJson(const FileRecord& f, const char* oidKey)
{
    return {{QLatin1String(oidKey), QString::fromLatin1(f.sha256)},
            {QStringLiteral("size"), f.size},
            {QStringLiteral("pointerSize"), int(lfsPointer(f).size())}};
}

// A local model's commit: a hash of what it holds, so a client's cache keyed by commit never
// mixes two versions of a model that was removed and floated again under the same name.
QByteArray localCommit(const QList<FileRecord>& files)
{
    QCryptographicHash h(QCryptographicHash::Sha1);
    h.addData("modelfloat local model\n");
    for (const FileRecord& f : files)
        h.addData(QByteArray(f.path.toUtf8() + ' ' + f.sha256 + '\n'));
    return h.result().toHex();
}

QList<FileRecord> completeFiles(Registry& registry, qint64 modelId)
{
    QList<FileRecord> files;
    for (const FileRecord& f : registry.modelRows().files(modelId))
        if (f.state == FileRecord::State::Complete)
            files.append(f);
    std::sort(files.begin(), files.end(),
              [](const FileRecord& a, const FileRecord& b) { return a.path < b.path; });
    return files;
}

bool isHead(const QString& revision)
{
    return revision.isEmpty() || revision == QLatin1String("main") ||
           revision == QLatin1String("HEAD");
}

// One entry of a tree or paths-info answer for a file, as the Hub gives it.
QJsonObject fileEntry(const HubModel& hub, const FileRecord& f, const HubBlobIds& ids, bool expand)
{
    const bool lfs = hfcache::storedInLfs(f.path, f.size);
    QJsonObject e{{QStringLiteral("type"), QStringLiteral("file")},
                  {QStringLiteral("oid"),
                   QString::fromLatin1(lfs ? gitBlobId(lfsPointer(f)) : ids.find(f.sha256))},
                  {QStringLiteral("size"), f.size},
                  {QStringLiteral("path"), f.path}};
    if (lfs)
        e.insert(QStringLiteral("lfs"), lfsJson(f, "oid"));
    if (expand) // One commit made every file of a model: it is each file's last.
        e.insert(QStringLiteral("lastCommit"),
                 QJsonObject{{QStringLiteral("id"), QString::fromLatin1(hub.commit)},
                             {QStringLiteral("title"), QStringLiteral("Floated with ModelFloat")},
                             {QStringLiteral("date"),
                              hub.model.created.toUTC().toString(Qt::ISODateWithMs)}});
    return e;
}

QJsonObject folderEntry(const QString& path)
{
    return {{QStringLiteral("type"), QStringLiteral("directory")},
            {QStringLiteral("oid"), QString(40, QLatin1Char('0'))},
            {QStringLiteral("size"), 0},
            {QStringLiteral("path"), path}};
}

bool isTrue(const QUrlQuery& query, const QString& name)
{
    return query.queryItemValue(name) == QLatin1String("true");
}

} // namespace

QByteArray lfsPointer(const FileRecord& f)
{
    // The pointer file Git LFS keeps in git for a large file: its git blob id is the entry's
    // "oid", and its size the "pointerSize".
    return "version https://git-lfs.github.com/spec/v1\noid sha256:" + f.sha256 + "\nsize " +
           QByteArray::number(f.size) + '\n';
}

QByteArray gitBlobId(const QByteArray& content)
{
    const QByteArray object = "blob " + QByteArray::number(content.size()) + '\0' + content;
    return QCryptographicHash::hash(object, QCryptographicHash::Sha1).toHex();
}

QByteArray hubEtag(const FileRecord& file, const HubBlobIds& ids)
{
    return hfcache::storedInLfs(file.path, file.size) ? file.sha256 : ids.find(file.sha256);
}

ApiResponse hubError(int status, const QByteArray& code, const QString& message)
{
    // The Hub's clients read the reason from X-Error-Message and its kind from X-Error-Code.
    ApiResponse r = ApiResponse::error(status, message);
    if (!code.isEmpty())
        r.addHeader({"X-Error-Code", code});
    r.addHeader({"X-Error-Message", message.toUtf8()});
    return r;
}

std::optional<HubModel> findHubModel(Registry& registry, const QString& repoId,
                                     const QString& revision, ApiResponse* notFound)
{
    HubModel hub;
    hub.repoId = repoId;
    bool found = false;
    if (repoId.startsWith(LocalPrefix)) {
        const auto model = registry.modelRows().modelByName(repoId.mid(LocalPrefix.size()));
        if (model && model->state == ModelRecord::State::Complete) {
            hub.model = *model;
            hub.files = completeFiles(registry, model->id);
            hub.commit = localCommit(hub.files);
            found = true;
        }
    } else {
        // Imports of this repo, newest first ("hf:org/name@commit"); "main" is the newest.
        const QString source = QStringLiteral("hf:") + repoId + QLatin1Char('@');
        QList<ModelRecord> imports;
        for (const ModelRecord& m : registry.modelRows().models())
            if (m.state == ModelRecord::State::Complete && m.source.startsWith(source))
                imports.append(m);
        std::sort(imports.begin(), imports.end(), [](const ModelRecord& a, const ModelRecord& b) {
            return a.created != b.created ? a.created > b.created : a.id > b.id;
        });
        found = !imports.isEmpty();
        for (const ModelRecord& m : std::as_const(imports)) {
            const QByteArray commit = m.source.mid(source.size()).toLatin1();
            if (isHead(revision) || revision.toLatin1() == commit) {
                hub.model = m;
                hub.commit = commit;
                hub.files = completeFiles(registry, m.id);
                break;
            }
        }
        if (found && hub.model.id == 0) {
            *notFound = hubError(404, "RevisionNotFound", tr("Invalid rev id: %1").arg(revision));
            return std::nullopt;
        }
    }
    if (!found) {
        *notFound = hubError(404, "RepoNotFound",
                             tr("There is no model “%1” in this vault (local models are "
                                "“local/<name>”)")
                                 .arg(repoId));
        return std::nullopt;
    }
    if (!isHead(revision) && revision.toLatin1() != hub.commit) {
        *notFound = hubError(404, "RevisionNotFound", tr("Invalid rev id: %1").arg(revision));
        return std::nullopt;
    }
    return hub;
}

ApiResponse hubModelInfo(const HubModel& hub, const QUrlQuery& query, const HubBlobIds& ids)
{
    const bool blobs = isTrue(query, QStringLiteral("blobs"));
    QJsonArray siblings;
    for (const FileRecord& f : hub.files) {
        QJsonObject s{{QStringLiteral("rfilename"), f.path}};
        if (blobs) {
            s.insert(QStringLiteral("size"), f.size);
            const QJsonObject entry = fileEntry(hub, f, ids, false);
            s.insert(QStringLiteral("blobId"), entry.value(QStringLiteral("oid")));
            if (entry.contains(QStringLiteral("lfs")))
                s.insert(QStringLiteral("lfs"), lfsJson(f, "sha256"));
        }
        siblings.append(s);
    }
    const QString when = hub.model.created.toUTC().toString(Qt::ISODateWithMs);
    const QString commit = QString::fromLatin1(hub.commit);
    return ApiResponse::json(200, {{QStringLiteral("_id"), commit.left(24)},
                                   {QStringLiteral("id"), hub.repoId},
                                   {QStringLiteral("modelId"), hub.repoId},
                                   {QStringLiteral("sha"), commit},
                                   {QStringLiteral("private"), true},
                                   {QStringLiteral("gated"), false},
                                   {QStringLiteral("disabled"), false},
                                   {QStringLiteral("downloads"), 0},
                                   {QStringLiteral("likes"), 0},
                                   {QStringLiteral("tags"), QJsonArray{}},
                                   {QStringLiteral("createdAt"), when},
                                   {QStringLiteral("lastModified"), when},
                                   {QStringLiteral("siblings"), siblings}});
}

ApiResponse hubTree(const HubModel& hub, const QString& folder, const QUrlQuery& query,
                    const HubBlobIds& ids, const QByteArray& pageUrl)
{
    const bool recursive = isTrue(query, QStringLiteral("recursive"));
    const bool expand = isTrue(query, QStringLiteral("expand"));
    int limit = HubTreePage;
    if (query.hasQueryItem(QStringLiteral("limit"))) {
        bool ok = false;
        limit = query.queryItemValue(QStringLiteral("limit")).toInt(&ok);
        if (!ok || limit < 1 || limit > HubTreePage)
            return hubError(400, {},
                            tr("limit must be a whole number from 1 to %1").arg(HubTreePage));
    }
    // The cursor is where the page starts, as this server wrote it in the Link it sent.
    qsizetype from = 0;
    if (query.hasQueryItem(QStringLiteral("cursor"))) {
        const QByteArray cursor = QByteArray::fromBase64(
            query.queryItemValue(QStringLiteral("cursor")).toLatin1(),
            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        bool ok = false;
        from = cursor.size() <= 12 ? cursor.toLongLong(&ok) : -1;
        if (!ok || from < 0)
            return hubError(400, {}, tr("This cursor was not made by this server"));
    }
    const QString prefix = folder.isEmpty() ? QString() : folder + QLatin1Char('/');
    QJsonArray entries;
    QSet<QString> folders;
    bool any = false;
    for (const FileRecord& f : hub.files) {
        if (!f.path.startsWith(prefix))
            continue;
        any = true;
        const QString rest = f.path.mid(prefix.size());
        // The folders on the way, each once, as the Hub lists them.
        const QStringList parts = rest.split(QLatin1Char('/'));
        for (qsizetype depth = 1; depth < parts.size() && (recursive || depth == 1); ++depth) {
            const QString path = prefix + parts.mid(0, depth).join(QLatin1Char('/'));
            if (folders.contains(path))
                continue;
            folders.insert(path);
            entries.append(folderEntry(path));
        }
        if (parts.size() > 1 && !recursive)
            continue;
        entries.append(fileEntry(hub, f, ids, expand));
    }
    if (!folder.isEmpty() && !any)
        return hubError(
            404, "EntryNotFound",
            tr("%1 does not exist on “%2”").arg(folder, QString::fromLatin1(hub.commit)));
    if (from > entries.size())
        return hubError(400, {}, tr("This cursor was not made by this server"));
    QJsonArray page;
    for (qsizetype i = from; i < entries.size() && i < from + limit; ++i)
        page.append(entries.at(i));
    ApiResponse r = ApiResponse::jsonArray(200, page);
    if (from + limit < entries.size()) {
        QUrlQuery next = query;
        next.removeAllQueryItems(QStringLiteral("cursor"));
        next.addQueryItem(QStringLiteral("cursor"),
                          QString::fromLatin1(QByteArray::number(from + limit)
                                                  .toBase64(QByteArray::Base64UrlEncoding |
                                                            QByteArray::OmitTrailingEquals)));
        r.addHeader({"Link", '<' + pageUrl + '?' + next.toString(QUrl::FullyEncoded).toUtf8() +
                                 ">; rel=\"next\""});
    }
    return r;
}

ApiResponse hubRefs(const HubModel& hub)
{
    const QJsonObject main{{QStringLiteral("name"), QStringLiteral("main")},
                           {QStringLiteral("ref"), QStringLiteral("refs/heads/main")},
                           {QStringLiteral("targetCommit"), QString::fromLatin1(hub.commit)}};
    return ApiResponse::json(200, {{QStringLiteral("branches"), QJsonArray{main}},
                                   {QStringLiteral("converts"), QJsonArray{}},
                                   {QStringLiteral("tags"), QJsonArray{}}});
}

ApiResponse hubPathsInfo(const HubModel& hub, const QByteArray& body, const QByteArray& contentType,
                         const HubBlobIds& ids)
{
    QStringList paths;
    bool expand = false;
    if (contentType.trimmed().toLower().startsWith("application/json")) {
        QJsonParseError parsed;
        const QJsonDocument doc = QJsonDocument::fromJson(body, &parsed);
        const QJsonValue list = doc.object().value(QStringLiteral("paths"));
        if (parsed.error != QJsonParseError::NoError || !doc.isObject() || !list.isArray())
            return hubError(400, {}, tr("Send {\"paths\": [\"file\", ...]} as JSON"));
        for (const QJsonValue& p : list.toArray()) {
            if (!p.isString())
                return hubError(400, {}, tr("Every path in “paths” must be a string"));
            paths.append(p.toString());
        }
        expand = doc.object().value(QStringLiteral("expand")).toBool();
    } else {
        // A form (application/x-www-form-urlencoded), as the Python client sends it: a '+' is a
        // space there.
        QByteArray form = body;
        form.replace('+', "%20");
        const QUrlQuery query(QString::fromUtf8(form));
        paths = query.allQueryItemValues(QStringLiteral("paths"), QUrl::FullyDecoded);
        expand = isTrue(query, QStringLiteral("expand"));
    }
    if (paths.size() > HubMaxPathsInfo)
        return hubError(400, {}, tr("Ask for at most %1 paths at once").arg(HubMaxPathsInfo));
    // Each path asked for, once, in the order asked; a path that names nothing is left out.
    QJsonArray entries;
    QSet<QString> seen;
    for (const QString& asked : std::as_const(paths)) {
        const QString path = asked.endsWith(QLatin1Char('/')) ? asked.chopped(1) : asked;
        if (path.isEmpty() || seen.contains(path))
            continue;
        seen.insert(path);
        const QString inside = path + QLatin1Char('/');
        for (const FileRecord& f : hub.files) {
            if (f.path == path) {
                entries.append(fileEntry(hub, f, ids, expand));
                break;
            }
            if (f.path.startsWith(inside)) {
                entries.append(folderEntry(path));
                break;
            }
        }
    }
    return ApiResponse::jsonArray(200, entries);
}

} // namespace mf::api
