#pragma once

#include "chunkerparams.h"

#include <QtGlobal>

namespace mf {

// Finds chunk boundaries in a byte stream fed in pieces of any size. The result depends only
// on the bytes and the parameters, never on how the stream was split into pieces, so it is
// deterministic on every platform. Content-defined mode is FastCDC (gear rolling hash with
// normalized chunking); fixed mode cuts every avgSize bytes.
class ChunkBoundaryFinder final
{
public:
    explicit ChunkBoundaryFinder(const ChunkerParams& params);

    // Consumes bytes of the current chunk from `data`. Returns how many bytes were consumed
    // (1..size when size > 0). If a chunk ends at the last consumed byte, *boundary is set to
    // true and the next call starts a new chunk; otherwise all `size` bytes were consumed.
    qsizetype feed(const uchar* data, qsizetype size, bool* boundary);
    // Bytes of the current, unfinished chunk. At end of stream, a non-zero value is the size
    // of the last chunk.
    qint64 pendingSize() const { return m_chunkSize; }
    // Forgets the current chunk (after end of stream, or to start another stream).
    void reset();

private:
    ChunkerParams m_params;
    quint64 m_maskSmall = 0; // stricter mask used before the average size (normalization)
    quint64 m_maskLarge = 0; // looser mask used after it
    quint64 m_hash = 0;
    qint64 m_chunkSize = 0;
};

} // namespace mf
