// The vault's bandwidth limits, applied where bytes move: every provider kind (a local folder,
// WebDAV on rclone, S3 on s3rver, IPFS on js-ipfs), the Engine's settings and the command-line
// tool's --limit-upload / --limit-download. No test here measures time: the limiter runs on a
// clock the test moves by hand, and its own accounting (bytes granted, waits) is checked against
// what that clock allows and against the bytes the adapter actually handed on.

#include "chunking/cid.h"
#include "clitestsupport.h"
#include "credentials/plaintextcredentialstore.h"
#include "engine/engineworker.h"
#include "ipfspeer.h"
#include "networkprovidertest.h"
#include "providers/providerfactory.h"
#include "s3peer.h"
#include "testsupport.h"
#include "testvault.h"
#include "vault/vault.h"
#include "webdavpeer.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QUuid>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

constexpr qint64 Rate = 1 << 20;           // 1 MiB/s
constexpr qint64 ChunkBytes = Rate + 4096; // about 15 turns of the limiter's clock

QByteArray randomBytes(qint64 size)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator gen{quint32(size)};
    for (char& c : data)
        c = char(gen.generate());
    return data;
}

// What a bucket holds at `rate` (the limiter's rule: a tenth of a second, at least 4 KiB).
qint64 bucketBytes(qint64 rate)
{
    return qMax<qint64>(4096, rate / 10);
}

} // namespace

class TestBandwidth final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void everyProviderKind_data();
    void everyProviderKind();
    void engineAppliesLimits();
    void cliOptions();

private:
    std::unique_ptr<Provider> make(const QString& kind, const QString& root);
    void runHeld(ProviderJob* job, BandwidthLimiter::Direction direction, qint64 total,
                 const std::function<qint64()>& handedOn, Error* error);

    QTemporaryDir m_dir;
    std::unique_ptr<PlaintextCredentialStore> m_store;
    // The limiter's clock, moved only by runHeld() (the local provider's workers read it too).
    std::atomic<qint64> m_now{0};
    std::shared_ptr<BandwidthLimiter> m_limiter =
        std::make_shared<BandwidthLimiter>([this] { return m_now.load(); });
    WebDavPeer m_dav;
    S3Peer m_s3;
    IpfsPeer m_ipfs;
    qint64 m_nextId = 0;
};

void TestBandwidth::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_store = std::make_unique<PlaintextCredentialStore>(
        m_dir.filePath(QStringLiteral("credentials.json")));
    QVERIFY2(m_dav.start(m_dir.filePath(QStringLiteral("dav"))), qPrintable(m_dav.errorString()));
    QVERIFY2(m_s3.start(), qPrintable(m_s3.errorString()));
    QVERIFY2(m_ipfs.start(m_dir.filePath(QStringLiteral("ipfs"))),
             qPrintable(m_ipfs.errorString()));
}

// An adapter of `kind`, made by the factory as the vault makes it, sharing m_limiter.
std::unique_ptr<Provider> TestBandwidth::make(const QString& kind, const QString& root)
{
    ProviderRecord r;
    r.id = ++m_nextId;
    r.kind = kind;
    r.name = kind;
    QJsonObject secrets;
    if (kind == QLatin1String("local")) {
        r.settings.insert(QStringLiteral("path"), root);
    } else if (kind == QLatin1String("webdav")) {
        r.settings.insert(QStringLiteral("url"), m_dav.url());
        r.settings.insert(QStringLiteral("username"), WebDavPeer::user());
        secrets.insert(QStringLiteral("password"), WebDavPeer::password());
    } else if (kind == QLatin1String("s3")) {
        r.settings = m_s3.providerSettings();
        secrets.insert(QStringLiteral("secretAccessKey"), QString::fromLatin1(S3Peer::Secret));
    } else if (kind == QLatin1String("ipfs")) {
        r.settings.insert(QStringLiteral("apiUrl"), m_ipfs.apiUrl());
    }
    ProviderContext context;
    context.credentials = m_store.get();
    context.vaultId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    context.tempDirectory = m_dir.path();
    context.bandwidth = m_limiter;
    if (!secrets.isEmpty() &&
        !writeSecrets(*m_store, CredentialStore::providerKey(context.vaultId, r.id), secrets))
        return nullptr;
    QString error;
    ProviderFactory factory;
    std::unique_ptr<Provider> p = factory.create(r, context, &error);
    if (!p)
        qWarning("%s", qPrintable(error));
    return p;
}

