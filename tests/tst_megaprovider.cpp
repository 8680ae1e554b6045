// MegaProvider against the local MEGA API server (tests/peers/mega/mega-server.js), which is
// itself checked here with megajs, the third-party MEGA client: megajs downloads (MAC checked)
// what ModelFloat stored, and ModelFloat's adapter downloads and verifies what megajs uploaded.
// Also: sign-in for version-1 and -2 accounts, a wrong password (-9), two-factor codes, round
// trips and byte ranges, the CID -> node map (one `f` per adapter), EAGAIN bursts, HTTP 500 and
// the hashcash challenge, a connection dropped mid-upload, a MAC mismatch (Corrupt), a revoked
// session, the transfer quota (509 with a wait, and -17), sequence numbers and batching, and
// ProviderSetup signing in without ever storing the password.

#include "chunking/cid.h"
#include "credentials/plaintextcredentialstore.h"
#include "megapeer.h"
#include "networkprovidertest.h"
#include "providers/mega/megacrypto.h"
#include "providers/mega/megaprovider.h"
#include "providers/mega/megatransfer.h"
#include "providers/providerfactory.h"
#include "testsupport.h"
#include "testvault.h"
#include "vault/providersetup.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

const QString VaultId = QStringLiteral("00000000-0000-4000-8000-0000000000a1");
const MegaPeer::Account Alice{
    QStringLiteral("alice@example.com"), QStringLiteral("alice-pw"), false, {}};
const MegaPeer::Account Legacy{
    QStringLiteral("old@example.com"), QStringLiteral("legacy pässword"), true, {}};
const MegaPeer::Account Guarded{QStringLiteral("mfa@example.com"), QStringLiteral("guarded"), false,
                                QStringLiteral("123456")};

RetryPolicy quickRetries()
{
    RetryPolicy p;
    p.maxAttempts = 5;
    p.baseDelayMs = 20;
    p.maxDelayMs = 100;
    return p;
}

QByteArray sha256Hex(const QByteArray& data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

} // namespace

class TestMegaProvider final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void signsInToEveryKindOfAccount();
    void wrongPasswordAndTwoFactor();
    void roundTripRangesAndIndex();
    void megajsReadsWhatModelFloatStored();
    void modelFloatReadsWhatMegajsStored();
    void macMismatchIsCorrupt();
    void retriesEagainServerErrorsAndHashcash();
    void droppedConnectionMidUpload();
    void droppedDownloadResumesFromTheCut();
    void revokedSessionAsksToSignInAgain();
    void transferQuotaSaysHowLong();
    void sequenceNumbersAndBatching();
    void setupNeverStoresThePassword();
    void factoryMakesIt();

private:
    // A signed-in adapter for `account` whose secrets sit in a plaintext store.
    std::unique_ptr<MegaProvider>
    makeProvider(const MegaPeer::Account& account,
                 const QString& folder = QStringLiteral("ModelFloat"));
    mega::Session signIn(const MegaPeer::Account& account, const QString& code, Error* error);
    QString putChunk(MegaProvider& p, const QByteArray& data, bool* alreadyStored = nullptr);

    MegaPeer m_peer;
    QTemporaryDir m_dir;
    std::unique_ptr<PlaintextCredentialStore> m_store;
    int m_providers = 0;
};

void TestMegaProvider::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_peer.start({Alice, Legacy, Guarded}), qPrintable(m_peer.errorString()));
    m_store =
        std::make_unique<PlaintextCredentialStore>(m_dir.filePath(QStringLiteral("creds.json")));
}

mega::Session TestMegaProvider::signIn(const MegaPeer::Account& account, const QString& code,
                                       Error* error)
{
    QNetworkAccessManager nam;
    mega::Api api(&nam, QUrl(m_peer.apiUrl()));
    api.setRetryPolicy(quickRetries());
    mega::SignIn s(&api, account.email, account.password, code);
    QSignalSpy done(&s, &mega::SignIn::finished);
    s.start();
    if (!done.wait(60000)) {
        *error = Error::make(Error::Kind::Fatal, QStringLiteral("sign-in did not finish"));
        return {};
    }
    *error = s.error();
    return s.session();
}

