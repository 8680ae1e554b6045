// FollowingHasher when a chunk is written again (a replica turned out bad and the next one
// starts over): rollbacks before, at and after the hashed point, of a later or an earlier chunk,
// of a replica cut short, while a block is read back, and an offer that races with a rollback.

#include "followinghashertestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestFollowingHasherRollback final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rollbackAfterHashed_data();
    void rollbackAfterHashed();
    void rollbackLaterChunk();
    void rollbackEarlierChunkDropsLaterOnes();
    void rollbackBeforeHashed();
    void rollbackCutShortReplica();
    void rollbackWhileBlockInFlight();
    void staleOfferAfterRaceWithRollback();
};

void TestFollowingHasherRollback::rollbackAfterHashed_data()
{
    QTest::addColumn<int>("badChunk");
    QTest::addColumn<bool>("direct");
    for (int bad : {0, 2, 5}) {
        QTest::addRow("chunk %d, direct", bad) << bad << true;
        QTest::addRow("chunk %d, buffered", bad) << bad << false;
    }
}

// A replica turns out bad after its bytes were hashed (the hash has moved past its chunk and on
// into later ones); the chunk starts over with a good replica.
void TestFollowingHasherRollback::rollbackAfterHashed()
{
    QFETCH(int, badChunk);
    QFETCH(bool, direct);
    const qint64 chunk = 128 * KiB + 1;
    const qint64 size = 6 * chunk;
    RestoreFile file(size, direct);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 6);
    const QList<qint64> chunks = evenChunks(size, chunk);
    std::atomic<qint64> hashedTo{0};
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    hasher.setTestHook([&](TestPoint point, qint64 position) {
        if (point == TestPoint::Waiting)
            hashedTo = position;
    });
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();

    const qint64 badAt = chunks.at(badChunk);
    QByteArray wrong = data.mid(badAt, chunk);
    wrong[wrong.size() / 2] = char(wrong.at(wrong.size() / 2) ^ 0x40); // one bit off
    // Every chunk up to the one after the bad one (if any), the bad one with the damaged bytes.
    const int last = qMin(badChunk + 1, int(chunks.size()) - 1);
    for (int i = 0; i <= last; ++i) {
        const QByteArray bytes = i == badChunk ? wrong : data.mid(chunks.at(i), chunk);
        offerPieces(hasher, chunks.at(i), bytes, 32 * KiB);
        QVERIFY(file.write(chunks.at(i), bytes));
    }
    // The damaged bytes and the next chunk are hashed, provisionally.
    QTRY_COMPARE_WITH_TIMEOUT(hashedTo.load(), chunks.at(last) + chunk, Timeout);
    // The chunk starts over: the next replica is good.
    hasher.rollback(badAt);
    offerPieces(hasher, badAt, data.mid(badAt, chunk), 32 * KiB);
    QVERIFY(file.write(badAt, data.mid(badAt, chunk)));
    // The chunks after it: the writer of the one right after it will not offer it again (its
    // provisional bytes were hashed and undone with the bad chunk), so only that one is read
    // back; the later ones' offers wait for the hash to reach them.
    for (int i = badChunk + 2; i < chunks.size(); ++i) {
        offerPieces(hasher, chunks.at(i), data.mid(chunks.at(i), chunk), 32 * KiB);
        QVERIFY(file.write(chunks.at(i), data.mid(chunks.at(i), chunk)));
    }
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
    QCOMPARE(hasher.bytesReadBack(), badChunk + 1 < chunks.size() ? chunk : qint64(0));
}

// Chunks 0-3 are provisional; chunk 3 (the last of them) starts over.
void TestFollowingHasherRollback::rollbackLaterChunk()
{
    const qint64 chunk = 100 * KiB + 3;
    const qint64 size = 5 * chunk;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 7);
    const QList<qint64> chunks = evenChunks(size, chunk);
    std::atomic<qint64> hashedTo{0};
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    hasher.setTestHook([&](TestPoint point, qint64 position) {
        if (point == TestPoint::Waiting)
            hashedTo = position;
    });
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    const QByteArray junk = test::pseudoRandomBytes(chunk, 8);
    for (int i = 0; i < 4; ++i) {
        const QByteArray bytes = i == 3 ? junk : data.mid(chunks.at(i), chunk);
        offerPieces(hasher, chunks.at(i), bytes, 8 * KiB);
        QVERIFY(file.write(chunks.at(i), bytes));
    }
    QTRY_COMPARE_WITH_TIMEOUT(hashedTo.load(), chunks.at(4), Timeout);
    hasher.rollback(chunks.at(3));
    // Chunk 0 is verified meanwhile: the checkpoints behind it go, chunk 3's must stay.
    hasher.advanceTo(chunks.at(1));
    offerPieces(hasher, chunks.at(3), data.mid(chunks.at(3), chunk), 8 * KiB);
    offerPieces(hasher, chunks.at(4), data.mid(chunks.at(4), chunk), 8 * KiB);
    QVERIFY(file.write(chunks.at(3), data.mid(chunks.at(3), chunk)));
    QVERIFY(file.write(chunks.at(4), data.mid(chunks.at(4), chunk)));
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
    QCOMPARE(hasher.bytesReadBack(), qint64(0));
}

