// A model stored as shards survives kill -9 at any point (docs/erasure.md, issue 41): a float, a
// repair and a drain of a vault of local-folder providers at `shards 4+2` are killed (SIGKILL) at
// random moments, several times each, then run again to the end; what they leave is then what
// an uninterrupted run leaves: one good shard of every chunk on each provider and nothing else,
// the model healthy, and a restore bit-exact.
//
// The moments come from a seed printed by each test; MODELFLOAT_KILL_SEED=N replays one.
#include "shardedvault.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace mf;
using test::CliResult;

namespace {

constexpr qint64 ChunkSize = 256 * 1024;
constexpr qint64 ModelSize = 40 * ChunkSize + 999; // 41 chunks, 246 shards
constexpr int MaxKills = 5;

} // namespace

class TestErasureKills : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void floatKilledAnywhereEndsWhole();
    void repairKilledAnywhereEndsWhole();
    void drainKilledAnywhereEndsWhole();

private:
    // Runs `args` up to MaxKills times with uploads slowed to `rate` (so that a kill lands while
    // objects are being put), each killed after a random wait unless it ends first, then once
    // more at full speed to its end, which must succeed.
    void killAndFinish(const QStringList& args, const QString& rate);
    // What every test ends with: the stores hold exactly the model's shards, one per provider
    // and chunk, and the model is healthy and restores.
    void checkWhole();

    std::unique_ptr<test::ShardedVault> m_v;
    QRandomGenerator m_random;
};

void TestErasureKills::init()
{
    m_v = std::make_unique<test::ShardedVault>();
    QVERIFY(m_v->ok());
    const quint32 seed = qEnvironmentVariableIsSet("MODELFLOAT_KILL_SEED")
                             ? quint32(qEnvironmentVariableIntValue("MODELFLOAT_KILL_SEED"))
                             : QRandomGenerator::global()->generate();
    qInfo("MODELFLOAT_KILL_SEED=%u", seed);
    m_random.seed(seed);
}

void TestErasureKills::cleanup()
{
    m_v.reset();
}

void TestErasureKills::killAndFinish(const QStringList& args, const QString& rate)
{
    const test::CliSandbox& box = m_v->box();
    for (int round = 0; round < MaxKills; ++round) {
        QProcess p;
        p.setProcessEnvironment(box.environment());
        p.setWorkingDirectory(box.root());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(test::CliSandbox::cli(),
                args + QStringList{QStringLiteral("--limit-upload"), rate});
        QVERIFY2(p.waitForStarted(30000), qPrintable(p.errorString()));
        // A wait from nothing (killed while it opens the vault) to long enough to end.
        const int waitMs = int(m_random.bounded(2000));
        if (p.waitForFinished(waitMs)) {
            // It ended first: what it did must have been right, and nothing is left to kill.
            QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
                     p.readAll().constData());
            return;
        }
        ::kill(pid_t(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished(30000));
        qInfo("killed after %d ms", waitMs);
    }
    const CliResult last = m_v->run(args);
    QVERIFY2(last.code == 0, last.describe().constData());
}

void TestErasureKills::checkWhole()
{
    m_v->checkOneGoodShardPerProvider();
    if (QTest::currentTestFailed())
        return;
    m_v->checkHealthy();
    if (QTest::currentTestFailed())
        return;
    m_v->checkRestores(QStringLiteral("restored"));
}

void TestErasureKills::floatKilledAnywhereEndsWhole()
{
    m_v->prepare(ChunkSize, test::pseudoRandomBytes(ModelSize, 47));
    if (QTest::currentTestFailed())
        return;
    killAndFinish(m_v->floatArgs() << QStringLiteral("--quiet"), QStringLiteral("6M"));
    if (QTest::currentTestFailed())
        return;
    checkWhole();
}

void TestErasureKills::repairKilledAnywhereEndsWhole()
{
    m_v->floatBytes(ChunkSize, test::pseudoRandomBytes(ModelSize, 47));
    if (QTest::currentTestFailed())
        return;
    // Two providers lost everything: each chunk lacks two shards, rebuilt on those two.
    m_v->emptyFolder(1);
    m_v->emptyFolder(2);
    killAndFinish({QStringLiteral("repair"), QStringLiteral("m"), QStringLiteral("--quiet")},
                  QStringLiteral("3M"));
    if (QTest::currentTestFailed())
        return;
    checkWhole();
}

void TestErasureKills::drainKilledAnywhereEndsWhole()
{
    m_v->floatBytes(ChunkSize, test::pseudoRandomBytes(ModelSize, 47));
    if (QTest::currentTestFailed())
        return;
    m_v->addSeventh();
    killAndFinish({QStringLiteral("provider"), QStringLiteral("drain"), QStringLiteral("store1"),
                   QStringLiteral("--quiet")},
                  QStringLiteral("1500K"));
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(test::chunkObjects(m_v->folders().at(1)), QStringList());
    checkWhole();
}

QTEST_GUILESS_MAIN(TestErasureKills)
#include "tst_erasure_kills.moc"
