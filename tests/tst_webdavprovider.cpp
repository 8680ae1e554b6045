// WebDavProvider against a real WebDAV server (rclone serve webdav, started here on a free
// port, with basic authentication), checked on the server's own folder: round trips and ranges,
// the sharded layout, collections made on demand (409 from a missing parent), nothing visible
// under a real name before it is whole, listing, quota, wrong credentials (one request, no
// retries), faults injected by FaultProxy, a server killed in the middle of a float (the float
// fails cleanly and the next one resumes without sending stored chunks again), and FloatJob +
// RestoreJob end to end with WebDAV as a provider.

#include "chunking/cid.h"
#include "credentials/plaintextcredentialstore.h"
#include "faultproxy.h"
#include "networkprovidertest.h"
#include "providers/providerfactory.h"
#include "providers/webdav/davmultistatus.h"
#include "providers/webdav/webdavprovider.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"
#include "webdavpeer.h"

#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

const QString VaultId = QStringLiteral("00000000-0000-4000-8000-000000000001");

QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Every file below `root`, relative paths.
QStringList filesBelow(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(QDir(root).relativeFilePath(it.next()));
    out.sort();
    return out;
}

// Writes `data` at `path` below the server's root through the server itself, with curl (rclone
// caches its view of the folder, so files written behind its back are not seen at once).
bool serverPut(const WebDavPeer& peer, const QString& path, const QByteArray& data,
               const QTemporaryDir& scratch)
{
    const QString local = scratch.filePath(QStringLiteral("upload.tmp"));
    if (!writeFile(local, data))
        return false;
    QString output;
    const QString auth = WebDavPeer::user() + QLatin1Char(':') + WebDavPeer::password();
    const QString url = peer.url() + path;
    // Parent folders first (201, or 405/409 for existing/missing ones are fine here).
    QStringList parts = path.split(QLatin1Char('/'));
    parts.removeLast();
    QString dir;
    for (const QString& p : parts) {
        dir += p + QLatin1Char('/');
        runProcess(QStringLiteral("curl"),
                   {QStringLiteral("-s"), QStringLiteral("-u"), auth, QStringLiteral("-X"),
                    QStringLiteral("MKCOL"), peer.url() + dir});
    }
    return runProcess(
        QStringLiteral("curl"),
        {QStringLiteral("-sf"), QStringLiteral("-u"), auth, QStringLiteral("-T"), local, url},
        &output);
}

RetryPolicy quickRetries()
{
    RetryPolicy p;
    p.maxAttempts = 3;
    p.baseDelayMs = 20;
    p.maxDelayMs = 100;
    return p;
}

} // namespace

class TestWebDavProvider final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void normalizesAddresses_data();
    void normalizesAddresses();
    void parsesMultistatus();
    void roundTripAndRanges();
    void putIsAtomicAndIdempotent();
    void createsMissingParentFolders();
    void listsShardFolders();
    void usageWithoutQuotaSupport();
    void wrongPasswordIsOneRequest();
    void retriesServerFaults();
    void resumesInterruptedDownload();
    void resumeAnsweredWholeIsRefused();
    void hostileLocators();
    void factoryMakesIt();
    void floatAndRestoreEndToEnd();
    void serverKilledMidFloatResumes();
    void failingPutIsRetriedAtOneLevel();
    void apacheRfcStatuses();

private:
    std::unique_ptr<WebDavProvider> makeProvider(const QString& url, const QString& folder,
                                                 const QString& password);

    QTemporaryDir m_dir;
    WebDavPeer m_peer;
    std::unique_ptr<PlaintextCredentialStore> m_store;
    int m_keys = 0;
};

void TestWebDavProvider::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_peer.start(m_dir.filePath(QStringLiteral("dav"))), qPrintable(m_peer.errorString()));
    m_store = std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("credentials.json")));
}

std::unique_ptr<WebDavProvider>
TestWebDavProvider::makeProvider(const QString& url, const QString& folder, const QString& password)
{
    const QString key = CredentialStore::providerKey(VaultId, ++m_keys);
    if (!writeSecrets(*m_store, key, {{QStringLiteral("password"), password}}))
        return nullptr;
    ProviderContext context;
    context.credentials = m_store.get();
    context.vaultId = VaultId;
    context.tempDirectory = m_dir.path();
    WebDavProvider::Options o;
    o.url = url;
    o.username = WebDavPeer::user();
    o.folder = folder;
    QString error;
    auto p = WebDavProvider::create(QStringLiteral("dav"), context, key, o, &error);
    if (!p)
        qWarning("%s", qPrintable(error));
    else
        p->setRetryPolicy(quickRetries());
    return p;
}

