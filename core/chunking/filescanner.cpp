#include "filescanner.h"

#include "chunkboundaryfinder.h"
#include "cid.h"
#include "sha256.h"
#include "util/alignedbuffers.h"

#include <QFile>
#include <QMetaObject>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
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

// The reader's unit of memory: one UnixFS leaf (docs/cids.md), aligned for direct I/O. Every
// chunk starts at the start of a segment (the bytes after a cut move to a new one), so a chunk's
// leaves are exactly its segments and its object can be written to disk straight from them.
constexpr qsizetype SegmentBytes = qsizetype(unixfs::LeafBytes);
static_assert(SegmentBytes % alignedbuffers::Alignment == 0);

// The memory a chunk's kept bytes hold: whole segments, since each chunk starts a segment of its
// own (a chunk of 1.1 MiB holds two).
qint64 segmentBytesOf(qint64 chunkSize)
{
    return (chunkSize + SegmentBytes - 1) / SegmentBytes * SegmentBytes;
}

// Items waiting for each hashing thread. Enough to absorb jitter between the threads; together
// with the reader's own segment this bounds the scanner's own memory at ~20 MiB (the kept bytes
// of reported chunks, when kept, are bounded apart: maxHeldBytes).
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

// Segments come from the process's pool of aligned buffers and go back to it when the last
// holder (a hashing thread, a chunk's kept bytes) lets go, even after the scanner is gone.
using Segment = alignedbuffers::Shared;

// A chunk as the reader cut it.
struct ChunkEnd
{
    qint64 offset = 0;
    qint64 size = 0;
};

// Bytes read from the file, in file order, for the whole-file hash.
struct ReadItem
{
    Segment segment;
    const char* data = nullptr;
    qsizetype size = 0;
};

// One leaf of a chunk: the first `size` bytes of `segment`; the chunk's last leaf carries how
// the chunk ended.
struct LeafItem
{
    Segment segment;
    qsizetype size = 0;
    bool endsChunk = false;
    ChunkEnd end;
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
    qint64 heldBytes = 0; // segments held by unacknowledged chunks, when their bytes are kept
    std::deque<ReadItem> readQueue; // for the whole-file hash
    std::deque<LeafItem> leafQueue; // for the chunks' and leaves' hashes, and delivery
    bool queuesClosed = false;
    QByteArray wholeFileSha; // written by the whole-file hashing thread before it ends
    // The hashes behind the reader, fed item by item by their own threads; for a file of one
    // segment or less by the reader itself, where starting two threads costs more than they
    // save (a float of 1,000 files of 16 KiB took 46% longer with them).
    bool inlineHashing = false;
    Sha256 wholeSha;
    unixfs::FileDagBuilder chunkDags; // hashes each chunk and its leaves in one pass
    ChunkBytes currentChunk;          // the kept bytes of the chunk being cut

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
    qsizetype readInto(int fd, char* into, qsizetype wanted, QString* error);
    template <typename Item> bool queue(std::deque<Item>& to, Item item);
    bool queueRead(ReadItem item);
    bool queueLeaf(LeafItem item);
    void postProgress(qint64 done, qint64 total);

    // --- hashing threads -----------------------------------------------------------------
    template <typename Item> bool takeNext(std::deque<Item>& from, Item* item);
    void hashWholeFile();
    void hashChunksAndDeliver();
    bool hashLeaf(const LeafItem& item); // false: stopped
    bool deliverChunk(const ChunkEnd& end, const QByteArray& sha256, const unixfs::Node& dag,
                      ChunkBytes bytes);

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
            d->heldBytes = qMax<qint64>(0, d->heldBytes - segmentBytesOf(chunk.size) * count);
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

    // Two threads hash behind the reader, so that two cores share the work evenly: one the whole
    // file, one the chunks and their leaves (one pass, NestedSha256), and it reports the chunks.
    // The reader reads and cuts.
    inlineHashing = opened->size <= SegmentBytes;
    std::thread wholeHasher;
    std::thread leafHasher;
    if (!inlineHashing) {
        wholeHasher = std::thread([this] { hashWholeFile(); });
        leafHasher = std::thread([this] { hashChunksAndDeliver(); });
    }
    result = scanOpenFile(fd, *opened);
    {
        std::lock_guard<std::mutex> lock(mutex);
        queuesClosed = true;
    }
    queueChanged.notify_all();
    if (wholeHasher.joinable())
        wholeHasher.join();
    if (leafHasher.joinable())
        leafHasher.join();
    if (inlineHashing && !stop)
        wholeFileSha = wholeSha.result();
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
    qint64 readTo = 0; // file bytes read
    qint64 chunkStart = 0;
    Segment segment = alignedbuffers::takeShared(SegmentBytes);
    qsizetype filled = 0;  // bytes of `segment` read (or carried over from the last one)
    qsizetype scanned = 0; // of them, fed to the chunker
    // File bytes fed to the chunker: what was read, less what waits in the segment.
    const auto scannedTo = [&] { return readTo - (filled - scanned); };
    auto lastProgress = std::chrono::steady_clock::now();
    postProgress(0, opened.size);

