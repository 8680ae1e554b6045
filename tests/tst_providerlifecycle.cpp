// Providers over their lifetime. Ids are never given twice, so a new provider never finds a
// removed one's secret (keychain entries are keyed by id); a provider that was given no secret
// works where no keychain runs at all (this suite's process has no session D-Bus); and editing a
// provider while a transfer or a "Test connection" uses it never destroys the adapter under its
// jobs (run under ASan by the test command, where a use after free is an abort).

#include "credentials/plaintextcredentialstore.h"
#include "credentials/vaultcredentials.h"
#include "engine/engine.h"
#include "ipfspeer.h"
#include "networkprovidertest.h"
#include "recordingserver.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"
#include "vault/providersetup.h"
#include "webdavpeer.h"

#include <QSignalSpy>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

std::unique_ptr<ProviderSetup> runSetup(ProviderSetup* setup)
{
    std::unique_ptr<ProviderSetup> owned(setup);
    QSignalSpy finished(setup, &ProviderSetup::finished);
    setup->start();
    if (!finished.wait(JobTimeoutMs))
        qWarning("the provider setup did not finish");
    return owned;
}

// Adds a provider through ProviderSetup (as the CLI and the app do); its id, 0 on failure.
qint64 addProvider(Vault& vault, const QString& kind, const QString& name,
                   const QJsonObject& settings, const QJsonObject& secrets = {})
{
    ProviderSpec spec;
    spec.kind = kind;
    spec.name = name;
    spec.settings = settings;
    spec.secrets = secrets;
    const std::unique_ptr<ProviderSetup> s = runSetup(ProviderSetup::add(vault, spec));
    if (!s->error().ok())
        qWarning("adding %s failed: %s", qPrintable(name), qPrintable(s->error().message));
    return s->error().ok() ? s->providerId() : 0;
}

bool removeProvider(Vault& vault, qint64 id, QString* warning = nullptr)
{
    const std::unique_ptr<ProviderSetup> s = runSetup(ProviderSetup::remove(vault, id, true));
    if (!s->error().ok())
        qWarning("removing %lld failed: %s", id, qPrintable(s->error().message));
    if (warning)
        *warning = s->warning();
    return s->error().ok();
}

QJsonObject localSettings(const TestVault& v, const QString& name)
{
    return {{QStringLiteral("path"), v.path(QStringLiteral("store-") + name)}};
}

} // namespace

class TestProviderLifecycle final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void idsAreNeverReused();
    void newProviderNeverSeesRemovedProvidersSecret();
    void vaultFromBeforeIdsWereKept();
    void providerWithoutSecretNeedsNoKeychain();
    void editingProviderMidTransfer();
    void testConnectionOutlivesEdit();

private:
    QTemporaryDir m_dir;
    WebDavPeer m_dav;
    IpfsPeer m_ipfs;
};

void TestProviderLifecycle::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // No session bus, hence no keychain, for the whole process (it connects once, at first use).
    qputenv("DBUS_SESSION_BUS_ADDRESS",
            QString(QStringLiteral("unix:path=") + m_dir.filePath(QStringLiteral("no-such-bus")))
                .toUtf8());
    QVERIFY2(m_dav.start(m_dir.filePath(QStringLiteral("dav"))), qPrintable(m_dav.errorString()));
    QVERIFY2(m_ipfs.start(m_dir.filePath(QStringLiteral("ipfs"))),
             qPrintable(m_ipfs.errorString()));
}

// The provider with the highest id removed, the next one added gets a new id; so after the
// vault is opened again.
void TestProviderLifecycle::idsAreNeverReused()
{
    TestVault v;
    QVERIFY(v.ok());
    const qint64 a = addProvider(*v.vault, QStringLiteral("local"), QStringLiteral("a"),
                                 localSettings(v, QStringLiteral("a")));
    QVERIFY(a > 0);
    QVERIFY(removeProvider(*v.vault, a));
    const qint64 b = addProvider(*v.vault, QStringLiteral("local"), QStringLiteral("b"),
                                 localSettings(v, QStringLiteral("b")));
    QVERIFY2(b > a, qPrintable(QStringLiteral("a was %1, b is %2").arg(a).arg(b)));
    QVERIFY(removeProvider(*v.vault, b));

    const QString dir = v.vault->directory();
    v.vault.reset();
    QString error;
    v.vault = Vault::open(dir, Vault::OpenMode::Existing, &error);
    QVERIFY2(v.vault, qPrintable(error));
    const qint64 c = addProvider(*v.vault, QStringLiteral("local"), QStringLiteral("c"),
                                 localSettings(v, QStringLiteral("c")));
    QVERIFY2(c > b, qPrintable(QStringLiteral("b was %1, c is %2").arg(b).arg(c)));
}

