// The randomized crash test: kill -9 at random points of float, restore, rm, collect and vault
// sync (and repair, when stored as shards), several modelfloat-cli processes at a time on two
// vaults ("computers") that share their providers, for a bounded time; then each registry must
// pass SQLite's integrity check, every model marked complete must restore bit-exact, every
// replica must be present and intact, and no finished chunk may have been sent twice. It runs
// twice, on vaults that keep each chunk as two copies and on vaults that keep it as shards 4+2
// (docs/erasure.md); the second then also restores every model with any two providers gone.
//
// The vaults (tests/crashvaults.h) keep every chunk on the same providers: vault A's local store
// (a folder that vault B has as a local provider too) and a real S3 server (s3rver behind the
// SigV4-checking proxy, tests/s3peer.h), where B uses A's key prefix; at shards 4+2 four more
// shared folders. Each vault floats its own models (a-m0…, b-m0…) from the same four sources, so
// the two vaults' models share chunks: one vault removes a model and collects while the other
// floats a file that shares its chunks (some rounds are made of exactly that), and `vault sync`
// runs in between. After each round, every float that exited 0 must have left a model that
// restores bit-exact from the vault that floated it, after a sync there (issue 34: no dedup
// against chunks another vault's rm or collect deleted). Leases live seconds here, so that a
// killed process does not hold the other vault back for the default ten minutes. At the end each
// vault syncs, and every model its registry calls complete restores bit-exact; `verify` finds
// every copy a registry names there and intact, and a vault's own models with all their copies
// (a model taken in from the other vault may be known with fewer: said, not failed).
//
// Sent twice: the proxy logs every request with the access key that signed it, and each vault
// has its own key, so each PUT is the vault's that sent it (the proxy takes both keys and
// passes the requests on under s3rver's one account). Without that, a PUT could only be judged
// against both registries at once, and a chunk one vault sends because its registry rightly
// lacks it would count as the other's resend, or the check would have to skip the second vault;
// with it, both vaults' puts are checked, each against its own registry. A PUT of an object (a
// chunk or a shard) that the sending vault's registry recorded as stored on S3 before the round
// began, that no rm of that vault in the round may have freed, and that the log does not show
// deleted (by either vault, in this round or an earlier one) since it was last put, is an object
// sent twice. A PUT after another vault's DELETE is not: the object was gone, and the float that
// looked found that out; nor is a PUT of an object the sending vault's HEAD found gone since it
// last put it, though the other vault may have put it in between (both floats looked after the
// deletion, found it gone and sent it). Only PUTs count: a HEAD is how a float confirms a copy it
// learned from the catalog or kept as an orphan (another vault may have collected it meanwhile),
// and how the catalog checks, before it first publishes a model a killed float left, that its
// recorded copies are still there; a HEAD sends nothing.
//
// The random sequence is seeded: the seed is printed first, and MODELFLOAT_CRASH_SEED replays
// it (the same operations, killed at the same fractions of the kill window, which follows how
// long a float takes on the machine; so the timing still varies a little). One scheme alone
// runs with `tst_cli_crash randomKillsLoseNothing:shards-4+2`.
//
// Bounded by time, not by rounds: MODELFLOAT_CRASH_SECONDS (tests/CMakeLists.txt sets it; 90 s
// by default) is how long new rounds are started, shared between the two schemes, because a
// round's length depends on the machine's load and the test command has to finish well within
// its hour. Under the sanitizers every process is several times slower, so fewer rounds fit and
// the bound is shorter there. A replay stops after the rounds the failure reached with
// MODELFLOAT_CRASH_ROUNDS.

#include "crashvaults.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSet>
#include <QtTest>

#include <limits>
#include <memory>

using namespace mf;
using test::CliResult;
using test::CrashActor;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int DefaultSeconds = 90;

} // namespace

class TestCliCrash final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void randomKillsLoseNothing_data();
    void randomKillsLoseNothing();

