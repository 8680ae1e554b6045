#include "filescanner.h"

#include "chunkboundaryfinder.h"
#include "cid.h"
#include "sha256.h"

#include <QFile>
#include <QMetaObject>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace mf {

namespace {

constexpr qsizetype ReadBlockSize = 1 << 20;
// Blocks waiting for the hashing thread. Enough to absorb jitter between the two threads;
// together with the reader's own block this bounds the scanner's own memory at ~10 MiB (the
// kept bytes of reported chunks, when kept, are bounded apart: maxHeldBytes).
constexpr size_t HashQueueCapacity = 8;
constexpr auto ProgressInterval = std::chrono::milliseconds(100);

class FdCloser final
{
public:
    explicit FdCloser(int fd)
        : m_fd(fd)
    {}
    ~FdCloser() { ::close(m_fd); }
    Q_DISABLE_COPY_MOVE(FdCloser)

private:
    int m_fd;
};

// A chunk that ends in a block, as the reader cut it.
struct ChunkEnd
{
    qsizetype endInBlock = 0; // bytes of the block that belong to it and to chunks before it
    qint64 offset = 0;
    qint64 size = 0;
    QByteArray sha256;
};

// A block read from the file, for the hashing thread, with the chunks that end in it. The last
// chunk of a file ends after the last block: it comes in an empty block of its own.
struct HashItem
{
    QByteArray block;
    std::vector<ChunkEnd> ends;
};

// What the reader thread hands back to the owner at the end.
struct Outcome
{
    QString error;
    bool cancelled = false;
    QByteArray fileSha256;
    qint64 bytesRead = 0;
};

} // namespace

struct FileScanner::Private
{
    FileScanner* q = nullptr;
    QString path;
    ChunkerParams params;
    int maxPending = 16;
    qint64 maxHeldBytes = 0; // 0: chunk bytes are not kept

    // Owner-thread state: written only by the owner's thread (directly or in queued calls).
    bool started = false;
    bool abortRequested = false;
    bool finished = false;
    Outcome outcome;
    FileSnapshot snapshot;

    // Shared by the threads, guarded by `mutex`.
    std::mutex mutex;
    std::condition_variable acknowledged; // the owner acknowledged chunks, or stop
    std::condition_variable queueChanged; // a block was queued or taken, or stop
    std::atomic<bool> stop{false};        // set under `mutex`, read anywhere
    int unacknowledged = 0;
    qint64 heldBytes = 0; // of the unacknowledged chunks, when their bytes are kept
    std::deque<HashItem> hashQueue;
    bool hashQueueClosed = false;
    // Blocks the hashing thread is done with, for the reader to fill again: reusing them saves
    // a page fault per 4 KiB that fresh 1 MiB allocations cost.
    std::vector<QByteArray> spareBlocks;
    QByteArray wholeFileSha; // written by the hashing thread before it ends

    std::thread reader;

    void requestStop()
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            stop = true;
        }
        acknowledged.notify_all();
        queueChanged.notify_all();
    }

    QString cancelledMessage() const
    {
        return QStringLiteral("Reading “%1” was cancelled").arg(path);
    }

    // --- reader thread -------------------------------------------------------------------
    void run();
    Outcome scan();
    Outcome scanOpenFile(int fd, const FileSnapshot& opened);
    bool readBlock(int fd, qint64 wanted, QByteArray* block, QString* error);
    bool queueForHash(HashItem item);
    void postProgress(qint64 done, qint64 total);

    // --- hashing thread ------------------------------------------------------------------
    void hashWholeFileAndLeaves();
    bool deliverChunk(const ChunkEnd& end, const unixfs::Node& dag, ChunkBytes bytes);

    // --- owner thread --------------------------------------------------------------------
    void onOpened(const FileSnapshot& s) { snapshot = s; }
    void onChunk(const ScannedChunk& chunk)
    {
        if (!abortRequested)
            Q_EMIT q->chunkScanned(chunk); // last: the receiver may delete the scanner
    }
    void onProgress(qint64 done, qint64 total)
    {
        if (!abortRequested)
            Q_EMIT q->progress(done, total);
    }
    void onFinished(const Outcome& result)
    {
        outcome = result;
        // After abort() the end is always "cancelled", even if the reader got to the end (or
        // to an error) first: chunks were dropped since, and the owner asked for this answer.
        if (abortRequested && !outcome.cancelled) {
            outcome = Outcome{};
            outcome.cancelled = true;
            outcome.error = cancelledMessage();
        }
        finished = true;
        Q_EMIT q->finished();
    }
};

