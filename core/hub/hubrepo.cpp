#include "hubrepo.h"

#include "registry/modelpath.h"
#include "util/hex.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QUrl>

namespace mf {

QString HubRepo::source() const
{
    return QStringLiteral("hf:%1@%2").arg(id, commit);
}

const HubFile* HubRepo::file(const QString& path) const
{
    for (const HubFile& f : files)
        if (f.path == path)
            return &f;
    return nullptr;
}

namespace hubrepo {

namespace {

bool validRepoId(const QString& id)
{
    // Hub rules: one or two segments of letters, digits, '-', '_', '.'; no "--" or ".."
    // (they would be ambiguous in the cache folder name models--org--name).
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$"));
    return re.match(id).hasMatch() && !id.contains(QLatin1String("--")) &&
           !id.contains(QLatin1String(".."));
}

} // namespace

QString parseRepoId(const QString& text, QString* revision, QString* error)
{
    QString t = text.trimmed();
    QString rev;
    if (t.startsWith(QLatin1String("http://")) || t.startsWith(QLatin1String("https://"))) {
        const QUrl url(t);
        QStringList parts = url.path().split(QLatin1Char('/'), Qt::SkipEmptyParts);
        if (!parts.isEmpty() && parts.first() == QLatin1String("models"))
            parts.removeFirst();
        // org/name[/tree|blob|resolve/<rev>/...]
        const int keyword = parts.indexOf(QStringLiteral("tree")) >= 0
                                ? int(parts.indexOf(QStringLiteral("tree")))
                                : qMax(parts.indexOf(QStringLiteral("blob")),
                                       parts.indexOf(QStringLiteral("resolve")));
        if (keyword > 0) {
            if (keyword + 1 < parts.size())
                rev = parts.at(keyword + 1);
            parts = parts.mid(0, keyword);
        }
        t = parts.join(QLatin1Char('/'));
    } else {
        if (t.startsWith(QLatin1String("hf:")))
            t = t.mid(3);
        const int at = int(t.indexOf(QLatin1Char('@')));
        if (at >= 0) {
            rev = t.mid(at + 1);
            t = t.left(at);
        }
    }
    if (!validRepoId(t)) {
        if (error)
            *error = QStringLiteral("“%1” is not a Hugging Face model id; write it as org/name "
                                    "(for example TheBloke/Llama-2-7B-GGUF) or paste the "
                                    "model's URL")
                         .arg(text);
        return {};
    }
    if (revision)
        *revision = rev;
    return t;
}

bool parseInfo(const QByteArray& json, HubRepo* repo, QString* error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (!doc.isObject()) {
        *error = QStringLiteral("the Hub's model information is not a JSON object (%1)")
                     .arg(pe.errorString());
        return false;
    }
    const QJsonObject o = doc.object();
    const QString id = o.value(QStringLiteral("id")).toString();
    const QByteArray sha = o.value(QStringLiteral("sha")).toString().toLatin1();
    if (!isLowerHex(sha, 40)) {
        *error = QStringLiteral("the Hub's model information has no commit sha");
        return false;
    }
    if (!id.isEmpty())
        repo->id = id;
    repo->commit = QString::fromLatin1(sha);
    const QJsonValue gated = o.value(QStringLiteral("gated"));
    repo->gated = gated.isString() ? gated.toString() : QString();
    repo->isPrivate = o.value(QStringLiteral("private")).toBool();
    const QJsonArray siblings = o.value(QStringLiteral("siblings")).toArray();
    QList<HubFile> files;
    for (const QJsonValue& v : siblings) {
        const QJsonObject s = v.toObject();
        if (!s.contains(QStringLiteral("size")))
            return true; // names only (no blobs=true): the tree gives the rest
        HubFile f;
        f.path = s.value(QStringLiteral("rfilename")).toString();
        f.size = qint64(s.value(QStringLiteral("size")).toDouble(-1));
        f.gitOid = s.value(QStringLiteral("blobId")).toString().toLatin1();
        f.sha256 = s.value(QStringLiteral("lfs"))
                       .toObject()
                       .value(QStringLiteral("sha256"))
                       .toString()
                       .toLatin1();
        if (!modelpath::isValid(f.path) || f.size < 0 ||
            (!f.sha256.isEmpty() && !isSha256Hex(f.sha256))) {
            *error = QStringLiteral("the Hub lists a file with an unusable name, size or hash "
                                    "(“%1”)")
                         .arg(f.path);
            return false;
        }
        files.append(f);
    }
    repo->files = files;
    return true;
}

bool parseTreePage(const QByteArray& json, QList<HubFile>* files, QString* error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (!doc.isArray()) {
        *error =
            QStringLiteral("the Hub's file list is not a JSON array (%1)").arg(pe.errorString());
        return false;
    }
    for (const QJsonValue& v : doc.array()) {
        const QJsonObject e = v.toObject();
        if (e.value(QStringLiteral("type")).toString() != QLatin1String("file"))
            continue;
        HubFile f;
        f.path = e.value(QStringLiteral("path")).toString();
        f.size = qint64(e.value(QStringLiteral("size")).toDouble(-1));
        f.gitOid = e.value(QStringLiteral("oid")).toString().toLatin1();
        const QJsonObject lfs = e.value(QStringLiteral("lfs")).toObject();
        f.sha256 = lfs.value(QStringLiteral("oid")).toString().toLatin1().toLower();
        if (!lfs.isEmpty() && qint64(lfs.value(QStringLiteral("size")).toDouble(-1)) != f.size)
            f.size = qint64(lfs.value(QStringLiteral("size")).toDouble(-1));
        if (!modelpath::isValid(f.path) || f.size < 0 ||
            (!lfs.isEmpty() && !isSha256Hex(f.sha256))) {
            *error = QStringLiteral("the Hub lists a file with an unusable name, size or hash "
                                    "(“%1”)")
                         .arg(f.path);
            return false;
        }
        files->append(f);
    }
    return true;
}

QString nextLink(const QByteArray& linkHeader)
{
    // <https://huggingface.co/api/models/x/tree/main?cursor=...>; rel="next", <...>; rel="..."
    static const QRegularExpression re(QStringLiteral("<([^>]*)>\\s*;\\s*rel=\"?next\"?"));
    const auto m = re.match(QString::fromLatin1(linkHeader));
    return m.hasMatch() ? m.captured(1) : QString();
}

} // namespace hubrepo
} // namespace mf
