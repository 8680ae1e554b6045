// The randomized crash test: kill -9 at random points of float, restore, rm, collect and vault
// sync, several modelfloat-cli processes at a time on two vaults ("computers") that share their
// providers, for a bounded time; then each registry must pass SQLite's integrity check, every
// model marked complete must restore bit-exact, every replica must be present and intact, and no
// finished chunk may have been sent twice.
//
// Both vaults keep every chunk on the same two providers: vault A's local store (a folder that
// vault B has as a local provider too) and a real S3 server (s3rver behind the SigV4-checking
// proxy, tests/s3peer.h), where B uses A's key prefix. Each vault floats its own models (a-m0…,
// b-m0…) from the same four sources, so the two vaults' models share chunks: one vault removes a
// model and collects while the other floats a file that shares its chunks (some rounds are made
// of exactly that), and `vault sync` runs in between. After each round, every float that exited
// 0 must have left a model that restores bit-exact from the vault that floated it, after a sync
// there (issue 34: no dedup against chunks another vault's rm or collect deleted). Leases live
// seconds here (catalog.lease_secs), so that a process killed in one vault holds the other
// vault's floats and collections back for seconds, not the default ten minutes. At the end each
// vault syncs, and every model its registry calls complete restores bit-exact; `verify` finds
// every copy a registry names there and intact, and a vault's own models with all their copies
// (a model taken in from the other vault may be known with fewer: said, not failed).
//
// Sent twice: the proxy logs every request with the access key that signed it, and each vault
// has its own key, so each PUT is the vault's that sent it (the proxy takes both keys and
// passes the requests on under s3rver's one account). Without that, a PUT could only be judged
// against both registries at once, and a chunk one vault sends because its registry rightly
// lacks it would count as the other's resend, or the check would have to skip the second vault;
// with it, both vaults' puts are checked, each against its own registry. A PUT of a chunk that the
// sending vault's registry recorded as stored on S3 before the round began, that no rm of that
// vault in the round may have freed, and that the log does not show deleted (by either vault, in
// this round or an earlier one) since it was last put, is a chunk sent twice. A PUT after another
// vault's DELETE is not: the chunk was gone, and the float that looked found that out. Only PUTs
// count: a HEAD is how a float confirms a copy it learned from the catalog or kept as an orphan
// (another vault may have collected it meanwhile), and how the catalog checks, before it first
// publishes a model a killed float left, that its recorded copies are still there; a HEAD sends
// nothing.
//
// The random sequence is seeded: the seed is printed first, and MODELFLOAT_CRASH_SEED replays
// it (the same operations, killed at the same fractions of the kill window, which follows how
// long a float takes on the machine; so the timing still varies a little).
//
// Bounded by time, not by rounds: MODELFLOAT_CRASH_SECONDS (tests/CMakeLists.txt sets it; 90 s
// by default) is how long new rounds are started, because a round's length depends on the
// machine's load and the test command has to finish well within its hour. Under the sanitizers
// every process is several times slower, so fewer rounds fit and the bound is shorter there.
// A replay stops after the rounds the failure reached with MODELFLOAT_CRASH_ROUNDS.

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
#include <limits>
#include <memory>

using namespace mf;
using test::CliResult;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int DefaultSeconds = 90;
// A process still running after this long is hung, which is a defect of its own: the round
// stops it and fails naming it, well before QtTest's 300 s watchdog would end the whole test
// without saying which command hung.
constexpr int ProcessTimeoutMs = 120000;
constexpr int LeaseSecs = 6;

// For failure messages: each model's state and its copies per provider.
const QString PlacementsByModel = QStringLiteral(
    "SELECT m.name || ':' || m.state || ':' || pr.name || '=' || COUNT(DISTINCT p.cid) || '/' || "
    "(SELECT COUNT(DISTINCT fc2.cid) FROM files f2 JOIN file_chunks fc2 ON fc2.file_id = f2.id "
    "WHERE f2.model_id = m.id) FROM models m JOIN files f ON f.model_id = m.id JOIN file_chunks "
    "fc ON fc.file_id = f.id JOIN placements p ON p.cid = fc.cid AND p.state = 'stored' JOIN "
    "providers pr ON pr.id = p.provider_id GROUP BY m.id, pr.id");

