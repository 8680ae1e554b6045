#include "appuse.h"

#include "appsource.h"

#include "chunking/sha256.h"
#include "formats/parametercount.h"
#include "hub/hfcachelayout.h"
#include "registry/modelpath.h"
#include "sharedcopy.h"
#include "util/units.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mf::appstores {

namespace {

// Ollama's rules for the parts of a model name (its names are also folder names).
const QRegularExpression& ollamaNamePart()
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"));
    return re;
}

// What placing writes, kept so that a failure half-way takes it all out again.
class Placement
{
public:
    Placement(AppUses::Use* use, QStringList* warnings)
        : m_use(use)
        , m_warnings(warnings)
    {}

    // The model's bytes, shared with the cache's blob.
    bool share(const QString& blob, const QString& target, QString* error)
    {
        SharedCopy copy;
        if (!shareFile(blob, target, &copy, error))
            return false;
        if (copy.method == SharedCopy::Method::Copy)
            m_warnings->append(QStringLiteral("Copied “%1” (%2 more disk): the app's folder is "
                                              "on another file system than the materialized "
                                              "cache, so it cannot share its copy")
                                   .arg(target, units::formatBytes(copy.identity.bytes)));
        else
            m_use->bytesSaved += copy.identity.bytes;
        if (m_use->method.isEmpty() || copy.method == SharedCopy::Method::Copy)
            m_use->method = methodName(copy.method);
        if (!copy.alreadyThere)
            record(target, QStringLiteral("shared"), {}, copy.identity);
        return true;
    }

    bool write(const QString& target, const QByteArray& bytes, QString* error)
    {
        bool created = false;
        if (!writeNewFile(target, bytes, &created, error))
            return false;
        if (created)
            record(target, QStringLiteral("written"), {}, *identityOf(target));
        return true;
    }