std::unique_ptr<MegaProvider> TestMegaProvider::makeProvider(const MegaPeer::Account& account,
                                                             const QString& folder)
{
    Error e;
    const mega::Session session = signIn(account, account.twoFactorCode, &e);
    if (e) {
        qWarning("sign-in failed: %s", qPrintable(e.message));
        return nullptr;
    }
    const QString key = CredentialStore::providerKey(VaultId, ++m_providers);
    if (!writeSecrets(*m_store, key, session.toSecrets()))
        return nullptr;
    ProviderContext context;
    context.credentials = m_store.get();
    context.vaultId = VaultId;
    MegaProvider::Options o;
    o.email = account.email;
    o.folder = folder;
    o.apiUrl = QUrl(m_peer.apiUrl());
    o.postBytes = 1024 * 1024; // several POSTs per chunk
    auto p = std::make_unique<MegaProvider>(QStringLiteral("mega-test"), context, key, o);
    p->setRetryPolicy(quickRetries());
    p->api()->setRetryPolicy(quickRetries());
    return p;
}

QString TestMegaProvider::putChunk(MegaProvider& p, const QByteArray& data, bool* alreadyStored)
{
    QString locator;
    Error e;
    const bool ok =
        runProviderJob(p.put(cid::ofData(data), sourceOf(data), data.size()), [&](ProviderJob& j) {
            e = j.error();
            locator = j.locator();
            if (alreadyStored)
                *alreadyStored = j.alreadyStored();
        });
    if (!ok || e) {
        qWarning("put failed: %s", qPrintable(e.message));
        return {};
    }
    return locator;
}

void TestMegaProvider::signsInToEveryKindOfAccount()
{
    for (const MegaPeer::Account& a : {Alice, Legacy, Guarded}) {
        Error e;
        const mega::Session s = signIn(a, a.twoFactorCode, &e);
        QVERIFY2(e.ok(), qPrintable(a.email + QStringLiteral(": ") + e.message));
        QVERIFY(s.isValid());
        QCOMPARE(mega::base64urlDecode(s.sid).value().size(), mega::SessionIdBytes);
        QCOMPARE(s.userHandle.size(), 11);
        // What the keychain keeps names no password.
        const QJsonObject secrets = s.toSecrets();
        QCOMPARE(secrets.keys(),
                 (QStringList{QStringLiteral("masterKey"), QStringLiteral("session"),
                              QStringLiteral("userHandle")}));
        QVERIFY(mega::Session::fromSecrets(secrets));
    }
}

void TestMegaProvider::wrongPasswordAndTwoFactor()
{
    Error e;
    signIn({Alice.email, QStringLiteral("wrong"), false, {}}, {}, &e);
    QCOMPARE(e.kind, Error::Kind::Authentication);
    QVERIFY2(e.message.contains(QLatin1String("did not accept")), qPrintable(e.message));
    QVERIFY(!e.message.contains(QLatin1String("wrong")));
    signIn({QStringLiteral("nobody@example.com"), QStringLiteral("x"), false, {}}, {}, &e);
    QCOMPARE(e.kind, Error::Kind::Authentication);
    signIn(Guarded, {}, &e); // the account has 2FA: -26
    QCOMPARE(e.kind, Error::Kind::Authentication);
    QVERIFY2(e.message.contains(QLatin1String("two-factor")), qPrintable(e.message));
    signIn(Guarded, QStringLiteral("000000"), &e);
    QCOMPARE(e.kind, Error::Kind::Authentication);
    // E-mail addresses are matched without regard to case.
    signIn({QStringLiteral("ALICE@Example.com"), Alice.password, false, {}}, {}, &e);
    QVERIFY2(e.ok(), qPrintable(e.message));
}

