// The credential stores against the real thing: a private D-Bus session with gnome-keyring's
// Secret Service in it (started here, password on stdin), checked from outside with libsecret's
// `secret-tool`; the plaintext file's mode and atomicity; ProviderSetup keeping the registry
// row and the secrets consistent; and no secret in the registry files, the CLI's output or argv.
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

using namespace mf;
using mf::test::PeerProcess;

namespace {

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

JobResult runJob(CredentialJob* job)
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
int runWithInput(const QString& program, const QStringList& args, const QByteArray& input,
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
QByteArray secretToolLookup(const QString& key)
{
    QByteArray out;
    const int code = runWithInput(
        QStringLiteral("secret-tool"),
        {QStringLiteral("lookup"), QStringLiteral("server"), Service, QStringLiteral("user"), key},
        {}, &out);
    return code == 0 ? out : QByteArray();
}

using test::registryBytes;

// A provider kind with a URL, a user name and a required secret, registered in a test's vault
// (its adapter is never made here).
ProviderKind secretKind()
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

void registerSecretKind(Vault& vault)
{
    vault.providerFactory().registerKind(
        secretKind(), [](const ProviderRecord&, const ProviderContext&, QString* error) {
            *error = QStringLiteral("not used in this test");
            return std::unique_ptr<Provider>();
        });
}

ProviderSetup* runSetup(ProviderSetup* setup)
{
    QSignalSpy spy(setup, &ProviderSetup::finished);
    setup->start();
    if (!spy.wait(60000))
        qWarning("ProviderSetup did not finish");
    return setup;
}

int childMain(int argc, char** argv)
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

} // namespace

class TestCredentials final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void keychainRoundTrip();
    void keychainSeenFromOutside();
    void keychainReadsWhatOthersWrote();
    void keychainWithoutServiceSaysWhatToDo();
    void plaintextRoundTripMode0600();
    void plaintextRefusesFileOthersCanRead();
    void plaintextWriteIsAtomicOnFullDisk();
    void vaultUsesKeychainUnlessOptedIn();
    void fieldsAreCheckedAndTyped();
    void setupAddsAndRemovesSecretsInKeychain();
    void setupRollsBackWhenSecretWriteFails();
    void setupUpdateKeepsOrReplacesSecrets();
    void setupRemoveKeepsProviderWhenSecretsStay();
    void cliSecretsGoToKeychainNeverToArgvOrOutput();
    void cliSwitchingStoreMovesSecrets();

private:
    // Starts a dbus-daemon with no activatable services; returns its address.
    QString startBus(PeerProcess& bus, const QString& name);

    QTemporaryDir m_dir;
    PeerProcess m_bus;
    PeerProcess m_emptyBus;
    QString m_emptyBusAddress;
};

QString TestCredentials::startBus(PeerProcess& bus, const QString& name)
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

void TestCredentials::initTestCase()
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

void TestCredentials::cleanupTestCase()
{
    // gnome-keyring-daemon leaves when its session bus goes away.
    m_bus.stop();
    m_emptyBus.stop();
}

void TestCredentials::keychainRoundTrip()
{
    KeychainCredentialStore store;
    const QString key = QStringLiteral("modelfloat/test/provider/1");
    const QJsonObject secrets{{QStringLiteral("secretAccessKey"), QStringLiteral("rt-s3cr3t/+=")},
                              {QStringLiteral("other"), QStringLiteral("ü ✓")}};
    JobResult w = runJob(store.write(key, secrets));
    QVERIFY2(w.error.ok(), qPrintable(w.error.message));
    JobResult r = runJob(store.read(key));
    QVERIFY2(r.error.ok(), qPrintable(r.error.message));
    QCOMPARE(r.secrets, secrets);

    // Overwrite, then remove; removing twice succeeds; reading then is NotFound.
    const QJsonObject changed{{QStringLiteral("secretAccessKey"), QStringLiteral("second")}};
    QVERIFY(runJob(store.write(key, changed)).error.ok());
    QCOMPARE(runJob(store.read(key)).secrets, changed);
    QVERIFY(runJob(store.remove(key)).error.ok());
    QVERIFY(runJob(store.remove(key)).error.ok());
    const JobResult gone = runJob(store.read(key));
    QCOMPARE(gone.error.kind, Error::Kind::NotFound);
    QVERIFY2(!gone.error.message.contains(QStringLiteral("second")),
             qPrintable(gone.error.message));
}

