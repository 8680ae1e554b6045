// FileScanner: results checked against independent oracles (the `openssl` command for the
// whole file, Sha256 and the chunker run directly on the bytes for every chunk), back-pressure,
// abort and destruction at awkward moments, error reporting, and files that change under it.

#include "chunking/chunkboundaryfinder.h"
#include "chunking/cid.h"
#include "chunking/filescanner.h"
#include "chunking/sha256.h"
#include "testsupport.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <unistd.h>
#include <utility>

using namespace mf;

namespace {

constexpr quint32 KiB = 1024;
constexpr quint32 MiB = 1024 * KiB;
const ChunkerParams Small = ChunkerParams::contentDefined(64 * KiB, 256 * KiB, 1 * MiB);
constexpr int Timeout = 120000; // generous: the sanitizer build is slow

// Collects everything a scanner reports; acknowledges chunks as they come unless told not to.
class Recorder final : public QObject
{
public:
    explicit Recorder(FileScanner* scanner, bool autoAcknowledge = true)
        : m_scanner(scanner)
        , m_autoAcknowledge(autoAcknowledge)
    {
        connect(scanner, &FileScanner::chunkScanned, this, [this](const ScannedChunk& c) {
            if (finishedCount > 0)
                chunkAfterFinished = true;
            chunks.append(c);
            if (m_autoAcknowledge)
                acknowledgeUpTo(chunks.size());
        });
        connect(scanner, &FileScanner::progress, this, [this](qint64 done, qint64 total) {
            lastProgress = {done, total};
        });
        connect(scanner, &FileScanner::finished, this, [this] { ++finishedCount; });
    }

    // Acknowledges what has been reported so far and everything that follows.
    void acknowledgeFromNowOn()
    {
        m_autoAcknowledge = true;
        acknowledgeUpTo(chunks.size());
    }

    // Acknowledges the reported chunks before `end` that are not yet acknowledged.
    void acknowledgeUpTo(qsizetype end)
    {
        for (; m_acknowledged < end; ++m_acknowledged)
            m_scanner->acknowledge(chunks.at(m_acknowledged));
    }

    QList<ScannedChunk> chunks;
    QPair<qint64, qint64> lastProgress{-1, -1};
    int finishedCount = 0;
    bool chunkAfterFinished = false;

private:
    FileScanner* m_scanner;
    bool m_autoAcknowledge;
    qsizetype m_acknowledged = 0;
};

// What the chunker, run directly on the bytes, says the chunk sizes are.
QList<qint64> expectedSizes(const QByteArray& data, const ChunkerParams& params)
{
    ChunkBoundaryFinder finder(params);
    QList<qint64> sizes;
    const auto* p = reinterpret_cast<const uchar*>(data.constData());
    qsizetype left = data.size();
    qint64 current = 0;
    while (left > 0) {
        bool boundary = false;
        const qsizetype used = finder.feed(p, left, &boundary);
        p += used;
        left -= used;
        current += used;
        if (boundary) {
            sizes.append(current);
            current = 0;
        }
    }
    if (current > 0)
        sizes.append(current);
    return sizes;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool appendTo(const QString& path, const QByteArray& data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Append) && f.write(data) == data.size() &&
           f.flush();
}

} // namespace

class TestFileScanner final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void scansFile_data();
    void scansFile();
    void backPressure();
    void keptBytesAreTheScannedBytes_data();
    void keptBytesAreTheScannedBytes();
    void keptBytesAreBounded();
    void abortWhileWaiting();
    void abortWhileReading();
    void abortBeforeStart();
    void destroyWhileWaiting();
    void destroyWhileReading();
    void destroyFromSlot();
    void destroyWithUndeliveredResults();
    void missingFile();
    void directory();
    void unreadableFile();
    void appendedWhileReading();
    void truncatedWhileReading();

private:
    QString pathFor(const QString& name) const { return m_dir.filePath(name); }
    QString bigFile(); // 40 MiB, written once

    QTemporaryDir m_dir;
    QString m_bigFile;
};

void TestFileScanner::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QString TestFileScanner::bigFile()
{
    if (m_bigFile.isEmpty()) {
        const QString path = pathFor(QStringLiteral("big.bin"));
        if (test::writePseudoRandomFile(path, 40 * MiB + 333, 40))
            m_bigFile = path;
    }
    return m_bigFile;
}

