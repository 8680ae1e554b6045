// MEGA end to end through modelfloat-cli and the local MEGA API server: `provider add mega`
// signs in and keeps only the session; a revoked session is an authentication error that
// `provider auth NAME` mends; a float with MEGA as one of two replicas restores bit-exact from
// MEGA alone; a CLI killed mid-float resumes without storing anything twice (every chunk is one
// MEGA node, counted on the server); MEGA's transfer quota (509 with a time to wait) pauses MEGA's
// downloads for every process until then, other replicas serve meanwhile, and MEGA serves again
// once the time has passed; a 509 on uploads pauses MEGA's uploads, the float keeps its other
// copies and says until when, and the same float run again then makes MEGA's copies.

#include "clitestsupport.h"
#include "megapeer.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace mf::test;

namespace {

const MegaPeer::Account Alice{
    QStringLiteral("alice@example.com"), QStringLiteral("alice pw 1"), false, {}};

} // namespace

class TestMegaCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void addSignsInAndAuthMendsARevokedSession();
    void floatWithMegaAsSecondReplicaRestoresFromMega();
    void killedFloatResumesWithoutDuplicates();
    void transferQuotaPausesMegaWhileOtherReplicasServe();
    void uploadQuotaPausesMegaUntilTheSameFloatTopsUp();

