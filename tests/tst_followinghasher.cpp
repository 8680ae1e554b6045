// FollowingHasher: the whole-file SHA-256 of a file that a restore writes out of order, fed by
// offers (provisional copies of what the chunk writers write), the verified prefix read back
// from the file (rollbacks of chunks whose replica turned out bad are
// tst_followinghasherrollback's). Every digest is checked against the `openssl` command run on
// the finished file, an oracle that shares no code with the hasher. Races with the hashing
// thread are replayed exactly through its test hook where a test depends on one interleaving,
// and left to chance in the randomized stress test.

#include "followinghashertestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestFollowingHasher final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readBackOnly_data();
    void readBackOnly();
    void offersInOrder_data();
    void offersInOrder();
    void offersWhileAdvancing();
    void offersOutOfOrder();
    void outOfOrderOffersNeedNoReadBack();
    void offersBeyondTheBoundAreReadBack();
    void offerAcrossChunkBoundary();
    void stress_data();
    void stress();
    void writersFeedHasher();
    void emptyFile_data();
    void emptyFile();
    void shortFileIsAnError();
    void stopWhileWaiting();
    void destroyWhileReadingBack();
    void stopWithoutStart();
    void sharedOffersAreKeptWithoutACopy();
};

void TestFollowingHasher::readBackOnly_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<bool>("direct");
    for (bool direct : {true, false}) {
        const char* how = direct ? "direct" : "buffered";
        for (qint64 size :
             {qint64(1), qint64(4095), qint64(4096), qint64(4097), 3 * MiB + 123, 5 * MiB})
            QTest::addRow("%lld bytes, %s", size, how) << size << direct;
    }
}

// Only the verified prefix, read back from the file, in steps at arbitrary positions.
void TestFollowingHasher::readBackOnly()
{
    QFETCH(qint64, size);
    QFETCH(bool, direct);
    RestoreFile file(size, direct);
    QVERIFY(file.ok());
    std::mt19937_64 rng{quint64(size)};
    const QByteArray data = test::pseudoRandomBytes(size, quint64(size) + 1);
    const QList<qint64> chunks = randomChunks(size, 1, 700 * KiB, rng);

    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    // Written and verified in steps that need not fall on pages or chunk starts.
    for (qint64 at = 0; at < size;) {
        const qint64 step = std::uniform_int_distribution<qint64>(1, 900 * KiB)(rng);
        const qint64 end = qMin(size, at + step);
        QVERIFY(file.write(at, data.mid(at, end - at)));
        hasher.advanceTo(end);
        at = end;
    }
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
    QCOMPARE(hasher.bytesReadBack(), size);
}

void TestFollowingHasher::offersInOrder_data()
{
    QTest::addColumn<qint64>("piece");
    QTest::addColumn<bool>("offerBeforeStart");
    for (qint64 piece : {qint64(1000), 4 * KiB, 64 * KiB + 3, 1 * MiB}) {
        QTest::addRow("pieces of %lld", piece) << piece << false;
        QTest::addRow("pieces of %lld, before start", piece) << piece << true;
    }
}

// Everything offered in file order and below the queue's bound: nothing is read back.
void TestFollowingHasher::offersInOrder()
{
    QFETCH(qint64, piece);
    QFETCH(bool, offerBeforeStart);
    const qint64 size = 5 * MiB + 77;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 2);
    QVERIFY(file.write(0, data));
    std::mt19937_64 rng(3);
    const QList<qint64> chunks = randomChunks(size, 1, 2 * MiB, rng);

    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    if (!offerBeforeStart)
        hasher.start();
    // Pieces within each chunk, as chunk writers offer them.
    for (qsizetype i = 0; i < chunks.size(); ++i) {
        const qint64 end = i + 1 < chunks.size() ? chunks.at(i + 1) : size;
        offerPieces(hasher, chunks.at(i), data.mid(chunks.at(i), end - chunks.at(i)), piece);
    }
    if (offerBeforeStart)
        hasher.start();
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
    QCOMPARE(hasher.bytesReadBack(), qint64(0));
}