private:
    // At shards K+M: every model each vault calls complete restores bit-exact with two of the
    // shared providers gone (a pair picked by `rng`), which are then back.
    void restoresWithTwoProvidersGone(QRandomGenerator& rng);
    QByteArray failure(const QByteArray& what) const { return m_context.toUtf8() + ": " + what; }
    // What the floats that made `models` printed, for a failure's message.
    QByteArray floatsSaid(const QStringList& models) const
    {
        QByteArray out;
        for (const QString& name : models)
            if (m_floatSaid.contains(name))
                out += "\nthe float of " + name.toUtf8() + " said: " + m_floatSaid.value(name);
        return out;
    }

    test::S3Peer m_s3;
    std::unique_ptr<test::CrashVaults> m_v; // one pair of vaults per scheme
    QStringList m_sources; // in/a.bin, in/b.bin (A with 1 KiB inserted), in/c.bin, in/d.bin
    QString m_context;     // "seed N round R", in every failure message
    // What each float that exited 0 printed (its --json report and warnings), by model: said
    // when a check of its model fails (a float ends DEGRADED, with fewer copies, when a provider
    // keeps failing).
    QHash<QString, QByteArray> m_floatSaid;
    // Kills fall in the first m_killWindowMs of a process: a little longer than a float of new
    // data takes on this machine (measured first), so they hit every stage of one.
    double m_killWindowMs = 0;
};

void TestCliCrash::initTestCase()
{
    QVERIFY2(m_s3.start(), qPrintable(m_s3.errorString()));
}

void TestCliCrash::init()
{
    m_v = std::make_unique<test::CrashVaults>(m_s3);
    m_floatSaid.clear();
    m_context.clear();
}

void TestCliCrash::cleanup()
{
    m_v.reset();
}

void TestCliCrash::randomKillsLoseNothing_data()
{
    QTest::addColumn<QString>("scheme");
    QTest::addColumn<int>("percent"); // of MODELFLOAT_CRASH_SECONDS
    QTest::newRow("copies-2") << QStringLiteral("copies 2") << 55;
    QTest::newRow("shards-4+2") << QStringLiteral("shards 4+2") << 45;
}

