#pragma once

#include "bytesource.h"
#include "parseerror.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QVariant>

#include <optional>

namespace mf::formats {

// GGUF metadata value types, as numbered in the file.
enum class GgufType : quint32 {
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
};
QString ggufTypeName(GgufType type);

// One metadata value. A scalar is decoded at once; an array keeps its encoded elements (already
// checked) and decodes them on demand, so a 150k-token vocabulary costs its bytes, not 150k
// objects, and only the elements asked for are ever expanded.
struct GgufValue
{
    GgufType type = GgufType::UInt8;
    QVariant scalar; // quint64, qint64, double, bool or QString

    GgufType elementType = GgufType::UInt8; // arrays
    quint64 count = 0;                      // arrays: number of elements
    QByteArray encoded;                     // arrays: the elements as stored in the file
    bool bigEndian = false;

    bool isArray() const { return type == GgufType::Array; }
    // The first `max` elements (all when max < 0).
    QList<GgufValue> elements(qsizetype max = -1) const;
    // JSON: integers as numbers (64-bit ones as strings when they do not fit a double exactly
    // and `exact64` is set), arrays as arrays of at most `maxElements` (all when < 0).
    QJsonValue toJson(qsizetype maxElements = -1, bool exact64 = false) const;
    QString toString() const; // scalars only
};

struct GgufTensorInfo
{
    QString name;
    QList<quint64> shape; // ne[0], ne[1], ... as in the file (innermost first)
    quint32 type = 0;     // ggml_type
    quint64 offset = 0;   // relative to the start of the tensor data
    quint64 elements = 0;
    quint64 bytes = 0; // 0 when the type is unknown
};

struct GgufMetadataEntry
{
    QString key;
    GgufValue value;
};

struct GgufHeader
{
    quint32 version = 0;
    bool bigEndian = false;
    QList<GgufMetadataEntry> metadata; // in file order
    QList<GgufTensorInfo> tensors;     // in file order
    quint32 alignment = 32;
    qint64 headerBytes = 0;      // where the tensor infos end
    qint64 tensorDataOffset = 0; // headerBytes rounded up to the alignment
    quint64 parameterCount = 0;  // sum of the tensors' element counts

    const GgufValue* find(const QString& key) const;
};

// Reads a GGUF v2 or v3 header (little- or big-endian): magic, version, counts, every metadata
// entry and every tensor info. Reads only the header, in bounded pieces; every count and length
// is checked against formatlimits.h and against the bytes actually present before anything is
// allocated. Tensor infos are checked against the file: known types must fit inside it.
std::optional<GgufHeader> readGgufHeader(ByteSource& source, ParseError* error);

// True when `head` starts with the GGUF magic.
bool looksLikeGguf(const QByteArray& head);

} // namespace mf::formats