void TestBandwidth::everyProviderKind_data()
{
    QTest::addColumn<QString>("kind");
    for (const char* kind : {"local", "webdav", "s3", "ipfs"})
        QTest::newRow(kind) << QString::fromLatin1(kind);
}

// Runs `job` under the limit already set for `direction`, with the limiter's clock standing
// still and then moving 100 ms at a time; half-way the limit is halved (a change while it runs).
// Checked throughout: the job cannot end while the clock stands still, the limiter never grants
// more than its first bucket plus what its rate allowed for the time that passed on its clock,
// and the adapter hands on (`handedOn`) no more than the limiter granted.
void TestBandwidth::runHeld(ProviderJob* job, BandwidthLimiter::Direction direction, qint64 total,
                            const std::function<qint64()>& handedOn, Error* error)
{
    std::unique_ptr<ProviderJob> owned(job);
    bool done = false;
    connect(job, &ProviderJob::finished, this, [&] {
        done = true;
        *error = job->error();
    });
    qint64 rate = m_limiter->limit(direction);
    const qint64 movedBefore = m_limiter->moved(direction);
    const qint64 waitsBefore = m_limiter->waits(direction);
    const auto moved = [&] { return m_limiter->moved(direction) - movedBefore; };
    const auto describe = [&](qint64 allowed) {
        return qPrintable(QStringLiteral("%1 bytes granted, %2 allowed, %3 handed on")
                              .arg(moved())
                              .arg(allowed)
                              .arg(handedOn()));
    };
    job->start();
    // The clock stands still: once the limiter has said "wait" a few times, only the first
    // bucket has gone and the job is still running.
    QVERIFY(QTest::qWaitFor([&] { return m_limiter->waits(direction) >= waitsBefore + 3 || done; },
                            JobTimeoutMs));
    QVERIFY2(!done, "the transfer ended while the limiter's clock stood still");
    qint64 allowed = bucketBytes(rate);
    QVERIFY2(moved() <= allowed && handedOn() <= moved(), describe(allowed));
    bool halved = false;
    while (!done) {
        if (moved() >= total) { // all granted: the answer is what is left
            QVERIFY(QTest::qWaitFor([&] { return done; }, JobTimeoutMs));
            break;
        }
        if (!halved && moved() >= total / 2) {
            rate /= 2;
            m_limiter->setLimit(direction, rate);
            halved = true;
        }
        const qint64 before = moved();
        m_now += 100;
        allowed += rate / 10;
        QVERIFY(QTest::qWaitFor([&] { return done || moved() > before; }, JobTimeoutMs));
        QVERIFY2(moved() <= allowed && handedOn() <= moved(), describe(allowed));
    }
    QVERIFY(halved);
    QVERIFY2(moved() >= total, describe(allowed));
}

