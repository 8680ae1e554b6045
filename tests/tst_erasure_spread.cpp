// Two shards of one chunk whose only copies are on one provider (docs/erasure.md, "Each shard on
// a provider of its own"). Two vaults sharing their providers place a chunk each their own way,
// and their deletions can leave shard 3 only where shard 0 is: every shard stored, every copy
// intact, and still two shards lost with that one provider. Found by tst_cli_crash's 4+2 rounds,
// where a model the other vault had floated did not restore with two providers gone: 3 of its
// 6 shards could be read. Here, in a vault of six local folders at 4+2: `verify` and the health
// views say such a chunk is not whole, and a float again or a repair puts the crowded shard on a
// provider of its own, after which the model restores with that provider and another gone.
#include "chunking/shardspread.h"
#include "shardedvault.h"

#include <QJsonArray>
#include <QtTest>

#include <memory>

using namespace mf;
using test::CliResult;

namespace {

constexpr qint64 ChunkSize = 256 * 1024;
constexpr qint64 ModelSize = 4 * ChunkSize + 999;
constexpr int UnderReplicated = 7; // verify's exit code for fewer copies than wanted

} // namespace

class TestErasureSpread : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void keepsShardsApart_data();
    void keepsShardsApart();
    void verifySaysTheChunkIsNotWhole();
    void aFloatAgainGivesTheShardAProviderOfItsOwn();
    void repairGivesTheShardAProviderOfItsOwn();
    void anExtraCopyElsewhereHidesNothing();

private:
    // The model floated at 4+2, then shard 3 of its first chunk moved to the provider of its
    // shard 0 (copied there and recorded, gone from its own provider and from the registry):
    // m_crowded is that provider, m_emptied the one it left, m_other the provider of shard 1.
    void crowd();
    // With m_crowded and `other` (m_other by default) gone, `restore name` gives the model's
    // bytes.
    void restoresWithTwoGone(const QString& name, int other = -1);
    QString holderOf(const QString& shard, int* index) const;
    // What `list` says of model "m"'s health.
    QString healthOfM() const;

    std::unique_ptr<test::ShardedVault> m_v;
    QStringList m_shards; // of the first chunk, by index
    int m_crowded = -1;
    int m_emptied = -1;
    int m_other = -1;
};

void TestErasureSpread::init()
{
    m_v = std::make_unique<test::ShardedVault>();
    QVERIFY(m_v->ok());
    m_crowded = m_emptied = m_other = -1;
}

void TestErasureSpread::cleanup()
{
    m_v.reset();
}

void TestErasureSpread::keepsShardsApart_data()
{
    QTest::addColumn<QList<QList<qint64>>>("holdings");
    QTest::addColumn<int>("kept");
    QTest::addColumn<QList<int>>("without"); // indices left without a provider of their own
    QTest::newRow("one each") << QList<QList<qint64>>{{1}, {2}, {3}} << 3 << QList<int>{};
    QTest::newRow("two on one") << QList<QList<qint64>>{{1}, {2}, {1}} << 2 << QList<int>{2};
    // Shard 0 on 1 and 2, shard 1 only on 1: shard 0 keeps 2, and both have one.
    QTest::newRow("moved aside") << QList<QList<qint64>>{{1, 2}, {1}} << 2 << QList<int>{};
    QTest::newRow("not stored") << QList<QList<qint64>>{{1}, {}} << 1 << QList<int>{1};
    // A shard of zeros at two indices: one object, wanted on two providers.
    QTest::newRow("zeros on one") << QList<QList<qint64>>{{4}, {4}} << 1 << QList<int>{1};
    QTest::newRow("zeros on two") << QList<QList<qint64>>{{4, 5}, {4, 5}} << 2 << QList<int>{};
    // Three shards on two providers between them: one of them is short, whatever the order.
    QTest::newRow("three on two") << QList<QList<qint64>>{{1, 2}, {1, 2}, {2, 1}} << 2
                                  << QList<int>{2};
}

void TestErasureSpread::keepsShardsApart()
{
    QFETCH(QList<QList<qint64>>, holdings);
    QFETCH(int, kept);
    QFETCH(QList<int>, without);
    std::vector<QSet<qint64>> sets;
    for (const QList<qint64>& h : holdings)
        sets.push_back(QSet<qint64>(h.cbegin(), h.cend()));
    const std::vector<qint64> providers = keepShardsApart(sets);
    QCOMPARE(int(providers.size()), int(holdings.size()));
    QCOMPARE(shardsKeptApart(sets), kept);
    QList<int> left;
    QSet<qint64> used;
    for (int i = 0; i < int(providers.size()); ++i) {
        const qint64 p = providers.at(size_t(i));
        if (p < 0) {
            left.append(i);
            continue;
        }
        QVERIFY2(sets.at(size_t(i)).contains(p), "kept a provider the shard is not on");
        QVERIFY2(!used.contains(p), "one provider kept by two shards");
        used.insert(p);
    }
    QCOMPARE(left, without);
    // A provider left out is never kept.
    QCOMPARE(shardsKeptApart(sets, {1}), shardsKeptApart([&] {
                 std::vector<QSet<qint64>> less = sets;
                 for (QSet<qint64>& s : less)
                     s.remove(1);
                 return less;
             }()));
}