void TestCredentials::keychainSeenFromOutside()
{
    KeychainCredentialStore store;
    const QString key = QStringLiteral("modelfloat/outside/provider/7");
    const QJsonObject secrets{{QStringLiteral("password"), QStringLiteral("outside-pw-4711")}};
    QVERIFY(runJob(store.write(key, secrets)).error.ok());

    // The item is in the Secret Service, under QtKeychain's attributes.
    const QByteArray seen = secretToolLookup(key);
    QVERIFY2(!seen.isEmpty(), "secret-tool does not find the item");
    QCOMPARE(QJsonDocument::fromJson(seen).object(), secrets);
    QByteArray out;
    QByteArray err;
    QCOMPARE(runWithInput(QStringLiteral("secret-tool"),
                          {QStringLiteral("search"), QStringLiteral("server"), Service,
                           QStringLiteral("user"), key},
                          {}, &out, &err),
             0);
    const QString listing = QString::fromUtf8(out + err);
    QVERIFY2(listing.contains(QStringLiteral("schema = org.qt.keychain")), qPrintable(listing));
    QVERIFY2(listing.contains(QStringLiteral("attribute.type = plaintext")), qPrintable(listing));

    QVERIFY(runJob(store.remove(key)).error.ok());
    QVERIFY(secretToolLookup(key).isEmpty());
}

void TestCredentials::keychainReadsWhatOthersWrote()
{
    const QString key = QStringLiteral("modelfloat/other/provider/3");
    QCOMPARE(runWithInput(QStringLiteral("secret-tool"),
                          {QStringLiteral("store"), QStringLiteral("--label=ModelFloat"),
                           QStringLiteral("server"), Service, QStringLiteral("user"), key,
                           QStringLiteral("type"), QStringLiteral("plaintext")},
                          R"({"password":"from-secret-tool"})"),
             0);
    KeychainCredentialStore store;
    const JobResult r = runJob(store.read(key));
    QVERIFY2(r.error.ok(), qPrintable(r.error.message));
    QCOMPARE(r.secrets.value(QStringLiteral("password")).toString(),
             QStringLiteral("from-secret-tool"));

    // Something that is not ModelFloat's JSON is a clear error, not an empty secret.
    QCOMPARE(runWithInput(QStringLiteral("secret-tool"),
                          {QStringLiteral("store"), QStringLiteral("--label=ModelFloat"),
                           QStringLiteral("server"), Service, QStringLiteral("user"), key,
                           QStringLiteral("type"), QStringLiteral("plaintext")},
                          "not json"),
             0);
    const JobResult bad = runJob(store.read(key));
    QCOMPARE(bad.error.kind, Error::Kind::Fatal);
    QVERIFY2(bad.error.message.contains(QStringLiteral("not the JSON")),
             qPrintable(bad.error.message));
    QVERIFY(runJob(store.remove(key)).error.ok());
}

void TestCredentials::keychainWithoutServiceSaysWhatToDo()
{
    struct Case
    {
        QString address;
        QString reason;
    };
    const QList<Case> cases = {
        // A session bus with no keychain service on it.
        {m_emptyBusAddress, QStringLiteral("no Secret Service is running on the session D-Bus")},
        // No session bus at all.
        {QStringLiteral("unix:path=") + m_dir.filePath(QStringLiteral("no-such-bus")),
         QStringLiteral("no session D-Bus is reachable")},
    };
    for (const Case& c : cases) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QString::fromLatin1(ChildVariable), QStringLiteral("1"));
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), c.address);
        QByteArray out;
        QByteArray err;
        QCOMPARE(runWithInput(QCoreApplication::applicationFilePath(), {}, {}, &out, &err, env), 0);
        const QString message = QString::fromUtf8(out);
        QVERIFY2(message.contains(c.reason), qPrintable(message + QString::fromUtf8(err)));
        QVERIFY2(message.contains(QStringLiteral("Install and start gnome-keyring")),
                 qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("modelfloat-cli config credentials plaintext")),
                 qPrintable(message));
    }
}

