#include "modelinspector.h"

#include "formatlimits.h"
#include "ggmltypes.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace mf::formats {

namespace {

using Format = Inspection::Format;

bool isIntegerType(GgufType t)
{
    switch (t) {
    case GgufType::UInt8:
    case GgufType::Int8:
    case GgufType::UInt16:
    case GgufType::Int16:
    case GgufType::UInt32:
    case GgufType::Int32:
    case GgufType::UInt64:
    case GgufType::Int64:
        return true;
    default:
        return false;
    }
}

Format detect(const QByteArray& head, const QString& fileName)
{
    const QString name = fileName.section(QLatin1Char('/'), -1).toLower();
    if (looksLikeGguf(head))
        return Format::Gguf;
    if (looksLikeSafetensors(head))
        return Format::Safetensors;
    if (name.endsWith(QLatin1String(".gguf")))
        return Format::Gguf; // the reader says why it is not one
    if (name.endsWith(QLatin1String(".safetensors")))
        return Format::Safetensors;
    if (name == QLatin1String("config.json"))
        return Format::HfConfig;
    return Format::Unknown;
}

QJsonObject parseConfig(const QByteArray& bytes, QString* error)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &e);
    if (e.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = QStringLiteral("config.json is not a JSON object (at byte %1: %2)")
                         .arg(e.offset)
                         .arg(e.errorString());
        return {};
    }
    return doc.object();
}

QJsonObject summarizeConfig(const QJsonObject& config)
{
    QJsonObject s{{QStringLiteral("format"), QStringLiteral("hf-config")}};
    applyHfConfig(s, config);
    return s;
}

// Reads config.json next to a safetensors file, if there is a small one.
QJsonObject siblingConfig(const QString& path)
{
    QFile f(QFileInfo(path).dir().filePath(QStringLiteral("config.json")));
    if (f.size() > limits::kConfigMaxBytes || !f.open(QIODevice::ReadOnly))
        return {};
    return parseConfig(f.read(limits::kConfigMaxBytes), nullptr);
}

// Runs the reader for `format` over `source`; fills `out`.
bool inspectSource(ByteSource& source, Format format, Inspection& out, ParseError* error)
{
    out.format = format;
    if (format == Format::Gguf) {
        out.gguf = readGgufHeader(source, error);
        if (!out.gguf)
            return false;
        out.summary = summarizeGguf(*out.gguf);
        return true;
    }
    if (format == Format::Safetensors) {
        out.safetensors = readSafetensorsHeader(source, error);
        if (!out.safetensors)
            return false;
        out.summary = summarizeSafetensors(*out.safetensors);
        return true;
    }
    return true;
}

} // namespace

