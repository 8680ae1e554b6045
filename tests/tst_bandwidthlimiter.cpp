// The token buckets behind the vault's bandwidth limits, on a clock the test moves by hand: no
// test here waits or measures time.
#include "util/bandwidthlimiter.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace mf;
using Direction = BandwidthLimiter::Direction;

class TestBandwidthLimiter : public QObject
{
    Q_OBJECT

    qint64 m_now = 1000;

    BandwidthLimiter make()
    {
        return BandwidthLimiter([this] { return m_now; }, [this](int ms) { m_now += ms; });
    }

    // Moves `total` bytes in pieces of at most `piece` through take(), sleeping on the fake
    // clock as told; returns the milliseconds it took.
    qint64 move(BandwidthLimiter& limiter, Direction d, qint64 total, qint64 piece)
    {
        const qint64 start = m_now;
        qint64 left = total;
        while (left > 0) {
            int wait = -1;
            const qint64 got = limiter.take(d, qMin(piece, left), &wait);
            if (got == 0) {
                if (wait < 1 || wait > BandwidthLimiter::MaxWaitMs)
                    return -1;
                m_now += wait;
            }
            left -= got;
        }
        return m_now - start;
    }

private Q_SLOTS:
    void init() { m_now = 1000; }

    void unlimitedGrantsEverything()
    {
        BandwidthLimiter limiter = make();
        QCOMPARE(limiter.limit(Direction::Upload), 0);
        QCOMPARE(limiter.take(Direction::Upload, qint64(1) << 40), qint64(1) << 40);
        QCOMPARE(limiter.take(Direction::Download, 5), 5);
        QCOMPARE(limiter.take(Direction::Download, 0), 0);
        limiter.charge(Direction::Upload, 1 << 30); // no debt without a limit
        limiter.setLimit(Direction::Upload, 1000000);
        QVERIFY(limiter.take(Direction::Upload, 1000) == 1000);
    }

    // Its accounting counts every byte it lets through or is charged, limited or not, and every
    // time it says wait: what the tests of real transfers read.
    void accountingCountsEveryByte()
    {
        BandwidthLimiter limiter = make();
        QCOMPARE(limiter.take(Direction::Upload, 700), 700);
        limiter.setLimit(Direction::Upload, 100000); // a bucket of 10,000 bytes
        QCOMPARE(limiter.take(Direction::Upload, 20000), 10000);
        QCOMPARE(limiter.waits(Direction::Upload), 0);
        QCOMPARE(limiter.take(Direction::Upload, 20000), 0);
        QCOMPARE(limiter.waits(Direction::Upload), 1);
        limiter.charge(Direction::Upload, 300);
        QCOMPARE(limiter.moved(Direction::Upload), 700 + 10000 + 300);
        QCOMPARE(limiter.moved(Direction::Download), 0);
        QCOMPARE(limiter.waits(Direction::Download), 0);
    }

    // 10 MB at 1 MB/s in 64 KiB pieces: 10 s, less the first bucket (0.1 s), within a few ms.
    void rateIsHeld_data()
    {
        QTest::addColumn<qint64>("rate");
        QTest::addColumn<qint64>("piece");
        QTest::newRow("1 MB/s, 64 KiB reads") << qint64(1000000) << qint64(65536);
        QTest::newRow("1 MB/s, 1 MiB writes") << qint64(1000000) << qint64(1 << 20);
        QTest::newRow("20 KB/s, 16 KiB reads") << qint64(20000) << qint64(16384);
        QTest::newRow("300 MB/s, 4 MiB") << qint64(300000000) << qint64(4 << 20);
    }

    void rateIsHeld()
    {
        QFETCH(qint64, rate);
        QFETCH(qint64, piece);
        BandwidthLimiter limiter = make();
        limiter.setLimit(Direction::Download, rate);
        const qint64 total = rate * 10;
        const qint64 ms = move(limiter, Direction::Download, total, piece);
        QVERIFY(ms > 0);
        const double expected = 10000.0 - 100.0; // the full bucket at the start moves at once
        QVERIFY2(std::abs(double(ms) - expected) <= expected * 0.02,
                 qPrintable(QStringLiteral("%1 ms").arg(ms)));
    }

    void directionsAreIndependent()
    {
        BandwidthLimiter limiter = make();
        limiter.setLimits(100000, 0);
        QCOMPARE(limiter.limit(Direction::Upload), 100000);
        QCOMPARE(limiter.limit(Direction::Download), 0);
        QCOMPARE(move(limiter, Direction::Download, 50 << 20, 1 << 20), 0);
        QVERIFY(move(limiter, Direction::Upload, 200000, 8192) >= 1900);
    }

