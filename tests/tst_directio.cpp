// Direct I/O with its buffered fallback: DirectWriter and DirectReader reproduce bytes exactly at
// aligned and unaligned positions, with and without an O_DIRECT descriptor, on a file system
// that may refuse O_DIRECT (tmpfs), and see what the other path wrote (page-cache coherency).
// OffsetChunkWriter: adjacent chunks with unaligned boundaries written concurrently, a replica
// that starts over, and one that delivers more than its chunk.

#include "testsupport.h"
#include "transfer/offsetchunkwriter.h"
#include "util/directreader.h"
#include "util/directwriter.h"

#include <QCryptographicHash>
#include <QDir>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <thread>
#include <unistd.h>

using namespace mf;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr qint64 Page = DirectWriter::Alignment;
constexpr int Timeout = 120000;
// Set in the child process tmpfs() starts in a user namespace when it may not mount.

// The whole content of a file, read through its path (a descriptor of its own).
QByteArray contents(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArrayLiteral("(unreadable)");
}

// A file of `size` background bytes, with a buffered read-write descriptor and, if asked and
// supported, O_DIRECT ones for writing and reading.
class TestFile
{
public:
    TestFile(const QString& filePath, const QByteArray& background, bool direct)
        : path(filePath)
    {
        if (!test::writeFile(path, background))
            return;
        const QByteArray name = QFile::encodeName(path);
        fd = ::open(name.constData(), O_RDWR | O_CLOEXEC);
        if (direct) {
            directWriteFd = DirectWriter::openDirect(name);
            directReadFd = DirectReader::openDirect(name);
        }
    }
    ~TestFile()
    {
        for (int f : {fd, directWriteFd, directReadFd}) {
            if (f >= 0)
                ::close(f);
        }
    }
    Q_DISABLE_COPY_MOVE(TestFile)

    QString path;
    int fd = -1;
    int directWriteFd = -1;
    int directReadFd = -1;
};

// Writes `stream` through a DirectWriter from `start` on, in pieces of the given sizes (cycled).
bool writeStream(DirectWriter& writer, const QByteArray& stream, const QList<qint64>& pieces)
{
    qint64 done = 0;
    for (qsizetype i = 0; done < stream.size(); ++i) {
        const qint64 n = qMin(pieces.at(i % pieces.size()), stream.size() - done);
        memcpy(writer.buffer(), stream.constData() + done, size_t(n));
        const qint64 before = writer.position();
        if (!writer.write(n) || writer.position() != before + n)
            return false;
        done += n;
    }
    return true;
}

// Reads [position, position + size) through `reader`, in as many calls as it takes.
QByteArray readAll(DirectReader& reader, qint64 position, qint64 size)
{
    QByteArray out;
    while (out.size() < size) {
        const qint64 n = reader.read(position + out.size(), size - out.size());
        if (n < 0)
            return QByteArrayLiteral("(read error)");
        if (n == 0)
            break;
        out.append(reader.buffer(), n);
    }
    return out;
}

// Chunk boundaries for `size` bytes: deliberately unaligned, with some chunks smaller than a
// page, one inside a single page, some spanning several staging blocks.
QList<qint64> awkwardChunks(qint64 size, std::mt19937_64& rng)
{
    const qint64 shapes[] = {
        1,          100,      Page - 1,     Page,
        Page + 1,   3 * Page, 64 * KiB + 5, DirectWriter::BlockSize + 3 * Page + 7,
        2 * MiB + 1};
    QList<qint64> offsets;
    for (qint64 at = 0; at < size;) {
        offsets.append(at);
        at += rng() % 3 == 0 ? shapes[rng() % std::size(shapes)]
                             : std::uniform_int_distribution<qint64>(1, 700 * KiB)(rng);
    }
    return offsets;
}

} // namespace

