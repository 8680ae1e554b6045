#pragma once

#include "mounttree.h"
#include "registry/records.h"

#include <QObject>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

namespace mf {

class ChunkCache;
class ChunkLoad;
class Vault;

// The mount's way into the one read path: a file's bytes are read from the chunk cache, and the
// chunks missing there are each loaded by a ChunkLoad (fetched from the fastest replica and
// verified against its CID into the cache, transfer/chunkload.h) — what `cat` and the local API
// do through RangeJob. Lives on the engine thread, where the vault, the registry and the loads
// are; its public calls marked "FUSE thread" are made by the FUSE loop's own threads and block
// only their caller while the engine thread does the work (a queued call and a condition
// variable: no event loop runs anywhere but the engine's own).
//
// A chunk already in the cache is read on the FUSE thread itself, without a trip to the engine.
// A chunk no intact copy can be found of ends the read with EIO: never a wrong byte. Sequential
// reads load the chunks ahead of them (ReadAheadChunks) before they are asked for.
class MountReads final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MountReads)

public:
    // As many chunks ahead as a restore has in flight from two providers (4 each).
    static constexpr int ReadAheadChunks = 8;
    // Loads for the read-ahead in flight at once; what a reader waits for is never held back.
    static constexpr int MaxReadAheadLoads = 8;
    // A read that starts this close to where the last one ended continues a sequential read:
    // the kernel's read-ahead sends several requests at once, which FUSE threads answer in any
    // order.
    static constexpr qint64 SequentialSlack = qint64(4) << 20;

    // A file open through the mount: its chunks, and descriptors on the chunks it read lately.
    struct File;

    explicit MountReads(Vault* vault, QObject* parent = nullptr);
    ~MountReads() override;

    // FUSE thread: the tree as last built.
    std::shared_ptr<const MountTree> tree() const;
    // FUSE thread: builds the tree again from the registry (a model floated or removed by any
    // process appears or goes) and waits for it.
    void refresh();
    // FUSE thread: opens the file `fileId` of `size` bytes; null and *error (an errno) if not.
    // It stays open until close(), or until this object goes (a mount ended while a program
    // still held the file: it never sees a release).
    File* open(qint64 fileId, qint64 size, int* error);
    // FUSE thread: the kernel released the file (no read of it runs any more).
    void close(File* file);
    // FUSE thread: reads up to `size` bytes at `offset` into `buffer`; the count, or -errno.
    qint64 read(File& file, char* buffer, qint64 size, qint64 offset);

    // Engine thread: ends every wait with EIO, and every later call fails at once. Called
    // before the FUSE loop is stopped, so that no FUSE thread waits on an engine that no longer
    // answers.
    void stop();
    // Engine thread.
    void rebuildTree();

Q_SIGNALS:
    // A replica found bad, a chunk that could not be read: for the user's log.
    void warning(const QString& message);

private:
    struct Call;
    using Waiter = std::function<void(int fd, int error)>;
    struct Pending
    {
        std::unique_ptr<ChunkLoad> load;
        std::vector<Waiter> waiters; // none: a read-ahead
    };

    // FUSE thread: queues `work` on the engine thread and waits until it calls done(); false
    // (EIO) once stopped.
    bool call(const std::shared_ptr<Call>& c,
              std::function<void(const std::shared_ptr<Call>&)> work);
    static void done(const std::shared_ptr<Call>& c, int error = 0);
    // Engine thread: loads `chunk` (one load per chunk however many wait for it); `waiter`,
    // if any, gets its own descriptor, or -1 and an errno.
    void load(const FileChunk& chunk, Waiter waiter);
    void onLoaded(const QString& cid);
    void readAhead(File& file, int lastChunk);

    Vault* m_vault;
    ChunkCache* m_cache;
    mutable std::mutex m_mutex; // m_tree, m_calls, m_open, m_stopped
    std::shared_ptr<const MountTree> m_tree;
    std::set<std::shared_ptr<Call>> m_calls;
    std::unordered_map<File*, std::unique_ptr<File>> m_open;
    bool m_stopped = false;
    std::unordered_map<QString, Pending> m_loads; // engine thread only
    int m_readAheadLoads = 0;                     // engine thread only
};

} // namespace mf