// One vault of the test, a "computer".
struct Side
{
    QString tag;       // "a", "b": its models are "a-m0", …
    QString dir;       // its vault folder
    QString accessKey; // its S3 key, which the proxy's log names
};

// One modelfloat-cli process of a round, and what happened to it.
struct Actor
{
    int side = 0;
    QString what;    // "a: float a-m1", for messages
    QString floated; // a float: the model it makes
    QString removed; // an rm: the model it removes
    QStringList args;
    QString restoreDir;  // a restore: where to, and
    QString restoreFrom; // the source it must equal
    std::unique_ptr<QProcess> process;
    int phase = 0;      // phase 1 starts once every process of phase 0 has ended
    double killAt = -1; // when to kill it, as a fraction of the kill window; < 0: left alone
    qint64 killAtMs = -1;
    bool killed = false;
};

// "sigv4-proxy: PUT /mf-test/modelfloat/<vault>/chunks/<cid> -> 200 key=<access key>"
const QRegularExpression& chunkRequest()
{
    static const QRegularExpression re(QStringLiteral(
        "^sigv4-proxy: (PUT|HEAD|DELETE) \\S*/chunks/([a-z0-9]+)\\S* -> (\\d+).* key=(\\S+)$"));
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
    QProcessEnvironment environment(int side) const;
    CliResult cli(int side, const QStringList& args, const QByteArray& input = {});
    // Adds the S3 server as provider "cloud" of `side`, under `prefix` (empty: the default).
    bool addS3(int side, const QString& prefix, QByteArray* why);
    QStringList floatArgs(const QString& name, const QString& source);
    // Runs the actors to their ends, killing each at its time; the event loop turns meanwhile
    // (the S3 peers' output pipes must be drained, or they block).
    void runRound(std::vector<Actor>& actors);
    // Sets a vault setting the CLI has no command for, straight in its registry.
    bool setRegistrySetting(int side, const QString& key, const QString& value);
    // Rows of a query on a vault's registry, first column as text.
    QStringList registryColumn(int side, const QString& sql);
    // Chunks stored on S3 in the vault's registry and used by a model not named in `freed`.
    QSet<QString> protectedChunks(int side, const QStringList& freed);
    // Every PUT of a chunk protected for the vault that sent it, in the proxy's log since the
    // last call, while the log shows the chunk on S3 (not deleted since its last put).
    // `sending`: which vaults floated in the round. A PUT the proxy logs for a vault that did
    // not is one of an earlier round's killed float, which the proxy finished after that
    // round's check read the log: counted, not judged against this round's protected chunks.
    QStringList resends(const QSet<QString> (&protectedCids)[2], const bool (&sending)[2]);
    // Reads the log as far as it goes, for the chunks it puts and deletes, checking nothing.
    void digestLog()
    {
        const QSet<QString> none[2];
        const bool neither[2] = {false, false};
        (void)resends(none, neither);
    }
    bool restoresBitExact(int side, const QString& name, QByteArray* why);
    // Empty when SQLite's integrity check passes on the vault's registry.
    QString integrityProblem(int side);
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

    test::CliSandbox m_box;
    test::S3Peer m_s3;
    Side m_sides[2];
    QStringList m_sources; // in/a.bin, in/b.bin (A with 1 KiB inserted), in/c.bin, in/d.bin
    QHash<QString, QString> m_sourceOf; // every model name a test process floated: its source
    QHash<QString, bool> m_onS3;        // chunks the log saw: put (true) or deleted (false) last
    QString m_context;                  // "seed N round R", in every failure message
    // What each float that exited 0 printed (its --json report and warnings), by model: said
    // when a check of its model fails (a float ends DEGRADED, with fewer copies, when a provider
    // keeps failing).
    QHash<QString, QByteArray> m_floatSaid;
    int m_chunkPuts = 0; // PUTs of chunks the proxy logged (that the check sees any)
    int m_otherPuts = 0; // of them, those of vault B (that the log tells the two apart)
    // Kills fall in the first m_killWindowMs of a process: a little longer than a float of new
    // data takes on this machine (measured first), so they hit every stage of one.
    double m_killWindowMs = 0;
};

