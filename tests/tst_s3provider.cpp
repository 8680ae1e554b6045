// The S3 adapter: its settings, and every operation against a real S3 server (s3rver) behind a
// proxy that checks each signature with the AWS SDK's own signer and each body against its
// x-amz-content-sha256. Then floats and restores through it, with the server killed half-way
// and with a full quota. The signer, the XML and the error codes are tst_s3protocol's.

#include "chunking/cid.h"
#include "credentials/credentialstore.h"
#include "networkprovidertest.h"
#include "providers/providerfactory.h"
#include "providers/s3/s3provider.h"
#include "providers/s3/sigv4signer.h"
#include "s3peer.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"

#include <QUuid>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using s3::SigV4Signer;

namespace {

const QString ProviderName = QStringLiteral("test bucket");

// Fast retries: the tests wait for them.
RetryPolicy quickRetries()
{
    RetryPolicy p;
    p.maxAttempts = 4;
    p.baseDelayMs = 20;
    p.maxDelayMs = 200;
    return p;
}

} // namespace

class TestS3Provider final : public QObject
{
    Q_OBJECT

private:
    // An adapter made by the factory from a provider record, its secret in a real (plaintext
    // file) credential store, its objects under a prefix of their own.
    std::unique_ptr<S3Provider>
    makeProvider(const QJsonObject& extra = {}, qint64 quota = -1,
                 const QString& secret = QString::fromLatin1(S3Peer::Secret))
    {
        ProviderRecord r;
        r.id = ++m_nextId;
        r.kind = QStringLiteral("s3");
        r.name = ProviderName;
        r.settings = m_peer.providerSettings();
        for (auto it = extra.begin(); it != extra.end(); ++it)
            r.settings.insert(it.key(), it.value());
        r.quotaBytes = quota;
        m_vaultId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        if (!secret.isNull() &&
            !writeSecrets(*m_store, CredentialStore::providerKey(m_vaultId, r.id),
                          {{QStringLiteral("secretAccessKey"), secret}}))
            return nullptr;
        ProviderFactory factory;
        QString error;
        std::unique_ptr<Provider> made =
            factory.create(r, ProviderContext{m_store.get(), m_vaultId, m_dir.path()}, &error);
        if (!made) {
            qWarning("%s", qPrintable(error));
            return nullptr;
        }
        auto* p = qobject_cast<S3Provider*>(made.get());
        if (!p)
            return nullptr;
        made.release();
        p->setRetryPolicy(quickRetries());
        return std::unique_ptr<S3Provider>(p);
    }

    // Puts `data` as its chunk; returns the job's error and sets *locator.
    Error put(Provider& p, const QByteArray& data, QString* locator = nullptr,
              bool* alreadyStored = nullptr)
    {
        Error e = Error::make(Error::Kind::Fatal, QStringLiteral("did not finish"));
        runProviderJob(p.put(cid::ofData(data), sourceOf(data), data.size()), [&](ProviderJob& j) {
            e = j.error();
            if (locator)
                *locator = j.locator();
            if (alreadyStored)
                *alreadyStored = j.alreadyStored();
        });
        return e;
    }
    Error get(Provider& p, const QString& locator, QByteArray* out, qint64 offset = 0,
              qint64 length = -1)
    {
        BufferSink sink;
        const Error e = runProviderJob(p.get(locator, &sink, offset, length));
        *out = sink.bytes();
        return e;
    }
    Error stat(Provider& p, const QString& locator, qint64* size)
    {
        Error e = Error::make(Error::Kind::Fatal, QStringLiteral("did not finish"));
        runProviderJob(p.stat(locator), [&](ProviderJob& j) {
            e = j.error();
            *size = j.objectSize();
        });
        return e;
    }
    void checkNoSecret(const QString& message)
    {
        QVERIFY2(!message.contains(QLatin1String("wrong-secret-value")), qPrintable(message));
        QVERIFY2(!message.contains(QLatin1String("Signature=")), qPrintable(message));
    }