QString TestErasureSpread::holderOf(const QString& shard, int* index) const
{
    const QStringList folders = m_v->folders();
    for (int i = 0; i < folders.size(); ++i) {
        const QString path = test::chunkObjectBelow(folders.at(i), shard);
        if (!path.isEmpty()) {
            *index = i;
            return path;
        }
    }
    return {};
}

QString TestErasureSpread::healthOfM() const
{
    const CliResult list = m_v->run({QStringLiteral("list"), QStringLiteral("--json")});
    for (const QJsonValue& m : list.json().value(QStringLiteral("models")).toArray())
        if (m.toObject().value(QStringLiteral("name")).toString() == QStringLiteral("m"))
            return m.toObject().value(QStringLiteral("health")).toString();
    return QStringLiteral("no model m in: ") + list.outText();
}

void TestErasureSpread::crowd()
{
    m_v->floatBytes(ChunkSize, test::pseudoRandomBytes(ModelSize, 52));
    if (QTest::currentTestFailed())
        return;
    m_shards = test::ShardedVault::shardCids(m_v->chunks().first());
    QCOMPARE(m_shards.size(), 6);
    QVERIFY(!holderOf(m_shards.at(0), &m_crowded).isEmpty());
    QVERIFY(!holderOf(m_shards.at(1), &m_other).isEmpty());
    const QString shard3 = holderOf(m_shards.at(3), &m_emptied);
    QVERIFY(!shard3.isEmpty());
    QVERIFY(m_crowded != m_emptied && m_crowded != m_other && m_other != m_emptied);
    QVERIFY(!m_v->copyObject(m_shards.at(3), m_emptied, m_crowded).isEmpty());
    QVERIFY(QFile::remove(shard3));
    QVERIFY(test::Side(m_v->registryPath())
                .exec(QStringLiteral("DELETE FROM placements WHERE cid = '%1' AND provider_id = "
                                     "(SELECT id FROM providers WHERE name = '%2')")
                          .arg(m_shards.at(3), test::ShardedVault::providerName(m_emptied))));
}

