#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace mf {

class Sha256;

// Computes the SHA-256 of a file that a restore writes out of order (chunks fetched in
// parallel), on its own thread, so the whole-file hash costs little wall time beyond the fetch.
//
// Two sources feed it:
// - offer(): chunk writers hand over what they write, from whichever chunk, in any order: the
//   buffer they wrote from, shared (no copy), or a copy of a few bytes. Offers wait, keyed by
//   offset, until the hash reaches them, and are then hashed provisionally: their chunk is not
//   verified yet. A checkpoint of the hash is kept at every chunk start, so rollback() can undo
//   a chunk whose replica turned out bad.
// - the file itself, for the verified prefix (advanceTo()) that no offer covers.
// Waiting copies are bounded (offerLimit()); an offer that does not fit is read back from the
// file later instead. With a few chunks fetched in parallel, the copies nearly always fit, and
// the restored file is not read back at all.
// An offer may run over a chunk start: it is kept as one block per chunk.
class FollowingHasher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FollowingHasher)

public:
    // Bytes of offers kept waiting for the hash to reach them, at most, at first (offerLimit()).
    static constexpr qint64 MaxOfferedBytes = 32 << 20;
    // ... and once grown (setOfferLimit()): a restore whose links are slower than the hash grows
    // it, so that more chunks are fetched at once (FileAssembler::fetchMore).
    static constexpr qint64 MaxGrownOfferedBytes = 128 << 20;
    // Bytes that stay valid and unchanged for as long as anyone holds them.
    using SharedBytes = std::shared_ptr<const char>;

    // Neither descriptor is owned; `directFd` (-1: none) reads the same file with O_DIRECT.
    // `chunkOffsets`: where each chunk starts, in order.
    FollowingHasher(int fd, int directFd, qint64 size, QList<qint64> chunkOffsets,
                    QObject* parent = nullptr);
    ~FollowingHasher() override; // stops and joins the thread

    void start();
    // Stops the thread and waits for it; the descriptors may be closed afterwards.
    void stop();
    // Bytes [0, end) are written and verified.
    void advanceTo(qint64 end);
    // From any thread: bytes just written at `offset`, not yet verified; copied if kept.
    void offer(qint64 offset, const char* data, qint64 size);
    // The same, for bytes the caller no longer changes: kept as they are, without a copy.
    void offer(qint64 offset, SharedBytes data, qint64 size);
    // From any thread: the chunk starting at `chunkOffset` starts over; forget what was offered
    // of it, and undo what of it was hashed.
    void rollback(qint64 chunkOffset);

    // The bytes of offers kept waiting, at most: MaxOfferedBytes until set (up to
    // MaxGrownOfferedBytes) from the owner's thread.
    qint64 offerLimit() const { return m_offerLimit.load(std::memory_order_relaxed); }
    void setOfferLimit(qint64 bytes);

    // From any thread: where the hash stands (every byte before it is hashed, provisionally for
    // unverified chunks). A restore fetches no further ahead than offerLimit() past it, so that
    // every offer fits and nothing is read back from the disk.
    qint64 hashedTo() const { return m_hashedTo.load(std::memory_order_relaxed); }

    QByteArray digest() const { return m_digest; }
    QString errorString() const { return m_error; }
    qint64 bytesReadBack() const { return m_bytesReadBack; } // for tests and benchmarks

    // For tests only, set before start(): called on the hashing thread, without the lock, where
    // offer() and rollback() from other threads race with it, so that a test can replay a given
    // interleaving instead of hoping for it. `position` is the taken block's offset
    // (BlockTaken, before hashing it) or where the hash stands (Waiting, before each wait).
    enum class TestPoint { BlockTaken, Waiting };
    void setTestHook(std::function<void(TestPoint point, qint64 position)> hook)
    {
        m_testHook = std::move(hook);
    }

Q_SIGNALS:
    void finished(); // digest() or errorString() is set
    void advanced(); // hashedTo() passed a chunk start; queued, in the owner's thread

private:
    struct Bytes
    {
        SharedBytes data;
        qint64 size = 0;
    };
    // With the lock held: whether `size` bytes at `offset` are kept (not behind the hash, and
    // room for them); then keeps them, one block per chunk.
    bool fitsLocked(qint64 offset, qint64 size) const;
    void insertLocked(qint64 offset, const SharedBytes& data, qint64 size);
    void dropOfferedBefore(qint64 position); // with the lock held
    void run();
    qint64 readableLocked() const;
    qint64 nextBoundary(qint64 position) const; // the next chunk start, or the size

    int m_fd;
    int m_directFd;
    qint64 m_size;
    QList<qint64> m_chunkOffsets; // not changed after construction: read from any thread
    std::function<void(TestPoint, qint64)> m_testHook;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    // Guarded by m_mutex:
    qint64 m_available = 0;            // verified prefix
    qint64 m_position = 0;             // where the hash stands, between steps
    std::map<qint64, Bytes> m_offered; // waiting offers by offset, never overlapping
    qint64 m_queuedBytes = 0;
    qint64 m_rollbackTo = -1;
    // Also read without the lock, to leave a long read-back early.
    std::atomic<bool> m_stop{false};
    std::atomic<qint64> m_hashedTo{0};
    std::atomic<qint64> m_offerLimit{MaxOfferedBytes};
    // Results:
    qint64 m_bytesReadBack = 0;
    QByteArray m_digest;
    QString m_error;
};

} // namespace mf
