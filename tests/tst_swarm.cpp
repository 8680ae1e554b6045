// Restore swarming (issue 17) against real servers: two s3rver instances, each behind a fault
// proxy with a rate limit (tests/faultproxy.h), hold a replica of every chunk of a model. A
// restore reads from both, spreading its chunks by their measured speed; when one link slows to
// a crawl mid-restore, the restore moves its work to the other and still ends bit-exact. A float
// gives most chunks to the provider that keeps up. Who served what is counted by the proxies'
// own byte counters and the registry; nothing asserts on time.

#include "credentials/credentialstore.h"
#include "credentials/plaintextcredentialstore.h"
#include "faultproxy.h"
#include "networkprovidertest.h"
#include "s3peer.h"
#include "synctestsupport.h"
#include "transfer/restorejob.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

constexpr qint64 FileSize = 8 * qint64(MiB);
constexpr qint64 LinkRate = 2 * qint64(MiB); // per provider, bytes per second
constexpr qint64 CrawlRate = 16 * qint64(KiB);

} // namespace

class TestSwarm final : public QObject
{
    Q_OBJECT

private:
    S3Peer m_s3[2];
    std::unique_ptr<FaultProxy> m_links[2];
    std::unique_ptr<TestVault> m_vault;
    QString m_source;
    int m_restores = 0;

    // A vault whose only providers are the two S3 servers, each reached through its proxy.
    bool makeVault()
    {
        m_vault = std::make_unique<TestVault>();
        if (!m_vault->ok())
            return false;
        Vault& vault = *m_vault->vault;
        vault.setCredentialStore(std::make_unique<PlaintextCredentialStore>(
            m_vault->path(QStringLiteral("credentials.json"))));
        Registry& r = vault.registry();
        if (!r.providerRows().removeProvider(
                r.providerRows().providerByName(QStringLiteral("local"))->id))
            return false;
        for (int i = 0; i < 2; ++i) {
            ProviderRecord s3;
            s3.kind = QStringLiteral("s3");
            s3.name = QStringLiteral("s3-%1").arg(i + 1);
            s3.settings = m_s3[i].providerSettings();
            s3.settings.insert(QStringLiteral("endpoint"), m_links[i]->url());
            const auto id = r.providerRows().addProvider(s3);
            if (!id ||
                !writeSecrets(
                    *vault.credentials(), CredentialStore::providerKey(vault.id(), *id),
                    {{QStringLiteral("secretAccessKey"), QString::fromLatin1(S3Peer::Secret)}}))
                return false;
        }
        vault.setReplicationFactor(2);
        return true;
    }

    std::unique_ptr<RestoreJob> restoreJob(QString* destination)
    {
        const QString dir = m_vault->path(QStringLiteral("restored-%1").arg(++m_restores));
        *destination = dir + QStringLiteral("/model.bin");
        RestoreJob::Request request;
        request.modelName = QStringLiteral("model");
        request.destinationDir = dir;
        return std::make_unique<RestoreJob>(m_vault->vault.get(), request);
    }

    static void compareFiles(const QString& restored, const QString& source)
    {
        const QByteArray got = readAll(restored);
        QCOMPARE(got.size(), FileSize);
        QVERIFY(got == readAll(source));
    }

private Q_SLOTS:
    void initTestCase()
    {
        for (int i = 0; i < 2; ++i) {
            QVERIFY2(m_s3[i].start(), qPrintable(m_s3[i].errorString()));
            m_links[i] = std::make_unique<FaultProxy>(m_s3[i].proxyPort());
            QVERIFY(m_links[i]->listen());
        }
        QVERIFY(makeVault());
        // Floated at full speed (the limit is on what the servers send back).
        QVERIFY(floatTestFile(*m_vault, QStringLiteral("model"), FileSize, 17) > 0);
        m_source = m_vault->path(QStringLiteral("model.bin"));
        QCOMPARE(
            minCopies(m_vault->registry(),
                      m_vault->registry().modelRows().modelByName(QStringLiteral("model"))->id),
            2);
    }

    void init()
    {
        for (auto& link : m_links)
            link->setRateLimit(LinkRate);
    }