void TestFileScanner::scansFile_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<ChunkerParams>("params");
    QTest::newRow("empty") << qint64(0) << Small;
    QTest::newRow("one byte") << qint64(1) << Small;
    QTest::newRow("exactly max") << qint64(Small.maxSize) << Small;
    QTest::newRow("exactly fixed size") << qint64(256 * KiB) << ChunkerParams::fixed(256 * KiB);
    QTest::newRow("fixed, ragged end") << qint64(3 * MiB + 17) << ChunkerParams::fixed(256 * KiB);
    QTest::newRow("multi-chunk") << qint64(40 * MiB + 333) << Small;
    QTest::newRow("multi-chunk, defaults") << qint64(40 * MiB + 333) << ChunkerParams::defaults();
}

void TestFileScanner::scansFile()
{
    QFETCH(qint64, size);
    QFETCH(ChunkerParams, params);
    const QString path = pathFor(QStringLiteral("scan-%1.bin").arg(size));
    QVERIFY(test::writePseudoRandomFile(path, size, quint64(size)));
    const QByteArray data = readAll(path);
    QCOMPARE(data.size(), size);

    FileScanner scanner(path, params);
    Recorder rec(&scanner);
    QSignalSpy finished(&scanner, &FileScanner::finished);
    scanner.start();
    QVERIFY(finished.wait(Timeout));

    QVERIFY2(scanner.errorString().isEmpty(), qPrintable(scanner.errorString()));
    QVERIFY(!scanner.wasCancelled());
    QVERIFY(scanner.isFinished());
    QCOMPARE(scanner.fileSize(), size);
    QCOMPARE(scanner.snapshot().size, size);
    QCOMPARE(scanner.fileSha256().toHex(), test::opensslSha256Hex(path));
    if (size == 0)
        QCOMPARE(scanner.fileSha256(), Sha256::hash(QByteArray()));
    QCOMPARE(rec.lastProgress, qMakePair(size, size));

    // The chunks tile the file in order, and each one is what it says it is.
    QList<qint64> sizes;
    qint64 offset = 0;
    for (const ScannedChunk& c : std::as_const(rec.chunks)) {
        QCOMPARE(c.offset, offset);
        QVERIFY(c.size > 0 && c.size <= params.largestChunk());
        const QByteArrayView bytes = QByteArrayView(data).sliced(c.offset, c.size);
        QCOMPARE(c.sha256, Sha256::hash(bytes));
        QCOMPARE(c.cid, cid::fromSha256(c.sha256));
        QCOMPARE(c.cid, cid::ofData(bytes));
        sizes.append(c.size);
        offset += c.size;
    }
    QCOMPARE(offset, size);
    QCOMPARE(sizes, expectedSizes(data, params));
    if (size == 0)
        QVERIFY(rec.chunks.isEmpty());

    QTest::qWait(50);
    QCOMPARE(rec.finishedCount, 1);
    QVERIFY(!rec.chunkAfterFinished);
}

void TestFileScanner::backPressure()
{
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    FileScanner scanner(path, Small);
    scanner.setMaxPendingChunks(2);
    Recorder rec(&scanner, false);
    scanner.start();
    QTRY_COMPARE_WITH_TIMEOUT(rec.chunks.size(), 2, Timeout);
    // Give the reader every chance to overrun the limit; it must not.
    QTest::qWait(300);
    QCOMPARE(rec.chunks.size(), 2);
    QVERIFY(!scanner.isFinished());
    rec.acknowledgeUpTo(1);
    QTRY_COMPARE_WITH_TIMEOUT(rec.chunks.size(), 3, Timeout);
    QTest::qWait(100);
    QCOMPARE(rec.chunks.size(), 3);

    rec.acknowledgeFromNowOn();
    QTRY_VERIFY_WITH_TIMEOUT(scanner.isFinished(), Timeout);
    QVERIFY2(scanner.errorString().isEmpty(), qPrintable(scanner.errorString()));
    QVERIFY(rec.chunks.size() > 100);
    QCOMPARE(rec.chunks.last().offset + rec.chunks.last().size, 40 * MiB + 333);
    QCOMPARE(scanner.fileSha256().toHex(), test::opensslSha256Hex(path));
}

void TestFileScanner::keptBytesAreTheScannedBytes_data()
{
    QTest::addColumn<QString>("chunker");
    // Chunks within a read block, across two, and across several (blocks are 1 MiB).
    QTest::newRow("small") << Small.toString();
    QTest::newRow("large") << ChunkerParams::contentDefined(1 * MiB, 2 * MiB, 8 * MiB).toString();
    QTest::newRow("fixed") << ChunkerParams::fixed(1536 * KiB).toString();
}

