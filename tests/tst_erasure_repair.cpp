// Keeping a model stored as shards safe (docs/erasure.md, issue 41): six local-folder providers
// at `shards 4+2`. `modelfloat-cli repair` rebuilds the shards that one and then two providers
// lost onto the providers lacking one (never two shards of a chunk on one provider), and a
// restore then reads the rebuilt shards bit-exact with two other providers gone; a full scrub
// finds every shard whose bytes were damaged (about 1% of them), the model shows degraded, and
// repair rebuilds each one; a chunk with fewer than 4 good shards is named as lost by repair,
// which then changes nothing on the providers (and `repair --from` the model's file makes its
// shards again); a shard whose own provider is full goes to one holding no shard of its chunk,
// and the lost placement is forgotten; a drain moves each shard to a provider holding none of
// its chunk (made again from the others when it cannot be read there), or, with nowhere to put
// it, leaves it where it is rather than delete it; a rebuilt shard that is not the CID the
// registry records is put nowhere; shards that are the same bytes (a chunk of zeros) are whole
// only with a copy for each of them.
#include "shardedvault.h"

#include <QDir>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <memory>

using namespace mf;
using test::CliResult;

namespace {

constexpr int IntegrityProblem = 4;
constexpr int K = test::ShardedVault::K;
constexpr int M = test::ShardedVault::M;

} // namespace

class TestErasureRepair : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void repairRebuildsShardsProvidersLost();
    void scrubFindsDamagedShardsAndRepairRebuildsThem();
    void fewerThanKGoodShardsIsLost();
    void aShardGoesToAnotherProviderWhenItsOwnIsFull();
    void drainMovesShardsWhereNoShardOfTheirChunkIs();
    void drainWithNowhereToMoveShardsLeavesThem();
    void removedByForceItsShardsAreRebuiltElsewhere();
    void aRebuiltShardMustMatchItsRecordedCid();
    void shardsOfTheSameBytesCountEachCopy();

private:
    // The fixture's parts the tests use most (tests/shardedvault.h).
    CliResult run(const QStringList& args) const { return m_v->run(args); }
    QStringList folders() const { return m_v->folders(); }
    QList<QByteArray> chunks() const { return m_v->chunks(); }
    static QStringList shardCids(const QByteArray& chunk)
    {
        return test::ShardedVault::shardCids(chunk);
    }
    static QByteArray fileBytes(const QString& path) { return test::ShardedVault::fileBytes(path); }
    void emptyFolder(int provider) const { m_v->emptyFolder(provider); }
    void addSeventh() { m_v->addSeventh(); }
    void checkOneGoodShardPerProvider() const { m_v->checkOneGoodShardPerProvider(); }
    void checkHealthy() const { m_v->checkHealthy(); }
    // The model, of `modelSize` pseudo-random bytes, floated as "m" in fixed chunks of
    // `chunkSize`: one good shard of every chunk on each of the six providers.
    void floatSharded(qint64 chunkSize, qint64 modelSize)
    {
        m_v->floatBytes(chunkSize, test::pseudoRandomBytes(modelSize, 41));
        if (!QTest::currentTestFailed())
            m_v->checkOneGoodShardPerProvider();
    }

    std::unique_ptr<test::ShardedVault> m_v;
};

void TestErasureRepair::init()
{
    m_v = std::make_unique<test::ShardedVault>();
    QVERIFY(m_v->ok());
}

void TestErasureRepair::cleanup()
{
    m_v.reset();
}