QJsonObject summarizeGguf(const GgufHeader& h)
{
    QJsonObject s{{QStringLiteral("format"), QStringLiteral("gguf")},
                  {QStringLiteral("ggufVersion"), qint64(h.version)},
                  {QStringLiteral("parameters"), qint64(h.parameterCount)},
                  {QStringLiteral("tensorCount"), qint64(h.tensors.size())},
                  {QStringLiteral("metadataCount"), qint64(h.metadata.size())}};
    auto string = [&](const char* key) -> QString {
        const GgufValue* v = h.find(QLatin1String(key));
        return v && v->type == GgufType::String ? v->scalar.toString() : QString();
    };
    auto integer = [&](const QString& key) -> std::optional<qint64> {
        const GgufValue* v = h.find(key);
        if (!v || !isIntegerType(v->type))
            return std::nullopt;
        return v->type == GgufType::Int8 || v->type == GgufType::Int16 ||
                       v->type == GgufType::Int32 || v->type == GgufType::Int64
                   ? v->scalar.toLongLong()
                   : qint64(qMin<quint64>(v->scalar.toULongLong(), quint64(1) << 62));
    };
    const QString arch = string("general.architecture");
    if (!arch.isEmpty())
        s.insert(QStringLiteral("architecture"), arch);
    const QString name = string("general.name");
    if (!name.isEmpty())
        s.insert(QStringLiteral("name"), name);
    if (!arch.isEmpty())
        if (const auto ctx = integer(arch + QLatin1String(".context_length")))
            s.insert(QStringLiteral("contextLength"), *ctx);
    const GgufValue* tmpl = h.find(QStringLiteral("tokenizer.chat_template"));
    s.insert(QStringLiteral("hasChatTemplate"),
             tmpl && tmpl->type == GgufType::String && !tmpl->scalar.toString().isEmpty());

    // The tensor types present, and the one holding the most bytes (elements if unknown).
    QStringList dtypes;
    QHash<QString, quint64> weight;
    for (const GgufTensorInfo& t : h.tensors) {
        const QString type = ggmlTypeName(t.type);
        if (!weight.contains(type))
            dtypes.append(type);
        weight[type] += t.bytes ? t.bytes : t.elements;
    }
    s.insert(QStringLiteral("dtypes"), QJsonArray::fromStringList(dtypes));
    QString quantization;
    if (const auto fileType = integer(QStringLiteral("general.file_type"))) {
        s.insert(QStringLiteral("fileType"), *fileType);
        if (*fileType >= 0)
            quantization = ggufFileTypeName(quint32(*fileType));
    }
    if (quantization.isEmpty()) {
        quint64 most = 0;
        for (const QString& d : std::as_const(dtypes))
            if (weight.value(d) > most) {
                most = weight.value(d);
                quantization = d;
            }
    }
    if (!quantization.isEmpty())
        s.insert(QStringLiteral("quantization"), quantization);
    if (const auto no = integer(QStringLiteral("split.no")))
        s.insert(QStringLiteral("splitIndex"), *no);
    if (const auto count = integer(QStringLiteral("split.count")))
        s.insert(QStringLiteral("splitCount"), *count);
    return s;
}

QJsonObject summarizeSafetensors(const SafetensorsHeader& h)
{
    QJsonObject s{{QStringLiteral("format"), QStringLiteral("safetensors")},
                  {QStringLiteral("parameters"), qint64(h.parameterCount)},
                  {QStringLiteral("tensorCount"), qint64(h.tensors.size())},
                  {QStringLiteral("dtypes"), QJsonArray::fromStringList(h.dtypes)}};
    if (!h.dominantDtype.isEmpty())
        s.insert(QStringLiteral("quantization"), h.dominantDtype);
    if (!h.metadata.isEmpty())
        s.insert(QStringLiteral("safetensorsMetadata"), h.metadata);
    return s;
}

void applyHfConfig(QJsonObject& metadata, const QJsonObject& config)
{
    auto set = [&](const QString& key, const QJsonValue& value) {
        if (!metadata.contains(key) && !value.isUndefined() && !value.isNull())
            metadata.insert(key, value);
    };
    const QJsonArray archs = config.value(QLatin1String("architectures")).toArray();
    if (!archs.isEmpty() && archs.first().isString())
        set(QStringLiteral("architecture"), archs.first());
    if (config.value(QLatin1String("model_type")).isString())
        set(QStringLiteral("modelType"), config.value(QLatin1String("model_type")));
    // Newer transformers write "dtype", older ones "torch_dtype".
    for (const char* key : {"torch_dtype", "dtype"})
        if (config.value(QLatin1String(key)).isString())
            set(QStringLiteral("torchDtype"), config.value(QLatin1String(key)));
    // Multimodal configs keep the language model's settings under text_config.
    for (const QJsonObject& c : {config, config.value(QLatin1String("text_config")).toObject()}) {
        const QJsonValue ctx = c.value(QLatin1String("max_position_embeddings"));
        if (ctx.isDouble() && ctx.toDouble() >= 0)
            set(QStringLiteral("contextLength"), qint64(ctx.toDouble()));
    }
    const QJsonObject quant = config.value(QLatin1String("quantization_config")).toObject();
    if (quant.value(QLatin1String("quant_method")).isString())
        metadata.insert(QStringLiteral("quantization"),
                        quant.value(QLatin1String("quant_method")).toString().toUpper());
}

