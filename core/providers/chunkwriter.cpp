#include "chunkwriter.h"

namespace mf {

bool ChunkWriter::write(const char* data, qint64 size)
{
    if (m_expectedSize >= 0 && m_written + size > m_expectedSize) {
        m_overflowed = true;
        m_error =
            QStringLiteral("the object is larger than its chunk (%1 bytes)").arg(m_expectedSize);
        return false;
    }
    if (!store(m_written, data, size))
        return false;
    m_hash.addData(data, size);
    m_written += size;
    return true;
}

void ChunkWriter::restart()
{
    m_hash.reset();
    m_written = 0;
    m_overflowed = false;
    m_error.clear();
}

} // namespace mf