// A file larger than the queue's bound, offered chunk by chunk while the prefix is verified:
// as long as each offer finds room, nothing is read back.
void TestFollowingHasher::offersWhileAdvancing()
{
    const qint64 size = 40 * MiB + 5;
    const qint64 chunk = 3 * MiB + 1;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QList<qint64> chunks = evenChunks(size, chunk);
    std::atomic<qint64> hashedTo{0};
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    hasher.setTestHook([&](TestPoint point, qint64 position) {
        if (point == TestPoint::Waiting)
            hashedTo = position;
    });
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    QCryptographicHash expected(QCryptographicHash::Sha256);
    for (qint64 at : chunks) {
        const QByteArray bytes = test::pseudoRandomBytes(qMin(chunk, size - at), quint64(at));
        expected.addData(bytes);
        // Room in the queue (16 MiB) for this chunk: the hash is at most one chunk behind.
        QTRY_VERIFY_WITH_TIMEOUT(hashedTo.load() + 12 * MiB >= at, Timeout);
        offerPieces(hasher, at, bytes, 256 * KiB);
        QVERIFY(file.write(at, bytes));
        hasher.advanceTo(at + bytes.size());
    }
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), expected.result().toHex());
    QCOMPARE(hasher.bytesReadBack(), qint64(0));
}

// Offers that do not continue where the hash stands, or leave gaps, are read back instead.
void TestFollowingHasher::offersOutOfOrder()
{
    const qint64 size = 3 * MiB + 4321;
    const qint64 chunk = 256 * KiB + 11;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 4);
    const QList<qint64> chunks = evenChunks(size, chunk);
    QVERIFY(chunks.size() >= 12);
    std::mt19937_64 rng(5);
    QList<qsizetype> order;
    for (qsizetype i = 0; i < chunks.size(); ++i)
        order.append(i);
    std::shuffle(order.begin(), order.end(), rng);

    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    QList<bool> done(chunks.size(), false);
    qsizetype contiguous = 0;
    for (qsizetype i : std::as_const(order)) {
        const qint64 at = chunks.at(i);
        const QByteArray bytes = data.mid(at, qMin(chunk, size - at));
        // Every third chunk leaves out one piece: a gap in the offers.
        const qint64 piece = 10 * KiB + 7;
        for (qint64 p = 0; p < bytes.size(); p += piece) {
            if (i % 3 == 0 && p == piece)
                continue;
            hasher.offer(at + p, bytes.constData() + p, qMin(piece, bytes.size() - p));
        }
        // And a few offers again, out of place: already hashed, or behind the hash.
        if (i % 4 == 1)
            hasher.offer(at, bytes.constData(), bytes.size());
        QVERIFY(file.write(at, bytes));
        done[i] = true;
        while (contiguous < done.size() && done.at(contiguous))
            ++contiguous;
        hasher.advanceTo(contiguous == chunks.size() ? size : chunks.at(contiguous));
    }
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
}

// Parallel fetches: every chunk is offered whole, last chunk first, before anything is verified.
// The copies wait for the hash, so nothing has to be read back from the file.
void TestFollowingHasher::outOfOrderOffersNeedNoReadBack()
{
    const qint64 chunk = 512 * KiB + 5;
    const qint64 size = 8 * chunk;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 21);
    const QList<qint64> chunks = evenChunks(size, chunk);
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    for (qsizetype i = chunks.size() - 1; i >= 0; --i) {
        const QByteArray bytes = data.mid(chunks.at(i), chunk);
        offerPieces(hasher, chunks.at(i), bytes, 64 * KiB);
        QVERIFY(file.write(chunks.at(i), bytes));
    }
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), sha256Hex(data));
    QCOMPARE(hasher.bytesReadBack(), qint64(0));
}

