#pragma once

#include "hubrepo.h"
#include "importcheckpoints.h"
#include "resumablesha256.h"

#include "chunking/chunkboundaryfinder.h"
#include "chunking/sha256.h"
#include "formats/modelinspector.h"
#include "providers/bytesink.h"
#include "transfer/chunksource.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QHash>
#include <QPointer>
#include <QThreadPool>

#include <optional>

namespace mf {

class HubClient;
class HubDownloadJob;

// A file of a Hub repo as a ChunkSource: the download's bytes go straight through the chunker
// and hashers into memory, one chunk at a time, and a chunk's bytes are dropped as soon as the
// distributor has placed it. Nothing is staged on disk. Memory is bounded by the distributor's
// maxPendingChunks times the chunker's maximum chunk size, plus the 4 MiB network read buffer:
// when that many chunks wait to be placed the download is paused (TCP flow control holds the
// server), and resumed as chunks are acknowledged.
//
// Verification: at the end of the stream the whole file's SHA-256 (LFS files) or git blob sha1
// (regular files) must equal what the Hub listed; otherwise the source fails, so the file is
// never marked complete, and its checkpoints are dropped so the next attempt starts over.
//
// Resume (LFS files): at every chunk boundary the running SHA-256 state is appended to the
// file's ImportCheckpoints before the chunk is reported. A resumed source first reports the
// chunks an earlier run placed (they need no bytes: the distributor finds them placed), then
// restores the hash state saved at their end, restarts the chunker there (FastCDC cuts the rest
// of the stream the same way from a boundary) and downloads only the rest with a Range request.
class StreamChunkSource final : public ChunkSource, public ByteSink
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamChunkSource)

public:
    struct Resume
    {
        QList<ScannedChunk> placed; // tile [0, end) in order; empty: start from the beginning
        QByteArray hashState;       // ResumableSha256 state at the end of `placed`
    };

    StreamChunkSource(HubClient* client, const HubRepo& repo, const HubFile& file,
                      const ChunkerParams& params, const QString& checkpointPath,
                      const Resume& resume, QObject* parent = nullptr);
    ~StreamChunkSource() override;

    qint64 expectedSize() const override { return m_file.size; }
    void setMaxPendingChunks(int count) override { m_maxPending = qMax(1, count); }
    void start() override;
    void abort() override;
    void acknowledge(const ScannedChunk& chunk, int count) override;
    bool isFinished() const override { return m_reportedFinished; }
    // (Also ByteSink's errorString(): why write() refused bytes.)
    QString errorString() const override { return m_errorString; }
    bool wasCancelled() const override { return m_cancelled; }
    QByteArray fileSha256() const override { return m_fileSha256; }
    qint64 fileSize() const override { return m_offset; }
    std::unique_ptr<QIODevice> openChunk(const ScannedChunk& chunk, QString* error) override;
    QString changedError() const override { return {}; }

    // ByteSink: the download's bytes, in order.
    bool write(const char* data, qint64 size) override;

    qint64 resumedFrom() const { return m_resumedFrom; }
    qint64 bytesDownloaded() const { return m_offset - m_resumedFrom; }
    // No byte arrived for a while although nothing holds the download back.
    bool isStalled() const;
    // The bytes did not match the Hub's hash.
    bool isCorrupt() const { return m_corrupt; }
    // A chunk placed before the interruption was needed again and is gone: start over.
    bool resumeBroken() const { return m_resumeBroken; }

Q_SIGNALS:
    // The format metadata of the file (files.metadata: architecture, quantization...), from its
    // first bytes as they stream by, or {"formatError": why}. Emitted once, before the source
    // finishes; not at all for a file resumed past its header (nothing to read it from).
    void metadataReady(const QJsonObject& metadata);

private:
    struct Held
    {
        QByteArray bytes;
        int references = 0;
    };
    void report(const ScannedChunk& chunk);
    void endChunk();
    void onChunkHashed(const ScannedChunk& chunk, const QByteArray& bytes, const QByteArray& state,
                       const QByteArray& fileDigest);
    void onDownloadFinished();
    void verify();
    void finish(const QString& error, bool cancelled = false);
    void updatePause();
    void sniff(const char* data, qint64 size, bool ended);

    HubClient* m_client;
    HubRepo m_repo;
    HubFile m_file;
    ChunkerParams m_params;
    ImportCheckpoints m_checkpoints;
    Resume m_resume;
    QPointer<HubDownloadJob> m_download;

    ChunkBoundaryFinder m_finder;
    ResumableSha256 m_fileHash; // on the hashing thread once the download started
    QByteArray m_fileDigest;    // of the bytes hashed so far (engine thread)
    int m_hashing = 0;          // chunks on the hashing thread
    bool m_downloadDone = false;
    QCryptographicHash m_gitHash{QCryptographicHash::Sha1};
    QByteArray m_current; // bytes of the chunk being cut
    qint64 m_offset = 0;  // of the next byte
    qint64 m_resumedFrom = 0;
    QHash<QString, Held> m_held; // chunks reported and not yet placed, by CID
    int m_maxPending = 16;
    int m_unacknowledged = 0;

    QElapsedTimer m_lastByte;

    QByteArray m_fileSha256;
    std::optional<formats::HeaderSniffer> m_sniffer; // reads the header while it streams by
    bool m_sniffed = false;
    QString m_errorString;
    bool m_started = false;
    bool m_finished = false;         // nothing more is processed
    bool m_reportedFinished = false; // finished() was emitted
    bool m_cancelled = false;
    bool m_corrupt = false;
    bool m_resumeBroken = false;
    QThreadPool m_hasher; // last: destroyed (and waited for) first
};

} // namespace mf
