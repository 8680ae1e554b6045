#pragma once

#include "bytesource.h"
#include "parseerror.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace mf::formats {

struct SafetensorsTensor
{
    QString name;
    QString dtype;
    QList<quint64> shape;
    quint64 begin = 0; // data_offsets, relative to the end of the header
    quint64 end = 0;
    quint64 elements = 0;
};

struct SafetensorsHeader
{
    quint64 headerLength = 0;         // of the JSON
    qint64 dataOffset = 0;            // 8 + headerLength
    QList<SafetensorsTensor> tensors; // sorted by begin offset
    QJsonObject metadata;             // __metadata__ (string to string)
    quint64 parameterCount = 0;
    QStringList dtypes;    // distinct, in order of first appearance
    QString dominantDtype; // the dtype holding the most elements
};

// Reads a safetensors header: the 8-byte little-endian length, then that many bytes of JSON.
// Only the header is read. The length is capped (formatlimits.h) and checked against the file
// before it is allocated; every tensor's dtype, shape and data_offsets are checked (known
// dtype, offsets that match the shape and lie inside the file).
std::optional<SafetensorsHeader> readSafetensorsHeader(ByteSource& source, ParseError* error);

// Bits one element of a safetensors dtype takes; 0 for an unknown dtype.
int safetensorsDtypeBits(const QString& dtype);

// True when `head` (at least 9 bytes) looks like a safetensors file.
bool looksLikeSafetensors(const QByteArray& head);

} // namespace mf::formats