    void restoreReadsFromBothProviders()
    {
        const qint64 before[2] = {m_links[0]->bytesRelayed(), m_links[1]->bytesRelayed()};
        QString destination;
        auto job = restoreJob(&destination);
        QVERIFY(run(*job));
        QVERIFY2(job->error().ok(), qPrintable(job->error().message));
        compareFiles(destination, m_source);
        // Equal links: each served a fair part of the file (half, give or take a few chunks).
        for (int i = 0; i < 2; ++i) {
            const qint64 served = m_links[i]->bytesRelayed() - before[i];
            QVERIFY2(served >= FileSize / 4,
                     qPrintable(QStringLiteral("provider %1 served %2 of %3 bytes")
                                    .arg(i + 1)
                                    .arg(served)
                                    .arg(FileSize)));
            checkLinkRespectedItsRate(i);
        }
    }

    void restoreMovesAwayFromALinkThatSlowsDown()
    {
        QString destination;
        auto job = restoreJob(&destination);
        QSignalSpy finished(job.get(), &RestoreJob::finished);
        job->start();
        // A quarter in, the first link slows to a crawl.
        QTRY_VERIFY_WITH_TIMEOUT(
            job->progressNow().bytesDone >= FileSize / 4 || !finished.isEmpty(), JobTimeoutMs);
        QVERIFY2(finished.isEmpty(), "the restore ended before the link slowed down");
        const qint64 remaining = FileSize - job->progressNow().bytesDone;
        m_links[0]->setRateLimit(CrawlRate);
        const qint64 before[2] = {m_links[0]->bytesRelayed(), m_links[1]->bytesRelayed()};
        QVERIFY(finished.wait(JobTimeoutMs));
        QVERIFY2(job->error().ok(), qPrintable(job->error().message));
        compareFiles(destination, m_source);
        const qint64 slow = m_links[0]->bytesRelayed() - before[0];
        const qint64 fast = m_links[1]->bytesRelayed() - before[1];
        // Most of what was left came from the fast link; the slow one sent a trickle at most
        // (the chunks it had started, until they were asked of the other and aborted).
        QVERIFY2(fast >= remaining / 2 && fast > 4 * slow,
                 qPrintable(QStringLiteral("after the slowdown: %1 bytes left, the slow link sent "
                                           "%2, the fast one %3")
                                .arg(remaining)
                                .arg(slow)
                                .arg(fast)));
        // What the slow link was still sending when the fast one ran out of other work was asked
        // of the fast one too (hedged), and the slow requests were aborted, not waited for.
        QTRY_VERIFY(m_links[0]->responsesAbandoned() > 0);
        checkLinkRespectedItsRate(0);
    }

    // One replica over two providers, one of which answers each upload a second late: the
    // chunks go mostly to the other, which keeps up, instead of half to each (the slow one
    // would then hold the float back).
    void floatPlacesMoreOnTheProviderThatKeepsUp()
    {
        FaultProxy::Rule late =
            FaultProxy::Rule::of(FaultProxy::Fault::Delay, "PUT", QStringLiteral("/chunks/"), -1);
        late.delayMs = 1000;
        m_links[0]->addRule(late);
        const qint64 model = floatTestFile(*m_vault, QStringLiteral("placed"), FileSize, 23, 1);
        m_links[0]->clearRules();
        QVERIFY(model > 0);
        QVERIFY(m_links[0]->faultsInjected() > 0);
        Registry& r = m_vault->registry();
        const qint64 slowId = r.providerRows().providerByName(QStringLiteral("s3-1"))->id;
        int onSlow = 0;
        int onFast = 0;
        for (const QString& cid : modelChunks(r, model)) {
            const QSet<qint64> held = holders(r, cid);
            QCOMPARE(held.size(), 1);
            ++(held.contains(slowId) ? onSlow : onFast);
        }
        qInfo("chunks placed: %d on the slow provider, %d on the fast one", onSlow, onFast);
        QVERIFY2(onFast >= 2 * onSlow,
                 qPrintable(QStringLiteral("the slow provider got %1 chunks, the fast one %2")
                                .arg(onSlow)
                                .arg(onFast)));
    }

private:
    // The proxies really were the slow links the test asked for (by their own counters).
    void checkLinkRespectedItsRate(int i)
    {
        const FaultProxy::ThrottleWindow w = m_links[i]->throttleWindow();
        QVERIFY(w.bytes <= w.granted + 1);
        QVERIFY(double(w.granted) <= double(w.rate) * double(w.elapsedMs + 1) / 1000.0 + 1);
    }
};

QTEST_GUILESS_MAIN(TestSwarm)
#include "tst_swarm.moc"
