// Several modelfloat-cli processes on one vault, as a tester runs them: the interleavings that
// lost data or merged models (issue "Nothing lost", items 1 and 2). The randomized crash test
// (kill -9 at random points of float, restore, rm and collect) is tst_cli_crash.

#include "registry/registry.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int Timeout = 300000;

struct Run
{
    int code = -1; // -1: killed, crashed or did not finish
    QByteArray out;
    QByteArray err;
    QByteArray describe() const
    {
        return "exit " + QByteArray::number(code) + "\n--- stdout:\n" + out + "\n--- stderr:\n" +
               err;
    }
};

// A vault in a temporary folder, its files and the modelfloat-cli processes run on it.
class Bench
{
public:
    Bench()
    {
        QDir().mkpath(path(QStringLiteral("home")));
        QDir().mkpath(path(QStringLiteral("in")));
        env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), path(QStringLiteral("home")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("home")));
        env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
        // The vault is the default location, which the first command makes.
        env.insert(QStringLiteral("MODELFLOAT_VAULT"), path(QStringLiteral("vault")));
    }
    QString path(const QString& name) const { return dir.filePath(name); }
    QStringList withVault(QStringList args) const
    {
        return args << QStringLiteral("--vault") << path(QStringLiteral("vault"));
    }
    void start(QProcess& p, const QStringList& args) const
    {
        p.setProcessEnvironment(env);
        p.start(mf::test::cliPath(), withVault(args));
        p.closeWriteChannel();
    }
    static Run wait(QProcess& p, int timeoutMs = Timeout)
    {
        Run r;
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }
    Run run(const QStringList& args) const
    {
        QProcess p;
        start(p, args);
        return wait(p);
    }
    // Float with small chunks so that files of a few MiB have dozens of them.
    static QStringList floatArgs(const QString& file, const QString& name)
    {
        return {QStringLiteral("float"),   file,
                QStringLiteral("--name"),  name,
                QStringLiteral("--quiet"), QStringLiteral("--chunker"),
                QStringLiteral("cdc"),     QStringLiteral("--chunk-size"),
                QStringLiteral("256K")};
    }
    // Restores `name` and compares it with `original`; the restored copy is removed after.
    bool restoresAs(const QString& name, const QString& original, QByteArray* why) const
    {
        const QString out = path(QStringLiteral("restore-") + name);
        QDir(out).removeRecursively();
        const Run r = run({QStringLiteral("restore"), name, QStringLiteral("--to"), out,
                           QStringLiteral("--quiet")});
        if (r.code != 0) {
            *why = "restore of " + name.toUtf8() + " failed: " + r.describe();
            return false;
        }
        const QString restored = out + QLatin1Char('/') + QFileInfo(original).fileName();
        const bool same = test::opensslSha256Hex(restored) == test::opensslSha256Hex(original);
        QDir(out).removeRecursively();
        if (!same)
            *why = name.toUtf8() + " restored with other bytes than " + original.toUtf8();
        return same;
    }

    QTemporaryDir dir;
    QProcessEnvironment env;
};

// B is A with 1 KiB inserted at offset 100: almost every chunk of B is one of A's.
bool writeSharingPair(const QString& a, const QString& b, qint64 size, quint64 seed)
{
    const QByteArray base = test::pseudoRandomBytes(size, seed);
    QByteArray shifted = base;
    shifted.insert(100, test::pseudoRandomBytes(1024, seed + 1));
    return test::writeFile(a, base) && test::writeFile(b, shifted);
}

} // namespace

class TestCoordinationCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void removeWhileASharingFloatRuns();
    void floatsOfOneNameInTwoProcesses();
    void removeOfAModelBeingFloatedIsRefused();
};

