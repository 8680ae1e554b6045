#pragma once

#include <QString>

#include <optional>

namespace mf {

// How a file is cut into chunks. Stored with every file in the registry (as toString()), so a
// file is always re-chunked the way it was first chunked, and different settings can coexist.
struct ChunkerParams
{
    enum class Kind { ContentDefined, Fixed };

    // No chunk is ever larger (a bound for anything that holds a chunk whole, as shards do).
    static constexpr quint32 LargestChunkSize = 64 * 1024 * 1024;

    Kind kind = Kind::ContentDefined;
    quint32 minSize = 0; // content-defined only
    quint32 avgSize = 0; // content-defined: target average; fixed: the chunk size
    quint32 maxSize = 0; // content-defined only

    // The vault default: content-defined, sizes chosen by measurement (see docs/chunking.md).
    static ChunkerParams defaults();
    static ChunkerParams fixed(quint32 size);
    static ChunkerParams contentDefined(quint32 minSize, quint32 avgSize, quint32 maxSize);

    // "fastcdc:min=4194304,avg=8388608,max=16777216" or "fixed:size=8388608".
    QString toString() const;
    // Parses toString()'s form. Returns nullopt and sets *error for anything else.
    static std::optional<ChunkerParams> fromString(const QString& text, QString* error = nullptr);
    // Checks the invariants (sizes in range, min <= avg <= max, avg a power of two for
    // content-defined chunking); sets *error to a sentence a person can act on.
    bool isValid(QString* error = nullptr) const;

    // The largest chunk these parameters can produce.
    quint32 largestChunk() const { return kind == Kind::Fixed ? avgSize : maxSize; }

    friend bool operator==(const ChunkerParams& a, const ChunkerParams& b)
    {
        return a.kind == b.kind && a.minSize == b.minSize && a.avgSize == b.avgSize &&
               a.maxSize == b.maxSize;
    }
    friend bool operator!=(const ChunkerParams& a, const ChunkerParams& b) { return !(a == b); }
};

} // namespace mf
