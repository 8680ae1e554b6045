// A chunk stored as shards is not held back by one slow provider (docs/erasure.md, issue 41): a
// model at shards 2+1 over two local folders and a real S3 server (s3rver) reached through a fault
// proxy that crawls. A restore asks each chunk's shards of the providers expected soonest; where a
// shard on the crawling link is slow while the third shard's provider is idle, that one is asked
// for too (a hedged request), the first two good shards are decoded, and the slow request is
// abandoned, not waited for. Who served what is counted by the proxy; nothing asserts on time.

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

constexpr qint64 FileSize = 4 * qint64(MiB);
constexpr qint64 CrawlRate = 8 * qint64(KiB); // bytes per second

} // namespace

class TestErasureHedge final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void slowShardIsAskedOfAnotherProvider();

private:
    S3Peer m_s3;
    std::unique_ptr<FaultProxy> m_link;
    std::unique_ptr<TestVault> m_vault; // local, extra1 and "s3", at shards 2+1
};

void TestErasureHedge::initTestCase()
{
    QVERIFY2(m_s3.start(), qPrintable(m_s3.errorString()));
    m_link = std::make_unique<FaultProxy>(m_s3.proxyPort());
    QVERIFY(m_link->listen());
    m_vault = std::make_unique<TestVault>(1);
    QVERIFY(m_vault->ok());
    Vault& vault = *m_vault->vault;
    vault.setCredentialStore(std::make_unique<PlaintextCredentialStore>(
        m_vault->path(QStringLiteral("credentials.json"))));
    ProviderRecord s3;
    s3.kind = QStringLiteral("s3");
    s3.name = QStringLiteral("s3");
    s3.settings = m_s3.providerSettings();
    s3.settings.insert(QStringLiteral("endpoint"), m_link->url());
    const auto id = vault.registry().providerRows().addProvider(s3);
    QVERIFY(id);
    QVERIFY(
        writeSecrets(*vault.credentials(), CredentialStore::providerKey(vault.id(), *id),
                     {{QStringLiteral("secretAccessKey"), QString::fromLatin1(S3Peer::Secret)}}));
    QVERIFY(vault.setRedundancy(RedundancyScheme::makeShards(2, 1)));
    // Floated at full speed (the limit is on what the server sends back).
    QVERIFY(floatTestFile(*m_vault, QStringLiteral("model"), FileSize, 29) > 0);
    // Each provider holds one shard of every chunk.
    Registry& r = vault.registry();
    const qint64 model = r.modelRows().modelByName(QStringLiteral("model"))->id;
    QCOMPARE(r.shardRows().modelRedundancy(model), QStringLiteral("shards 2+1"));
}

void TestErasureHedge::slowShardIsAskedOfAnotherProvider()
{
    m_link->setRateLimit(CrawlRate);
    const qint64 before = m_link->bytesRelayed();
    const QString dir = m_vault->path(QStringLiteral("restored"));
    RestoreJob::Request request;
    request.modelName = QStringLiteral("model");
    request.destinationDir = dir;
    RestoreJob job(m_vault->vault.get(), request);
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QVERIFY(readAll(dir + QStringLiteral("/model.bin")) ==
            readAll(m_vault->path(QStringLiteral("model.bin"))));
    // A shard begun on the crawling link was asked of an idle provider too, and the crawl was
    // abandoned when the chunk had its two shards.
    QTRY_VERIFY2(m_link->responsesAbandoned() > 0,
                 qPrintable(QStringLiteral("the slow link relayed %1 bytes, abandoned %2 responses")
                                .arg(m_link->bytesRelayed() - before)
                                .arg(m_link->responsesAbandoned())));
    // The crawl sent a trickle of the third of the model it holds.
    const qint64 relayed = m_link->bytesRelayed() - before;
    QVERIFY2(relayed < FileSize / 6,
             qPrintable(QStringLiteral("the slow link relayed %1 bytes").arg(relayed)));
}

QTEST_GUILESS_MAIN(TestErasureHedge)
#include "tst_erasure_hedge.moc"