// Chunks 0-3 are provisional; chunk 1 starts over, which also undoes chunks 2 and 3 (hashed
// after it); they are read back once verified.
void TestFollowingHasherRollback::rollbackEarlierChunkDropsLaterOnes()
{
    const qint64 chunk = 64 * KiB;
    const qint64 size = 4 * chunk;
    RestoreFile file(size, false);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 9);
    const QList<qint64> chunks = evenChunks(size, chunk);
    std::atomic<qint64> hashedTo{0};
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    hasher.setTestHook([&](TestPoint point, qint64 position) {
        if (point == TestPoint::Waiting)
            hashedTo = position;
    });
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    const QByteArray junk = test::pseudoRandomBytes(chunk, 10);
    for (int i = 0; i < 4; ++i) {
        const QByteArray bytes = i == 1 ? junk : data.mid(chunks.at(i), chunk);
        offerPieces(hasher, chunks.at(i), bytes, 4 * KiB);
        QVERIFY(file.write(chunks.at(i), bytes));
    }
    QTRY_COMPARE_WITH_TIMEOUT(hashedTo.load(), size, Timeout);
    hasher.rollback(chunks.at(1));
    offerPieces(hasher, chunks.at(1), data.mid(chunks.at(1), chunk), 4 * KiB);
    QVERIFY(file.write(chunks.at(1), data.mid(chunks.at(1), chunk)));
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
    QCOMPARE(hasher.bytesReadBack(), 2 * chunk);
}

// The bad replica's bytes are rolled back right after they are offered, whether or not the
// thread got to them: the result must not depend on it. Three bad replicas in a row.
void TestFollowingHasherRollback::rollbackBeforeHashed()
{
    const qint64 chunk = 1 * MiB + 17;
    const qint64 size = 3 * chunk;
    for (int round = 0; round < 20; ++round) {
        RestoreFile file(size, round % 2 == 0);
        QVERIFY(file.ok());
        const QByteArray data = test::pseudoRandomBytes(size, quint64(11 + round));
        const QList<qint64> chunks = evenChunks(size, chunk);
        FollowingHasher hasher(file.fd, file.directFd, size, chunks);
        QSignalSpy spy(&hasher, &FollowingHasher::finished);
        hasher.start();
        const int bad = round % 3;
        for (int i = 0; i < 3; ++i) {
            const qint64 at = chunks.at(i);
            if (i == bad) {
                for (int replica = 0; replica < 3; ++replica) {
                    const QByteArray junk = test::pseudoRandomBytes(chunk, quint64(100 + replica));
                    hasher.rollback(at); // as every attempt starts
                    offerPieces(hasher, at, junk, 64 * KiB);
                    QVERIFY(file.write(at, junk));
                    if (round % 4 == 1)
                        QTest::qWait(5); // give the thread a chance to hash them
                }
            }
            hasher.rollback(at);
            offerPieces(hasher, at, data.mid(at, chunk), 64 * KiB);
            QVERIFY(file.write(at, data.mid(at, chunk)));
        }
        hasher.advanceTo(size);
        QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
        QCOMPARE(file.opensslHex(), sha256Hex(data));
    }
}

// A bad replica cut short in the middle of its chunk (the connection dropped), then a good one.
void TestFollowingHasherRollback::rollbackCutShortReplica()
{
    const qint64 chunk = 200 * KiB + 5;
    const qint64 size = 3 * chunk;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 12);
    const QList<qint64> chunks = evenChunks(size, chunk);
    std::atomic<qint64> hashedTo{0};
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    hasher.setTestHook([&](TestPoint point, qint64 position) {
        if (point == TestPoint::Waiting)
            hashedTo = position;
    });
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    offerPieces(hasher, 0, data.left(chunk), 16 * KiB);
    QVERIFY(file.write(0, data.left(chunk)));
    const QByteArray junk = test::pseudoRandomBytes(chunk / 2, 13);
    offerPieces(hasher, chunk, junk, 16 * KiB);
    QVERIFY(file.write(chunk, junk));
    QTRY_COMPARE_WITH_TIMEOUT(hashedTo.load(), chunk + junk.size(), Timeout);
    hasher.rollback(chunk);
    for (int i = 1; i < 3; ++i) {
        offerPieces(hasher, chunks.at(i), data.mid(chunks.at(i), chunk), 16 * KiB);
        QVERIFY(file.write(chunks.at(i), data.mid(chunks.at(i), chunk)));
    }
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
    QCOMPARE(hasher.bytesReadBack(), qint64(0));
}

