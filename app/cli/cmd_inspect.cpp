// inspect FILE: what a model file is, from its header alone (GGUF, safetensors, config.json).
#include "command.h"

#include "formats/ggmltypes.h"
#include "formats/modelinspector.h"
#include "formats/parametercount.h"
#include "util/units.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace mf::cli {

namespace {

using namespace mf::formats;

constexpr int kArrayPreview = 8;    // elements shown of a long array
constexpr int kStringPreview = 200; // characters shown of a long string (chat templates)

QString oneLine(QString s)
{
    s.replace(QLatin1Char('\n'), QLatin1String("\\n"));
    if (s.size() > kStringPreview)
        s = s.left(kStringPreview) + QStringLiteral("… (%1 characters)").arg(s.size());
    return s;
}

QString render(const GgufValue& v)
{
    if (!v.isArray())
        return v.type == GgufType::String ? oneLine(v.scalar.toString()) : v.toString();
    QStringList items;
    for (const GgufValue& e : v.elements(kArrayPreview))
        items.append(e.isArray() ? render(e)
                                 : (e.type == GgufType::String ? oneLine(e.scalar.toString())
                                                               : e.toString()));
    if (v.count > quint64(kArrayPreview))
        items.append(QStringLiteral("… %1 more").arg(v.count - kArrayPreview));
    return QLatin1Char('[') + items.join(QLatin1String(", ")) + QLatin1Char(']');
}

QString typeLabel(const GgufValue& v)
{
    if (!v.isArray())
        return ggufTypeName(v.type);
    return QStringLiteral("[%1 × %2]").arg(v.count).arg(ggufTypeName(v.elementType));
}

QString shapeText(const QList<quint64>& shape)
{
    QStringList dims;
    for (quint64 d : shape)
        dims.append(QString::number(d));
    return QLatin1Char('[') + dims.join(QLatin1String(", ")) + QLatin1Char(']');
}

class InspectCommand final : public Command
{
public:
    using Command::Command;
    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addOption({QStringLiteral("tensors"), QStringLiteral("List every tensor.")});
        if (!parse(p, args, QStringLiteral("inspect [--tensors] FILE"), 1, 1))
            return;
        const QString path = p.positionalArguments().first();
        const bool tensors = p.isSet(QStringLiteral("tensors"));
        if (!QFileInfo(path).isFile()) {
            console().error(QStringLiteral("“%1” is not a readable file").arg(path));
            return finish(BadInput);
        }
        QString error;
        const auto inspection = inspectFile(path, &error);
        if (!inspection) {
            console().error(error);
            return finish(BadInput);
        }
        QJsonObject doc{{QStringLiteral("file"), path},
                        {QStringLiteral("size"), QFileInfo(path).size()},
                        {QStringLiteral("summary"), inspection->summary}};
        printSummary(path, *inspection);
        if (inspection->gguf)
            printGguf(*inspection->gguf, tensors, doc);
        if (inspection->safetensors)
            printSafetensors(*inspection->safetensors, tensors, doc);
        if (!inspection->config.isEmpty())
            doc.insert(QStringLiteral("config"), inspection->config);
        console().printJson(doc);
        finish(Success);
    }

private:
    void row(const QString& label, const QString& value)
    {
        if (!value.isEmpty())
            console().print(QStringLiteral("%1 %2").arg(label + QLatin1Char(':'), -15).arg(value));
    }

    void printSummary(const QString& path, const Inspection& in)
    {
        const QJsonObject& s = in.summary;
        row(QStringLiteral("File"),
            QStringLiteral("%1 (%2)").arg(path, units::formatBytes(QFileInfo(path).size())));
        QString format = QStringLiteral("not a model file (no GGUF or safetensors header)");
        if (in.gguf)
            format = QStringLiteral("GGUF v%1%2")
                         .arg(in.gguf->version)
                         .arg(in.gguf->bigEndian ? QStringLiteral(" (big-endian)") : QString());
        else if (in.safetensors)
            format = QStringLiteral("safetensors");
        else if (in.format == Inspection::Format::HfConfig)
            format = QStringLiteral("Hugging Face config.json");
        row(QStringLiteral("Format"), format);
        row(QStringLiteral("Architecture"), s.value(QLatin1String("architecture")).toString());
        row(QStringLiteral("Name"), s.value(QLatin1String("name")).toString());
        if (s.contains(QLatin1String("parameters"))) {
            const qint64 n = s.value(QLatin1String("parameters")).toInteger();
            row(QStringLiteral("Parameters"),
                QStringLiteral("%1 (%2)").arg(formatParameterCount(n)).arg(n));
        }
        row(QStringLiteral("Quantization"), s.value(QLatin1String("quantization")).toString());
        if (s.contains(QLatin1String("contextLength")))
            row(QStringLiteral("Context"),
                QString::number(s.value(QLatin1String("contextLength")).toInteger()));
        if (s.contains(QLatin1String("hasChatTemplate")))
            row(QStringLiteral("Chat template"), s.value(QLatin1String("hasChatTemplate")).toBool()
                                                     ? QStringLiteral("yes")
                                                     : QStringLiteral("no"));
        if (s.contains(QLatin1String("splitCount")))
            row(QStringLiteral("Split"),
                QStringLiteral("part %1 of %2")
                    .arg(s.value(QLatin1String("splitIndex")).toInteger() + 1)
                    .arg(s.value(QLatin1String("splitCount")).toInteger()));
        row(QStringLiteral("Torch dtype"), s.value(QLatin1String("torchDtype")).toString());
        if (s.contains(QLatin1String("tensorCount"))) {
            QStringList dtypes;
            for (const QJsonValue& d : s.value(QLatin1String("dtypes")).toArray())
                dtypes.append(d.toString());
            row(QStringLiteral("Tensors"),
                QStringLiteral("%1 (%2)")
                    .arg(s.value(QLatin1String("tensorCount")).toInteger())
                    .arg(dtypes.join(QLatin1String(", "))));
        }
    }

