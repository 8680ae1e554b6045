// Google Drive end to end through modelfloat-cli and the local Drive server: `provider add
// gdrive` signs in through the loopback flow (the test plays the browser at the address the CLI
// prints) and keeps the refresh token in the credential store only; a revoked grant is an
// authentication error that `provider auth NAME` mends; a float with Drive as one of two
// replicas restores bit-exact from Drive alone; Drive's daily cap pauses the provider ("paused
// until" in `provider list`), the float finishes on the other provider, and the same float run
// after the pause makes Drive's copies.

#include "clitestsupport.h"
#include "drivepeer.h"
#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf::test;

class TestDriveCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void addSignsInAndAuthMendsARevokedGrant();
    void floatWithDriveAsSecondReplicaRestoresFromDrive();
    void dailyCapPausesThenTheFloatCompletes();

private:
    QProcessEnvironment environment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), m_dir.filePath(QStringLiteral("home")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("xdg-data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("xdg-config")));
        env.insert(QStringLiteral("MODELFLOAT_NO_BROWSER"), QStringLiteral("1"));
        return env;
    }
    CliRun cli(const QStringList& args, const QByteArray& input = {})
    {
        return runWithInput(mf::test::cliPath(),
                            args + QStringList{QStringLiteral("--vault"), m_vault}, input,
                            environment());
    }
    // Runs a command that signs in: waits for the consent address it prints, answers it as the
    // browser would, and returns the command's result.
    CliRun signingIn(const QStringList& args, const QByteArray& input, bool deny = false);
    QByteArray credentials() const
    {
        QFile f(m_vault + QStringLiteral("/credentials.json"));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    QString localStore() const { return m_vault + QStringLiteral("/local-store"); }

    QTemporaryDir m_dir;
    QString m_vault;
    DrivePeer m_peer;
};

void TestDriveCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_vault = m_dir.filePath(QStringLiteral("vault"));
    QVERIFY2(m_peer.start(), qPrintable(m_peer.errorString()));
    const CliRun made = cli({QStringLiteral("init")});
    QVERIFY2(made.code == 0, made.describe().constData());
    const CliRun optIn =
        cli({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("plaintext"),
             QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe().constData());
}

CliRun TestDriveCli::signingIn(const QStringList& args, const QByteArray& input, bool deny)
{
    CliRun r;
    QProcess p;
    p.setProcessEnvironment(environment());
    p.start(mf::test::cliPath(), args + QStringList{QStringLiteral("--vault"), m_vault});
    if (!p.waitForStarted(30000))
        return r;
    p.write(input);
    p.closeWriteChannel();
    m_peer.answerConsent(p, &r.err, deny);
    // (waitForFinished() is false for a process that already ended while the browser played.)
    if (p.state() != QProcess::NotRunning && !p.waitForFinished(120000))
        return r;
    r.out = p.readAllStandardOutput();
    r.err += p.readAllStandardError();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

void TestDriveCli::addSignsInAndAuthMendsARevokedGrant()
{
    const QStringList add{
        QStringLiteral("provider"),      QStringLiteral("add"),
        QStringLiteral("gdrive"),        QStringLiteral("drive"),
        QStringLiteral("--client-id"),   DrivePeer::clientId(),
        QStringLiteral("--api-url"),     m_peer.baseUrl(),
        QStringLiteral("--auth-url"),    m_peer.baseUrl() + QStringLiteral("/o/oauth2/v2/auth"),
        QStringLiteral("--token-url"),   m_peer.baseUrl() + QStringLiteral("/token"),
        QStringLiteral("--limit-wait"),  QStringLiteral("3"),
        QStringLiteral("--secret-stdin")};
    const QByteArray secret = "clientSecret=" + DrivePeer::clientSecret().toUtf8() + "\n";
    // Refused on the consent page: nothing is added, and the CLI says why.
    const CliRun denied = signingIn(add, secret, true);
    QCOMPARE(denied.code, 1);
    QVERIFY2(denied.err.contains("refused"), denied.describe().constData());
    const CliRun none =
        cli({QStringLiteral("provider"), QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(!none.out.contains("\"drive\""), none.describe().constData());

    const CliRun added = signingIn(add, secret);
    QVERIFY2(added.code == 0, added.describe().constData());
    QVERIFY(credentials().contains("refreshToken"));
    QVERIFY(!registryBytes(m_vault).contains("1//0g"));
    const CliRun test =
        cli({QStringLiteral("provider"), QStringLiteral("test"), QStringLiteral("drive")});
    QVERIFY2(test.code == 0, test.describe().constData());

    // The user removes ModelFloat's access: "sign in again", then `provider auth` mends it.
    const QRegularExpression token(QStringLiteral("\"refreshToken\"\\s*:\\s*\"([^\"]+)\""));
    const QString refresh = token.match(QString::fromUtf8(credentials())).captured(1);
    QVERIFY(!refresh.isEmpty());
    QVERIFY(m_peer.revoke(refresh));
    const CliRun revoked =
        cli({QStringLiteral("provider"), QStringLiteral("test"), QStringLiteral("drive")});
    QCOMPARE(revoked.code, 1);
    QVERIFY2(revoked.err.contains("provider auth drive"), revoked.describe().constData());
    QVERIFY(!revoked.all().contains(refresh.toUtf8()));

    const CliRun auth = signingIn({QStringLiteral("provider"), QStringLiteral("auth"),
                                   QStringLiteral("drive"), QStringLiteral("--secret-stdin")},
                                  secret);
    QVERIFY2(auth.code == 0, auth.describe().constData());
    QVERIFY(auth.out.contains("Signed in"));
    QVERIFY(!credentials().contains(refresh.toUtf8()));
    const CliRun works =
        cli({QStringLiteral("provider"), QStringLiteral("test"), QStringLiteral("drive")});
    QVERIFY2(works.code == 0, works.describe().constData());
}

void TestDriveCli::floatWithDriveAsSecondReplicaRestoresFromDrive()
{
    const QString file = m_dir.filePath(QStringLiteral("twice.bin"));
    QVERIFY(writePseudoRandomFile(file, 3 * 1024 * 1024 + 4321, 51));
    const CliRun floated =
        cli({QStringLiteral("float"), file, QStringLiteral("--replicas"), QStringLiteral("2"),
             QStringLiteral("--chunker"), QStringLiteral("cdc"), QStringLiteral("--chunk-size"),
             QStringLiteral("256K"), QStringLiteral("--json")});
    QVERIFY2(floated.code == 0, floated.describe().constData());
    // The local replicas go: the restore has Drive alone.
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

void TestDriveCli::dailyCapPausesThenTheFloatCompletes()
{
    // Drive's daily cap is reached: the float stores its chunks on the local provider and says
    // when Drive takes uploads again (the provider's limitWait, 3 s here).
    m_peer.configure({{QStringLiteral("uploadCapBytes"),
                       m_peer.stats().value(QStringLiteral("uploadedToday")).toInteger()}});
    const QString file = m_dir.filePath(QStringLiteral("capped.bin"));
    QVERIFY(writePseudoRandomFile(file, 1024 * 1024 + 99, 52));
    const QStringList floatArgs{QStringLiteral("float"),        file,
                                QStringLiteral("--replicas"),   QStringLiteral("2"),
                                QStringLiteral("--chunker"),    QStringLiteral("fixed"),
                                QStringLiteral("--chunk-size"), QStringLiteral("256K"),
                                QStringLiteral("--json")};
    const CliRun capped = cli(floatArgs);
    QVERIFY2(capped.all().contains("waiting_until"), capped.describe().constData());
    const CliRun list = cli({QStringLiteral("provider"), QStringLiteral("list")});
    QVERIFY2(list.out.contains("paused until"), list.describe().constData());

    // A day later for the server, and past the pause here: the same float makes Drive's copies.
    m_peer.advanceClock(qint64(25) * 3600 * 1000);
    QTest::qWait(3500);
    const CliRun again = cli(floatArgs);
    QVERIFY2(again.code == 0, again.describe().constData());
    QVERIFY2(!again.out.contains("waiting_until"), again.describe().constData());
    const CliRun verify = cli({QStringLiteral("verify"), QStringLiteral("capped")});
    QVERIFY2(verify.code == 0, verify.describe().constData());
}

QTEST_GUILESS_MAIN(TestDriveCli)
#include "tst_drivecli.moc"