// Every chunk's kept bytes are exactly the file's bytes at its place, hash to its CID, and read
// back the same through the device a put gets, in pieces and after seeks.
void TestFileScanner::keptBytesAreTheScannedBytes()
{
    QFETCH(QString, chunker);
    const auto params = ChunkerParams::fromString(chunker);
    QVERIFY(params);
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    const QByteArray data = readAll(path);
    FileScanner scanner(path, *params);
    scanner.setKeepBytes(16 * MiB);
    Recorder rec(&scanner);
    scanner.start();
    QTRY_VERIFY_WITH_TIMEOUT(scanner.isFinished(), Timeout);
    QVERIFY2(scanner.errorString().isEmpty(), qPrintable(scanner.errorString()));
    QVERIFY(rec.chunks.size() > 4);
    for (const ScannedChunk& c : std::as_const(rec.chunks)) {
        QCOMPARE(c.bytes.size(), c.size);
        const QByteArray bytes = c.bytes.toByteArray();
        QVERIFY2(bytes == data.mid(c.offset, c.size), qPrintable(c.cid));
        QCOMPARE(QByteArray(Sha256::hash(bytes)), c.sha256);

        const std::unique_ptr<QIODevice> device = c.bytes.open();
        QVERIFY(device->isOpen());
        QCOMPARE(device->size(), c.size);
        QByteArray pieces;
        while (!device->atEnd())
            pieces += device->read(300 * KiB + 7); // pieces that straddle the slices
        QVERIFY(pieces == bytes);
        const qint64 middle = c.size / 2 + 3;
        QVERIFY(device->seek(middle));
        QVERIFY(device->readAll() == bytes.mid(middle));
        QVERIFY(device->seek(0));
        QVERIFY(device->read(100) == bytes.left(100));

        // A writer can take the pieces instead of copying them out (the local provider's
        // direct writes do): every piece starts on an aligned address and is a whole 1 MiB
        // leaf, but the chunk's last. Only a device nothing was read from hands them out.
        QVERIFY(ChunkBytes::behind(device.get()) == nullptr);
        const std::unique_ptr<QIODevice> fresh = c.bytes.open();
        const ChunkBytes* behind = ChunkBytes::behind(fresh.get());
        QVERIFY(behind);
        QCOMPARE(behind->size(), c.size);
        const auto& parts = behind->pieces();
        for (size_t i = 0; i < parts.size(); ++i) {
            QCOMPARE(quintptr(parts[i].data) % 4096, quintptr(0));
            QCOMPARE(parts[i].start, qint64(i) * unixfs::LeafBytes);
            if (i + 1 < parts.size())
                QCOMPARE(qint64(parts[i].size), unixfs::LeafBytes);
        }
    }
}

// The reader never holds more kept memory than it was allowed, whatever the count limit, and
// goes on as it is acknowledged; a chunk larger than the limit still goes, alone. Small's chunks
// are far smaller than the 1 MiB segment each one holds: counting their sizes let the reader
// hold several times the limit.
void TestFileScanner::keptBytesAreBounded()
{
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    FileScanner scanner(path, Small);
    scanner.setMaxPendingChunks(1000);
    const qint64 limit = 3 * MiB;
    scanner.setKeepBytes(limit);
    Recorder rec(&scanner, false);
    scanner.start();
    QTRY_VERIFY_WITH_TIMEOUT(!rec.chunks.isEmpty(), Timeout);
    // What the reported chunks hold: whole 1 MiB segments, however small the chunk.
    const auto reported = [&rec] {
        qint64 bytes = 0;
        for (const ScannedChunk& c : std::as_const(rec.chunks))
            bytes += (c.size + unixfs::LeafBytes - 1) / unixfs::LeafBytes * unixfs::LeafBytes;
        return bytes;
    };
    // Give the reader every chance to overrun the limit; it must not.
    QTest::qWait(300);
    QVERIFY2(reported() <= limit, qPrintable(QString::number(reported())));
    QVERIFY(reported() > limit - 1 * MiB); // Small's chunks are at most 1 MiB
    QVERIFY(!scanner.isFinished());
    const qsizetype before = rec.chunks.size();
    rec.acknowledgeUpTo(before);
    QTRY_VERIFY_WITH_TIMEOUT(rec.chunks.size() > before, Timeout);

    rec.acknowledgeFromNowOn();
    QTRY_VERIFY_WITH_TIMEOUT(scanner.isFinished(), Timeout);
    QVERIFY2(scanner.errorString().isEmpty(), qPrintable(scanner.errorString()));
    QCOMPARE(rec.chunks.last().offset + rec.chunks.last().size, 40 * MiB + 333);

    // A limit below one chunk: one chunk at a time.
    FileScanner one(path, Small);
    one.setMaxPendingChunks(1000);
    one.setKeepBytes(1);
    Recorder oneRec(&one, false);
    one.start();
    QTRY_COMPARE_WITH_TIMEOUT(oneRec.chunks.size(), 1, Timeout);
    QTest::qWait(200);
    QCOMPARE(oneRec.chunks.size(), 1);
    oneRec.acknowledgeUpTo(1);
    QTRY_COMPARE_WITH_TIMEOUT(oneRec.chunks.size(), 2, Timeout);
}

