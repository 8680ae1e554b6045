// IpfsProvider against a real IPFS node (js-ipfs 0.66 `jsipfs daemon --offline`, started once
// for the suite in a fresh repository on free ports): blocks whose locator is the chunk's own
// CID (checked against the node's answer), chunks above the block limit stored as UnixFS DAGs
// and read back in ranges with `cat`, pins as the record of what is stored, the optional
// gateway, missing objects, bad addresses, faults from FaultProxy, a node killed in the middle
// of a float, and FloatJob + RestoreJob end to end with IPFS as the only provider.

#include "chunking/cid.h"
#include "credentials/plaintextcredentialstore.h"
#include "faultproxy.h"
#include "ipfspeer.h"
#include "networkprovidertest.h"
#include "providers/ipfs/ipfscid.h"
#include "providers/ipfs/ipfsprovider.h"
#include "providers/providerfactory.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

const QString VaultId = QStringLiteral("00000000-0000-4000-8000-000000000002");

RetryPolicy quickRetries()
{
    RetryPolicy p;
    p.maxAttempts = 3;
    p.baseDelayMs = 20;
    p.maxDelayMs = 100;
    return p;
}

// Chunks of 128 KiB to 3 MiB: some fit in a block, some need a DAG.
const ChunkerParams MixedChunks = ChunkerParams::contentDefined(128 * KiB, MiB, 3 * MiB);

QSet<QString> listed(IpfsProvider& p)
{
    QSet<QString> out;
    runProviderJob(p.list(), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        for (const StoredObject& o : j.objects())
            out.insert(o.locator);
    });
    return out;
}

} // namespace

class TestIpfsProvider final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void decodesCidSpellings();
    void blockRoundTrip();
    void blockLimitBoundary();
    void largeChunkAsDag();
    void readsThroughGateway();
    void missingObjects();
    void usage();
    void badAddresses();
    void retriesAndResumes();
    void factoryMakesIt();
    void floatAndRestoreFromIpfsOnly();
    void nodeKilledMidFloatResumes();

private:
    std::unique_ptr<IpfsProvider> makeProvider(const QString& api, const QString& gateway = {});

    QTemporaryDir m_dir;
    IpfsPeer m_peer;
    std::unique_ptr<PlaintextCredentialStore> m_store;
};

void TestIpfsProvider::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_peer.start(m_dir.filePath(QStringLiteral("node"))),
             qPrintable(m_peer.errorString() + m_peer.output()));
    m_store = std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("credentials.json")));
}

std::unique_ptr<IpfsProvider> TestIpfsProvider::makeProvider(const QString& api,
                                                             const QString& gateway)
{
    ProviderContext context;
    context.credentials = m_store.get();
    context.vaultId = VaultId;
    context.tempDirectory = m_dir.path();
    IpfsProvider::Options o;
    o.apiUrl = api;
    o.gatewayUrl = gateway;
    o.lookupTimeoutMs = 1500;
    QString error;
    // No secret stored under this key: the node needs no authorization.
    auto p = IpfsProvider::create(QStringLiteral("node"), context,
                                  CredentialStore::providerKey(VaultId, 1), o, &error);
    if (!p)
        qWarning("%s", qPrintable(error));
    else
        p->setRetryPolicy(quickRetries());
    return p;
}

void TestIpfsProvider::decodesCidSpellings()
{
    // One raw CID in the spellings nodes answer with (TEST-PEERS.md fixtures).
    const QString b32 =
        QStringLiteral("bafkreiaqagdj3poekh5c3qqe354rymzlcmnmg3g5y3gkafxs3c66qvmyta");
    QCOMPARE(cid::ofData("raw block bytes"), b32);
    const QByteArray bin = ipfscid::decode(b32);
    QCOMPARE(bin.size(), 36);
    QCOMPARE(ipfscid::codec(bin), ipfscid::CodecRaw);
    QCOMPARE(ipfscid::decode(QStringLiteral("zb2rhXim4msZzYPs9J4P4ZnyMKwDPyMkVfH4C1P1RjnXu5wcs")),
             bin);
    QCOMPARE(ipfscid::normalize(b32.toUpper().replace(0, 1, QLatin1Char('B'))), b32);
    // CIDv0 is dag-pb with the same multihash form.
    const QByteArray v0 =
        ipfscid::decode(QStringLiteral("QmdRUdHo32RKs3wqT4cM6KrQwVszSvRgerVZgQ1PBxuhPa"));
    QCOMPARE(ipfscid::codec(v0), ipfscid::CodecDagPb);
    QCOMPARE(ipfscid::multihash(v0).size(), 34);
    QVERIFY(ipfscid::decode(QStringLiteral("not-a-cid")).isEmpty());
    QVERIFY(ipfscid::decode(QStringLiteral("z0OIl")).isEmpty());
    QVERIFY(ipfscid::decode(QString()).isEmpty());
}

