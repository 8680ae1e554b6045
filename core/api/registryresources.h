#pragma once

#include "apiresponse.h"
#include "registry/records.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace mf {
class Registry;
} // namespace mf

namespace mf::api {

// The read side of the container registry protocol (OCI distribution v2, the one `ollama pull`
// and skopeo speak), answered from this vault, so that
//   ollama pull --insecure 127.0.0.1:PORT/library/NAME:TAG
// installs a floating model as Ollama's own registry would (docs/api.md).
//
// Which names and tags name what:
//  - repository "library/<model>" or "<model>" (and "<org>/<name>" for a model imported from
//    that Hub repo) names a complete model, matched without regard to case since registry names
//    are lower case;
//  - each GGUF file of the model is an image of one layer, the GGUF itself, tagged by its
//    quantization ("q4_k_m") or, where two share one, by its file name; "latest" names the
//    model's largest GGUF (the least quantized), the first by path among equals.
// The layer's digest is the file's SHA-256 (what the registry already knows, and what Ollama
// names its blob by); the config blob is made here, its digest its bytes' hash. Ollama asks for
// Docker's manifest form and reads its own layer media types; OCI clients (skopeo) are given the
// same image in OCI's form, whose rules allow a layer that is not a tar.
struct RegistryImage
{
    ModelRecord model;
    FileRecord gguf;
    QString tag;
    QByteArray config; // the config blob's bytes
};

// The images of the model `repository` names: one per GGUF file, "latest" first. Empty when the
// repository names no complete model with a GGUF file.
QList<RegistryImage> registryImages(Registry& registry, const QString& repository);

enum class ManifestForm { Docker, Oci };
// Docker's form unless the client takes OCI's (its Accept lists the OCI manifest type) and not
// Docker's first.
ManifestForm manifestFormFor(const QByteArray& accept);
QByteArray manifestBytes(const RegistryImage& image, ManifestForm form);
QByteArray manifestMediaType(ManifestForm form);
// "sha256:<hex>" of `bytes`.
QByteArray digestOf(const QByteArray& bytes);

// GET /v2/: the protocol's version check.
ApiResponse registryBase();
// GET|HEAD /v2/{name}/manifests/{reference}: a tag, or a digest of one of the forms.
ApiResponse registryManifest(const QList<RegistryImage>& images, const QString& reference,
                             const QByteArray& accept);
// The same route as the Hub answers llama.cpp (User-Agent "llama-cpp", which `-hf ORG/NAME:QUANT`
// and node-llama-cpp's "hf:ORG/NAME:QUANT" send): {"ggufFile": {"rfilename", "size", "lfs"}},
// the file the tag names, which the client then fetches by the Hub's resolve route.
ApiResponse llamaCppManifest(const QList<RegistryImage>& images, const QString& reference);
// Whether a request's User-Agent is llama.cpp's (or a client speaking for it).
bool isLlamaCppAgent(const QByteArray& userAgent);
// GET /v2/{name}/tags/list.
ApiResponse registryTags(const QString& repository, const QList<RegistryImage>& images);
// The blob `digest` names among `images`: a GGUF file (*file set, to be streamed) or a config
// blob (the answer). An error answer when it is neither, or `digest` is not a sha256 digest.
ApiResponse registryBlob(const QList<RegistryImage>& images, const QString& digest,
                         std::optional<FileRecord>* file);

// An answer in the registry's own error form: {"errors": [{"code", "message"}]}.
ApiResponse registryError(int status, const QByteArray& code, const QString& message);

} // namespace mf::api
