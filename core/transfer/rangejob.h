#pragma once

#include "registry/records.h"
#include "transferjob.h"

#include <deque>
#include <memory>

class QIODevice;

namespace mf {

class Vault;
class ChunkLoad;

// Writes bytes [begin, end) of one file of the vault to a device (a terminal, a pipe, the local
// API's socket) in order. Each chunk is read by a ChunkLoad — from the chunk cache, or fetched
// into it and verified against its CID (another replica is tried when one is missing or
// corrupt) — before any of its bytes are written out, so only verified bytes leave. It is the
// read path the mount uses too (mount/mountreads.h): one way to read a floating model.
//
// The chunks after the one being written out are loaded meanwhile (ReadAheadChunks of them), so
// that fetching, verifying and writing out overlap as in a restore: one chunk at a time, a 1 GiB
// file read cold through the API took 2.2 times as long as its restore.
//
// What can be known before the first byte is: a chunk with no replica at all, or whose every
// replica is already marked missing or corrupt, is read (and checked) first, so that a range that
// cannot be delivered fails with the reason before any of it is written, not after hundreds of
// megabytes.
class RangeJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RangeJob)

public:
    RangeJob(Vault* vault, const FileRecord& file, qint64 begin, qint64 end, QIODevice* output,
             QObject* parent = nullptr);
    // All of one chunk by its CID, whatever files it belongs to (the API's /chunks/{cid}).
    RangeJob(Vault* vault, const FileChunk& chunk, QIODevice* output, QObject* parent = nullptr);
    ~RangeJob() override;

    TransferProgress progressNow() const override;
    qint64 bytesWritten() const { return m_written; }
    // The output may hold at most this many bytes not yet written (a socket's send buffer)
    // before more are written to it: memory stays bounded however slowly the reader reads.
    static constexpr qint64 MaxOutputBacklog = qint64(1) << 20;
    // Chunks loaded at once, the one being written out included. Each holds only a descriptor on
    // its verified copy (in the chunk cache), not its bytes.
    static constexpr int ReadAheadChunks = 4;
    // The output refused bytes (a full disk, a closed pipe): error() says why.
    bool outputFailed() const { return m_outputFailed; }

private:
    void next();
    // The suspects, one at a time, before any output.
    void fetch(const FileChunk& chunk);
    void onFetched();
    // The range's chunks, in order, up to ReadAheadChunks at once.
    void loadAhead();
    void onAheadFinished(ChunkLoad* load);
    void writeOutFirst();
    void onOutputDrained();
    // Writes the part of `chunk` in the range from its verified copy to the output, as fast as
    // the output takes it; then fetches the next chunk.
    void writeOut(const FileChunk& chunk);
    void writeMore();
    void doStart() override;
    void doAbort() override;
    void ending(Error& error) override; // loads still running ahead are stopped

    Vault* m_vault;
    FileRecord m_file;
    qint64 m_begin;
    qint64 m_end;
    QIODevice* m_output;
    QList<FileChunk> m_chunks;
    bool m_oneChunk = false;     // m_chunks is given (one chunk by CID), not read from the file
    QList<FileChunk> m_suspects; // checked before any output
    QHash<QString, QList<Placement>> m_placements;
    int m_nextSuspect = 0;
    int m_nextToLoad = 0;
    int m_chunkFd = -1;                // the verified chunk being written out
    std::unique_ptr<ChunkLoad> m_load; // a suspect's
    struct Ahead
    {
        std::unique_ptr<ChunkLoad> load;
        bool done = false;
    };
    std::deque<Ahead> m_ahead; // loads of the next chunks, in order
    bool m_writing = false;    // the first chunk's bytes are going out
    qint64 m_written = 0;
    qint64 m_outPos = 0; // the chunk's bytes [m_outPos, m_outTo) are still to be written out
    qint64 m_outTo = 0;
    QByteArray m_outBuffer;
    QMetaObject::Connection m_drain; // set while waiting for the output to take its bytes
    bool m_outputFailed = false;
};

} // namespace mf