// An IPFS provider with an Authorization header is forgotten while its secret stays in the
// store (a keychain that could not remove it, or a crash between the two steps). A new IPFS
// provider without authorization must not send that header to its node.
void TestProviderLifecycle::newProviderNeverSeesRemovedProvidersSecret()
{
    TestVault v;
    QVERIFY(v.ok());
    v.vault->setCredentialStore(
        std::make_unique<PlaintextCredentialStore>(v.path(QStringLiteral("credentials.json"))));
    RecordingServer node([](const QByteArray&) {
        return httpResponse("200 OK", "Content-Type: application/json\r\n",
                            R"({"RepoSize":0,"StorageMax":1000000,"NumObjects":0})");
    });
    QVERIFY(node.listen());
    const QJsonObject settings{{QStringLiteral("apiUrl"), node.origin()}};
    const qint64 old =
        addProvider(*v.vault, QStringLiteral("ipfs"), QStringLiteral("old node"), settings,
                    {{QStringLiteral("authorization"), QStringLiteral("Bearer old-node-token")}});
    QVERIFY(old > 0);
    // Forgotten, its secret left behind.
    v.vault->dropProvider(old);
    QVERIFY(v.registry().providerRows().removeProvider(old));

    const qint64 fresh =
        addProvider(*v.vault, QStringLiteral("ipfs"), QStringLiteral("new node"), settings);
    QVERIFY(fresh > 0);
    QVERIFY(fresh != old);
    Provider* p = v.vault->provider(fresh).get();
    QVERIFY(p);
    runProviderJob(p->usage()); // its outcome does not matter here: what it sent does
    QVERIFY(!node.heads().isEmpty());
    QVERIFY2(!node.sawHeader("Authorization"),
             "the new provider sent the removed provider's Authorization header");
}

// A vault made before the highest id was kept, whose highest provider was removed then, gives
// that id once more. What is left under it must not reach the new provider: not the removed
// one's secret (a provider without secrets never reads the store), and not the settings of a
// provider removed since (its "no secrets" mark would leave a provider that has secrets without
// them).
void TestProviderLifecycle::vaultFromBeforeIdsWereKept()
{
    TestVault v;
    QVERIFY(v.ok());
    v.vault->setCredentialStore(
        std::make_unique<PlaintextCredentialStore>(v.path(QStringLiteral("credentials.json"))));
    RecordingServer node([](const QByteArray&) {
        return httpResponse("200 OK", "Content-Type: application/json\r\n",
                            R"({"RepoSize":0,"StorageMax":1000000,"NumObjects":0})");
    });
    QVERIFY(node.listen());
    const QJsonObject settings{{QStringLiteral("apiUrl"), node.origin()}};
    // The highest id given, as such a vault knows it: only from the rows still there.
    const auto forgetHighestId = [&v] {
        return v.registry().settings().setSetting(QStringLiteral("providers.lastId"),
                                                  QStringLiteral("0"));
    };
    const qint64 old =
        addProvider(*v.vault, QStringLiteral("ipfs"), QStringLiteral("old node"), settings,
                    {{QStringLiteral("authorization"), QStringLiteral("Bearer old-node-token")}});
    QVERIFY(old > 0);
    v.vault->dropProvider(old); // forgotten, its secret left behind
    QVERIFY(v.registry().providerRows().removeProvider(old));
    QVERIFY(forgetHighestId());

    const qint64 open =
        addProvider(*v.vault, QStringLiteral("ipfs"), QStringLiteral("open node"), settings);
    QCOMPARE(open, old); // the id is given once more
    Provider* p = v.vault->provider(open).get();
    QVERIFY(p);
    runProviderJob(p->usage()); // its outcome does not matter here: what it sent does
    QVERIFY(!node.heads().isEmpty());
    QVERIFY2(!node.sawHeader("Authorization"),
             "the new provider sent the removed provider's Authorization header");

    // Removed (its mark with it), and the id given again, to a provider with a secret.
    QVERIFY(removeProvider(*v.vault, open));
    QVERIFY2(v.registry().settings().setting(vaultcredentials::noSecretsKey(open)).isEmpty(),
             "a removed provider's setting stays behind");
    QVERIFY(forgetHighestId());
    const qint64 secured =
        addProvider(*v.vault, QStringLiteral("ipfs"), QStringLiteral("secured node"), settings,
                    {{QStringLiteral("authorization"), QStringLiteral("Bearer secured-token")}});
    QCOMPARE(secured, old);
    const qsizetype before = node.heads().size();
    p = v.vault->provider(secured).get();
    QVERIFY(p);
    runProviderJob(p->usage());
    QVERIFY(node.heads().size() > before);
    for (qsizetype i = before; i < node.heads().size(); ++i)
        QVERIFY2(node.heads().at(i).toLower().contains("authorization: bearer secured-token"),
                 node.heads().at(i).constData());
}

