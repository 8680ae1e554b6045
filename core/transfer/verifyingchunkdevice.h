#pragma once

#include "chunking/sha256.h"

#include <QIODevice>

#include <atomic>
#include <memory>

namespace mf {

// What a put reads its bytes through when they were read again rather than held since they
// were hashed: a repair's copy from another provider, or a ChunkSource that reads its chunks
// back (ChunkSource::holdsHashedBytes()). Delivers the bytes of `source` unchanged and hashes
// them as they go, and before it delivers the last of them checks that they hash to the chunk's
// CID. If they do not (a copy is not what it claims to be, a source changed), that last read fails
// with `mismatchError` and sets `*mismatched`, so the provider's put fails and publishes
// nothing: a provider never holds bytes under a CID they do not hash to. The hash costs one
// SHA-256 pass on the thread that reads the device, which is the put's own.
//
// Random access, like the sources puts read: a seek back starts the hash over, and a read
// ahead of what was hashed first hashes the bytes it skips.
class VerifyingChunkDevice final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VerifyingChunkDevice)

public:
    // `source` is open for reading and holds the chunk's `size` bytes from its position 0.
    // `mismatched` may be null; it is set from whichever thread reads the device.
    VerifyingChunkDevice(std::unique_ptr<QIODevice> source, const QString& cid, qint64 size,
                         const QString& mismatchError,
                         std::shared_ptr<std::atomic_bool> mismatched = {},
                         QObject* parent = nullptr);
    ~VerifyingChunkDevice() override;

    bool open(OpenMode mode) override;
    void close() override;
    bool isSequential() const override { return false; }
    qint64 size() const override { return m_size; }
    bool seek(qint64 pos) override;

protected:
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    // Hashes the source's bytes [m_hashed, position): 1, or 0 if it ends first, -1 if it fails.
    qint64 hashUpTo(qint64 position);
    qint64 readSource(char* data, qint64 size); // whole `size` unless the source ends or fails
    qint64 fail(const QString& error);
    qint64 mismatch();

    std::unique_ptr<QIODevice> m_source;
    QByteArray m_expected; // the SHA-256 in the CID; empty if it is not a valid chunk CID
    qint64 m_size;
    QString m_mismatchError;
    std::shared_ptr<std::atomic_bool> m_mismatched;
    Sha256 m_hash;
    qint64 m_hashed = 0;   // m_hash holds the bytes [0, m_hashed) until all are checked
    bool m_failed = false; // a mismatch: every later read fails too
};

} // namespace mf