FileScanner::FileScanner(const QString& path, const ChunkerParams& params, QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    qRegisterMetaType<mf::ScannedChunk>();
    d->q = this;
    d->path = path;
    d->params = params;
}

FileScanner::~FileScanner()
{
    // Wakes the reader wherever it waits (back-pressure, full hash queue) and waits for it;
    // it never blocks on the owner. Results it already posted die with this QObject.
    d->requestStop();
    if (d->reader.joinable())
        d->reader.join();
}

void FileScanner::setMaxPendingChunks(int count)
{
    Q_ASSERT(!d->started);
    d->maxPending = qMax(1, count);
}

void FileScanner::setKeepBytes(qint64 maxHeldBytes)
{
    Q_ASSERT(!d->started);
    d->maxHeldBytes = qMax<qint64>(1, maxHeldBytes);
}

void FileScanner::start()
{
    if (d->started)
        return;
    d->started = true;
    if (!d->params.isValid()) {
        Outcome bad;
        bad.error = QStringLiteral("Cannot read “%1”: invalid chunker setting %2")
                        .arg(d->path, d->params.toString());
        QMetaObject::invokeMethod(
            this, [this, bad] { d->onFinished(bad); }, Qt::QueuedConnection);
        return;
    }
    d->reader = std::thread([this] { d->run(); });
}

void FileScanner::abort()
{
    if (d->abortRequested || d->finished)
        return;
    d->abortRequested = true;
    if (!d->started) {
        // Nothing runs yet: finish from the event loop, as promised, never from inside abort().
        d->started = true;
        Outcome cancelled;
        cancelled.cancelled = true;
        cancelled.error = d->cancelledMessage();
        QMetaObject::invokeMethod(
            this, [this, cancelled] { d->onFinished(cancelled); }, Qt::QueuedConnection);
        return;
    }
    d->requestStop();
}

void FileScanner::acknowledge(const ScannedChunk& chunk, int count)
{
    {
        std::lock_guard<std::mutex> lock(d->mutex);
        d->unacknowledged = qMax(0, d->unacknowledged - count);
        if (d->maxHeldBytes > 0)
            d->heldBytes = qMax<qint64>(0, d->heldBytes - chunk.size * count);
    }
    d->acknowledged.notify_all();
}

bool FileScanner::isFinished() const
{
    return d->finished;
}
QString FileScanner::errorString() const
{
    return d->outcome.error;
}
bool FileScanner::wasCancelled() const
{
    return d->outcome.cancelled;
}
QByteArray FileScanner::fileSha256() const
{
    return d->outcome.fileSha256;
}
qint64 FileScanner::fileSize() const
{
    return d->outcome.bytesRead;
}
FileSnapshot FileScanner::snapshot() const
{
    return d->snapshot;
}

void FileScanner::Private::run()
{
    const Outcome result = scan();
    QMetaObject::invokeMethod(
        q, [this, result] { onFinished(result); }, Qt::QueuedConnection);
}