void TestWebDavProvider::normalizesAddresses_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("user");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("normalized");
    QTest::addColumn<QString>("userAfter");
    QTest::newRow("nextcloud as copied")
        << QStringLiteral(" https://cloud.example.com/remote.php/dav/files/alice ") << QString()
        << true << QStringLiteral("https://cloud.example.com/remote.php/dav/files/alice/")
        << QStringLiteral("alice");
    QTest::newRow("nextcloud user given")
        << QStringLiteral("https://cloud.example.com/remote.php/dav/files/alice/")
        << QStringLiteral("bob") << true
        << QStringLiteral("https://cloud.example.com/remote.php/dav/files/alice/")
        << QStringLiteral("bob");
    QTest::newRow("legacy webdav")
        << QStringLiteral("https://c.example.com/remote.php/webdav") << QStringLiteral("carol")
        << true << QStringLiteral("https://c.example.com/remote.php/webdav/")
        << QStringLiteral("carol");
    QTest::newRow("password in url") << QStringLiteral("https://alice:hunter2@c.example.com/dav/")
                                     << QString() << false << QString() << QString();
    QTest::newRow("not http") << QStringLiteral("ftp://c.example.com/") << QString() << false
                              << QString() << QString();
    QTest::newRow("empty") << QString() << QString() << false << QString() << QString();
}

void TestWebDavProvider::normalizesAddresses()
{
    QFETCH(QString, url);
    QFETCH(QString, user);
    QFETCH(bool, ok);
    WebDavProvider::Options o;
    o.url = url;
    o.username = user;
    QString error;
    QCOMPARE(WebDavProvider::normalize(&o, &error), ok);
    if (ok) {
        QTEST(o.url, "normalized");
        QTEST(o.username, "userAfter");
    } else {
        QVERIFY(!error.isEmpty());
        QVERIFY2(!error.contains(QLatin1String("hunter2")), qPrintable(error));
    }
}

void TestWebDavProvider::parsesMultistatus()
{
    // Prefixes vary between servers; a 404 propstat carries no values.
    const QByteArray body = R"(<?xml version="1.0"?>
<a:multistatus xmlns:a="DAV:" xmlns:o="http://owncloud.org/ns">
 <a:response><a:href>http://h/remote.php/dav/files/al%20ice/m/</a:href>
  <a:propstat><a:prop><a:resourcetype><a:collection/></a:resourcetype>
   <a:quota-used-bytes>1000</a:quota-used-bytes><a:quota-available-bytes>-3</a:quota-available-bytes>
  </a:prop><a:status>HTTP/1.1 200 OK</a:status></a:propstat>
  <a:propstat><a:prop><a:getcontentlength/></a:prop><a:status>HTTP/1.1 404 Not Found</a:status></a:propstat>
 </a:response>
 <response xmlns="DAV:"><href>/remote.php/dav/files/al%20ice/m/x.bin</href>
  <propstat><prop><resourcetype/><getcontentlength>42</getcontentlength><o:size>7</o:size>
   <getlastmodified>Sun, 06 Nov 1994 08:49:37 GMT</getlastmodified></prop>
  <status>HTTP/1.1 200 OK</status></propstat></response>
</a:multistatus>)";
    QList<dav::Resource> r;
    QString error;
    QVERIFY2(dav::parseMultistatus(body, &r, &error), qPrintable(error));
    QCOMPARE(r.size(), 2);
    QCOMPARE(r[0].path, QStringLiteral("/remote.php/dav/files/al ice/m"));
    QVERIFY(r[0].collection);
    QCOMPARE(r[0].contentLength, -1);
    QCOMPARE(r[0].quotaUsedBytes, 1000);
    QCOMPARE(r[0].quotaAvailableBytes, -3);
    QCOMPARE(r[1].path, QStringLiteral("/remote.php/dav/files/al ice/m/x.bin"));
    QVERIFY(!r[1].collection);
    QCOMPARE(r[1].contentLength, 42);
    QCOMPARE(r[0].lastModifiedSecs, -1);
    QCOMPARE(r[1].lastModifiedSecs, qint64(784111777)); // RFC 4918's example date
    QVERIFY(!dav::parseMultistatus("<html>nope</html>", &r, &error));
    QVERIFY(!error.isEmpty());
}