// A put is held to the upload limit and a get to the download limit, each with a real server,
// and each direction carries only its own bytes.
void TestBandwidth::everyProviderKind()
{
    using Direction = BandwidthLimiter::Direction;
    QFETCH(QString, kind);
    const QString root = m_dir.filePath(QStringLiteral("local"));
    QDir().mkpath(root);
    std::unique_ptr<Provider> p = make(kind, root);
    QVERIFY(p);
    const QByteArray data = randomBytes(ChunkBytes + m_nextId);
    const QString cid = cid::ofData(data);

    m_limiter->setLimits(Rate, 0);
    const qint64 downloadBefore = m_limiter->moved(Direction::Download);
    QString locator;
    ProviderJob* put = p->put(cid, sourceOf(data), data.size());
    connect(put, &ProviderJob::finished, this, [&] { locator = put->locator(); });
    Error e;
    runHeld(
        put, Direction::Upload, data.size(), [] { return qint64(0); }, &e);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(e.ok(), qPrintable(e.message));
    QVERIFY(m_limiter->moved(Direction::Download) - downloadBefore < 64 * 1024);

    m_limiter->setLimits(0, Rate);
    const qint64 uploadBefore = m_limiter->moved(Direction::Upload);
    BufferSink sink;
    runHeld(
        p->get(locator, &sink), Direction::Download, data.size(),
        [&sink] { return qint64(sink.bytes().size()); }, &e);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(e.ok(), qPrintable(e.message));
    QCOMPARE(sink.bytes(), data);
    QVERIFY(m_limiter->moved(Direction::Upload) - uploadBefore < 64 * 1024);
    m_limiter->setLimits(0, 0);
}

// The app's settings reach the vault's limiter, which every adapter asks for each piece (as
// above): set before the vault opens, and changed while it is open.
void TestBandwidth::engineAppliesLimits()
{
    using Direction = BandwidthLimiter::Direction;
    TestVault vault;
    QVERIFY(vault.ok());
    const QString vaultDir = vault.vault->directory();
    vault.vault.reset();

    std::atomic<qint64> ids{0};
    EngineWorker worker(&ids);
    worker.setBandwidthLimits(3 * Rate, 5 * Rate);
    QSignalSpy opened(&worker, &EngineWorker::opened);
    worker.open(vaultDir);
    QVERIFY(opened.size() == 1 || opened.wait(JobTimeoutMs));
    QCOMPARE(opened.first().first().toString(), QString());
    QVERIFY(worker.vault());
    const std::shared_ptr<BandwidthLimiter> limiter = worker.vault()->bandwidth();
    QCOMPARE(limiter->limit(Direction::Upload), 3 * Rate);
    QCOMPARE(limiter->limit(Direction::Download), 5 * Rate);
    worker.setBandwidthLimits(Rate, 0);
    QCOMPARE(limiter->limit(Direction::Upload), Rate);
    QCOMPARE(limiter->limit(Direction::Download), 0);
    worker.shutdown();
}

// modelfloat-cli: --limit-upload and --limit-download are taken by every command (a float and
// a restore under them end bit-exact; that the vault's limiter holds them is tested above); a bad
// rate is a usage error.
void TestBandwidth::cliOptions()
{
    TestVault vault;
    QVERIFY(vault.ok());
    const QString vaultDir = vault.vault->directory();
    vault.vault.reset();
    const QString file = vault.path(QStringLiteral("weights.bin"));
    constexpr qint64 Size = Rate;
    QVERIFY(writeFile(file, randomBytes(Size)));
    const QString cli = mf::test::cliPath();

    CliRun r = runWithInput(cli, {QStringLiteral("float"), file, QStringLiteral("--name"),
                                  QStringLiteral("w"), QStringLiteral("--vault"), vaultDir,
                                  QStringLiteral("--quiet"), QStringLiteral("--limit-upload"),
                                  QStringLiteral("1M")});
    QVERIFY2(r.code == 0, r.describe().constData());

    const QString out = vault.path(QStringLiteral("out"));
    // (before the command, as the global options may be)
    r = runWithInput(cli, {QStringLiteral("--limit-download"), QStringLiteral("1M"),
                           QStringLiteral("restore"), QStringLiteral("w"), QStringLiteral("--to"),
                           out, QStringLiteral("--vault"), vaultDir, QStringLiteral("--quiet")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/weights.bin")), opensslSha256Hex(file));

    r = runWithInput(cli, {QStringLiteral("verify"), QStringLiteral("w"), QStringLiteral("--vault"),
                           vaultDir, QStringLiteral("--limit-download"), QStringLiteral("fast")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--limit-download takes a rate"), r.describe().constData());
}

QTEST_GUILESS_MAIN(TestBandwidth)
#include "tst_bandwidth.moc"