// More out-of-order bytes than the hasher keeps: what does not fit is read back, and the digest
// is right all the same.
void TestFollowingHasher::offersBeyondTheBoundAreReadBack()
{
    const qint64 chunk = 4 * MiB + 3;
    const qint64 size = FollowingHasher::MaxOfferedBytes + 3 * chunk;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 22);
    const QList<qint64> chunks = evenChunks(size, chunk);
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    // Everything but the first chunk, last first: more than the bound waits.
    for (qsizetype i = chunks.size() - 1; i >= 1; --i) {
        const QByteArray bytes = data.mid(chunks.at(i), chunk);
        offerPieces(hasher, chunks.at(i), bytes, 1 * MiB);
        QVERIFY(file.write(chunks.at(i), bytes));
    }
    QVERIFY(file.write(0, data.left(chunk)));
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), sha256Hex(data));
    QVERIFY(hasher.bytesReadBack() >= chunk); // the first chunk at least
    QVERIFY(hasher.bytesReadBack() <= size - FollowingHasher::MaxOfferedBytes + 1 * MiB);
}

// One offer that runs over a chunk start (nothing in the API forbids it): the chunk it runs
// into can still be rolled back.
void TestFollowingHasher::offerAcrossChunkBoundary()
{
    const qint64 chunk = 64 * KiB;
    const qint64 size = 2 * chunk;
    for (bool waitForHash : {true, false}) {
        RestoreFile file(size, true);
        QVERIFY(file.ok());
        const QByteArray data = test::pseudoRandomBytes(size, 19);
        QVERIFY(file.write(0, data));
        std::atomic<qint64> hashedTo{0};
        FollowingHasher hasher(file.fd, file.directFd, size, evenChunks(size, chunk));
        hasher.setTestHook([&](TestPoint point, qint64 position) {
            if (point == TestPoint::Waiting)
                hashedTo = position;
        });
        QSignalSpy spy(&hasher, &FollowingHasher::finished);
        hasher.start();
        QByteArray first = data.left(chunk + 100);
        first[chunk + 50] = char(first.at(chunk + 50) ^ 1); // bad in chunk 1
        hasher.offer(0, first.constData(), first.size());
        if (waitForHash)
            QTRY_COMPARE_WITH_TIMEOUT(hashedTo.load(), first.size(), Timeout);
        hasher.rollback(chunk);
        offerPieces(hasher, chunk, data.mid(chunk), 1000);
        hasher.advanceTo(size);
        QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
        QCOMPARE(file.opensslHex(), sha256Hex(data));
    }
}

void TestFollowingHasher::stress_data()
{
    QTest::addColumn<quint64>("seed");
    for (quint64 seed = 1; seed <= 50; ++seed)
        QTest::addRow("seed %llu", seed) << seed;
}

