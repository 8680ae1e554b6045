#pragma once

#include "chunking/sha256.h"
#include "providers/bytesink.h"
#include "util/directwriter.h"

#include <QString>

#include <memory>

namespace mf {

class FollowingHasher;

// Where a fetched chunk goes. It hashes what passes through, so the fetcher can check the bytes
// against the chunk's CID, and can start over when a replica turns out bad.
class ChunkWriter : public ByteSink
{
public:
    bool write(const char* data, qint64 size) final;
    QString errorString() const override { return m_error; }

    // Forget what was written so far: the next replica's bytes start from the beginning.
    virtual void restart();
    qint64 written() const { return m_written; }
    // The chunk's size. A replica that delivers more is damaged, and its extra bytes must not be
    // stored: they would land on the next chunk, or past the end of the file. write() then
    // fails and overflowed() says why. -1 (the default): no limit.
    void setExpectedSize(qint64 size) { m_expectedSize = size; }
    bool overflowed() const { return m_overflowed; }
    QByteArray digest() { return m_hash.result(); }

protected:
    // Stores bytes at `position` within the chunk; false and m_error on failure.
    virtual bool store(qint64 position, const char* data, qint64 size) = 0;
    QString m_error;

private:
    Sha256 m_hash;
    qint64 m_written = 0;
    qint64 m_expectedSize = -1;
    bool m_overflowed = false;
};

// Only hashes (verify, or checking a replica).
class HashingChunkWriter final : public ChunkWriter
{
protected:
    bool store(qint64, const char*, qint64) override { return true; }
};

// Keeps the chunk's bytes in memory: repair reads a chunk from one replica, checks it, and puts
// those bytes to other providers. A chunk is at most a few tens of MiB (ChunkerParams).
class MemoryChunkWriter final : public ChunkWriter
{
public:
    void restart() override
    {
        ChunkWriter::restart();
        m_bytes.clear();
    }
    const QByteArray& bytes() const { return m_bytes; }

protected:
    bool store(qint64, const char* data, qint64 size) override
    {
        m_bytes.append(data, size);
        return true;
    }

private:
    QByteArray m_bytes;
};

// Writes the chunk at its offset into a restore's temporary file, so several chunks can be
// written in parallel. The pages wholly inside the chunk go through `directFd` (O_DIRECT, see
// DirectWriter); the partial pages at its ends, which it shares with its neighbours, go through
// the ordinary `fd`. No page is written by both paths.
class OffsetChunkWriter final : public ChunkWriter
{
public:
    // `hasher` (may be null) is offered every byte written, for the whole-file hash. The
    // expected size is `chunkSize` from the start (see setExpectedSize()).
    OffsetChunkWriter(int fd, int directFd, qint64 fileOffset, qint64 chunkSize, QString fileName,
                      FollowingHasher* hasher = nullptr);
    ~OffsetChunkWriter() override;
    void restart() override;

protected:
    bool store(qint64 position, const char* data, qint64 size) override;

private:
    bool fail();

    int m_fd;
    int m_directFd;
    qint64 m_fileOffset;
    qint64 m_chunkSize;
    QString m_fileName;
    FollowingHasher* m_hasher;
    std::unique_ptr<DirectWriter> m_middle; // staging for the aligned middle
    qint64 m_staged = 0;                    // bytes in m_middle's buffer
};

} // namespace mf