void TestFileScanner::abortWhileWaiting()
{
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    FileScanner scanner(path, Small);
    scanner.setMaxPendingChunks(1);
    Recorder rec(&scanner, false);
    scanner.start();
    QTRY_COMPARE_WITH_TIMEOUT(rec.chunks.size(), 1, Timeout);
    scanner.abort();
    scanner.abort(); // twice is fine
    QTRY_VERIFY_WITH_TIMEOUT(scanner.isFinished(), Timeout);
    QVERIFY(scanner.wasCancelled());
    QVERIFY2(scanner.errorString().contains(QLatin1String("cancelled")),
             qPrintable(scanner.errorString()));
    QVERIFY(scanner.fileSha256().isEmpty());
    scanner.abort(); // and after the end
    QTest::qWait(100);
    QCOMPARE(rec.finishedCount, 1);
    QCOMPARE(rec.chunks.size(), 1);
}

void TestFileScanner::abortWhileReading()
{
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    FileScanner scanner(path, Small);
    Recorder rec(&scanner);
    scanner.start();
    scanner.abort();
    QTRY_VERIFY_WITH_TIMEOUT(scanner.isFinished(), Timeout);
    QVERIFY(scanner.wasCancelled());
    QVERIFY(rec.chunks.isEmpty()); // nothing is delivered after abort()
    QTest::qWait(50);
    QCOMPARE(rec.finishedCount, 1);
}

void TestFileScanner::abortBeforeStart()
{
    FileScanner scanner(bigFile(), Small);
    Recorder rec(&scanner);
    scanner.abort();
    QCOMPARE(rec.finishedCount, 0); // not from inside abort()
    QTRY_COMPARE_WITH_TIMEOUT(rec.finishedCount, 1, Timeout);
    QVERIFY(scanner.wasCancelled());
    scanner.start(); // too late: nothing happens
    QTest::qWait(100);
    QCOMPARE(rec.finishedCount, 1);
    QVERIFY(rec.chunks.isEmpty());
}

void TestFileScanner::destroyWhileWaiting()
{
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    auto scanner = std::make_unique<FileScanner>(path, Small);
    scanner->setMaxPendingChunks(1);
    Recorder rec(scanner.get(), false);
    scanner->start();
    QTRY_COMPARE_WITH_TIMEOUT(rec.chunks.size(), 1, Timeout);
    QTest::qWait(50); // the reader now sleeps on back-pressure
    scanner.reset();  // must wake it, join it, and not deadlock
    QTest::qWait(50);
    QCOMPARE(rec.finishedCount, 0);
}

void TestFileScanner::destroyWhileReading()
{
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    for (int delayMs : {0, 1, 5, 20}) {
        auto scanner = std::make_unique<FileScanner>(path, Small);
        Recorder rec(scanner.get());
        scanner->start();
        if (delayMs > 0)
            QTest::qWait(delayMs);
        scanner.reset();
        QTest::qWait(20); // anything still queued must have died with the scanner
    }
}

void TestFileScanner::destroyFromSlot()
{
    const QString path = bigFile();
    QVERIFY(!path.isEmpty());
    auto* scanner = new FileScanner(path, Small);
    int seen = 0;
    connect(scanner, &FileScanner::chunkScanned, this, [&](const ScannedChunk&) {
        ++seen;
        delete scanner; // the receiver owns the scanner and drops it from its own slot
        scanner = nullptr;
    });
    scanner->start();
    QTRY_VERIFY_WITH_TIMEOUT(!scanner, Timeout);
    QTest::qWait(50);
    QCOMPARE(seen, 1);
}