void TestMegaProvider::roundTripRangesAndIndex()
{
    auto p = makeProvider(Alice, QStringLiteral("roundtrip"));
    QVERIFY(p);
    const int fBefore = m_peer.stats().value(QStringLiteral("fCalls")).toInt();
    const QByteArray data = pseudoRandomBytes(5 * 1024 * 1024 + 12345, 1);
    const QString locator = putChunk(*p, data);
    QVERIFY(!locator.isEmpty());
    QString handle;
    QByteArray sealed;
    QVERIFY(MegaProvider::parseLocator(locator, &handle, &sealed));

    BufferSink whole;
    QCOMPARE(runProviderJob(p->get(locator, &whole)).kind, Error::Kind::None);
    QCOMPARE(sha256Hex(whole.bytes()), sha256Hex(data));
    for (const auto& [offset, length] : QList<QPair<qint64, qint64>>{{0, 1},
                                                                     {5, 100},
                                                                     {131071, 3},
                                                                     {131075, 400000},
                                                                     {1048576, 17},
                                                                     {data.size() - 10, -1},
                                                                     {data.size() - 10, 1000}}) {
        BufferSink part;
        const Error e = runProviderJob(p->get(locator, &part, offset, length));
        QVERIFY2(e.ok(), qPrintable(e.message));
        QCOMPARE(part.bytes(), data.mid(offset, length));
    }
    qint64 size = -1;
    runProviderJob(p->stat(locator), [&](ProviderJob& j) { size = j.objectSize(); });
    QCOMPARE(size, data.size());

    // Stored again: found in the map, nothing sent.
    const int uBefore = m_peer.stats()
                            .value(QStringLiteral("commands"))
                            .toObject()
                            .value(QStringLiteral("u"))
                            .toInt();
    bool already = false;
    QCOMPARE(putChunk(*p, data, &already), locator);
    QVERIFY(already);
    QCOMPARE(m_peer.stats()
                 .value(QStringLiteral("commands"))
                 .toObject()
                 .value(QStringLiteral("u"))
                 .toInt(),
             uBefore);

    // A second chunk needs no new tree read: one `f` for the adapter so far.
    const QByteArray small = pseudoRandomBytes(300000, 2);
    const QString smallLocator = putChunk(*p, small);
    QVERIFY(!smallLocator.isEmpty());
    QCOMPARE(m_peer.stats().value(QStringLiteral("fCalls")).toInt(), fBefore + 1);

    QList<StoredObject> listed;
    runProviderJob(p->list(), [&](ProviderJob& j) { listed = j.objects(); });
    QCOMPARE(listed.size(), 2);
    QStringList locators;
    for (const StoredObject& o : listed)
        locators << o.locator;
    QVERIFY(locators.contains(locator));
    QVERIFY(locators.contains(smallLocator));

    ProviderUsage usage;
    runProviderJob(p->usage(), [&](ProviderJob& j) { usage = j.usage(); });
    QVERIFY(usage.usedBytes >= data.size() + small.size());
    QVERIFY(usage.quotaBytes > usage.usedBytes);

    QCOMPARE(runProviderJob(p->remove(smallLocator)).kind, Error::Kind::None);
    QCOMPARE(runProviderJob(p->stat(smallLocator)).kind, Error::Kind::NotFound);
    QCOMPARE(runProviderJob(p->remove(smallLocator)).kind, Error::Kind::None); // gone is fine
    BufferSink none;
    QCOMPARE(runProviderJob(p->get(smallLocator, &none)).kind, Error::Kind::NotFound);
    QCOMPARE(runProviderJob(p->stat(QStringLiteral("../etc/passwd"))).kind, Error::Kind::NotFound);
    // Removed: stored again with a new node.
    const QString again = putChunk(*p, small);
    QVERIFY(!again.isEmpty());
    QVERIFY(again != smallLocator);
}

void TestMegaProvider::megajsReadsWhatModelFloatStored()
{
    auto p = makeProvider(Alice);
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(3 * 1024 * 1024 + 777, 3);
    QVERIFY(!putChunk(*p, data).isEmpty());
    QString out;
    QVERIFY(m_peer.megajs(
        Alice.email, Alice.password,
        {QStringLiteral("download"), QStringLiteral("ModelFloat"), cid::ofData(data)}, &out));
    const QJsonObject got = QJsonDocument::fromJson(out.toUtf8()).object();
    QCOMPARE(got.value(QStringLiteral("size")).toInteger(), data.size());
    QCOMPARE(got.value(QStringLiteral("sha256")).toString().toLatin1(), sha256Hex(data));
}