void TestWebDavProvider::roundTripAndRanges()
{
    auto p = makeProvider(m_peer.url(), QStringLiteral("rt"), WebDavPeer::password());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(300 * 1024 + 7, 1);
    const QString cid = cid::ofData(data);
    QString locator;
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size()), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        locator = j.locator();
        QVERIFY(!j.alreadyStored());
    }));
    QCOMPARE(locator, cid);
    // On the server's disk: <folder>/<next-to-last 2>/<cid>, the exact bytes.
    const QString onDisk = m_peer.root() + QStringLiteral("/rt/") + cid.mid(cid.size() - 3, 2) +
                           QLatin1Char('/') + cid;
    QCOMPARE(fileBytes(onDisk), data);

    QVERIFY(runProviderJob(p->stat(locator), [&](ProviderJob& j) {
        QVERIFY(j.error().ok());
        QCOMPARE(j.objectSize(), data.size());
    }));
    struct Range
    {
        qint64 offset, length;
    };
    for (const Range r : {Range{0, -1}, Range{0, 1}, Range{1000, 5000}, Range{data.size() - 10, -1},
                          Range{data.size() - 1, 1}}) {
        BufferSink sink;
        QCOMPARE(runProviderJob(p->get(locator, &sink, r.offset, r.length)).kind,
                 Error::Kind::None);
        QCOMPARE(sink.bytes(), data.mid(r.offset, r.length));
    }
    QVERIFY(runProviderJob(p->remove(locator)).ok());
    QVERIFY(!QFile::exists(onDisk));
    QVERIFY(runProviderJob(p->remove(locator)).ok()); // removing what is gone succeeds
    QCOMPARE(runProviderJob(p->stat(locator)).kind, Error::Kind::NotFound);
    BufferSink sink;
    QCOMPARE(runProviderJob(p->get(locator, &sink)).kind, Error::Kind::NotFound);
    QVERIFY(sink.bytes().isEmpty());
}

void TestWebDavProvider::putIsAtomicAndIdempotent()
{
    auto p = makeProvider(m_peer.url(), QStringLiteral("atomic"), WebDavPeer::password());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(200 * 1024, 2);
    const QString cid = cid::ofData(data);
    // Through a proxy that cuts the PUT's connection: the object never appears under its
    // real name, only (at most) under .partial.
    FaultProxy proxy(m_peer.port());
    QVERIFY(proxy.listen());
    proxy.addRule(FaultProxy::Rule::of(FaultProxy::Fault::Drop, "PUT", {}, -1));
    auto broken = makeProvider(proxy.url() + QStringLiteral("/"), QStringLiteral("atomic"),
                               WebDavPeer::password());
    QVERIFY(broken);
    const Error e = runProviderJob(broken->put(cid, sourceOf(data), data.size()));
    QCOMPARE(e.kind, Error::Kind::Retryable);
    QVERIFY(proxy.count("PUT") >= 1);
    for (const QString& f : filesBelow(m_peer.root() + QStringLiteral("/atomic")))
        QVERIFY2(f.startsWith(QLatin1String(".partial/")), qPrintable(f));

    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size()), [](ProviderJob& j) {
        QVERIFY(j.error().ok());
        QVERIFY(!j.alreadyStored());
    }));
    // A second put finds it and sends nothing.
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size()), [&](ProviderJob& j) {
        QVERIFY(j.error().ok());
        QVERIFY(j.alreadyStored());
        QCOMPARE(j.locator(), cid);
    }));
    // A torn object under the real name (wrong size) is replaced, not trusted.
    const QString onDisk = m_peer.root() + QStringLiteral("/atomic/") + cid.mid(cid.size() - 3, 2) +
                           QLatin1Char('/') + cid;
    QVERIFY(serverPut(
        m_peer, QStringLiteral("atomic/") + cid.mid(cid.size() - 3, 2) + QLatin1Char('/') + cid,
        data.left(1000), m_dir));
    QCOMPARE(fileBytes(onDisk), data.left(1000));
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size()), [](ProviderJob& j) {
        QVERIFY(j.error().ok());
        QVERIFY(!j.alreadyStored());
    }));
    QCOMPARE(fileBytes(onDisk), data);
    // No temporary is left behind by a successful put.
    for (const QString& f : filesBelow(m_peer.root() + QStringLiteral("/atomic/.partial")))
        QVERIFY2(false, qPrintable(QStringLiteral("left behind: ") + f));
}