void TestFileScanner::destroyWithUndeliveredResults()
{
    const QString path = pathFor(QStringLiteral("small.bin"));
    QVERIFY(test::writePseudoRandomFile(path, 3 * MiB, 3));
    auto scanner = std::make_unique<FileScanner>(path, Small);
    Recorder rec(scanner.get());
    scanner->start();
    // Block this thread (no event loop) so the reader posts everything, finished included.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    scanner.reset();
    QTest::qWait(50);
    QCOMPARE(rec.finishedCount, 0);
    QVERIFY(rec.chunks.isEmpty());
}

void TestFileScanner::missingFile()
{
    const QString path = pathFor(QStringLiteral("no-such-file.bin"));
    FileScanner scanner(path, Small);
    QSignalSpy finished(&scanner, &FileScanner::finished);
    scanner.start();
    QVERIFY(finished.wait(Timeout));
    QCOMPARE(scanner.errorString(), QStringLiteral("“%1” does not exist").arg(path));
    QVERIFY(!scanner.wasCancelled());
    QVERIFY(scanner.fileSha256().isEmpty());
}

void TestFileScanner::directory()
{
    FileScanner scanner(m_dir.path(), Small);
    QSignalSpy finished(&scanner, &FileScanner::finished);
    scanner.start();
    QVERIFY(finished.wait(Timeout));
    QCOMPARE(scanner.errorString(),
             QStringLiteral("“%1” is a directory, not a file").arg(m_dir.path()));
}

void TestFileScanner::unreadableFile()
{
    // Root reads a mode-000 file anyway (CAP_DAC_OVERRIDE), so the case cannot be set up
    // when the tests run as root, as they do in the CI containers.
    if (::geteuid() == 0)
        QSKIP("running as root: permissions are not enforced, an unreadable file cannot exist");
    const QString path = pathFor(QStringLiteral("locked.bin"));
    QVERIFY(test::writePseudoRandomFile(path, 1000, 1));
    QVERIFY(QFile::setPermissions(path, QFileDevice::Permissions()));
    FileScanner scanner(path, Small);
    QSignalSpy finished(&scanner, &FileScanner::finished);
    scanner.start();
    QVERIFY(finished.wait(Timeout));
    QCOMPARE(scanner.errorString(),
             QStringLiteral("“%1” cannot be read: Permission denied").arg(path));
}

void TestFileScanner::appendedWhileReading()
{
    const QString path = pathFor(QStringLiteral("growing.bin"));
    QVERIFY(test::writePseudoRandomFile(path, 20 * MiB, 5));
    FileScanner scanner(path, Small);
    scanner.setMaxPendingChunks(1);
    Recorder rec(&scanner, false);
    scanner.start();
    QTRY_COMPARE_WITH_TIMEOUT(rec.chunks.size(), 1, Timeout);
    QVERIFY(appendTo(path, QByteArray(4096, 'z')));
    rec.acknowledgeFromNowOn();
    QTRY_VERIFY_WITH_TIMEOUT(scanner.isFinished(), Timeout);
    QCOMPARE(scanner.errorString(),
             QStringLiteral("“%1” changed while it was being read; float it again once it is "
                            "no longer being written")
                 .arg(path));
    QVERIFY(!scanner.wasCancelled());
    QVERIFY(scanner.fileSha256().isEmpty());
}

void TestFileScanner::truncatedWhileReading()
{
    const QString path = pathFor(QStringLiteral("shrinking.bin"));
    QVERIFY(test::writePseudoRandomFile(path, 20 * MiB, 6));
    FileScanner scanner(path, Small);
    scanner.setMaxPendingChunks(1);
    Recorder rec(&scanner, false);
    scanner.start();
    QTRY_COMPARE_WITH_TIMEOUT(rec.chunks.size(), 1, Timeout);
    QVERIFY(QFile::resize(path, 10 * MiB));
    rec.acknowledgeFromNowOn();
    QTRY_VERIFY_WITH_TIMEOUT(scanner.isFinished(), Timeout);
    QVERIFY2(scanner.errorString().contains(QLatin1String("changed while it was being read")),
             qPrintable(scanner.errorString()));
}

QTEST_GUILESS_MAIN(TestFileScanner)
#include "tst_filescanner.moc"