class TestDirectIo final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writerStream_data();
    void writerStream();
    void writerFromCallersMemory_data();
    void writerFromCallersMemory();
    void writerReusesStagingBuffers();
    void writerReportsFailure();
    void reader_data();
    void reader();
    void readerSeesBufferedWrites();
    void bufferedReadSeesDirectWrites();
    void tmpfs();
    void chunkWritersConcurrent_data();
    void chunkWritersConcurrent();
    void chunkWriterRestart_data();
    void chunkWriterRestart();
    void chunkWriterOverflow_data();
    void chunkWriterOverflow();
    void chunkWriterEmptyAndTiny();
    void chunkWriterTakesACheckedChunk();
};

void TestDirectIo::writerStream_data()
{
    QTest::addColumn<qint64>("start");
    QTest::addColumn<bool>("direct");
    QTest::addColumn<QList<qint64>>("pieces");
    const QList<qint64> odd = {DirectWriter::BlockSize, 5000, 3 * Page, 1, Page - 1, 777777};
    const QList<qint64> aligned = {DirectWriter::BlockSize, 2 * Page};
    for (bool direct : {true, false}) {
        const char* how = direct ? "direct" : "no direct fd";
        for (qint64 start : {qint64(0), qint64(12345), 3 * Page}) {
            QTest::addRow("odd pieces from %lld, %s", start, how) << start << direct << odd;
            QTest::addRow("page pieces from %lld, %s", start, how) << start << direct << aligned;
        }
    }
}

// A stream of pieces reproduces its bytes exactly and touches nothing before or after it.
void TestDirectIo::writerStream()
{
    QFETCH(qint64, start);
    QFETCH(bool, direct);
    QFETCH(QList<qint64>, pieces);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray stream = test::pseudoRandomBytes(5 * MiB + 4321, 1);
    const QByteArray background = test::pseudoRandomBytes(start + stream.size() + 10000, 2);
    TestFile file(dir.filePath(QStringLiteral("w.bin")), background, direct);
    QVERIFY(file.fd >= 0);
    if (direct)
        QVERIFY2(file.directWriteFd >= 0, "this file system (ext4 expected) refuses O_DIRECT");
    {
        DirectWriter writer(file.fd, file.directWriteFd, start);
        QCOMPARE(writer.position(), start);
        QCOMPARE(quintptr(writer.buffer()) % quintptr(Page), quintptr(0));
        QVERIFY(writeStream(writer, stream, pieces));
        QCOMPARE(writer.position(), start + stream.size());
    }
    QByteArray expected = background;
    expected.replace(start, stream.size(), stream);
    QCOMPARE(contents(file.path), expected);
}

// Bytes handed over from memory the writer does not own: straight from it when it is aligned,
// through the staging buffer when it is not, and the same bytes either way.
void TestDirectIo::writerFromCallersMemory_data()
{
    QTest::addColumn<qint64>("misalignment");
    QTest::newRow("aligned") << qint64(0);
    QTest::newRow("unaligned") << qint64(13);
}

void TestDirectIo::writerFromCallersMemory()
{
    QFETCH(qint64, misalignment);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 size = 3 * DirectWriter::BlockSize + 5 * Page + 77;
    const QByteArray stream = test::pseudoRandomBytes(size, 3);
    void* raw = nullptr;
    QCOMPARE(::posix_memalign(&raw, size_t(Page), size_t(size + Page)), 0);
    const std::unique_ptr<char, decltype(&std::free)> memory(static_cast<char*>(raw), &std::free);
    char* from = memory.get() + misalignment;
    memcpy(from, stream.constData(), size_t(size));
    TestFile file(dir.filePath(QStringLiteral("m.bin")), QByteArray(), true);
    QVERIFY(file.fd >= 0);
    QVERIFY2(file.directWriteFd >= 0, "this file system (ext4 expected) refuses O_DIRECT");
    {
        DirectWriter writer(file.fd, file.directWriteFd, 0);
        // Whole leaves, then the unaligned rest, as a chunk's pieces come.
        for (qint64 done = 0; done < size;) {
            const qint64 n = qMin(DirectWriter::BlockSize, size - done);
            QVERIFY(writer.write(from + done, n));
            done += n;
        }
        QCOMPARE(writer.position(), size);
    }
    QCOMPARE(contents(file.path), stream);
}