void TestWebDavProvider::createsMissingParentFolders()
{
    // Three levels that do not exist: MKCOL answers 409 until the parents are made.
    FaultProxy proxy(m_peer.port()); // only to count what was sent
    QVERIFY(proxy.listen());
    auto p = makeProvider(proxy.url(), QStringLiteral("deep/er/still"), WebDavPeer::password());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(10 * 1024, 3);
    const QString cid = cid::ofData(data);
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size())).ok());
    QCOMPARE(fileBytes(m_peer.root() + QStringLiteral("/deep/er/still/") +
                       cid.mid(cid.size() - 3, 2) + QLatin1Char('/') + cid),
             data);
    int conflicts = 0;
    for (const FaultProxy::Seen& s : proxy.seen())
        if (s.method == "MKCOL" && s.status == 409)
            ++conflicts;
    QVERIFY2(conflicts >= 2, "the server was expected to answer 409 for missing parents");
    // A second chunk into a known folder needs no MKCOL at all.
    proxy.clearSeen();
    const QByteArray more = pseudoRandomBytes(10 * 1024, 4);
    QString cid2 = cid::ofData(more);
    QVERIFY(runProviderJob(p->put(cid2, sourceOf(more), more.size())).ok());
    const bool sameShard = cid2.mid(cid2.size() - 3, 2) == cid.mid(cid.size() - 3, 2);
    QCOMPARE(proxy.count("MKCOL"), sameShard ? 0 : 1);
}

void TestWebDavProvider::listsShardFolders()
{
    auto p = makeProvider(m_peer.url(), QStringLiteral("listing"), WebDavPeer::password());
    QVERIFY(p);
    QVERIFY(runProviderJob(p->list(), [](ProviderJob& j) {
        QVERIFY(j.error().ok()); // no folder yet: nothing stored
        QVERIFY(j.objects().isEmpty());
    }));
    QMap<QString, qint64> expected;
    for (int i = 0; i < 6; ++i) {
        const QByteArray data = pseudoRandomBytes(1000 + i * 777, 10 + i);
        const QString cid = cid::ofData(data);
        expected.insert(cid, data.size());
        QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size())).ok());
    }
    // Things that are not chunk objects are not listed.
    QVERIFY(serverPut(m_peer, QStringLiteral("listing/notes.txt"), "x", m_dir));
    QVERIFY(serverPut(m_peer, QStringLiteral("listing/.partial/junk"), "x", m_dir));
    QVERIFY(serverPut(m_peer, QStringLiteral("listing/ab/not-a-cid"), "x", m_dir));
    QVERIFY(
        serverPut(m_peer, QStringLiteral("listing/zz/") + cid::ofData("misplaced"), "x", m_dir));
    QMap<QString, qint64> listed;
    QVERIFY(runProviderJob(p->list(), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        for (const StoredObject& o : j.objects())
            listed.insert(o.locator, o.size);
    }));
    QCOMPARE(listed, expected);
}

void TestWebDavProvider::usageWithoutQuotaSupport()
{
    // rclone answers the quota properties with a 404 propstat: the adapter says "cannot tell".
    auto p = makeProvider(m_peer.url(), QString(), WebDavPeer::password());
    QVERIFY(p);
    QVERIFY(runProviderJob(p->usage(), [](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        QCOMPARE(j.usage().quotaBytes, -1);
        QCOMPARE(j.usage().availableBytes, -1);
    }));
}