    S3Peer m_peer;
    QTemporaryDir m_dir;
    std::unique_ptr<PlaintextCredentialStore> m_store;
    QString m_vaultId;
    qint64 m_nextId = 0;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_store = std::make_unique<PlaintextCredentialStore>(
            m_dir.filePath(QStringLiteral("credentials.json")));
        QVERIFY2(m_peer.start(), qPrintable(m_peer.errorString()));
    }

    // --- no server needed ---

    void kindDescribesItsFields()
    {
        ProviderFactory factory;
        const ProviderKind* k = factory.kind(QStringLiteral("s3"));
        QVERIFY(k);
        for (const char* key :
             {"endpoint", "region", "bucket", "addressing", "prefix", "accessKeyId",
              "secretAccessKey", "multipartThreshold", "concurrency"})
            QVERIFY2(k->field(QLatin1String(key)), key);
        QVERIFY(k->field(QStringLiteral("secretAccessKey"))->isSecret());
        QVERIFY(!k->field(QStringLiteral("accessKeyId"))->isSecret());
        QCOMPARE(k->field(QStringLiteral("addressing"))->choices,
                 QStringList({QStringLiteral("path"), QStringLiteral("virtual")}));
    }

    void badSettingsAreRefused_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("says");
        QTest::newRow("endpoint") << "endpoint" << QJsonValue(QStringLiteral("ftp://x"))
                                  << "http:// or https://";
        QTest::newRow("endpoint with key")
            << "endpoint" << QJsonValue(QStringLiteral("https://AK:SK@s3.example.com"))
            << "must not contain";
        QTest::newRow("bucket") << "bucket" << QJsonValue(QStringLiteral("No")) << "bucket name";
        QTest::newRow("addressing")
            << "addressing" << QJsonValue(QStringLiteral("dns")) << "“path” or “virtual”";
        QTest::newRow("threshold")
            << "multipartThreshold" << QJsonValue(QStringLiteral("1M")) << "at least 5M";
        QTest::newRow("concurrency") << "concurrency" << QJsonValue(0) << "1 to 64";
        QTest::newRow("key id") << "accessKeyId" << QJsonValue(QString()) << "access key id";
    }
    void badSettingsAreRefused()
    {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, says);
        ProviderRecord r;
        r.id = 1;
        r.kind = QStringLiteral("s3");
        r.name = ProviderName;
        r.settings = m_peer.providerSettings();
        r.settings.insert(key, value);
        QString error;
        ProviderFactory factory;
        QVERIFY(
            !factory.create(r, ProviderContext{m_store.get(), QStringLiteral("v"), {}}, &error));
        QVERIFY2(error.contains(says), qPrintable(error));
        QVERIFY2(error.contains(ProviderName), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("SK@")), qPrintable(error));
    }

    void addressingStylesBuildTheSignedUrl()
    {
        auto pathStyle = makeProvider({{QStringLiteral("prefix"), QStringLiteral("p q")}});
        QVERIFY(pathStyle);
        QCOMPARE(pathStyle->keyFor(QStringLiteral("bafk")), QStringLiteral("p q/chunks/bafk"));
        // Secrets are loaded by a job; a stat of nothing loads them.
        qint64 size = 0;
        stat(*pathStyle, QStringLiteral("none"), &size);
        const QNetworkRequest a = pathStyle->signedRequest(
            "GET", QStringLiteral("p q/k"), {{"x", "a/b"}}, {}, SigV4Signer::EmptyPayloadSha256);
        QCOMPARE(a.url().toEncoded(), m_peer.endpoint().toLatin1() + "/mf-test/p%20q/k?x=a%2Fb");
        QVERIFY(a.rawHeader("Authorization").startsWith("AWS4-HMAC-SHA256 Credential=S3RVER/"));

        auto virtualHosted = makeProvider(
            {{QStringLiteral("addressing"), QStringLiteral("virtual")},
             {QStringLiteral("endpoint"), QStringLiteral("https://s3.example.com:8443/")}});
        QVERIFY(virtualHosted);
        const QNetworkRequest b = virtualHosted->signedRequest("HEAD", QStringLiteral("k"), {}, {},
                                                               SigV4Signer::EmptyPayloadSha256);
        QCOMPARE(b.url().toEncoded(), QByteArray("https://mf-test.s3.example.com:8443/k"));
    }

    // --- against the server ---

    void putGetStatRemove()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(300 * KiB + 7, 1);
        QString locator;
        const Error e = put(*p, data, &locator);
        QVERIFY2(e.ok(), qPrintable(e.message + m_peer.proxyLog()));
        QCOMPARE(locator, p->keyFor(cid::ofData(data)));
        QVERIFY(locator.startsWith(QStringLiteral("modelfloat/") + m_vaultId + QLatin1Char('/')));

        QByteArray back;
        QVERIFY(get(*p, locator, &back).ok());
        QCOMPARE(back, data);
        QVERIFY(get(*p, locator, &back, 1000, 5000).ok());
        QCOMPARE(back, data.mid(1000, 5000));
        QVERIFY(get(*p, locator, &back, data.size() - 10).ok());
        QCOMPARE(back, data.right(10));
        QVERIFY(m_peer.countRequests(QStringLiteral("-> 206")) >= 2);

        qint64 size = -1;
        QVERIFY(stat(*p, locator, &size).ok());
        QCOMPARE(size, data.size());

        QVERIFY(runProviderJob(p->remove(locator)).ok());
        const Error gone = stat(*p, locator, &size);
        QCOMPARE(gone.kind, Error::Kind::NotFound);
        QVERIFY(runProviderJob(p->remove(locator)).ok()); // removing what is gone succeeds
        const Error missing = get(*p, locator, &back);
        QCOMPARE(missing.kind, Error::Kind::NotFound);
        QVERIFY2(missing.message.contains(ProviderName), qPrintable(missing.message));
    }

    void storedObjectIsNotSentAgain()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(100 * KiB, 2);
        bool already = true;
        QVERIFY(put(*p, data, nullptr, &already).ok());
        QVERIFY(!already);
        m_peer.clearLog();
        QVERIFY(put(*p, data, nullptr, &already).ok());
        QVERIFY(already);
        QCOMPARE(m_peer.countRequests(QStringLiteral("PUT ")), 0);
        QCOMPARE(m_peer.countRequests(QStringLiteral("HEAD ")), 1);
    }

    void listFollowsContinuationTokensAndSumsUsage()
    {
        auto p = makeProvider({}, 10 * MiB);
        QVERIFY(p);
        p->setListPageSize(2);
        QHash<QString, qint64> expected;
        qint64 total = 0;
        for (int i = 0; i < 5; ++i) {
            const QByteArray data = pseudoRandomBytes(10 * KiB + i, 100 + i);
            QString locator;
            QVERIFY(put(*p, data, &locator).ok());
            expected.insert(locator, data.size());
            total += data.size();
        }
        m_peer.clearLog();
        QList<StoredObject> objects;
        QVERIFY(runProviderJob(p->list(), [&](ProviderJob& j) {
            QVERIFY2(j.error().ok(), qPrintable(j.error().message));
            objects = j.objects();
        }));
        QCOMPARE(m_peer.countRequests(QStringLiteral("list-type=2")), 3);
        QCOMPARE(m_peer.countRequests(QStringLiteral("continuation-token=")), 2);
        QCOMPARE(objects.size(), 5);
        for (const StoredObject& o : objects)
            QCOMPARE(o.size, expected.value(o.locator, -2));

        ProviderUsage usage;
        QVERIFY(runProviderJob(p->usage(), [&](ProviderJob& j) {
            QVERIFY(j.error().ok());
            usage = j.usage();
        }));
        QCOMPARE(usage.usedBytes, total);
        QCOMPARE(usage.quotaBytes, 10 * MiB);
        QCOMPARE(usage.availableBytes, 10 * MiB - total);
    }

    void multipartAboveTheThreshold()
    {
        auto p = makeProvider({{QStringLiteral("multipartThreshold"), QStringLiteral("5M")}});
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(12 * MiB + 3, 6);
        m_peer.clearLog();
        QList<qint64> progress;
        ProviderJob* job = p->put(cid::ofData(data), sourceOf(data), data.size());
        connect(job, &ProviderJob::progress, this, [&progress](qint64 done, qint64 total) {
            if (total == 12 * MiB + 3)
                progress.append(done);
        });
        QString locator;
        QVERIFY(runProviderJob(job, [&](ProviderJob& j) {
            QVERIFY2(j.error().ok(), qPrintable(j.error().message));
            locator = j.locator();
        }));
        QCOMPARE(m_peer.countRequests(QStringLiteral("?uploads")), 1);
        QCOMPARE(m_peer.countRequests(QStringLiteral("partNumber=")), 3);
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last(), 12 * MiB + 3);
        QByteArray back;
        QVERIFY(get(*p, locator, &back).ok());
        QVERIFY(back == data);
    }

    void cancelledMultipartIsAborted()
    {
        auto p = makeProvider({{QStringLiteral("multipartThreshold"), QStringLiteral("5M")}});
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(16 * MiB, 7);
        m_peer.clearLog();
        ProviderJob* job = p->put(cid::ofData(data), sourceOf(data), data.size());
        QSignalSpy finished(job, &ProviderJob::finished);
        // Cancelled once the first part is through, while the second is read or sent.
        connect(job, &ProviderJob::progress, this, [job](qint64 done, qint64) {
            if (done >= 5 * MiB) {
                job->abort();
                job->abort(); // twice is safe
            }
        });
        job->start();
        QVERIFY(finished.wait(JobTimeoutMs));
        QCOMPARE(job->error().kind, Error::Kind::Cancelled);
        delete job; // an unfinished upload is aborted when its job goes
        (void)QTest::qWaitFor(
            [this] { return m_peer.countRequests(QStringLiteral("DELETE ")) > 0; }, 10000);
        QVERIFY2(m_peer.proxyLog().contains(QLatin1String("DELETE ")),
                 qPrintable(m_peer.proxyLog()));
        QVERIFY(m_peer.proxyLog().contains(QLatin1String("uploadId=")));
        qint64 size = 0;
        QCOMPARE(stat(*p, p->keyFor(cid::ofData(data)), &size).kind, Error::Kind::NotFound);
    }

    void wrongSecretFailsOnceWithoutRetries()
    {
        auto p = makeProvider({}, -1, QStringLiteral("wrong-secret-value"));
        QVERIFY(p);
        m_peer.clearLog();
        const Error e = put(*p, pseudoRandomBytes(10 * KiB, 8));
        QCOMPARE(e.kind, Error::Kind::Authentication);
        checkNoSecret(e.message);
        QCOMPARE(m_peer.countRequests(QStringLiteral("-> 403")), 1); // no retry storm
        QByteArray back;
        const Error g = get(*p, p->keyFor(cid::ofData(pseudoRandomBytes(10 * KiB, 8))), &back);
        QCOMPARE(g.kind, Error::Kind::Authentication);
        QVERIFY2(g.message.contains(QLatin1String("SignatureDoesNotMatch")), qPrintable(g.message));
        checkNoSecret(g.message);
        QCOMPARE(m_peer.countRequests(QStringLiteral("-> 403")), 2);
        QVERIFY(back.isEmpty());
    }

    void unknownAccessKeyIsAuthentication()
    {
        auto p = makeProvider({{QStringLiteral("accessKeyId"), QStringLiteral("NOBODY")}});
        QVERIFY(p);
        QList<StoredObject> objects;
        Error e;
        runProviderJob(p->list(), [&](ProviderJob& j) { e = j.error(); });
        QCOMPARE(e.kind, Error::Kind::Authentication);
        QVERIFY2(e.message.contains(QLatin1String("InvalidAccessKeyId")), qPrintable(e.message));
    }

    void missingSecretSaysSo()
    {
        auto p = makeProvider({}, -1, QString()); // nothing stored
        QVERIFY(p);
        const Error e = put(*p, pseudoRandomBytes(KiB, 9));
        QCOMPARE(e.kind, Error::Kind::Authentication);
        QVERIFY2(e.message.contains(ProviderName), qPrintable(e.message));
    }

    // The payload hash is the chunk's own SHA-256, taken from its CID: bytes that do not match
    // it are refused by the server, and nothing is stored.
    void bytesNotMatchingTheirCidAreRefused()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray claimed = pseudoRandomBytes(50 * KiB, 10);
        QByteArray sent = claimed;
        sent[100] = char(sent[100] ^ 1);
        const QString cid = cid::ofData(claimed);
        Error e;
        runProviderJob(p->put(cid, sourceOf(sent), sent.size()),
                       [&](ProviderJob& j) { e = j.error(); });
        QCOMPARE(e.kind, Error::Kind::Corrupt);
        QVERIFY2(e.message.contains(QLatin1String("XAmzContentSHA256Mismatch")),
                 qPrintable(e.message));
        qint64 size = 0;
        QCOMPARE(stat(*p, p->keyFor(cid), &size).kind, Error::Kind::NotFound);
        QVERIFY(!m_peer.proxyLog().contains(QLatin1String("UNSIGNED")));
    }

    void cancelledGetEndsCancelled()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(4 * MiB, 11);
        QString locator;
        QVERIFY(put(*p, data, &locator).ok());
        BufferSink sink;
        ProviderJob* job = p->get(locator, &sink);
        QSignalSpy finished(job, &ProviderJob::finished);
        job->start();
        job->abort();
        QVERIFY(finished.wait(JobTimeoutMs));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(job->error().kind, Error::Kind::Cancelled);
        delete job;
    }

    // --- through the engine ---

    void floatAndRestoreThroughS3()
    {
        TestVault v;
        QVERIFY(v.ok());
        const qint64 s3Id = addS3Provider(v);
        QVERIFY(s3Id > 0);
        v.vault->setReplicationFactor(2);
        const QString source = v.path(QStringLiteral("model.bin"));
        QVERIFY(writePseudoRandomFile(source, 3 * MiB + 77, 12));
        QVERIFY(floatFile(v, source, QStringLiteral("m")));

        // Every chunk has a stored placement on S3, and the object is there.
        const auto model = v.registry().modelRows().modelByName(QStringLiteral("m"));
        QVERIFY(model);
        int onS3 = 0;
        for (const auto& placements : v.registry().placementRows().placementsOfModel(model->id))
            for (const Placement& pl : placements)
                if (pl.providerId == s3Id && pl.state == PlacementState::Stored) {
                    ++onS3;
                    qint64 size = 0;
                    QVERIFY(stat(*v.vault->provider(s3Id), pl.locator, &size).ok());
                }
        QVERIFY(onS3 > 3);

        // Restore from S3 alone: the local copies are gone.
        QVERIFY(QDir(v.root(v.providerIds().first())).removeRecursively());
        QVERIFY(restoreModel(v, QStringLiteral("m"), v.path(QStringLiteral("out"))));
        QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/model.bin"))),
                 opensslSha256Hex(source));
    }

    // The only provider of a float dies half-way: the float fails with a readable message,
    // nothing counts as stored that is not, and once the server is back the same float resumes
    // without sending again what was stored.
    void serverKilledMidFloatFailsThenResumes()
    {
        TestVault v;
        QVERIFY(v.ok());
        const qint64 s3Id = addS3Provider(v);
        const QString source = v.path(QStringLiteral("big.bin"));
        QVERIFY(writePseudoRandomFile(source, 8 * MiB, 13));
        m_peer.clearLog();

        FloatJob::Request r;
        r.paths = {source};
        r.modelName = QStringLiteral("k");
        r.options.replication = 1;
        r.options.providerIds = {s3Id};
        r.options.chunker = SmallChunks;
        FloatJob job(v.vault.get(), r);
        QSignalSpy finished(&job, &FloatJob::finished);
        job.start();
        QVERIFY(QTest::qWaitFor(
            [this] { return m_peer.countRequests(QStringLiteral("PUT ")) >= 4; }, 60000));
        m_peer.killServer();
        QVERIFY(finished.wait(JobTimeoutMs));
        QCOMPARE(job.failure(), FloatJob::Failure::Transfer);
        QVERIFY2(job.error().message.contains(ProviderName), qPrintable(job.error().message));
        checkNoSecret(job.error().message);

        QVERIFY2(m_peer.restartServer(), qPrintable(m_peer.errorString()));
        const QSet<QString> storedOnS3 = checkStoredPlacements(v, s3Id, QStringLiteral("k"));
        QVERIFY(!storedOnS3.isEmpty());

        m_peer.clearLog();
        FloatJob again(v.vault.get(), r);
        QVERIFY(run(again));
        QCOMPARE(again.failure(), FloatJob::Failure::None);
        const QString log = m_peer.proxyLog();
        for (const QString& key : storedOnS3)
            QVERIFY2(!log.contains(QStringLiteral("PUT /mf-test/") + key), qPrintable(key));
        checkStoredPlacements(v, s3Id, QStringLiteral("k"));
        QVERIFY(restoreModel(v, QStringLiteral("k"), v.path(QStringLiteral("out"))));
        QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/big.bin"))), opensslSha256Hex(source));
    }

    // One of two providers dies half-way: the float places the rest on the other one.
    void serverKilledMidFloatFailsOver()
    {
        TestVault v(1);
        QVERIFY(v.ok());
        const qint64 s3Id = addS3Provider(v);
        const qint64 otherId = v.providerIds().at(1);
        const QString source = v.path(QStringLiteral("over.bin"));
        QVERIFY(writePseudoRandomFile(source, 8 * MiB, 15));
        m_peer.clearLog();
        FloatJob::Request r;
        r.paths = {source};
        r.modelName = QStringLiteral("f");
        r.options.replication = 1;
        r.options.providerIds = {s3Id, otherId};
        r.options.chunker = SmallChunks;
        FloatJob job(v.vault.get(), r);
        QSignalSpy finished(&job, &FloatJob::finished);
        job.start();
        QVERIFY(QTest::qWaitFor(
            [this] { return m_peer.countRequests(QStringLiteral("PUT ")) >= 3; }, 60000));
        m_peer.killServer();
        QVERIFY(finished.wait(JobTimeoutMs));
        QCOMPARE(job.failure(), FloatJob::Failure::None);
        QCOMPARE(job.totals().underReplicatedChunks, 0);
        QVERIFY2(m_peer.restartServer(), qPrintable(m_peer.errorString()));
        QVERIFY(!checkStoredPlacements(v, s3Id, QStringLiteral("f")).isEmpty());
        QVERIFY(restoreModel(v, QStringLiteral("f"), v.path(QStringLiteral("out"))));
        QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/over.bin"))),
                 opensslSha256Hex(source));
    }

    void fullS3QuotaMovesPlacementOn()
    {
        TestVault v(2); // local + two more local folders
        QVERIFY(v.ok());
        const qint64 s3Id = addS3Provider(v, 600 * KiB);
        v.vault->setReplicationFactor(2);
        const QString source = v.path(QStringLiteral("q.bin"));
        QVERIFY(writePseudoRandomFile(source, 4 * MiB, 14));
        FloatJob::Request r;
        r.paths = {source};
        r.modelName = QStringLiteral("q");
        r.options.replication = 2;
        r.options.chunker = SmallChunks;
        FloatJob job(v.vault.get(), r);
        QVERIFY(run(job));
        QCOMPARE(job.failure(), FloatJob::Failure::None);
        QCOMPARE(job.totals().underReplicatedChunks, 0);
        // Placement follows free space, so the small S3 provider is the last choice; whatever
        // it got stays within its quota.
        qint64 onS3 = 0;
        const auto model = v.registry().modelRows().modelByName(QStringLiteral("q"));
        QVERIFY(model);
        const auto chunks = v.registry().placementRows().placementsOfModel(model->id);
        for (const auto& placements : chunks)
            for (const Placement& pl : placements)
                if (pl.providerId == s3Id && pl.state == PlacementState::Stored) {
                    qint64 size = 0;
                    QVERIFY(stat(*v.vault->provider(s3Id), pl.locator, &size).ok());
                    onS3 += size;
                }
        QVERIFY(onS3 <= 600 * KiB);
    }

