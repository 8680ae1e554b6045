// The names of temporary files and uploads, and the sweep of what killed processes left
// (util/temporaries.h): who owns a name, with real processes that run and that were killed; a
// folder sweep removes the dead ones' and the old ones' and never a live one's; the local
// provider's put names its temporaries so and its sweep cleans .tmp/; job rows name their process.

#include "providers/localprovider.h"
#include "registry/registry.h"
#include "testsupport.h"
#include "testvault.h"
#include "util/processidentity.h"
#include "util/temporaries.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QWaitCondition>
#include <QtTest>

#include <csignal>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mf;

namespace {

// A process of this host that runs until killed.
class Sleeper
{
public:
    Sleeper()
    {
        m_process.start(QStringLiteral("sleep"), {QStringLiteral("600")});
        m_process.waitForStarted();
    }
    ~Sleeper() { kill(); }
    qint64 pid() const { return m_process.processId(); }
    // kill -9, and reaped: its pid is free afterwards.
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(m_process.processId()), SIGKILL);
        m_process.waitForFinished();
    }

private:
    QProcess m_process;
};

// A temporary name as another process of this host (`pid`, any nonce) would give it.
QString nameOf(const QString& base, qint64 pid, const QString& host = processidentity::hostKey())
{
    return base + QStringLiteral(".modelfloat-%1-%2-%3-abc123")
                      .arg(host)
                      .arg(pid)
                      .arg(QStringLiteral("1f2e3d4c5b6a7980"));
}

bool touch(const QString& path, qint64 ageSecs = 0, const QByteArray& data = "partial")
{
    if (!test::writeFile(path, data))
        return false;
    if (ageSecs <= 0)
        return true;
    const qint64 when = QDateTime::currentSecsSinceEpoch() - ageSecs;
    struct timeval times[2] = {{time_t(when), 0}, {time_t(when), 0}};
    return ::utimes(QFile::encodeName(path).constData(), times) == 0;
}

QStringList namesIn(const QString& folder)
{
    return QDir(folder).entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

// Hands out `data`, stopping after `gateAt` bytes until open() is called (from another thread).
class GatedSource final : public QIODevice
{
public:
    GatedSource(const QByteArray& data, qint64 gateAt)
        : m_data(data)
        , m_gateAt(gateAt)
    {
        QIODevice::open(QIODevice::ReadOnly);
    }
    void open()
    {
        QMutexLocker lock(&m_mutex);
        m_open = true;
        m_wake.wakeAll();
    }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char* out, qint64 max) override
    {
        QMutexLocker lock(&m_mutex);
        while (!m_open && m_pos >= m_gateAt)
            m_wake.wait(&m_mutex);
        const qint64 limit = m_open ? m_data.size() : m_gateAt;
        const qint64 n = qMin(max, limit - m_pos);
        memcpy(out, m_data.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    QByteArray m_data;
    qint64 m_gateAt;
    qint64 m_pos = 0;
    bool m_open = false;
    QMutex m_mutex;
    QWaitCondition m_wake;
};

const QRegularExpression& anyName()
{
    static const QRegularExpression re(QStringLiteral("^.+$"));
    return re;
}

} // namespace

class TestTemporaries final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void namesCarryThisProcess();
    void ownerOfRealProcesses();
    void reusedPidIsNotTheOwner();
    void unknownOwnersOnlyWhenOld();
    void sweepFolderRemovesOnlyAbandoned();
    void localPutNamesItsTemporary();
    void localSweepCleansTmp();
    void processGoneOfOwners();
    void jobRowsNameTheirProcess();
};

void TestTemporaries::namesCarryThisProcess()
{
    const QString name = temporaries::uniqueName(QStringLiteral("bafkreiabc"));
    QVERIFY2(name.startsWith(QStringLiteral("bafkreiabc.modelfloat-") + processidentity::hostKey() +
                             QLatin1Char('-') + QString::number(::getpid()) + QLatin1Char('-') +
                             processidentity::nonce() + QLatin1Char('-')),
             qPrintable(name));
    QCOMPARE(temporaries::ownerOf(name), temporaries::Owner::ThisProcess);
    QVERIFY(!temporaries::isAbandoned(temporaries::ownerOf(name), 10 * 24 * 3600));
    // Two names are never the same.
    QVERIFY(name != temporaries::uniqueName(QStringLiteral("bafkreiabc")));
    QVERIFY(temporaries::prefix(QStringLiteral("x")).endsWith(QLatin1Char('-')));
}