void TestMegaProvider::modelFloatReadsWhatMegajsStored()
{
    const QByteArray data = pseudoRandomBytes(2 * 1024 * 1024 + 99, 4);
    const QString name = cid::ofData(data);
    const QString path = m_dir.filePath(QStringLiteral("from-megajs.bin"));
    QVERIFY(writeFile(path, data));
    QString out;
    QVERIFY(m_peer.megajs(Alice.email, Alice.password,
                          {QStringLiteral("upload"), QStringLiteral("FromMegajs"), name, path},
                          &out));
    auto p = makeProvider(Alice, QStringLiteral("FromMegajs"));
    QVERIFY(p);
    QList<StoredObject> listed;
    QCOMPARE(runProviderJob(p->list(), [&](ProviderJob& j) { listed = j.objects(); }), true);
    QCOMPARE(listed.size(), 1);
    QCOMPARE(listed.first().size, data.size());
    BufferSink sink;
    const Error e = runProviderJob(p->get(listed.first().locator, &sink));
    QVERIFY2(e.ok(), qPrintable(e.message)); // the MAC megajs computed checks out
    QCOMPARE(sha256Hex(sink.bytes()), sha256Hex(data));
    // And a put of the same CID finds megajs's file instead of sending it again.
    bool already = false;
    QCOMPARE(putChunk(*p, data, &already), listed.first().locator);
    QVERIFY(already);
}

void TestMegaProvider::macMismatchIsCorrupt()
{
    auto p = makeProvider(Alice, QStringLiteral("corrupt"));
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(700000, 5);
    const QString locator = putChunk(*p, data);
    QVERIFY(!locator.isEmpty());
    m_peer.faults(
        {{QStringLiteral("corrupt"), locator.left(8)}, {QStringLiteral("offset"), 500000}});
    BufferSink sink;
    const Error e = runProviderJob(p->get(locator, &sink));
    QCOMPARE(e.kind, Error::Kind::Corrupt);
    QVERIFY2(e.message.contains(QLatin1String("MAC")), qPrintable(e.message));
    // A range cannot be MAC-checked; its bytes are what the server has (the restore checks CIDs).
    BufferSink part;
    QCOMPARE(runProviderJob(p->get(locator, &part, 0, 1000)).kind, Error::Kind::None);
    QCOMPARE(part.bytes(), data.left(1000));
}

void TestMegaProvider::retriesEagainServerErrorsAndHashcash()
{
    auto p = makeProvider(Alice, QStringLiteral("busy"));
    QVERIFY(p);
    m_peer.reset();
    m_peer.faults({{QStringLiteral("eagain"), 3}, {QStringLiteral("serverErrors"), 1}});
    const QByteArray data = pseudoRandomBytes(400000, 6);
    const QString locator = putChunk(*p, data);
    QVERIFY(!locator.isEmpty());
    QJsonObject s = m_peer.stats();
    QCOMPARE(s.value(QStringLiteral("eagainSent")).toInt(), 3);
    QCOMPARE(s.value(QStringLiteral("serverErrorsSent")).toInt(), 1);
    // EAGAIN is MEGA asking for fewer requests at once.
    QCOMPARE(p->concurrencyLimit(), ConcurrencyGovernor::Start / 2);
    // The proof-of-work challenge: solved off the thread, the same request sent again.
    m_peer.faults({{QStringLiteral("hashcash"), 230}, {QStringLiteral("hashcashCount"), 1}});
    qint64 size = -1;
    QCOMPARE(runProviderJob(p->stat(locator), [&](ProviderJob& j) { size = j.objectSize(); }),
             true);
    QCOMPARE(size, data.size());
    QCOMPARE(m_peer.stats().value(QStringLiteral("hashcashSolved")).toInt(), 1);
    // An EAGAIN that does not end fails as retryable, after the policy's attempts.
    m_peer.faults({{QStringLiteral("eagain"), 100}});
    const Error e = runProviderJob(p->stat(locator));
    QCOMPARE(e.kind, Error::Kind::Retryable);
    QVERIFY2(e.message.contains(QLatin1String("EAGAIN")), qPrintable(e.message));
    m_peer.reset();
}