void TestCredentials::plaintextRoundTripMode0600()
{
    const QString dir = m_dir.filePath(QStringLiteral("plain"));
    const QString file = dir + QStringLiteral("/credentials.json");
    PlaintextCredentialStore store(file);
    QVERIFY(!store.warning().isEmpty());
    QCOMPARE(runJob(store.read(QStringLiteral("a"))).error.kind, Error::Kind::NotFound);
    const QJsonObject a{{QStringLiteral("password"), QStringLiteral("plain-a")}};
    const QJsonObject b{{QStringLiteral("password"), QStringLiteral("plain-b")}};
    QVERIFY(runJob(store.write(QStringLiteral("a"), a)).error.ok());
    QVERIFY(runJob(store.write(QStringLiteral("b"), b)).error.ok());
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(file).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
    QCOMPARE(runJob(store.read(QStringLiteral("a"))).secrets, a);
    QCOMPARE(runJob(store.read(QStringLiteral("b"))).secrets, b);

    // Every write replaces the file (a new inode) and leaves no temporary file behind.
    const ino_t before = st.st_ino;
    QVERIFY(runJob(store.remove(QStringLiteral("a"))).error.ok());
    QCOMPARE(::stat(QFile::encodeName(file).constData(), &st), 0);
    QVERIFY(st.st_ino != before);
    QCOMPARE(int(st.st_mode & 0777), 0600);
    QCOMPARE(QDir(dir).entryList(QDir::Files), QStringList{QStringLiteral("credentials.json")});
    QCOMPARE(runJob(store.read(QStringLiteral("a"))).error.kind, Error::Kind::NotFound);
    QCOMPARE(runJob(store.read(QStringLiteral("b"))).secrets, b);
    QVERIFY(runJob(store.remove(QStringLiteral("a"))).error.ok()); // absent: fine
}

void TestCredentials::plaintextRefusesFileOthersCanRead()
{
    const QString file = m_dir.filePath(QStringLiteral("open/credentials.json"));
    PlaintextCredentialStore store(file);
    QVERIFY(runJob(store.write(QStringLiteral("k"),
                               {{QStringLiteral("password"), QStringLiteral("leaky")}}))
                .error.ok());
    QCOMPARE(::chmod(QFile::encodeName(file).constData(), 0644), 0);
    for (CredentialJob* job :
         {store.read(QStringLiteral("k")),
          store.write(QStringLiteral("k2"), {{QStringLiteral("p"), QStringLiteral("v")}})}) {
        const JobResult r = runJob(job);
        QVERIFY(!r.error.ok());
        QVERIFY2(r.error.message.contains(QStringLiteral("chmod 600")),
                 qPrintable(r.error.message));
        QVERIFY(!r.error.message.contains(QStringLiteral("leaky")));
    }
}

void TestCredentials::plaintextWriteIsAtomicOnFullDisk()
{
    const QString mount = m_dir.filePath(QStringLiteral("full"));
    QVERIFY(QDir().mkpath(mount));
    if (!test::mountTmpfsOrRerunInNamespace(mount, QStringLiteral("1M"),
                                            "plaintextWriteIsAtomicOnFullDisk"))
        return;
    const QString file = mount + QStringLiteral("/credentials.json");
    PlaintextCredentialStore store(file);
    const QJsonObject first{{QStringLiteral("password"), QStringLiteral("kept")}};
    const bool wrote = runJob(store.write(QStringLiteral("first"), first)).error.ok();
    QByteArray before;
    {
        QFile f(file);
        if (f.open(QIODevice::ReadOnly))
            before = f.readAll();
    }
    // Fill the disk to the last byte.
    {
        QFile filler(mount + QStringLiteral("/filler"));
        if (filler.open(QIODevice::WriteOnly)) {
            const QByteArray block(4096, 'x');
            while (filler.write(block) == block.size() && filler.flush()) {
            }
        }
    }
    const JobResult r =
        runJob(store.write(QStringLiteral("second"),
                           {{QStringLiteral("password"), QString(200000, QLatin1Char('s'))}}));
    QByteArray after;
    {
        QFile f(file);
        if (f.open(QIODevice::ReadOnly))
            after = f.readAll();
    }
    const QStringList left = QDir(mount).entryList(QDir::Files);
    test::unmountTmpfs(mount);
    QVERIFY(wrote);
    QVERIFY(!r.error.ok());
    QVERIFY2(r.error.message.contains(QStringLiteral("credentials file")),
             qPrintable(r.error.message));
    QCOMPARE(after, before); // the old file, whole
    QCOMPARE(left, (QStringList{QStringLiteral("credentials.json"), QStringLiteral("filler")}));
}

