#include "mountreads.h"

#include "transfer/chunkload.h"
#include "vault/chunkcache.h"
#include "vault/vault.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace mf {

namespace {
// A descriptor shared by the reads of one file; closed when the last of them is done with it.
struct Descriptor
{
    explicit Descriptor(int f)
        : fd(f)
    {}
    ~Descriptor() { ::close(fd); }
    Q_DISABLE_COPY_MOVE(Descriptor)
    int fd;
};

// Reads exactly `size` bytes at `offset`; false on an error or a short file.
bool readFully(int fd, char* buffer, qint64 size, qint64 offset)
{
    while (size > 0) {
        const ssize_t n = ::pread(fd, buffer, size_t(size), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buffer += n;
        size -= n;
        offset += n;
    }
    return true;
}
} // namespace

struct MountReads::Call
{
    std::mutex mutex;
    std::condition_variable cv;
    bool finished = false;
    int error = 0;
    // open(): the file's chunks; read(): the chunks to load, and their descriptors.
    std::vector<FileChunk> chunks;
    std::vector<int> fds;
    size_t remaining = 0;
};

struct MountReads::File
{
    qint64 size = 0;
    std::vector<FileChunk> chunks;
    std::mutex mutex; // what follows
    // Descriptors on the chunks read lately, most recent last.
    std::vector<std::pair<int, std::shared_ptr<Descriptor>>> recent;
    qint64 nextSequential = -1;
    int readAheadTo = -1; // chunks up to this one were asked for ahead

    std::shared_ptr<Descriptor> recentFor(int index)
    {
        std::lock_guard lock(mutex);
        for (const auto& [i, d] : recent)
            if (i == index)
                return d;
        return nullptr;
    }
    void remember(int index, const std::shared_ptr<Descriptor>& d)
    {
        std::lock_guard lock(mutex);
        constexpr size_t Kept = 8;
        if (recent.size() >= Kept)
            recent.erase(recent.begin());
        recent.emplace_back(index, d);
    }
};

MountReads::MountReads(Vault* vault, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_cache(&vault->chunkCache())
    , m_tree(MountTree::build(vault->registry()))
{}

MountReads::~MountReads()
{
    stop();
}

std::shared_ptr<const MountTree> MountReads::tree() const
{
    std::lock_guard lock(m_mutex);
    return m_tree;
}

void MountReads::rebuildTree()
{
    std::shared_ptr<const MountTree> tree = MountTree::build(m_vault->registry());
    std::lock_guard lock(m_mutex);
    m_tree = std::move(tree);
}

void MountReads::stop()
{
    std::set<std::shared_ptr<Call>> calls;
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
        calls.swap(m_calls);
    }
    for (const auto& c : calls)
        done(c, EIO);
    for (auto& [cid, pending] : m_loads)
        pending.load->disconnect(this);
    m_loads.clear();
}

bool MountReads::call(const std::shared_ptr<Call>& c,
                      std::function<void(const std::shared_ptr<Call>&)> work)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopped)
            return false;
        m_calls.insert(c);
    }
    QMetaObject::invokeMethod(
        this, [c, work = std::move(work)] { work(c); }, Qt::QueuedConnection);
    {
        std::unique_lock lock(c->mutex);
        c->cv.wait(lock, [&] { return c->finished; });
    }
    std::lock_guard lock(m_mutex);
    m_calls.erase(c);
    return c->error == 0;
}

void MountReads::done(const std::shared_ptr<Call>& c, int error)
{
    std::lock_guard lock(c->mutex);
    if (c->finished)
        return;
    c->finished = true;
    c->error = error;
    c->cv.notify_all();
}

void MountReads::refresh()
{
    call(std::make_shared<Call>(), [this](const std::shared_ptr<Call>& c) {
        rebuildTree();
        done(c);
    });
}