void TestErasureSpread::restoresWithTwoGone(const QString& name, int other)
{
    const QStringList folders = m_v->folders();
    other = other < 0 ? m_other : other;
    const QStringList gone{folders.at(m_crowded), folders.at(other)};
    for (const QString& f : gone)
        QVERIFY(QDir().rename(f, f + QStringLiteral(".away")));
    const QString out = m_v->box().path(QStringLiteral("out/%1-%2").arg(name).arg(other));
    const CliResult restored = m_v->run(
        {QStringLiteral("restore"), name, QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    for (const QString& f : gone)
        QVERIFY(QDir().rename(f + QStringLiteral(".away"), f));
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(test::ShardedVault::fileBytes(out + QStringLiteral("/m.bin")), m_v->bytes());
}

void TestErasureSpread::verifySaysTheChunkIsNotWhole()
{
    crowd();
    if (QTest::currentTestFailed())
        return;
    // Every copy is there and intact, but the chunk does not survive any two providers gone.
    const CliResult verify = m_v->run({QStringLiteral("verify"), QStringLiteral("m")});
    QVERIFY2(verify.code == UnderReplicated, verify.describe().constData());
    const QByteArray said = QStringLiteral("shard 3 is only on “%1” (with shard 0)")
                                .arg(test::ShardedVault::providerName(m_crowded))
                                .toUtf8();
    QVERIFY2(verify.out.contains(said) || verify.err.contains(said), verify.describe().constData());
    // The health views, which count from the registry, say so too.
    QCOMPARE(healthOfM(), QStringLiteral("degraded"));
    // Nothing was put meanwhile: the chunk is as crowded as before.
    QVERIFY(test::chunkObjectBelow(m_v->folders().at(m_emptied), m_shards.at(3)).isEmpty());
    QVERIFY(test::chunkObjectBelow(m_v->folders().at(m_emptied), m_shards.at(0)).isEmpty());
}

void TestErasureSpread::aFloatAgainGivesTheShardAProviderOfItsOwn()
{
    crowd();
    if (QTest::currentTestFailed())
        return;
    QStringList args = m_v->floatArgs();
    args[args.indexOf(QStringLiteral("m"))] = QStringLiteral("m-again");
    const CliResult again = m_v->run(args << QStringLiteral("--json"));
    QVERIFY2(again.code == 0, again.describe().constData());
    // One shard sent, to the provider the crowded one left.
    QCOMPARE(again.json().value(QStringLiteral("bytes_sent")).toInteger(),
             test::ShardedVault::fileBytes(
                 test::chunkObjectBelow(m_v->folders().at(m_crowded), m_shards.at(3)))
                 .size());
    const QString emptied = m_v->folders().at(m_emptied);
    QVERIFY2(!test::chunkObjectBelow(emptied, m_shards.at(3)).isEmpty() ||
                 !test::chunkObjectBelow(emptied, m_shards.at(0)).isEmpty(),
             "neither crowded shard was put on the provider left without a shard of the chunk");
    const CliResult verify = m_v->run({QStringLiteral("verify"), QStringLiteral("--all")});
    QVERIFY2(verify.code == 0, verify.describe().constData());
    restoresWithTwoGone(QStringLiteral("m-again"));
    restoresWithTwoGone(QStringLiteral("m"));
}

void TestErasureSpread::repairGivesTheShardAProviderOfItsOwn()
{
    crowd();
    if (QTest::currentTestFailed())
        return;
    const CliResult repair = m_v->run({QStringLiteral("repair"), QStringLiteral("--json")});
    QVERIFY2(repair.code == 0, repair.describe().constData());
    QCOMPARE(repair.json().value(QStringLiteral("shards_rebuilt")).toInt(), 1);
    // Shard 3, left without a provider of its own, is put where it was before.
    QVERIFY(!test::chunkObjectBelow(m_v->folders().at(m_emptied), m_shards.at(3)).isEmpty());
    const CliResult verify = m_v->run({QStringLiteral("verify"), QStringLiteral("--all")});
    QVERIFY2(verify.code == 0, verify.describe().constData());
    restoresWithTwoGone(QStringLiteral("m"));
}

void TestErasureSpread::anExtraCopyElsewhereHidesNothing()
{
    // As two vaults leave it: shard 5 on the provider shard 3 left, too. Six providers hold a
    // shard of the chunk between them, as many as it has shards, and still shards 0 and 3 are
    // only on one (the registry's count of providers, in SQL, cannot tell; the matching can).
    crowd();
    if (QTest::currentTestFailed())
        return;
    int withShard5 = -1;
    QVERIFY(!holderOf(m_shards.at(5), &withShard5).isEmpty());
    QVERIFY(!m_v->copyObject(m_shards.at(5), withShard5, m_emptied).isEmpty());
    const CliResult verify = m_v->run({QStringLiteral("verify"), QStringLiteral("m")});
    QVERIFY2(verify.code == UnderReplicated, verify.describe().constData());
    QCOMPARE(healthOfM(), QStringLiteral("degraded"));
    // Marked so, as the tray and the app's lists read it (HealthRows::refreshDegraded).
    const CliResult info =
        m_v->run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QVERIFY2(info.json().value(QStringLiteral("degraded")).toBool(), info.describe().constData());
    // Repair finds it, and puts shard 3 where no other shard needs the provider: every provider
    // holds a shard of the chunk, one of them only a second copy of shard 5.
    const CliResult repair = m_v->run({QStringLiteral("repair"), QStringLiteral("--json")});
    QVERIFY2(repair.code == 0, repair.describe().constData());
    QCOMPARE(repair.json().value(QStringLiteral("shards_rebuilt")).toInt(), 1);
    const CliResult after = m_v->run({QStringLiteral("verify"), QStringLiteral("--all")});
    QVERIFY2(after.code == 0, after.describe().constData());
    restoresWithTwoGone(QStringLiteral("m"));
    restoresWithTwoGone(QStringLiteral("m"), withShard5);
    restoresWithTwoGone(QStringLiteral("m"), m_emptied);
    // Healthy again in the views too, and a repair more finds nothing to do.
    QCOMPARE(healthOfM(), QStringLiteral("healthy"));
    const CliResult again = m_v->run({QStringLiteral("repair"), QStringLiteral("--json")});
    QVERIFY2(again.code == 0, again.describe().constData());
    QCOMPARE(again.json().value(QStringLiteral("shards_rebuilt")).toInt(), 0);
    QCOMPARE(again.json().value(QStringLiteral("chunks_short")).toInt(), 0);
}

QTEST_GUILESS_MAIN(TestErasureSpread)
#include "tst_erasure_spread.moc"