void TestWebDavProvider::wrongPasswordIsOneRequest()
{
    FaultProxy proxy(m_peer.port()); // passes everything; counts
    QVERIFY(proxy.listen());
    const QString wrong = QStringLiteral("not-the-password-4711");
    auto p = makeProvider(proxy.url(), QStringLiteral("auth"), wrong);
    QVERIFY(p);
    RetryPolicy patient; // the production policy: retries would show as more requests
    p->setRetryPolicy(patient);
    const QByteArray data = pseudoRandomBytes(5000, 5);
    const Error e = runProviderJob(p->put(cid::ofData(data), sourceOf(data), data.size()));
    QCOMPARE(e.kind, Error::Kind::Authentication);
    QVERIFY2(e.message.contains(QLatin1String("credentials")), qPrintable(e.message));
    QVERIFY(!e.message.contains(wrong));
    QCOMPARE(proxy.seen().size(), 1);
    QCOMPARE(proxy.seen().first().status, 401);
    QCOMPARE(runProviderJob(p->list()).kind, Error::Kind::Authentication);
    QCOMPARE(proxy.seen().size(), 2);
    QVERIFY(filesBelow(m_peer.root() + QStringLiteral("/auth")).isEmpty());
}

void TestWebDavProvider::retriesServerFaults()
{
    FaultProxy proxy(m_peer.port());
    QVERIFY(proxy.listen());
    auto p = makeProvider(proxy.url(), QStringLiteral("faults"), WebDavPeer::password());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(64 * 1024, 6);
    const QString cid = cid::ofData(data);
    // A 503 on the upload and a 429 with Retry-After on the MOVE: both retried, then stored.
    proxy.addRule(FaultProxy::Rule::status503(QStringLiteral("/.partial/")));
    proxy.addRule(FaultProxy::Rule::tooManyRequests("0", {}, 1));
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size())).ok());
    QCOMPARE(proxy.faultsInjected(), 2);
    BufferSink sink;
    // A truncated body on the download: the retry asks for the rest only.
    proxy.addRule(FaultProxy::Rule::of(FaultProxy::Fault::TruncatedBody, "GET"));
    QVERIFY(runProviderJob(p->get(cid, &sink)).ok());
    QCOMPARE(sink.bytes(), data);
    // Persistent 500s end in a readable error after the policy's attempts, no more.
    proxy.clearSeen();
    proxy.addRule(FaultProxy::Rule::httpStatus(500, {}, -1));
    const Error e = runProviderJob(p->stat(cid));
    QCOMPARE(e.kind, Error::Kind::Retryable);
    QVERIFY2(e.message.contains(QLatin1String("500")), qPrintable(e.message));
    QCOMPARE(proxy.seen().size(), quickRetries().maxAttempts);
}

void TestWebDavProvider::resumesInterruptedDownload()
{
    FaultProxy proxy(m_peer.port());
    QVERIFY(proxy.listen());
    auto p = makeProvider(proxy.url(), QStringLiteral("resume"), WebDavPeer::password());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(512 * 1024, 7);
    const QString cid = cid::ofData(data);
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size())).ok());
    proxy.clearSeen();
    proxy.addRule(FaultProxy::Rule::of(FaultProxy::Fault::TruncatedBody, "GET"));
    BufferSink sink;
    QVERIFY(runProviderJob(p->get(cid, &sink, 1000, 300000)).ok());
    QCOMPARE(sink.bytes(), data.mid(1000, 300000));
    QCOMPARE(proxy.count("GET"), 2); // the second asked only for what was missing
}

void TestWebDavProvider::resumeAnsweredWholeIsRefused()
{
    // The connection drops half-way; the resumed request asks for the rest and the server
    // answers with the whole object (200): those bytes would follow the half the sink holds, a
    // copy that does not match its chunk. The get fails instead, nothing written twice.
    FaultProxy proxy(m_peer.port());
    QVERIFY(proxy.listen());
    auto p = makeProvider(proxy.url(), QStringLiteral("whole"), WebDavPeer::password());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(512 * 1024, 8);
    const QString cid = cid::ofData(data);
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size())).ok());
    // The first GET is cut (the first rule), the second answered whole (the next one).
    proxy.addRule(FaultProxy::Rule::of(FaultProxy::Fault::TruncatedBody, "GET"));
    proxy.addRule(FaultProxy::Rule::of(FaultProxy::Fault::IgnoreRange, "GET"));
    BufferSink sink;
    const Error e = runProviderJob(p->get(cid, &sink));
    QCOMPARE(e.kind, Error::Kind::Fatal);
    QVERIFY2(e.message.contains(QStringLiteral("ignored the byte range")), qPrintable(e.message));
    QVERIFY(sink.bytes().size() < data.size());
    QCOMPARE(sink.bytes(), data.left(sink.bytes().size()));
}