void TestTemporaries::ownerOfRealProcesses()
{
    Sleeper running;
    QCOMPARE(temporaries::ownerOf(nameOf(QStringLiteral("a"), running.pid())),
             temporaries::Owner::Running);
    Sleeper killed;
    const qint64 deadPid = killed.pid();
    killed.kill();
    QCOMPARE(temporaries::ownerOf(nameOf(QStringLiteral("a"), deadPid)), temporaries::Owner::Dead);
    // Not a temporary: a plain name, a name with a broken owner.
    QCOMPARE(temporaries::ownerOf(QStringLiteral("model.gguf")), temporaries::Owner::NotATemporary);
    QCOMPARE(temporaries::ownerOf(QStringLiteral("a.modelfloat-xyz-12-ab-cd")),
             temporaries::Owner::NotATemporary);
    // The verdicts: a dead owner's goes at once, a running one's never.
    QVERIFY(temporaries::isAbandoned(temporaries::Owner::Dead, 0));
    QVERIFY(!temporaries::isAbandoned(temporaries::Owner::Running, 100 * 24 * 3600));
    QVERIFY(!temporaries::isAbandoned(temporaries::Owner::ThisProcess, 100 * 24 * 3600));
    QVERIFY(!temporaries::isAbandoned(temporaries::Owner::NotATemporary, 100 * 24 * 3600));
}

// A pid that now belongs to a process started after the temporary was last written is not
// its owner: the owner died and the pid was given out again.
void TestTemporaries::reusedPidIsNotTheOwner()
{
    Sleeper running; // started just now
    const QString name = nameOf(QStringLiteral("a"), running.pid());
    const qint64 hourAgo = QDateTime::currentSecsSinceEpoch() - 3600;
    QCOMPARE(temporaries::ownerOf(name, hourAgo), temporaries::Owner::Dead);
    QCOMPARE(temporaries::ownerOf(name, QDateTime::currentSecsSinceEpoch()),
             temporaries::Owner::Running);
}

void TestTemporaries::unknownOwnersOnlyWhenOld()
{
    const QRegularExpression legacy(QStringLiteral("^x\\.[A-Za-z0-9]{6}$"));
    // Another host: its processes cannot be checked from here.
    const QString remote = nameOf(QStringLiteral("a"), 1, QStringLiteral("00000000"));
    if (processidentity::hostKey() != QLatin1String("00000000"))
        QCOMPARE(temporaries::ownerOf(remote), temporaries::Owner::Unknown);
    QCOMPARE(temporaries::ownerOf(QStringLiteral("x.Ab12Cd"), -1, legacy),
             temporaries::Owner::Unknown);
    QCOMPARE(temporaries::ownerOf(QStringLiteral("x.Ab12Cd")), temporaries::Owner::NotATemporary);
    QVERIFY(!temporaries::isAbandoned(temporaries::Owner::Unknown, 3600));
    QVERIFY(temporaries::isAbandoned(temporaries::Owner::Unknown,
                                     temporaries::UnknownOwnerAgeSecs + 1));
}