// A vault on the default credential store (the keychain), in a process where no keychain can
// answer: an IPFS node without authorization is added, floated to, restored from and removed.
void TestProviderLifecycle::providerWithoutSecretNeedsNoKeychain()
{
    QString error;
    const QString dir = m_dir.filePath(QStringLiteral("no-keychain"));
    std::unique_ptr<Vault> vault = Vault::open(dir, Vault::OpenMode::CreateIfMissing, &error);
    QVERIFY2(vault, qPrintable(error));
    const qint64 ipfs = addProvider(*vault, QStringLiteral("ipfs"), QStringLiteral("node"),
                                    {{QStringLiteral("apiUrl"), m_ipfs.apiUrl()}});
    QVERIFY(ipfs > 0);
    const QString source = m_dir.filePath(QStringLiteral("no-keychain-model.bin"));
    QVERIFY(writePseudoRandomFile(source, 3 * MiB + 17, 11));

    FloatJob::Request fr;
    fr.paths = {source};
    fr.modelName = QStringLiteral("m");
    fr.options.chunker = SmallChunks;
    fr.options.replication = 1;
    fr.options.providerIds = {ipfs};
    FloatJob f(vault.get(), fr);
    QVERIFY(run(f));
    QVERIFY2(f.failure() == FloatJob::Failure::None, qPrintable(f.error().message));

    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("m");
    rr.destinationDir = m_dir.filePath(QStringLiteral("no-keychain-out"));
    RestoreJob r(vault.get(), rr);
    QVERIFY(run(r));
    QVERIFY2(r.failure() == RestoreJob::Failure::None, qPrintable(r.error().message));
    QCOMPARE(opensslSha256Hex(rr.destinationDir + QStringLiteral("/no-keychain-model.bin")),
             opensslSha256Hex(source));

    QString warning;
    QVERIFY(removeProvider(*vault, ipfs, &warning));
    QVERIFY2(warning.isEmpty(), qPrintable(warning));
}

namespace {

// A vault with a WebDAV provider (password in the vault's plaintext store) and a 6 MiB file.
struct DavVault
{
    TestVault v;
    qint64 dav = 0;
    QString dir;
    QString file;
    QJsonObject settings;
};

bool makeDavVault(DavVault& d, const WebDavPeer& peer)
{
    if (!d.v.ok())
        return false;
    d.v.registry().settings().setSetting(vaultcredentials::settingKey(),
                                         vaultcredentials::plaintext());
    d.dir = d.v.vault->directory();
    d.v.vault.reset();
    QString error;
    d.v.vault = Vault::open(d.dir, Vault::OpenMode::Existing, &error);
    if (!d.v.vault || !d.v.vault->setDefaultChunker(SmallChunks))
        return false;
    d.settings = {{QStringLiteral("url"), peer.url()},
                  {QStringLiteral("username"), WebDavPeer::user()}};
    d.dav = addProvider(*d.v.vault, QStringLiteral("webdav"), QStringLiteral("dav"), d.settings,
                        {{QStringLiteral("password"), WebDavPeer::password()}});
    d.file = d.v.path(QStringLiteral("model.bin"));
    if (!d.dav || !writePseudoRandomFile(d.file, 6 * MiB, 5))
        return false;
    d.v.vault.reset(); // the engine opens it
    return true;
}

} // namespace