void TestWebDavProvider::hostileLocators()
{
    auto p = makeProvider(m_peer.url(), QStringLiteral("hostile"), WebDavPeer::password());
    QVERIFY(p);
    for (const QString& bad : {QStringLiteral("../../etc/passwd"), QStringLiteral("a/b"), QString(),
                               QStringLiteral("bafk%2F..")}) {
        BufferSink sink;
        QCOMPARE(runProviderJob(p->get(bad, &sink)).kind, Error::Kind::NotFound);
        QCOMPARE(runProviderJob(p->stat(bad)).kind, Error::Kind::NotFound);
        QCOMPARE(runProviderJob(p->remove(bad)).kind, Error::Kind::NotFound);
    }
}

void TestWebDavProvider::factoryMakesIt()
{
    ProviderFactory factory;
    const ProviderKind* kind = factory.kind(QStringLiteral("webdav"));
    QVERIFY(kind);
    QVERIFY(kind->field(QStringLiteral("url"))->required);
    QVERIFY(kind->field(QStringLiteral("password"))->isSecret());
    ProviderRecord r;
    r.id = 42;
    r.kind = QStringLiteral("webdav");
    r.name = QStringLiteral("share");
    r.settings.insert(QStringLiteral("url"), QStringLiteral("https://u:p@host/dav/"));
    QString error;
    ProviderContext context;
    QVERIFY(!factory.create(r, context, &error));
    QVERIFY(error.contains(QLatin1String("share")));
    QVERIFY(!error.contains(QLatin1String("u:p")));
    r.settings.insert(QStringLiteral("url"), QStringLiteral("https://host/dav/"));
    auto p = factory.create(r, context, &error);
    QVERIFY(p);
    QCOMPARE(p->kind(), QStringLiteral("webdav"));
}

namespace {

// A vault whose providers are the embedded local one and a WebDAV provider on `url`.
qint64 addWebDav(TestVault& v, const QString& url, const QString& folder)
{
    auto store = std::make_unique<PlaintextCredentialStore>(v.path(QStringLiteral("creds.json")));
    CredentialStore* s = store.get();
    v.vault->setCredentialStore(std::move(store));
    ProviderRecord r;
    r.kind = QStringLiteral("webdav");
    r.name = QStringLiteral("dav");
    r.settings.insert(QStringLiteral("url"), url);
    r.settings.insert(QStringLiteral("username"), WebDavPeer::user());
    r.settings.insert(QStringLiteral("folder"), folder);
    const qint64 id = v.registry().providerRows().addProvider(r).value_or(0);
    if (!id || !writeSecrets(*s, CredentialStore::providerKey(v.vault->id(), id),
                             {{QStringLiteral("password"), WebDavPeer::password()}}))
        return 0;
    auto* p = qobject_cast<NetworkProvider*>(v.vault->provider(id).get());
    if (!p)
        return 0;
    p->setRetryPolicy(quickRetries());
    return id;
}

} // namespace

void TestWebDavProvider::failingPutIsRetriedAtOneLevel()
{
    // Every upload answered 503: the put's request is tried as often as the provider's
    // RetryPolicy says, and the float does not put the chunk there again on top of that (it
    // did, up to four times: sixteen uploads of one chunk).
    FaultProxy proxy(m_peer.port());
    QVERIFY(proxy.listen());
    TestVault v;
    QVERIFY(v.ok());
    const qint64 dav = addWebDav(v, proxy.url(), QStringLiteral("once"));
    QVERIFY(dav);
    FaultProxy::Rule refuse = FaultProxy::Rule::httpStatus(503, QStringLiteral("/.partial/"), -1);
    refuse.method = "PUT";
    proxy.addRule(refuse);
    const QString source = v.path(QStringLiteral("one.bin"));
    QVERIFY(writePseudoRandomFile(source, 100 * 1024, 12)); // one chunk
    FloatJob::Request fr;
    fr.paths = {source};
    fr.modelName = QStringLiteral("once");
    fr.options.chunker = SmallChunks;
    fr.options.replication = 1;
    fr.options.providerIds = {dav};
    FloatJob f(v.vault.get(), fr);
    QVERIFY(run(f));
    QCOMPARE(f.failure(), FloatJob::Failure::Transfer);
    QCOMPARE(proxy.count("PUT"), quickRetries().maxAttempts);
}