    // A relative symlink; an identical one already there is left (and not recorded).
    bool symlink(const QString& target, const QString& pointsTo, QString* error)
    {
        const QByteArray path = QFile::encodeName(target);
        if (QFileInfo(target).isSymLink() || QFileInfo::exists(target)) {
            char existing[4096];
            const ssize_t n = ::readlink(path.constData(), existing, sizeof existing);
            if (n > 0 && QFile::decodeName(QByteArray(existing, n)) == pointsTo)
                return true;
            *error = QStringLiteral("“%1” already exists and was not written by ModelFloat; it "
                                    "was left as it is")
                         .arg(target);
            return false;
        }
        QDir().mkpath(QFileInfo(target).path());
        if (::symlink(QFile::encodeName(pointsTo).constData(), path.constData()) != 0) {
            *error = errno == EROFS
                         ? QStringLiteral("Cannot write in “%1”: it is on a read-only "
                                          "file system")
                               .arg(QFileInfo(target).path())
                         : QStringLiteral("Cannot write “%1”: %2")
                               .arg(target, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        record(target, QStringLiteral("symlink"), pointsTo, *identityOf(target));
        return true;
    }

    void undo()
    {
        QStringList ignored;
        takeOut(*m_use, &ignored);
        m_use->files.clear();
    }

private:
    void record(const QString& path, const QString& kind, const QString& target,
                const FileIdentity& id)
    {
        m_use->files.append(AppUses::File{path, kind, target, id.device, id.inode, id.bytes});
    }

    AppUses::Use* m_use;
    QStringList* m_warnings;
};

// The cache's blob of a file: where its snapshot link points.
QString blobOf(const MaterializedModel& model, const MaterializedModel::File& file)
{
    return QFileInfo(model.repoFolder + QStringLiteral("/snapshots/") + model.commit +
                     QLatin1Char('/') + file.path)
        .canonicalFilePath();
}

bool placeOllama(const QString& root, const MaterializedModel& model, const QString& asName,
                 Placement* placement, AppUses::Use* use, QString* error)
{
    QList<MaterializedModel::File> ggufs;
    for (const auto& f : model.files)
        if (f.path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive))
            ggufs.append(f);
    if (ggufs.size() != 1) {
        *error = QStringLiteral("Ollama runs a model of one GGUF file, and “%1” has %2")
                     .arg(model.model)
                     .arg(ggufs.size());
        return false;
    }
    const MaterializedModel::File& gguf = ggufs.first();
    QString name = asName.isEmpty() ? defaultOllamaName(model.model) : asName;
    if (!name.contains(QLatin1Char(':')))
        name += QStringLiteral(":latest");
    const QString base = name.section(QLatin1Char(':'), 0, 0);
    const QString tag = name.section(QLatin1Char(':'), 1);
    if (!ollamaNamePart().match(base).hasMatch() || !ollamaNamePart().match(tag).hasMatch()) {
        *error = QStringLiteral("“%1” is not a name Ollama takes (NAME:TAG of letters, digits, "
                                "“_”, “-” and “.”); choose one with --as NAME:TAG")
                     .arg(name);
        return false;
    }
    use->label = name;
    const QString blobs = root + QStringLiteral("/blobs/");
    const QString modelDigest = QStringLiteral("sha256:") + QString::fromLatin1(gguf.sha256);
    // Ollama names a blob by its SHA-256 and checks it on pull: one already there under this
    // name holds these bytes, and is Ollama's own (it stays, and is not ours to remove).
    const QString modelBlob = blobs + QStringLiteral("sha256-") + QString::fromLatin1(gguf.sha256);
    if (QFileInfo::exists(modelBlob))
        use->method = QStringLiteral("Ollama's own copy");
    else if (!placement->share(blobOf(model, gguf), modelBlob, error))
        return false;
    // The template and parameters a model floated from Ollama had go back as its layers, each
    // a blob named by its SHA-256 (ollamaLayerPath()).
    QJsonArray layers{QJsonObject{
        {QStringLiteral("mediaType"), QStringLiteral("application/vnd.ollama.image.model")},
        {QStringLiteral("digest"), modelDigest},
        {QStringLiteral("size"), gguf.size}}};
    QJsonArray diffIds{modelDigest};
    for (const auto& [layer, mediaType] :
         {std::pair{QStringLiteral("template"),
                    QStringLiteral("application/vnd.ollama.image.template")},
          std::pair{QStringLiteral("params"),
                    QStringLiteral("application/vnd.ollama.image.params")}}) {
        for (const auto& f : model.files) {
            if (f.path != ollamaLayerPath(layer))
                continue;
            const QString hex = QString::fromLatin1(f.sha256);
            const QString blob = blobs + QStringLiteral("sha256-") + hex;
            if (!QFileInfo::exists(blob) && !placement->share(blobOf(model, f), blob, error))
                return false;
            const QString digest = QStringLiteral("sha256:") + hex;
            layers.append(QJsonObject{{QStringLiteral("mediaType"), mediaType},
                                      {QStringLiteral("digest"), digest},
                                      {QStringLiteral("size"), f.size}});
            diffIds.append(digest);
        }
    }
    const QString arch = gguf.metadata.value(QStringLiteral("architecture")).toString();
    const QJsonObject config{
        {QStringLiteral("model_format"), QStringLiteral("gguf")},
        {QStringLiteral("model_family"), arch},
        {QStringLiteral("model_families"), arch.isEmpty() ? QJsonArray() : QJsonArray{arch}},
        {QStringLiteral("model_type"),
         formats::formatParameterCount(
             gguf.metadata.value(QStringLiteral("parameters")).toInteger(-1))},
        {QStringLiteral("file_type"), gguf.metadata.value(QStringLiteral("quantization"))},
        {QStringLiteral("architecture"), QStringLiteral("amd64")},
        {QStringLiteral("os"), QStringLiteral("linux")},
        {QStringLiteral("rootfs"), QJsonObject{{QStringLiteral("type"), QStringLiteral("layers")},
                                               {QStringLiteral("diff_ids"), diffIds}}}};
    const QByteArray configBytes = QJsonDocument(config).toJson(QJsonDocument::Compact);
    const QString configHex = QString::fromLatin1(Sha256::hash(configBytes).toHex());
    if (!placement->write(blobs + QStringLiteral("sha256-") + configHex, configBytes, error))
        return false;
    const QJsonObject manifest{
        {QStringLiteral("schemaVersion"), 2},
        {QStringLiteral("mediaType"),
         QStringLiteral("application/vnd.docker.distribution.manifest.v2+json")},
        {QStringLiteral("config"),
         QJsonObject{{QStringLiteral("mediaType"),
                      QStringLiteral("application/vnd.docker.container.image.v1+json")},
                     {QStringLiteral("digest"), QString(QStringLiteral("sha256:") + configHex)},
                     {QStringLiteral("size"), configBytes.size()}}},
        {QStringLiteral("layers"), layers}};
    return placement->write(root + QStringLiteral("/manifests/registry.ollama.ai/library/") + base +
                                QLatin1Char('/') + tag,
                            QJsonDocument(manifest).toJson(QJsonDocument::Compact), error);
}

bool placeLmStudio(const QString& root, const MaterializedModel& model, Placement* placement,
                   AppUses::Use* use, QString* error)
{
    use->label = model.repoId;
    for (const auto& f : model.files) {
        if (f.path.startsWith(ollamaLayerPath({}))) // Ollama's own layers mean nothing here
            continue;
        const QString inStore = model.repoId + QLatin1Char('/') + f.path;
        if (const QString why = modelpath::problem(inStore); !why.isEmpty()) {
            *error = QStringLiteral("Cannot place “%1” in LM Studio: %2").arg(model.model, why);
            return false;
        }
        if (!placement->share(blobOf(model, f), root + QLatin1Char('/') + inStore, error))
            return false;
    }
    return true;
}

bool placeHfCache(const QString& root, const MaterializedModel& model, Placement* placement,
                  AppUses::Use* use, QStringList* warnings, QString* error)
{
    use->label = model.repoId + QLatin1Char('@') + model.commit.left(8);
    const QString repo = root + QLatin1Char('/') + hfcache::repoFolderName(model.repoId);
    for (const auto& f : model.files) {
        if (f.path.startsWith(ollamaLayerPath({}))) // Ollama's own layers mean nothing here
            continue;
        const QString blob = blobOf(model, f);
        const QString etag = QFileInfo(blob).fileName();
        const QString target = repo + QStringLiteral("/blobs/") + etag;
        // A blob is named by its content's hash (huggingface_hub checks it on download): one
        // already there with the same size is the cache's own copy of these bytes, and stays.
        const QFileInfo there(target);
        const bool theirs =
            there.exists() && there.size() == f.size && !(identityOf(target) == identityOf(blob));
        if (theirs && use->method.isEmpty())
            use->method = QStringLiteral("the cache's own copy");
        if ((!theirs && !placement->share(blob, target, error)) ||
            !placement->symlink(repo + QStringLiteral("/snapshots/") + model.commit +
                                    QLatin1Char('/') + f.path,
                                hfcache::blobLinkTarget(f.path, etag), error))
            return false;
    }
    const QString ref = repo + QStringLiteral("/refs/main");
    QFile existing(ref);
    if (existing.open(QIODevice::ReadOnly)) {
        const QByteArray commit = existing.read(4096).trimmed();
        if (commit != model.commit.toLatin1())
            warnings->append(QStringLiteral("%1 was left naming the commit it named (%2): ask "
                                            "for revision %3 to load this copy")
                                 .arg(ref, QString::fromLatin1(commit), model.commit));
        return true;
    }
    return placement->write(ref, model.commit.toLatin1(), error);
}

} // namespace