void TestTemporaries::sweepFolderRemovesOnlyAbandoned()
{
    QTemporaryDir dir;
    Sleeper running;
    Sleeper killed;
    const qint64 deadPid = killed.pid();
    killed.kill();
    const QString live = nameOf(QStringLiteral(".f"), running.pid());
    const QString dead = nameOf(QStringLiteral(".f"), deadPid);
    const QString mine = temporaries::uniqueName(QStringLiteral(".f"));
    const QString oldLegacy = QStringLiteral(".f.modelfloat-Ab12Cd");
    const QString newLegacy = QStringLiteral(".g.modelfloat-Zz99Yy");
    const QString user = QStringLiteral("notes.txt"); // not ours, however old
    QVERIFY(touch(dir.filePath(live)));
    QVERIFY(touch(dir.filePath(dead), 0, QByteArray(1000, 'x')));
    QVERIFY(touch(dir.filePath(mine)));
    QVERIFY(touch(dir.filePath(oldLegacy), 2 * temporaries::UnknownOwnerAgeSecs));
    QVERIFY(touch(dir.filePath(newLegacy), 60));
    QVERIFY(touch(dir.filePath(user), 10 * temporaries::UnknownOwnerAgeSecs));
    // A folder named like a dead one's temporary is never removed.
    QVERIFY(QDir(dir.path()).mkdir(nameOf(QStringLiteral(".d"), deadPid)));

    const QRegularExpression hidden(QStringLiteral("^\\..+$"));
    const QRegularExpression legacy(QStringLiteral("^\\..+\\.modelfloat-[A-Za-z0-9]{6}$"));
    const temporaries::SweepResult r = temporaries::sweepFolder(dir.path(), hidden, legacy);
    QVERIFY2(r.errors.isEmpty(), qPrintable(r.errors.join(QLatin1Char('\n'))));
    QCOMPARE(r.removed.size(), 2);
    QCOMPARE(r.bytes(), qint64(1000 + 7));
    QStringList left = namesIn(dir.path());
    QStringList want = {live, mine, newLegacy, user};
    want.sort();
    QCOMPARE(left, want);
    QVERIFY(QFileInfo(dir.filePath(nameOf(QStringLiteral(".d"), deadPid))).isDir());
    // A folder that does not exist is nothing to sweep.
    QVERIFY(temporaries::sweepFolder(dir.filePath(QStringLiteral("none")), anyName())
                .removed.isEmpty());
}

