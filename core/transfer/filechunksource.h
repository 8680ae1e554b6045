#pragma once

#include "chunksource.h"

#include "chunking/filesnapshot.h"

#include <optional>

namespace mf {

// A file on disk as a ChunkSource: a FileScanner reads it once, and the puts send the bytes it
// read and hashed, held in memory until the chunk is placed (at most HeldBytes of them), so the
// file is neither read nor hashed a second time. A file that changes while it is floated is
// detected through its snapshot; whatever it became, every object holds bytes that hash to its
// name, since they are the bytes that were hashed.
class FileChunkSource final : public ChunkSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FileChunkSource)

public:
    FileChunkSource(const QString& path, const ChunkerParams& params, QObject* parent = nullptr);
    ~FileChunkSource() override;

    qint64 expectedSize() const override;
    void setMaxPendingChunks(int count) override { m_scanner.setMaxPendingChunks(count); }
    void start() override { m_scanner.start(); }
    void abort() override { m_scanner.abort(); }
    void acknowledge(const ScannedChunk& chunk, int count) override
    {
        m_scanner.acknowledge(chunk, count);
    }
    bool isFinished() const override { return m_scanner.isFinished(); }
    QString errorString() const override { return m_scanner.errorString(); }
    bool wasCancelled() const override { return m_scanner.wasCancelled(); }
    QByteArray fileSha256() const override { return m_scanner.fileSha256(); }
    qint64 fileSize() const override { return m_scanner.fileSize(); }
    std::unique_ptr<QIODevice> openChunk(const ScannedChunk& chunk, QString* error) override;
    bool holdsHashedBytes() const override { return true; }
    QString changedError() const override;
    QString mismatchError(const ScannedChunk&) const override { return changedMessage(); }

    // The scanned bytes held for puts: with 8 MiB chunks on average, the 16 chunks a float
    // lets the scanner run ahead; with larger ones, fewer.
    static constexpr qint64 HeldBytes = qint64(128) << 20;

private:
    QString changedMessage() const;

    QString m_path;
    std::optional<FileSnapshot> m_startSnapshot; // before the scanner opened it
    FileScanner m_scanner;
};

} // namespace mf