private:
    CliRun cli(const QStringList& args, const QByteArray& input = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), m_dir.filePath(QStringLiteral("home")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("xdg-data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("xdg-config")));
        return runWithInput(mf::test::cliPath(),
                            args + QStringList{QStringLiteral("--vault"), m_vault}, input, env);
    }
    int commandCount(const QString& name)
    {
        return m_peer.stats().value(QStringLiteral("commands")).toObject().value(name).toInt();
    }
    QString localStore() const { return m_vault + QStringLiteral("/local-store"); }
    // The "cloud" provider's budget in `provider list --json`.
    QJsonObject cloudBudget()
    {
        const CliRun list =
            cli({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--json")});
        const QJsonArray providers =
            QJsonDocument::fromJson(list.out).object().value(QStringLiteral("providers")).toArray();
        for (const QJsonValue& p : providers)
            if (p.toObject().value(QStringLiteral("name")).toString() == QLatin1String("cloud"))
                return p.toObject().value(QStringLiteral("budget")).toObject();
        return {};
    }

    QTemporaryDir m_dir;
    QString m_vault;
    MegaPeer m_peer;
};

void TestMegaCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_vault = m_dir.filePath(QStringLiteral("vault"));
    QVERIFY2(m_peer.start({Alice}), qPrintable(m_peer.errorString()));
    const CliRun made = cli({QStringLiteral("init")});
    QVERIFY2(made.code == 0, made.describe().constData());
    const CliRun optIn =
        cli({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("plaintext"),
             QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe().constData());
}

void TestMegaCli::addSignsInAndAuthMendsARevokedSession()
{
    const QStringList add{QStringLiteral("provider"),
                          QStringLiteral("add"),
                          QStringLiteral("mega"),
                          QStringLiteral("cloud"),
                          Alice.email,
                          QStringLiteral("--api-url"),
                          m_peer.apiUrl(),
                          QStringLiteral("--secret-stdin")};
    // A wrong password adds nothing and says why.
    CliRun wrong = cli(add, "password=not the password\n");
    QCOMPARE(wrong.code, 1);
    QVERIFY2(wrong.err.contains("did not accept"), wrong.describe().constData());
    const CliRun none =
        cli({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(!none.out.contains("cloud"), none.describe().constData());

    const int logins = commandCount(QStringLiteral("us"));
    const CliRun added = cli(add, "password=" + Alice.password.toUtf8() + "\n");
    QVERIFY2(added.code == 0, added.describe().constData());
    QCOMPARE(commandCount(QStringLiteral("us")), logins + 1);
    // The session is kept, the password nowhere.
    QFile creds(m_vault + QStringLiteral("/credentials.json"));
    QVERIFY(creds.open(QIODevice::ReadOnly));
    const QByteArray stored = creds.readAll();
    QVERIFY(stored.contains("session"));
    QVERIFY(!stored.contains(Alice.password.toUtf8()));
    QVERIFY(!registryBytes(m_vault).contains(Alice.password.toUtf8()));

    // Later starts use the session: no sign-in.
    const CliRun test =
        cli({QStringLiteral("provider"), QStringLiteral("test"), QStringLiteral("cloud")});
    QVERIFY2(test.code == 0, test.describe().constData());
    QCOMPARE(commandCount(QStringLiteral("us")), logins + 1);

    // MEGA ends the session: an authentication error that says what to do.
    m_peer.faults({{QStringLiteral("revokeSessions"), true}});
    const CliRun revoked =
        cli({QStringLiteral("provider"), QStringLiteral("test"), QStringLiteral("cloud")});
    QCOMPARE(revoked.code, 1);
    QVERIFY2(revoked.err.contains("provider auth cloud"), revoked.describe().constData());
    QCOMPARE(commandCount(QStringLiteral("us")), logins + 1); // no sign-in behind the user's back

    const CliRun auth = cli({QStringLiteral("provider"), QStringLiteral("auth"),
                             QStringLiteral("cloud"), QStringLiteral("--secret-stdin")},
                            "password=" + Alice.password.toUtf8() + "\n");
    QVERIFY2(auth.code == 0, auth.describe().constData());
    QVERIFY(auth.out.contains("Signed in"));
    const CliRun works =
        cli({QStringLiteral("provider"), QStringLiteral("test"), QStringLiteral("cloud")});
    QVERIFY2(works.code == 0, works.describe().constData());
    QVERIFY(creds.seek(0));
    QVERIFY(!creds.readAll().contains(Alice.password.toUtf8()));
    // A kind that does not sign in is told so.
    const CliRun local = cli({QStringLiteral("provider"), QStringLiteral("auth"),
                              QStringLiteral("local"), QStringLiteral("--secret-stdin")},
                             "x\n");
    QCOMPARE(local.code, 2);
}

void TestMegaCli::floatWithMegaAsSecondReplicaRestoresFromMega()
{
    const QString file = m_dir.filePath(QStringLiteral("twice.bin"));
    QVERIFY(writePseudoRandomFile(file, 3 * 1024 * 1024 + 4321, 41));
    const CliRun floated =
        cli({QStringLiteral("float"), file, QStringLiteral("--replicas"), QStringLiteral("2"),
             QStringLiteral("--chunker"), QStringLiteral("cdc"), QStringLiteral("--chunk-size"),
             QStringLiteral("256K"), QStringLiteral("--json")});
    QVERIFY2(floated.code == 0, floated.describe().constData());
    // The local replicas go: the restore has MEGA alone.
    int removed = 0;
    QDirIterator it(localStore(), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        removed += QFile::remove(it.next()) ? 1 : 0;
    QVERIFY(removed > 3);
    const QString out = m_dir.filePath(QStringLiteral("out-twice"));
    const CliRun restored =
        cli({QStringLiteral("restore"), QStringLiteral("twice"), QStringLiteral("--to"), out});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/twice.bin")), opensslSha256Hex(file));
}

void TestMegaCli::killedFloatResumesWithoutDuplicates()
{
    const QString file = m_dir.filePath(QStringLiteral("killed.bin"));
    QVERIFY(writePseudoRandomFile(file, 24 * 1024 * 1024, 42));
    const int nodesBefore = commandCount(QStringLiteral("p"));
    const QStringList args{QStringLiteral("float"),
                           file,
                           QStringLiteral("--provider"),
                           QStringLiteral("cloud"),
                           QStringLiteral("--replicas"),
                           QStringLiteral("1"),
                           QStringLiteral("--chunker"),
                           QStringLiteral("cdc"),
                           QStringLiteral("--chunk-size"),
                           QStringLiteral("256K"),
                           QStringLiteral("--json"),
                           QStringLiteral("--vault"),
                           m_vault};
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_dir.filePath(QStringLiteral("home")));
    p.setProcessEnvironment(env);
    p.start(mf::test::cliPath(), args);
    QVERIFY(p.waitForStarted(30000));
    // Killed once a few chunks are MEGA nodes.
    bool killed = false;
    for (int i = 0; i < 6000 && p.state() == QProcess::Running; ++i) {
        if (commandCount(QStringLiteral("p")) - nodesBefore >= 6) {
            ::kill(pid_t(p.processId()), SIGKILL);
            killed = true;
            break;
        }
        QTest::qWait(10);
    }
    p.waitForFinished(60000);
    QVERIFY2(killed, "the float ended before it could be killed");

    const CliRun again = cli(args.mid(0, args.size() - 2));
    QVERIFY2(again.code == 0, again.describe().constData());
    const QJsonObject j = QJsonDocument::fromJson(again.out).object();
    QCOMPARE(j.value(QStringLiteral("resumed")).toBool(), true);
    QVERIFY2(j.value(QStringLiteral("bytes_sent")).toInteger() < 24 * 1024 * 1024,
             again.describe().constData());
    // Every chunk became exactly one node: what was stored before the kill (recorded or not)
    // was found, not stored again. (The catalog's own files are nodes too, named by their
    // catalog name: counted apart, as megajs lists them.)
    const int chunks = j.value(QStringLiteral("chunks")).toInt();
    QVERIFY2(chunks > 20, again.describe().constData());
    QString files;
    QVERIFY(m_peer.megajs(Alice.email, Alice.password, {QStringLiteral("login")}, &files));
    QStringList chunkNodes;
    for (const QString& line : files.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QJsonObject f = QJsonDocument::fromJson(line.toUtf8()).object();
        const QString name = f.value(QStringLiteral("name")).toString();
        if (!f.value(QStringLiteral("directory")).toBool() && !name.contains(QLatin1Char('/')))
            chunkNodes.append(name);
    }
    const QSet<QString> distinct(chunkNodes.cbegin(), chunkNodes.cend());
    QCOMPARE(chunkNodes.size(), distinct.size());
    QVERIFY2(commandCount(QStringLiteral("p")) - nodesBefore >= chunks,
             again.describe().constData());

    const QString out = m_dir.filePath(QStringLiteral("out-killed"));
    const CliRun restored =
        cli({QStringLiteral("restore"), QStringLiteral("killed"), QStringLiteral("--to"), out});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/killed.bin")), opensslSha256Hex(file));
}

void TestMegaCli::transferQuotaPausesMegaWhileOtherReplicasServe()
{
    const QString file = m_dir.filePath(QStringLiteral("quota.bin"));
    QVERIFY(writePseudoRandomFile(file, 1024 * 1024 + 777, 43));
    const CliRun floated =
        cli({QStringLiteral("float"), file, QStringLiteral("--replicas"), QStringLiteral("2"),
             QStringLiteral("--chunker"), QStringLiteral("cdc"), QStringLiteral("--chunk-size"),
             QStringLiteral("256K")});
    QVERIFY2(floated.code == 0, floated.describe().constData());
    const auto restore = [this](const QString& to) {
        return cli({QStringLiteral("restore"), QStringLiteral("quota"), QStringLiteral("--to"),
                    m_dir.filePath(to)});
    };
    const auto restoredRight = [this, &file](const QString& to) {
        return opensslSha256Hex(m_dir.filePath(to) + QStringLiteral("/quota.bin")) ==
               opensslSha256Hex(file);
    };

    // The local replicas are away and MEGA's transfer quota is used up for a while: the storage
    // server answers 509 with X-MEGA-Time-Left. (Long enough for the next five CLI runs to see
    // the pause on a loaded machine under the sanitizers; the test waits it out at the end.)
    const QString away = localStore() + QStringLiteral(".away");
    QVERIFY(QDir().rename(localStore(), away));
    m_peer.faults({{QStringLiteral("transferQuota"), 0}, {QStringLiteral("quotaWait"), 20}});
    CliRun restored = restore(QStringLiteral("out-quota-1"));
    QVERIFY2(restored.code != 0, restored.describe().constData());
    QVERIFY2(restored.err.contains("transfer quota"), restored.describe().constData());
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("out-quota-1/quota.bin"))));
    QVERIFY(m_peer.stats().value(QStringLiteral("downloads509")).toInt() >= 1);

    // Every process sees the pause: provider list says until when and why.
    const QJsonObject budget = cloudBudget();
    const QDateTime until = QDateTime::fromString(
        budget.value(QStringLiteral("downloads_paused_until")).toString(), Qt::ISODate);
    QVERIFY2(until.isValid(), QJsonDocument(budget).toJson().constData());
    QVERIFY(budget.value(QStringLiteral("download_pause_reason"))
                .toString()
                .contains(QLatin1String("transfer quota")));
    const CliRun text = cli({QStringLiteral("provider"), QStringLiteral("list")});
    QVERIFY2(text.out.contains("downloads paused until"), text.describe().constData());

    // While paused, MEGA gets no download request: the restore says what it waits for.
    const int gets = commandCount(QStringLiteral("g"));
    const int refused = m_peer.stats().value(QStringLiteral("downloads509")).toInt();
    restored = restore(QStringLiteral("out-quota-2"));
    QVERIFY2(restored.code != 0, restored.describe().constData());
    QVERIFY2(restored.err.contains("serves no downloads before"), restored.describe().constData());
    QCOMPARE(commandCount(QStringLiteral("g")), gets);
    QCOMPARE(m_peer.stats().value(QStringLiteral("downloads509")).toInt(), refused);

    // Other replicas serve meanwhile, MEGA still untouched.
    QVERIFY(QDir().rename(away, localStore()));
    restored = restore(QStringLiteral("out-quota-3"));
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QVERIFY(restoredRight(QStringLiteral("out-quota-3")));
    QCOMPARE(commandCount(QStringLiteral("g")), gets);

    // Once the time MEGA gave has passed, MEGA serves again (the local replicas away again).
    QVERIFY(QDir().rename(localStore(), away));
    QTest::qWait(int(qMax<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(until))) + 1000);
    QVERIFY(cloudBudget().value(QStringLiteral("downloads_paused_until")).isNull());
    restored = restore(QStringLiteral("out-quota-4"));
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QVERIFY(restoredRight(QStringLiteral("out-quota-4")));
    QVERIFY(commandCount(QStringLiteral("g")) > gets);
    QVERIFY(QDir().rename(away, localStore()));
}