void TestTemporaries::localPutNamesItsTemporary()
{
    QTemporaryDir dir;
    LocalProvider provider(QStringLiteral("p"), dir.path(), {});
    // A source that hands out its first megabyte, then waits: the temporary can be looked at
    // while the put is under way.
    const QByteArray data = test::pseudoRandomBytes(3 * test::MiB, 5);
    const QString cid =
        QStringLiteral("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    auto source = std::make_unique<GatedSource>(data, test::MiB);
    GatedSource* gate = source.get();
    // The bytes do not match the CID; the local provider stores what it is given (the
    // distributor checks CIDs), which is all this test needs.
    ProviderJob* job = provider.put(cid, std::move(source), data.size());
    QSignalSpy done(job, &ProviderJob::finished);
    job->start();
    const QString tmp = dir.filePath(QStringLiteral(".tmp"));
    QVERIFY(QTest::qWaitFor([&] { return !namesIn(tmp).isEmpty(); }, test::JobTimeoutMs));
    const QString name = namesIn(tmp).constFirst();
    QVERIFY2(name.startsWith(temporaries::prefix(cid)), qPrintable(name));
    QCOMPARE(temporaries::ownerOf(name), temporaries::Owner::ThisProcess);
    // A sweep meanwhile leaves a running put's temporary alone.
    ProviderJob* sweep = provider.sweepTemporaries();
    QSignalSpy swept(sweep, &ProviderJob::finished);
    sweep->start();
    QVERIFY(swept.wait(test::JobTimeoutMs));
    QVERIFY(sweep->objects().isEmpty());
    QCOMPARE(namesIn(tmp), QStringList{name});
    delete sweep;

    gate->open();
    QVERIFY(done.wait(test::JobTimeoutMs));
    QVERIFY2(job->error().ok(), qPrintable(job->error().message));
    QVERIFY(QFileInfo::exists(LocalProvider::objectPath(dir.path(), cid)));
    QVERIFY(namesIn(tmp).isEmpty());
    delete job;
}

void TestTemporaries::localSweepCleansTmp()
{
    QTemporaryDir dir;
    const QString tmp = dir.filePath(QStringLiteral(".tmp"));
    QVERIFY(QDir().mkpath(tmp));
    const QString cid =
        QStringLiteral("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    Sleeper running;
    Sleeper killed;
    const qint64 deadPid = killed.pid();
    killed.kill();
    QVERIFY(touch(tmp + QLatin1Char('/') + nameOf(cid, deadPid), 0, QByteArray(4096, 'd')));
    QVERIFY(touch(tmp + QLatin1Char('/') + nameOf(cid, running.pid())));
    QVERIFY(touch(tmp + QLatin1Char('/') + cid + QStringLiteral(".Ab12Cd"),
                  2 * temporaries::UnknownOwnerAgeSecs));                     // an older version's
    QVERIFY(touch(tmp + QLatin1Char('/') + cid + QStringLiteral(".Zz99Yy"))); // recent: kept
    QVERIFY(touch(tmp + QLatin1Char('/') + QStringLiteral("README"),
                  2 * temporaries::UnknownOwnerAgeSecs)); // not a temporary of ours

    LocalProvider provider(QStringLiteral("p"), dir.path(), {});
    ProviderJob* job = provider.sweepTemporaries();
    QSignalSpy done(job, &ProviderJob::finished);
    job->start();
    QVERIFY(done.wait(test::JobTimeoutMs));
    QVERIFY2(job->error().ok(), qPrintable(job->error().message));
    QCOMPARE(job->objects().size(), 2);
    QStringList want = {nameOf(cid, running.pid()), cid + QStringLiteral(".Zz99Yy"),
                        QStringLiteral("README")};
    want.sort();
    QCOMPARE(namesIn(tmp), want);
    delete job;
}

void TestTemporaries::processGoneOfOwners()
{
    Sleeper running;
    Sleeper killed;
    const qint64 deadPid = killed.pid();
    killed.kill();
    const QString host = processidentity::hostName();
    QVERIFY(!leaseowner::isProcessGone(leaseowner::processLeaseOwner()));
    QVERIFY(!leaseowner::isProcessGone(leaseowner::newLeaseOwner()));
    QVERIFY(!leaseowner::isProcessGone(QStringLiteral("%1|%2|abc").arg(host).arg(running.pid())));
    QVERIFY(leaseowner::isProcessGone(QStringLiteral("%1|%2|abc").arg(host).arg(deadPid)));
    QVERIFY(leaseowner::isProcessGone(QStringLiteral("%1|%2|abc|7").arg(host).arg(deadPid)));
    // Another host's processes are never known to be gone; an unreadable owner neither.
    QVERIFY(!leaseowner::isProcessGone(QStringLiteral("elsewhere.invalid|%1|abc").arg(deadPid)));
    QVERIFY(!leaseowner::isProcessGone(QString()));
    // The pid runs, but started after the row was written: reused, so the writer is gone.
    QVERIFY(leaseowner::isProcessGone(QStringLiteral("%1|%2|abc").arg(host).arg(running.pid()),
                                      QDateTime::currentSecsSinceEpoch() - 3600));
}

void TestTemporaries::jobRowsNameTheirProcess()
{
    test::TestVault v;
    QVERIFY(v.ok());
    Registry& r = v.registry();
    const auto mine = r.queueRows().addJob(QStringLiteral("transfer"), {});
    QVERIFY(mine);
    const auto theirs =
        r.queueRows().addJob(QStringLiteral("transfer"), {}, QStringLiteral("h|1|n"));
    QVERIFY(theirs);
    const QList<JobRow> rows =
        r.queueRows().jobRows(QStringLiteral("transfer"), QStringLiteral("queued"));
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows.at(0).owner, leaseowner::processLeaseOwner());
    QCOMPARE(rows.at(1).owner, QStringLiteral("h|1|n"));
    // Taken over only from the owner it was read with: of two processes, one gets it.
    QVERIFY(r.queueRows().takeOverJob(*theirs, QStringLiteral("h|1|n"), QStringLiteral("a|2|x")));
    QVERIFY(!r.queueRows().takeOverJob(*theirs, QStringLiteral("h|1|n"), QStringLiteral("b|3|y")));
    QCOMPARE(
        r.queueRows().jobRows(QStringLiteral("transfer"), QStringLiteral("queued")).at(1).owner,
        QStringLiteral("a|2|x"));
    // Given up (owner ''), then taken by anyone who read it so.
    QVERIFY(r.queueRows().takeOverJob(*mine, leaseowner::processLeaseOwner(), QString()));
    QVERIFY(r.queueRows().takeOverJob(*mine, QString(), QStringLiteral("c|4|z")));
}

QTEST_GUILESS_MAIN(TestTemporaries)
#include "tst_temporaries.moc"