void TestIpfsProvider::blockRoundTrip()
{
    auto p = makeProvider(m_peer.apiUrl());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(200 * 1024 + 3, 1);
    const QString cid = cid::ofData(data);
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size()), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        QCOMPARE(j.locator(), cid); // the chunk's own CID: any IPFS tool can fetch it
        QVERIFY(!j.alreadyStored());
    }));
    QVERIFY(listed(*p).contains(cid));
    QVERIFY(runProviderJob(p->stat(cid), [&](ProviderJob& j) {
        QVERIFY(j.error().ok());
        QCOMPARE(j.objectSize(), data.size());
    }));
    struct Range
    {
        qint64 offset, length;
    };
    for (const Range r :
         {Range{0, -1}, Range{0, 1}, Range{777, 5000}, Range{data.size() - 5, -1}}) {
        BufferSink sink;
        QVERIFY(runProviderJob(p->get(cid, &sink, r.offset, r.length)).ok());
        QCOMPARE(sink.bytes(), data.mid(r.offset, r.length));
    }
    // Beyond the end is an error, not a short read.
    BufferSink beyond;
    QCOMPARE(runProviderJob(p->get(cid, &beyond, data.size() - 5, 100)).kind, Error::Kind::Fatal);
    // Pinned already: nothing is sent again.
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size()), [](ProviderJob& j) {
        QVERIFY(j.error().ok());
        QVERIFY(j.alreadyStored());
    }));
    QVERIFY(runProviderJob(p->remove(cid)).ok());
    QVERIFY(!listed(*p).contains(cid));
    QVERIFY(runProviderJob(p->remove(cid)).ok()); // not pinned any more: still a success
}

void TestIpfsProvider::blockLimitBoundary()
{
    auto p = makeProvider(m_peer.apiUrl());
    QVERIFY(p);
    const qint64 limit = IpfsProvider::Options().maxBlockPutBytes;
    // The largest block: js-ipfs takes it (its limit counts the multipart envelope too).
    const QByteArray fits = pseudoRandomBytes(limit, 2);
    QVERIFY(
        runProviderJob(p->put(cid::ofData(fits), sourceOf(fits), fits.size()), [&](ProviderJob& j) {
            QVERIFY2(j.error().ok(), qPrintable(j.error().message));
            QCOMPARE(j.locator(), cid::ofData(fits));
        }));
    // One byte more goes the `add` way; it still fits in one 1 MiB leaf, and a single raw leaf
    // is the file's root: the locator is again the chunk's CID.
    const QByteArray over = pseudoRandomBytes(limit + 1, 3);
    QVERIFY(
        runProviderJob(p->put(cid::ofData(over), sourceOf(over), over.size()), [&](ProviderJob& j) {
            QVERIFY2(j.error().ok(), qPrintable(j.error().message));
            QCOMPARE(j.locator(), cid::ofData(over));
        }));
    // Above one leaf: a dag-pb root, not the chunk's CID.
    const QByteArray twoLeaves = pseudoRandomBytes(IpfsProvider::Options().leafBytes + 1, 33);
    QString locator;
    QVERIFY(runProviderJob(p->put(cid::ofData(twoLeaves), sourceOf(twoLeaves), twoLeaves.size()),
                           [&](ProviderJob& j) {
                               QVERIFY2(j.error().ok(), qPrintable(j.error().message));
                               locator = j.locator();
                           }));
    QVERIFY(locator != cid::ofData(twoLeaves));
    QCOMPARE(ipfscid::codec(ipfscid::decode(locator)), ipfscid::CodecDagPb);
    for (const QByteArray& d : {over, twoLeaves}) {
        BufferSink sink;
        const QString l = d.size() == over.size() ? cid::ofData(over) : locator;
        QVERIFY(runProviderJob(p->get(l, &sink)).ok());
        QCOMPARE(cid::ofData(sink.bytes()), cid::ofData(d));
    }
}

