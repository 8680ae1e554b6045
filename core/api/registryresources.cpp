#include "registryresources.h"

#include "registry/registry.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>

namespace mf::api {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::api::RegistryResources", text);
}

// Media types: Docker's manifest and config (what Ollama's registry sends and its client asks
// for), Ollama's own for the model layer, and OCI's manifest and config for OCI clients.
const QByteArray DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
const QByteArray DockerConfig = "application/vnd.docker.container.image.v1+json";
const QByteArray OciManifest = "application/vnd.oci.image.manifest.v1+json";
const QByteArray OciConfig = "application/vnd.oci.image.config.v1+json";
const QByteArray ModelLayer = "application/vnd.ollama.image.model";

bool isGguf(const FileRecord& f)
{
    // A shard of a split GGUF is not a model by itself: Ollama loads one file.
    return f.state == FileRecord::State::Complete &&
           f.path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive) &&
           f.metadata.value(QLatin1String("splitCount")).toInt(1) <= 1;
}

// A registry tag made of `text`: [a-z0-9_][a-z0-9._-]{0,127}, lower case as Ollama's tags are.
QString tagOf(const QString& text)
{
    QString tag;
    for (const QChar c : text.toLower()) {
        const bool plain = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
                           (c >= QLatin1Char('0') && c <= QLatin1Char('9')) ||
                           c == QLatin1Char('_') || c == QLatin1Char('.') || c == QLatin1Char('-');
        tag += plain ? c : QLatin1Char('-');
    }
    while (!tag.isEmpty() && (tag.front() == QLatin1Char('.') || tag.front() == QLatin1Char('-')))
        tag.remove(0, 1);
    return tag.left(128);
}

// Ollama's config for a GGUF layer: its format and family, the quantization as file_type, and
// the root file system of one layer (the model), as its registry sends.
QByteArray configFor(const FileRecord& gguf)
{
    const QString family = gguf.metadata.value(QLatin1String("architecture")).toString();
    QJsonObject config{{QStringLiteral("model_format"), QStringLiteral("gguf")},
                       {QStringLiteral("architecture"), QStringLiteral("amd64")},
                       {QStringLiteral("os"), QStringLiteral("linux")},
                       {QStringLiteral("rootfs"),
                        QJsonObject{{QStringLiteral("type"), QStringLiteral("layers")},
                                    {QStringLiteral("diff_ids"),
                                     QJsonArray{QString::fromLatin1("sha256:" + gguf.sha256)}}}}};
    if (!family.isEmpty()) {
        config.insert(QStringLiteral("model_family"), family);
        config.insert(QStringLiteral("model_families"), QJsonArray{family});
    }
    const QString quantization = gguf.metadata.value(QLatin1String("quantization")).toString();
    if (!quantization.isEmpty())
        config.insert(QStringLiteral("file_type"), quantization);
    return QJsonDocument(config).toJson(QJsonDocument::Compact);
}

// The model a repository names: "library/x" and "x" name model x; an imported model also
// answers to its Hub repo id. Names are matched without regard to case, and only when one
// complete model matches.
std::optional<ModelRecord> modelFor(Registry& registry, const QString& repository)
{
    QString name = repository;
    if (name.startsWith(QLatin1String("library/")))
        name = name.mid(8);
    std::optional<ModelRecord> found;
    int matches = 0;
    for (const ModelRecord& m : registry.modelRows().models()) {
        if (m.state != ModelRecord::State::Complete)
            continue;
        if (m.name == name)
            return m; // exactly: no need to look further
        const QString repo = m.source.startsWith(QLatin1String("hf:"))
                                 ? m.source.mid(3).section(QLatin1Char('@'), 0, 0)
                                 : QString();
        if (m.name.compare(name, Qt::CaseInsensitive) == 0 ||
            (!repo.isEmpty() && repo.compare(repository, Qt::CaseInsensitive) == 0)) {
            found = m;
            ++matches;
        }
    }
    return matches == 1 ? found : std::nullopt;
}

} // namespace

