// A vault whose storage is Google Drive and MEGA alone — the two free clouds — survives the loss
// of its computer: its catalog is on both (files in their ModelFloat folders), a new computer
// signs in to the same accounts, imports the recovery key, runs `vault recover`, and restores
// every model bit-exact. The catalog's files are ordinary files to the providers' own clients:
// rclone reads a state from Drive, megajs downloads one from MEGA with its MAC checked.

#include "clitestsupport.h"
#include "drivepeer.h"
#include "megapeer.h"
#include "testsupport.h"

#include <QDir>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf::test;

namespace {

const MegaPeer::Account Owner{
    QStringLiteral("owner@example.com"), QStringLiteral("two free clouds"), false, {}};

} // namespace

class TestCloudRecovery final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void driveAndMegaAloneRecoverTheVault();

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
    CliRun cli(const QString& vault, const QStringList& args, const QByteArray& input = {})
    {
        return runWithInput(mf::test::cliPath(),
                            args + QStringList{QStringLiteral("--vault"), vault}, input,
                            environment());
    }
    // A new vault with plaintext credentials, signed in to the Drive and the MEGA account.
    void makeVault(const QString& vault);
    // `provider add gdrive`, answering Google's consent page as the browser would.
    CliRun addDrive(const QString& vault);

    QTemporaryDir m_dir;
    DrivePeer m_drive;
    MegaPeer m_mega;
};

void TestCloudRecovery::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_drive.start(), qPrintable(m_drive.errorString()));
    QVERIFY2(m_mega.start({Owner}), qPrintable(m_mega.errorString()));
}