// Many chunks of random sizes fetched by three "fetchers" at once, with bad replicas (some cut
// short) rolled back, offers in pieces of random or uniform sizes (some never made, as when the
// queue is full), a random schedule, and the verified prefix advanced as chunks complete.
void TestFollowingHasher::stress()
{
    QFETCH(quint64, seed);
    std::mt19937_64 rng(seed);
    const qint64 size = seed % 10 == 0 ? std::uniform_int_distribution<qint64>(0, 5000)(rng)
                                       : std::uniform_int_distribution<qint64>(1, 6 * MiB)(rng);
    QList<qint64> chunks;
    if (seed % 3 == 0) {
        // Equal chunks, equal pieces: offsets that line up across chunks and replicas.
        const qint64 sizes[] = {4 * KiB, 64 * KiB, 96 * KiB + 1, 512 * KiB};
        chunks = evenChunks(size, sizes[seed % 4]);
    } else {
        chunks = randomChunks(size, seed % 2 ? 1 : 1000, seed % 5 == 1 ? 8 * KiB : 700 * KiB, rng);
    }
    const qint64 uniformPiece = seed % 3 == 0 ? qint64(4 * KiB) << (seed % 4) : 0;
    const QByteArray data = test::pseudoRandomBytes(size, seed * 7919);
    RestoreFile file(size, seed % 2 == 0);
    QVERIFY(file.ok());

    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    // On half the seeds the hashing thread dawdles where the other threads race with it, which
    // widens those windows (the interleavings stay random).
    std::mt19937_64 hookRng(seed + 1);
    if (seed % 4 < 2) {
        hasher.setTestHook([&hookRng](TestPoint, qint64) {
            if (hookRng() % 4 == 0)
                std::this_thread::sleep_for(std::chrono::microseconds(hookRng() % 200));
        });
    }
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();

    std::mutex mutex;
    std::condition_variable changed;
    QList<bool> done(chunks.size(), false);
    std::atomic<qsizetype> next{0};
    std::atomic<bool> failed{false};
    auto fetcher = [&](quint64 threadSeed) {
        std::mt19937_64 r(threadSeed);
        auto chance = [&](int percent) {
            return std::uniform_int_distribution<int>(0, 99)(r) < percent;
        };
        while (true) {
            const qsizetype i = next++;
            if (i >= chunks.size())
                return;
            const qint64 at = chunks.at(i);
            const qint64 length = (i + 1 < chunks.size() ? chunks.at(i + 1) : size) - at;
            const QByteArray good = data.mid(at, length);
            const int badReplicas = chance(30) ? std::uniform_int_distribution<int>(1, 3)(r) : 0;
            for (int replica = 0; replica <= badReplicas; ++replica) {
                hasher.rollback(at); // every attempt starts so, the first one too
                QByteArray bytes = good;
                if (replica < badReplicas) {
                    if (chance(50) || bytes.isEmpty())
                        bytes = test::pseudoRandomBytes(length, r());
                    else
                        bytes[qsizetype(r() % quint64(length))] ^= char(1 << (r() % 8));
                    if (chance(40)) // cut short
                        bytes.truncate(qsizetype(r() % quint64(length + 1)));
                }
                for (qint64 p = 0; p < bytes.size();) {
                    const qint64 n =
                        qMin(bytes.size() - p,
                             uniformPiece ? uniformPiece
                                          : std::uniform_int_distribution<qint64>(1, 64 * KiB)(r));
                    if (!chance(10)) // else: as if there had been no room
                        hasher.offer(at + p, bytes.constData() + p, n);
                    if (!pwriteAll(file.fd, bytes.constData() + p, n, at + p))
                        failed = true;
                    p += n;
                    if (chance(5))
                        std::this_thread::sleep_for(std::chrono::microseconds(r() % 300));
                    else if (chance(20))
                        std::this_thread::yield();
                }
            }
            {
                std::lock_guard<std::mutex> lock(mutex);
                done[i] = true;
            }
            changed.notify_all();
        }
    };
    std::vector<std::thread> threads;
    const int threadCount = 2 + int(seed % 2);
    for (int t = 0; t < threadCount; ++t)
        threads.emplace_back(fetcher, seed * 31 + quint64(t));
    // The verified prefix, advanced from this thread as the restore does.
    qsizetype contiguous = 0;
    while (contiguous < chunks.size()) {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait_for(lock, std::chrono::milliseconds(50));
        const qsizetype before = contiguous;
        while (contiguous < done.size() && done.at(contiguous))
            ++contiguous;
        lock.unlock();
        if (contiguous != before)
            hasher.advanceTo(contiguous == chunks.size() ? size : chunks.at(contiguous));
    }
    for (std::thread& t : threads)
        t.join();
    QVERIFY(!failed);
    hasher.advanceTo(size); // for a file without chunks
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
}

