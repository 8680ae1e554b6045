// Network faults against the S3 adapter: a fault-injecting proxy (tests/faultproxy.h) between
// the adapter and the real S3 server (s3rver behind the SigV4-checking proxy) answers chosen
// requests with 500, 503 SlowDown or 429 with Retry-After, cuts a body short, stalls, lies about
// Content-Length or drops the connection. Every case must end in a correct state (the right
// bytes, or a classified error and nothing half-stored) with a message a person can read.

#include "chunking/cid.h"
#include "credentials/credentialstore.h"
#include "faultproxy.h"
#include "networkprovidertest.h"
#include "providers/providerfactory.h"
#include "providers/s3/s3provider.h"
#include "s3peer.h"
#include "testsupport.h"

#include <QUuid>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using Fault = FaultProxy::Fault;
using Rule = FaultProxy::Rule;

namespace {

const QString ProviderName = QStringLiteral("faulty bucket");
constexpr int Attempts = 4;
constexpr qint64 KiB = 1024;

QByteArray s3Error(const char* code, const char* message)
{
    return QByteArray("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>") + code +
           "</Code><Message>" + message + "</Message><RequestId>fault</RequestId></Error>";
}

} // namespace

class TestFaults final : public QObject
{
    Q_OBJECT

private:
    S3Peer m_peer;
    QTemporaryDir m_dir;
    std::unique_ptr<PlaintextCredentialStore> m_store;
    std::unique_ptr<FaultProxy> m_faults;
    qint64 m_nextId = 0;

    // An S3 adapter that talks to the server through the fault proxy, with quick retries.
    // `concurrency`: the user's setting, the most requests it may run at once (0: the default).
    std::unique_ptr<S3Provider> makeProvider(int concurrency = 0)
    {
        ProviderRecord r;
        r.id = ++m_nextId;
        r.kind = QStringLiteral("s3");
        r.name = ProviderName;
        r.settings = m_peer.providerSettings();
        r.settings.insert(QStringLiteral("endpoint"), m_faults->url());
        if (concurrency > 0)
            r.settings.insert(QStringLiteral("concurrency"), concurrency);
        const QString vaultId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        if (!writeSecrets(
                *m_store, CredentialStore::providerKey(vaultId, r.id),
                {{QStringLiteral("secretAccessKey"), QString::fromLatin1(S3Peer::Secret)}}))
            return nullptr;
        QString error;
        std::unique_ptr<Provider> made = ProviderFactory().create(
            r, ProviderContext{m_store.get(), vaultId, m_dir.path()}, &error);
        auto* p = qobject_cast<S3Provider*>(made.get());
        if (!p) {
            qWarning("%s", qPrintable(error));
            return nullptr;
        }
        made.release();
        RetryPolicy retry;
        retry.maxAttempts = Attempts;
        retry.baseDelayMs = 20;
        retry.maxDelayMs = 200;
        p->setRetryPolicy(retry);
        p->setStallTimeoutMs(1500);
        return std::unique_ptr<S3Provider>(p);
    }