void TestCredentials::vaultUsesKeychainUnlessOptedIn()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-choice"));
    QString error;
    {
        auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
        QVERIFY2(vault, qPrintable(error));
        QVERIFY(dynamic_cast<KeychainCredentialStore*>(vault->credentials()));
        QVERIFY(vault->credentials()->warning().isEmpty());
        QVERIFY(vault->registry().setSetting(vaultcredentials::settingKey(),
                                             vaultcredentials::plaintext()));
    }
    {
        auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
        QVERIFY2(vault, qPrintable(error));
        auto* plain = dynamic_cast<PlaintextCredentialStore*>(vault->credentials());
        QVERIFY(plain);
        QCOMPARE(plain->filePath(), dir + QStringLiteral("/credentials.json"));
        QVERIFY(vault->registry().setSetting(vaultcredentials::settingKey(),
                                             QStringLiteral("sticky-note")));
    }
    QVERIFY(!Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error));
    QVERIFY2(error.contains(QStringLiteral("sticky-note")), qPrintable(error));
}

void TestCredentials::fieldsAreCheckedAndTyped()
{
    const ProviderKind kind = secretKind();
    Error e;
    const QJsonObject ok = providerfields::normalizeSettings(
        kind,
        {{QStringLiteral("url"), QStringLiteral(" https://dav.example.org/remote.php/dav ")},
         {QStringLiteral("partSize"), QStringLiteral("16M")},
         {QStringLiteral("mode"), QStringLiteral("safe")},
         {QStringLiteral("user"), QString()}},
        &e);
    QVERIFY2(e.ok(), qPrintable(e.message));
    QCOMPARE(ok.value(QStringLiteral("url")).toString(),
             QStringLiteral("https://dav.example.org/remote.php/dav"));
    QCOMPARE(ok.value(QStringLiteral("partSize")).toInteger(), 16 * 1024 * 1024);
    QVERIFY(!ok.contains(QStringLiteral("user"))); // empty optional: absent

    struct Bad
    {
        QJsonObject settings;
        QString mentions;
    };
    const QList<Bad> bad = {
        {{}, QStringLiteral("Server address")},
        {{{QStringLiteral("url"), QStringLiteral("ftp://x")}}, QStringLiteral("http")},
        {{{QStringLiteral("url"), QStringLiteral("https://bob:hunter2@x.org")}},
         QStringLiteral("must not contain a user name or password")},
        {{{QStringLiteral("url"), QStringLiteral("https://x.org")},
          {QStringLiteral("password"), QStringLiteral("hunter2")}},
         QStringLiteral("is a secret")},
        {{{QStringLiteral("url"), QStringLiteral("https://x.org")},
          {QStringLiteral("partSize"), QStringLiteral("lots")}},
         QStringLiteral("Part size")},
        {{{QStringLiteral("url"), QStringLiteral("https://x.org")},
          {QStringLiteral("mode"), QStringLiteral("reckless")}},
         QStringLiteral("fast, safe")},
        {{{QStringLiteral("url"), QStringLiteral("https://x.org")},
          {QStringLiteral("colour"), QStringLiteral("red")}},
         QStringLiteral("colour")},
    };
    for (const Bad& b : bad) {
        const QJsonObject out = providerfields::normalizeSettings(kind, b.settings, &e);
        QVERIFY2(!e.ok() && out.isEmpty(), qPrintable(b.mentions));
        QVERIFY2(e.message.contains(b.mentions), qPrintable(e.message));
        QVERIFY2(!e.message.contains(QStringLiteral("hunter2")), qPrintable(e.message));
    }
    QVERIFY(!providerfields::checkSecrets(kind, {}, true, &e));
    QVERIFY(providerfields::checkSecrets(kind, {}, false, &e));
    QVERIFY(!providerfields::checkSecrets(kind, {{QStringLiteral("user"), QStringLiteral("x")}},
                                          false, &e));
    QCOMPARE(providerfields::optionName(QStringLiteral("secretAccessKey")),
             QStringLiteral("secret-access-key"));
}

