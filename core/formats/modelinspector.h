#pragma once

// The one entry point for "what is this file": detects GGUF, safetensors and a Hugging Face
// config.json from the first bytes (and the name), reads only the header, and summarises it as
// the JSON stored in the registry's files.metadata. Keys of that JSON (the GUI reads them;
// a missing key means unknown):
//   "format"          "gguf" | "safetensors" | "hf-config"
//   "architecture"    "llama", "LlamaForCausalLM", ...
//   "name"            the model's own name (GGUF general.name)
//   "parameters"      integer: elements summed over the tensors (from their shapes)
//   "quantization"    "Q4_K_M", "BF16", ... (GGUF general.file_type, else the dominant type)
//   "contextLength"   integer (<arch>.context_length, or config.json max_position_embeddings)
//   "hasChatTemplate" bool (GGUF tokenizer.chat_template)
//   "tensorCount"     integer
//   "dtypes"          array of strings: the tensor types present
//   GGUF also: "ggufVersion", "fileType", "metadataCount", "splitIndex"/"splitCount";
//   safetensors also: "safetensorsMetadata" (__metadata__), "modelType", "torchDtype".
// Files of any other kind get an empty object and no error.

#include "ggufreader.h"
#include "safetensorsreader.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace mf::formats {

struct Inspection
{
    enum class Format { Unknown, Gguf, Safetensors, HfConfig };
    Format format = Format::Unknown;
    std::optional<GgufHeader> gguf;
    std::optional<SafetensorsHeader> safetensors;
    QJsonObject config;  // config.json: the file itself, or the one next to a safetensors file
    QJsonObject summary; // what the registry stores
};

// Inspects a file on disk reading only its header (bounded reads; a 70 GB file costs a few
// MiB at most). nullopt with `error` set when the file is a model file whose header is broken
// or cannot be read; an Inspection with Format::Unknown for any other kind of file.
std::optional<Inspection> inspectFile(const QString& path, QString* error);

// inspectFile() reduced to the registry JSON. Cheap enough for float time.
QJsonObject inspectFileHeader(const QString& path, QString* error);

// For a file arriving as a stream (a Hub import): `head` is its first bytes, `fileSize` its
// total size (-1 if unknown), `fileName` its name (for detection by extension). Returns the
// registry JSON when the header lies within `head`. When the header goes on past `head`,
// returns nullopt with *bytesNeeded set (call again with at least that many bytes; no error);
// when the header is broken, returns nullopt with *error set.
std::optional<QJsonObject> inspectHeaderBytes(const QByteArray& head, qint64 fileSize,
                                              const QString& fileName, QString* error,
                                              qint64* bytesNeeded);

// Feeds a stream's bytes in order and inspects the header as soon as it has arrived, keeping
// only the header's bytes (bounded by the caps in formatlimits.h). For the Hub import:
//   HeaderSniffer sniffer(fileName, size);  ...  sniffer.feed(bytes) for every piece ...
//   once sniffer.isDone(): sniffer.metadata() (or sniffer.error())
class HeaderSniffer final
{
public:
    HeaderSniffer(QString fileName, qint64 fileSize);
    // Returns true while more bytes are wanted.
    bool feed(const char* data, qint64 size);
    bool feed(const QByteArray& data) { return feed(data.constData(), data.size()); }
    // The stream ended: inspect what arrived.
    void finish();
    bool isDone() const { return m_done; }
    const QJsonObject& metadata() const { return m_metadata; }
    const QString& error() const { return m_error; }

private:
    void attempt();
    QString m_fileName;
    qint64 m_fileSize;
    QByteArray m_head;
    qint64 m_wanted = 16;
    bool m_done = false;
    QJsonObject m_metadata;
    QString m_error;
};

// Adds what a Hugging Face config.json says (architectures[0], model_type, torch_dtype,
// max_position_embeddings, quantization_config) to `metadata`, keeping keys already known.
void applyHfConfig(QJsonObject& metadata, const QJsonObject& config);

QJsonObject summarizeGguf(const GgufHeader& header);
QJsonObject summarizeSafetensors(const SafetensorsHeader& header);

} // namespace mf::formats
