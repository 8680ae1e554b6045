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
    // Writes a whole chunk the caller has already checked against `sha256` (a chunk decoded from
    // its shards is, on the decoding thread): stored without hashing it again on this thread,
    // and digest() is that `sha256`. After restart() only.
    bool writeChecked(const QByteArray& bytes, const QByteArray& sha256);
    QString errorString() const override { return m_error; }

    // Forget what was written so far: the next replica's bytes start from the beginning.
    virtual void restart();
    qint64 written() const { return m_written; }
    // The chunk's size. A replica that delivers more is damaged, and its extra bytes must not be
    // stored: they would land on the next chunk, or past the end of the file. write() then
    // fails and overflowed() says why. -1 (the default): no limit.
    void setExpectedSize(qint64 size) { m_expectedSize = size; }
    bool overflowed() const { return m_overflowed; }
    // Off: what passes through is not hashed, and digest() is empty. For a reader that checks
    // the bytes some other way (a shard is checked by the chunk decoded from it: ShardGather).
    void setHashing(bool on) { m_hashing = on; }
    QByteArray digest()
    {
        if (!m_checked.isEmpty())
            return m_checked;
        return m_hashing ? m_hash.result() : QByteArray();
    }

protected:
    // Stores bytes at `position` within the chunk; false and m_error on failure.
    virtual bool store(qint64 position, const char* data, qint64 size) = 0;
    qint64 expectedSize() const { return m_expectedSize; }
    QString m_error;

private:
    // The next bytes after those written, within the expected size; not hashed.
    bool storeNext(const char* data, qint64 size);

    Sha256 m_hash;
    QByteArray m_checked; // writeChecked()'s digest
    qint64 m_written = 0;
    qint64 m_expectedSize = -1;
    bool m_overflowed = false;
    bool m_hashing = true;
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
    bool store(qint64 position, const char* data, qint64 size) override
    {
        // Room for the whole chunk at once, rather than copied again at each growth.
        if (position == 0 && expectedSize() > 0)
            m_bytes.reserve(expectedSize());
        m_bytes.append(data, size);
        return true;
    }

private:
    QByteArray m_bytes;
};

} // namespace mf