// A float to the WebDAV provider runs slowly (an upload limit); the provider is edited while it
// runs, then the float is paused, resumed, edited under again and cancelled; then edited while
// paused and removed. Every step acts on provider jobs of the adapter the edit replaced.
void TestProviderLifecycle::editingProviderMidTransfer()
{
    DavVault d;
    QVERIFY(makeDavVault(d, m_dav));
    Engine engine;
    QSignalSpy opened(&engine, &Engine::opened);
    engine.open(d.dir);
    QVERIFY(opened.wait(JobTimeoutMs));
    QCOMPARE(opened.first().first().toString(), QString());
    engine.setBandwidthLimits(512 * KiB, 0);
    QSignalSpy providersChanged(&engine, &Engine::providersChanged);
    QSignalSpy providerErrors(&engine, &Engine::providerError);

    TransferInfo info;
    connect(&engine, &Engine::transferChanged, this, [&](const TransferInfo& i) { info = i; });
    FloatRequest request;
    request.paths = {d.file};
    request.modelName = QStringLiteral("m");
    request.replicas = 1;
    request.providerIds = {d.dav};
    const qint64 id = engine.floatFiles(request);
    const auto sentMore = [&](qint64 than) {
        return QTest::qWaitFor([&] { return info.id == id && info.doneBytes > than; },
                               JobTimeoutMs);
    };
    const auto edit = [&](const QString& name) {
        const int before = int(providersChanged.size());
        engine.updateProvider(d.dav, name, d.settings, {}, -1);
        return QTest::qWaitFor([&] { return providersChanged.size() > before; }, JobTimeoutMs);
    };
    const auto reaches = [&](TransferInfo::State state) {
        return QTest::qWaitFor([&] { return info.id == id && info.state == state; }, JobTimeoutMs);
    };

    QVERIFY(sentMore(0));
    QVERIFY(edit(QStringLiteral("dav renamed")));
    QVERIFY(sentMore(info.doneBytes)); // the float goes on
    engine.pause(id);
    QVERIFY(reaches(TransferInfo::State::Paused));
    engine.resume(id);
    QVERIFY(reaches(TransferInfo::State::Running));
    QVERIFY(sentMore(info.doneBytes));
    QVERIFY(edit(QStringLiteral("dav again")));
    engine.cancel(id);
    QVERIFY(reaches(TransferInfo::State::Cancelled));

    // A second float, paused; the provider edited and removed while it waits; cancelled.
    request.modelName = QStringLiteral("m2");
    const qint64 second = engine.floatFiles(request);
    QVERIFY(QTest::qWaitFor([&] { return info.id == second && info.doneBytes > 0; }, JobTimeoutMs));
    engine.pause(second);
    QVERIFY(QTest::qWaitFor(
        [&] { return info.id == second && info.state == TransferInfo::State::Paused; },
        JobTimeoutMs));
    QVERIFY(edit(QStringLiteral("dav last")));
    const int before = int(providersChanged.size());
    engine.removeProvider(d.dav, true);
    QVERIFY(QTest::qWaitFor([&] { return providersChanged.size() > before; }, JobTimeoutMs));
    engine.cancel(second);
    QVERIFY(QTest::qWaitFor(
        [&] { return info.id == second && info.state == TransferInfo::State::Cancelled; },
        JobTimeoutMs));
    QVERIFY2(providerErrors.isEmpty(),
             qPrintable(providerErrors.isEmpty() ? QString()
                                                 : providerErrors.first().first().toString()));
}

// "Test connection" runs on the adapter; the provider is edited (its adapter dropped) before
// the test ends, which still reports.
void TestProviderLifecycle::testConnectionOutlivesEdit()
{
    DavVault d;
    QVERIFY(makeDavVault(d, m_dav));
    Engine engine;
    QSignalSpy opened(&engine, &Engine::opened);
    engine.open(d.dir);
    QVERIFY(opened.wait(JobTimeoutMs));
    QSignalSpy tested(&engine, &Engine::providerTested);
    QSignalSpy providersChanged(&engine, &Engine::providersChanged);
    engine.testProvider(d.dav);
    engine.updateProvider(d.dav, QStringLiteral("edited during its test"), d.settings, {}, -1);
    QVERIFY(QTest::qWaitFor([&] { return !tested.isEmpty(); }, JobTimeoutMs));
    QCOMPARE(tested.first().at(0).toLongLong(), d.dav);
    QVERIFY2(tested.first().at(1).toString().isEmpty(),
             qPrintable(tested.first().at(1).toString()));
    QVERIFY(QTest::qWaitFor([&] { return !providersChanged.isEmpty(); }, JobTimeoutMs));
}

QTEST_GUILESS_MAIN(TestProviderLifecycle)
#include "tst_providerlifecycle.moc"