    Error put(Provider& p, const QByteArray& data, QString* locator = nullptr)
    {
        Error e = Error::make(Error::Kind::Fatal, QStringLiteral("did not finish"));
        runProviderJob(p.put(cid::ofData(data), sourceOf(data), data.size()), [&](ProviderJob& j) {
            e = j.error();
            if (locator)
                *locator = j.locator();
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
    // The object is there and holds `data` (read around the fault proxy's rules).
    void checkStored(Provider& p, const QString& locator, const QByteArray& data)
    {
        m_faults->clearRules();
        QByteArray back;
        const Error e = get(p, locator, &back);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QVERIFY(back == data);
    }
    void checkReadable(const Error& e)
    {
        QVERIFY2(e.message.contains(ProviderName), qPrintable(e.message));
        QVERIFY2(!e.message.contains(QLatin1String("Signature=")), qPrintable(e.message));
        QVERIFY2(!e.message.contains(QString::fromLatin1(S3Peer::Secret) + QLatin1Char('@')),
                 qPrintable(e.message));
    }
    // A stored object to read through the faults.
    QString stored(Provider& p, const QByteArray& data)
    {
        m_faults->clearRules();
        QString locator;
        const Error e = put(p, data, &locator);
        if (!e.ok())
            qWarning("%s", qPrintable(e.message));
        m_faults->clearSeen();
        return locator;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_store = std::make_unique<PlaintextCredentialStore>(
            m_dir.filePath(QStringLiteral("credentials.json")));
        QVERIFY2(m_peer.start(), qPrintable(m_peer.errorString()));
        m_faults = std::make_unique<FaultProxy>(m_peer.proxyPort());
        QVERIFY(m_faults->listen());
    }
    void init()
    {
        m_faults->clearRules();
        m_faults->clearSeen();
    }
    void cleanup() { m_faults->releaseStalled(); }

    void slowDownIsRetriedAfterRetryAfter()
    {
        auto p = makeProvider();
        QVERIFY(p);
        Rule rule = Rule::status503(QStringLiteral("/chunks/"));
        rule.method = "PUT";
        rule.retryAfter = "1";
        rule.body = s3Error("SlowDown", "Please reduce your request rate.");
        rule.contentType = "application/xml";
        m_faults->addRule(rule);
        const QByteArray data = pseudoRandomBytes(64 * KiB, 1);
        QString locator;
        const Error e = put(*p, data, &locator);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QCOMPARE(m_faults->count("PUT"), 2);
        QCOMPARE(m_faults->faultsInjected(), 1);
        checkStored(*p, locator, data);
    }

    void internalErrorsAreRetried()
    {
        auto p = makeProvider();
        QVERIFY(p);
        Rule rule = Rule::httpStatus(500, QStringLiteral("/chunks/"), 2);
        rule.method = "PUT";
        rule.body = s3Error("InternalError", "We encountered an internal error.");
        m_faults->addRule(rule);
        const QByteArray data = pseudoRandomBytes(64 * KiB, 2);
        QString locator;
        const Error e = put(*p, data, &locator);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QCOMPARE(m_faults->count("PUT"), 3);
        checkStored(*p, locator, data);
        // A server error is not a server asking for fewer requests.
        QCOMPARE(p->concurrencyLimit(), ConcurrencyGovernor::Start);
    }

    void tooManyRequestsOnGetIsRetried()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(200 * KiB, 3);
        const QString locator = stored(*p, data);
        QVERIFY(!locator.isEmpty());
        Rule rule = Rule::tooManyRequests("1", QStringLiteral("/chunks/"));
        rule.method = "GET";
        m_faults->addRule(rule);
        QByteArray back;
        const Error e = get(*p, locator, &back);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QVERIFY(back == data);
        QCOMPARE(m_faults->count("GET"), 2);
        QCOMPARE(p->concurrencyLimit(), ConcurrencyGovernor::Start / 2);
    }

    // Six puts at once on a provider allowed eight: two run at first (the limit starts low and
    // grows only as throughput does), and once the server answers SlowDown, one at a time.
    void slowDownHalvesTheRequestsAtOnce()
    {
        auto p = makeProvider(8);
        QVERIFY(p);
        QCOMPARE(p->maxConcurrent(), 8);
        QCOMPARE(p->concurrencyLimit(), ConcurrencyGovernor::Start);
        Rule rule = Rule::status503(QStringLiteral("/chunks/"));
        rule.method = "PUT";
        rule.body = s3Error("SlowDown", "Please reduce your request rate.");
        rule.contentType = "application/xml";
        m_faults->addRule(rule);
        std::vector<std::unique_ptr<ProviderJob>> jobs;
        QList<QByteArray> data;
        int finished = 0;
        for (int i = 0; i < 6; ++i) {
            data.append(pseudoRandomBytes(64 * KiB, 100 + i));
            jobs.emplace_back(
                p->put(cid::ofData(data.last()), sourceOf(data.last()), data.last().size()));
            connect(jobs.back().get(), &ProviderJob::finished, this, [&finished] { ++finished; });
        }
        for (auto& job : jobs)
            job->start();
        QTRY_COMPARE_WITH_TIMEOUT(finished, 6, ProviderJobTimeoutMs);
        for (int i = 0; i < 6; ++i) {
            QVERIFY2(jobs[i]->error().ok(), qPrintable(jobs[i]->error().message));
            checkStored(*p, jobs[i]->locator(), data[i]);
        }
        QCOMPARE(p->concurrencyLimit(), 1);

        const QList<FaultProxy::Seen>& seen = m_faults->seen();
        int fault = -1;
        int overlapsAfter = 0;
        for (int i = 0; i < seen.size(); ++i) {
            QVERIFY2(seen[i].atOnce <= ConcurrencyGovernor::Start,
                     qPrintable(QStringLiteral("%1 requests at once").arg(seen[i].atOnce)));
            if (seen[i].fault != Fault::None)
                fault = i;
            else if (fault >= 0 && seen[i].atOnce > 1)
                ++overlapsAfter;
        }
        QVERIFY(fault >= 0);
        // Only the put refused, sent again while the other one of that moment still ran.
        QVERIFY2(overlapsAfter <= 1, qPrintable(QString::number(overlapsAfter)));
        QCOMPARE(m_faults->count("PUT"), 7);
    }

    void persistentSlowDownEndsRetryableWithoutStoring()
    {
        auto p = makeProvider();
        QVERIFY(p);
        Rule rule = Rule::status503(QStringLiteral("/chunks/"), -1);
        rule.method = "PUT";
        rule.body = s3Error("SlowDown", "Please reduce your request rate.");
        m_faults->addRule(rule);
        const QByteArray data = pseudoRandomBytes(32 * KiB, 4);
        const Error e = put(*p, data);
        QCOMPARE(e.kind, Error::Kind::Retryable);
        checkReadable(e);
        QVERIFY2(e.message.contains(QLatin1String("SlowDown")), qPrintable(e.message));
        QCOMPARE(m_faults->count("PUT"), Attempts); // bounded: no retry storm
        m_faults->clearRules();
        qint64 size = 0;
        runProviderJob(p->stat(p->keyFor(cid::ofData(data))),
                       [&](ProviderJob& j) { QCOMPARE(j.error().kind, Error::Kind::NotFound); });
        Q_UNUSED(size);
    }

    // A body cut short is resumed with a Range request from the first missing byte.
    void truncatedBodyResumesWithRange()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(600 * KiB + 5, 5);
        const QString locator = stored(*p, data);
        m_faults->addRule(Rule::of(Fault::TruncatedBody, "GET", QStringLiteral("/chunks/")));
        m_peer.clearLog();
        QByteArray back;
        const Error e = get(*p, locator, &back);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QVERIFY(back == data);
        QCOMPARE(m_faults->count("GET"), 2);
        QCOMPARE(m_peer.countRequests(QStringLiteral("-> 206")), 1); // the resumed part only
    }

    void stalledConnectionTimesOutAndIsRetried()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(300 * KiB, 6);
        const QString locator = stored(*p, data);
        m_faults->addRule(Rule::of(Fault::Stall, "GET", QStringLiteral("/chunks/")));
        QByteArray back;
        const Error e = get(*p, locator, &back);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QVERIFY(back == data);
        QCOMPARE(m_faults->count("GET"), 2);
    }

