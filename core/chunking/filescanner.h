#pragma once

#include "chunkbytes.h"
#include "chunkerparams.h"
#include "filesnapshot.h"
#include "unixfs.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <memory>

namespace mf {

// One chunk found by the scanner: where it is in the file and what it is.
struct ScannedChunk
{
    qint64 offset = 0;
    qint64 size = 0;
    QByteArray sha256; // 32 bytes
    QString cid;       // cid::fromSha256(sha256)
    unixfs::Node dag;  // its UnixFS DAG (docs/cids.md): a raw leaf, or 1 MiB leaves under dag-pb
    // The bytes that were hashed, when the scanner keeps them (FileScanner::setKeepBytes());
    // empty otherwise. Whoever holds the chunk holds its bytes: drop it once it is placed.
    ChunkBytes bytes;
};

// Reads a file once, on worker threads, cutting it into chunks and hashing every chunk, the
// whole file and the chunks' 1 MiB UnixFS leaves (two passes on two threads: the chunks and
// their leaves together, and the whole file).
// Every chunk's bytes start on an aligned, 1 MiB segment of their own, so that a writer can send
// them to disk without copying them (ChunkBytes::behind()).
// Results arrive in the thread that owns the scanner, in file order, through queued signals; the
// owner never waits.
//
// Back-pressure: at most `maxPendingChunks` chunks are reported and not yet acknowledged; the
// reading thread sleeps until the owner calls acknowledge(). Memory is a few segments,
// independent of file and chunk size, unless the scanner keeps the chunks' bytes for the owner
// (setKeepBytes()): then the reported chunks' bytes too, up to a limit.
class FileScanner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FileScanner)

public:
    FileScanner(const QString& path, const ChunkerParams& params, QObject* parent = nullptr);
    ~FileScanner() override; // aborts and joins the worker threads

    void setMaxPendingChunks(int count); // before start(); default 16
    // Before start(): every reported chunk carries the bytes that were read and hashed
    // (ScannedChunk::bytes), so that whoever sends them needs neither to read the file again nor
    // to hash them again. At most `maxHeldBytes` of memory (whole 1 MiB segments, not just the
    // chunks' sizes) are held by reported, unacknowledged chunks (one chunk always, however
    // large): the reader waits for acknowledgements beyond that.
    void setKeepBytes(qint64 maxHeldBytes);
    void start();
    // Stops reading; finished() follows with an error "cancelled". Safe to call twice.
    void abort();
    // The owner has dealt with `count` reported occurrences of `chunk`.
    void acknowledge(const ScannedChunk& chunk, int count = 1);

    bool isFinished() const;
    // Empty on success; otherwise a sentence naming the file and what went wrong.
    QString errorString() const;
    bool wasCancelled() const;
    QByteArray fileSha256() const; // valid after a successful finish
    qint64 fileSize() const;       // bytes read
    FileSnapshot snapshot() const; // taken when the file was opened, before reading

Q_SIGNALS:
    void chunkScanned(const mf::ScannedChunk& chunk);
    // Throttled (at most every 100 ms and at the end).
    void progress(qint64 bytesRead, qint64 totalBytes);
    // Exactly once, after the last chunkScanned().
    void finished();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace mf

Q_DECLARE_METATYPE(mf::ScannedChunk)
