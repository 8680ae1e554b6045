// ConcurrencyGovernor (core/providers/network/concurrencygovernor.h): how many requests a
// network provider runs at once, found by measuring. Links are simulated on a clock the test
// moves by hand, so what is checked is the rule, never how fast this machine is.

#include "providers/network/concurrencygovernor.h"

#include <QtTest>

using namespace mf;

namespace {
constexpr qint64 PerRequest = 1000000; // bytes per second one request moves
using Governor = ConcurrencyGovernor;
} // namespace

class TestConcurrencyGovernor final : public QObject
{
    Q_OBJECT

private:
    qint64 m_now = 5000;
    Governor::Clock clock()
    {
        return [this] { return m_now; };
    }
    // Runs as many requests as the limit allows for `ms`, in 10 ms steps, on a link where each
    // request moves PerRequest bytes a second and all of them together at most `linkRate`.
    // Returns the highest limit seen.
    int run(Governor& g, qint64 ms, qint64 linkRate)
    {
        int highest = g.limit();
        for (qint64 t = 0; t < ms; t += 10) {
            g.setActive(g.limit());
            m_now += 10;
            g.transferred(qMin<qint64>(PerRequest * g.limit(), linkRate) / 100);
            highest = qMax(highest, g.limit());
        }
        return highest;
    }

private Q_SLOTS:
    void startsLowWithinTheCeiling()
    {
        QCOMPARE(Governor(8, clock()).limit(), Governor::Start);
        QCOMPARE(Governor(1, clock()).limit(), 1);
        QCOMPARE(Governor(0, clock()).limit(), 1); // a ceiling of at least one request
        QCOMPARE(Governor(8, clock()).ceiling(), 8);
    }

    // Each request is held back on its own (a server's per-connection limit, a long fat
    // pipe): every raise pays, up to the user's ceiling and never past it.
    void growsWhileThroughputGrows()
    {
        Governor g(6, clock());
        const int highest = run(g, 30 * Governor::WindowMs, 100 * PerRequest);
        QCOMPARE(highest, 6);
        QCOMPARE(g.limit(), 6);
    }

    // The link carries three requests' worth: the fourth brings nothing, is taken back, and
    // the limit holds at three until it is time to probe again.
    void holdsWhereThroughputStopsGrowing()
    {
        Governor g(16, clock());
        int highest = run(g, 10 * Governor::WindowMs, 3 * PerRequest);
        QCOMPARE(highest, 4);
        QCOMPARE(g.limit(), 3);
        highest = run(g, (Governor::HoldWindows - 10) * Governor::WindowMs, 3 * PerRequest);
        QCOMPARE(highest, 3);
        // Held long enough, it probes once more (the link may have grown), and steps back.
        highest = run(g, 10 * Governor::WindowMs, 3 * PerRequest);
        QCOMPARE(highest, 4);
        QCOMPARE(g.limit(), 3);
    }

    // Fewer requests asked for than the limit allows: the limit is not what holds them back,
    // so that time measures nothing and the limit stays.
    void timeBelowTheLimitSaysNothing()
    {
        Governor g(8, clock());
        for (int t = 0; t < 10000; t += 10) {
            g.setActive(1);
            m_now += 10;
            g.transferred(PerRequest / 100);
        }
        QCOMPARE(g.limit(), Governor::Start);
        g.setActive(0);
        m_now += 60000; // idle
        QCOMPARE(g.limit(), Governor::Start);
    }

    // 429 / 503: half as many at once, once for the burst of answers that says it, and no
    // raise for a while after.
    void serverBusyHalvesTheLimitOncePerBurst()
    {
        Governor g(8, clock());
        run(g, 30 * Governor::WindowMs, 100 * PerRequest);
        QCOMPARE(g.limit(), 8);
        g.serverBusy();
        QCOMPARE(g.limit(), 4);
        m_now += Governor::QuietMs / 2;
        g.serverBusy(); // the other requests of that moment hear the same
        QCOMPARE(g.limit(), 4);
        m_now += Governor::QuietMs;
        g.serverBusy();
        QCOMPARE(g.limit(), 2);
        for (int i = 0; i < 3; ++i) {
            m_now += Governor::QuietMs;
            g.serverBusy();
        }
        QCOMPARE(g.limit(), 1); // never none
        // Held after the last one, then it grows again while it pays.
        QCOMPARE(run(g, (Governor::HoldWindows - 1) * Governor::WindowMs, 100 * PerRequest), 1);
        QVERIFY(run(g, 10 * Governor::WindowMs, 100 * PerRequest) > 1);
    }
};

QTEST_GUILESS_MAIN(TestConcurrencyGovernor)
#include "tst_concurrencygovernor.moc"