void TestCliCrash::randomKillsLoseNothing()
{
    QFETCH(QString, scheme);
    QFETCH(int, percent);
    const QByteArray setUp = m_v->setUp(scheme);
    QVERIFY2(setUp.isEmpty(), setUp.constData());
    const bool shards = scheme.startsWith(QLatin1String("shards"));

    quint64 seed = QRandomGenerator::system()->generate64();
    if (qEnvironmentVariableIsSet("MODELFLOAT_CRASH_SEED"))
        seed = qEnvironmentVariable("MODELFLOAT_CRASH_SEED").toULongLong();
    int seconds = DefaultSeconds;
    if (qEnvironmentVariableIsSet("MODELFLOAT_CRASH_SECONDS"))
        seconds = qEnvironmentVariableIntValue("MODELFLOAT_CRASH_SECONDS");
    seconds = seconds * percent / 100;
    // A replay of a failure stops where it did: MODELFLOAT_CRASH_ROUNDS caps the rounds.
    const int maxRounds = qEnvironmentVariableIsSet("MODELFLOAT_CRASH_ROUNDS")
                              ? qEnvironmentVariableIntValue("MODELFLOAT_CRASH_ROUNDS")
                              : std::numeric_limits<int>::max();
    qInfo("randomKillsLoseNothing, %s: seed %llu (MODELFLOAT_CRASH_SEED=%llu replays it), "
          "rounds for %d s",
          qPrintable(scheme), seed, seed, seconds);
    QRandomGenerator rng(seed);

    // Four sources, two of them sharing most chunks; model <vault>-m<i> is always source i.
    m_sources = {m_v->box().path(QStringLiteral("input/a.bin")),
                 m_v->box().path(QStringLiteral("input/b.bin")),
                 m_v->box().path(QStringLiteral("input/c.bin")),
                 m_v->box().path(QStringLiteral("input/d.bin"))};
    const QByteArray base = test::pseudoRandomBytes(12 * MiB, seed);
    QByteArray shifted = base;
    shifted.insert(100, test::pseudoRandomBytes(1024, seed + 1));
    QVERIFY(test::writeFile(m_sources.at(0), base));
    QVERIFY(test::writeFile(m_sources.at(1), shifted));
    QVERIFY(test::writePseudoRandomFile(m_sources.at(2), 8 * MiB, seed + 2));
    QVERIFY(test::writePseudoRandomFile(m_sources.at(3), 8 * MiB, seed + 3));
    const auto model = [this](int side, int source) -> QString {
        return m_v->side(side).tag + QStringLiteral("-m") + QString::number(source);
    };
    const auto sync = [](QStringList* args) {
        *args = {QStringLiteral("vault"), QStringLiteral("sync"), QStringLiteral("--quiet")};
    };

    // How long a float of new data takes here: one of d, under a name of its own, then gone.
    {
        QElapsedTimer took;
        took.start();
        CliResult r = m_v->cli(0, m_v->floatArgs(QStringLiteral("calibration"), m_sources.at(3)));
        QVERIFY2(r.code == 0, r.describe().constData());
        m_killWindowMs = qMax<double>(300, 1.2 * double(took.elapsed()));
        r = m_v->cli(
            0, {QStringLiteral("rm"), QStringLiteral("calibration"), QStringLiteral("--quiet")});
        QVERIFY2(r.code == 0, r.describe().constData());
        m_v->digestLog();
        qInfo("kills fall in the first %.0f ms of a process", m_killWindowMs);
    }

    QElapsedTimer budget;
    budget.start();
    int round = 0;
    int kills = 0;
    int floatsChecked = 0;
    for (; budget.elapsed() < qint64(seconds) * 1000 && round < maxRounds; ++round) {
        m_context = QStringLiteral("seed %1 round %2").arg(seed).arg(round);
        std::vector<CrashActor> actors;
        if (rng.bounded(3) == 0) {
            // Issue 34's case: one vault has a model of a or b, which the other has taken in
            // (or not: with or without a sync first); the first removes it and collects while,
            // or after which, the other floats the other of the two (they share all chunks but
            // a few) under a new name.
            const int side = int(rng.bounded(2));
            const int source = int(rng.bounded(2));
            const CliResult made =
                m_v->cli(side, m_v->floatArgs(model(side, source), m_sources.at(source)));
            QVERIFY2(made.code == 0, failure(made.describe()).constData());
            if (rng.bounded(2) == 0) {
                const CliResult synced =
                    m_v->cli(1 - side, {QStringLiteral("vault"), QStringLiteral("sync"),
                                        QStringLiteral("--quiet")});
                QVERIFY2(synced.code == 0, failure(synced.describe()).constData());
            }
            actors.resize(3);
            actors[2].phase = int(rng.bounded(2));
            actors[0].side = side;
            actors[0].removed = model(side, source);
            actors[1].side = side;
            actors[1].args = {QStringLiteral("collect"), QStringLiteral("--quiet")};
            actors[1].what = QStringLiteral("collect");
            actors[2].side = 1 - side;
            actors[2].floated = m_v->side(1 - side).tag + QStringLiteral("-r%1").arg(round);
            actors[2].args = m_v->floatArgs(actors[2].floated, m_sources.at(1 - source));
        } else {
            // Two or three processes on either vault.
            actors.resize(2 + rng.bounded(2));
            for (CrashActor& a : actors) {
                a.side = int(rng.bounded(2));
                const int source = int(rng.bounded(int(m_sources.size())));
                const QString name = model(a.side, source);
                // Floats and removals most, so models keep being made and unmade; under
                // shards, repairs too (each rebuilds shards a killed float did not put).
                switch (rng.bounded(shards ? 9 : 8)) {
                case 0:
                case 1:
                case 2:
                    a.floated = name;
                    a.args = m_v->floatArgs(name, m_sources.at(source));
                    break;
                case 3:
                case 4:
                    a.removed = name;
                    break;
                case 5:
                    a.args = {QStringLiteral("collect"), QStringLiteral("--quiet")};
                    a.what = QStringLiteral("collect");
                    break;
                case 6:
                    sync(&a.args);
                    a.what = QStringLiteral("vault sync");
                    break;
                case 8:
                    a.args = {QStringLiteral("repair"), QStringLiteral("--quiet")};
                    a.what = QStringLiteral("repair");
                    break;
                default:
                    a.restoreDir = m_v->box().path(
                        QStringLiteral("out/round%1-%2").arg(round).arg(&a - actors.data()));
                    a.restoreFrom = m_sources.at(source);
                    a.args = {QStringLiteral("restore"), name, QStringLiteral("--to"), a.restoreDir,
                              QStringLiteral("--quiet")};
                    a.what = QStringLiteral("restore ") + name;
                }
            }
        }
        // Two in three processes killed at a random moment.
        QStringList freed[2]; // per vault, the names an rm of this round may remove
        for (CrashActor& a : actors) {
            if (!a.removed.isEmpty()) {
                a.args = {QStringLiteral("rm"), a.removed, QStringLiteral("--quiet")};
                a.what = QStringLiteral("rm ") + a.removed;
                freed[a.side] << a.removed;
            }
            if (!a.floated.isEmpty())
                a.what = QStringLiteral("float ") + a.floated;
            a.what = m_v->side(a.side).tag + QStringLiteral(": ") + a.what;
            if (rng.bounded(3) != 0)
                a.killAt = rng.generateDouble();
            a.killAtMs = a.killAt < 0 ? -1 : qint64(a.killAt * m_killWindowMs);
        }
        const QSet<QString> guarded[2] = {m_v->protectedObjects(0, freed[0]),
                                          m_v->protectedObjects(1, freed[1])};
        m_v->runRound(actors);

        QStringList done;
        QList<const CrashActor*> floatedOk;
        for (const CrashActor& a : actors) {
            const int code =
                a.process->exitStatus() == QProcess::NormalExit ? a.process->exitCode() : -1;
            const QByteArray err = a.process->readAllStandardError();
            done << a.what + (a.killed ? QStringLiteral(" (killed at %1 ms)").arg(a.killAtMs)
                                       : QStringLiteral(" -> %1").arg(code));
            if (!a.killed && code != 0 && code != 3) // 3: no such model, which is expected
                qInfo("%s: %s exit %d: %s", qPrintable(m_context), qPrintable(a.what), code,
                      err.trimmed().constData());
            kills += a.killed ? 1 : 0;
            const QByteArray about =
                failure(a.what.toUtf8() + " exit " + QByteArray::number(code) + "\n" + err);
            // No process dies on its own, and none shows a raw SQL error.
            QVERIFY2(a.killed || code != -1, about.constData());
            QVERIFY2(!err.contains("UNIQUE constraint") && !err.contains("constraint failed"),
                     about.constData());
            // A restore that says it succeeded wrote the model's bytes.
            if (!a.restoreDir.isEmpty() && code == 0) {
                const QString restored =
                    a.restoreDir + QLatin1Char('/') + QFileInfo(a.restoreFrom).fileName();
                QVERIFY2(test::opensslSha256Hex(restored) == test::opensslSha256Hex(a.restoreFrom),
                         about.constData());
            }
            if (!a.restoreDir.isEmpty())
                QDir(a.restoreDir).removeRecursively();
            if (!a.floated.isEmpty() && !a.killed && code == 0 &&
                !freed[a.side].contains(a.floated)) {
                floatedOk << &a;
                m_floatSaid.insert(a.floated,
                                   a.process->readAllStandardOutput().trimmed() + "\n" + err);
            }
        }
        qInfo("%s: %s", qPrintable(m_context), qPrintable(done.join(QStringLiteral(", "))));
        // A resumed float's chunks are protected too: its interrupted scan's manifest keeps
        // them from a concurrent rm or collect (ModelRows::beginFile).
        bool sending[2] = {false, false};
        for (const CrashActor& a : actors)
            sending[a.side] = sending[a.side] || !a.floated.isEmpty();
        const QStringList sentTwice = m_v->resends(guarded, sending);
        QVERIFY2(sentTwice.isEmpty(),
                 qPrintable(m_context +
                            QStringLiteral(": chunks stored on S3 before the round "
                                           "were sent again: ") +
                            sentTwice.join(QLatin1Char(' '))));
        // No float that exited 0 left a model that does not restore: from the vault that
        // floated it, once that vault has taken in what the other did meanwhile.
        for (const CrashActor* a : std::as_const(floatedOk)) {
            const CliResult synced =
                m_v->cli(a->side, {QStringLiteral("vault"), QStringLiteral("sync"),
                                   QStringLiteral("--quiet")});
            QVERIFY2(synced.code == 0, failure(synced.describe()).constData());
            QByteArray why;
            QVERIFY2(m_v->restoresBitExact(a->side, a->floated, &why),
                     failure(a->what.toUtf8() + " exited 0, but " + why).constData());
            ++floatsChecked;
        }
        // A model of a new name is removed again (whatever is left of it), so they do not pile
        // up; its chunks stay for the models that share them.
        for (const CrashActor& a : actors) {
            if (a.floated.contains(QStringLiteral("-r"))) {
                const CliResult r =
                    m_v->cli(a.side, {QStringLiteral("rm"), a.floated, QStringLiteral("--quiet")});
                QVERIFY2(r.code == 0 || r.code == 3, failure(r.describe()).constData());
            }
        }
        m_v->digestLog(); // what the checks did is not about sending, but an rm deletes
    }
    m_context = QStringLiteral("seed %1 after %2 rounds").arg(seed).arg(round);
    qInfo("%s, %d processes killed, %d chunk PUTs seen (%d of vault b), %d floats that exited 0 "
          "restored",
          qPrintable(m_context), kills, m_v->chunkPuts(), m_v->otherPuts(), floatsChecked);
    // The log was read: a check of resends that saw no PUT at all would check nothing.
    QVERIFY2(m_v->chunkPuts() > 0,
             qPrintable(m_context + QStringLiteral(": no chunk PUT in the log")));

    // Each vault takes in what the other did, then what its registry calls complete restores,
    // before anything is floated again, and each of their copies is there and intact (a
    // restore needs only one of them).
    for (int side : {0, 1, 0}) {
        const CliResult synced = m_v->cli(
            side, {QStringLiteral("vault"), QStringLiteral("sync"), QStringLiteral("--quiet")});
        QVERIFY2(synced.code == 0, failure(synced.describe()).constData());
    }
    for (int side : {0, 1}) {
        const QString integrity = m_v->integrityProblem(side);
        QVERIFY2(integrity.isEmpty(), qPrintable(m_context + QStringLiteral(": ") + integrity));
        // Of its own models (one taken in from the other vault may be known with fewer
        // copies, below): no chunk whose shards would not each have a provider of their own.
        const QStringList shortOfProviders =
            m_v->chunksShortOfProviders(side, m_v->side(side).tag + QLatin1Char('-'));
        QVERIFY2(shortOfProviders.isEmpty(),
                 failure("on vault " + m_v->side(side).tag.toUtf8() +
                         ", chunks of its models whose shards would not survive two providers "
                         "gone: " +
                         shortOfProviders.join(QLatin1Char(' ')).toUtf8())
                     .constData());
        const QStringList complete = m_v->registryColumn(
            side, QStringLiteral("SELECT name FROM models WHERE state = 'complete'"));
        for (const QString& name : complete) {
            QByteArray why;
            QVERIFY2(m_v->restoresBitExact(side, name, &why), failure(why).constData());
        }
        // Every copy each registry names is there and intact. A vault's own models have all
        // their copies; a model taken in from the other vault may be known with fewer (its
        // copies are looked for when it is taken in or changed, and one its copies were
        // deleted and made again meanwhile is neither): under-replicated in this vault's
        // view is said (qInfo), but nothing may be missing or corrupt.
        QStringList own;
        QStringList taken;
        for (const QString& name : complete)
            (name.startsWith(m_v->side(side).tag + QLatin1Char('-')) ? own : taken) << name;
        const QByteArray where = "verify on vault " + m_v->side(side).tag.toUtf8() + " of ";
        if (!own.isEmpty()) {
            const CliResult verify = m_v->cli(side, QStringList{QStringLiteral("verify")} + own);
            QVERIFY2(verify.code == 0,
                     failure(where + own.join(QLatin1Char(' ')).toUtf8() + ": " +
                             verify.describe() + "\nplacements: " +
                             m_v->placementsByModel(side).join(QLatin1Char(' ')).toUtf8() +
                             floatsSaid(own))
                         .constData());
        }
        if (!taken.isEmpty()) {
            const CliResult verify = m_v->cli(
                side, QStringList{QStringLiteral("verify"), QStringLiteral("--json")} + taken);
            const QJsonObject j = verify.json();
            const bool intact = j.value(QStringLiteral("missing")).toInt() == 0 &&
                                j.value(QStringLiteral("corrupt")).toInt() == 0 &&
                                j.value(QStringLiteral("lost")).toInt() == 0 &&
                                j.value(QStringLiteral("unreachable")).toInt() == 0;
            QVERIFY2(verify.code == 0 || (verify.code == 7 && intact),
                     failure(where + taken.join(QLatin1Char(' ')).toUtf8() + ": " +
                             verify.describe() + "\nplacements: " +
                             m_v->placementsByModel(side).join(QLatin1Char(' ')).toUtf8())
                         .constData());
            if (verify.code != 0)
                qInfo("%s", failure(where + taken.join(QLatin1Char(' ')).toUtf8() +
                                    ": under-replicated in this vault's view: " +
                                    m_v->placementsByModel(side).join(QLatin1Char(' ')).toUtf8())
                                .constData());
        }
    }

    // Finish what was interrupted, sending nothing that was stored already (the log so far,
    // syncs, restores and verify, is not about sending).
    const QSet<QString> guarded[2] = {m_v->protectedObjects(0, {}), m_v->protectedObjects(1, {})};
    m_v->digestLog();
    for (int side : {0, 1}) {
        for (int source = 0; source < m_sources.size(); ++source) {
            const CliResult r =
                m_v->cli(side, m_v->floatArgs(model(side, source), m_sources.at(source)));
            QVERIFY2(r.code == 0, failure(r.describe()).constData());
        }
    }
    const bool sending[2] = {true, true};
    const QStringList sentTwice = m_v->resends(guarded, sending);
    QVERIFY2(sentTwice.isEmpty(),
             qPrintable(m_context + QStringLiteral(": chunks already on S3 were sent again: ") +
                        sentTwice.join(QLatin1Char(' '))));
    for (int side : {0, 1, 0}) {
        const CliResult synced = m_v->cli(
            side, {QStringLiteral("vault"), QStringLiteral("sync"), QStringLiteral("--quiet")});
        QVERIFY2(synced.code == 0, failure(synced.describe()).constData());
    }
    for (int side : {0, 1}) {
        const QString integrity = m_v->integrityProblem(side);
        QVERIFY2(integrity.isEmpty(), qPrintable(m_context + QStringLiteral(": ") + integrity));
        const QStringList shortOfProviders = m_v->chunksShortOfProviders(side);
        QVERIFY2(shortOfProviders.isEmpty(),
                 failure("after floating again, on vault " + m_v->side(side).tag.toUtf8() +
                         ", chunks whose shards would not survive two providers gone: " +
                         shortOfProviders.join(QLatin1Char(' ')).toUtf8())
                     .constData());
        for (int source = 0; source < m_sources.size(); ++source) {
            QByteArray why;
            QVERIFY2(m_v->restoresBitExact(side, model(side, source), &why),
                     failure(why).constData());
        }
        const CliResult verify =
            m_v->cli(side, {QStringLiteral("verify"), QStringLiteral("--all")});
        QVERIFY2(verify.code == 0, failure(verify.describe()).constData());
        // Every source is stored now, and each vault knows where: floating it under a new name
        // sends nothing.
        for (int i = 0; i < m_sources.size(); ++i) {
            const CliResult r = m_v->cli(
                side, m_v->floatArgs(m_v->side(side).tag + QStringLiteral("-again%1").arg(i),
                                     m_sources.at(i)));
            QVERIFY2(r.code == 0, r.describe().constData());
            QCOMPARE(r.json().value(QStringLiteral("bytes_sent")).toInteger(), 0);
        }
    }
    if (shards)
        restoresWithTwoProvidersGone(rng);
}