void TestMegaCli::uploadQuotaPausesMegaUntilTheSameFloatTopsUp()
{
    const QString file = m_dir.filePath(QStringLiteral("upquota.bin"));
    QVERIFY(writePseudoRandomFile(file, 1024 * 1024 + 999, 44));
    const QStringList floatArgs{QStringLiteral("float"),        file,
                                QStringLiteral("--replicas"),   QStringLiteral("2"),
                                QStringLiteral("--chunker"),    QStringLiteral("cdc"),
                                QStringLiteral("--chunk-size"), QStringLiteral("256K"),
                                QStringLiteral("--json")};
    const int nodes = commandCount(QStringLiteral("p"));
    m_peer.faults({{QStringLiteral("uploadQuotaWait"), 10}}); // the float meets it, then waits
    const CliRun floated = cli(floatArgs);
    QVERIFY2(floated.code == 0, floated.describe().constData());
    const QJsonObject first = QJsonDocument::fromJson(floated.out).object();
    QVERIFY2(first.value(QStringLiteral("under_replicated_chunks")).toInt() > 0,
             floated.describe().constData());
    QVERIFY2(
        QDateTime::fromString(first.value(QStringLiteral("waiting_until")).toString(), Qt::ISODate)
            .isValid(),
        floated.describe().constData());
    QVERIFY(m_peer.stats().value(QStringLiteral("uploads509")).toInt() >= 1);
    QCOMPARE(commandCount(QStringLiteral("p")), nodes); // nothing reached MEGA
    const QJsonObject budget = cloudBudget();
    const QDateTime until = QDateTime::fromString(
        budget.value(QStringLiteral("uploads_paused_until")).toString(), Qt::ISODate);
    QVERIFY2(until.isValid(), QJsonDocument(budget).toJson().constData());
    QVERIFY(budget.value(QStringLiteral("upload_pause_reason"))
                .toString()
                .contains(QLatin1String("transfer quota")));

    // Once the time has passed, the same float makes the copies MEGA lacks.
    QTest::qWait(int(qMax<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(until))) + 1000);
    const CliRun again = cli(floatArgs);
    QVERIFY2(again.code == 0, again.describe().constData());
    QCOMPARE(QJsonDocument::fromJson(again.out)
                 .object()
                 .value(QStringLiteral("under_replicated_chunks"))
                 .toInt(),
             0);
    QVERIFY(commandCount(QStringLiteral("p")) > nodes);

    // MEGA alone restores it.
    const QString away = localStore() + QStringLiteral(".away");
    QVERIFY(QDir().rename(localStore(), away));
    const QString out = m_dir.filePath(QStringLiteral("out-upquota"));
    const CliRun restored =
        cli({QStringLiteral("restore"), QStringLiteral("upquota"), QStringLiteral("--to"), out});
    QVERIFY(QDir().rename(away, localStore()));
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/upquota.bin")), opensslSha256Hex(file));
}

QTEST_GUILESS_MAIN(TestMegaCli)
#include "tst_megacli.moc"