void TestCredentials::setupAddsAndRemovesSecretsInKeychain()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-setup"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    const QString secret =
        QStringLiteral("setup-secret-%1").arg(QCoreApplication::applicationPid());

    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("remote");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://dav.example.org")},
                     {QStringLiteral("user"), QStringLiteral("bob")}};
    spec.secrets = {{QStringLiteral("password"), secret}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QVERIFY2(add->error().ok(), qPrintable(add->error().message));
    const qint64 id = add->providerId();
    QVERIFY(id > 0);
    const QString key = CredentialStore::providerKey(vault->id(), id);
    QCOMPARE(QJsonDocument::fromJson(secretToolLookup(key)).object(), spec.secrets);
    const auto row = vault->registry().provider(id);
    QVERIFY(row);
    QCOMPARE(row->settings.value(QStringLiteral("user")).toString(), QStringLiteral("bob"));
    QVERIFY(!row->settings.contains(QStringLiteral("password")));
    QVERIFY(!registryBytes(dir).contains(secret.toUtf8()));

    // The same name again is refused before anything is written.
    std::unique_ptr<ProviderSetup> again(runSetup(ProviderSetup::add(*vault, spec)));
    QCOMPARE(again->failure(), ProviderSetup::Failure::NameTaken);

    // Removing the provider removes its secrets.
    std::unique_ptr<ProviderSetup> remove(runSetup(ProviderSetup::remove(*vault, id, false)));
    QVERIFY2(remove->error().ok(), qPrintable(remove->error().message));
    QVERIFY(!vault->registry().provider(id));
    QVERIFY(secretToolLookup(key).isEmpty());
    QVERIFY(!registryBytes(dir).contains(secret.toUtf8()));
}

void TestCredentials::setupRollsBackWhenSecretWriteFails()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-rollback"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    // A real failure: the credentials file's folder cannot exist, a file is in its place.
    QVERIFY(test::writeFile(m_dir.filePath(QStringLiteral("not-a-folder")), "x"));
    vault->setCredentialStore(std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("not-a-folder/credentials.json"))));
    const int before = int(vault->registry().providers().size());

    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("doomed");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://dav.example.org")}};
    spec.secrets = {{QStringLiteral("password"), QStringLiteral("rollback-secret")}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QCOMPARE(add->failure(), ProviderSetup::Failure::Failed);
    QVERIFY2(add->error().message.contains(QStringLiteral("was not added")),
             qPrintable(add->error().message));
    QVERIFY(!add->error().message.contains(QStringLiteral("rollback-secret")));
    QCOMPARE(int(vault->registry().providers().size()), before);
    QVERIFY(!vault->registry().providerByName(QStringLiteral("doomed")));

    // Invalid input writes nothing at all.
    spec.secrets = {};
    std::unique_ptr<ProviderSetup> noSecret(runSetup(ProviderSetup::add(*vault, spec)));
    QCOMPARE(noSecret->failure(), ProviderSetup::Failure::Invalid);
    QVERIFY2(noSecret->error().message.contains(QStringLiteral("Password")),
             qPrintable(noSecret->error().message));
    QCOMPARE(int(vault->registry().providers().size()), before);
}

void TestCredentials::setupUpdateKeepsOrReplacesSecrets()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-update"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("edit-me");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://a.example.org")}};
    spec.secrets = {{QStringLiteral("password"), QStringLiteral("first-pw")}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QVERIFY2(add->error().ok(), qPrintable(add->error().message));
    const qint64 id = add->providerId();
    const QString key = CredentialStore::providerKey(vault->id(), id);

    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://b.example.org")}};
    spec.secrets = {};
    std::unique_ptr<ProviderSetup> keep(runSetup(ProviderSetup::update(*vault, id, spec)));
    QVERIFY2(keep->error().ok(), qPrintable(keep->error().message));
    QCOMPARE(vault->registry().provider(id)->settings.value(QStringLiteral("url")).toString(),
             QStringLiteral("https://b.example.org"));
    QCOMPARE(QJsonDocument::fromJson(secretToolLookup(key)).object(),
             (QJsonObject{{QStringLiteral("password"), QStringLiteral("first-pw")}}));

    spec.secrets = {{QStringLiteral("password"), QStringLiteral("second-pw")}};
    std::unique_ptr<ProviderSetup> change(runSetup(ProviderSetup::update(*vault, id, spec)));
    QVERIFY2(change->error().ok(), qPrintable(change->error().message));
    QCOMPARE(QJsonDocument::fromJson(secretToolLookup(key)).object(), spec.secrets);
    std::unique_ptr<ProviderSetup> remove(runSetup(ProviderSetup::remove(*vault, id, false)));
    QVERIFY(remove->error().ok());
    QVERIFY(secretToolLookup(key).isEmpty());
}