Outcome FileScanner::Private::scan()
{
    Outcome result;
    // O_NONBLOCK so that a FIFO cannot hang the open; it is cleared again for regular files.
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int err = errno;
        result.error =
            err == ENOENT
                ? QStringLiteral("“%1” does not exist").arg(path)
                : QStringLiteral("“%1” cannot be read: %2").arg(path, qt_error_string(err));
        return result;
    }
    const FdCloser closer(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        result.error = QStringLiteral("“%1” cannot be read: %2").arg(path, qt_error_string(errno));
        return result;
    }
    if (S_ISDIR(st.st_mode)) {
        result.error = QStringLiteral("“%1” is a directory, not a file").arg(path);
        return result;
    }
    if (!S_ISREG(st.st_mode)) {
        result.error = QStringLiteral("“%1” is not a regular file").arg(path);
        return result;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    QString error;
    const std::optional<FileSnapshot> opened = FileSnapshot::ofDescriptor(fd, &error);
    if (!opened) {
        result.error = QStringLiteral("“%1” cannot be read: %2").arg(path, error);
        return result;
    }
    const FileSnapshot s = *opened;
    QMetaObject::invokeMethod(
        q, [this, s] { onOpened(s); }, Qt::QueuedConnection);

    std::thread hasher([this] { hashWholeFileAndLeaves(); });
    result = scanOpenFile(fd, *opened);
    {
        std::lock_guard<std::mutex> lock(mutex);
        hashQueueClosed = true;
    }
    queueChanged.notify_all();
    hasher.join();
    if (result.error.isEmpty() && !result.cancelled)
        result.fileSha256 = wholeFileSha;
    return result;
}

Outcome FileScanner::Private::scanOpenFile(int fd, const FileSnapshot& opened)
{
    Outcome result;
    const auto cancel = [&] {
        result.cancelled = true;
        result.error = cancelledMessage();
        return result;
    };
    const QString changed = QStringLiteral("“%1” changed while it was being read; float it "
                                           "again once it is no longer being written")
                                .arg(path);

    ChunkBoundaryFinder finder(params);
    Sha256 chunkSha;
    qint64 position = 0;
    qint64 chunkStart = 0;
    auto lastProgress = std::chrono::steady_clock::now();
    postProgress(0, opened.size);

    while (position < opened.size) {
        if (stop)
            return cancel();
        QByteArray block;
        QString error;
        if (!readBlock(fd, qMin<qint64>(ReadBlockSize, opened.size - position), &block, &error)) {
            result.error = error;
            return result;
        }
        if (block.isEmpty()) { // end of file before the size fstat() gave: truncated
            result.error = changed;
            return result;
        }
        // Cut and hash the chunks in this block; the hashing thread then hashes it whole and
        // in leaves while we read and cut the next one.
        HashItem item;
        const auto* p = reinterpret_cast<const uchar*>(block.constData());
        qsizetype left = block.size();
        while (left > 0) {
            bool boundary = false;
            const qsizetype used = finder.feed(p, left, &boundary);
            chunkSha.addData(p, used);
            p += used;
            left -= used;
            position += used;
            if (boundary) {
                item.ends.push_back(
                    {block.size() - left, chunkStart, position - chunkStart, chunkSha.result()});
                chunkStart = position;
            }
        }
        item.block = std::move(block);
        if (!queueForHash(std::move(item)))
            return cancel();
        result.bytesRead = position;
        const auto now = std::chrono::steady_clock::now();
        if (now - lastProgress >= ProgressInterval) {
            lastProgress = now;
            postProgress(position, opened.size);
        }
    }
    if (finder.pendingSize() > 0) {
        HashItem last;
        last.ends.push_back({0, chunkStart, position - chunkStart, chunkSha.result()});
        if (!queueForHash(std::move(last)))
            return cancel();
    }

    // Same size, times, inode and device as when opened, or what we read is not one version.
    QString error;
    const std::optional<FileSnapshot> now = FileSnapshot::ofDescriptor(fd, &error);
    if (!now) {
        result.error = QStringLiteral("“%1” cannot be read: %2").arg(path, error);
        return result;
    }
    if (*now != opened) {
        result.error = changed;
        return result;
    }
    postProgress(position, opened.size);
    return result;
}

bool FileScanner::Private::readBlock(int fd, qint64 wanted, QByteArray* block, QString* error)
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (!spareBlocks.empty()) {
            *block = std::move(spareBlocks.back());
            spareBlocks.pop_back();
        }
    }
    // A spare block is no longer shared: the hashing thread let go of it, and the reader's own
    // copy of the previous block is gone. So resizing and writing do not detach (copy) it.
    block->resize(qsizetype(wanted));
    qint64 filled = 0;
    while (filled < wanted) {
        const ssize_t got = ::read(fd, block->data() + filled, size_t(wanted - filled));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            *error = QStringLiteral("“%1” could not be read: %2").arg(path, qt_error_string(errno));
            return false;
        }
        if (got == 0)
            break;
        filled += got;
    }
    block->truncate(qsizetype(filled));
    return true;
}

