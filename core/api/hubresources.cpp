#include "hubresources.h"

#include "registry/registry.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace mf::api {

namespace {

const QString LocalPrefix = QStringLiteral("local/");

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::api", text);
}

// The Git LFS pointer file the Hub keeps in git for a large file: its git blob id is the
// entry's "oid", and its size the "pointerSize".
QByteArray lfsPointer(const FileRecord& f)
{
    return "version https://git-lfs.github.com/spec/v1\noid sha256:" + f.sha256 + "\nsize " +
           QByteArray::number(f.size) + '\n';
}

QByteArray gitBlobId(const QByteArray& content)
{
    const QByteArray object = "blob " + QByteArray::number(content.size()) + '\0' + content;
    return QCryptographicHash::hash(object, QCryptographicHash::Sha1).toHex();
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

} // namespace

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

ApiResponse hubModelInfo(const HubModel& hub, const QUrlQuery& query)
{
    const bool blobs = query.queryItemValue(QStringLiteral("blobs")) == QLatin1String("true");
    QJsonArray siblings;
    for (const FileRecord& f : hub.files) {
        QJsonObject s{{QStringLiteral("rfilename"), f.path}};
        if (blobs) {
            s.insert(QStringLiteral("size"), f.size);
            s.insert(QStringLiteral("blobId"), QString::fromLatin1(gitBlobId(lfsPointer(f))));
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

ApiResponse hubTree(const HubModel& hub, const QString& folder, const QUrlQuery& query)
{
    const bool recursive =
        query.queryItemValue(QStringLiteral("recursive")) == QLatin1String("true");
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
            entries.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("directory")},
                                       {QStringLiteral("oid"), QString(40, QLatin1Char('0'))},
                                       {QStringLiteral("size"), 0},
                                       {QStringLiteral("path"), path}});
        }
        if (parts.size() > 1 && !recursive)
            continue;
        entries.append(
            QJsonObject{{QStringLiteral("type"), QStringLiteral("file")},
                        {QStringLiteral("oid"), QString::fromLatin1(gitBlobId(lfsPointer(f)))},
                        {QStringLiteral("size"), f.size},
                        {QStringLiteral("path"), f.path},
                        {QStringLiteral("lfs"), lfsJson(f, "oid")}});
    }
    if (!folder.isEmpty() && !any)
        return hubError(
            404, "EntryNotFound",
            tr("%1 does not exist on “%2”").arg(folder, QString::fromLatin1(hub.commit)));
    return ApiResponse::jsonArray(200, entries);
}

} // namespace mf::api
