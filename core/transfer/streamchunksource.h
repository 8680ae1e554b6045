#pragma once

#include "chunksource.h"

#include "chunking/chunkboundaryfinder.h"
#include "chunking/chunkerparams.h"
#include "chunking/resumablesha256.h"
#include "formats/modelinspector.h"
#include "providers/bytesink.h"
#include "util/error.h"

#include <QElapsedTimer>
#include <QHash>
#include <QThreadPool>

#include <optional>

namespace mf {

// A stream of bytes as a ChunkSource: a download (the Hub import's HubFileSource) or an upload's
// request body (UploadJob). The bytes, given to write() in order, go straight through the chunker
// and hashers into memory, one chunk at a time, and a chunk's bytes are dropped as soon as the
// distributor has placed it. Nothing is staged on disk. Memory is bounded by the distributor's
// maxPendingChunks times the chunker's maximum chunk size: when that many chunks wait to be
// placed the source is full and its feed is paused (pauseFeed(), feedPaused()), which TCP flow
// control carries back to whoever sends the bytes; it resumes as chunks are acknowledged.
//
// The feed: a subclass starts it in startFeed() and stops it in abortFeed(); whoever feeds it
// calls endFeed() when the bytes end. This class as it is takes bytes pushed from outside.
//
// Resume (a subclass that keeps hash states, keepsHashStates()): at every chunk boundary the
// running SHA-256 state goes to checkpoint() before the chunk is reported. A resumed source first
// reports the chunks an earlier run placed (they need no bytes: the distributor finds them
// placed), then restores the hash state saved at their end, restarts the chunker there (FastCDC
// cuts the rest of the stream the same way from a boundary) and asks the feed only for the rest.
class StreamChunkSource : public ChunkSource, public ByteSink
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamChunkSource)

public:
    struct Resume
    {
        QList<ScannedChunk> placed; // tile [0, end) in order; empty: start from the beginning
        QByteArray hashState;       // ResumableSha256 state at the end of `placed`
    };

    // `name`: the file's path, for messages and to read its format's header as it streams by;
    // `size`: exactly how many bytes the stream has.
    StreamChunkSource(const QString& name, qint64 size, const ChunkerParams& params,
                      const Resume& resume = {}, QObject* parent = nullptr);
    ~StreamChunkSource() override;

    qint64 expectedSize() const override { return m_size; }
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
    bool holdsHashedBytes() const override { return true; }
    QString changedError() const override { return {}; }

    // ByteSink: the stream's bytes, in order. False (and errorString()) for bytes past its size
    // or after it ended.
    bool write(const char* data, qint64 size) override;
    // The feed ended: every byte was given (`error` ok), or it failed or was cancelled.
    void endFeed(const Error& error);

    const QString& name() const { return m_name; }
    qint64 resumedFrom() const { return m_resumedFrom; }
    qint64 bytesStreamed() const { return m_offset - m_resumedFrom; }
    // As many chunks wait to be placed as it may hold: the feed should wait.
    bool isFull() const { return m_unacknowledged >= m_maxPending; }
    // No byte arrived for a while although nothing holds the feed back.
    bool isStalled() const;
    // A chunk placed before the interruption was needed again and is gone: start over.
    bool resumeBroken() const { return m_resumeBroken; }

Q_SIGNALS:
    // The format metadata of the file (files.metadata: architecture, quantization...), from its
    // first bytes as they stream by, or {"formatError": why}. Emitted once, before the source
    // finishes; not at all for a file resumed past its header (nothing to read it from).
    void metadataReady(const QJsonObject& metadata);
    // isFull() changed: a feed pushed from outside stops and starts reading with it.
    void feedPaused(bool paused);

protected:
    // Start giving bytes from `offset` to write(), and call endFeed() when they end.
    virtual void startFeed(qint64 offset) { Q_UNUSED(offset) }
    // Stop the feed; endFeed() with a Cancelled error follows (at once by default).
    virtual void abortFeed();
    virtual void pauseFeed(bool paused) { Q_UNUSED(paused) }
    // Every byte, in order, as it is written (a second hash a subclass checks).
    virtual void tap(const char* data, qint64 size)
    {
        Q_UNUSED(data)
        Q_UNUSED(size)
    }
    // Resumable: hash states are saved at chunk boundaries and `resume` is honoured.
    virtual bool keepsHashStates() const { return false; }
    // A fresh start (no resume): earlier checkpoints are dropped; false with *error if not.
    virtual bool beginFresh(QString* error)
    {
        Q_UNUSED(error)
        return true;
    }
    virtual void checkpoint(qint64 end, const QByteArray& state)
    {
        Q_UNUSED(end)
        Q_UNUSED(state)
    }
    // Every byte arrived, hashing to `sha256`: empty if that is what was expected, otherwise why
    // the stream is refused (the file is then never marked complete).
    virtual QString verifyStream(const QByteArray& sha256)
    {
        Q_UNUSED(sha256)
        return {};
    }
    // What an ended feed's message names ("Downloading “x”", "Uploading “x”").
    virtual QString feedName() const;

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
    void verify();
    void finish(const QString& error, bool cancelled = false);
    void updatePause();
    void sniff(const char* data, qint64 size, bool ended);

    QString m_name;
    qint64 m_size;
    ChunkerParams m_params;
    Resume m_resume;

    ChunkBoundaryFinder m_finder;
    ResumableSha256 m_fileHash; // on the hashing thread once the feed started
    QByteArray m_fileDigest;    // of the bytes hashed so far (engine thread)
    int m_hashing = 0;          // chunks on the hashing thread
    bool m_feeding = false;     // between start() and endFeed()
    bool m_feedDone = false;
    bool m_paused = false;
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
    bool m_resumeBroken = false;
    QThreadPool m_hasher; // last: destroyed (and waited for) first
};

} // namespace mf