private:
    // Every placement of the model recorded as stored on the S3 provider is there, with its
    // chunk's size; returns their locators.
    QSet<QString> checkStoredPlacements(TestVault& v, qint64 s3Id, const QString& modelName)
    {
        QSet<QString> stored;
        const auto model = v.registry().modelRows().modelByName(modelName);
        if (!model)
            return stored;
        for (const auto& placements : v.registry().placementRows().placementsOfModel(model->id))
            for (const Placement& pl : placements)
                if (pl.providerId == s3Id && pl.state == PlacementState::Stored) {
                    qint64 size = 0;
                    const Error e = stat(*v.vault->provider(s3Id), pl.locator, &size);
                    if (!e.ok()) {
                        qWarning("%s: %s", qPrintable(pl.locator), qPrintable(e.message));
                        return {};
                    }
                    stored.insert(pl.locator);
                }
        return stored;
    }
    qint64 addS3Provider(TestVault& v, qint64 quota = -1)
    {
        v.vault->setCredentialStore(
            std::make_unique<PlaintextCredentialStore>(v.path(QStringLiteral("credentials.json"))));
        ProviderRecord r;
        r.kind = QStringLiteral("s3");
        r.name = ProviderName;
        r.settings = m_peer.providerSettings();
        r.quotaBytes = quota;
        const qint64 id = v.registry().providerRows().addProvider(r).value_or(0);
        if (id <= 0 ||
            !writeSecrets(
                *v.vault->credentials(), CredentialStore::providerKey(v.vault->id(), id),
                {{QStringLiteral("secretAccessKey"), QString::fromLatin1(S3Peer::Secret)}}))
            return 0;
        QString error;
        auto* p = qobject_cast<S3Provider*>(v.vault->provider(id, &error).get());
        if (!p) {
            qWarning("%s", qPrintable(error));
            return 0;
        }
        p->setRetryPolicy(quickRetries());
        return id;
    }
    bool floatFile(TestVault& v, const QString& source, const QString& name)
    {
        FloatJob::Request r;
        r.paths = {source};
        r.modelName = name;
        r.options.replication = 2;
        r.options.chunker = SmallChunks;
        FloatJob job(v.vault.get(), r);
        if (!run(job))
            return false;
        if (job.failure() != FloatJob::Failure::None)
            qWarning("%s", qPrintable(job.error().message));
        return job.failure() == FloatJob::Failure::None;
    }
    bool restoreModel(TestVault& v, const QString& name, const QString& destination)
    {
        RestoreJob::Request rr;
        rr.modelName = name;
        rr.destinationDir = destination;
        RestoreJob restore(v.vault.get(), rr);
        if (!run(restore))
            return false;
        if (restore.failure() != RestoreJob::Failure::None)
            qWarning("%s", qPrintable(restore.error().message));
        return restore.failure() == RestoreJob::Failure::None;
    }
};

QTEST_GUILESS_MAIN(TestS3Provider)
#include "tst_s3provider.moc"