// The real writers on several threads, feeding the hasher: bad replicas restart mid-chunk.
void TestFollowingHasher::writersFeedHasher()
{
    for (quint64 seed = 1; seed <= 8; ++seed) {
        std::mt19937_64 rng(seed);
        const qint64 size = std::uniform_int_distribution<qint64>(1, 9 * MiB)(rng);
        const QList<qint64> chunks = randomChunks(size, 1, 2 * MiB, rng);
        const QByteArray data = test::pseudoRandomBytes(size, seed * 17);
        RestoreFile file(size, true);
        QVERIFY(file.ok());
        const int directWriteFd = DirectWriter::openDirect(file.name());
        FollowingHasher hasher(file.fd, file.directFd, size, chunks);
        QSignalSpy spy(&hasher, &FollowingHasher::finished);
        hasher.start();
        std::atomic<qsizetype> next{0};
        std::atomic<int> failures{0};
        std::mutex mutex;
        QList<bool> done(chunks.size(), false);
        auto fetcher = [&](quint64 threadSeed) {
            std::mt19937_64 r(threadSeed);
            for (qsizetype i = next++; i < chunks.size(); i = next++) {
                const qint64 at = chunks.at(i);
                const qint64 length = (i + 1 < chunks.size() ? chunks.at(i + 1) : size) - at;
                OffsetChunkWriter writer(file.fd, directWriteFd, at, length,
                                         QStringLiteral("restored.bin"), &hasher);
                const int bad = r() % 4 == 0 ? 1 : 0;
                for (int replica = 0; replica <= bad; ++replica) {
                    writer.restart();
                    QByteArray bytes = data.mid(at, length);
                    if (replica < bad) {
                        bytes = test::pseudoRandomBytes(length, r());
                        bytes.truncate(qsizetype(r() % quint64(length + 1)));
                    }
                    for (qint64 p = 0; p < bytes.size();) {
                        const qint64 n = qMin<qint64>(bytes.size() - p, 1 + r() % (300 * KiB));
                        if (!writer.write(bytes.constData() + p, n))
                            ++failures;
                        p += n;
                    }
                }
                if (writer.written() != length ||
                    writer.digest() !=
                        QCryptographicHash::hash(data.mid(at, length), QCryptographicHash::Sha256))
                    ++failures;
                std::lock_guard<std::mutex> lock(mutex);
                done[i] = true;
            }
        };
        std::vector<std::thread> threads;
        for (int t = 0; t < 3; ++t)
            threads.emplace_back(fetcher, seed * 101 + quint64(t));
        for (std::thread& t : threads)
            t.join();
        QCOMPARE(failures.load(), 0);
        hasher.advanceTo(size);
        QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
        QCOMPARE(file.opensslHex(), sha256Hex(data));
        if (directWriteFd >= 0)
            ::close(directWriteFd);
    }
}

void TestFollowingHasher::emptyFile_data()
{
    QTest::addColumn<bool>("withChunk");
    QTest::addColumn<bool>("advance");
    QTest::newRow("no chunk") << false << false;
    QTest::newRow("no chunk, advanced") << false << true;
    QTest::newRow("one empty chunk, advanced") << true << true;
}

void TestFollowingHasher::emptyFile()
{
    QFETCH(bool, withChunk);
    QFETCH(bool, advance);
    RestoreFile file(0, true);
    QVERIFY(file.ok());
    FollowingHasher hasher(file.fd, file.directFd, 0,
                           withChunk ? QList<qint64>{0} : QList<qint64>());
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    if (withChunk) {
        hasher.rollback(0);
        hasher.offer(0, "", 0);
    }
    if (advance)
        hasher.advanceTo(0);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(hasher.digest().toHex(), sha256Hex(QByteArray()));
    QCOMPARE(hasher.bytesReadBack(), qint64(0));
}