CliRun TestCloudRecovery::addDrive(const QString& vault)
{
    CliRun r;
    QProcess p;
    p.setProcessEnvironment(environment());
    p.start(mf::test::cliPath(),
            {QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("gdrive"),
             QStringLiteral("drive"), QStringLiteral("--client-id"), DrivePeer::clientId(),
             QStringLiteral("--api-url"), m_drive.baseUrl(), QStringLiteral("--auth-url"),
             m_drive.baseUrl() + QStringLiteral("/o/oauth2/v2/auth"), QStringLiteral("--token-url"),
             m_drive.baseUrl() + QStringLiteral("/token"), QStringLiteral("--creates-per-second"),
             QStringLiteral("0"), QStringLiteral("--secret-stdin"), QStringLiteral("--vault"),
             vault});
    if (!p.waitForStarted(30000))
        return r;
    p.write("clientSecret=" + DrivePeer::clientSecret().toUtf8() + "\n");
    p.closeWriteChannel();
    m_drive.answerConsent(p, &r.err);
    if (p.state() != QProcess::NotRunning && !p.waitForFinished(120000))
        return r;
    r.out = p.readAllStandardOutput();
    r.err += p.readAllStandardError();
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

void TestCloudRecovery::makeVault(const QString& vault)
{
    const CliRun made = cli(vault, {QStringLiteral("init")});
    QVERIFY2(made.code == 0, made.describe().constData());
    const CliRun optIn =
        cli(vault, {QStringLiteral("config"), QStringLiteral("credentials"),
                    QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(optIn.code == 0, optIn.describe().constData());
    const CliRun drive = addDrive(vault);
    QVERIFY2(drive.code == 0, drive.describe().constData());
    const CliRun mega =
        cli(vault,
            {QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("mega"),
             QStringLiteral("mega"), Owner.email, QStringLiteral("--api-url"), m_mega.apiUrl(),
             QStringLiteral("--secret-stdin")},
            "password=" + Owner.password.toUtf8() + "\n");
    QVERIFY2(mega.code == 0, mega.describe().constData());
}

void TestCloudRecovery::driveAndMegaAloneRecoverTheVault()
{
    const QString lost = m_dir.filePath(QStringLiteral("old-laptop"));
    makeVault(lost);
    if (QTest::currentTestFailed())
        return;
    // Every chunk on both clouds (and on the laptop's own disk, which goes with the laptop).
    const QString file = m_dir.filePath(QStringLiteral("clouds.gguf"));
    QVERIFY(writePseudoRandomFile(file, 2 * 1024 * 1024 + 777, 61));
    const CliRun floated =
        cli(lost, {QStringLiteral("float"), file, QStringLiteral("--replicas"), QStringLiteral("3"),
                   QStringLiteral("--chunker"), QStringLiteral("fixed"),
                   QStringLiteral("--chunk-size"), QStringLiteral("256K")});
    QVERIFY2(floated.code == 0, floated.describe().constData());
    const CliRun synced = cli(lost, {QStringLiteral("vault"), QStringLiteral("sync")});
    QVERIFY2(synced.code == 0, synced.describe().constData());
    QVERIFY2(!synced.all().contains("keeps no catalog"), synced.describe().constData());
    const CliRun shown = cli(lost, {QStringLiteral("vault"), QStringLiteral("key"),
                                    QStringLiteral("show"), QStringLiteral("--json")});
    QVERIFY2(shown.code == 0, shown.describe().constData());
    const QByteArray recoveryKey = QJsonDocument::fromJson(shown.out)
                                       .object()
                                       .value(QStringLiteral("recovery_key"))
                                       .toString()
                                       .toUtf8();
    QVERIFY2(recoveryKey.startsWith("MFK1-"), shown.describe().constData());

    // The providers' own clients see the catalog as ordinary files: rclone reads a state on
    // Drive (it shows the '/' of a Drive name as '／'), megajs opens one on MEGA.
    QByteArray listing;
    QVERIFY(m_drive.rclone({QStringLiteral("lsf"), QStringLiteral("gd:ModelFloat")}, &listing));
    const QStringList driveStates =
        QString::fromUtf8(listing).split(QLatin1Char('\n')).filter(QStringLiteral("states"));
    QVERIFY2(!driveStates.isEmpty(), listing.constData());
    QByteArray state;
    QVERIFY(m_drive.rclone(
        {QStringLiteral("cat"), QStringLiteral("gd:ModelFloat/") + driveStates.first()}, &state));
    QVERIFY2(state.startsWith("MFCAT 2 state "), state.left(80).constData());
    QString files;
    QVERIFY(m_mega.megajs(Owner.email, Owner.password, {QStringLiteral("login")}, &files));
    QString megaState;
    for (const QString& line : files.split(QLatin1Char('\n'))) {
        const QString name = QJsonDocument::fromJson(line.toUtf8())
                                 .object()
                                 .value(QStringLiteral("name"))
                                 .toString();
        if (name.startsWith(QLatin1String("states/")))
            megaState = name;
    }
    QVERIFY2(!megaState.isEmpty(), qPrintable(files));
    QString opened;
    QVERIFY(m_mega.megajs(Owner.email, Owner.password,
                          {QStringLiteral("download"), QStringLiteral("ModelFloat"), megaState},
                          &opened));
    QVERIFY2(
        QJsonDocument::fromJson(opened.toUtf8()).object().value(QStringLiteral("size")).toInt() > 0,
        qPrintable(opened));

    // The laptop is lost with its disk.
    QVERIFY(QDir(lost).removeRecursively());

    // A new computer signs in to the same two accounts and takes the recovery key.
    const QString fresh = m_dir.filePath(QStringLiteral("new-laptop"));
    makeVault(fresh);
    if (QTest::currentTestFailed())
        return;
    const CliRun imported =
        cli(fresh, {QStringLiteral("vault"), QStringLiteral("key"), QStringLiteral("import")},
            recoveryKey + "\n");
    QVERIFY2(imported.code == 0, imported.describe().constData());
    const CliRun recovered =
        cli(fresh, {QStringLiteral("vault"), QStringLiteral("recover"), QStringLiteral("--json")});
    QVERIFY2(recovered.code == 0, recovered.describe().constData());
    const QJsonObject report = QJsonDocument::fromJson(recovered.out).object();
    QCOMPARE(report.value(QStringLiteral("added")).toInt(), 1);
    QCOMPARE(report.value(QStringLiteral("missing_chunks")).toInt(), 0);

    const QString out = m_dir.filePath(QStringLiteral("restored"));
    const CliRun restored = cli(
        fresh, {QStringLiteral("restore"), QStringLiteral("clouds"), QStringLiteral("--to"), out});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/clouds.gguf")), opensslSha256Hex(file));
}

QTEST_GUILESS_MAIN(TestCloudRecovery)
#include "tst_cloudrecovery.moc"