void TestIpfsProvider::largeChunkAsDag()
{
    auto p = makeProvider(m_peer.apiUrl());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(3 * MiB + 99, 4);
    const QString cid = cid::ofData(data);
    QString locator;
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size()), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        locator = j.locator();
    }));
    QVERIFY(locator.startsWith(QLatin1String("bafybei"))); // dag-pb, sha2-256, base32
    QVERIFY(listed(*p).contains(locator));
    QVERIFY(runProviderJob(p->stat(locator), [&](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        QCOMPARE(j.objectSize(), data.size());
    }));
    struct Range
    {
        qint64 offset, length;
    };
    // Whole, across a leaf boundary (leaves are 1 MiB), and the tail.
    for (const Range r : {Range{0, -1}, Range{MiB - 100, 200}, Range{2 * MiB + 5, -1}}) {
        BufferSink sink;
        QVERIFY(runProviderJob(p->get(locator, &sink, r.offset, r.length)).ok());
        QCOMPARE(sink.bytes(), data.mid(r.offset, r.length));
    }
    QVERIFY(runProviderJob(p->remove(locator)).ok());
    QVERIFY(!listed(*p).contains(locator));
}

void TestIpfsProvider::readsThroughGateway()
{
    auto p = makeProvider(m_peer.apiUrl(), m_peer.gatewayUrl());
    QVERIFY(p);
    FaultProxy api(QUrl(m_peer.apiUrl()).port());
    QVERIFY(api.listen());
    const QByteArray small = pseudoRandomBytes(100 * 1024, 5);
    const QByteArray large = pseudoRandomBytes(2 * MiB + 1, 6);
    QStringList locators;
    for (const QByteArray& d : {small, large})
        QVERIFY(runProviderJob(p->put(cid::ofData(d), sourceOf(d), d.size()),
                               [&](ProviderJob& j) { locators.append(j.locator()); }));
    BufferSink a, b;
    QVERIFY(runProviderJob(p->get(locators[0], &a, 10, 1000)).ok());
    QCOMPARE(a.bytes(), small.mid(10, 1000));
    QVERIFY(runProviderJob(p->get(locators[1], &b, MiB, -1)).ok());
    QCOMPARE(b.bytes(), large.mid(MiB));
}

void TestIpfsProvider::missingObjects()
{
    auto p = makeProvider(m_peer.apiUrl());
    QVERIFY(p);
    const QString absent = cid::ofData("never stored on this node");
    QCOMPARE(runProviderJob(p->stat(absent)).kind, Error::Kind::NotFound);
    QVERIFY(runProviderJob(p->remove(absent)).ok());
    BufferSink sink;
    QCOMPARE(runProviderJob(p->get(QStringLiteral("../etc"), &sink)).kind, Error::Kind::NotFound);
    QCOMPARE(runProviderJob(p->put(QStringLiteral("bogus"), sourceOf("x"), 1)).kind,
             Error::Kind::NotFound);
}

void TestIpfsProvider::usage()
{
    auto p = makeProvider(m_peer.apiUrl());
    QVERIFY(p);
    QVERIFY(runProviderJob(p->usage(), [](ProviderJob& j) {
        QVERIFY2(j.error().ok(), qPrintable(j.error().message));
        QVERIFY(j.usage().usedBytes > 0);
    }));
}

void TestIpfsProvider::badAddresses()
{
    // The gateway is not an RPC API: a readable error, not a retry loop.
    auto gw = makeProvider(m_peer.gatewayUrl());
    QVERIFY(gw);
    const Error e = runProviderJob(gw->usage());
    QCOMPARE(e.kind, Error::Kind::Fatal);
    QVERIFY2(e.message.contains(QLatin1String("RPC API")), qPrintable(e.message));
    // Nothing listening: retried, then a message that says so.
    auto none = makeProvider(QStringLiteral("http://127.0.0.1:%1").arg(PeerProcess::freePort()));
    QVERIFY(none);
    const Error refused = runProviderJob(none->usage());
    QCOMPARE(refused.kind, Error::Kind::Retryable);
    QVERIFY2(refused.message.contains(QLatin1String("running")), qPrintable(refused.message));
    IpfsProvider::Options o;
    o.apiUrl = QStringLiteral("http://user:pw@127.0.0.1:5001");
    QString error;
    QVERIFY(!IpfsProvider::normalize(&o, &error));
    QVERIFY(!error.contains(QLatin1String("pw")));
    o.apiUrl = QStringLiteral(" http://127.0.0.1:5001/api/v0/ ");
    QVERIFY(IpfsProvider::normalize(&o, &error));
    QCOMPARE(o.apiUrl, QStringLiteral("http://127.0.0.1:5001/api/v0/"));
}