void TestMegaProvider::droppedConnectionMidUpload()
{
    auto p = makeProvider(Alice, QStringLiteral("dropped"));
    QVERIFY(p);
    m_peer.reset();
    m_peer.faults({{QStringLiteral("dropUploadAfter"), 200000}, {QStringLiteral("drops"), 2}});
    const QByteArray data = pseudoRandomBytes(3 * 1024 * 1024, 7);
    const QString locator = putChunk(*p, data);
    QVERIFY(!locator.isEmpty());
    QCOMPARE(m_peer.stats().value(QStringLiteral("drops")).toInt(), 2);
    // The re-sent POSTs carried the same ciphertext and MACs: megajs agrees.
    QString out;
    QVERIFY(m_peer.megajs(
        Alice.email, Alice.password,
        {QStringLiteral("download"), QStringLiteral("dropped"), cid::ofData(data)}, &out));
    QCOMPARE(QJsonDocument::fromJson(out.toUtf8())
                 .object()
                 .value(QStringLiteral("sha256"))
                 .toString()
                 .toLatin1(),
             sha256Hex(data));
}

void TestMegaProvider::droppedDownloadResumesFromTheCut()
{
    // The connection drops after 300000 bytes (a 16-byte multiple): the get asks for the rest
    // only, decrypts on from there, and the whole file's MAC still checks.
    auto p = makeProvider(Alice, QStringLiteral("cut"));
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(1024 * 1024 + 7, 9);
    const QString locator = putChunk(*p, data);
    QVERIFY(!locator.isEmpty());
    m_peer.reset();
    m_peer.faults(
        {{QStringLiteral("dropDownloadAfter"), 300000}, {QStringLiteral("downloadDrops"), 1}});
    BufferSink back;
    const Error e = runProviderJob(p->get(locator, &back));
    QVERIFY2(e.ok(), qPrintable(e.message));
    QVERIFY(back.bytes() == data);
    QCOMPARE(m_peer.stats().value(QStringLiteral("downloadsCut")).toInt(), 1);
    QCOMPARE(m_peer.stats().value(QStringLiteral("downloadBytes")).toInt(), data.size());
}

void TestMegaProvider::revokedSessionAsksToSignInAgain()
{
    auto p = makeProvider(Guarded);
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(1000, 8);
    const QString locator = putChunk(*p, data);
    QVERIFY(!locator.isEmpty());
    m_peer.faults({{QStringLiteral("revokeSessions"), true}});
    BufferSink sink;
    Error e = runProviderJob(p->get(locator, &sink));
    QCOMPARE(e.kind, Error::Kind::Authentication);
    QVERIFY2(e.message.contains(QLatin1String("provider auth mega-test")), qPrintable(e.message));
    // From then on nothing is sent: MEGA blocks accounts that retry logins in bursts.
    const int requests = m_peer.stats().value(QStringLiteral("requests")).toInt();
    QCOMPARE(runProviderJob(p->stat(locator)).kind, Error::Kind::Authentication);
    QCOMPARE(runProviderJob(p->put(cid::ofData(QByteArray("x")), sourceOf("x"), 1)).kind,
             Error::Kind::Authentication);
    QCOMPARE(m_peer.stats().value(QStringLiteral("requests")).toInt(), requests);
}

