#include "ggufreader.h"

#include "formatlimits.h"
#include "ggmltypes.h"
#include "headercursor.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>

#include <cstring>

namespace mf::formats {

namespace {

using Kind = ParseError::Kind;

bool validType(quint32 t)
{
    return t <= quint32(GgufType::Float64);
}

// Bytes a value of this type takes at least: bounds an array's count before anything is
// allocated for it.
quint64 minimumSize(GgufType t)
{
    switch (t) {
    case GgufType::UInt8:
    case GgufType::Int8:
    case GgufType::Bool:
        return 1;
    case GgufType::UInt16:
    case GgufType::Int16:
        return 2;
    case GgufType::UInt32:
    case GgufType::Int32:
    case GgufType::Float32:
        return 4;
    case GgufType::UInt64:
    case GgufType::Int64:
    case GgufType::Float64:
    case GgufType::String: // its length
        return 8;
    case GgufType::Array: // element type and count
        return 12;
    }
    return 1;
}

bool readString(HeaderCursor& c, quint64 cap, QString* out, const char* what)
{
    quint64 length = 0;
    const qint64 at = c.offset();
    if (!c.u64(length, what))
        return false;
    if (length > cap)
        return c.failAt(Kind::TooLarge, at,
                        QStringLiteral("at byte %1: %2 claims %3 bytes, over the limit of %4")
                            .arg(at)
                            .arg(QLatin1String(what))
                            .arg(length)
                            .arg(cap));
    if (!out)
        return c.skip(length, what);
    QByteArray bytes;
    if (!c.readBytes(bytes, length, what))
        return false;
    *out = QString::fromUtf8(bytes);
    return true;
}

template <class T> bool readPlain(HeaderCursor& c, T& v, const char* what)
{
    char raw[sizeof(T)];
    if (!c.read(raw, sizeof(T), what))
        return false;
    if (c.bigEndian())
        std::reverse(raw, raw + sizeof(T));
    std::memcpy(&v, raw, sizeof(T));
    return true;
}

bool readScalar(HeaderCursor& c, GgufType type, QVariant& out)
{
    static const char* what = "a metadata value";
    switch (type) {
    case GgufType::UInt8: {
        quint8 v = 0;
        return readPlain(c, v, what) && (out = quint64(v), true);
    }
    case GgufType::Int8: {
        qint8 v = 0;
        return readPlain(c, v, what) && (out = qint64(v), true);
    }
    case GgufType::UInt16: {
        quint16 v = 0;
        return readPlain(c, v, what) && (out = quint64(v), true);
    }
    case GgufType::Int16: {
        qint16 v = 0;
        return readPlain(c, v, what) && (out = qint64(v), true);
    }
    case GgufType::UInt32: {
        quint32 v = 0;
        return readPlain(c, v, what) && (out = quint64(v), true);
    }
    case GgufType::Int32: {
        qint32 v = 0;
        return readPlain(c, v, what) && (out = qint64(v), true);
    }
    case GgufType::UInt64: {
        quint64 v = 0;
        return readPlain(c, v, what) && (out = v, true);
    }
    case GgufType::Int64: {
        qint64 v = 0;
        return readPlain(c, v, what) && (out = v, true);
    }
    case GgufType::Float32: {
        float v = 0;
        return readPlain(c, v, what) && (out = double(v), true);
    }
    case GgufType::Float64: {
        double v = 0;
        return readPlain(c, v, what) && (out = v, true);
    }
    case GgufType::Bool: {
        quint8 v = 0;
        return readPlain(c, v, what) && (out = v != 0, true);
    }
    case GgufType::String: {
        QString s;
        return readString(c, limits::kGgufMaxStringBytes, &s, "a metadata string") &&
               (out = s, true);
    }
    case GgufType::Array:
        break;
    }
    return false;
}

bool readValue(HeaderCursor& c, GgufType type, int depth, GgufValue& out);

// Reads (and checks) an array's elements. The outermost array records their encoded bytes;
// nested ones are part of those bytes already.
bool readArray(HeaderCursor& c, int depth, GgufValue& out, bool record)
{
    const qint64 at = c.offset();
    if (depth > limits::kGgufMaxArrayDepth)
        return c.fail(Kind::TooLarge, QStringLiteral("at byte %1: arrays nested more than %2 deep")
                                          .arg(at)
                                          .arg(limits::kGgufMaxArrayDepth));
    quint32 elementType = 0;
    quint64 count = 0;
    if (!c.u32(elementType, "an array's element type") || !c.u64(count, "an array's length"))
        return false;
    if (!validType(elementType))
        return c.failAt(
            Kind::Invalid, at,
            QStringLiteral("at byte %1: unknown array element type %2").arg(at).arg(elementType));
    if (count > limits::kGgufMaxArrayLength)
        return c.failAt(Kind::TooLarge, at + 4,
                        QStringLiteral("at byte %1: an array claims %2 elements, over the limit "
                                       "of %3")
                            .arg(at + 4)
                            .arg(count)
                            .arg(limits::kGgufMaxArrayLength));
    out.type = GgufType::Array;
    out.elementType = GgufType(elementType);
    out.count = count;
    out.bigEndian = c.bigEndian();
    const quint64 minBytes = count * minimumSize(out.elementType); // < 2^28: no overflow
    if (!c.require(minBytes, "an array's elements"))
        return false;
    if (record)
        c.capture(&out.encoded);
    bool ok = true;
    const quint64 fixed = out.elementType == GgufType::String || out.elementType == GgufType::Array
                              ? 0
                              : minimumSize(out.elementType);
    if (fixed) {
        ok = c.skip(minBytes, "an array's elements");
    } else if (out.elementType == GgufType::String) {
        for (quint64 i = 0; ok && i < count; ++i)
            ok = readString(c, limits::kGgufMaxStringBytes, nullptr, "an array's string");
    } else {
        for (quint64 i = 0; ok && i < count; ++i) {
            GgufValue inner;
            ok = readArray(c, depth + 1, inner, false);
        }
    }
    if (record)
        c.capture(nullptr);
    return ok;
}

bool readValue(HeaderCursor& c, GgufType type, int depth, GgufValue& out)
{
    out.type = type;
    if (type == GgufType::Array)
        return readArray(c, depth, out, true);
    return readScalar(c, type, out.scalar);
}

bool isPowerOfTwo(quint64 v)
{
    return v && !(v & (v - 1));
}

} // namespace

QString ggufTypeName(GgufType type)
{
    static const char* const names[] = {"u8",   "i8",  "u16",   "i16", "u32", "i32", "f32",
                                        "bool", "str", "array", "u64", "i64", "f64"};
    const quint32 i = quint32(type);
    return i < std::size(names) ? QString::fromLatin1(names[i]) : QStringLiteral("?");
}

QList<GgufValue> GgufValue::elements(qsizetype max) const
{
    QList<GgufValue> list;
    if (!isArray())
        return list;
    const quint64 n = max < 0 ? count : qMin<quint64>(count, quint64(max));
    BytesSource source(encoded);
    HeaderCursor c(source, encoded.size());
    c.setBigEndian(bigEndian);
    list.reserve(qsizetype(qMin<quint64>(n, quint64(encoded.size()))));
    for (quint64 i = 0; i < n; ++i) {
        GgufValue v;
        v.bigEndian = bigEndian;
        if (!readValue(c, elementType, 1, v))
            break; // cannot happen: the bytes were checked when the header was read
        list.append(v);
    }
    return list;
}

QJsonValue GgufValue::toJson(qsizetype maxElements, bool exact64) const
{
    if (isArray()) {
        QJsonArray array;
        for (const GgufValue& v : elements(maxElements))
            array.append(v.toJson(maxElements, exact64));
        return array;
    }
    switch (type) {
    case GgufType::UInt64:
        if (exact64 || scalar.toULongLong() > quint64(1) << 53)
            return QString::number(scalar.toULongLong());
        return qint64(scalar.toULongLong());
    case GgufType::Int64:
        if (exact64 || qAbs(scalar.toLongLong()) > qint64(1) << 53)
            return QString::number(scalar.toLongLong());
        return scalar.toLongLong();
    case GgufType::UInt8:
    case GgufType::UInt16:
    case GgufType::UInt32:
        return qint64(scalar.toULongLong());
    case GgufType::Int8:
    case GgufType::Int16:
    case GgufType::Int32:
        return scalar.toLongLong();
    case GgufType::Float32:
    case GgufType::Float64:
        return scalar.toDouble();
    case GgufType::Bool:
        return scalar.toBool();
    case GgufType::String:
        return scalar.toString();
    case GgufType::Array:
        break;
    }
    return {};
}

QString GgufValue::toString() const
{
    if (type == GgufType::Float32 || type == GgufType::Float64)
        return QString::number(scalar.toDouble(), 'g', type == GgufType::Float32 ? 9 : 17);
    if (type == GgufType::Bool)
        return scalar.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return scalar.toString();
}

const GgufValue* GgufHeader::find(const QString& key) const
{
    for (const GgufMetadataEntry& e : metadata)
        if (e.key == key)
            return &e.value;
    return nullptr;
}

bool looksLikeGguf(const QByteArray& head)
{
    return head.startsWith("GGUF");
}

std::optional<GgufHeader> readGgufHeader(ByteSource& source, ParseError* error)
{
    HeaderCursor c(source, limits::kGgufMaxHeaderBytes);
    GgufHeader h;
    auto failed = [&]() -> std::optional<GgufHeader> {
        if (error)
            *error = c.error();
        return std::nullopt;
    };

    char magic[4];
    if (!c.read(magic, 4, "the magic"))
        return failed();
    if (std::memcmp(magic, "GGUF", 4) != 0) {
        c.failAt(Kind::Invalid, 0,
                 QStringLiteral("not a GGUF file: it does not start with “GGUF”"));
        return failed();
    }
    quint32 version = 0;
    if (!c.u32(version, "the version"))
        return failed();
    if (version == 0x02000000u || version == 0x03000000u) { // written big-endian
        version >>= 24;
        h.bigEndian = true;
        c.setBigEndian(true);
    }
    if (version != 2 && version != 3) {
        c.failAt(Kind::Invalid, 4,
                 version == 1
                     ? QStringLiteral("GGUF version 1 is not supported (only versions 2 and 3)")
                     : QStringLiteral("at byte 4: unknown GGUF version %1 (2 and 3 are known)")
                           .arg(version));
        return failed();
    }
    h.version = version;

    quint64 tensorCount = 0;
    quint64 kvCount = 0;
    if (!c.u64(tensorCount, "the tensor count") || !c.u64(kvCount, "the metadata count"))
        return failed();
    if (tensorCount > limits::kGgufMaxTensorCount) {
        c.failAt(Kind::TooLarge, 8,
                 QStringLiteral("at byte 8: the header claims %1 tensors, over the limit of %2")
                     .arg(tensorCount)
                     .arg(limits::kGgufMaxTensorCount));
        return failed();
    }
    if (kvCount > limits::kGgufMaxKvCount) {
        c.failAt(Kind::TooLarge, 16,
                 QStringLiteral("at byte 16: the header claims %1 metadata entries, over the "
                                "limit of %2")
                     .arg(kvCount)
                     .arg(limits::kGgufMaxKvCount));
        return failed();
    }
    // Each entry takes at least a key length and a type: the bytes must be there.
    if (!c.require(kvCount * 12, "the metadata entries"))
        return failed();

    QSet<QString> keys;
    for (quint64 i = 0; i < kvCount; ++i) {
        GgufMetadataEntry entry;
        const qint64 at = c.offset();
        if (!readString(c, limits::kGgufMaxKeyBytes, &entry.key, "a metadata key"))
            return failed();
        if (keys.contains(entry.key)) {
            c.failAt(
                Kind::Invalid, at,
                QStringLiteral("at byte %1: the key “%2” appears twice").arg(at).arg(entry.key));
            return failed();
        }
        quint32 type = 0;
        const qint64 typeAt = c.offset();
        if (!c.u32(type, "a metadata type"))
            return failed();
        if (!validType(type)) {
            c.failAt(Kind::Invalid, typeAt,
                     QStringLiteral("at byte %1: “%2” has unknown type %3")
                         .arg(typeAt)
                         .arg(entry.key)
                         .arg(type));
            return failed();
        }
        if (!readValue(c, GgufType(type), 1, entry.value))
            return failed();
        if (entry.key == QLatin1String("general.alignment")) {
            if (entry.value.type != GgufType::UInt32 ||
                !isPowerOfTwo(entry.value.scalar.toULongLong())) {
                c.failAt(Kind::Invalid, typeAt,
                         QStringLiteral("at byte %1: general.alignment must be a u32 power of "
                                        "two")
                             .arg(typeAt));
                return failed();
            }
            h.alignment = quint32(entry.value.scalar.toULongLong());
        }
        keys.insert(entry.key);
        h.metadata.append(std::move(entry));
    }

    // A tensor info takes at least a name length, a dimension count, a type and an offset.
    if (!c.require(tensorCount * 24, "the tensor infos"))
        return failed();
    h.tensors.reserve(qsizetype(tensorCount));
    QSet<QString> names;
    for (quint64 i = 0; i < tensorCount; ++i) {
        GgufTensorInfo t;
        const qint64 at = c.offset();
        if (!readString(c, limits::kGgufMaxTensorNameBytes, &t.name, "a tensor name"))
            return failed();
        if (names.contains(t.name)) {
            c.failAt(
                Kind::Invalid, at,
                QStringLiteral("at byte %1: the tensor “%2” appears twice").arg(at).arg(t.name));
            return failed();
        }
        names.insert(t.name);
        quint32 dims = 0;
        const qint64 dimsAt = c.offset();
        if (!c.u32(dims, "a tensor's dimension count"))
            return failed();
        if (dims > limits::kGgufMaxDims) {
            c.failAt(Kind::Invalid, dimsAt,
                     QStringLiteral("at byte %1: tensor “%2” has %3 dimensions (at most %4)")
                         .arg(dimsAt)
                         .arg(t.name)
                         .arg(dims)
                         .arg(limits::kGgufMaxDims));
            return failed();
        }
        t.elements = 1;
        for (quint32 d = 0; d < dims; ++d) {
            quint64 n = 0;
            const qint64 dimAt = c.offset();
            if (!c.u64(n, "a tensor dimension"))
                return failed();
            if (n > limits::kMaxElementCount || (n && t.elements > limits::kMaxElementCount / n)) {
                c.failAt(Kind::Invalid, dimAt,
                         QStringLiteral("at byte %1: tensor “%2” has an impossible shape")
                             .arg(dimAt)
                             .arg(t.name));
                return failed();
            }
            t.shape.append(n);
            t.elements *= n;
        }
        if (!c.u32(t.type, "a tensor type") || !c.u64(t.offset, "a tensor offset"))
            return failed();
        if (h.parameterCount > limits::kMaxElementCount - t.elements) {
            c.failAt(Kind::Invalid, at,
                     QStringLiteral("at byte %1: the tensors' element counts add up to more "
                                    "than any file can hold")
                         .arg(at));
            return failed();
        }
        h.parameterCount += t.elements;
        const GgmlTypeInfo info = ggmlTypeInfo(t.type);
        if (info.name) {
            const quint64 inner = t.shape.isEmpty() ? 1 : t.shape.first();
            if (inner % quint64(info.blockElements) != 0) {
                c.failAt(Kind::Invalid, at,
                         QStringLiteral("at byte %1: tensor “%2” of type %3 has a first "
                                        "dimension (%4) that is not a multiple of %5")
                             .arg(at)
                             .arg(t.name, QLatin1String(info.name))
                             .arg(inner)
                             .arg(info.blockElements));
                return failed();
            }
            // elements < 2^62 and blockBytes/blockElements <= 8: no overflow.
            t.bytes = t.elements / quint64(info.blockElements) * quint64(info.blockBytes);
        }
        h.tensors.append(std::move(t));
    }

    h.headerBytes = c.offset();
    h.tensorDataOffset = (h.headerBytes + h.alignment - 1) / h.alignment * h.alignment;
    const qint64 fileSize = source.size();
    for (const GgufTensorInfo& t : std::as_const(h.tensors)) {
        if (t.offset % h.alignment != 0) {
            c.failAt(Kind::Invalid, h.headerBytes,
                     QStringLiteral("tensor “%1” starts at data offset %2, which is not a "
                                    "multiple of the alignment (%3)")
                         .arg(t.name)
                         .arg(t.offset)
                         .arg(h.alignment));
            return failed();
        }
        if (fileSize >= 0 && t.bytes > 0) {
            const quint64 room =
                fileSize > h.tensorDataOffset ? quint64(fileSize - h.tensorDataOffset) : 0;
            if (t.offset > room || t.bytes > room - t.offset) {
                c.failAt(Kind::Truncated, h.tensorDataOffset,
                         QStringLiteral("tensor “%1” (%2 bytes at data offset %3) lies past the "
                                        "end of the file (%4 bytes): the file is truncated or "
                                        "its header is wrong")
                             .arg(t.name)
                             .arg(t.bytes)
                             .arg(t.offset)
                             .arg(fileSize));
                return failed();
            }
        }
    }
    if (error)
        *error = {};
    return h;
}

} // namespace mf::formats
