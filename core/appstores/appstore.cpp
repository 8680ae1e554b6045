#include "appstore.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace mf::appstores {

namespace {

// Bounds on what another program's files may make us read or walk.
constexpr qint64 MaxManifestBytes = 1 << 20; // an Ollama manifest is a few hundred bytes
constexpr qint64 MaxSmallFileBytes = 4096;   // a ref, an .etag
constexpr int MaxFilesPerStore = 200000;

const QString OllamaModelLayer = QStringLiteral("application/vnd.ollama.image.model");
const QString OllamaTemplateLayer = QStringLiteral("application/vnd.ollama.image.template");
const QString OllamaParamsLayer = QStringLiteral("application/vnd.ollama.image.params");
const QString OllamaRegistry = QStringLiteral("registry.ollama.ai");

bool isSha256Hex(QStringView s)
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-f]{64}$"));
    return re.match(s).hasMatch();
}

bool isModelFile(const QString& name)
{
    return name.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive) ||
           name.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive);
}

// At most `limit` bytes of a small file; nullopt when it is missing, unreadable or larger.
std::optional<QByteArray> readSmall(const QString& path, qint64 limit)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || f.size() > limit)
        return std::nullopt;
    QByteArray bytes = f.read(limit + 1);
    if (bytes.size() > limit)
        return std::nullopt;
    return bytes;
}

// "sha256:<64 hex>" → the hex; empty for anything else.
QString digestHex(const QJsonValue& digest)
{
    const QString text = digest.toString();
    if (!text.startsWith(QLatin1String("sha256:")))
        return {};
    const QString hex = text.mid(7);
    return isSha256Hex(hex) ? hex : QString();
}

QString relativeTo(const QString& root, const QString& path)
{
    return QDir(root).relativeFilePath(path);
}

// --- Ollama -------------------------------------------------------------------------------
// manifests/<registry>/<namespace>/<model>/<tag> (JSON, an OCI image manifest) name the blobs
// in blobs/sha256-<hex>; the model's GGUF is the layer of mediaType ...image.model.

QString ollamaLabel(const QStringList& parts)
{
    const QString name = parts.at(2) + QLatin1Char(':') + parts.at(3);
    if (parts.at(0) == OllamaRegistry)
        return parts.at(1) == QLatin1String("library") ? name
                                                       : parts.at(1) + QLatin1Char('/') + name;
    return parts.at(0) + QLatin1Char('/') + parts.at(1) + QLatin1Char('/') + name;
}

