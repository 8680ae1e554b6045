#pragma once

#include "hubrepo.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace mf {

// A set of files a person chooses as one: a GGUF quantization (all its split parts), or a
// safetensors shard set with its index.
struct HubVariant
{
    enum class Format { Gguf, Safetensors };
    Format format = Format::Gguf;
    // GGUF: the quantization as users name it ("Q4_K_M", "IQ3_XXS", "F16", "UD-Q4_K_XL"),
    // "mmproj-F16" for a multimodal projector; a file name stem when the name carries none.
    // safetensors: the set's path stem ("model", "unet/diffusion_pytorch_model.fp16").
    QString name;
    QStringList files; // repo paths, split parts / shards in order, index first
    qint64 totalSize = 0;
    bool isSplit() const;
};

namespace variants {

// The quantization named in a GGUF file name or path, normalized to upper case with FP16 ->
// F16 and FP32 -> F32; empty when the name names none. Tokens are delimited by '-', '_', '.',
// '/' or the ends: "llama-2-7b.Q4_K_M.gguf" -> "Q4_K_M", "Q5_K_S/x-00001-of-00002.gguf" ->
// "Q5_K_S", "model-UD-Q4_K_XL.gguf" -> "UD-Q4_K_XL", "ggml-model-f16.gguf" -> "F16".
QString ggufQuantization(const QString& path);

// Groups the repo's model files into variants, sorted by total size. `indexJson` may hold the
// contents of safetensors index files (path -> bytes): a set is then exactly the shards its
// index's weight_map names; without it, shards are recognised by their names
// (<stem>-00001-of-00003.safetensors next to <stem>.safetensors.index.json).
QList<HubVariant> group(const QList<HubFile>& files,
                        const QHash<QString, QByteArray>& indexJson = {});

// True for weight files (GGUF, safetensors, PyTorch/ONNX/… binaries), which are only imported
// when chosen; everything else (README.md, config.json, tokenizer files) comes along.
bool isWeightFile(const QString& path);

// The files to import: the chosen variants (by name, case-insensitive) and the files matching
// any glob pattern (matched against the whole repo path, '*' not crossing '/', "**" crossing
// it), plus the small companion files when at least one variant was chosen. With no variant and
// no pattern: every file. Returns false (and *error) when a variant or pattern matches nothing.
bool select(const HubRepo& repo, const QStringList& variantNames, const QStringList& patterns,
            QList<HubFile>* selected, QString* error);

} // namespace variants
} // namespace mf