void TestIpfsProvider::retriesAndResumes()
{
    FaultProxy proxy(QUrl(m_peer.apiUrl()).port());
    QVERIFY(proxy.listen());
    auto p = makeProvider(proxy.url());
    QVERIFY(p);
    const QByteArray data = pseudoRandomBytes(300 * 1024, 7);
    const QString cid = cid::ofData(data);
    proxy.addRule(FaultProxy::Rule::status503(QStringLiteral("block/put")));
    proxy.addRule(FaultProxy::Rule::tooManyRequests("0", QStringLiteral("pin/add")));
    QVERIFY(runProviderJob(p->put(cid, sourceOf(data), data.size())).ok());
    QCOMPARE(proxy.faultsInjected(), 2);
    // A block read cut short is read again and the window kept.
    proxy.addRule(
        FaultProxy::Rule::of(FaultProxy::Fault::TruncatedBody, {}, QStringLiteral("block/get")));
    BufferSink sink;
    QVERIFY(runProviderJob(p->get(cid, &sink, 100, 200000)).ok());
    QCOMPARE(sink.bytes(), data.mid(100, 200000));
    // A cat cut short resumes at the byte it stopped at.
    const QByteArray big = pseudoRandomBytes(2 * MiB, 8);
    QString root;
    QVERIFY(runProviderJob(p->put(cid::ofData(big), sourceOf(big), big.size()),
                           [&](ProviderJob& j) { root = j.locator(); }));
    proxy.clearSeen();
    proxy.addRule(
        FaultProxy::Rule::of(FaultProxy::Fault::TruncatedBody, {}, QStringLiteral("cat")));
    BufferSink catSink;
    QVERIFY(runProviderJob(p->get(root, &catSink)).ok());
    QCOMPARE(catSink.bytes(), big);
    QCOMPARE(proxy.count("POST", QStringLiteral("cat")), 2);
    bool resumedAtOffset = false;
    for (const FaultProxy::Seen& s : proxy.seen())
        if (s.path.contains(QLatin1String("cat")) && !s.path.contains(QLatin1String("offset=0&")))
            resumedAtOffset = true;
    QVERIFY(resumedAtOffset);
}

void TestIpfsProvider::factoryMakesIt()
{
    ProviderFactory factory;
    const ProviderKind* kind = factory.kind(QStringLiteral("ipfs"));
    QVERIFY(kind);
    QVERIFY(kind->field(QStringLiteral("apiUrl"))->required);
    QVERIFY(kind->field(QStringLiteral("authorization"))->isSecret());
    QVERIFY(!kind->field(QStringLiteral("authorization"))->required);
    ProviderRecord r;
    r.id = 7;
    r.kind = QStringLiteral("ipfs");
    r.name = QStringLiteral("node");
    r.settings.insert(QStringLiteral("apiUrl"), m_peer.apiUrl());
    QString error;
    ProviderContext context; // no credential store: the node needs no authorization
    auto p = factory.create(r, context, &error);
    QVERIFY2(p, qPrintable(error));
    QVERIFY(runProviderJob(p->usage()).ok());
}

namespace {

qint64 addIpfs(TestVault& v, const QString& api)
{
    v.vault->setCredentialStore(
        std::make_unique<PlaintextCredentialStore>(v.path(QStringLiteral("creds.json"))));
    ProviderRecord r;
    r.kind = QStringLiteral("ipfs");
    r.name = QStringLiteral("ipfs");
    r.settings.insert(QStringLiteral("apiUrl"), api);
    const qint64 id = v.registry().providerRows().addProvider(r).value_or(0);
    auto* p = id ? qobject_cast<NetworkProvider*>(v.vault->provider(id).get()) : nullptr;
    if (!p)
        return 0;
    p->setRetryPolicy(quickRetries());
    return id;
}

} // namespace