std::optional<Inspection> inspectFile(const QString& path, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot open “%1”: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    const QByteArray head = file.peek(9);
    Inspection out;
    const Format format = detect(head, path);
    if (format == Format::HfConfig) {
        out.format = format;
        if (file.size() <= limits::kConfigMaxBytes) {
            out.config = parseConfig(file.read(limits::kConfigMaxBytes), nullptr);
            if (!out.config.isEmpty())
                out.summary = summarizeConfig(out.config);
        }
        return out;
    }
    DeviceSource source(&file);
    ParseError e;
    if (!inspectSource(source, format, out, &e)) {
        if (error)
            *error = QStringLiteral("“%1”: %2").arg(QFileInfo(path).fileName(), e.message);
        return std::nullopt;
    }
    if (format == Format::Safetensors) {
        out.config = siblingConfig(path);
        applyHfConfig(out.summary, out.config);
    }
    return out;
}

QJsonObject inspectFileHeader(const QString& path, QString* error)
{
    const auto inspection = inspectFile(path, error);
    return inspection ? inspection->summary : QJsonObject();
}

std::optional<QJsonObject> inspectHeaderBytes(const QByteArray& head, qint64 fileSize,
                                              const QString& fileName, QString* error,
                                              qint64* bytesNeeded)
{
    if (bytesNeeded)
        *bytesNeeded = 0;
    const bool whole = fileSize >= 0 && head.size() >= fileSize;
    if (head.size() < 9 && !whole) {
        if (bytesNeeded)
            *bytesNeeded = 9;
        return std::nullopt;
    }
    const Format format = detect(head, fileName);
    if (format == Format::Unknown)
        return QJsonObject();
    if (format == Format::HfConfig) {
        if (fileSize > limits::kConfigMaxBytes)
            return QJsonObject();
        if (!whole) {
            if (bytesNeeded)
                *bytesNeeded = fileSize >= 0 ? fileSize : limits::kConfigMaxBytes;
            return std::nullopt;
        }
        const QJsonObject config = parseConfig(head.left(fileSize), nullptr);
        return config.isEmpty() ? QJsonObject() : summarizeConfig(config);
    }
    BytesSource source(whole ? head.left(fileSize) : head, fileSize);
    Inspection out;
    ParseError e;
    if (inspectSource(source, format, out, &e))
        return out.summary;
    if (e.kind == ParseError::Kind::NeedMore) {
        if (bytesNeeded)
            *bytesNeeded = e.needed;
        return std::nullopt;
    }
    if (error)
        *error = QStringLiteral("“%1”: %2").arg(fileName.section(QLatin1Char('/'), -1), e.message);
    return std::nullopt;
}

HeaderSniffer::HeaderSniffer(QString fileName, qint64 fileSize)
    : m_fileName(std::move(fileName))
    , m_fileSize(fileSize)
{}

bool HeaderSniffer::feed(const char* data, qint64 size)
{
    if (m_done)
        return false;
    // Only what the header can need is kept: the largest cap, never the whole file.
    const qint64 cap =
        qMax<qint64>(limits::kGgufMaxHeaderBytes, qint64(8 + limits::kSafetensorsMaxHeaderBytes));
    const qint64 take = qMin<qint64>(size, cap - m_head.size());
    if (take > 0)
        m_head.append(data, take);
    if (m_head.size() >= m_wanted || (m_fileSize >= 0 && m_head.size() >= m_fileSize) ||
        m_head.size() >= cap)
        attempt();
    return !m_done;
}

void HeaderSniffer::finish()
{
    if (m_done)
        return;
    m_fileSize = m_head.size(); // the stream ended here: the file is what arrived
    attempt();
}

void HeaderSniffer::attempt()
{
    qint64 needed = 0;
    QString error;
    const auto result = inspectHeaderBytes(m_head, m_fileSize, m_fileName, &error, &needed);
    if (result || !error.isEmpty() || needed <= m_head.size()) {
        m_done = true;
        m_metadata = result.value_or(QJsonObject());
        m_error = error;
        m_head = QByteArray(); // no longer needed
        return;
    }
    // Parsing again costs the bytes held: grow at least geometrically.
    m_wanted = qMax(needed, 2 * qint64(m_head.size()));
}

} // namespace mf::formats