void TestWebDavProvider::floatAndRestoreEndToEnd()
{
    TestVault v;
    QVERIFY(v.ok());
    const qint64 dav = addWebDav(v, m_peer.url(), QStringLiteral("e2e"));
    QVERIFY(dav);
    const QString source = v.path(QStringLiteral("model.bin"));
    QVERIFY(writePseudoRandomFile(source, 3 * MiB + 12345, 8));
    FloatJob::Request fr;
    fr.paths = {source};
    fr.modelName = QStringLiteral("m");
    fr.options.chunker = SmallChunks;
    fr.options.replication = 1;
    fr.options.providerIds = {dav};
    FloatJob f(v.vault.get(), fr);
    QVERIFY(run(f));
    QVERIFY2(f.failure() == FloatJob::Failure::None, qPrintable(f.error().message));
    QVERIFY(f.totals().chunks > 3);
    QCOMPARE(f.totals().chunksSent, f.totals().chunks);
    // Every chunk is on the WebDAV server under its CID.
    const auto file = v.registry().modelRows().file(
        v.registry().modelRows().modelByName(QStringLiteral("m"))->id, QStringLiteral("model.bin"));
    QVERIFY(file);
    for (const FileChunk& c : v.registry().modelRows().fileChunks(file->id)) {
        const QString path = m_peer.root() + QStringLiteral("/e2e/") +
                             c.cid.mid(c.cid.size() - 3, 2) + QLatin1Char('/') + c.cid;
        QCOMPARE(QFileInfo(path).size(), c.size);
    }
    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("m");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob r(v.vault.get(), rr);
    QVERIFY(run(r));
    QVERIFY2(r.failure() == RestoreJob::Failure::None, qPrintable(r.error().message));
    QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/model.bin"))), opensslSha256Hex(source));
}

void TestWebDavProvider::serverKilledMidFloatResumes()
{
    // A server of its own, so killing it does not disturb the other tests.
    WebDavPeer peer;
    QVERIFY2(peer.start(m_dir.filePath(QStringLiteral("killed"))), qPrintable(peer.errorString()));
    TestVault v;
    QVERIFY(v.ok());
    const qint64 dav = addWebDav(v, peer.url(), QStringLiteral("k"));
    QVERIFY(dav);
    const QString source = v.path(QStringLiteral("big.bin"));
    QVERIFY(writePseudoRandomFile(source, 8 * MiB, 9));
    FloatJob::Request fr;
    fr.paths = {source};
    fr.modelName = QStringLiteral("k");
    fr.options.chunker = SmallChunks;
    fr.options.replication = 1;
    fr.options.providerIds = {dav};
    const QString objects = peer.root() + QStringLiteral("/k");
    auto storedObjects = [&] {
        int n = 0;
        for (const QString& f : filesBelow(objects))
            if (!f.startsWith(QLatin1String(".partial/")))
                ++n;
        return n;
    };
    {
        FloatJob f(v.vault.get(), fr);
        QSignalSpy finished(&f, &FloatJob::finished);
        // Kill the server once a few chunks are stored.
        bool killed = false;
        connect(&f, &FloatJob::progress, &f, [&] {
            if (!killed && storedObjects() >= 3) {
                killed = true;
                peer.kill();
            }
        });
        f.start();
        QVERIFY(finished.wait(JobTimeoutMs));
        QCOMPARE(f.failure(), FloatJob::Failure::Transfer);
        QVERIFY(killed);
        QVERIFY2(f.error().message.contains(QLatin1String("127.0.0.1")) ||
                     f.error().message.contains(QLatin1String("dav")),
                 qPrintable(f.error().message));
        QVERIFY(!f.error().message.contains(WebDavPeer::password()));
    }
    const int storedBefore = storedObjects();
    QVERIFY(storedBefore >= 3);
    QVERIFY2(peer.restart(), qPrintable(peer.errorString()));
    FloatJob again(v.vault.get(), fr);
    QVERIFY(run(again));
    QVERIFY2(again.failure() == FloatJob::Failure::None, qPrintable(again.error().message));
    // What the first run stored (and recorded) is not sent again.
    const int total = again.totals().chunks;
    // Each object on the server was either recorded as stored or found by the put's check.
    QCOMPARE(again.totals().chunksSent, total - storedBefore);
    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("k");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob r(v.vault.get(), rr);
    QVERIFY(run(r));
    QVERIFY2(r.failure() == RestoreJob::Failure::None, qPrintable(r.error().message));
    QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/big.bin"))), opensslSha256Hex(source));
}