void TestMegaProvider::transferQuotaSaysHowLong()
{
    auto p = makeProvider(Alice, QStringLiteral("quota"));
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(500000, 9);
    const QString locator = putChunk(*p, data);
    QVERIFY(!locator.isEmpty());
    m_peer.faults({{QStringLiteral("transferQuota"), 1000}, {QStringLiteral("quotaWait"), 600}});
    BufferSink sink;
    // "No downloads until T", T from the storage server's X-MEGA-Time-Left.
    qint64 before = QDateTime::currentMSecsSinceEpoch();
    Error e = runProviderJob(p->get(locator, &sink));
    QVERIFY2(e.isOutOfBudget(), qPrintable(e.message));
    QVERIFY2(e.message.contains(QLatin1String("transfer quota")), qPrintable(e.message));
    QVERIFY2(e.budgetResetMs >= before + 590000 &&
                 e.budgetResetMs <= QDateTime::currentMSecsSinceEpoch() + 600000,
             qPrintable(QString::number(e.budgetResetMs - before)));
    QCOMPARE(m_peer.stats().value(QStringLiteral("downloads509")).toInt(), 1); // not retried
    m_peer.reset();
    // `g` answering -17 says no time: MEGA's downloads wait the adapter's conservative default.
    m_peer.faults({{QStringLiteral("gOverquota"), 1}});
    before = QDateTime::currentMSecsSinceEpoch();
    e = runProviderJob(p->get(locator, &sink));
    QVERIFY2(e.isOutOfBudget(), qPrintable(e.message));
    const qint64 wait = qint64(mega::DefaultTransferQuotaWaitSeconds) * 1000;
    QVERIFY2(e.budgetResetMs >= before + wait &&
                 e.budgetResetMs <= QDateTime::currentMSecsSinceEpoch() + wait,
             qPrintable(QString::number(e.budgetResetMs - before)));
    BufferSink ok;
    QCOMPARE(runProviderJob(p->get(locator, &ok)).kind, Error::Kind::None);
    QCOMPARE(ok.bytes(), data);
    // A 509 on an upload URL pauses uploads the same way, not retried.
    m_peer.reset();
    m_peer.faults({{QStringLiteral("uploadQuotaWait"), 300}});
    const QByteArray more = pseudoRandomBytes(300000, 10);
    before = QDateTime::currentMSecsSinceEpoch();
    e = runProviderJob(p->put(cid::ofData(more), sourceOf(more), more.size()));
    QVERIFY2(e.isOutOfBudget(), qPrintable(e.message));
    QVERIFY2(e.message.contains(QLatin1String("uploads to MEGA")), qPrintable(e.message));
    QVERIFY2(e.budgetResetMs >= before + 290000 &&
                 e.budgetResetMs <= QDateTime::currentMSecsSinceEpoch() + 300000,
             qPrintable(QString::number(e.budgetResetMs - before)));
    QCOMPARE(m_peer.stats().value(QStringLiteral("uploads509")).toInt(), 1);
    m_peer.reset();
}

void TestMegaProvider::sequenceNumbersAndBatching()
{
    auto p = makeProvider(Alice, QStringLiteral("batch"));
    QVERIFY(p);
    QList<QString> locators;
    for (int i = 0; i < 4; ++i)
        locators << putChunk(*p, pseudoRandomBytes(20000 + i, 20 + quint64(i)));
    m_peer.reset();
    // Ten stats at once: ten `g` commands, in fewer requests.
    std::vector<std::unique_ptr<ProviderJob>> jobs;
    QList<QSignalSpy*> spies;
    for (int i = 0; i < 10; ++i) {
        jobs.emplace_back(p->stat(locators.at(i % 4)));
        spies << new QSignalSpy(jobs.back().get(), &ProviderJob::finished);
        jobs.back()->start();
    }
    for (QSignalSpy* s : spies) {
        QVERIFY(s->size() == 1 || s->wait(30000));
        delete s;
    }
    for (const auto& j : jobs)
        QVERIFY2(j->error().ok(), qPrintable(j->error().message));
    const QJsonObject s = m_peer.stats();
    QCOMPARE(s.value(QStringLiteral("commands")).toObject().value(QStringLiteral("g")).toInt(), 10);
    QVERIFY2(s.value(QStringLiteral("requests")).toInt() < 10,
             qPrintable(QString::number(s.value(QStringLiteral("requests")).toInt())));
    QCOMPARE(s.value(QStringLiteral("idsDecreasing")).toInt(), 0);
}

