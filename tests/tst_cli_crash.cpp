// The randomized crash test: kill -9 at random points of float, restore, rm and collect, several
// modelfloat-cli processes at a time on one vault, for a bounded time; then the registry must
// pass SQLite's integrity check, every model marked complete must restore bit-exact, every
// replica must be present and intact, and no finished chunk may have been sent twice.
//
// The vault keeps every chunk on two providers: its local store and a real S3 server (s3rver
// behind the SigV4-checking proxy, tests/s3peer.h). The proxy logs every request, so what is sent
// to S3 is counted: a put of a chunk that the registry recorded as stored on S3 before the round
// began, that no rm of the round may have freed and that no DELETE preceded, is a chunk sent
// twice. Only PUTs count: a HEAD is also how the catalog checks, before it first publishes a
// model a killed float left, that its recorded copies are still there (PlacementCheck: another
// vault may have collected them meanwhile), which sends nothing.
//
// The random sequence is seeded: the seed is printed first, and MODELFLOAT_CRASH_SEED replays
// it (the same operations, killed at the same fractions of the kill window, which follows how
// long a float takes on the machine; so the timing still varies a little).
//
// Bounded by time, not by rounds: MODELFLOAT_CRASH_SECONDS (tests/CMakeLists.txt sets it; 90 s
// by default) is how long new rounds are started, because a round's length depends on the
// machine's load and the test command has to finish well within its hour. Under the sanitizers
// every process is several times slower, so fewer rounds fit and the bound is shorter there.

#include "clisandbox.h"
#include "s3peer.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace mf;
using test::CliResult;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int DefaultSeconds = 90;
constexpr int ProcessTimeoutMs = 300000;

// One modelfloat-cli process of a round, and what happened to it.
struct Actor
{
    QString what; // "float m1", for messages
    QStringList args;
    QString restoreDir;  // a restore: where to, and
    QString restoreFrom; // the source it must equal
    std::unique_ptr<QProcess> process;
    double killAt = -1; // when to kill it, as a fraction of the kill window; < 0: left alone
    qint64 killAtMs = -1;
    bool killed = false;
};

// "sigv4-proxy: PUT /mf-test/modelfloat/<vault>/chunks/<cid> -> 200"
const QRegularExpression& chunkRequest()
{
    static const QRegularExpression re(
        QStringLiteral("^sigv4-proxy: (PUT|HEAD|DELETE) \\S*/chunks/([a-z0-9]+)\\S* -> (\\d+)"));
    return re;
}

} // namespace

class TestCliCrash final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void randomKillsLoseNothing();

private:
    CliResult cli(const QStringList& args, const QByteArray& input = {});
    QStringList floatArgs(const QString& name) const;
    // Runs the actors to their ends, killing each at its time; the event loop turns meanwhile
    // (the S3 peers' output pipes must be drained, or they block).
    void runRound(std::vector<Actor>& actors);
    // Rows of a query on the registry, first column as text.
    QStringList registryColumn(const QString& sql);
    // Chunks stored on S3 and used by a model not named in `freed`: a put of one is a resend.
    QSet<QString> protectedChunks(const QStringList& freed);
    // Every PUT of a protected chunk in the proxy's log since the last call, not
    // preceded in it by a DELETE of that chunk (which a concurrent rm or collect may have done).
    QStringList resends(const QSet<QString>& protectedCids);
    bool restoresBitExact(const QString& name, QByteArray* why);
    // Empty when SQLite's integrity check passes on the registry.
    QString integrityProblem();

    test::CliSandbox m_box;
    test::S3Peer m_s3;
    QStringList m_sources; // in/a.bin, in/b.bin (A with 1 KiB inserted), in/c.bin
    QStringList m_names;   // the models, each always floated from the same source
    QString m_context;     // "seed N round R", in every failure message
    int m_chunkPuts = 0;   // PUTs of chunks the proxy logged (that the check sees any)
    // Kills fall in the first m_killWindowMs of a process: a little longer than a float of new
    // data takes on this machine (measured first), so they hit every stage of one.
    double m_killWindowMs = 0;
};