// A writer's staging buffer goes back to a pool when it ends, and the next writer of the same
// size gets it: a restore makes one writer per chunk, and fresh memory costs page faults.
void TestDirectIo::writerReusesStagingBuffers()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    TestFile file(dir.filePath(QStringLiteral("p.bin")), QByteArray(), true);
    QVERIFY(file.fd >= 0);
    constexpr qint64 Size = 3 * DirectWriter::BlockSize; // a size no other test uses
    char* first = nullptr;
    {
        DirectWriter writer(file.fd, file.directWriteFd, 0, Size);
        first = writer.buffer();
        QVERIFY(first);
        QCOMPARE(writer.buffer(), first);
    }
    DirectWriter next(file.fd, file.directWriteFd, 0, Size);
    QCOMPARE(next.buffer(), first);
    DirectWriter alongside(file.fd, file.directWriteFd, 0, Size);
    QVERIFY(alongside.buffer() != first);
}

// A write the descriptor refuses (not with EINVAL, which means "go buffered") fails with errno.
void TestDirectIo::writerReportsFailure()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("ro.bin"));
    QVERIFY(test::writeFile(path, QByteArray(3 * Page, 'x')));
    const QByteArray name = QFile::encodeName(path);
    const int readOnly = ::open(name.constData(), O_RDONLY | O_CLOEXEC);
    const int directReadOnly = DirectReader::openDirect(name);
    QVERIFY(readOnly >= 0);
    const auto closeFds = qScopeGuard([&] {
        ::close(readOnly);
        if (directReadOnly >= 0)
            ::close(directReadOnly);
    });
    for (int directFd : {directReadOnly, -1}) {
        DirectWriter writer(readOnly, directFd, 0);
        memset(writer.buffer(), 'y', size_t(2 * Page));
        errno = 0;
        QVERIFY(!writer.write(2 * Page));
        QCOMPARE(errno, EBADF);
        QCOMPARE(writer.position(), qint64(0));
    }
    QCOMPARE(contents(path), QByteArray(3 * Page, 'x'));
}

void TestDirectIo::reader_data()
{
    QTest::addColumn<bool>("direct");
    QTest::newRow("direct") << true;
    QTest::newRow("no direct fd") << false;
}

void TestDirectIo::reader()
{
    QFETCH(bool, direct);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 size = 3 * MiB + 1234; // the last page is partial
    const QByteArray data = test::pseudoRandomBytes(size, 3);
    TestFile file(dir.filePath(QStringLiteral("r.bin")), data, direct);
    QVERIFY(file.fd >= 0);
    if (direct)
        QVERIFY(file.directReadFd >= 0);
    DirectReader reader(file.fd, file.directReadFd);
    QCOMPARE(quintptr(reader.buffer()) % quintptr(Page), quintptr(0));
    const qint64 lastPage = size / Page * Page;
    const struct
    {
        qint64 position;
        qint64 size;
    } cases[] = {
        {0, 1},
        {0, Page},
        {0, DirectReader::BlockSize},
        {Page, 5000}, // aligned start, partial last page
        {1, 100},
        {Page - 1, 2},
        {Page + 1, DirectReader::BlockSize},
        {lastPage, Page},            // the partial last page
        {lastPage - Page, 3 * Page}, // into it
        {lastPage + 17, 100000},
        {size - 1, 10},
        {2 * MiB, DirectReader::BlockSize},
    };
    for (const auto& c : cases) {
        const qint64 n = reader.read(c.position, c.size);
        const qint64 expected = qMin(c.size, size - c.position);
        QVERIFY2(n == expected, qPrintable(QStringLiteral("read(%1, %2) = %3, expected %4")
                                               .arg(c.position)
                                               .arg(c.size)
                                               .arg(n)
                                               .arg(expected)));
        QVERIFY2(QByteArray(reader.buffer(), n) == data.mid(c.position, n),
                 qPrintable(QStringLiteral("read(%1, %2)").arg(c.position).arg(c.size)));
    }
    // More than a block is cut to a block.
    QCOMPARE(reader.read(0, DirectReader::BlockSize + 1), DirectReader::BlockSize);
    QCOMPARE(QByteArray(reader.buffer(), DirectReader::BlockSize),
             data.left(DirectReader::BlockSize));
    // At and past the end: 0.
    QCOMPARE(reader.read(size, 100), qint64(0));
    QCOMPARE(reader.read(lastPage + Page, Page), qint64(0));
    QCOMPARE(reader.read(size + 12345, 10), qint64(0));
    // The whole file, in calls.
    QCOMPARE(readAll(reader, 0, size), data);
    QCOMPARE(readAll(reader, 4097, size), data.mid(4097));
}