void TestMegaProvider::setupNeverStoresThePassword()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString credsPath = v.path(QStringLiteral("vault-creds.json"));
    v.vault->setCredentialStore(std::make_unique<PlaintextCredentialStore>(credsPath));
    ProviderSpec spec;
    spec.kind = QStringLiteral("mega");
    spec.name = QStringLiteral("cloud");
    spec.settings = {{QStringLiteral("email"), Alice.email},
                     {QStringLiteral("apiUrl"), m_peer.apiUrl()}};
    // A wrong password adds nothing.
    spec.secrets = {{QStringLiteral("password"), QStringLiteral("not-it")}};
    {
        std::unique_ptr<ProviderSetup> setup(ProviderSetup::add(*v.vault, spec));
        QSignalSpy done(setup.get(), &ProviderSetup::finished);
        setup->start();
        QVERIFY(done.wait(60000));
        QCOMPARE(setup->failure(), ProviderSetup::Failure::SignIn);
        QVERIFY2(setup->error().message.contains(QLatin1String("did not accept")),
                 qPrintable(setup->error().message));
        QVERIFY(!v.registry().providerRows().providerByName(QStringLiteral("cloud")));
    }
    spec.secrets = {{QStringLiteral("password"), Alice.password}};
    std::unique_ptr<ProviderSetup> setup(ProviderSetup::add(*v.vault, spec));
    QSignalSpy done(setup.get(), &ProviderSetup::finished);
    setup->start();
    QVERIFY(done.wait(60000));
    QVERIFY2(setup->error().ok(), qPrintable(setup->error().message));
    QFile creds(credsPath);
    QVERIFY(creds.open(QIODevice::ReadOnly));
    const QByteArray stored = creds.readAll();
    QVERIFY(stored.contains("session"));
    QVERIFY(stored.contains("masterKey"));
    QVERIFY(!stored.contains(Alice.password.toUtf8()));
    QVERIFY(!stored.contains("password"));
    // The adapter works from the stored session alone, without signing in again.
    const int logins = m_peer.stats()
                           .value(QStringLiteral("commands"))
                           .toObject()
                           .value(QStringLiteral("us"))
                           .toInt();
    Provider* p = v.vault->provider(setup->providerId()).get();
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(10000, 30);
    QString locator;
    QCOMPARE(runProviderJob(p->put(cid::ofData(data), sourceOf(data), data.size()),
                            [&](ProviderJob& j) { locator = j.locator(); }),
             true);
    QVERIFY(!locator.isEmpty());
    QCOMPARE(m_peer.stats()
                 .value(QStringLiteral("commands"))
                 .toObject()
                 .value(QStringLiteral("us"))
                 .toInt(),
             logins);
}

void TestMegaProvider::factoryMakesIt()
{
    ProviderFactory factory;
    const ProviderKind* kind = factory.kind(QStringLiteral("mega"));
    QVERIFY(kind);
    QVERIFY(kind->signIn);
    QVERIFY(kind->field(QStringLiteral("email"))->required);
    QVERIFY(kind->field(QStringLiteral("password"))->isSecret());
    QVERIFY(kind->field(QStringLiteral("twoFactorCode"))->isSecret());
    QVERIFY(!kind->field(QStringLiteral("twoFactorCode"))->required);
    QCOMPARE(kind->field(QStringLiteral("folder"))->defaultValue.toString(),
             QStringLiteral("ModelFloat"));
    ProviderRecord r;
    r.id = 7;
    r.kind = QStringLiteral("mega");
    r.name = QStringLiteral("m");
    QString error;
    QVERIFY(!factory.create(r, {}, &error));
    QVERIFY(error.contains(QLatin1String("e-mail")));
    r.settings.insert(QStringLiteral("email"), Alice.email);
    auto p = factory.create(r, {}, &error);
    QVERIFY(p);
    QCOMPARE(p->kind(), QStringLiteral("mega"));
    QCOMPARE(static_cast<MegaProvider*>(p.get())->options().folder, QStringLiteral("ModelFloat"));
    // Without secrets: an Authentication error that says how to sign in, nothing sent.
    const Error e =
        runProviderJob(p->stat(QStringLiteral("AAAAAAAA:") + QString(43, QLatin1Char('A'))));
    QCOMPARE(e.kind, Error::Kind::Authentication);
}

QTEST_GUILESS_MAIN(TestMegaProvider)
#include "tst_megaprovider.moc"