// The file turns out shorter than announced: an error, not a digest of the wrong bytes.
void TestFollowingHasher::shortFileIsAnError()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("short.bin"));
    QVERIFY(test::writeFile(path, test::pseudoRandomBytes(10000, 20)));
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    FollowingHasher hasher(fd, -1, 20000, {0});
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    hasher.advanceTo(20000);
    QVERIFY(spy.wait(Timeout));
    QVERIFY(hasher.digest().isEmpty());
    QVERIFY2(hasher.errorString().contains(QStringLiteral("unexpected end")),
             qPrintable(hasher.errorString()));
}

// Stopping, and destroying, a hasher whose thread waits for bytes that never come.
void TestFollowingHasher::stopWhileWaiting()
{
    RestoreFile file(1 * MiB, true);
    QVERIFY(file.ok());
    {
        FollowingHasher hasher(file.fd, file.directFd, 1 * MiB, {0, 4096});
        hasher.start();
        const QByteArray bytes = test::pseudoRandomBytes(10000, 21);
        hasher.offer(0, bytes.constData(), bytes.size());
        hasher.advanceTo(4096);
        QTest::qWait(20);
        hasher.stop();
        hasher.stop(); // again: harmless
        // Calls after the stop are harmless too.
        hasher.offer(10000, bytes.constData(), 10);
        hasher.rollback(4096);
        hasher.advanceTo(1 * MiB);
    }
    {
        auto hasher =
            std::make_unique<FollowingHasher>(file.fd, file.directFd, 1 * MiB, QList<qint64>{0});
        QSignalSpy spy(hasher.get(), &FollowingHasher::finished);
        hasher->start();
        hasher.reset(); // destroyed while waiting
        QCOMPARE(spy.size(), 0);
        QTest::qWait(10); // and no queued finished() arrives for it
    }
}

// Destroyed while reading back a large verified prefix, and right after finishing, before its
// finished() was delivered.
void TestFollowingHasher::destroyWhileReadingBack()
{
    const qint64 size = 64 * MiB;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    for (int round = 0; round < 3; ++round) {
        FollowingHasher hasher(file.fd, file.directFd, size, {0});
        hasher.start();
        hasher.advanceTo(size);
        if (round > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(round == 1 ? 1 : 30));
    }
    RestoreFile small(4096, true);
    QVERIFY(small.ok());
    std::atomic<bool> finishing{false};
    {
        FollowingHasher hasher(small.fd, small.directFd, 4096, {0});
        hasher.setTestHook([&](TestPoint, qint64 position) {
            if (position == 4096)
                finishing = true;
        });
        hasher.start();
        hasher.advanceTo(4096);
        while (!finishing)
            std::this_thread::yield();
    }
    QTest::qWait(10); // the queued finished() of the destroyed hasher is not delivered
}

void TestFollowingHasher::stopWithoutStart()
{
    RestoreFile file(100, false);
    QVERIFY(file.ok());
    FollowingHasher hasher(file.fd, -1, 100, {0});
    hasher.offer(0, "abc", 3);
    hasher.stop();
}

// An offer of shared bytes is kept as it is (restore's staged blocks are not copied again), cut
// at a chunk start into blocks that share it, and let go of once hashed.
void TestFollowingHasher::sharedOffersAreKeptWithoutACopy()
{
    const qint64 size = 3 * 4096;
    RestoreFile file(size, false);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 77);
    QVERIFY(file.write(0, data));
    std::shared_ptr<char> bytes(new char[size_t(size)], std::default_delete<char[]>());
    std::memcpy(bytes.get(), data.constData(), size_t(size));
    FollowingHasher hasher(file.fd, -1, size, {0, 5000});
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.offer(0, bytes, size);
    QCOMPARE(bytes.use_count(), 3); // this test's, and the two blocks' (0 and 5000)
    hasher.start();
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(hasher.bytesReadBack(), 0);
    QCOMPARE(bytes.use_count(), 1);
}

QTEST_GUILESS_MAIN(TestFollowingHasher)
#include "tst_followinghasher.moc"
