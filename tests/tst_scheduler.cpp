// The background scheduler on its own (core/sync/scheduler): "run it now" for a task that is not
// due, one background transfer at a time, the pause and power rules, and when tasks last
// started, with a launcher that only records what it was asked to start.
#include "registry/registry.h"
#include "sync/powerstate.h"
#include "sync/scheduler.h"
#include "testvault.h"

#include <QSignalSpy>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

// A scheduler over a vault's registry whose tasks are never due by themselves, on a clock the
// test moves; the launcher records the keys it starts and gives each run a transfer id.
struct Fixture
{
    Fixture()
    {
        scheduler.setRegistry(&tv.registry());
        scheduler.setPowerState(&power);
        scheduler.setClock([this] { return now; });
        scheduler.setTickMs(3'600'000); // only poke() looks: each step is the test's
        scheduler.setLauncher([this](const Scheduler::Task& task) {
            started.append(task.key);
            return nothing.contains(task.key) ? qint64(0) : qint64(started.size());
        });
        for (const auto& [key, heavy] : {std::pair{"light", false}, std::pair{"heavy", true}}) {
            Scheduler::Task task;
            task.key = QLatin1String(key);
            task.heavy = heavy;
            task.due = [](qint64) { return false; };
            scheduler.addTask(task);
        }
        scheduler.start();
    }
    // Lets the scheduler look (its pokes are queued) and says what it started since the last call.
    QStringList look()
    {
        QCoreApplication::processEvents();
        QCoreApplication::processEvents();
        QStringList out = started.mid(seen);
        seen = int(started.size());
        return out;
    }

    TestVault tv;
    PowerState power;
    Scheduler scheduler;
    qint64 now = 1'000'000;
    QStringList started;
    QStringList nothing; // tasks whose launcher finds nothing to do
    int seen = 0;
};

} // namespace

class TestScheduler final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Not due: nothing runs until asked; asked, it runs at the next look, once, and its start is
    // kept in the vault.
    void runNowRunsATaskThatIsNotDue()
    {
        Fixture f;
        QVERIFY(f.tv.ok());
        QCOMPARE(f.look(), QStringList());
        QCOMPARE(f.scheduler.lastStart(QStringLiteral("light")), qint64(-1));
        f.scheduler.runNow(QStringLiteral("light"));
        QCOMPARE(f.look(), QStringList{QStringLiteral("light")});
        QCOMPARE(f.scheduler.runningTask(), QStringLiteral("light"));
        QCOMPARE(f.scheduler.lastStart(QStringLiteral("light")), f.now);
        f.scheduler.transferFinished(f.scheduler.runningTransfer());
        f.scheduler.poke();
        QCOMPARE(f.look(), QStringList());
    }

    // One background transfer at a time: a task asked for while another runs starts when that
    // one ends; asking twice runs it once.
    void runNowWaitsForTheRunningTransfer()
    {
        Fixture f;
        QVERIFY(f.tv.ok());
        f.scheduler.runNow(QStringLiteral("light"));
        QCOMPARE(f.look(), QStringList{QStringLiteral("light")});
        const qint64 first = f.scheduler.runningTransfer();
        f.scheduler.runNow(QStringLiteral("heavy"));
        f.scheduler.runNow(QStringLiteral("heavy"));
        QCOMPARE(f.look(), QStringList());
        f.scheduler.transferFinished(first + 100); // another transfer: nothing changes
        QCOMPARE(f.look(), QStringList());
        f.scheduler.transferFinished(first);
        QCOMPARE(f.look(), QStringList{QStringLiteral("heavy")});
        f.scheduler.transferFinished(f.scheduler.runningTransfer());
        QCOMPARE(f.look(), QStringList());
    }

    // Paused, or heavy work deferred on battery: what was asked waits and runs once allowed; a
    // heavy transfer running when the computer goes on battery is asked to stop.
    void runNowKeepsThePauseAndPowerRules()
    {
        Fixture f;
        QVERIFY(f.tv.ok());
        QSignalSpy stop(&f.scheduler, &Scheduler::stopRequested);
        f.scheduler.setPaused(true);
        f.scheduler.runNow(QStringLiteral("light"));
        QCOMPARE(f.look(), QStringList());
        f.scheduler.setPaused(false);
        QCOMPARE(f.look(), QStringList{QStringLiteral("light")});
        f.scheduler.transferFinished(f.scheduler.runningTransfer());

        f.power.setOnBattery(true);
        QCOMPARE(f.scheduler.deferReason(), QStringLiteral("on battery"));
        f.scheduler.runNow(QStringLiteral("heavy"));
        QCOMPARE(f.look(), QStringList());
        f.power.setOnBattery(false);
        QCOMPARE(f.look(), QStringList{QStringLiteral("heavy")});
        QVERIFY(stop.isEmpty());
        f.power.setOnBattery(true);
        QCOMPARE(stop.size(), 1);
        QCOMPARE(stop.first().first().toLongLong(), f.scheduler.runningTransfer());

        // Allowed on battery by the user: it runs.
        f.scheduler.transferFinished(f.scheduler.runningTransfer());
        f.scheduler.setAllowBattery(true);
        f.scheduler.runNow(QStringLiteral("heavy"));
        QCOMPARE(f.look(), QStringList{QStringLiteral("heavy")});
    }

    // A task asked for that finds nothing to do holds nothing up and is not asked again.
    void runNowWithNothingToDoEnds()
    {
        Fixture f;
        QVERIFY(f.tv.ok());
        f.nothing = QStringList{QStringLiteral("light")};
        f.scheduler.runNow(QStringLiteral("light"));
        f.scheduler.runNow(QStringLiteral("heavy"));
        QCOMPARE(f.look(), (QStringList{QStringLiteral("light"), QStringLiteral("heavy")}));
        QCOMPARE(f.scheduler.runningTask(), QStringLiteral("heavy"));
        f.scheduler.transferFinished(f.scheduler.runningTransfer());
        QCOMPARE(f.look(), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestScheduler)
#include "tst_scheduler.moc"