CliResult TestCliCrash::cli(const QStringList& args, const QByteArray& input)
{
    // Through the event loop too: a run that talks to S3 must not block the peers' pipes.
    CliResult r;
    QProcess p;
    p.setProcessEnvironment(m_box.environment());
    p.setWorkingDirectory(m_box.root());
    p.start(test::CliSandbox::cli(), args);
    p.write(input);
    p.closeWriteChannel();
    if (!QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, ProcessTimeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

QStringList TestCliCrash::floatArgs(const QString& name) const
{
    // Small chunks, so that files of a few MiB have dozens of them.
    return {QStringLiteral("float"),   m_sources.at(m_names.indexOf(name) % m_sources.size()),
            QStringLiteral("--name"),  name,
            QStringLiteral("--quiet"), QStringLiteral("--chunker"),
            QStringLiteral("cdc"),     QStringLiteral("--chunk-size"),
            QStringLiteral("256K")};
}

void TestCliCrash::initTestCase()
{
    QVERIFY(m_box.ok());
    QVERIFY2(m_s3.start(), qPrintable(m_s3.errorString()));
    // The S3 secret goes to the vault's opt-in plaintext store: no keychain is needed here.
    CliResult r = cli({QStringLiteral("config"), QStringLiteral("credentials"),
                       QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(r.code == 0, r.describe().constData());
    r = cli({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("s3"),
             QStringLiteral("cloud"), QStringLiteral("--endpoint"), m_s3.endpoint(),
             QStringLiteral("--bucket"), QLatin1String(test::S3Peer::Bucket),
             QStringLiteral("--access-key-id"), QLatin1String(test::S3Peer::AccessKey),
             QStringLiteral("--secret-stdin")},
            "secretAccessKey=" + QByteArray(test::S3Peer::Secret) + "\n");
    QVERIFY2(r.code == 0, r.describe().constData());
    r = cli({QStringLiteral("config"), QStringLiteral("replication"), QStringLiteral("2")});
    QVERIFY2(r.code == 0, r.describe().constData());
}

void TestCliCrash::runRound(std::vector<Actor>& actors)
{
    QElapsedTimer clock;
    clock.start();
    for (Actor& a : actors) {
        a.process = std::make_unique<QProcess>();
        a.process->setProcessEnvironment(m_box.environment());
        a.process->setWorkingDirectory(m_box.root());
        a.process->start(test::CliSandbox::cli(), a.args);
        a.process->closeWriteChannel();
    }
    const auto allEnded = [&actors] {
        for (const Actor& a : actors)
            if (a.process->state() != QProcess::NotRunning)
                return false;
        return true;
    };
    while (!allEnded() && clock.elapsed() < ProcessTimeoutMs) {
        for (Actor& a : actors) {
            if (a.killAtMs >= 0 && !a.killed && clock.elapsed() >= a.killAtMs &&
                a.process->state() == QProcess::Running) {
                ::kill(pid_t(a.process->processId()), SIGKILL);
                a.killed = true;
            }
        }
        QTest::qWait(5);
    }
    for (Actor& a : actors) {
        if (a.process->state() != QProcess::NotRunning) {
            a.process->kill();
            a.process->waitForFinished();
        }
    }
}

QStringList TestCliCrash::registryColumn(const QString& sql)
{
    QStringList out;
    const QString connection = QStringLiteral("crash-registry");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(m_box.vault() + QStringLiteral("/registry.sqlite"));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(sql))
                while (q.next())
                    out << q.value(0).toString();
            else
                out << QStringLiteral("query failed: ") + sql;
        } else {
            out << QStringLiteral("cannot open the registry");
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return out;
}

QSet<QString> TestCliCrash::protectedChunks(const QStringList& freed)
{
    QStringList quoted;
    for (const QString& name : freed)
        quoted << QLatin1Char('\'') + name + QLatin1Char('\'');
    const QStringList cids = registryColumn(
        QStringLiteral("SELECT DISTINCT p.cid FROM placements p JOIN providers pr ON pr.id = "
                       "p.provider_id JOIN file_chunks fc ON fc.cid = p.cid JOIN files f ON f.id "
                       "= fc.file_id JOIN models m ON m.id = f.model_id WHERE pr.kind = 's3' AND "
                       "p.state = 'stored' AND m.name NOT IN (%1)")
            .arg(quoted.join(QLatin1Char(','))));
    return QSet<QString>(cids.begin(), cids.end());
}

QStringList TestCliCrash::resends(const QSet<QString>& protectedCids)
{
    QStringList out;
    QSet<QString> deleted;
    const QStringList lines = m_s3.proxyLog().split(QLatin1Char('\n'));
    m_s3.clearLog();
    for (const QString& line : lines) {
        const QRegularExpressionMatch m = chunkRequest().match(line);
        if (!m.hasMatch())
            continue;
        const QString cid = m.captured(2);
        if (m.captured(1) == QLatin1String("DELETE")) {
            deleted.insert(cid);
            continue;
        }
        if (m.captured(1) != QLatin1String("PUT"))
            continue;
        if (m.captured(3).startsWith(QLatin1Char('2')))
            ++m_chunkPuts;
        if (protectedCids.contains(cid) && !deleted.contains(cid))
            out << m.captured(1) + QLatin1Char(' ') + cid;
    }
    return out;
}

QString TestCliCrash::integrityProblem()
{
    const QStringList result = registryColumn(QStringLiteral("PRAGMA integrity_check"));
    if (result == QStringList{QStringLiteral("ok")})
        return {};
    return m_context + QStringLiteral(": PRAGMA integrity_check says ") +
           result.join(QLatin1Char('\n'));
}

bool TestCliCrash::restoresBitExact(const QString& name, QByteArray* why)
{
    // Only the test's own models may exist: anything else in the registry is a model no
    // process floated (a resurrected removal, a catalog entry taken in under another name).
    if (!m_names.contains(name)) {
        *why =
            "the registry has a complete model nobody floated under that name: " + name.toUtf8() +
            " (models: " +
            registryColumn(QStringLiteral("SELECT name || ':' || state FROM models"))
                .join(QLatin1Char(' '))
                .toUtf8() +
            ")";
        return false;
    }
    const QString out = m_box.path(QStringLiteral("out/check-") + name);
    QDir(out).removeRecursively();
    const CliResult r = cli(
        {QStringLiteral("restore"), name, QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    const QString source = m_sources.at(m_names.indexOf(name) % m_sources.size());
    const QString restored = out + QLatin1Char('/') + QFileInfo(source).fileName();
    bool same = r.code == 0;
    if (!same)
        *why = "restore of " + name.toUtf8() + " failed: " + r.describe();
    else if (test::opensslSha256Hex(restored) != test::opensslSha256Hex(source)) {
        same = false;
        *why = name.toUtf8() + " restored with other bytes than " + source.toUtf8();
    }
    QDir(out).removeRecursively();
    return same;
}

void TestCliCrash::randomKillsLoseNothing()
{
    quint64 seed = QRandomGenerator::system()->generate64();
    if (qEnvironmentVariableIsSet("MODELFLOAT_CRASH_SEED"))
        seed = qEnvironmentVariable("MODELFLOAT_CRASH_SEED").toULongLong();
    int seconds = DefaultSeconds;
    if (qEnvironmentVariableIsSet("MODELFLOAT_CRASH_SECONDS"))
        seconds = qEnvironmentVariableIntValue("MODELFLOAT_CRASH_SECONDS");
    qInfo("randomKillsLoseNothing: seed %llu (MODELFLOAT_CRASH_SEED=%llu replays it), rounds "
          "for %d s",
          seed, seed, seconds);
    QRandomGenerator rng(seed);

    // Four sources, two of them sharing most chunks, each always floated under its own name.
    m_sources = {
        m_box.path(QStringLiteral("input/a.bin")), m_box.path(QStringLiteral("input/b.bin")),
        m_box.path(QStringLiteral("input/c.bin")), m_box.path(QStringLiteral("input/d.bin"))};
    const QByteArray base = test::pseudoRandomBytes(12 * MiB, seed);
    QByteArray shifted = base;
    shifted.insert(100, test::pseudoRandomBytes(1024, seed + 1));
    QVERIFY(test::writeFile(m_sources.at(0), base));
    QVERIFY(test::writeFile(m_sources.at(1), shifted));
    QVERIFY(test::writePseudoRandomFile(m_sources.at(2), 8 * MiB, seed + 2));
    QVERIFY(test::writePseudoRandomFile(m_sources.at(3), 8 * MiB, seed + 3));
    m_names = {QStringLiteral("m0"), QStringLiteral("m1"), QStringLiteral("m2"),
               QStringLiteral("m3")};

    // How long a float of new data takes here: one of d, under a name of its own, then gone.
    {
        QElapsedTimer took;
        took.start();
        QStringList args = floatArgs(QStringLiteral("m3"));
        args[args.indexOf(QStringLiteral("m3"))] = QStringLiteral("calibration");
        CliResult r = cli(args);
        QVERIFY2(r.code == 0, r.describe().constData());
        m_killWindowMs = qMax<double>(300, 1.2 * double(took.elapsed()));
        r = cli({QStringLiteral("rm"), QStringLiteral("calibration"), QStringLiteral("--quiet")});
        QVERIFY2(r.code == 0, r.describe().constData());
        m_s3.clearLog();
        qInfo("kills fall in the first %.0f ms of a process", m_killWindowMs);
    }

    QElapsedTimer budget;
    budget.start();
    int round = 0;
    int kills = 0;
    for (; budget.elapsed() < qint64(seconds) * 1000; ++round) {
        m_context = QStringLiteral("seed %1 round %2").arg(seed).arg(round);
        // Two or three processes, two in three of them killed at a random moment.
        std::vector<Actor> actors(2 + rng.bounded(2));
        QStringList freed; // names an rm of this round may remove
        for (Actor& a : actors) {
            const QString name = m_names.at(rng.bounded(int(m_names.size())));
            // Floats and removals most, so models keep being made and unmade.
            switch (rng.bounded(7)) {
            case 0:
            case 1:
            case 2:
                a.args = floatArgs(name);
                a.what = QStringLiteral("float ") + name;
                break;
            case 3:
            case 4:
                a.args = {QStringLiteral("rm"), name, QStringLiteral("--quiet")};
                a.what = QStringLiteral("rm ") + name;
                freed << name;
                break;
            case 5:
                a.args = {QStringLiteral("collect"), QStringLiteral("--quiet")};
                a.what = QStringLiteral("collect");
                break;
            default:
                a.restoreDir =
                    m_box.path(QStringLiteral("out/round%1-%2").arg(round).arg(&a - actors.data()));
                a.restoreFrom = m_sources.at(m_names.indexOf(name) % m_sources.size());
                a.args = {QStringLiteral("restore"), name, QStringLiteral("--to"), a.restoreDir,
                          QStringLiteral("--quiet")};
                a.what = QStringLiteral("restore ") + name;
            }
            if (rng.bounded(3) != 0)
                a.killAt = rng.generateDouble();
        }
        for (Actor& a : actors)
            a.killAtMs = a.killAt < 0 ? -1 : qint64(a.killAt * m_killWindowMs);
        const QSet<QString> guarded = protectedChunks(freed);
        runRound(actors);

        QStringList done;
        for (const Actor& a : actors) {
            const int code =
                a.process->exitStatus() == QProcess::NormalExit ? a.process->exitCode() : -1;
            const QByteArray err = a.process->readAllStandardError();
            done << a.what + (a.killed ? QStringLiteral(" (killed at %1 ms)").arg(a.killAtMs)
                                       : QStringLiteral(" -> %1").arg(code));
            if (!a.killed && code != 0 && code != 3) // 3: no such model, which is expected
                qInfo("%s: %s exit %d: %s", qPrintable(m_context), qPrintable(a.what), code,
                      err.trimmed().constData());
            kills += a.killed ? 1 : 0;
            const QByteArray about = m_context.toUtf8() + ": " + a.what.toUtf8() + " exit " +
                                     QByteArray::number(code) + "\n" + err;
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
        }
        qInfo("%s: %s", qPrintable(m_context), qPrintable(done.join(QStringLiteral(", "))));
        // A resumed float's chunks are protected too: its interrupted scan's manifest keeps
        // them from a concurrent rm or collect (Registry::beginFile).
        const QStringList sentTwice = resends(guarded);
        QVERIFY2(sentTwice.isEmpty(),
                 qPrintable(m_context +
                            QStringLiteral(": chunks stored on S3 before the round "
                                           "were sent again: ") +
                            sentTwice.join(QLatin1Char(' '))));
    }
    m_context = QStringLiteral("seed %1 after %2 rounds").arg(seed).arg(round);
    qInfo("%s, %d processes killed, %d chunk PUTs seen", qPrintable(m_context), kills, m_chunkPuts);
    // The log was read: a check of resends that saw no PUT at all would check nothing.
    QVERIFY2(m_chunkPuts > 0, qPrintable(m_context + QStringLiteral(": no chunk PUT in the log")));

    QString integrity = integrityProblem();
    QVERIFY2(integrity.isEmpty(), qPrintable(integrity));

    // What the registry calls complete restores now, before anything is floated again.
    const QStringList complete =
        registryColumn(QStringLiteral("SELECT name FROM models WHERE state = 'complete'"));
    for (const QString& name : complete) {
        QByteArray why;
        QVERIFY2(restoresBitExact(name, &why),
                 QByteArray(m_context.toUtf8() + ": " + why).constData());
    }
    // And each of their copies is there and intact (a restore needs only one of them).
    if (!complete.isEmpty()) {
        const CliResult verify = cli(QStringList{QStringLiteral("verify")} + complete);
        QVERIFY2(verify.code == 0,
                 QByteArray(m_context.toUtf8() + ": " + verify.describe()).constData());
    }

    // Finish what was interrupted, sending nothing that was stored already (the log so far,
    // restores and verify, is not about sending).
    const QSet<QString> guarded = protectedChunks({});
    m_s3.clearLog();
    for (const QString& name : std::as_const(m_names)) {
        const CliResult r = cli(floatArgs(name));
        QVERIFY2(r.code == 0, QByteArray(m_context.toUtf8() + ": " + r.describe()).constData());
    }
    const QStringList sentTwice = resends(guarded);
    QVERIFY2(sentTwice.isEmpty(),
             qPrintable(m_context + QStringLiteral(": chunks already on S3 were sent again: ") +
                        sentTwice.join(QLatin1Char(' '))));
    integrity = integrityProblem();
    QVERIFY2(integrity.isEmpty(), qPrintable(integrity));
    for (const QString& name : std::as_const(m_names)) {
        QByteArray why;
        QVERIFY2(restoresBitExact(name, &why),
                 QByteArray(m_context.toUtf8() + ": " + why).constData());
    }
    const CliResult verify = cli({QStringLiteral("verify"), QStringLiteral("--all")});
    QVERIFY2(verify.code == 0,
             QByteArray(m_context.toUtf8() + ": " + verify.describe()).constData());
    // Every source is stored now: floating it under a new name sends nothing.
    for (int i = 0; i < m_sources.size(); ++i) {
        const CliResult r = cli({QStringLiteral("float"), m_sources.at(i), QStringLiteral("--name"),
                                 QStringLiteral("again%1").arg(i), QStringLiteral("--chunker"),
                                 QStringLiteral("cdc"), QStringLiteral("--chunk-size"),
                                 QStringLiteral("256K"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.describe().constData());
        QCOMPARE(r.json().value(QStringLiteral("bytes_sent")).toInteger(), 0);
    }
}

QTEST_GUILESS_MAIN(TestCliCrash)
#include "tst_cli_crash.moc"