QProcessEnvironment TestCliCrash::environment(int side) const
{
    QProcessEnvironment env = m_box.environment();
    env.insert(QStringLiteral("MODELFLOAT_VAULT"), m_sides[side].dir);
    return env;
}

CliResult TestCliCrash::cli(int side, const QStringList& args, const QByteArray& input)
{
    // Through the event loop too: a run that talks to S3 must not block the peers' pipes.
    CliResult r;
    QProcess p;
    p.setProcessEnvironment(environment(side));
    p.setWorkingDirectory(m_box.root());
    p.start(test::CliSandbox::cli(), args);
    p.write(input);
    p.closeWriteChannel();
    const bool ended =
        QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, ProcessTimeoutMs);
    if (!ended) {
        p.kill();
        p.waitForFinished();
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    if (!ended)
        r.err.prepend(QByteArray("(hung: killed after ") +
                      QByteArray::number(ProcessTimeoutMs / 1000) + " s)\n");
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

bool TestCliCrash::addS3(int side, const QString& prefix, QByteArray* why)
{
    const bool other = m_sides[side].accessKey != QLatin1String(test::S3Peer::AccessKey);
    QStringList args{QStringLiteral("provider"),
                     QStringLiteral("add"),
                     QStringLiteral("s3"),
                     QStringLiteral("cloud"),
                     QStringLiteral("--endpoint"),
                     m_s3.endpoint(),
                     QStringLiteral("--bucket"),
                     QLatin1String(test::S3Peer::Bucket),
                     QStringLiteral("--access-key-id"),
                     m_sides[side].accessKey,
                     QStringLiteral("--secret-stdin")};
    if (!prefix.isEmpty())
        args << QStringLiteral("--prefix") << prefix;
    const CliResult r = cli(
        side, args,
        "secretAccessKey=" + QByteArray(other ? test::S3Peer::OtherSecret : test::S3Peer::Secret) +
            "\n");
    *why = r.describe();
    return r.code == 0;
}

QStringList TestCliCrash::floatArgs(const QString& name, const QString& source)
{
    m_sourceOf.insert(name, source);
    // Small chunks, so that files of a few MiB have dozens of them.
    return {QStringLiteral("float"),  source,
            QStringLiteral("--name"), name,
            QStringLiteral("--json"), QStringLiteral("--chunker"),
            QStringLiteral("cdc"),    QStringLiteral("--chunk-size"),
            QStringLiteral("256K")};
}

void TestCliCrash::initTestCase()
{
    QVERIFY(m_box.ok());
    QVERIFY2(m_s3.start(), qPrintable(m_s3.errorString()));
    m_sides[0] = {QStringLiteral("a"), m_box.vault(), QLatin1String(test::S3Peer::AccessKey)};
    m_sides[1] = {QStringLiteral("b"), m_box.path(QStringLiteral("vault-b")),
                  QLatin1String(test::S3Peer::OtherAccessKey)};
    QByteArray why;
    for (int side : {0, 1}) {
        // The S3 secret goes to the vault's opt-in plaintext store: no keychain is needed here.
        CliResult r =
            cli(side, {QStringLiteral("config"), QStringLiteral("credentials"),
                       QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = cli(side,
                {QStringLiteral("config"), QStringLiteral("replication"), QStringLiteral("2")});
        QVERIFY2(r.code == 0, r.describe().constData());
        // Leases live seconds (docs/catalog.md: "Tests set it to seconds"): a process killed
        // here leaves its lease on the providers, and the other vault's floats and collections
        // wait for it to run out (its own vault's processes know it is dead). At the default
        // ten minutes, one kill would stop the rounds.
        QVERIFY(setRegistrySetting(side, QStringLiteral("catalog.lease_secs"),
                                   QString::number(LeaseSecs)));
        // Deletions happen in the rounds (with no grace period, which would keep every chunk
        // for a day): the races with them are what the rounds look for.
        r = cli(side, {QStringLiteral("config"), QStringLiteral("collect-grace"),
                       QStringLiteral("0"), QStringLiteral("--expert")});
        QVERIFY2(r.code == 0, r.describe().constData());
    }
    // Two computers of one user: B gets A's recovery key, as `vault key import` gives it.
    CliResult key = cli(0, {QStringLiteral("vault"), QStringLiteral("key"), QStringLiteral("show"),
                            QStringLiteral("--json")});
    QVERIFY2(key.code == 0, key.describe().constData());
    key = cli(1, {QStringLiteral("vault"), QStringLiteral("key"), QStringLiteral("import")},
              key.json().value(QStringLiteral("recovery_key")).toString().toUtf8());
    QVERIFY2(key.code == 0, key.describe().constData());
    QVERIFY2(addS3(0, {}, &why), why.constData());
    // B shares A's two stores: A's local store (B's own, empty, is removed) and A's prefix on S3.
    const QStringList id = registryColumn(
        0, QStringLiteral("SELECT value FROM vault_settings WHERE key = 'vault_id'"));
    QCOMPARE(id.size(), 1);
    QVERIFY2(addS3(1, QStringLiteral("modelfloat/%1/").arg(id.first()), &why), why.constData());
    CliResult r =
        cli(1, {QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("local")});
    QVERIFY2(r.code == 0, r.describe().constData());
    r = cli(1, {QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                QStringLiteral("shared"), m_box.localStore()});
    QVERIFY2(r.code == 0, r.describe().constData());
}

void TestCliCrash::runRound(std::vector<Actor>& actors)
{
    for (int phase : {0, 1}) {
        QElapsedTimer clock;
        clock.start();
        for (Actor& a : actors) {
            if (a.phase != phase)
                continue;
            a.process = std::make_unique<QProcess>();
            a.process->setProcessEnvironment(environment(a.side));
            a.process->setWorkingDirectory(m_box.root());
            a.process->start(test::CliSandbox::cli(), a.args);
            a.process->closeWriteChannel();
        }
        const auto allEnded = [&actors, phase] {
            for (const Actor& a : actors)
                if (a.phase == phase && a.process->state() != QProcess::NotRunning)
                    return false;
            return true;
        };
        while (!allEnded() && clock.elapsed() < ProcessTimeoutMs) {
            for (Actor& a : actors) {
                if (a.phase == phase && a.killAtMs >= 0 && !a.killed &&
                    clock.elapsed() >= a.killAtMs && a.process->state() == QProcess::Running) {
                    ::kill(pid_t(a.process->processId()), SIGKILL);
                    a.killed = true;
                }
            }
            QTest::qWait(5);
        }
        for (Actor& a : actors) {
            if (a.phase == phase && a.process->state() != QProcess::NotRunning) {
                a.what += QStringLiteral(" (hung: still running after %1 s)")
                              .arg(ProcessTimeoutMs / 1000);
                a.process->kill();
                a.process->waitForFinished();
            }
        }
    }
}

bool TestCliCrash::setRegistrySetting(int side, const QString& key, const QString& value)
{
    bool ok = false;
    const QString connection = QStringLiteral("crash-settings");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(m_sides[side].dir + QStringLiteral("/registry.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(
                QStringLiteral("INSERT OR REPLACE INTO vault_settings (key, value) VALUES (?, ?)"));
            q.addBindValue(key);
            q.addBindValue(value);
            ok = q.exec();
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return ok;
}

QStringList TestCliCrash::registryColumn(int side, const QString& sql)
{
    QStringList out;
    const QString connection = QStringLiteral("crash-registry");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(m_sides[side].dir + QStringLiteral("/registry.sqlite"));
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

QSet<QString> TestCliCrash::protectedChunks(int side, const QStringList& freed)
{
    QStringList quoted;
    for (const QString& name : freed)
        quoted << QLatin1Char('\'') + name + QLatin1Char('\'');
    const QStringList cids = registryColumn(
        side,
        QStringLiteral("SELECT DISTINCT p.cid FROM placements p JOIN providers pr ON pr.id = "
                       "p.provider_id JOIN file_chunks fc ON fc.cid = p.cid JOIN files f ON f.id "
                       "= fc.file_id JOIN models m ON m.id = f.model_id WHERE pr.kind = 's3' AND "
                       "p.state = 'stored' AND m.name NOT IN (%1)")
            .arg(quoted.join(QLatin1Char(','))));
    return QSet<QString>(cids.begin(), cids.end());
}

QStringList TestCliCrash::resends(const QSet<QString> (&protectedCids)[2], const bool (&sending)[2])
{
    QStringList out;
    const QStringList lines = m_s3.proxyLog().split(QLatin1Char('\n'));
    m_s3.clearLog();
    for (const QString& line : lines) {
        const QRegularExpressionMatch m = chunkRequest().match(line);
        if (!m.hasMatch())
            continue;
        const QString cid = m.captured(2);
        if (m.captured(1) == QLatin1String("DELETE")) {
            m_onS3.insert(cid, false);
            continue;
        }
        if (m.captured(1) != QLatin1String("PUT"))
            continue;
        const int side = m.captured(4) == m_sides[1].accessKey ? 1 : 0;
        const bool there = m_onS3.value(cid, true);
        if (m.captured(3).startsWith(QLatin1Char('2'))) {
            ++m_chunkPuts;
            m_otherPuts += side;
            m_onS3.insert(cid, true);
        }
        if (there && sending[side] && protectedCids[side].contains(cid))
            out << m_sides[side].tag + QStringLiteral(": PUT ") + cid;
    }
    return out;
}

QString TestCliCrash::integrityProblem(int side)
{
    const QStringList result = registryColumn(side, QStringLiteral("PRAGMA integrity_check"));
    if (result == QStringList{QStringLiteral("ok")})
        return {};
    return m_context +
           QStringLiteral(": PRAGMA integrity_check of vault %1 says ").arg(m_sides[side].tag) +
           result.join(QLatin1Char('\n'));
}

bool TestCliCrash::restoresBitExact(int side, const QString& name, QByteArray* why)
{
    // Only the test's own models may exist: anything else in the registry is a model no
    // process floated (a resurrected removal, a catalog entry taken in under another name).
    if (!m_sourceOf.contains(name)) {
        *why = "vault " + m_sides[side].tag.toUtf8() +
               " has a complete model nobody floated under that name: " + name.toUtf8() +
               " (models: " +
               registryColumn(side, QStringLiteral("SELECT name || ':' || state FROM models"))
                   .join(QLatin1Char(' '))
                   .toUtf8() +
               ")";
        return false;
    }
    const QString out = m_box.path(QStringLiteral("out/check-") + name);
    QDir(out).removeRecursively();
    const CliResult r = cli(side, {QStringLiteral("restore"), name, QStringLiteral("--to"), out,
                                   QStringLiteral("--quiet")});
    const QString source = m_sourceOf.value(name);
    const QString restored = out + QLatin1Char('/') + QFileInfo(source).fileName();
    bool same = r.code == 0;
    if (!same)
        *why = "restore of " + name.toUtf8() + " on vault " + m_sides[side].tag.toUtf8() +
               " failed: " + r.describe();
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
    // A replay of a failure stops where it did: MODELFLOAT_CRASH_ROUNDS caps the rounds.
    const int maxRounds = qEnvironmentVariableIsSet("MODELFLOAT_CRASH_ROUNDS")
                              ? qEnvironmentVariableIntValue("MODELFLOAT_CRASH_ROUNDS")
                              : std::numeric_limits<int>::max();
    qInfo("randomKillsLoseNothing: seed %llu (MODELFLOAT_CRASH_SEED=%llu replays it), rounds "
          "for %d s",
          seed, seed, seconds);
    QRandomGenerator rng(seed);

    // Four sources, two of them sharing most chunks; model <vault>-m<i> is always source i.
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
    const auto model = [this](int side, int source) -> QString {
        return m_sides[side].tag + QStringLiteral("-m") + QString::number(source);
    };
    const auto sync = [](QStringList* args) {
        *args = {QStringLiteral("vault"), QStringLiteral("sync"), QStringLiteral("--quiet")};
    };

    // How long a float of new data takes here: one of d, under a name of its own, then gone.
    {
        QElapsedTimer took;
        took.start();
        CliResult r = cli(0, floatArgs(QStringLiteral("calibration"), m_sources.at(3)));
        QVERIFY2(r.code == 0, r.describe().constData());
        m_killWindowMs = qMax<double>(300, 1.2 * double(took.elapsed()));
        r = cli(0,
                {QStringLiteral("rm"), QStringLiteral("calibration"), QStringLiteral("--quiet")});
        QVERIFY2(r.code == 0, r.describe().constData());
        digestLog();
        qInfo("kills fall in the first %.0f ms of a process", m_killWindowMs);
    }

    QElapsedTimer budget;
    budget.start();
    int round = 0;
    int kills = 0;
    int floatsChecked = 0;
    for (; budget.elapsed() < qint64(seconds) * 1000 && round < maxRounds; ++round) {
        m_context = QStringLiteral("seed %1 round %2").arg(seed).arg(round);
        std::vector<Actor> actors;
        if (rng.bounded(3) == 0) {
            // Issue 34's case: one vault has a model of a or b, which the other has taken in
            // (or not: with or without a sync first); the first removes it and collects while,
            // or after which, the other floats the other of the two (they share all chunks but
            // a few) under a new name.
            const int side = int(rng.bounded(2));
            const int source = int(rng.bounded(2));
            const CliResult made = cli(side, floatArgs(model(side, source), m_sources.at(source)));
            QVERIFY2(made.code == 0, failure(made.describe()).constData());
            if (rng.bounded(2) == 0) {
                const CliResult synced =
                    cli(1 - side, {QStringLiteral("vault"), QStringLiteral("sync"),
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
            actors[2].floated = m_sides[1 - side].tag + QStringLiteral("-r%1").arg(round);
            actors[2].args = floatArgs(actors[2].floated, m_sources.at(1 - source));
        } else {
            // Two or three processes on either vault.
            actors.resize(2 + rng.bounded(2));
            for (Actor& a : actors) {
                a.side = int(rng.bounded(2));
                const int source = int(rng.bounded(int(m_sources.size())));
                const QString name = model(a.side, source);
                // Floats and removals most, so models keep being made and unmade.
                switch (rng.bounded(8)) {
                case 0:
                case 1:
                case 2:
                    a.floated = name;
                    a.args = floatArgs(name, m_sources.at(source));
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
                default:
                    a.restoreDir = m_box.path(
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
        for (Actor& a : actors) {
            if (!a.removed.isEmpty()) {
                a.args = {QStringLiteral("rm"), a.removed, QStringLiteral("--quiet")};
                a.what = QStringLiteral("rm ") + a.removed;
                freed[a.side] << a.removed;
            }
            if (!a.floated.isEmpty())
                a.what = QStringLiteral("float ") + a.floated;
            a.what = m_sides[a.side].tag + QStringLiteral(": ") + a.what;
            if (rng.bounded(3) != 0)
                a.killAt = rng.generateDouble();
            a.killAtMs = a.killAt < 0 ? -1 : qint64(a.killAt * m_killWindowMs);
        }
        const QSet<QString> guarded[2] = {protectedChunks(0, freed[0]),
                                          protectedChunks(1, freed[1])};
        runRound(actors);

        QStringList done;
        QList<const Actor*> floatedOk;
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
        for (const Actor& a : actors)
            sending[a.side] = sending[a.side] || !a.floated.isEmpty();
        const QStringList sentTwice = resends(guarded, sending);
        QVERIFY2(sentTwice.isEmpty(),
                 qPrintable(m_context +
                            QStringLiteral(": chunks stored on S3 before the round "
                                           "were sent again: ") +
                            sentTwice.join(QLatin1Char(' '))));
        // No float that exited 0 left a model that does not restore: from the vault that
        // floated it, once that vault has taken in what the other did meanwhile.
        for (const Actor* a : std::as_const(floatedOk)) {
            const CliResult synced = cli(a->side, {QStringLiteral("vault"), QStringLiteral("sync"),
                                                   QStringLiteral("--quiet")});
            QVERIFY2(synced.code == 0, failure(synced.describe()).constData());
            QByteArray why;
            QVERIFY2(restoresBitExact(a->side, a->floated, &why),
                     failure(a->what.toUtf8() + " exited 0, but " + why).constData());
            ++floatsChecked;
        }
        // A model of a new name is removed again (whatever is left of it), so they do not pile
        // up; its chunks stay for the models that share them.
        for (const Actor& a : actors) {
            if (a.floated.contains(QStringLiteral("-r"))) {
                const CliResult r =
                    cli(a.side, {QStringLiteral("rm"), a.floated, QStringLiteral("--quiet")});
                QVERIFY2(r.code == 0 || r.code == 3, failure(r.describe()).constData());
            }
        }
        digestLog(); // what the checks did is not about sending, but an rm deletes
    }
    m_context = QStringLiteral("seed %1 after %2 rounds").arg(seed).arg(round);
    qInfo("%s, %d processes killed, %d chunk PUTs seen (%d of vault b), %d floats that exited 0 "
          "restored",
          qPrintable(m_context), kills, m_chunkPuts, m_otherPuts, floatsChecked);
    // The log was read: a check of resends that saw no PUT at all would check nothing.
    QVERIFY2(m_chunkPuts > 0, qPrintable(m_context + QStringLiteral(": no chunk PUT in the log")));

    // Each vault takes in what the other did, then what its registry calls complete restores,
    // before anything is floated again, and each of their copies is there and intact (a
    // restore needs only one of them).
    for (int side : {0, 1, 0}) {
        const CliResult synced =
            cli(side, {QStringLiteral("vault"), QStringLiteral("sync"), QStringLiteral("--quiet")});
        QVERIFY2(synced.code == 0, failure(synced.describe()).constData());
    }
    for (int side : {0, 1}) {
        const QString integrity = integrityProblem(side);
        QVERIFY2(integrity.isEmpty(), qPrintable(integrity));
        const QStringList complete = registryColumn(
            side, QStringLiteral("SELECT name FROM models WHERE state = 'complete'"));
        for (const QString& name : complete) {
            QByteArray why;
            QVERIFY2(restoresBitExact(side, name, &why), failure(why).constData());
        }
        // Every copy each registry names is there and intact. A vault's own models have all
        // their copies; a model taken in from the other vault may be known with fewer (its
        // copies are looked for when it is taken in or changed, and one its copies were
        // deleted and made again meanwhile is neither): under-replicated in this vault's
        // view is said (qInfo), but nothing may be missing or corrupt.
        QStringList own;
        QStringList taken;
        for (const QString& name : complete)
            (name.startsWith(m_sides[side].tag + QLatin1Char('-')) ? own : taken) << name;
        const QByteArray where = "verify on vault " + m_sides[side].tag.toUtf8() + " of ";
        if (!own.isEmpty()) {
            const CliResult verify = cli(side, QStringList{QStringLiteral("verify")} + own);
            QVERIFY2(
                verify.code == 0,
                failure(where + own.join(QLatin1Char(' ')).toUtf8() + ": " + verify.describe() +
                        "\nplacements: " +
                        registryColumn(side, PlacementsByModel).join(QLatin1Char(' ')).toUtf8() +
                        floatsSaid(own))
                    .constData());
        }
        if (!taken.isEmpty()) {
            const CliResult verify =
                cli(side, QStringList{QStringLiteral("verify"), QStringLiteral("--json")} + taken);
            const QJsonObject j = verify.json();
            const bool intact = j.value(QStringLiteral("missing")).toInt() == 0 &&
                                j.value(QStringLiteral("corrupt")).toInt() == 0 &&
                                j.value(QStringLiteral("lost")).toInt() == 0 &&
                                j.value(QStringLiteral("unreachable")).toInt() == 0;
            QVERIFY2(
                verify.code == 0 || (verify.code == 7 && intact),
                failure(where + taken.join(QLatin1Char(' ')).toUtf8() + ": " + verify.describe() +
                        "\nplacements: " +
                        registryColumn(side, PlacementsByModel).join(QLatin1Char(' ')).toUtf8())
                    .constData());
            if (verify.code != 0)
                qInfo(
                    "%s",
                    failure(where + taken.join(QLatin1Char(' ')).toUtf8() +
                            ": under-replicated in this vault's view: " +
                            registryColumn(side, PlacementsByModel).join(QLatin1Char(' ')).toUtf8())
                        .constData());
        }
    }

    // Finish what was interrupted, sending nothing that was stored already (the log so far,
    // syncs, restores and verify, is not about sending).
    const QSet<QString> guarded[2] = {protectedChunks(0, {}), protectedChunks(1, {})};
    digestLog();
    for (int side : {0, 1}) {
        for (int source = 0; source < m_sources.size(); ++source) {
            const CliResult r = cli(side, floatArgs(model(side, source), m_sources.at(source)));
            QVERIFY2(r.code == 0, failure(r.describe()).constData());
        }
    }
    const bool sending[2] = {true, true};
    const QStringList sentTwice = resends(guarded, sending);
    QVERIFY2(sentTwice.isEmpty(),
             qPrintable(m_context + QStringLiteral(": chunks already on S3 were sent again: ") +
                        sentTwice.join(QLatin1Char(' '))));
    for (int side : {0, 1, 0}) {
        const CliResult synced =
            cli(side, {QStringLiteral("vault"), QStringLiteral("sync"), QStringLiteral("--quiet")});
        QVERIFY2(synced.code == 0, failure(synced.describe()).constData());
    }
    for (int side : {0, 1}) {
        const QString integrity = integrityProblem(side);
        QVERIFY2(integrity.isEmpty(), qPrintable(integrity));
        for (int source = 0; source < m_sources.size(); ++source) {
            QByteArray why;
            QVERIFY2(restoresBitExact(side, model(side, source), &why), failure(why).constData());
        }
        const CliResult verify = cli(side, {QStringLiteral("verify"), QStringLiteral("--all")});
        QVERIFY2(verify.code == 0, failure(verify.describe()).constData());
        // Every source is stored now, and each vault knows where: floating it under a new name
        // sends nothing.
        for (int i = 0; i < m_sources.size(); ++i) {
            const CliResult r =
                cli(side, {QStringLiteral("float"), m_sources.at(i), QStringLiteral("--name"),
                           m_sides[side].tag + QStringLiteral("-again%1").arg(i),
                           QStringLiteral("--chunker"), QStringLiteral("cdc"),
                           QStringLiteral("--chunk-size"), QStringLiteral("256K"),
                           QStringLiteral("--json")});
            QVERIFY2(r.code == 0, r.describe().constData());
            QCOMPARE(r.json().value(QStringLiteral("bytes_sent")).toInteger(), 0);
        }
    }
}

QTEST_GUILESS_MAIN(TestCliCrash)
#include "tst_cli_crash.moc"
