#pragma once

#include <QHash>
#include <QString>

#include <functional>

#include <mutex>

namespace mf {

// The chunks this computer read lately, on its disk: one file per chunk, named by its CID, in
// the vault's chunk-cache folder. Every read of a floating model (`cat`, the local API's byte
// ranges, the mount) goes through it (transfer/chunkload.h), so a chunk read twice is fetched
// once. What it holds was checked against its CID before it came in; a file found there when
// this process first opens it (another run left it) is checked again before any byte is used.
//
// It shares one budget on this computer's disk with the materialized cache (core/hub): the
// vault setting cache.max_bytes (Vault::cacheBudgetBytes, 100 GiB by default). Its room is what
// the materialized files leave (shareBudget), and a materialization evicts chunks before models
// (trim). Room for a chunk is reserved before its fetch starts, by evicting the least recently
// used chunks, so the two never hold more than the budget, fetches in flight included. A
// descriptor handed out stays readable after its chunk is evicted (the file is only unlinked).
//
// Thread-safe: the mount's FUSE threads read through it while the engine thread fills it.
class ChunkCache final
{
public:
    // The bytes the other caches of the budget hold (the materialized cache's), asked each time
    // room is made: another process may have materialized meanwhile. Called under the cache's
    // lock, so it must not call back into it.
    using OthersBytes = std::function<qint64()>;

    ChunkCache(const QString& directory, qint64 capBytes);
    Q_DISABLE_COPY_MOVE(ChunkCache)

    QString directory() const { return m_directory; }
    // The budget shared with the other caches.
    qint64 capBytes() const;
    void setCapBytes(qint64 capBytes);
    void shareBudget(OthersBytes others);
    // Evicts least recently used chunks until they fit `budget` beside `othersBytes` (a
    // materialization grew the others). The bytes evicted.
    qint64 trim(qint64 budget, qint64 othersBytes);
    // Bytes held: cached chunks (what an earlier run left included) and the room reserved for
    // fetches in flight.
    qint64 usedBytes();
    bool contains(const QString& cid) const;
    // Drops `cid` from the cache (an offload frees this computer of a model); the bytes it
    // held, 0 when it was not cached. A reader holding its descriptor keeps reading it.
    qint64 remove(const QString& cid);

    // A read-only descriptor (the caller closes it) on the verified bytes of `cid`, which has
    // `size` bytes, and the chunk becomes the most recently used; -1 when it is not cached.
    int open(const QString& cid, qint64 size);

    // Room for a chunk of `size` bytes about to be fetched: a new file in the cache folder,
    // opened for writing (its descriptor in *fd, its name in *tempPath), counted against the cap
    // from now on. False when the chunk cannot fit (larger than the cap, or the cap is taken by
    // fetches in flight) or the file cannot be made (*error says why, when it is not the cap).
    bool reserve(qint64 size, int* fd, QString* tempPath, QString* error);
    // The fetch into `tempPath` verified the chunk: it is cached under its CID. False (and the
    // file is removed) when it cannot be renamed.
    bool adopt(const QString& tempPath, const QString& cid, qint64 size);
    // The fetch failed: its file is removed and its room given back.
    void release(const QString& tempPath, qint64 size);

private:
    struct Entry
    {
        qint64 size = 0;
        quint64 lastUse = 0;
        bool verified = false; // checked by this process (fetched, or hashed on first open)
    };
    // Counts what an earlier run left, once; then evicts to fit unless told not to.
    void scanLocked(bool makeRoom = true);
    // Evicts least recently used chunks until `more` bytes fit under the cap beside the others.
    bool makeRoomLocked(qint64 more);
    // The same within `room` bytes for the chunks.
    bool evictLocked(qint64 room, qint64 more);
    // By value: callers pass the key of the entry it erases.
    void removeLocked(QString cid);
    QString pathOf(const QString& cid) const;

    const QString m_directory;
    mutable std::mutex m_mutex;
    qint64 m_cap;
    OthersBytes m_others;
    qint64 m_cached = 0;   // bytes of m_entries
    qint64 m_reserved = 0; // bytes of fetches in flight
    quint64 m_clock = 0;
    bool m_scanned = false;
    QHash<QString, Entry> m_entries;
};

} // namespace mf