    for (;;) {
        // Cut the chunks in what was read; the hashing threads hash the same bytes as chunks and
        // leaves and as the whole file while we read and cut the next.
        while (scanned < filled) {
            bool boundary = false;
            const auto* p = reinterpret_cast<const uchar*>(segment.get()) + scanned;
            scanned += finder.feed(p, filled - scanned, &boundary);
            if (!boundary)
                continue;
            if (!queueLeaf(
                    LeafItem{segment, scanned, true, {chunkStart, scannedTo() - chunkStart}}))
                return cancel();
            chunkStart = scannedTo();
            // The next chunk starts a segment of its own (see SegmentBytes): a copy of at most
            // one segment per chunk, against one of every byte when its object is written.
            Segment next = alignedbuffers::takeShared(SegmentBytes);
            std::memcpy(next.get(), segment.get() + scanned, size_t(filled - scanned));
            filled -= scanned;
            scanned = 0;
            segment = std::move(next);
        }
        if (filled == SegmentBytes) { // a whole leaf of a chunk that goes on
            if (!queueLeaf(LeafItem{segment, filled, false, {}}))
                return cancel();
            segment = alignedbuffers::takeShared(SegmentBytes);
            filled = scanned = 0;
        }
        if (readTo == opened.size)
            break;
        if (stop)
            return cancel();
        QString error;
        const qsizetype got =
            readInto(fd, segment.get() + filled,
                     qsizetype(qMin<qint64>(SegmentBytes - filled, opened.size - readTo)), &error);
        if (got < 0) {
            result.error = error;
            return result;
        }
        if (got == 0) { // end of file before the size fstat() gave: truncated
            result.error = changed;
            return result;
        }
        if (!queueRead(ReadItem{segment, segment.get() + filled, got}))
            return cancel();
        filled += got;
        readTo += got;
        result.bytesRead = readTo;
        const auto now = std::chrono::steady_clock::now();
        if (now - lastProgress >= ProgressInterval) {
            lastProgress = now;
            postProgress(readTo, opened.size);
        }
    }
    if (finder.pendingSize() > 0 &&
        !queueLeaf(LeafItem{segment, filled, true, {chunkStart, scannedTo() - chunkStart}}))
        return cancel();

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
    postProgress(readTo, opened.size);
    return result;
}

qsizetype FileScanner::Private::readInto(int fd, char* into, qsizetype wanted, QString* error)
{
    qsizetype filled = 0;
    while (filled < wanted) {
        const ssize_t got = ::read(fd, into + filled, size_t(wanted - filled));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            *error = QStringLiteral("“%1” could not be read: %2").arg(path, qt_error_string(errno));
            return -1;
        }
        if (got == 0)
            break;
        filled += got;
    }
    return filled;
}

template <typename Item> bool FileScanner::Private::queue(std::deque<Item>& to, Item item)
{
    {
        std::unique_lock<std::mutex> lock(mutex);
        queueChanged.wait(lock, [this, &to] { return stop || to.size() < HashQueueCapacity; });
        if (stop)
            return false;
        to.push_back(std::move(item));
    }
    queueChanged.notify_all();
    return true;
}

bool FileScanner::Private::queueRead(ReadItem item)
{
    if (!inlineHashing)
        return queue(readQueue, std::move(item));
    wholeSha.addData(item.data, item.size);
    return !stop;
}

bool FileScanner::Private::queueLeaf(LeafItem item)
{
    return inlineHashing ? hashLeaf(item) : queue(leafQueue, std::move(item));
}

template <typename Item> bool FileScanner::Private::takeNext(std::deque<Item>& from, Item* item)
{
    {
        std::unique_lock<std::mutex> lock(mutex);
        queueChanged.wait(lock, [this, &from] { return stop || queuesClosed || !from.empty(); });
        if (stop || from.empty()) // stopped, or closed and drained
            return false;
        *item = std::move(from.front());
        from.pop_front();
    }
    queueChanged.notify_all();
    return true;
}

bool FileScanner::Private::deliverChunk(const ChunkEnd& end, const QByteArray& sha256,
                                        const unixfs::Node& dag, ChunkBytes bytes)
{
    {
        std::unique_lock<std::mutex> lock(mutex);
        // Room for one more: under both limits, or nothing pending at all (a chunk larger than
        // the byte limit still goes, alone).
        const auto room = [this, &end] {
            if (unacknowledged >= maxPending)
                return false;
            return maxHeldBytes == 0 || unacknowledged == 0 ||
                   heldBytes + segmentBytesOf(end.size) <= maxHeldBytes;
        };
        acknowledged.wait(lock, [this, &room] { return stop || room(); });
        if (stop)
            return false;
        ++unacknowledged;
        if (maxHeldBytes > 0)
            heldBytes += segmentBytesOf(end.size);
    }
    ScannedChunk chunk;
    chunk.offset = end.offset;
    chunk.size = end.size;
    chunk.sha256 = sha256;
    chunk.cid = cid::fromSha256(sha256);
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

void FileScanner::Private::hashWholeFile()
{
    ReadItem item;
    while (takeNext(readQueue, &item)) {
        wholeSha.addData(item.data, item.size);
        item = {};
    }
    if (!stop)
        wholeFileSha = wholeSha.result();
}

void FileScanner::Private::hashChunksAndDeliver()
{
    LeafItem item;
    while (takeNext(leafQueue, &item)) {
        if (!hashLeaf(item))
            return;
        item = {};
    }
}

bool FileScanner::Private::hashLeaf(const LeafItem& item)
{
    chunkDags.addBytes(reinterpret_cast<const uchar*>(item.segment.get()), item.size);
    if (maxHeldBytes > 0)
        currentChunk.append(item.segment, item.segment.get(), item.size);
    if (!item.endsChunk)
        return !stop;
    QByteArray sha256;
    const unixfs::Node dag = chunkDags.endChunk(&sha256);
    return deliverChunk(item.end, sha256, dag, std::exchange(currentChunk, {}));
}

} // namespace mf
