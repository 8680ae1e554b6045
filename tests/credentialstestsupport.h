#pragma once

// The fixture of the credential suites (tst_credentials, tst_credentialsetup): a real Secret
// Service (gnome-keyring) in the suite's private D-Bus session, a second bus where none runs,
// running credential jobs and provider set-ups, and a provider kind with a secret.

#include "clitestsupport.h"
#include "credentials/credentialstore.h"
#include "credentials/keychaincredentialstore.h"
#include "credentials/plaintextcredentialstore.h"
#include "credentials/vaultcredentials.h"
#include "peerprocess.h"
#include "providers/providerfields.h"
#include "testsupport.h"
#include "vault/providersetup.h"
#include "vault/vault.h"

#include <QDirIterator>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using mf::test::PeerProcess;

namespace mf::credentialstest {

using test::registryBytes;

// In this environment variable's presence the executable is not the test but a child that
// writes one secret with the keychain store and prints the outcome: the way to try a store on
// a different session bus (a process connects to one session bus, once).
const char ChildVariable[] = "MF_TST_CREDENTIALS_CHILD";

const QString Service = KeychainCredentialStore::serviceName();

struct JobResult
{
    Error error;
    QJsonObject secrets;
};

inline JobResult runJob(CredentialJob* job)
{
    QSignalSpy spy(job, &CredentialJob::finished);
    job->start();
    JobResult r;
    if (!spy.wait(60000))
        r.error = Error::make(Error::Kind::Fatal, QStringLiteral("the job did not finish"));
    else
        r = {job->error(), job->secrets()};
    delete job;
    return r;
}

// test::runWithInput with the outputs where the call sites want them.
inline int runWithInput(const QString& program, const QStringList& args, const QByteArray& input,
                        QByteArray* out = nullptr, QByteArray* err = nullptr,
                        const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
{
    const test::CliRun r = test::runWithInput(program, args, input, env);
    if (out)
        *out = r.out;
    if (err)
        *err = r.err;
    return r.code;
}

// `secret-tool lookup server ModelFloat user KEY`: what the Secret Service holds for a key,
// asked by a program that shares no code with ModelFloat. Null when nothing is found.
inline QByteArray secretToolLookup(const QString& key)
{
    QByteArray out;
    const int code = runWithInput(
        QStringLiteral("secret-tool"),
        {QStringLiteral("lookup"), QStringLiteral("server"), Service, QStringLiteral("user"), key},
        {}, &out);
    return code == 0 ? out : QByteArray();
}

// A provider kind with a URL, a user name and a required secret, registered in a test's vault
// (its adapter is never made here).
inline ProviderKind secretKind()
{
    ProviderKind k;
    k.id = QStringLiteral("vaulttest");
    k.displayName = QStringLiteral("Test kind");
    k.fields = {
        {QStringLiteral("url"),
         QStringLiteral("Server address"),
         ProviderField::Type::Url,
         true,
         QStringLiteral("https://example.org"),
         {},
         {},
         {}},
        {QStringLiteral("user"),
         QStringLiteral("User name"),
         ProviderField::Type::Text,
         false,
         {},
         {},
         {},
         {}},
        {QStringLiteral("password"),
         QStringLiteral("Password"),
         ProviderField::Type::Secret,
         true,
         {},
         {},
         {},
         {}},
        {QStringLiteral("partSize"),
         QStringLiteral("Part size"),
         ProviderField::Type::Size,
         false,
         {},
         {},
         {},
         {}},
        {QStringLiteral("mode"),
         QStringLiteral("Mode"),
         ProviderField::Type::Choice,
         false,
         {},
         {},
         {},
         {QStringLiteral("fast"), QStringLiteral("safe")}},
    };
    return k;
}

inline void registerSecretKind(Vault& vault)
{
    vault.providerFactory().registerKind(
        secretKind(), [](const ProviderRecord&, const ProviderContext&, QString* error) {
            *error = QStringLiteral("not used in this test");
            return std::unique_ptr<Provider>();
        });
}

inline ProviderSetup* runSetup(ProviderSetup* setup)
{
    QSignalSpy spy(setup, &ProviderSetup::finished);
    setup->start();
    if (!spy.wait(60000))
        qWarning("ProviderSetup did not finish");
    return setup;
}

inline int childMain(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    KeychainCredentialStore store;
    CredentialJob* job = store.write(QStringLiteral("modelfloat/child/provider/1"),
                                     {{QStringLiteral("password"), QStringLiteral("x")}});
    QObject::connect(job, &CredentialJob::finished, &app, [job] {
        QTextStream(stdout) << (job->error() ? job->error().message : QStringLiteral("OK"))
                            << Qt::endl;
        QCoreApplication::exit(0);
    });
    job->start();
    return app.exec();
}

// The fixture every suite of this family derives from: its state and helpers; each suite
// forwards its fixture slots (initTestCase, cleanupTestCase) here.
class CredentialsTestBase : public QObject
{
protected:
    void initTestCase();
    void cleanupTestCase();
    // Starts a dbus-daemon with no activatable services; returns its address.
    QString startBus(PeerProcess& bus, const QString& name);

    QTemporaryDir m_dir;
    PeerProcess m_bus;
    PeerProcess m_emptyBus;
    QString m_emptyBusAddress;
};

inline void CredentialsTestBase::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString address = startBus(m_bus, QStringLiteral("bus"));
    QVERIFY2(!address.isEmpty(), qPrintable(m_bus.output()));
    m_emptyBusAddress = startBus(m_emptyBus, QStringLiteral("emptybus"));
    QVERIFY2(!m_emptyBusAddress.isEmpty(), qPrintable(m_emptyBus.output()));

    // gnome-keyring's Secret Service in that session, its keyring in a temporary HOME, created
    // and unlocked with a password on stdin (the only way that works headless).
    const QString home = m_dir.filePath(QStringLiteral("home"));
    const QString runtime = m_dir.filePath(QStringLiteral("runtime"));
    QVERIFY(QDir().mkpath(home) && QDir().mkpath(runtime));
    QVERIFY(QFile::setPermissions(runtime, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                               QFileDevice::ExeOwner));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime);
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), address);
    env.remove(QStringLiteral("DISPLAY"));
    QProcess keyring;
    keyring.setProcessEnvironment(env);
    keyring.setStandardOutputFile(QProcess::nullDevice());
    keyring.setStandardErrorFile(m_dir.filePath(QStringLiteral("gnome-keyring.log")));
    keyring.start(QStringLiteral("gnome-keyring-daemon"),
                  {QStringLiteral("--unlock"), QStringLiteral("--components=secrets")});
    QVERIFY2(keyring.waitForStarted(30000),
             "gnome-keyring-daemon does not start: install gnome-keyring");
    keyring.write("testpass");
    keyring.closeWriteChannel();
    QVERIFY(keyring.waitForFinished(30000));

    // This process and every child (secret-tool, the CLI) use the private session from now on.
    qputenv("DBUS_SESSION_BUS_ADDRESS", address.toUtf8());
    qunsetenv("DISPLAY");
    const auto serviceUp = [&address] {
        QString out;
        test::runProcess(QStringLiteral("dbus-send"),
                         {QStringLiteral("--bus=") + address, QStringLiteral("--print-reply"),
                          QStringLiteral("--dest=org.freedesktop.DBus"),
                          QStringLiteral("/org/freedesktop/DBus"),
                          QStringLiteral("org.freedesktop.DBus.NameHasOwner"),
                          QStringLiteral("string:org.freedesktop.secrets")},
                         &out, 10000);
        return out.contains(QStringLiteral("boolean true"));
    };
    QTRY_VERIFY_WITH_TIMEOUT(serviceUp(), 30000);
}