QList<RegistryImage> registryImages(Registry& registry, const QString& repository)
{
    const auto model = modelFor(registry, repository);
    if (!model)
        return {};
    QList<FileRecord> ggufs;
    for (const FileRecord& f : registry.modelRows().files(model->id))
        if (isGguf(f))
            ggufs.append(f);
    // Largest first: "latest" is the one with the most bytes (the least quantized).
    std::sort(ggufs.begin(), ggufs.end(), [](const FileRecord& a, const FileRecord& b) {
        return a.size != b.size ? a.size > b.size : a.path < b.path;
    });
    QHash<QString, int> byQuantization;
    for (const FileRecord& f : std::as_const(ggufs))
        ++byQuantization[tagOf(f.metadata.value(QLatin1String("quantization")).toString())];
    QList<RegistryImage> images;
    for (const FileRecord& f : std::as_const(ggufs)) {
        const QString q = tagOf(f.metadata.value(QLatin1String("quantization")).toString());
        QString tag = !q.isEmpty() && byQuantization.value(q) == 1
                          ? q
                          : tagOf(QFileInfo(f.path).completeBaseName());
        if (tag.isEmpty() || tag == QLatin1String("latest"))
            continue; // no name a client could ask for
        images.append({*model, f, tag, configFor(f)});
    }
    if (!images.isEmpty()) {
        RegistryImage latest = images.first();
        latest.tag = QStringLiteral("latest");
        images.prepend(latest);
    }
    return images;
}

ManifestForm manifestFormFor(const QByteArray& accept)
{
    const qsizetype oci = accept.indexOf(OciManifest);
    const qsizetype docker = accept.indexOf(DockerManifest);
    return oci >= 0 && (docker < 0 || oci < docker) ? ManifestForm::Oci : ManifestForm::Docker;
}

QByteArray manifestMediaType(ManifestForm form)
{
    return form == ManifestForm::Oci ? OciManifest : DockerManifest;
}