bool FileScanner::Private::queueForHash(HashItem item)
{
    {
        std::unique_lock<std::mutex> lock(mutex);
        queueChanged.wait(lock, [this] { return stop || hashQueue.size() < HashQueueCapacity; });
        if (stop)
            return false;
        hashQueue.push_back(std::move(item));
    }
    queueChanged.notify_all();
    return true;
}

bool FileScanner::Private::deliverChunk(const ChunkEnd& end, const unixfs::Node& dag,
                                        ChunkBytes bytes)
{
    {
        std::unique_lock<std::mutex> lock(mutex);
        // Room for one more: under both limits, or nothing pending at all (a chunk larger than
        // the byte limit still goes, alone).
        const auto room = [this, &end] {
            if (unacknowledged >= maxPending)
                return false;
            return maxHeldBytes == 0 || unacknowledged == 0 || heldBytes + end.size <= maxHeldBytes;
        };
        acknowledged.wait(lock, [this, &room] { return stop || room(); });
        if (stop)
            return false;
        ++unacknowledged;
        if (maxHeldBytes > 0)
            heldBytes += end.size;
    }
    ScannedChunk chunk;
    chunk.offset = end.offset;
    chunk.size = end.size;
    chunk.sha256 = end.sha256;
    chunk.cid = cid::fromSha256(end.sha256);
    chunk.dag = dag;
    chunk.bytes = std::move(bytes);
    QMetaObject::invokeMethod(
        q, [this, chunk] { onChunk(chunk); }, Qt::QueuedConnection);
    return true;
}

void FileScanner::Private::postProgress(qint64 done, qint64 total)
{
    QMetaObject::invokeMethod(
        q, [this, done, total] { onProgress(done, total); }, Qt::QueuedConnection);
}

void FileScanner::Private::hashWholeFileAndLeaves()
{
    // Chunks of at most a leaf are their own single leaf: nothing more to hash.
    const bool chunksHaveLeaves = params.largestChunk() > unixfs::LeafBytes;
    const bool keepBytes = maxHeldBytes > 0;
    Sha256 sha;
    unixfs::FileDagBuilder leaves;
    ChunkBytes current; // the kept bytes of the chunk being cut
    for (;;) {
        HashItem item;
        {
            std::unique_lock<std::mutex> lock(mutex);
            queueChanged.wait(lock,
                              [this] { return stop || hashQueueClosed || !hashQueue.empty(); });
            if (stop)
                return;
            if (hashQueue.empty()) // closed and drained
                break;
            item = std::move(hashQueue.front());
            hashQueue.pop_front();
        }
        queueChanged.notify_all();
        sha.addData(item.block);
        const auto* bytes = reinterpret_cast<const uchar*>(item.block.constData());
        qsizetype done = 0;
        for (const ChunkEnd& end : item.ends) {
            if (chunksHaveLeaves)
                leaves.addBytes(bytes + done, end.endInBlock - done);
            if (keepBytes)
                current.append(item.block, done, end.endInBlock - done);
            done = end.endInBlock;
            const unixfs::Node dag = chunksHaveLeaves
                                         ? leaves.endChunk()
                                         : unixfs::rawLeaf(end.sha256, quint64(end.size));
            if (!deliverChunk(end, dag, std::exchange(current, {})))
                return;
        }
        if (chunksHaveLeaves)
            leaves.addBytes(bytes + done, item.block.size() - done);
        if (keepBytes) {
            // The block's bytes are the next chunk's now: it is not reused.
            current.append(item.block, done, item.block.size() - done);
            continue;
        }
        std::lock_guard<std::mutex> lock(mutex);
        if (spareBlocks.size() < HashQueueCapacity && !item.block.isEmpty())
            spareBlocks.push_back(std::move(item.block));
    }
    wholeFileSha = sha.result();
}

} // namespace mf