// Bytes written through the page cache (still dirty there) are what a direct read returns.
void TestDirectIo::readerSeesBufferedWrites()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 size = 2 * MiB + 100;
    const QByteArray old = test::pseudoRandomBytes(size, 4);
    TestFile file(dir.filePath(QStringLiteral("c.bin")), old, true);
    QVERIFY(file.fd >= 0 && file.directReadFd >= 0);
    QVERIFY(::fdatasync(file.fd) == 0); // the old bytes are on the device
    DirectReader reader(file.fd, file.directReadFd);
    QCOMPARE(readAll(reader, 0, size), old);

    QByteArray now = old;
    const QByteArray fresh = test::pseudoRandomBytes(size, 5);
    // Whole pages, a partial page in the middle of one, and the partial last page.
    for (const auto& [at, n] : {std::pair<qint64, qint64>{0, 3 * Page},
                                {5 * Page + 10, 100},
                                {MiB - 7, 3 * Page},
                                {size - 60, 60}}) {
        QCOMPARE(::pwrite(file.fd, fresh.constData() + at, size_t(n), at), ssize_t(n));
        now.replace(at, n, fresh.mid(at, n));
    }
    QCOMPARE(readAll(reader, 0, size), now);
    QCOMPARE(reader.read(5 * Page, Page), Page); // direct, aligned
    QCOMPARE(QByteArray(reader.buffer(), Page), now.mid(5 * Page, Page));
}

// The reverse: a page cached through the buffered descriptor, then written direct, reads back
// new through the buffered descriptor.
void TestDirectIo::bufferedReadSeesDirectWrites()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 size = 8 * Page;
    const QByteArray old = test::pseudoRandomBytes(size, 6);
    TestFile file(dir.filePath(QStringLiteral("d.bin")), old, true);
    QVERIFY(file.fd >= 0 && file.directWriteFd >= 0);
    QByteArray cached(size, Qt::Uninitialized);
    QCOMPARE(::pread(file.fd, cached.data(), size_t(size), 0), ssize_t(size));
    QCOMPARE(cached, old);
    const QByteArray fresh = test::pseudoRandomBytes(4 * Page, 7);
    DirectWriter writer(file.fd, file.directWriteFd, 2 * Page);
    memcpy(writer.buffer(), fresh.constData(), size_t(fresh.size()));
    QVERIFY(writer.write(fresh.size()));
    QByteArray after(size, Qt::Uninitialized);
    QCOMPARE(::pread(file.fd, after.data(), size_t(size), 0), ssize_t(size));
    QCOMPARE(after, QByteArray(old).replace(2 * Page, fresh.size(), fresh));
}