void TestCliCrash::restoresWithTwoProvidersGone(QRandomGenerator& rng)
{
    // The shared local folders, then the S3 server: six providers at 4+2.
    const QStringList folders = m_v->sharedFolders();
    const int providers = int(folders.size()) + 1;
    const int first = int(rng.bounded(providers));
    const int second = (first + 1 + int(rng.bounded(providers - 1))) % providers;
    QStringList gone;
    for (int p : {first, second}) {
        if (p == providers - 1) {
            m_s3.killServer();
            gone << QStringLiteral("the S3 server");
        } else {
            QVERIFY(QDir().rename(folders.at(p), folders.at(p) + QStringLiteral(".gone")));
            gone << QFileInfo(folders.at(p)).fileName();
        }
    }
    m_context += QStringLiteral(", with %1 gone").arg(gone.join(QStringLiteral(" and ")));
    for (int side : {0, 1}) {
        const QStringList complete = m_v->registryColumn(
            side, QStringLiteral("SELECT name FROM models WHERE state = 'complete'"));
        QVERIFY(!complete.isEmpty());
        for (const QString& name : complete) {
            QByteArray why;
            QVERIFY2(m_v->restoresBitExact(side, name, &why), failure(why).constData());
        }
    }
    qInfo("%s: every model restored", qPrintable(m_context));
    for (int p : {first, second}) {
        if (p == providers - 1)
            QVERIFY(m_s3.restartServer());
        else
            QVERIFY(QDir().rename(folders.at(p) + QStringLiteral(".gone"), folders.at(p)));
    }
}

QTEST_GUILESS_MAIN(TestCliCrash)
#include "tst_cli_crash.moc"
