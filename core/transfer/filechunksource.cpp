#include "filechunksource.h"

namespace mf {

FileChunkSource::FileChunkSource(const QString& path, const ChunkerParams& params, QObject* parent)
    : ChunkSource(parent)
    , m_path(path)
    , m_startSnapshot(FileSnapshot::ofPath(path))
    , m_scanner(path, params)
{
    m_scanner.setKeepBytes(HeldBytes);
    connect(&m_scanner, &FileScanner::chunkScanned, this, &ChunkSource::chunkScanned);
    connect(&m_scanner, &FileScanner::progress, this, &ChunkSource::progress);
    connect(&m_scanner, &FileScanner::finished, this, &ChunkSource::finished);
}

FileChunkSource::~FileChunkSource() = default;

qint64 FileChunkSource::expectedSize() const
{
    return m_startSnapshot ? m_startSnapshot->size : 0;
}

std::unique_ptr<QIODevice> FileChunkSource::openChunk(const ScannedChunk& chunk, QString* error)
{
    if (chunk.bytes.size() != chunk.size) {
        *error = tr("The bytes of chunk %1 of “%2” are no longer held").arg(chunk.cid, m_path);
        return nullptr;
    }
    return chunk.bytes.open();
}

QString FileChunkSource::changedError() const
{
    // The scan read one unchanged file, and it is the file whose size the registry got at the
    // start: a change before the scanner opened it counts too.
    if (FileSnapshot::ofPath(m_path) != m_scanner.snapshot() ||
        (m_scanner.isFinished() && m_startSnapshot != m_scanner.snapshot()))
        return changedMessage();
    return {};
}

QString FileChunkSource::changedMessage() const
{
    return tr("“%1” changed while it was being read; float it again once it is no longer being "
              "written")
        .arg(m_path);
}

} // namespace mf