// On tmpfs, which refused O_DIRECT before Linux 6.6 and accepts it since: whichever it does,
// the bytes come out exact.
void TestDirectIo::tmpfs()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString mountPoint = dir.filePath(QStringLiteral("tmpfs"));
    QVERIFY(QDir().mkpath(mountPoint));
    if (!test::mountTmpfsOrRerunInNamespace(mountPoint, QStringLiteral("8M"), "tmpfs"))
        return;
    const auto unmount = qScopeGuard([&] { test::unmountTmpfs(mountPoint); });

    const QByteArray stream = test::pseudoRandomBytes(3 * MiB + 999, 8);
    const QByteArray background = test::pseudoRandomBytes(stream.size() + 5000, 9);
    for (qint64 start : {qint64(0), qint64(333), 2 * Page}) {
        TestFile file(mountPoint + QStringLiteral("/t.bin"), background, true);
        QVERIFY(file.fd >= 0);
        qInfo("tmpfs: O_DIRECT %s", file.directWriteFd >= 0 ? "accepted" : "refused");
        {
            DirectWriter writer(file.fd, file.directWriteFd, start);
            QVERIFY(writeStream(writer, stream, {DirectWriter::BlockSize, 4097, 2 * Page}));
        }
        QByteArray expected = background;
        expected.replace(start, stream.size(), stream);
        QCOMPARE(contents(file.path), expected);
        DirectReader reader(file.fd, file.directReadFd);
        QCOMPARE(readAll(reader, 0, expected.size()), expected);
        QCOMPARE(readAll(reader, 4095, expected.size()), expected.mid(4095));
    }
}

void TestDirectIo::chunkWritersConcurrent_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<bool>("direct");
    for (quint64 seed = 1; seed <= 6; ++seed) {
        QTest::addRow("seed %llu, direct", seed) << seed << true;
        QTest::addRow("seed %llu, no direct fd", seed) << seed << false;
    }
}