MountReads::File* MountReads::open(qint64 fileId, qint64 size, int* error)
{
    auto c = std::make_shared<Call>();
    if (!call(c, [this, fileId](const std::shared_ptr<Call>& me) {
            const QList<FileChunk> chunks = m_vault->registry().modelRows().fileChunks(fileId);
            me->chunks.assign(chunks.begin(), chunks.end());
            done(me);
        })) {
        *error = EIO;
        return nullptr;
    }
    // The manifest must cover the file exactly, chunk after chunk; a file removed meanwhile has
    // none.
    qint64 at = 0;
    for (const FileChunk& chunk : c->chunks) {
        if (chunk.offset != at || chunk.size <= 0) {
            *error = EIO;
            return nullptr;
        }
        at += chunk.size;
    }
    if (at != size) {
        *error = c->chunks.empty() ? ENOENT : EIO;
        return nullptr;
    }
    auto file = std::make_unique<File>();
    file->size = size;
    file->chunks = std::move(c->chunks);
    File* handle = file.get();
    std::lock_guard lock(m_mutex);
    m_open.emplace(handle, std::move(file));
    return handle;
}

void MountReads::close(File* file)
{
    std::unique_ptr<File> closed;
    std::lock_guard lock(m_mutex);
    const auto it = m_open.find(file);
    if (it == m_open.end())
        return;
    closed = std::move(it->second); // freed after the lock, with its descriptors
    m_open.erase(it);
}

qint64 MountReads::read(File& file, char* buffer, qint64 size, qint64 offset)
{
    if (offset < 0)
        return -EINVAL;
    if (offset >= file.size || size <= 0)
        return 0;
    const qint64 end = qMin(file.size, offset + size);
    const auto byOffset = [](qint64 at, const FileChunk& c) { return at < c.offset; };
    const int first =
        int(std::upper_bound(file.chunks.begin(), file.chunks.end(), offset, byOffset) -
            file.chunks.begin()) -
        1;
    const int last =
        int(std::upper_bound(file.chunks.begin(), file.chunks.end(), end - 1, byOffset) -
            file.chunks.begin()) -
        1;
    std::vector<std::shared_ptr<Descriptor>> fds(size_t(last - first + 1));
    auto c = std::make_shared<Call>();
    std::vector<int> missing;
    for (int i = first; i <= last; ++i) {
        std::shared_ptr<Descriptor> d = file.recentFor(i);
        if (!d) {
            // In the cache: read here, no trip to the engine.
            const FileChunk& chunk = file.chunks[size_t(i)];
            const int fd = m_cache->open(chunk.cid, chunk.size);
            if (fd >= 0) {
                d = std::make_shared<Descriptor>(fd);
                file.remember(i, d);
            }
        }
        if (d) {
            fds[size_t(i - first)] = d;
        } else {
            missing.push_back(i);
            c->chunks.push_back(file.chunks[size_t(i)]);
        }
    }
    bool sequential = false;
    {
        std::lock_guard lock(file.mutex);
        sequential = offset == 0 || (file.nextSequential >= 0 &&
                                     qAbs(offset - file.nextSequential) <= SequentialSlack);
        file.nextSequential = end;
    }
    if (!missing.empty()) {
        c->fds.assign(missing.size(), -1);
        c->remaining = missing.size();
        const bool ok = call(c, [this](const std::shared_ptr<Call>& me) {
            for (size_t k = 0; k < me->chunks.size(); ++k)
                load(me->chunks[k], [me, k](int fd, int error) {
                    std::lock_guard lock(me->mutex);
                    if (me->finished) { // the mount stopped meanwhile
                        if (fd >= 0)
                            ::close(fd);
                        return;
                    }
                    me->fds[k] = fd;
                    if (error != 0)
                        me->error = error;
                    if (--me->remaining == 0) {
                        me->finished = true;
                        me->cv.notify_all();
                    }
                });
        });
        // Every descriptor handed over is owned now, whatever else failed.
        for (size_t k = 0; k < missing.size(); ++k) {
            if (c->fds[k] < 0)
                continue;
            auto d = std::make_shared<Descriptor>(c->fds[k]);
            file.remember(missing[k], d);
            fds[size_t(missing[k] - first)] = d;
        }
        if (!ok)
            return -EIO;
    }
    for (int i = first; i <= last; ++i) {
        const FileChunk& chunk = file.chunks[size_t(i)];
        const qint64 from = qMax(offset, chunk.offset);
        const qint64 to = qMin(end, chunk.offset + chunk.size);
        if (!readFully(fds[size_t(i - first)]->fd, buffer + (from - offset), to - from,
                       from - chunk.offset))
            return -EIO;
    }
    if (sequential)
        readAhead(file, last);
    return end - offset;
}