// The rollback arrives while the thread is hashing a block of the bad chunk, outside the lock.
// As in a restore, it comes after the bad replica's last offer: a chunk writer offers what it
// writes and rolls back on the same thread, so no offer of the bad replica follows its rollback.
void TestFollowingHasherRollback::rollbackWhileBlockInFlight()
{
    const qint64 chunk = 64 * KiB + 9;
    const qint64 piece = 4 * KiB;
    const qint64 size = 3 * chunk;
    for (qint64 victim : {qint64(0), piece * 3, chunk - 9}) { // first, middle, last piece
        RestoreFile file(size, true);
        QVERIFY(file.ok());
        const QByteArray data = test::pseudoRandomBytes(size, 14);
        const QList<qint64> chunks = evenChunks(size, chunk);
        std::atomic<bool> junkOffered{false};
        std::atomic<bool> rolledBack{false};
        FollowingHasher hasher(file.fd, file.directFd, size, chunks);
        hasher.setTestHook([&](TestPoint point, qint64 position) {
            if (point == TestPoint::BlockTaken && position == chunk + victim && !rolledBack) {
                // The block taken stays in flight until the bad replica is all offered.
                while (!junkOffered)
                    std::this_thread::yield();
                hasher.rollback(chunk);
                rolledBack = true;
            }
        });
        QSignalSpy spy(&hasher, &FollowingHasher::finished);
        hasher.start();
        offerPieces(hasher, 0, data.left(chunk), piece);
        QVERIFY(file.write(0, data.left(chunk)));
        const QByteArray junk = test::pseudoRandomBytes(chunk, 15);
        offerPieces(hasher, chunk, junk, piece);
        junkOffered = true;
        QVERIFY(file.write(chunk, junk));
        QTRY_VERIFY_WITH_TIMEOUT(rolledBack.load(), Timeout);
        for (int i = 1; i < 3; ++i) {
            offerPieces(hasher, chunks.at(i), data.mid(chunks.at(i), chunk), piece);
            QVERIFY(file.write(chunks.at(i), data.mid(chunks.at(i), chunk)));
        }
        hasher.advanceTo(size);
        QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
        QCOMPARE(file.opensslHex(), sha256Hex(data));
    }
}

// A replay of one interleaving that used to hash bytes of a replica already rolled back:
// 1. The last block of chunk 1 (bad) is being hashed when chunk 1 rolls back.
// 2. Once hashed, the hash stands at chunk 2, and (the rollback not yet handled) offers were
//    accepted there: chunk 2's first pieces (from a replica that will also turn out bad).
// 3. The rollback is handled: the hash goes back to chunk 1. The next offer position was then
//    computed as if the queue started there, so chunk 1's good replica got queued *behind*
//    chunk 2's pieces, out of file order.
// 4. Chunk 2 rolls back. Undoing its offers stopped at the first queued block before it (one of
//    chunk 1's), leaving chunk 2's bad pieces in the queue, to be hashed once the hash got there.
void TestFollowingHasherRollback::staleOfferAfterRaceWithRollback()
{
    const qint64 chunk = 64 * KiB;
    const qint64 piece = 4 * KiB;
    const qint64 size = 4 * chunk;
    RestoreFile file(size, true);
    QVERIFY(file.ok());
    const QByteArray data = test::pseudoRandomBytes(size, 16);
    QVERIFY(file.write(0, data)); // what the good replicas leave behind
    const QByteArray bad1 = test::pseudoRandomBytes(chunk, 17);
    const QByteArray bad2 = test::pseudoRandomBytes(2 * piece, 18);
    const QList<qint64> chunks = evenChunks(size, chunk);
    std::atomic<int> step{0};
    FollowingHasher hasher(file.fd, file.directFd, size, chunks);
    hasher.setTestHook([&](TestPoint point, qint64 position) {
        if (step == 0 && point == TestPoint::BlockTaken && position == 2 * chunk - piece) {
            hasher.rollback(chunk);
            step = 1;
        } else if (step == 1 && point == TestPoint::Waiting && position == 2 * chunk) {
            offerPieces(hasher, 2 * chunk, bad2, piece);
            step = 2;
        } else if (step == 2 && point == TestPoint::Waiting && position == chunk) {
            offerPieces(hasher, chunk, data.mid(chunk, chunk), piece);
            hasher.rollback(2 * chunk);
            step = 3;
        }
    });
    QSignalSpy spy(&hasher, &FollowingHasher::finished);
    hasher.start();
    offerPieces(hasher, 0, data.left(chunk), piece);
    offerPieces(hasher, chunk, bad1, piece);
    QTRY_COMPARE_WITH_TIMEOUT(step.load(), 3, Timeout);
    hasher.advanceTo(size);
    QCOMPARE(waitForDigest(hasher, spy), file.opensslHex());
    QCOMPARE(file.opensslHex(), sha256Hex(data));
}

QTEST_GUILESS_MAIN(TestFollowingHasherRollback)
#include "tst_followinghasherrollback.moc"