inline void CredentialsTestBase::cleanupTestCase()
{
    // gnome-keyring-daemon leaves when its session bus goes away.
    m_bus.stop();
    m_emptyBus.stop();
}

inline QString CredentialsTestBase::startBus(PeerProcess& bus, const QString& name)
{
    // No <servicedir>: nothing is started on demand, so a test sees exactly what it started
    // (gnome-keyring auto-activated by D-Bus would run with the wrong HOME and no password).
    const QString socketDir = m_dir.filePath(name);
    QDir().mkpath(socketDir);
    const QString config = m_dir.filePath(name + QStringLiteral(".conf"));
    QFile f(config);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(
        QStringLiteral(
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\" "
            "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
            "<busconfig><type>session</type><listen>unix:dir=%1</listen>"
            "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
            "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n")
            .arg(socketDir)
            .toUtf8());
    f.close();
    const bool started = bus.start(
        QStringLiteral("dbus-daemon"),
        {QStringLiteral("--config-file=") + config, QStringLiteral("--nofork"),
         QStringLiteral("--print-address=1")},
        [&bus] {
            return bus.output().contains(QStringLiteral("unix:")) &&
                   bus.output().contains(QLatin1Char('\n'));
        },
        30000);
    if (!started) {
        qWarning("dbus-daemon: %s", qPrintable(bus.errorString()));
        return {};
    }
    for (const QString& line : bus.output().split(QLatin1Char('\n')))
        if (line.startsWith(QStringLiteral("unix:")))
            return line.trimmed();
    return {};
}

} // namespace mf::credentialstest