std::optional<App> appFromKey(const QString& key)
{
    for (App app : {App::Ollama, App::LmStudio, App::HfCache, App::LlamaCpp})
        if (appKey(app) == key)
            return app;
    return std::nullopt;
}

QString defaultOllamaName(const QString& modelName)
{
    return modelName.section(QLatin1Char('/'), -1).toLower() + QStringLiteral(":latest");
}

QString defaultStoreRoot(App app, const QProcessEnvironment& env, const QString& home)
{
    for (const StoreRoot& root : storeRoots(env, home))
        if (root.app == app)
            return root.path;
    return {};
}

bool placeModel(App app, const QString& root, const MaterializedModel& model,
                const QString& ollamaName, AppUses::Use* use, QStringList* warnings, QString* error)
{
    *use = AppUses::Use{};
    use->model = model.model;
    use->app = appKey(app);
    use->appName = appName(app);
    use->root = QDir(root).absolutePath();
    for (const auto& f : model.files)
        if (blobOf(model, f).isEmpty()) {
            *error = QStringLiteral("The materialized copy of “%1” lacks “%2”; materialize it "
                                    "again")
                         .arg(model.model, f.path);
            return false;
        }
    Placement placement(use, warnings);
    bool placed = false;
    switch (app) {
    case App::Ollama:
        placed = placeOllama(use->root, model, ollamaName, &placement, use, error);
        break;
    case App::LmStudio:
        placed = placeLmStudio(use->root, model, &placement, use, error);
        break;
    case App::HfCache:
    case App::LlamaCpp:
        placed = placeHfCache(use->root, model, &placement, use, warnings, error);
        break;
    }
    if (!placed)
        placement.undo();
    return placed;
}

void takeOut(const AppUses::Use& use, QStringList* warnings)
{
    QStringList folders;
    for (auto it = use.files.crbegin(); it != use.files.crend(); ++it) {
        const auto now = identityOf(it->path);
        if (!now)
            continue; // already gone
        if (now->device != it->device || now->inode != it->inode || now->bytes != it->bytes) {
            warnings->append(QStringLiteral("Left “%1”: it is no longer the file ModelFloat "
                                            "wrote there")
                                 .arg(it->path));
            continue;
        }
        if (::unlink(QFile::encodeName(it->path).constData()) != 0) {
            warnings->append(QStringLiteral("Cannot remove “%1”: %2")
                                 .arg(it->path, QString::fromLocal8Bit(std::strerror(errno))));
            continue;
        }
        folders.append(QFileInfo(it->path).path());
    }
    // The folders left empty, up to (not including) the store's root; rmdir keeps any in use.
    const QString root = QDir::cleanPath(use.root);
    for (QString folder : std::as_const(folders)) {
        folder = QDir::cleanPath(folder);
        while (folder.startsWith(root + QLatin1Char('/')) &&
               ::rmdir(QFile::encodeName(folder).constData()) == 0)
            folder = QFileInfo(folder).path();
    }
}

} // namespace mf::appstores
