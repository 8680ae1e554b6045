// The credential stores against the real thing: a private D-Bus session with gnome-keyring's
// Secret Service in it (started here, password on stdin), checked from outside with libsecret's
// `secret-tool`; the plaintext file's mode and atomicity; the vault's choice of store; the
// fields of a kind checked and typed. ProviderSetup and the CLI with secrets are
// tst_credentialsetup's.

#include "credentialstestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::credentialstest;

class TestCredentials final : public CredentialsTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { CredentialsTestBase::initTestCase(); }
    void cleanupTestCase() { CredentialsTestBase::cleanupTestCase(); }
    void keychainRoundTrip();
    void keychainSeenFromOutside();
    void keychainReadsWhatOthersWrote();
    void keychainWithoutServiceSaysWhatToDo();
    void plaintextRoundTripMode0600();
    void plaintextRefusesFileOthersCanRead();
    void plaintextWriteIsAtomicOnFullDisk();
    void vaultUsesKeychainUnlessOptedIn();
    void fieldsAreCheckedAndTyped();
};

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
        QVERIFY(vault->registry().settings().setSetting(vaultcredentials::settingKey(),
                                                        vaultcredentials::plaintext()));
    }
    {
        auto vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
        QVERIFY2(vault, qPrintable(error));
        auto* plain = dynamic_cast<PlaintextCredentialStore*>(vault->credentials());
        QVERIFY(plain);
        QCOMPARE(plain->filePath(), dir + QStringLiteral("/credentials.json"));
        QVERIFY(vault->registry().settings().setSetting(vaultcredentials::settingKey(),
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

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsSet(ChildVariable))
        return childMain(argc, argv);
    QCoreApplication app(argc, argv);
    TestCredentials test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_credentials.moc"