void MountReads::readAhead(File& file, int lastChunk)
{
    std::vector<FileChunk> ahead;
    {
        std::lock_guard lock(file.mutex);
        const int to = qMin(lastChunk + ReadAheadChunks, int(file.chunks.size()) - 1);
        // Chunks asked for by an earlier read of this run are not asked for again; after a
        // jump elsewhere, the run starts over.
        const bool sameRun = file.readAheadTo >= lastChunk && file.readAheadTo <= to;
        for (int i = (sameRun ? file.readAheadTo : lastChunk) + 1; i <= to; ++i)
            if (!m_cache->contains(file.chunks[size_t(i)].cid))
                ahead.push_back(file.chunks[size_t(i)]);
        file.readAheadTo = to;
    }
    if (ahead.empty())
        return;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopped)
            return;
    }
    QMetaObject::invokeMethod(
        this,
        [this, ahead = std::move(ahead)] {
            for (const FileChunk& chunk : ahead)
                if (m_readAheadLoads < MaxReadAheadLoads && !m_cache->contains(chunk.cid))
                    load(chunk, nullptr);
        },
        Qt::QueuedConnection);
}

void MountReads::load(const FileChunk& chunk, Waiter waiter)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopped) {
            if (waiter)
                waiter(-1, EIO);
            return;
        }
    }
    const auto it = m_loads.find(chunk.cid);
    if (it != m_loads.end()) {
        if (waiter) {
            if (it->second.waiters.empty())
                --m_readAheadLoads; // a reader waits for it now
            it->second.waiters.push_back(std::move(waiter));
        }
        return;
    }
    Pending pending;
    pending.load = std::make_unique<ChunkLoad>(
        m_vault, chunk, m_vault->registry().placementRows().placements(chunk.cid));
    if (waiter)
        pending.waiters.push_back(std::move(waiter));
    else
        ++m_readAheadLoads;
    ChunkLoad* loadJob = pending.load.get();
    const QString cid = chunk.cid;
    connect(loadJob, &ChunkLoad::finished, this, [this, cid] { onLoaded(cid); });
    m_loads.emplace(cid, std::move(pending));
    loadJob->start();
}

void MountReads::onLoaded(const QString& cid)
{
    const auto it = m_loads.find(cid);
    if (it == m_loads.end())
        return;
    Pending pending = std::move(it->second);
    m_loads.erase(it);
    if (pending.waiters.empty())
        --m_readAheadLoads;
    ChunkLoad& loaded = *pending.load;
    const Error& e = loaded.error();
    for (const QString& problem : loaded.problems())
        Q_EMIT warning(e.ok() ? problem + tr(" (another replica was used)") : problem);
    if (!e.ok() && e.kind != Error::Kind::Cancelled)
        Q_EMIT warning(e.message);
    const int fd = loaded.takeDescriptor();
    for (const Waiter& w : pending.waiters) {
        const int own = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
        w(own, own >= 0 ? 0 : EIO);
    }
    if (fd >= 0)
        ::close(fd);
    pending.load.release()->deleteLater();
}

} // namespace mf