    void printGguf(const GgufHeader& h, bool tensors, QJsonObject& doc)
    {
        QJsonObject metadata;
        int width = 0;
        for (const GgufMetadataEntry& e : h.metadata)
            width = qMax(width, int(e.key.size()));
        width = qMin(width, 48);
        console().print(QStringLiteral("\nMetadata (%1 keys):").arg(h.metadata.size()));
        for (const GgufMetadataEntry& e : h.metadata) {
            console().print(QStringLiteral("  %1  %2  %3")
                                .arg(e.key, -width)
                                .arg(typeLabel(e.value), -14)
                                .arg(render(e.value)));
            QJsonObject entry{{QStringLiteral("type"), ggufTypeName(e.value.type)},
                              {QStringLiteral("value"), e.value.toJson(64)}};
            if (e.value.isArray()) {
                entry.insert(QStringLiteral("elementType"), ggufTypeName(e.value.elementType));
                entry.insert(QStringLiteral("count"), qint64(e.value.count));
                entry.insert(QStringLiteral("truncated"), e.value.count > 64);
            }
            metadata.insert(e.key, entry);
        }
        doc.insert(QStringLiteral("metadata"), metadata);
        doc.insert(QStringLiteral("tensorDataOffset"), h.tensorDataOffset);
        doc.insert(QStringLiteral("alignment"), qint64(h.alignment));
        if (!tensors)
            return;
        QJsonArray list;
        console().print(QStringLiteral("\nTensors (%1):").arg(h.tensors.size()));
        for (const GgufTensorInfo& t : h.tensors) {
            console().print(QStringLiteral("  %1  %2  %3  at %4  %5")
                                .arg(t.name, -32)
                                .arg(ggmlTypeName(t.type), -8)
                                .arg(shapeText(t.shape), -22)
                                .arg(h.tensorDataOffset + qint64(t.offset))
                                .arg(t.bytes ? units::formatBytes(qint64(t.bytes)) : QString()));
            QJsonArray shape;
            for (quint64 d : t.shape)
                shape.append(qint64(d));
            list.append(QJsonObject{{QStringLiteral("name"), t.name},
                                    {QStringLiteral("type"), ggmlTypeName(t.type)},
                                    {QStringLiteral("shape"), shape},
                                    {QStringLiteral("offset"), qint64(t.offset)},
                                    {QStringLiteral("bytes"), qint64(t.bytes)}});
        }
        doc.insert(QStringLiteral("tensors"), list);
    }

    void printSafetensors(const SafetensorsHeader& h, bool tensors, QJsonObject& doc)
    {
        if (!h.metadata.isEmpty()) {
            console().print(QStringLiteral("\n__metadata__:"));
            for (auto it = h.metadata.begin(); it != h.metadata.end(); ++it)
                console().print(QStringLiteral("  %1  %2").arg(it.key(), oneLine(it->toString())));
        }
        doc.insert(QStringLiteral("dataOffset"), h.dataOffset);
        if (!tensors)
            return;
        QJsonArray list;
        console().print(QStringLiteral("\nTensors (%1):").arg(h.tensors.size()));
        for (const SafetensorsTensor& t : h.tensors) {
            console().print(QStringLiteral("  %1  %2  %3  bytes %4-%5")
                                .arg(t.name, -40)
                                .arg(t.dtype, -8)
                                .arg(shapeText(t.shape), -22)
                                .arg(t.begin)
                                .arg(t.end));
            QJsonArray shape;
            for (quint64 d : t.shape)
                shape.append(qint64(d));
            list.append(QJsonObject{{QStringLiteral("name"), t.name},
                                    {QStringLiteral("dtype"), t.dtype},
                                    {QStringLiteral("shape"), shape},
                                    {QStringLiteral("begin"), qint64(t.begin)},
                                    {QStringLiteral("end"), qint64(t.end)}});
        }
        doc.insert(QStringLiteral("tensors"), list);
    }
};

} // namespace

Command* makeInspectCommand(Context& context)
{
    return new InspectCommand(context);
}

} // namespace mf::cli
