#include "chunkwriter.h"

namespace mf {

bool ChunkWriter::write(const char* data, qint64 size)
{
    if (!storeNext(data, size))
        return false;
    if (m_hashing)
        m_hash.addData(data, size);
    return true;
}

bool ChunkWriter::writeChecked(const QByteArray& bytes, const QByteArray& sha256)
{
    Q_ASSERT(m_written == 0);
    if (!storeNext(bytes.constData(), bytes.size()))
        return false;
    m_checked = sha256;
    return true;
}

bool ChunkWriter::storeNext(const char* data, qint64 size)
{
    if (m_expectedSize >= 0 && m_written + size > m_expectedSize) {
        m_overflowed = true;
        m_error =
            QStringLiteral("the object is larger than its chunk (%1 bytes)").arg(m_expectedSize);
        return false;
    }
    if (!store(m_written, data, size))
        return false;
    m_written += size;
    return true;
}

void ChunkWriter::restart()
{
    m_hash.reset();
    m_checked.clear();
    m_written = 0;
    m_overflowed = false;
    m_error.clear();
}

} // namespace mf
