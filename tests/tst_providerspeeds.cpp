// ProviderSpeeds (core/vault/providerspeeds.h), the measures restore swarming chooses
// replicas by, on a clock the test moves by hand.

#include "vault/providerspeeds.h"

#include <QtTest>

using namespace mf;

namespace {
constexpr qint64 A = 1;
constexpr qint64 B = 2;
constexpr qint64 Chunk = 256 * 1024;
} // namespace

class TestProviderSpeeds final : public QObject
{
    Q_OBJECT

private:
    qint64 m_now = 1000;
    ProviderSpeeds::Clock clock()
    {
        return [this] { return m_now; };
    }
    // `provider` delivers `bytesPerSecond` for `ms` with one fetch in flight, in 10 ms steps.
    void deliver(ProviderSpeeds& s, qint64 provider, qint64 bytesPerSecond, qint64 ms)
    {
        for (qint64 t = 0; t < ms; t += 10) {
            m_now += 10;
            s.delivered(provider, bytesPerSecond / 100);
        }
    }

private Q_SLOTS:
    void unmeasuredIdleProviderIsProbedFirst()
    {
        ProviderSpeeds s(clock());
        QCOMPARE(s.rate(A), -1.0);
        QCOMPARE(s.expectedMs(A, Chunk), 0.0);
        s.fetchStarted(A, Chunk);
        QCOMPARE(s.inFlight(A), 1);
        // Busy and still unmeasured: ranked by what it was asked for, against an idle newcomer.
        QVERIFY(s.expectedMs(A, Chunk) > s.expectedMs(B, Chunk));
    }

    void measuresTheLinkAndPrefersTheFasterOne()
    {
        ProviderSpeeds s(clock());
        s.fetchStarted(A, 100 * Chunk);
        s.fetchStarted(B, 100 * Chunk);
        for (int i = 0; i < 100; ++i) { // one second, both links delivering at once
            m_now += 10;
            s.delivered(A, 40000); // 4 MB/s
            s.delivered(B, 10000); // 1 MB/s
        }
        QVERIFY(qAbs(s.rate(A) - 4e6) < 1e5);
        QVERIFY(qAbs(s.rate(B) - 1e6) < 1e5);
        QVERIFY(s.expectedMs(A, Chunk) < s.expectedMs(B, Chunk));
    }

    void aStalledLinkLosesItsRankBeforeItsNextSample()
    {
        ProviderSpeeds s(clock());
        s.fetchStarted(B, Chunk);
        deliver(s, B, 1000000, 300);
        s.fetchEnded(B, Chunk, 300000, false);
        s.fetchStarted(A, 4000000);
        deliver(s, A, 4000000, 1000);
        QVERIFY(s.expectedMs(A, Chunk) < s.expectedMs(B, Chunk));
        // A delivers nothing more: no event at all, yet a sample's time later it ranks last.
        m_now += ProviderSpeeds::SampleMs + 10;
        QCOMPARE(s.rate(A), 0.0);
        QVERIFY(s.expectedMs(A, Chunk) > s.expectedMs(B, Chunk));
    }

    void aSlowerLinkIsFollowedWithinAFewSamples()
    {
        ProviderSpeeds s(clock());
        s.fetchStarted(A, 1000 * Chunk);
        deliver(s, A, 4000000, 1000);
        deliver(s, A, 100000, 2000);
        QVERIFY2(s.rate(A) < 200000, qPrintable(QString::number(s.rate(A))));
    }

    void failuresMakeAProviderLookSlower()
    {
        ProviderSpeeds s(clock());
        for (qint64 p : {A, B}) {
            s.fetchStarted(p, Chunk);
            deliver(s, p, 1000000, 300);
            s.fetchEnded(p, Chunk, 300000, false);
        }
        const double before = s.expectedMs(A, Chunk);
        QCOMPARE(before, s.expectedMs(B, Chunk));
        s.fetchStarted(A, Chunk);
        s.fetchEnded(A, Chunk, 0, true);
        QCOMPARE(s.expectedMs(A, Chunk), 2 * before);
        // Nor is a provider that failed before it was ever measured probed first.
        s.fetchStarted(3, Chunk);
        s.fetchEnded(3, Chunk, 0, true);
        QVERIFY(s.expectedMs(3, Chunk) > 0);
        // Delivering again clears it.
        s.fetchStarted(A, Chunk);
        deliver(s, A, 1000000, 100);
        s.fetchEnded(A, Chunk, Chunk, false);
        QCOMPARE(s.inFlight(A), 0);
        QVERIFY(s.expectedMs(A, Chunk) < 1.5 * before);
    }
};

QTEST_GUILESS_MAIN(TestProviderSpeeds)
#include "tst_providerspeeds.moc"
