#pragma once

#include "chunksource.h"

#include "chunking/filesnapshot.h"

#include <optional>

namespace mf {

// A file on disk as a ChunkSource: a FileScanner reads it, puts read their chunk back from the
// file (FileRangeDevice), and a file that changes while it is floated is detected through its
// snapshot. A change its snapshot cannot show (a rewrite in place of the same size that races
// the scan, within one timestamp) is caught by the put's check of the bytes against the CID.
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
    void acknowledge(const ScannedChunk&, int count) override { m_scanner.acknowledge(count); }
    bool isFinished() const override { return m_scanner.isFinished(); }
    QString errorString() const override { return m_scanner.errorString(); }
    bool wasCancelled() const override { return m_scanner.wasCancelled(); }
    QByteArray fileSha256() const override { return m_scanner.fileSha256(); }
    qint64 fileSize() const override { return m_scanner.fileSize(); }
    std::unique_ptr<QIODevice> openChunk(const ScannedChunk& chunk, QString* error) override;
    QString changedError() const override;
    QString mismatchError(const ScannedChunk&) const override { return changedMessage(); }

private:
    QString changedMessage() const;

    QString m_path;
    std::optional<FileSnapshot> m_startSnapshot; // before the scanner opened it
    FileScanner m_scanner;
};

} // namespace mf