void TestCredentials::setupRemoveKeepsProviderWhenSecretsStay()
{
    const QString dir = m_dir.filePath(QStringLiteral("vault-remove"));
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    registerSecretKind(*vault);
    ProviderSpec spec;
    spec.kind = QStringLiteral("vaulttest");
    spec.name = QStringLiteral("sticky");
    spec.settings = {{QStringLiteral("url"), QStringLiteral("https://a.example.org")}};
    spec.secrets = {{QStringLiteral("password"), QStringLiteral("sticky-pw")}};
    std::unique_ptr<ProviderSetup> add(runSetup(ProviderSetup::add(*vault, spec)));
    QVERIFY2(add->error().ok(), qPrintable(add->error().message));
    const qint64 id = add->providerId();
    const QString key = CredentialStore::providerKey(vault->id(), id);

    // A store that cannot remove anything (its file's folder is a file): the provider stays,
    // so its secret is not orphaned without a word.
    QVERIFY(test::writeFile(m_dir.filePath(QStringLiteral("blocker")), "x"));
    vault->setCredentialStore(std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("blocker/credentials.json"))));
    std::unique_ptr<ProviderSetup> refused(runSetup(ProviderSetup::remove(*vault, id, false)));
    QCOMPARE(refused->failure(), ProviderSetup::Failure::Failed);
    QVERIFY2(refused->error().message.contains(QStringLiteral("provider is kept")),
             qPrintable(refused->error().message));
    QVERIFY(vault->registry().provider(id));

    // --force forgets it and says what was left behind.
    std::unique_ptr<ProviderSetup> forced(runSetup(ProviderSetup::remove(*vault, id, true)));
    QVERIFY2(forced->error().ok(), qPrintable(forced->error().message));
    QVERIFY2(forced->warning().contains(QStringLiteral("could not be removed")),
             qPrintable(forced->warning()));
    QVERIFY(!vault->registry().provider(id));

    KeychainCredentialStore keychain;
    QVERIFY(!secretToolLookup(key).isEmpty());
    QVERIFY(runJob(keychain.remove(key)).error.ok());
}

void TestCredentials::cliSecretsGoToKeychainNeverToArgvOrOutput()
{
    // A kind this build knows that has a required secret, with its required settings filled
    // in by type: the test follows the kinds as they are registered.
    const QString cli = QStringLiteral(MODELFLOAT_CLI_PATH);
    const QString vaultDir = m_dir.filePath(QStringLiteral("vault-cli"));
    const QStringList common{QStringLiteral("--vault"), vaultDir};
    QByteArray out;
    QCOMPARE(runWithInput(cli, QStringList{QStringLiteral("init")} + common, {}, &out), 0);
    QCOMPARE(runWithInput(cli,
                          QStringList{QStringLiteral("provider"), QStringLiteral("kinds"),
                                      QStringLiteral("--json")} +
                              common,
                          {}, &out),
             0);
    const test::SecretKind found = test::findSecretKind(out);
    const QString kind = found.kind;
    const QString secretKey = found.secretKey;
    const QStringList options = found.requiredOptions;
    if (kind.isEmpty())
        QSKIP("No provider kind with a required secret is registered in this build");

    const QString secret =
        QStringLiteral("cli-keychain-secret-%1").arg(QCoreApplication::applicationPid());
    const QStringList add = QStringList{QStringLiteral("provider"), QStringLiteral("add"), kind,
                                        QStringLiteral("remote")} +
                            options + common;
    // The secret as an option is refused, and not repeated.
    QByteArray err;
    const QString asOption = QStringLiteral("--") + providerfields::optionName(secretKey);
    QCOMPARE(runWithInput(cli, add + QStringList{asOption, secret}, {}, &out, &err), 2);
    QVERIFY2(QString::fromUtf8(err).contains(QStringLiteral("never taken from the command line")),
             err.constData());
    QVERIFY(!QByteArray(out + err).contains(secret.toUtf8()));

    // From stdin it goes to the keychain, and nowhere else.
    QCOMPARE(runWithInput(cli, add + QStringList{QStringLiteral("--secret-stdin")},
                          (secretKey + QLatin1Char('=') + secret + QLatin1Char('\n')).toUtf8(),
                          &out, &err),
             0);
    QVERIFY(!QByteArray(out + err).contains(secret.toUtf8()));
    QVERIFY(!registryBytes(vaultDir).contains(secret.toUtf8()));
    QVERIFY(!QFile::exists(vaultDir + QStringLiteral("/credentials.json")));
    QCOMPARE(runWithInput(cli,
                          QStringList{QStringLiteral("provider"), QStringLiteral("list"),
                                      QStringLiteral("--json")} +
                              common,
                          {}, &out, &err),
             0);
    QVERIFY(!QByteArray(out + err).contains(secret.toUtf8()));
    QByteArray search;
    QByteArray searchErr;
    QCOMPARE(runWithInput(QStringLiteral("secret-tool"),
                          {QStringLiteral("search"), QStringLiteral("--all"),
                           QStringLiteral("server"), Service},
                          {}, &search, &searchErr),
             0);
    QVERIFY2(QByteArray(search + searchErr).contains(secret.toUtf8()),
             QByteArray(search + searchErr).constData());

    // Removing the provider removes the secret from the keychain.
    QCOMPARE(runWithInput(cli,
                          QStringList{QStringLiteral("provider"), QStringLiteral("remove"),
                                      QStringLiteral("remote")} +
                              common,
                          {}, &out, &err),
             0);
    search.clear();
    runWithInput(
        QStringLiteral("secret-tool"),
        {QStringLiteral("search"), QStringLiteral("--all"), QStringLiteral("server"), Service}, {},
        &search, &searchErr);
    QVERIFY2(!QByteArray(search + searchErr).contains(secret.toUtf8()),
             QByteArray(search + searchErr).constData());
}