    void stalledEveryTimeSaysTimedOut()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(100 * KiB, 7);
        const QString locator = stored(*p, data);
        m_faults->addRule(Rule::of(Fault::Stall, "GET", QStringLiteral("/chunks/"), -1));
        QByteArray back;
        const Error e = get(*p, locator, &back);
        QCOMPARE(e.kind, Error::Kind::Retryable);
        checkReadable(e);
        QVERIFY2(e.message.contains(QLatin1String("stalled")), qPrintable(e.message));
        QCOMPARE(m_faults->count("GET"), Attempts);
    }

    // A Content-Length larger than the body: the connection ends early, the rest is fetched.
    void longContentLengthIsRetried()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(128 * KiB, 8);
        const QString locator = stored(*p, data);
        m_faults->addRule(Rule::of(Fault::WrongContentLength, "GET", QStringLiteral("/chunks/")));
        QByteArray back;
        const Error e = get(*p, locator, &back);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QVERIFY(back == data);
    }

    // A Content-Length smaller than the body: fewer bytes than asked for is never success.
    void shortContentLengthIsCaught()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(128 * KiB, 9);
        const QString locator = stored(*p, data);
        Rule rule = Rule::of(Fault::WrongContentLength, "GET", QStringLiteral("/chunks/"));
        rule.lengthDelta = -1000;
        m_faults->addRule(rule);
        QByteArray back;
        const Error e = get(*p, locator, &back, 0, data.size());
        QCOMPARE(e.kind, Error::Kind::Corrupt);
        checkReadable(e);
    }

    void droppedConnectionOnPutIsRetried()
    {
        auto p = makeProvider();
        QVERIFY(p);
        m_faults->addRule(Rule::of(Fault::Drop, "PUT", QStringLiteral("/chunks/")));
        const QByteArray data = pseudoRandomBytes(256 * KiB, 10);
        QString locator;
        const Error e = put(*p, data, &locator);
        QVERIFY2(e.ok(), qPrintable(e.message));
        QCOMPARE(m_faults->count("PUT"), 2);
        checkStored(*p, locator, data);
    }

    void faultOnAListingPageIsRetried()
    {
        auto p = makeProvider();
        QVERIFY(p);
        p->setListPageSize(2);
        for (int i = 0; i < 5; ++i)
            QVERIFY(!stored(*p, pseudoRandomBytes(4 * KiB, 20 + i)).isEmpty());
        Rule rule = Rule::status503(QStringLiteral("continuation-token"));
        rule.method = "GET";
        m_faults->addRule(rule);
        QList<StoredObject> objects;
        QVERIFY(runProviderJob(p->list(), [&](ProviderJob& j) {
            QVERIFY2(j.error().ok(), qPrintable(j.error().message));
            objects = j.objects();
        }));
        QCOMPARE(objects.size(), 5);
        QCOMPARE(m_faults->faultsInjected(), 1);
    }

    void serverErrorOnStatIsRetried()
    {
        auto p = makeProvider();
        QVERIFY(p);
        const QByteArray data = pseudoRandomBytes(10 * KiB, 11);
        const QString locator = stored(*p, data);
        Rule rule = Rule::httpStatus(502, QStringLiteral("/chunks/"));
        rule.method = "HEAD";
        m_faults->addRule(rule);
        qint64 size = -1;
        QVERIFY(runProviderJob(p->stat(locator), [&](ProviderJob& j) {
            QVERIFY2(j.error().ok(), qPrintable(j.error().message));
            size = j.objectSize();
        }));
        QCOMPARE(size, data.size());
        QCOMPARE(m_faults->count("HEAD"), 2);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