// The tester's case: `rm A` 0-0.4 s after `float B` started, B sharing almost all of A's
// chunks. B used to print "Floated" and then fail to restore in 7 of 10 tries.
void TestCoordinationCli::removeWhileASharingFloatRuns()
{
    Bench bench;
    // The race is with the deletions themselves: `rm` must delete at once, not wait out the
    // grace period (which is tst_catalogcollect's).
    const Run noGrace = bench.run({QStringLiteral("config"), QStringLiteral("collect-grace"),
                                   QStringLiteral("0"), QStringLiteral("--expert")});
    QVERIFY2(noGrace.code == 0, noGrace.describe());
    const QList<int> delaysMs = {0, 40, 80, 150, 250, 400};
    for (int i = 0; i < delaysMs.size(); ++i) {
        const QString a = bench.path(QStringLiteral("in/a%1.bin").arg(i));
        const QString b = bench.path(QStringLiteral("in/b%1.bin").arg(i));
        QVERIFY(writeSharingPair(a, b, 24 * MiB, 100 + quint64(i)));
        const QString nameA = QStringLiteral("a%1").arg(i);
        const QString nameB = QStringLiteral("b%1").arg(i);
        const Run floatA = bench.run(Bench::floatArgs(a, nameA));
        QVERIFY2(floatA.code == 0, floatA.describe());

        QProcess floatB;
        bench.start(floatB, Bench::floatArgs(b, nameB));
        QVERIFY(floatB.waitForStarted());
        QTest::qWait(delaysMs.at(i));
        const Run rm = bench.run({QStringLiteral("rm"), nameA, QStringLiteral("--quiet")});
        QVERIFY2(rm.code == 0, rm.describe());
        const Run b2 = Bench::wait(floatB);
        QVERIFY2(b2.code == 0, b2.describe());
        QByteArray why;
        QVERIFY2(bench.restoresAs(nameB, b, &why), why.constData());
        // And a collect afterwards takes nothing B needs either.
        const Run collect = bench.run({QStringLiteral("collect"), QStringLiteral("--quiet")});
        QVERIFY2(collect.code == 0, collect.describe());
        QVERIFY2(bench.restoresAs(nameB, b, &why), why.constData());
    }
}

// Two floats of different files under one name, the second 0-0.4 s after the first: never a
// merged model, never a raw SQL error; the loser exits 5 and says why.
void TestCoordinationCli::floatsOfOneNameInTwoProcesses()
{
    Bench bench;
    const QList<int> delaysMs = {0, 20, 60, 120, 250, 400};
    for (int i = 0; i < delaysMs.size(); ++i) {
        const QString one = bench.path(QStringLiteral("in/one%1.bin").arg(i));
        const QString two = bench.path(QStringLiteral("in/two%1.bin").arg(i));
        QVERIFY(test::writePseudoRandomFile(one, 12 * MiB, 200 + quint64(i)));
        QVERIFY(test::writePseudoRandomFile(two, 12 * MiB, 300 + quint64(i)));
        const QString name = QStringLiteral("same%1").arg(i);
        QProcess first;
        QProcess second;
        bench.start(first, Bench::floatArgs(one, name));
        QTest::qWait(delaysMs.at(i));
        bench.start(second, Bench::floatArgs(two, name));
        const Run r1 = Bench::wait(first);
        const Run r2 = Bench::wait(second);
        const QByteArray both = r1.describe() + "\n=====\n" + r2.describe();
        QVERIFY2(!both.contains("UNIQUE constraint") && !both.contains("manifest has chunk"),
                 both.constData());
        QVERIFY2((r1.code == 0) != (r2.code == 0), both.constData());
        const Run& loser = r1.code == 0 ? r2 : r1;
        QVERIFY2(loser.code == 5, both.constData());
        QByteArray why;
        QVERIFY2(bench.restoresAs(name, r1.code == 0 ? one : two, &why), why.constData());
    }
}

// `rm` of a model another process is floating: refused with a plain sentence that names the
// process (it used to read "Registry error (remove model): …" and exit 1), and exit 5, as a
// float of a name being floated; the model stays. The float is this test: it holds the lease.
void TestCoordinationCli::removeOfAModelBeingFloatedIsRefused()
{
    Bench bench;
    const Run init = bench.run({QStringLiteral("init"), QStringLiteral("--quiet")});
    QVERIFY2(init.code == 0, init.describe());
    QString error;
    auto registry = Registry::open(bench.path(QStringLiteral("vault/registry.sqlite")), &error);
    QVERIFY2(registry, qPrintable(error));
    const auto claim = registry->modelRows().claimModel(
        QStringLiteral("m"), QStringLiteral("local:/m"),
        leaseowner::processLeaseOwner() + QStringLiteral("|1"), false);
    QCOMPARE(claim.status, ModelRows::ModelClaim::Status::Created);

    const Run rm = bench.run({QStringLiteral("rm"), QStringLiteral("m")});
    QVERIFY2(rm.code == 5, rm.describe());
    const QString pid = QString::number(QCoreApplication::applicationPid());
    QVERIFY2(rm.err.contains(QStringLiteral("“m” is being floated right now by process %1; remove "
                                            "it when that float is done")
                                 .arg(pid)
                                 .toUtf8()),
             rm.describe());
    QVERIFY2(!rm.err.contains("Registry error"), rm.describe());
    QVERIFY(registry->modelRows().modelByName(QStringLiteral("m")));
}

QTEST_GUILESS_MAIN(TestCoordinationCli)
#include "tst_coordination_cli.moc"