void TestIpfsProvider::floatAndRestoreFromIpfsOnly()
{
    TestVault v;
    QVERIFY(v.ok());
    const qint64 ipfs = addIpfs(v, m_peer.apiUrl());
    QVERIFY(ipfs);
    const QString source = v.path(QStringLiteral("model.bin"));
    QVERIFY(writePseudoRandomFile(source, 8 * MiB + 4321, 9));
    FloatJob::Request fr;
    fr.paths = {source};
    fr.modelName = QStringLiteral("m");
    fr.options.chunker = MixedChunks;
    fr.options.replication = 1;
    fr.options.providerIds = {ipfs};
    FloatJob f(v.vault.get(), fr);
    QVERIFY(run(f));
    QVERIFY2(f.failure() == FloatJob::Failure::None, qPrintable(f.error().message));
    const auto file = v.registry().modelRows().file(
        v.registry().modelRows().modelByName(QStringLiteral("m"))->id, QStringLiteral("model.bin"));
    QVERIFY(file);
    int asBlock = 0, asDag = 0;
    const qint64 leaf = IpfsProvider::Options().leafBytes;
    for (const FileChunk& c : v.registry().modelRows().fileChunks(file->id)) {
        const QList<Placement> placements = v.registry().placementRows().placements(c.cid);
        QCOMPARE(placements.size(), 1);
        QCOMPARE(placements.first().providerId, ipfs);
        if (c.size <= leaf) {
            QCOMPARE(placements.first().locator, c.cid); // the locator is the chunk's CID
            ++asBlock;
        } else {
            QCOMPARE(ipfscid::codec(ipfscid::decode(placements.first().locator)),
                     ipfscid::CodecDagPb);
            ++asDag;
        }
    }
    QVERIFY2(asBlock > 0 && asDag > 0,
             qPrintable(QStringLiteral("%1 blocks, %2 DAGs").arg(asBlock).arg(asDag)));
    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("m");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob r(v.vault.get(), rr);
    QVERIFY(run(r));
    QVERIFY2(r.failure() == RestoreJob::Failure::None, qPrintable(r.error().message));
    QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/model.bin"))), opensslSha256Hex(source));
}

void TestIpfsProvider::nodeKilledMidFloatResumes()
{
    // Last: it kills the suite's node and starts it again on the same repository.
    TestVault v;
    QVERIFY(v.ok());
    const qint64 ipfs = addIpfs(v, m_peer.apiUrl());
    QVERIFY(ipfs);
    auto observer = makeProvider(m_peer.apiUrl());
    QVERIFY(observer);
    const QSet<QString> pinnedBefore = listed(*observer);
    const QString source = v.path(QStringLiteral("big.bin"));
    QVERIFY(writePseudoRandomFile(source, 8 * MiB, 10));
    FloatJob::Request fr;
    fr.paths = {source};
    fr.modelName = QStringLiteral("k");
    // Every chunk fits in a block, so "already pinned" is checked before each put.
    fr.options.chunker = ChunkerParams::contentDefined(64 * KiB, 256 * KiB, 512 * KiB);
    fr.options.replication = 1;
    fr.options.providerIds = {ipfs};
    {
        FloatJob f(v.vault.get(), fr);
        QSignalSpy finished(&f, &FloatJob::finished);
        bool killed = false;
        connect(&f, &FloatJob::progress, &f, [&] {
            if (!killed && f.progressNow().bytesDone > 2 * MiB) {
                killed = true;
                m_peer.kill();
            }
        });
        f.start();
        QVERIFY(finished.wait(JobTimeoutMs));
        QVERIFY(killed);
        QCOMPARE(f.failure(), FloatJob::Failure::Transfer);
        QVERIFY(!f.error().message.isEmpty());
    }
    QVERIFY2(m_peer.restart(), qPrintable(m_peer.errorString() + m_peer.output()));
    const QSet<QString> pinnedByFirstRun = listed(*observer) - pinnedBefore;
    QVERIFY(!pinnedByFirstRun.isEmpty());
    FloatJob again(v.vault.get(), fr);
    QVERIFY(run(again));
    QVERIFY2(again.failure() == FloatJob::Failure::None, qPrintable(again.error().message));
    // What the first run stored is not sent again: recorded, or found pinned.
    QCOMPARE(again.totals().chunksSent, again.totals().chunks - int(pinnedByFirstRun.size()));
    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("k");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob r(v.vault.get(), rr);
    QVERIFY(run(r));
    QVERIFY2(r.failure() == RestoreJob::Failure::None, qPrintable(r.error().message));
    QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/big.bin"))), opensslSha256Hex(source));
}

QTEST_GUILESS_MAIN(TestIpfsProvider)
#include "tst_ipfsprovider.moc"