QList<FoundCopy> scanOllama(const StoreRoot& root, QStringList* warnings)
{
    QList<FoundCopy> found;
    const QString manifests = root.path + QStringLiteral("/manifests");
    QDirIterator it(manifests, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    int seen = 0;
    while (it.hasNext() && ++seen <= MaxFilesPerStore) {
        const QString file = it.next();
        const QStringList parts = relativeTo(manifests, file).split(QLatin1Char('/'));
        if (parts.size() != 4)
            continue; // not a manifest where Ollama keeps them
        const auto bytes = readSmall(file, MaxManifestBytes);
        QJsonParseError parseError;
        const QJsonDocument doc =
            bytes ? QJsonDocument::fromJson(*bytes, &parseError) : QJsonDocument();
        if (!doc.isObject()) {
            warnings->append(QStringLiteral("Skipped the Ollama manifest “%1”: it is not a "
                                            "manifest (not JSON, or larger than 1 MiB)")
                                 .arg(file));
            continue;
        }
        const QJsonArray layers = doc.object().value(QStringLiteral("layers")).toArray();
        QString templateDigest;
        QString paramsDigest;
        QList<QPair<QString, qint64>> models;
        for (const QJsonValue& v : layers) {
            const QJsonObject layer = v.toObject();
            const QString type = layer.value(QStringLiteral("mediaType")).toString();
            const QString hex = digestHex(layer.value(QStringLiteral("digest")));
            if (type == OllamaTemplateLayer)
                templateDigest = hex;
            else if (type == OllamaParamsLayer)
                paramsDigest = hex;
            else if (type == OllamaModelLayer) {
                if (hex.isEmpty()) {
                    warnings->append(QStringLiteral("Skipped a model in the Ollama manifest "
                                                    "“%1”: its digest is not sha256:<64 hex>")
                                         .arg(file));
                    continue;
                }
                models.append({hex, layer.value(QStringLiteral("size")).toInteger(-1)});
            }
        }
        for (const auto& [hex, declaredSize] : std::as_const(models)) {
            // Blobs were named sha256:<hex> before Ollama 0.1.x renamed them for Windows.
            QString blob = root.path + QStringLiteral("/blobs/sha256-") + hex;
            if (!QFileInfo::exists(blob) &&
                QFileInfo::exists(root.path + QStringLiteral("/blobs/sha256:") + hex))
                blob = root.path + QStringLiteral("/blobs/sha256:") + hex;
            const QFileInfo info(blob);
            if (!info.isFile()) {
                warnings->append(QStringLiteral("The Ollama model %1 names a blob that is "
                                                "missing: %2")
                                     .arg(ollamaLabel(parts), blob));
                continue;
            }
            FoundCopy copy;
            copy.app = App::Ollama;
            copy.label = ollamaLabel(parts);
            copy.path = blob;
            copy.entry = file;
            copy.size = info.size();
            copy.claimed = hex.toLatin1();
            copy.origin = {{QStringLiteral("model"), parts.at(0) + QLatin1Char('/') + parts.at(1) +
                                                         QLatin1Char('/') + parts.at(2)},
                           {QStringLiteral("tag"), parts.at(3)}};
            if (!templateDigest.isEmpty())
                copy.origin.append({QStringLiteral("template"), templateDigest});
            if (!paramsDigest.isEmpty())
                copy.origin.append({QStringLiteral("params"), paramsDigest});
            if (declaredSize >= 0 && declaredSize != copy.size)
                warnings->append(QStringLiteral("The Ollama model %1 is %2 bytes on disk where "
                                                "its manifest says %3")
                                     .arg(copy.label)
                                     .arg(copy.size)
                                     .arg(declaredSize));
            found.append(copy);
        }
    }
    return found;
}

// --- LM Studio ----------------------------------------------------------------------------
// <publisher>/<repo>/<file>.gguf: model files in plain folders, with no digest of their own.

QList<FoundCopy> scanLmStudio(const StoreRoot& root, QStringList* /*warnings*/)
{
    QList<FoundCopy> found;
    QDirIterator it(root.path, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    int seen = 0;
    while (it.hasNext() && ++seen <= MaxFilesPerStore) {
        const QString file = it.next();
        if (!isModelFile(file))
            continue;
        FoundCopy copy;
        copy.app = App::LmStudio;
        copy.label = relativeTo(root.path, file);
        copy.path = file;
        copy.fileName = QFileInfo(file).fileName();
        copy.size = QFileInfo(file).size();
        const QStringList parts = copy.label.split(QLatin1Char('/'));
        if (parts.size() >= 3)
            copy.origin = {{QStringLiteral("repo"), parts.at(0) + QLatin1Char('/') + parts.at(1)}};
        found.append(copy);
    }
    return found;
}

// --- Hugging Face cache -------------------------------------------------------------------
// models--<org>--<name>/snapshots/<commit>/<path> are links into models--…/blobs/<name>, where
// an LFS file's blob is named by its SHA-256 and a small file's by its git blob id;
// refs/<branch> holds a commit.

QList<FoundCopy> scanHfCache(const StoreRoot& root, App app, QStringList* warnings)
{
    QList<FoundCopy> found;
    const QDir top(root.path);
    const QStringList repos =
        top.entryList({QStringLiteral("models--*")}, QDir::Dirs | QDir::NoDotAndDotDot);
    int seen = 0;
    for (const QString& folder : repos) {
        const QStringList nameParts = folder.split(QStringLiteral("--"));
        if (nameParts.size() < 2 || nameParts.size() > 3)
            continue;
        const QString repoId = nameParts.mid(1).join(QLatin1Char('/'));
        const QString repoDir = top.filePath(folder);
        const QString blobs = QFileInfo(repoDir + QStringLiteral("/blobs")).canonicalFilePath();
        // Which refs point at which commit, for the labels.
        QHash<QString, QString> refOf;
        QDirIterator refs(repoDir + QStringLiteral("/refs"), QDir::Files,
                          QDirIterator::Subdirectories);
        while (refs.hasNext()) {
            const QString ref = refs.next();
            if (const auto commit = readSmall(ref, MaxSmallFileBytes))
                refOf.insert(QString::fromLatin1(commit->trimmed()),
                             relativeTo(repoDir + QStringLiteral("/refs"), ref));
        }
        const QString snapshots = repoDir + QStringLiteral("/snapshots");
        QDirIterator it(snapshots, QDir::Files | QDir::NoDotAndDotDot,
                        QDirIterator::Subdirectories);
        while (it.hasNext() && ++seen <= MaxFilesPerStore) {
            const QString file = it.next();
            if (!isModelFile(file))
                continue;
            const QString inSnapshot = relativeTo(snapshots, file);
            const qsizetype slash = inSnapshot.indexOf(QLatin1Char('/'));
            if (slash <= 0)
                continue;
            const QString commit = inSnapshot.left(slash);
            const QString pathInRepo = inSnapshot.mid(slash + 1);
            const QString target = QFileInfo(file).canonicalFilePath();
            if (blobs.isEmpty() || !target.startsWith(blobs + QLatin1Char('/'))) {
                warnings->append(QStringLiteral("Skipped “%1” in the Hugging Face cache: it is "
                                                "not a link into its repo's blobs")
                                     .arg(file));
                continue;
            }
            const QString blobName = QFileInfo(target).fileName();
            FoundCopy copy;
            copy.app = app;
            const QString ref = refOf.value(commit, commit.left(8));
            copy.label = repoId + QLatin1Char('@') + ref + QLatin1Char(':') + pathInRepo;
            copy.path = file;
            copy.entry = file;
            copy.fileName = QFileInfo(pathInRepo).fileName();
            copy.size = QFileInfo(target).size();
            if (isSha256Hex(blobName))
                copy.claimed = blobName.toLatin1();
            copy.origin = {{QStringLiteral("repo"), repoId},
                           {QStringLiteral("revision"), commit},
                           {QStringLiteral("path"), pathInRepo}};
            found.append(copy);
        }
    }
    return found;
}

// --- llama.cpp's own cache ----------------------------------------------------------------
// `-hf` downloads were kept flat as <org>_<repo>_<file> beside a .etag file (the Hub's ETag:
// an LFS file's SHA-256); newer builds keep the Hugging Face cache layout in the same folder.

QList<FoundCopy> scanLlamaCache(const StoreRoot& root, QStringList* warnings)
{
    QList<FoundCopy> found = scanHfCache(root, App::LlamaCpp, warnings);
    const QDir top(root.path);
    for (const QString& name : top.entryList(QDir::Files | QDir::NoDotAndDotDot)) {
        if (!isModelFile(name))
            continue;
        FoundCopy copy;
        copy.app = App::LlamaCpp;
        copy.label = name;
        copy.path = top.filePath(name);
        copy.fileName = name;
        copy.size = QFileInfo(copy.path).size();
        if (const auto etag = readSmall(copy.path + QStringLiteral(".etag"), MaxSmallFileBytes)) {
            QByteArray tag = etag->trimmed();
            if (tag.startsWith("W/"))
                tag = tag.mid(2);
            tag.replace('"', QByteArray());
            if (isSha256Hex(QString::fromLatin1(tag)))
                copy.claimed = tag;
        }
        found.append(copy);
    }
    return found;
}

} // namespace

QString appKey(App app)
{
    switch (app) {
    case App::Ollama:
        return QStringLiteral("ollama");
    case App::LmStudio:
        return QStringLiteral("lmstudio");
    case App::HfCache:
        return QStringLiteral("hf-cache");
    case App::LlamaCpp:
        return QStringLiteral("llama.cpp");
    }
    return {};
}

QString appName(App app)
{
    switch (app) {
    case App::Ollama:
        return QStringLiteral("Ollama");
    case App::LmStudio:
        return QStringLiteral("LM Studio");
    case App::HfCache:
        return QStringLiteral("Hugging Face cache");
    case App::LlamaCpp:
        return QStringLiteral("llama.cpp");
    }
    return {};
}

QList<StoreRoot> storeRoots(const QProcessEnvironment& env, const QString& home)
{
    const auto set = [&env](const char* name) { return env.value(QString::fromLatin1(name)); };
    const QString cacheHome =
        !set("XDG_CACHE_HOME").isEmpty() ? set("XDG_CACHE_HOME") : home + QStringLiteral("/.cache");
    QList<StoreRoot> roots;
    if (!set("OLLAMA_MODELS").isEmpty()) {
        roots.append({App::Ollama, set("OLLAMA_MODELS"), QStringLiteral("$OLLAMA_MODELS")});
    } else {
        roots.append(
            {App::Ollama, home + QStringLiteral("/.ollama/models"), QStringLiteral("default")});
        // Where the Linux install's system service keeps them.
        roots.append({App::Ollama, QStringLiteral("/usr/share/ollama/.ollama/models"),
                      QStringLiteral("system service")});
    }
    roots.append(
        {App::LmStudio, home + QStringLiteral("/.lmstudio/models"), QStringLiteral("default")});
    roots.append({App::LmStudio, home + QStringLiteral("/.cache/lm-studio/models"),
                  QStringLiteral("older versions")});
    if (!set("HF_HUB_CACHE").isEmpty())
        roots.append({App::HfCache, set("HF_HUB_CACHE"), QStringLiteral("$HF_HUB_CACHE")});
    else if (!set("HF_HOME").isEmpty())
        roots.append(
            {App::HfCache, set("HF_HOME") + QStringLiteral("/hub"), QStringLiteral("$HF_HOME")});
    else
        roots.append({App::HfCache, cacheHome + QStringLiteral("/huggingface/hub"),
                      QStringLiteral("default")});
    if (!set("LLAMA_CACHE").isEmpty())
        roots.append({App::LlamaCpp, set("LLAMA_CACHE"), QStringLiteral("$LLAMA_CACHE")});
    else
        roots.append(
            {App::LlamaCpp, cacheHome + QStringLiteral("/llama.cpp"), QStringLiteral("default")});
    return roots;
}

QList<FoundCopy> scanStore(const StoreRoot& root, QStringList* warnings)
{
    if (!QFileInfo(root.path).isDir())
        return {};
    QList<FoundCopy> found;
    switch (root.app) {
    case App::Ollama:
        found = scanOllama(root, warnings);
        break;
    case App::LmStudio:
        found = scanLmStudio(root, warnings);
        break;
    case App::HfCache:
        found = scanHfCache(root, App::HfCache, warnings);
        break;
    case App::LlamaCpp:
        found = scanLlamaCache(root, warnings);
        break;
    }
    for (FoundCopy& copy : found)
        copy.root = root.path;
    return found;
}

} // namespace mf::appstores