void TestWebDavProvider::apacheRfcStatuses()
{
    // Apache answers by the RFC: MKCOL 405 for an existing collection, 409 for a missing parent,
    // PUT 409 into a missing folder.
    ApacheDavPeer apache;
    QVERIFY2(apache.start(), qPrintable(apache.errorString()));
    FaultProxy proxy(apache.port()); // passes everything; records the statuses
    QVERIFY(proxy.listen());
    auto statusesOf = [&proxy](const QByteArray& method) {
        QList<int> out;
        for (const FaultProxy::Seen& s : proxy.seen())
            if (s.method == method)
                out.append(s.status);
        return out;
    };
    auto p = makeProvider(proxy.url(), QStringLiteral("models/vault"), WebDavPeer::password());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(150 * 1024, 20);
    const QString cid = cid::ofData(data);
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size())).ok());
    // The upload folder is made before the first PUT (a PUT into a missing folder can stall
    // against servers that answer before reading the body), so no PUT meets a 409.
    QVERIFY(!statusesOf("PUT").isEmpty());
    for (int status : statusesOf("PUT"))
        QVERIFY2(status == 201 || status == 204, qPrintable(QString::number(status)));
    QVERIFY(statusesOf("MKCOL").contains(409)); // models/ did not exist yet
    QCOMPARE(fileBytes(apache.root() + QStringLiteral("/models/vault/") +
                       cid.mid(cid.size() - 3, 2) + QLatin1Char('/') + cid),
             data);
    // A new adapter (nothing remembered) meets existing folders: 405 is "exists".
    proxy.clearSeen();
    auto again = makeProvider(proxy.url(), QStringLiteral("models/vault"), WebDavPeer::password());
    QVERIFY(again);
    // A chunk for the same shard folder as the first one.
    QByteArray other;
    QString otherCid;
    for (quint64 seed = 100;
         otherCid.isEmpty() || otherCid.right(3).left(2) != cid.right(3).left(2); ++seed) {
        other = pseudoRandomBytes(1024, seed);
        otherCid = cid::ofData(other);
    }
    QVERIFY(runProviderJob(again->put(otherCid, sourceOf(other), other.size())).ok());
    // .partial before the PUT, the shard folder before the MOVE: both exist already.
    QCOMPARE(statusesOf("MKCOL"), QList<int>({405, 405}));
    QVERIFY(runProviderJob(again->put(otherCid, sourceOf(other), other.size()),
                           [](ProviderJob& j) { QVERIFY(j.alreadyStored()); }));
    BufferSink sink;
    QVERIFY(runProviderJob(again->get(cid, &sink, 100, 1000)).ok());
    QCOMPARE(sink.bytes(), data.mid(100, 1000));
    QSet<QString> listed;
    QVERIFY(runProviderJob(again->list(), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        for (const StoredObject& o : j.objects())
            listed.insert(o.locator);
    }));
    QCOMPARE(listed, (QSet<QString>{cid, otherCid}));
    QVERIFY(runProviderJob(again->remove(cid)).ok());
    QCOMPARE(runProviderJob(again->stat(cid)).kind, Error::Kind::NotFound);
    QVERIFY(runProviderJob(again->remove(cid)).ok());
    QVERIFY(runProviderJob(again->usage()).ok());
    // Wrong password: Apache's 401, once.
    proxy.clearSeen();
    auto wrong = makeProvider(proxy.url(), QStringLiteral("models/vault"), QStringLiteral("nope"));
    QVERIFY(wrong);
    wrong->setRetryPolicy(RetryPolicy());
    QCOMPARE(runProviderJob(wrong->stat(otherCid)).kind, Error::Kind::Authentication);
    QCOMPARE(proxy.seen().size(), 1);
}

QTEST_GUILESS_MAIN(TestWebDavProvider)
#include "tst_webdavprovider.moc"
