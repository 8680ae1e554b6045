#pragma once

#include "chunking/filescanner.h"

#include <QIODevice>
#include <QObject>

#include <memory>

namespace mf {

// Where a FileDistributor's bytes come from: a file on disk (FileChunkSource) or a download
// (the hub's StreamChunkSource). A source cuts its bytes into chunks and reports them in order
// through chunkScanned(); the distributor places them and acknowledges each one once it is
// placed, which is the source's back-pressure (at most maxPendingChunks reported and not yet
// acknowledged). Until acknowledged, a chunk's bytes can be opened for a put (openChunk). Unless
// the source holds the very bytes it hashed (holdsHashedBytes()), the distributor checks them
// against the chunk's CID as the put reads them (VerifyingChunkDevice).
class ChunkSource : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChunkSource)

public:
    using QObject::QObject;
    ~ChunkSource() override = default;

    // The size the file is expected to have (recorded when the file begins in the registry).
    virtual qint64 expectedSize() const = 0;
    virtual void setMaxPendingChunks(int count) = 0; // before start()
    virtual void start() = 0;
    // Stops; finished() follows, with wasCancelled(). Safe to call twice.
    virtual void abort() = 0;
    // `count` occurrences of `chunk` (a chunk may repeat in a file) are placed.
    virtual void acknowledge(const ScannedChunk& chunk, int count) = 0;
    virtual bool isFinished() const = 0;
    // Empty on success; otherwise a sentence naming the source and what went wrong.
    virtual QString errorString() const = 0;
    virtual bool wasCancelled() const = 0;
    virtual QByteArray fileSha256() const = 0; // after a successful finish
    virtual qint64 fileSize() const = 0;       // bytes read
    // The bytes of a reported, not yet acknowledged chunk, opened for reading; nullptr (and
    // *error) when they cannot be read.
    virtual std::unique_ptr<QIODevice> openChunk(const ScannedChunk& chunk, QString* error) = 0;
    // True when openChunk() gives the bytes the source hashed, held in memory since: they hash
    // to the chunk's CID by construction, and a put need not hash them again.
    virtual bool holdsHashedBytes() const { return false; }
    // Empty while the source is still what was read; otherwise why it is not (a file that was
    // written to while it was floated).
    virtual QString changedError() const = 0;
    // Why a put of `chunk` failed when the bytes openChunk() gave did not hash to its CID: the
    // source changed after the chunk was scanned, in a way changedError() could not see.
    virtual QString mismatchError(const ScannedChunk& chunk) const
    {
        return tr("The bytes read for chunk %1 do not hash to it").arg(chunk.cid);
    }

Q_SIGNALS:
    void chunkScanned(const mf::ScannedChunk& chunk);
    void progress(qint64 done, qint64 total);
    void finished(); // exactly once, after the last chunkScanned()
};

} // namespace mf
