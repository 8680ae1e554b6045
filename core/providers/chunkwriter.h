#pragma once

#include "bytesink.h"
#include "chunking/sha256.h"

#include <QString>

namespace mf {

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

} // namespace mf