    // Several transfers share one bucket: together they get the rate, not each of them.
    void sharedByEveryTransfer()
    {
        BandwidthLimiter limiter = make();
        limiter.setLimit(Direction::Upload, 1000000);
        qint64 moved[3] = {0, 0, 0};
        const qint64 start = m_now;
        // Whose timer fires first varies from round to round.
        for (int round = 0; moved[0] + moved[1] + moved[2] < 5000000; ++round) {
            bool any = false;
            int wait = BandwidthLimiter::MaxWaitMs;
            for (int i = 0; i < 3; ++i) {
                qint64& m = moved[(round + i) % 3];
                int w = -1;
                const qint64 got = limiter.take(Direction::Upload, 32768, &w);
                m += got;
                any = any || got > 0;
                if (got == 0)
                    wait = qMin(wait, w);
            }
            if (!any)
                m_now += wait;
        }
        QVERIFY2(m_now - start >= 4800, qPrintable(QString::number(m_now - start)));
        for (qint64 m : moved)
            QVERIFY2(m > 1000000, "every transfer gets a share");
    }

    // A limit changed while transfers run applies to the next grant.
    void changedWhileRunning()
    {
        BandwidthLimiter limiter = make();
        limiter.setLimit(Direction::Upload, 1000000);
        QVERIFY(qAbs(move(limiter, Direction::Upload, 3000000, 65536) - 2900) <= 60);
        limiter.setLimit(Direction::Upload, 250000);
        QVERIFY(qAbs(move(limiter, Direction::Upload, 1000000, 65536) - 4000) <= 80);
        limiter.setLimit(Direction::Upload, 0);
        QCOMPARE(move(limiter, Direction::Upload, 1 << 30, 1 << 20), 0);
        limiter.setLimit(Direction::Upload, 2000000);
        QVERIFY(qAbs(move(limiter, Direction::Upload, 4000000, 65536) - 1900) <= 60);
    }

    // Bytes that moved without asking delay those that ask next.
    void chargedBytesAreRepaid()
    {
        BandwidthLimiter limiter = make();
        limiter.setLimit(Direction::Download, 1000000);
        move(limiter, Direction::Download, 100000, 100000); // the bucket is empty now
        limiter.charge(Direction::Download, 500000);
        QVERIFY(qAbs(move(limiter, Direction::Download, 500000, 65536) - 1000) <= 40);
    }

    // Never told to wait longer than MaxWaitMs (a raised limit applies soon), never 0 ms.
    void waitsAreBounded()
    {
        BandwidthLimiter limiter = make();
        limiter.setLimit(Direction::Upload, 10); // 10 bytes per second
        QVERIFY(limiter.take(Direction::Upload, 4096) > 0);
        int wait = -1;
        QCOMPARE(limiter.take(Direction::Upload, 4096, &wait), 0);
        QCOMPARE(wait, BandwidthLimiter::MaxWaitMs);
        limiter.setLimit(Direction::Upload, 100000000);
        m_now += wait;
        QVERIFY(limiter.take(Direction::Upload, 4096, &wait) > 0);
    }

    void acquireBlocksUntilGranted()
    {
        BandwidthLimiter limiter = make();
        limiter.setLimit(Direction::Upload, 2000000);
        const qint64 start = m_now;
        QVERIFY(limiter.acquire(Direction::Upload, 4000000));
        QVERIFY(qAbs((m_now - start) - 1900) <= 60);
        int calls = 0;
        QVERIFY(!limiter.acquire(Direction::Upload, 4000000, [&calls] { return ++calls > 3; }));
    }

    // Real threads and the real clock: the grants add up, nothing is lost or granted twice.
    void threadSafe()
    {
        BandwidthLimiter limiter;
        limiter.setLimit(Direction::Download, 1000000000);
        std::atomic<qint64> total{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i)
            threads.emplace_back([&] {
                for (int n = 0; n < 2000; ++n)
                    if (limiter.acquire(Direction::Download, 1000))
                        total += 1000;
            });
        for (std::thread& t : threads)
            t.join();
        QCOMPARE(total.load(), qint64(8000000));
    }
};

QTEST_GUILESS_MAIN(TestBandwidthLimiter)
#include "tst_bandwidthlimiter.moc"