QByteArray digestOf(const QByteArray& bytes)
{
    return "sha256:" + QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

QByteArray manifestBytes(const RegistryImage& image, ManifestForm form)
{
    const bool oci = form == ManifestForm::Oci;
    const QJsonObject manifest{
        {QStringLiteral("schemaVersion"), 2},
        {QStringLiteral("mediaType"), QString::fromLatin1(manifestMediaType(form))},
        {QStringLiteral("config"),
         QJsonObject{
             {QStringLiteral("mediaType"), QString::fromLatin1(oci ? OciConfig : DockerConfig)},
             {QStringLiteral("digest"), QString::fromLatin1(digestOf(image.config))},
             {QStringLiteral("size"), qint64(image.config.size())}}},
        {QStringLiteral("layers"),
         QJsonArray{QJsonObject{
             {QStringLiteral("mediaType"), QString::fromLatin1(ModelLayer)},
             {QStringLiteral("digest"), QString::fromLatin1("sha256:" + image.gguf.sha256)},
             {QStringLiteral("size"), image.gguf.size}}}}};
    return QJsonDocument(manifest).toJson(QJsonDocument::Compact);
}

ApiResponse registryBase()
{
    ApiResponse r = ApiResponse::json(200, {});
    r.addHeader({"Docker-Distribution-API-Version", "registry/2.0"});
    return r;
}

ApiResponse registryError(int status, const QByteArray& code, const QString& message)
{
    ApiResponse r = ApiResponse::json(
        status, {{QStringLiteral("errors"),
                  QJsonArray{QJsonObject{{QStringLiteral("code"), QString::fromLatin1(code)},
                                         {QStringLiteral("message"), message}}}}});
    r.addHeader({"Docker-Distribution-API-Version", "registry/2.0"});
    return r;
}

ApiResponse registryManifest(const QList<RegistryImage>& images, const QString& reference,
                             const QByteArray& accept)
{
    const bool byDigest = reference.startsWith(QLatin1String("sha256:"));
    for (const RegistryImage& image : images) {
        for (const ManifestForm form :
             {manifestFormFor(accept), manifestFormFor(accept) == ManifestForm::Oci
                                           ? ManifestForm::Docker
                                           : ManifestForm::Oci}) {
            const QByteArray bytes = manifestBytes(image, form);
            const QByteArray digest = digestOf(bytes);
            // Tags are made lower case; a client may ask in capitals ("Q4_K_M").
            if (byDigest ? digest != reference.toLatin1()
                         : image.tag.compare(reference, Qt::CaseInsensitive) != 0)
                continue;
            ApiResponse r;
            r.body = bytes;
            r.addHeader({"Content-Type", manifestMediaType(form)});
            r.addHeader({"Docker-Content-Digest", digest});
            r.addHeader({"ETag", '"' + digest + '"'});
            r.addHeader({"Docker-Distribution-API-Version", "registry/2.0"});
            return r;
        }
    }
    QStringList tags;
    for (const RegistryImage& image : images)
        tags.append(image.tag);
    return registryError(404, "MANIFEST_UNKNOWN",
                         tr("This model has no image “%1”; its tags are: %2")
                             .arg(reference, tags.join(QStringLiteral(", "))));
}

bool isLlamaCppAgent(const QByteArray& userAgent)
{
    return userAgent.startsWith("llama-cpp");
}

ApiResponse llamaCppManifest(const QList<RegistryImage>& images, const QString& reference)
{
    for (const RegistryImage& image : images) {
        if (image.tag.compare(reference, Qt::CaseInsensitive) != 0)
            continue;
        const QJsonObject file{
            {QStringLiteral("rfilename"), image.gguf.path},
            {QStringLiteral("size"), image.gguf.size},
            {QStringLiteral("lfs"),
             QJsonObject{{QStringLiteral("sha256"), QString::fromLatin1(image.gguf.sha256)},
                         {QStringLiteral("size"), image.gguf.size}}}};
        return ApiResponse::json(200, QJsonObject{{QStringLiteral("ggufFile"), file}});
    }
    QStringList tags;
    for (const RegistryImage& image : images)
        tags.append(image.tag);
    return ApiResponse::error(404, tr("This model has no GGUF file tagged “%1”; its tags are: %2")
                                       .arg(reference, tags.join(QStringLiteral(", "))));
}

ApiResponse registryTags(const QString& repository, const QList<RegistryImage>& images)
{
    QJsonArray tags;
    for (const RegistryImage& image : images)
        tags.append(image.tag);
    ApiResponse r = ApiResponse::json(
        200, {{QStringLiteral("name"), repository}, {QStringLiteral("tags"), tags}});
    r.addHeader({"Docker-Distribution-API-Version", "registry/2.0"});
    return r;
}

ApiResponse registryBlob(const QList<RegistryImage>& images, const QString& digest,
                         std::optional<FileRecord>* file)
{
    static const QRegularExpression sha256(QStringLiteral("^sha256:[0-9a-f]{64}$"));
    if (!sha256.match(digest).hasMatch())
        return registryError(400, "DIGEST_INVALID",
                             tr("“%1” is not a digest this registry gives (sha256:, then 64 "
                                "lower-case hex digits)")
                                 .arg(digest));
    const QByteArray hex = digest.mid(7).toLatin1();
    for (const RegistryImage& image : images) {
        if (image.gguf.sha256 == hex) {
            *file = image.gguf;
            ApiResponse r;
            r.addHeader({"Docker-Content-Digest", digest.toLatin1()});
            r.addHeader({"Docker-Distribution-API-Version", "registry/2.0"});
            return r;
        }
        if (digestOf(image.config) == digest.toLatin1()) {
            ApiResponse r;
            r.body = image.config;
            r.addHeader({"Content-Type", "application/octet-stream"});
            r.addHeader({"Docker-Content-Digest", digest.toLatin1()});
            r.addHeader({"ETag", '"' + digest.toLatin1() + '"'});
            r.addHeader({"Docker-Distribution-API-Version", "registry/2.0"});
            return r;
        }
    }
    return registryError(404, "BLOB_UNKNOWN", tr("This model has no blob %1").arg(digest));
}

} // namespace mf::api
