#include "safetensorsreader.h"

#include "formatlimits.h"
#include "headercursor.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtEndian>

#include <algorithm>

namespace mf::formats {

namespace {

using Kind = ParseError::Kind;

bool readShape(const QJsonValue& value, SafetensorsTensor& t)
{
    if (!value.isArray())
        return false;
    const QJsonArray dims = value.toArray();
    if (dims.size() > limits::kSafetensorsMaxDims)
        return false;
    t.elements = 1;
    for (const QJsonValue& d : dims) {
        // JSON numbers arrive as doubles: only exact non-negative integers are dimensions.
        const double v = d.toDouble(-1);
        if (!d.isDouble() || v < 0 || v != double(qint64(v)) ||
            v > double(limits::kMaxElementCount))
            return false;
        const quint64 n = quint64(v);
        if (n && t.elements > limits::kMaxElementCount / n)
            return false;
        t.shape.append(n);
        t.elements *= n;
    }
    return true;
}

bool readOffsets(const QJsonValue& value, SafetensorsTensor& t)
{
    const QJsonArray offsets = value.toArray();
    if (!value.isArray() || offsets.size() != 2)
        return false;
    const double b = offsets[0].toDouble(-1);
    const double e = offsets[1].toDouble(-1);
    if (!offsets[0].isDouble() || !offsets[1].isDouble() || b < 0 || e < b ||
        b != double(qint64(b)) || e != double(qint64(e)) || e > 9.0e18)
        return false;
    t.begin = quint64(b);
    t.end = quint64(e);
    return true;
}

} // namespace

int safetensorsDtypeBits(const QString& dtype)
{
    static const QHash<QString, int> bits = {
        {QStringLiteral("BOOL"), 8},    {QStringLiteral("U8"), 8},
        {QStringLiteral("I8"), 8},      {QStringLiteral("F8_E5M2"), 8},
        {QStringLiteral("F8_E4M3"), 8}, {QStringLiteral("F8_E8M0"), 8},
        {QStringLiteral("I16"), 16},    {QStringLiteral("U16"), 16},
        {QStringLiteral("F16"), 16},    {QStringLiteral("BF16"), 16},
        {QStringLiteral("I32"), 32},    {QStringLiteral("U32"), 32},
        {QStringLiteral("F32"), 32},    {QStringLiteral("F64"), 64},
        {QStringLiteral("I64"), 64},    {QStringLiteral("U64"), 64},
        {QStringLiteral("F4"), 4},      {QStringLiteral("F6_E2M3"), 6},
        {QStringLiteral("F6_E3M2"), 6}, {QStringLiteral("C64"), 64},
    };
    return bits.value(dtype, 0);
}

bool looksLikeSafetensors(const QByteArray& head)
{
    if (head.size() < 9)
        return false;
    const quint64 length = qFromLittleEndian<quint64>(head.constData());
    return length >= 2 && length <= limits::kSafetensorsMaxHeaderBytes && head.at(8) == '{';
}

std::optional<SafetensorsHeader> readSafetensorsHeader(ByteSource& source, ParseError* error)
{
    HeaderCursor c(source, qint64(8 + limits::kSafetensorsMaxHeaderBytes));
    SafetensorsHeader h;
    auto fail = [&](Kind kind, qint64 offset,
                    const QString& message) -> std::optional<SafetensorsHeader> {
        c.failAt(kind, offset, message);
        if (error)
            *error = c.error();
        return std::nullopt;
    };
    auto failed = [&]() -> std::optional<SafetensorsHeader> {
        if (error)
            *error = c.error();
        return std::nullopt;
    };

    if (!c.u64(h.headerLength, "the header length"))
        return failed();
    if (h.headerLength > limits::kSafetensorsMaxHeaderBytes)
        return fail(Kind::TooLarge, 0,
                    QStringLiteral("the header length says %1 bytes, over the limit of %2")
                        .arg(h.headerLength)
                        .arg(limits::kSafetensorsMaxHeaderBytes));
    QByteArray json;
    if (!c.readBytes(json, h.headerLength, "the JSON header"))
        return failed();
    h.dataOffset = qint64(8 + h.headerLength);
    if (!json.startsWith('{'))
        return fail(Kind::Invalid, 8, QStringLiteral("at byte 8: the header is not a JSON object"));

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return fail(Kind::Invalid, 8 + parseError.offset,
                    QStringLiteral("at byte %1: the JSON header is not valid: %2")
                        .arg(8 + parseError.offset)
                        .arg(parseError.errorString()));

    const QJsonObject root = doc.object();
    const qint64 fileSize = source.size();
    const quint64 dataBytes =
        fileSize >= h.dataOffset ? quint64(fileSize - h.dataOffset) : quint64(0);
    QHash<QString, quint64> elementsByDtype;
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (it.key() == QLatin1String("__metadata__")) {
            if (!it->isObject())
                return fail(Kind::Invalid, 8, QStringLiteral("__metadata__ is not a JSON object"));
            const QJsonObject meta = it->toObject();
            for (auto m = meta.begin(); m != meta.end(); ++m)
                if (!m->isString())
                    return fail(
                        Kind::Invalid, 8,
                        QStringLiteral("__metadata__ value “%1” is not a string").arg(m.key()));
            h.metadata = meta;
            continue;
        }
        const QJsonObject o = it->toObject();
        SafetensorsTensor t;
        t.name = it.key();
        t.dtype = o.value(QLatin1String("dtype")).toString();
        const int bits = safetensorsDtypeBits(t.dtype);
        if (!it->isObject() || bits == 0)
            return fail(
                Kind::Invalid, 8,
                QStringLiteral("tensor “%1” has no known dtype (“%2”)").arg(t.name, t.dtype));
        if (!readShape(o.value(QLatin1String("shape")), t))
            return fail(Kind::Invalid, 8,
                        QStringLiteral("tensor “%1” has an invalid shape").arg(t.name));
        if (!readOffsets(o.value(QLatin1String("data_offsets")), t))
            return fail(Kind::Invalid, 8,
                        QStringLiteral("tensor “%1” has invalid data_offsets").arg(t.name));
        // elements < 2^62, bits <= 64: compared as bits to avoid overflow.
        const quint64 bytes = t.end - t.begin;
        const bool sizeMatches = t.elements <= (quint64(1) << 62) / quint64(bits)
                                     ? t.elements * quint64(bits) == bytes * 8
                                     : false;
        if (!sizeMatches)
            return fail(Kind::Invalid, 8,
                        QStringLiteral("tensor “%1”: data_offsets span %2 bytes but %3 elements of "
                                       "%4 need %5 bits")
                            .arg(t.name)
                            .arg(bytes)
                            .arg(t.elements)
                            .arg(t.dtype)
                            .arg(t.elements * quint64(bits)));
        if (fileSize >= 0 && t.end > dataBytes)
            return fail(Kind::Truncated, h.dataOffset,
                        QStringLiteral("tensor “%1” (data bytes %2 to %3) lies past the end of "
                                       "the file (%4 data bytes after the header at byte %5)")
                            .arg(t.name)
                            .arg(t.begin)
                            .arg(t.end)
                            .arg(dataBytes)
                            .arg(h.dataOffset));
        if (h.parameterCount > limits::kMaxElementCount - t.elements)
            return fail(Kind::Invalid, 8, QStringLiteral("the tensors' element counts overflow"));
        h.parameterCount += t.elements;
        if (!elementsByDtype.contains(t.dtype))
            h.dtypes.append(t.dtype);
        elementsByDtype[t.dtype] += t.elements;
        h.tensors.append(std::move(t));
    }
    std::sort(h.tensors.begin(), h.tensors.end(),
              [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
                  return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
              });
    // Tensors must not overlap (the reference implementation also requires them to be
    // contiguous; overlapping ones would be a lying header).
    for (qsizetype i = 1; i < h.tensors.size(); ++i)
        if (h.tensors[i].begin < h.tensors[i - 1].end)
            return fail(Kind::Invalid, 8,
                        QStringLiteral("tensors “%1” and “%2” overlap")
                            .arg(h.tensors[i - 1].name, h.tensors[i].name));
    quint64 most = 0;
    for (const QString& d : std::as_const(h.dtypes))
        if (elementsByDtype.value(d) > most || h.dominantDtype.isEmpty()) {
            most = elementsByDtype.value(d);
            h.dominantDtype = d;
        }
    if (error)
        *error = {};
    return h;
}

} // namespace mf::formats
