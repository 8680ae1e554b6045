#include "chunkwriter.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mf {

bool ChunkWriter::write(const char* data, qint64 size) {
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

void ChunkWriter::restart() {
    m_hash.reset();
    m_written = 0;
    m_overflowed = false;
    m_error.clear();
}

OffsetChunkWriter::OffsetChunkWriter(int fd, qint64 fileOffset, QString fileName)
    : m_fd(fd)
    , m_fileOffset(fileOffset)
    , m_fileName(std::move(fileName)) {}

bool OffsetChunkWriter::store(qint64 position, const char* data, qint64 size) {
    qint64 at = m_fileOffset + position;
    while (size > 0) {
        const ssize_t n = ::pwrite(m_fd, data, size_t(size), at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            m_error = QStringLiteral("Cannot write “%1”: %2")
                          .arg(m_fileName, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        data += n;
        size -= n;
        at += n;
    }
    return true;
}

} // namespace mf
