#pragma once
// Apps' stores laid out as the apps themselves write them, for the suites that scan, use and
// free them (docs/appstores.md says where each fact comes from).
#include "chunking/sha256.h"
#include "testsupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>

namespace mf::test {

// Ollama's manifest of a model of one layer: the GGUF blob named by its SHA-256 (hex).
inline QByteArray ollamaManifest(const QString& modelHex, qint64 size)
{
    const QJsonObject layer{
        {QStringLiteral("mediaType"), QStringLiteral("application/vnd.ollama.image.model")},
        {QStringLiteral("digest"), QString(QStringLiteral("sha256:") + modelHex)},
        {QStringLiteral("size"), size}};
    const QJsonObject doc{{QStringLiteral("schemaVersion"), 2},
                          {QStringLiteral("mediaType"),
                           QStringLiteral("application/vnd.docker.distribution.manifest.v2+json")},
                          {QStringLiteral("layers"), QJsonArray{layer}}};
    return QJsonDocument(doc).toJson(QJsonDocument::Compact);
}

// What `ollama pull` leaves in the store at `root` for `name`:latest: the blob and the manifest
// naming it. `blob` (optional): the blob's path.
inline bool putInOllama(const QString& root, const QString& name, const QByteArray& bytes,
                        QString* blob = nullptr)
{
    const QString hex = QString::fromLatin1(Sha256::hash(bytes).toHex());
    const QString blobPath = root + QStringLiteral("/blobs/sha256-") + hex;
    const QString folder = root + QStringLiteral("/manifests/registry.ollama.ai/library/") + name;
    if (blob)
        *blob = blobPath;
    return QDir().mkpath(folder) && QDir().mkpath(root + QStringLiteral("/blobs")) &&
           writeFile(blobPath, bytes) &&
           writeFile(folder + QStringLiteral("/latest"), ollamaManifest(hex, bytes.size()));
}

// `env` with the apps' stores in folders below `appsRoot`, as their variables name them:
// ollama (OLLAMA_MODELS), hf (HF_HUB_CACHE, HF_HOME unset) and llama (LLAMA_CACHE). LM Studio's
// is found below HOME.
inline QProcessEnvironment withAppStores(QProcessEnvironment env, const QString& appsRoot)
{
    env.insert(QStringLiteral("OLLAMA_MODELS"), appsRoot + QStringLiteral("/ollama"));
    env.insert(QStringLiteral("HF_HUB_CACHE"), appsRoot + QStringLiteral("/hf"));
    env.insert(QStringLiteral("LLAMA_CACHE"), appsRoot + QStringLiteral("/llama"));
    env.remove(QStringLiteral("HF_HOME"));
    return env;
}

} // namespace mf::test