void TestCredentials::cliSwitchingStoreMovesSecrets()
{
    const QString cli = QStringLiteral(MODELFLOAT_CLI_PATH);
    const QString vaultDir = m_dir.filePath(QStringLiteral("vault-switch"));
    const QStringList common{QStringLiteral("--vault"), vaultDir};
    const auto cmd = [&](const QStringList& words, const QByteArray& input = {}) {
        return test::runWithInput(cli, words + common, input);
    };
    QCOMPARE(cmd({QStringLiteral("init")}).code, 0);
    const test::SecretKind found = test::findSecretKind(
        cmd({QStringLiteral("provider"), QStringLiteral("kinds"), QStringLiteral("--json")}).out);
    if (found.kind.isEmpty())
        QSKIP("No provider kind with a required secret is registered in this build");
    const QByteArray secret =
        "moving-secret-" + QByteArray::number(QCoreApplication::applicationPid());
    const test::CliRun add =
        cmd(QStringList{QStringLiteral("provider"), QStringLiteral("add"), found.kind,
                        QStringLiteral("mover"), QStringLiteral("--secret-stdin")} +
                found.requiredOptions,
            found.secretKey.toUtf8() + '=' + secret + '\n');
    QVERIFY2(add.code == 0, add.describe().constData());
    const auto inKeychain = [&] {
        const test::CliRun r = test::runWithInput(
            QStringLiteral("secret-tool"),
            {QStringLiteral("search"), QStringLiteral("--all"), QStringLiteral("server"), Service});
        return r.all().contains(secret);
    };
    const auto inFile = [&] {
        QFile f(vaultDir + QStringLiteral("/credentials.json"));
        return f.open(QIODevice::ReadOnly) && f.readAll().contains(secret);
    };
    QVERIFY(inKeychain());
    QVERIFY(!inFile());

    const test::CliRun toPlain =
        cmd({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("plaintext"),
             QStringLiteral("--i-understand-plaintext")});
    QVERIFY2(toPlain.code == 0, toPlain.describe().constData());
    QVERIFY2(toPlain.err.contains("UNENCRYPTED"), toPlain.describe().constData());
    QVERIFY(!toPlain.all().contains(secret));
    QVERIFY(inFile());
    QVERIFY(!inKeychain());

    const test::CliRun back =
        cmd({QStringLiteral("config"), QStringLiteral("credentials"), QStringLiteral("keychain")});
    QVERIFY2(back.code == 0, back.describe().constData());
    QVERIFY(inKeychain());
    QVERIFY(!inFile());
    QVERIFY(!registryBytes(vaultDir).contains(secret));
    QCOMPARE(
        cmd({QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("mover")}).code,
        0);
    QVERIFY(!inKeychain());
}

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsSet(ChildVariable))
        return childMain(argc, argv);
    QCoreApplication app(argc, argv);
    TestCredentials test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_credentials.moc"