// Adjacent chunks, boundaries anywhere, written at once by several threads in pieces of random
// sizes: the file comes out exact. Chunks smaller than a page share pages on both sides.
void TestDirectIo::chunkWritersConcurrent()
{
    QFETCH(quint64, seed);
    QFETCH(bool, direct);
    std::mt19937_64 rng(seed);
    const qint64 size = std::uniform_int_distribution<qint64>(1, 12 * MiB)(rng);
    const QList<qint64> chunks = awkwardChunks(size, rng);
    const QByteArray data = test::pseudoRandomBytes(size, seed * 11);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Starts out as other bytes, so that a byte not written shows.
    TestFile file(dir.filePath(QStringLiteral("chunks.bin")),
                  test::pseudoRandomBytes(size, seed * 13), direct);
    QVERIFY(file.fd >= 0);
    std::atomic<qsizetype> next{0};
    std::atomic<int> failures{0};
    // Taken from a shuffled order, so that neighbours are often written at the same time.
    QList<qsizetype> order;
    for (qsizetype i = 0; i < chunks.size(); ++i)
        order.append(i);
    std::shuffle(order.begin(), order.end(), rng);
    auto worker = [&](quint64 threadSeed) {
        std::mt19937_64 r(threadSeed);
        for (qsizetype k = next++; k < order.size(); k = next++) {
            const qsizetype i = order.at(k);
            const qint64 at = chunks.at(i);
            const qint64 length = (i + 1 < chunks.size() ? chunks.at(i + 1) : size) - at;
            OffsetChunkWriter writer(file.fd, file.directWriteFd, at, length,
                                     QStringLiteral("chunks.bin"));
            writer.restart();
            for (qint64 p = 0; p < length;) {
                const qint64 n =
                    qMin<qint64>(length - p, r() % 2 ? 1 + r() % 5000 : 1 + r() % (1300 * KiB));
                if (!writer.write(data.constData() + at + p, n))
                    ++failures;
                p += n;
            }
            if (writer.written() != length ||
                writer.digest() !=
                    QCryptographicHash::hash(data.mid(at, length), QCryptographicHash::Sha256))
                ++failures;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back(worker, seed * 7 + quint64(t));
    for (std::thread& t : threads)
        t.join();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(contents(file.path), data);
}

void TestDirectIo::chunkWriterRestart_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qint64>("length");
    QTest::addColumn<qint64>("badLength"); // how far the bad replica got
    QTest::addColumn<bool>("direct");
    for (bool direct : {true, false}) {
        const char* how = direct ? "direct" : "no direct fd";
        QTest::addRow("in the head page, %s", how)
            << qint64(100) << 3 * MiB << qint64(50) << direct;
        QTest::addRow("staged, not yet written, %s", how)
            << qint64(100) << 3 * MiB << qint64(200 * KiB) << direct;
        QTest::addRow("a block written, %s", how)
            << qint64(100) << 3 * MiB << DirectWriter::BlockSize + 3 * Page << direct;
        QTest::addRow("into the tail page, %s", how)
            << qint64(100) << 3 * MiB << 3 * MiB - 10 << direct;
        QTest::addRow("the whole chunk, %s", how) << Page << 2 * MiB << 2 * MiB << direct;
        QTest::addRow("inside one page, %s", how)
            << qint64(10) << qint64(1000) << qint64(600) << direct;
    }
}

// A replica that stops (or turns out bad) part way, then a good one from the start.
void TestDirectIo::chunkWriterRestart()
{
    QFETCH(qint64, offset);
    QFETCH(qint64, length);
    QFETCH(qint64, badLength);
    QFETCH(bool, direct);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 size = offset + length + 5000;
    const QByteArray background = test::pseudoRandomBytes(size, 20);
    TestFile file(dir.filePath(QStringLiteral("restart.bin")), background, direct);
    QVERIFY(file.fd >= 0);
    const QByteArray good = test::pseudoRandomBytes(length, 21);
    const QByteArray bad = test::pseudoRandomBytes(badLength, 22);
    OffsetChunkWriter writer(file.fd, file.directWriteFd, offset, length,
                             QStringLiteral("restart.bin"));
    writer.restart();
    for (qint64 p = 0; p < bad.size(); p += 70001)
        QVERIFY(writer.write(bad.constData() + p, qMin<qint64>(70001, bad.size() - p)));
    QCOMPARE(writer.written(), badLength);
    writer.restart();
    QCOMPARE(writer.written(), qint64(0));
    for (qint64 p = 0; p < good.size(); p += 65536 + 3)
        QVERIFY(writer.write(good.constData() + p, qMin<qint64>(65536 + 3, good.size() - p)));
    QCOMPARE(writer.written(), length);
    QCOMPARE(writer.digest(), QCryptographicHash::hash(good, QCryptographicHash::Sha256));
    QByteArray expected = background;
    expected.replace(offset, length, good);
    QCOMPARE(contents(file.path), expected);
}

void TestDirectIo::chunkWriterOverflow_data()
{
    // The expected size: set as the fetcher does (0), left as constructed (1), or lifted (2).
    QTest::addColumn<int>("limit");
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qint64>("length");
    for (int limit : {0, 1, 2}) {
        const char* how = limit == 0 ? "size set" : limit == 1 ? "size not set" : "no limit";
        QTest::addRow("unaligned, %s", how) << limit << qint64(1234) << 3 * Page + 5;
        QTest::addRow("aligned, %s", how) << limit << Page << 2 * MiB;
        QTest::addRow("inside a page, %s", how) << limit << qint64(7) << qint64(90);
    }
}

// A replica longer than its chunk: refused, and nothing lands on the next chunk.
void TestDirectIo::chunkWriterOverflow()
{
    QFETCH(int, limit);
    QFETCH(qint64, offset);
    QFETCH(qint64, length);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 size = offset + length + 3 * Page;
    const QByteArray background = test::pseudoRandomBytes(size, 30);
    TestFile file(dir.filePath(QStringLiteral("over.bin")), background, true);
    QVERIFY(file.fd >= 0);
    const QByteArray replica = test::pseudoRandomBytes(length + 100, 31);
    {
        // One write that runs over.
        OffsetChunkWriter writer(file.fd, file.directWriteFd, offset, length,
                                 QStringLiteral("over.bin"));
        if (limit != 1)
            writer.setExpectedSize(limit == 0 ? length : -1);
        QVERIFY(!writer.write(replica.constData(), length + 1));
        QCOMPARE(writer.overflowed(), limit != 2); // else refused as a write error
        QVERIFY(!writer.errorString().isEmpty());
        QCOMPARE(writer.written(), qint64(0));
    }
    QCOMPARE(contents(file.path), background);
    {
        // Exactly the chunk, then one byte more.
        OffsetChunkWriter writer(file.fd, file.directWriteFd, offset, length,
                                 QStringLiteral("over.bin"));
        if (limit != 1)
            writer.setExpectedSize(limit == 0 ? length : -1);
        QVERIFY(writer.write(replica.constData(), length - 1));
        QVERIFY(writer.write(replica.constData() + length - 1, 1));
        QVERIFY(!writer.overflowed());
        QVERIFY(!writer.write(replica.constData() + length, 1));
        QCOMPARE(writer.overflowed(), limit != 2);
        QCOMPARE(writer.written(), length);
        // Starting over clears it.
        writer.restart();
        QVERIFY(!writer.overflowed());
        QVERIFY(writer.errorString().isEmpty());
        QVERIFY(writer.write(replica.constData(), length));
    }
    QByteArray expected = background;
    expected.replace(offset, length, replica.left(length));
    QCOMPARE(contents(file.path), expected);
}

// Chunks of 0 and 1 bytes, and pieces of 0 bytes.
void TestDirectIo::chunkWriterEmptyAndTiny()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray background = test::pseudoRandomBytes(3 * Page, 40);
    TestFile file(dir.filePath(QStringLiteral("tiny.bin")), background, true);
    QVERIFY(file.fd >= 0);
    OffsetChunkWriter empty(file.fd, file.directWriteFd, Page, 0, QStringLiteral("tiny.bin"));
    QVERIFY(empty.write("", 0));
    QVERIFY(!empty.write("x", 1));
    OffsetChunkWriter one(file.fd, file.directWriteFd, Page, 1, QStringLiteral("tiny.bin"));
    QVERIFY(one.write("", 0));
    QVERIFY(one.write("z", 1));
    QVERIFY(one.write("", 0));
    QByteArray expected = background;
    expected[Page] = 'z';
    QCOMPARE(contents(file.path), expected);
}