void TestErasureRepair::repairRebuildsShardsProvidersLost()
{
    floatSharded(256 * 1024, 12 * 256 * 1024 + 4567); // 13 chunks, the last one short
    const int chunkCount = int(chunks().size());
    QCOMPARE(chunkCount, 13);

    // One provider lost every shard: repair of the model first asks the providers for each of
    // its shards (the scrub's check pass over the model's placements, which are its shards'),
    // then rebuilds each lost one from four others and puts it back on the only provider
    // without one.
    emptyFolder(1);
    const CliResult one =
        run({QStringLiteral("repair"), QStringLiteral("m"), QStringLiteral("--json")});
    QVERIFY2(one.code == 0, one.describe().constData());
    QCOMPARE(one.json().value(QStringLiteral("copies_checked")).toInt(), (K + M) * chunkCount);
    QCOMPARE(one.json().value(QStringLiteral("copies_found_bad")).toInt(), chunkCount);
    QCOMPARE(one.json().value(QStringLiteral("shards_rebuilt")).toInt(), chunkCount);
    QCOMPARE(one.json().value(QStringLiteral("chunks_repaired")).toInt(), chunkCount);
    QCOMPARE(one.json().value(QStringLiteral("copies_made")).toInt(), 0);
    QCOMPARE(one.json().value(QStringLiteral("lost")).toInt(), 0);
    checkOneGoodShardPerProvider();
    checkHealthy();

    // Two providers lost theirs: each chunk lacks two shards, and the two providers lacking
    // one take one each, never both. (The whole vault this time, said in words.)
    emptyFolder(2);
    emptyFolder(3);
    // The scrub's check pass finds them missing, and the model degraded.
    const CliResult scrub =
        run({QStringLiteral("scrub"), QStringLiteral("--all"), QStringLiteral("--rate"),
             QStringLiteral("0"), QStringLiteral("--json")});
    QCOMPARE(scrub.code, IntegrityProblem);
    QCOMPARE(scrub.json().value(QStringLiteral("missing")).toInt(), 2 * chunkCount);
    QCOMPARE(scrub.json().value(QStringLiteral("degraded_models")).toArray(),
             QJsonArray{QStringLiteral("m")});
    const CliResult degraded =
        run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QCOMPARE(degraded.json().value(QStringLiteral("health")).toString(),
             QStringLiteral("degraded"));
    const CliResult two = run({QStringLiteral("repair")});
    QVERIFY2(two.code == 0, two.describe().constData());
    QVERIFY2(
        two.out.contains(QStringLiteral("%1 lost shards rebuilt").arg(2 * chunkCount).toUtf8()),
        two.describe().constData());
    checkOneGoodShardPerProvider();
    checkHealthy();

    // The rebuilt shards are the chunks' own: with two providers that kept theirs gone, the
    // restore reads three rebuilt shards of every chunk out of four.
    const QStringList gone{folders().at(4), folders().at(5)};
    for (const QString& f : gone)
        QVERIFY(QDir().rename(f, f + QStringLiteral(".away")));
    const QString out = m_v->box().path(QStringLiteral("out/restored"));
    const CliResult restored = run({QStringLiteral("restore"), QStringLiteral("m"),
                                    QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_v->bytes());
}

void TestErasureRepair::scrubFindsDamagedShardsAndRepairRebuildsThem()
{
    floatSharded(64 * 1024, 64 * 64 * 1024 - 1000); // 64 chunks: 384 shards
    QStringList objects;
    for (const QString& folder : folders())
        objects += test::chunkObjects(folder);
    QCOMPARE(objects.size(), 384);
    // About 1% of the shards get a byte flipped (their size stays right: only reading them
    // back finds it).
    QRandomGenerator pick(41);
    QStringList damaged;
    while (damaged.size() < 4) {
        const QString path = objects.at(int(pick.bounded(quint32(objects.size()))));
        if (!damaged.contains(path)) {
            QVERIFY(test::flipOneByte(path));
            damaged.append(path);
        }
    }
    // The full scrub reads every shard back and finds each damaged one; the model is degraded.
    const CliResult scrub =
        run({QStringLiteral("scrub"), QStringLiteral("--read"), QStringLiteral("--all"),
             QStringLiteral("--rate"), QStringLiteral("0"), QStringLiteral("--json")});
    QCOMPARE(scrub.code, IntegrityProblem);
    QCOMPARE(scrub.json().value(QStringLiteral("checked")).toInt(), 384);
    QCOMPARE(scrub.json().value(QStringLiteral("corrupt")).toInt(), damaged.size());
    QCOMPARE(scrub.json().value(QStringLiteral("missing")).toInt(), 0);
    const QString problems = QString::fromUtf8(
        QJsonDocument(scrub.json().value(QStringLiteral("problems")).toArray()).toJson());
    for (const QString& path : std::as_const(damaged))
        QVERIFY2(problems.contains(QFileInfo(path).fileName()), scrub.describe().constData());
    QCOMPARE(scrub.json().value(QStringLiteral("degraded_models")).toArray(),
             QJsonArray{QStringLiteral("m")});
    const CliResult info =
        run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QCOMPARE(info.json().value(QStringLiteral("health")).toString(), QStringLiteral("degraded"));

    // Repair goes by what the scrub found (the registry), and rebuilds each damaged shard in
    // place of the bad object.
    const CliResult repair = run(
        {QStringLiteral("repair"), QStringLiteral("--trust-registry"), QStringLiteral("--json")});
    QVERIFY2(repair.code == 0, repair.describe().constData());
    QCOMPARE(repair.json().value(QStringLiteral("shards_rebuilt")).toInt(), damaged.size());
    QCOMPARE(repair.json().value(QStringLiteral("lost")).toInt(), 0);
    for (const QString& path : std::as_const(damaged))
        QVERIFY2(cid::ofData(fileBytes(path)) == QFileInfo(path).fileName(), qPrintable(path));
    checkOneGoodShardPerProvider();
    checkHealthy();
    const CliResult again =
        run({QStringLiteral("scrub"), QStringLiteral("--read"), QStringLiteral("--all"),
             QStringLiteral("--rate"), QStringLiteral("0"), QStringLiteral("--json")});
    QVERIFY2(again.code == 0, again.describe().constData());
    QCOMPARE(again.json().value(QStringLiteral("corrupt")).toInt(), 0);
}

void TestErasureRepair::fewerThanKGoodShardsIsLost()
{
    floatSharded(256 * 1024, 12 * 256 * 1024 + 4567);
    // Three of one chunk's six shards are gone: three remain, four are needed.
    const QString chunk = cid::ofData(chunks().at(5));
    const QStringList shards = shardCids(chunks().at(5));
    int removed = 0;
    for (int provider = 1; provider <= 3; ++provider)
        for (const QString& path : test::chunkObjects(folders().at(provider)))
            if (shards.contains(QFileInfo(path).fileName())) {
                QVERIFY(QFile::remove(path));
                ++removed;
            }
    QCOMPARE(removed, 3);
    QHash<QString, QStringList> before;
    for (const QString& folder : folders())
        before.insert(folder, test::CliSandbox::filesBelow(folder));

    const CliResult repair = run({QStringLiteral("repair"), QStringLiteral("--json")});
    QCOMPARE(repair.code, IntegrityProblem);
    QCOMPARE(repair.json().value(QStringLiteral("lost")).toInt(), 1);
    QCOMPARE(repair.json().value(QStringLiteral("shards_rebuilt")).toInt(), 0);
    QCOMPARE(repair.json().value(QStringLiteral("copies_made")).toInt(), 0);
    const QJsonArray problems = repair.json().value(QStringLiteral("problems")).toArray();
    bool named = false;
    for (const QJsonValue& p : problems)
        named = named || (p.toString().contains(chunk) && p.toString().contains(u"is lost") &&
                          p.toString().contains(u"“m”"));
    QVERIFY2(named, repair.describe().constData());
    // Nothing was put, nothing removed.
    for (const QString& folder : folders())
        QCOMPARE(test::CliSandbox::filesBelow(folder), before.value(folder));
    // The text says so too, by the chunk's name.
    const CliResult text = run({QStringLiteral("repair")});
    QCOMPARE(text.code, IntegrityProblem);
    QVERIFY2(text.outText().contains(
                 QStringLiteral("PROBLEM  Chunk %1 is lost: 3 of its 6 shards").arg(chunk)),
             text.describe().constData());

    // The file the person still has gives the chunk back, and its lost shards are made from it.
    const CliResult healed =
        run({QStringLiteral("repair"), QStringLiteral("m"), QStringLiteral("--from"),
             m_v->box().path(QStringLiteral("input/m.bin")), QStringLiteral("--json")});
    QVERIFY2(healed.code == 0, healed.describe().constData());
    QCOMPARE(healed.json().value(QStringLiteral("chunks_from_files")).toInt(), 1);
    QCOMPARE(healed.json().value(QStringLiteral("shards_rebuilt")).toInt(), 3);
    checkOneGoodShardPerProvider();
    checkHealthy();
}

void TestErasureRepair::aShardGoesToAnotherProviderWhenItsOwnIsFull()
{
    floatSharded(256 * 1024, 12 * 256 * 1024 + 4567);
    addSeventh();
    // A provider lost its shards and takes no more (its quota is reached): each goes to the
    // seventh, the one provider holding no shard of its chunk, and the lost placements are
    // forgotten (their objects queued for deletion), so verify finds nothing missing.
    emptyFolder(1);
    const CliResult full =
        run({QStringLiteral("provider"), QStringLiteral("update"), QStringLiteral("store1"),
             QStringLiteral("--quota"), QStringLiteral("1K")});
    QVERIFY2(full.code == 0, full.describe().constData());
    const CliResult repair = run({QStringLiteral("repair"), QStringLiteral("--json")});
    QVERIFY2(repair.code == 0, repair.describe().constData());
    QCOMPARE(repair.json().value(QStringLiteral("shards_rebuilt")).toInt(), 13);
    QCOMPARE(repair.json().value(QStringLiteral("bad_copies_forgotten")).toInt(), 13);
    QCOMPARE(test::chunkObjects(folders().at(1)).size(), 0);
    QCOMPARE(test::chunkObjects(folders().at(6)).size(), 13);
    checkOneGoodShardPerProvider();
    checkHealthy();
}

void TestErasureRepair::drainMovesShardsWhereNoShardOfTheirChunkIs()
{
    floatSharded(256 * 1024, 12 * 256 * 1024 + 4567); // 13 chunks
    addSeventh();
    QStringList leaving = test::chunkObjects(folders().at(1));
    QCOMPARE(leaving.size(), 13);
    std::sort(leaving.begin(), leaving.end());
    // Two of its shards cannot be read from it: one is gone, one damaged. Those are made again
    // from their chunks' other shards; the eleven others are moved as they are.
    QVERIFY(QFile::remove(leaving.at(0)));
    {
        QFile f(leaving.at(1));
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(100);
        QVERIFY(f.write("flipped") == 7);
    }
    const CliResult drain = run({QStringLiteral("provider"), QStringLiteral("drain"),
                                 QStringLiteral("store1"), QStringLiteral("--json")});
    QVERIFY2(drain.code == 0, drain.describe().constData());
    QCOMPARE(drain.json().value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(drain.json().value(QStringLiteral("copies_made")).toInt(), 13);
    QCOMPARE(drain.json().value(QStringLiteral("objects_deleted")).toInt(), 13);
    QCOMPARE(drain.json().value(QStringLiteral("chunks_left")).toInt(), 0);
    // The only provider holding no shard of their chunks took them all.
    QCOMPARE(test::chunkObjects(folders().at(1)).size(), 0);
    QCOMPARE(test::chunkObjects(folders().at(6)).size(), 13);
    checkOneGoodShardPerProvider();
    checkHealthy();
    // Any two of the six that hold it may go: store6's shards are the chunks' own.
    for (const QString& f : {folders().at(2), folders().at(3)})
        QVERIFY(QDir().rename(f, f + QStringLiteral(".away")));
    const QString out = m_v->box().path(QStringLiteral("out/restored"));
    const CliResult restored = run({QStringLiteral("restore"), QStringLiteral("m"),
                                    QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_v->bytes());
}

void TestErasureRepair::drainWithNowhereToMoveShardsLeavesThem()
{
    floatSharded(256 * 1024, 12 * 256 * 1024 + 4567);
    // Six providers, six shards of every chunk: each other provider holds one already. Deleting
    // the drained provider's shards would leave every chunk a shard short while saying the
    // provider was drained. They stay, and the drain says why.
    const QStringList before = test::chunkObjects(folders().at(1));
    const CliResult drain = run({QStringLiteral("provider"), QStringLiteral("drain"),
                                 QStringLiteral("store1"), QStringLiteral("--json")});
    QCOMPARE(drain.code, 7); // chunks keep fewer copies than wanted elsewhere: nothing lost
    QCOMPARE(drain.json().value(QStringLiteral("ok")).toBool(), false);
    QCOMPARE(drain.json().value(QStringLiteral("objects_deleted")).toInt(), 0);
    QCOMPARE(drain.json().value(QStringLiteral("chunks_left")).toInt(), 13);
    QVERIFY2(drain.outText().contains(u"stays on “store1”: every other provider holds a shard "
                                      u"of the chunk"),
             drain.describe().constData());
    // And what would let it end, once.
    QVERIFY2(drain.errText().count(u"“store1” keeps the shards of the models stored as shards "
                                   u"4+2: the other providers that take new objects are 5, and "
                                   u"shards 4+2 needs 6. Add a provider, or convert those models "
                                   u"to shards 3+2 on the 5 (`modelfloat-cli convert MODEL "
                                   u"shards 3+2`), then drain again") == 1,
             drain.describe().constData());
    QVERIFY2(drain.errText().contains(u"13 shards have no provider of their own yet"),
             drain.describe().constData());
    QVERIFY2(!drain.errText().contains(u"fewer than 2 copies"), drain.describe().constData());
    QCOMPARE(test::chunkObjects(folders().at(1)), before);
    checkHealthy();
    // Once a seventh provider is there, the same drain goes on and ends.
    addSeventh();
    const CliResult again = run({QStringLiteral("provider"), QStringLiteral("drain"),
                                 QStringLiteral("store1"), QStringLiteral("--json")});
    QVERIFY2(again.code == 0, again.describe().constData());
    QCOMPARE(test::chunkObjects(folders().at(1)).size(), 0);
    QCOMPARE(test::chunkObjects(folders().at(6)).size(), 13);
    checkHealthy();
}

void TestErasureRepair::removedByForceItsShardsAreRebuiltElsewhere()
{
    floatSharded(256 * 1024, 12 * 256 * 1024 + 4567);
    addSeventh();
    // Removed by force (its account gone, say), its shards are rebuilt on the provider that
    // holds none of their chunks.
    const CliResult removed = run({QStringLiteral("provider"), QStringLiteral("remove"),
                                   QStringLiteral("store1"), QStringLiteral("--force")});
    QVERIFY2(removed.code == 0, removed.describe().constData());
    const CliResult repair = run({QStringLiteral("repair"), QStringLiteral("--json")});
    QVERIFY2(repair.code == 0, repair.describe().constData());
    QCOMPARE(repair.json().value(QStringLiteral("shards_rebuilt")).toInt(), 13);
    QCOMPARE(test::chunkObjects(folders().at(6)).size(), 13);
    checkHealthy();
}

void TestErasureRepair::aRebuiltShardMustMatchItsRecordedCid()
{
    floatSharded(256 * 1024, 12 * 256 * 1024 + 4567);
    // The registry (written from a catalog another computer published, say) names another CID
    // for shard 1 of a chunk, one no provider holds: the chunk is short of that shard, but what
    // repair makes from the chunk is not it, so nothing is put.
    const QString chunk = cid::ofData(chunks().at(7));
    const QString wrong = cid::ofData(QByteArrayLiteral("not shard 1"));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("w"));
        db.setDatabaseName(m_v->box().vault() + QStringLiteral("/registry.sqlite"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("INSERT INTO chunks (cid, size) SELECT '%1', size FROM "
                                      "chunks WHERE cid = (SELECT shard_cid FROM chunk_shards "
                                      "WHERE chunk_cid = '%2' AND idx = 1)")
                           .arg(wrong, chunk)));
        QVERIFY(q.exec(QStringLiteral("UPDATE chunk_shards SET shard_cid = '%1' WHERE chunk_cid "
                                      "= '%2' AND idx = 1")
                           .arg(wrong, chunk)));
        QCOMPARE(q.numRowsAffected(), 1);
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("w"));
    QHash<QString, QStringList> before;
    for (const QString& folder : folders())
        before.insert(folder, test::CliSandbox::filesBelow(folder));
    const CliResult repair = run({QStringLiteral("repair"), QStringLiteral("--json")});
    QCOMPARE(repair.code, 7); // short, nothing lost: the chunk still reads from its shards
    QCOMPARE(repair.json().value(QStringLiteral("shards_rebuilt")).toInt(), 0);
    QCOMPARE(repair.json().value(QStringLiteral("still_short")).toInt(), 1);
    const QString problems = QString::fromUtf8(
        QJsonDocument(repair.json().value(QStringLiteral("problems")).toArray()).toJson());
    QVERIFY2(
        problems.contains(QStringLiteral("chunk %1: shard 1 made again from it is").arg(chunk)) &&
            problems.contains(wrong),
        repair.describe().constData());
    for (const QString& folder : folders())
        QCOMPARE(test::CliSandbox::filesBelow(folder), before.value(folder));
}

void TestErasureRepair::shardsOfTheSameBytesCountEachCopy()
{
    // A chunk of zeros has six shards of the same bytes, one object wanted on six providers:
    // the chunk survives losing any two of them only while six hold it.
    const qint64 chunkSize = 256 * 1024;
    m_v->floatBytes(chunkSize, QByteArray(2 * chunkSize, '\0'));
    const QStringList shards = shardCids(QByteArray(chunkSize, '\0'));
    QCOMPARE(QSet<QString>(shards.cbegin(), shards.cend()).size(), 1);
    const QString shard = shards.first();
    auto holders = [this, &shard] {
        int n = 0;
        for (const QString& folder : folders())
            n += test::chunkObjectBelow(folder, shard).isEmpty() ? 0 : 1;
        return n;
    };
    QCOMPARE(holders(), K + M);
    checkHealthy();

    // Two providers lose it: four copies are left, and the model is degraded, not healthy
    // because one copy of the bytes of all six shards is still somewhere.
    QVERIFY(QFile::remove(test::chunkObjectBelow(folders().at(1), shard)));
    QVERIFY(QFile::remove(test::chunkObjectBelow(folders().at(2), shard)));
    const CliResult scrub =
        run({QStringLiteral("scrub"), QStringLiteral("--all"), QStringLiteral("--rate"),
             QStringLiteral("0"), QStringLiteral("--json")});
    QCOMPARE(scrub.json().value(QStringLiteral("missing")).toInt(), 2);
    const CliResult info =
        run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QCOMPARE(info.json().value(QStringLiteral("health")).toString(), QStringLiteral("degraded"));

    // Repair puts it back on the two providers that lost it.
    const CliResult repair = run({QStringLiteral("repair"), QStringLiteral("--json")});
    QVERIFY2(repair.code == 0, repair.describe().constData());
    QVERIFY2(repair.json().value(QStringLiteral("shards_rebuilt")).toInt() == 2,
             repair.describe().constData());
    QCOMPARE(holders(), K + M);
    checkHealthy();
}

QTEST_GUILESS_MAIN(TestErasureRepair)
#include "tst_erasure_repair.moc"