// A chunk decoded from its shards was checked against its CID on the decoding thread: the writer
// stores it without hashing it again, gives that digest, and still refuses one too long.
void TestDirectIo::chunkWriterTakesACheckedChunk()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 offset = 1234, length = 2 * Page + 5;
    const QByteArray background = test::pseudoRandomBytes(offset + length + Page, 41);
    TestFile file(dir.filePath(QStringLiteral("checked.bin")), background, true);
    QVERIFY(file.fd >= 0);
    const QByteArray chunk = test::pseudoRandomBytes(length, 42);
    const QByteArray sha = QCryptographicHash::hash(chunk, QCryptographicHash::Sha256);
    {
        OffsetChunkWriter writer(file.fd, file.directWriteFd, offset, length,
                                 QStringLiteral("checked.bin"));
        writer.setExpectedSize(length);
        QVERIFY(!writer.writeChecked(chunk + "x", sha));
        QVERIFY(writer.overflowed());
        QCOMPARE(writer.written(), qint64(0));
        writer.restart();
        QVERIFY(writer.writeChecked(chunk, sha));
        QCOMPARE(writer.written(), length);
        QCOMPARE(writer.digest(), sha);
        // Started over, it hashes what it is given again.
        writer.restart();
        QVERIFY(writer.write(chunk.constData(), length));
        QCOMPARE(writer.digest(), sha);
    }
    QByteArray expected = background;
    expected.replace(offset, length, chunk);
    QCOMPARE(contents(file.path), expected);
}

QTEST_GUILESS_MAIN(TestDirectIo)
#include "tst_directio.moc"
