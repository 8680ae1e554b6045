// Converting a model between redundancy schemes in place (docs/erasure.md, issue 41), through
// `modelfloat-cli convert` on six local-folder providers: a model floated at `copies 2` becomes
// `shards 4+2` (one shard of every chunk on each provider, no copy left once `collect` has run,
// healthy, restored bit-exact with any two providers gone) and back to `copies 2`; a scheme the
// providers cannot hold is refused with nothing changed; a conversion killed (SIGKILL) again and
// again during its puts ends right when run again, with no object left over; and a chunk another
// model still uses under the old scheme keeps what that model needs; shards of the same bytes (a
// chunk of zeros) are put once per index; and a model at 4+2 whose sixth provider goes becomes
// 3+2 on the other five in one step, killed on the way or not.
#include "registry/registry.h"
#include "shardedvault.h"
#include "vault/vault.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <memory>

#include <csignal>

using namespace mf;
using test::CliResult;

namespace {

constexpr int Failed = 1;
constexpr int Usage = 2;
constexpr int IntegrityProblem = 4;
constexpr int K = test::ShardedVault::K;
constexpr int M = test::ShardedVault::M;

} // namespace

class TestErasureConvert : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void copiesToShardsAndBack();
    void refusedWhenTheProvidersCannotHoldIt();
    void copiesOtherThanTheVaultsAreRefused();
    void killedAgainAndAgainItEndsRight();
    void aChunkAnotherModelUsesKeepsItsCopies();
    void itsCopyRetiredOnASharedStoreIsLeft();
    void shardsOfTheSameBytesAreEachPut();
    void aLostChunkIsSaidAndNothingChanges();
    void fromShardsToOtherShardsInOneStep();
    void fromShardsToOtherShardsKilledEndsRight();
    void killedHalfwayItIsReadFromTheCatalog();
    void aVaultSetToOneDataShardFloatsCopies();

private:
    // The fixture's parts the tests use most (tests/shardedvault.h).
    CliResult run(const QStringList& args) const { return m_v->run(args); }
    // The vault's own local provider and `providers` − 1 more; the model floated as "m" at the
    // vault's default scheme (copies 2) in fixed chunks of `chunkSize`.
    void floatCopies(int providers, qint64 chunkSize, const QByteArray& bytes);
    QStringList folders() const { return m_v->folders(); }
    QList<QByteArray> chunks() const { return m_v->chunks(); }
    static QStringList shardCids(const QByteArray& chunk)
    {
        return test::ShardedVault::shardCids(chunk);
    }
    static QByteArray fileBytes(const QString& path) { return test::ShardedVault::fileBytes(path); }
    // Every object on the providers, by folder.
    QHash<QString, QStringList> objects() const;
    // Each provider holds exactly one shard of every chunk, each object's bytes match its name,
    // and nothing else is stored.
    void checkOneShardPerProvider() const { m_v->checkOneGoodShardPerProvider(); }
    // Each chunk is stored whole on exactly `copies` providers, and nothing else is stored.
    void checkCopies(int copies) const;
    void checkHealthy() const { m_v->checkHealthy(); }
    // Restores "m" with the providers `away` renamed away, and compares it with the bytes floated.
    void checkRestoreWithout(const QList<int>& away) const;
    QString modelScheme(const QString& model) const;
    CliResult convert(const QString& scheme, const QString& model = QStringLiteral("m")) const;
    void collect() const;
    // "m" and "m2" of the same bytes at copies 2, then "m" converted to shards 4+2: every chunk
    // is kept whole for "m2" and as shards for "m".
    void floatTwoAndConvertOne();
    // "m" floated at copies 2 on six providers and converted to 4+2, then the sixth provider
    // (store5) drained: it takes no new shard, and its own stay (every other provider holds
    // one of each chunk already), so the drain ends short.
    void shardsOnSixAndTheSixthDraining();
    // After the conversion to 3+2: store5 holds nothing, each other provider one shard of every
    // chunk, the model healthy and restored without any two of the five; store5 then drains.
    void checkThreePlusTwoOnFive();
    // `convert m shards 3+2` slowed down and killed with SIGKILL once `more` objects are stored
    // beyond what was; whether it was killed.
    bool convertKilledAfter(const QString& scheme, int more);
    int storedObjects() const;

    std::unique_ptr<test::ShardedVault> m_v;
    test::CliSandbox* m_box = nullptr; // m_v's
    QByteArray m_bytes;                // the model floated
};

void TestErasureConvert::init()
{
    m_v = std::make_unique<test::ShardedVault>();
    QVERIFY(m_v->ok());
    m_box = &m_v->box();
}

void TestErasureConvert::cleanup()
{
    m_box = nullptr;
    m_v.reset();
}

QHash<QString, QStringList> TestErasureConvert::objects() const
{
    QHash<QString, QStringList> out;
    for (const QString& folder : folders())
        out.insert(folder, test::chunkObjects(folder));
    return out;
}

void TestErasureConvert::floatCopies(int providers, qint64 chunkSize, const QByteArray& bytes)
{
    m_bytes = bytes;
    m_v->addProviders(providers);
    m_v->setModel(chunkSize, m_bytes);
    if (QTest::currentTestFailed())
        return;
    const CliResult floated = run(m_v->floatArgs() << QStringLiteral("--quiet"));
    QVERIFY2(floated.code == 0, floated.describe().constData());
    checkCopies(2);
}

void TestErasureConvert::checkCopies(int copies) const
{
    QHash<QString, int> held; // chunk CID -> providers holding it
    for (const QByteArray& c : chunks())
        held.insert(cid::ofData(c), 0);
    for (const QString& folder : folders())
        for (const QString& path : test::chunkObjects(folder)) {
            const QString name = QFileInfo(path).fileName();
            QVERIFY2(held.contains(name), qPrintable(path + QStringLiteral(": not a chunk")));
            QVERIFY2(cid::ofData(fileBytes(path)) == name,
                     qPrintable(path + QStringLiteral(": bytes do not match the name")));
            held[name]++;
        }
    for (auto it = held.cbegin(); it != held.cend(); ++it)
        QVERIFY2(it.value() == copies, qPrintable(QStringLiteral("chunk %1 has %2 copies, not %3")
                                                      .arg(it.key())
                                                      .arg(it.value())
                                                      .arg(copies)));
}

void TestErasureConvert::checkRestoreWithout(const QList<int>& away) const
{
    for (int i : away)
        QVERIFY(QDir().rename(folders().at(i), folders().at(i) + QStringLiteral(".away")));
    const QString out =
        m_box->path(QStringLiteral("out/restored-%1").arg(QDateTime::currentMSecsSinceEpoch()));
    const CliResult restored = run({QStringLiteral("restore"), QStringLiteral("m"),
                                    QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    for (int i : away)
        QVERIFY(QDir().rename(folders().at(i) + QStringLiteral(".away"), folders().at(i)));
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QVERIFY(fileBytes(out + QStringLiteral("/m.bin")) == m_bytes);
}

QString TestErasureConvert::modelScheme(const QString& model) const
{
    QString scheme;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("r"));
        db.setDatabaseName(m_box->vault() + QStringLiteral("/registry.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(
                    QStringLiteral("SELECT redundancy FROM models WHERE name = '%1'").arg(model)) &&
                q.next())
                scheme = q.value(0).toString();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("r"));
    return scheme;
}

CliResult TestErasureConvert::convert(const QString& scheme, const QString& model) const
{
    QStringList args{QStringLiteral("convert"), model};
    args += scheme.split(QLatin1Char(' '));
    args.append(QStringLiteral("--json"));
    return run(args);
}

void TestErasureConvert::collect() const
{
    const CliResult collected = run({QStringLiteral("collect")});
    QVERIFY2(collected.code == 0, collected.describe().constData());
}

void TestErasureConvert::copiesToShardsAndBack()
{
    floatCopies(K + M, 64 * 1024,
                test::pseudoRandomBytes(20 * 64 * 1024 + 777, 42)); // 21 chunks, the last one short
    const int n = int(chunks().size());
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("copies 2"));

    const CliResult toShards = convert(QStringLiteral("shards 4+2"));
    QVERIFY2(toShards.code == 0, toShards.describe().constData());
    const QJsonObject j = toShards.json();
    QCOMPARE(j.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(j.value(QStringLiteral("chunks_converted")).toInt(), n);
    QCOMPARE(j.value(QStringLiteral("shards_put")).toInt(), n * (K + M));
    QCOMPARE(j.value(QStringLiteral("copies_made")).toInt(), 0);
    QCOMPARE(j.value(QStringLiteral("objects_retired")).toInt(), 2 * n);
    QCOMPARE(j.value(QStringLiteral("problems")).toArray().size(), 0);
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("shards 4+2"));
    // The copies are deletions until `collect` carries them out: readers of them are not cut off.
    int copiesLeft = 0;
    for (const QByteArray& c : chunks())
        for (const QStringList& here : objects())
            for (const QString& path : here)
                copiesLeft += QFileInfo(path).fileName() == cid::ofData(c) ? 1 : 0;
    QCOMPARE(copiesLeft, 2 * n);
    collect();
    checkOneShardPerProvider();
    checkHealthy();
    checkRestoreWithout({1, 4});
    checkRestoreWithout({0, 5});

    // Run again, it has nothing left to do.
    const CliResult again = convert(QStringLiteral("shards 4+2"));
    QVERIFY2(again.code == 0, again.describe().constData());
    QCOMPARE(again.json().value(QStringLiteral("shards_put")).toInt(), 0);
    QCOMPARE(again.json().value(QStringLiteral("objects_retired")).toInt(), 0);

    // And back: two copies of every chunk, the shards gone after collect.
    const CliResult toCopies = convert(QStringLiteral("copies 2"));
    QVERIFY2(toCopies.code == 0, toCopies.describe().constData());
    QCOMPARE(toCopies.json().value(QStringLiteral("chunks_converted")).toInt(), n);
    QCOMPARE(toCopies.json().value(QStringLiteral("copies_made")).toInt(), 2 * n);
    QCOMPARE(toCopies.json().value(QStringLiteral("shards_put")).toInt(), 0);
    QCOMPARE(toCopies.json().value(QStringLiteral("objects_retired")).toInt(), n * (K + M));
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("copies 2"));
    collect();
    checkCopies(2);
    checkHealthy();
    checkRestoreWithout({2});
}

void TestErasureConvert::refusedWhenTheProvidersCannotHoldIt()
{
    floatCopies(K + M - 1, 64 * 1024, test::pseudoRandomBytes(8 * 64 * 1024, 42));
    const QHash<QString, QStringList> before = objects();
    const CliResult refused = convert(QStringLiteral("shards 4+2"));
    QCOMPARE(refused.code, Failed);
    QVERIFY2(refused.errText().contains(u"shards 4+2 needs 6 providers") &&
                 refused.errText().contains(u"has 5"),
             refused.describe().constData());
    QCOMPARE(objects(), before);
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("copies 2"));
    // Nothing to collect either: no shard was recorded, no copy retired.
    collect();
    QCOMPARE(objects(), before);
    checkHealthy();
}

void TestErasureConvert::copiesOtherThanTheVaultsAreRefused()
{
    // Health and repair keep every model of copies at the vault's number (2 here): a model
    // converted to copies 3 would be said healthy with two.
    floatCopies(K + M, 64 * 1024, test::pseudoRandomBytes(8 * 64 * 1024, 7));
    const CliResult toShards = convert(QStringLiteral("shards 4+2"));
    QVERIFY2(toShards.code == 0, toShards.describe().constData());
    collect();
    const QHash<QString, QStringList> before = objects();
    const CliResult refused = convert(QStringLiteral("copies 3"));
    QCOMPARE(refused.code, Usage);
    QVERIFY2(refused.errText().contains(u"can become copies 2, the vault's number of copies"),
             refused.describe().constData());
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("shards 4+2"));
    collect();
    QCOMPARE(objects(), before);
    checkHealthy();
}

void TestErasureConvert::killedAgainAndAgainItEndsRight()
{
    floatCopies(K + M, 64 * 1024,
                test::pseudoRandomBytes(40 * 64 * 1024 + 100, 42)); // 41 chunks: 246 shards
    if (QTest::currentTestFailed())
        return;
    auto stored = [this] { return storedObjects(); };
    // Slowed down (the upload limit every transfer of the command shares), so that the kills
    // fall among the shards' puts: after a few puts, after many, and after most.
    int killed = 0;
    for (int more : {10, 60, 150}) {
        const int start = stored();
        QProcess p;
        p.setProcessEnvironment(m_box->environment());
        p.setWorkingDirectory(m_box->root());
        p.start(test::CliSandbox::cli(),
                {QStringLiteral("convert"), QStringLiteral("m"), QStringLiteral("shards"),
                 QStringLiteral("4+2"), QStringLiteral("--limit-upload"), QStringLiteral("400K"),
                 QStringLiteral("--quiet")});
        QVERIFY(p.waitForStarted());
        QElapsedTimer clock;
        clock.start();
        while (p.state() == QProcess::Running && stored() < start + more &&
               clock.elapsed() < 120000)
            p.waitForFinished(5);
        if (p.state() == QProcess::Running) {
            ::kill(pid_t(p.processId()), SIGKILL);
            ++killed;
        }
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("copies 2"));
    }
    QVERIFY2(killed >= 2, "the conversion ended before it could be killed");
    // The model reads all along: its copies are not retired before its shards are all stored.
    checkRestoreWithout({});

    const CliResult ended = convert(QStringLiteral("shards 4+2"));
    QVERIFY2(ended.code == 0, ended.describe().constData());
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("shards 4+2"));
    collect();
    checkOneShardPerProvider(); // every shard once, and no copy and no stray object left
    checkHealthy();
    checkRestoreWithout({2, 3});

    // Back to copies, killed once on the way.
    {
        const int start = stored();
        QProcess p;
        p.setProcessEnvironment(m_box->environment());
        p.setWorkingDirectory(m_box->root());
        p.start(test::CliSandbox::cli(),
                {QStringLiteral("convert"), QStringLiteral("m"), QStringLiteral("copies"),
                 QStringLiteral("2"), QStringLiteral("--limit-upload"), QStringLiteral("400K"),
                 QStringLiteral("--quiet")});
        QVERIFY(p.waitForStarted());
        QElapsedTimer clock;
        clock.start();
        while (p.state() == QProcess::Running && stored() < start + 30 && clock.elapsed() < 120000)
            p.waitForFinished(5);
        if (p.state() == QProcess::Running)
            ::kill(pid_t(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished(10000));
    }
    const CliResult back = convert(QStringLiteral("copies 2"));
    QVERIFY2(back.code == 0, back.describe().constData());
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("copies 2"));
    collect();
    checkCopies(2);
    checkHealthy();
    checkRestoreWithout({0});
}

void TestErasureConvert::floatTwoAndConvertOne()
{
    floatCopies(K + M, 64 * 1024, test::pseudoRandomBytes(10 * 64 * 1024, 42));
    const int n = int(chunks().size());
    // "m2" is the same bytes: every chunk of "m" is one of "m2" too, which stays at copies 2.
    const CliResult floated = run(
        {QStringLiteral("float"), m_v->modelFile(), QStringLiteral("--name"), QStringLiteral("m2"),
         QStringLiteral("--chunker"), QStringLiteral("fixed"), QStringLiteral("--chunk-size"),
         QString::number(m_v->chunkSize()), QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe().constData());

    const CliResult toShards = convert(QStringLiteral("shards 4+2"));
    QVERIFY2(toShards.code == 0, toShards.describe().constData());
    QCOMPARE(toShards.json().value(QStringLiteral("kept_for_other_models")).toInt(), n);
    QCOMPARE(toShards.json().value(QStringLiteral("objects_retired")).toInt(), 0);
}

void TestErasureConvert::aChunkAnotherModelUsesKeepsItsCopies()
{
    floatTwoAndConvertOne();
    if (QTest::currentTestFailed())
        return;
    const int n = int(chunks().size());
    collect();
    // Both: two copies of each chunk for "m2", six shards for "m".
    int copies = 0;
    int all = 0;
    QSet<QString> chunkCids;
    for (const QByteArray& c : chunks())
        chunkCids.insert(cid::ofData(c));
    for (const QStringList& here : objects())
        for (const QString& path : here) {
            ++all;
            copies += chunkCids.contains(QFileInfo(path).fileName()) ? 1 : 0;
        }
    QCOMPARE(copies, 2 * n);
    QCOMPARE(all, 2 * n + (K + M) * n);

    // Once "m2" is converted too, nothing needs the copies any more.
    const CliResult second = convert(QStringLiteral("shards 4+2"), QStringLiteral("m2"));
    QVERIFY2(second.code == 0, second.describe().constData());
    QCOMPARE(second.json().value(QStringLiteral("shards_put")).toInt(), 0);
    QCOMPARE(second.json().value(QStringLiteral("objects_retired")).toInt(), 2 * n);
    collect();
    checkOneShardPerProvider();
    checkHealthy();
}

void TestErasureConvert::itsCopyRetiredOnASharedStoreIsLeft()
{
    // A whole copy of such a chunk retired (found bad, and made again elsewhere) on a store
    // another vault shares is forgotten, not deleted: what is there may be that vault's good
    // copy, and "m2" keeps the chunk whole. The rule used to ask only whether the chunk had
    // shards recorded, and so claimed it for deletion because "m" keeps it as shards.
    floatTwoAndConvertOne();
    if (QTest::currentTestFailed())
        return;
    QString error;
    const std::unique_ptr<Vault> vault =
        Vault::open(m_box->vault(), Vault::OpenMode::Existing, &error);
    QVERIFY2(vault, qPrintable(error));
    PlacementRows& rows = vault->registry().placementRows();
    const QString chunk = cid::ofData(chunks().first());
    const QList<Placement> copies = rows.placements(chunk);
    QCOMPARE(copies.size(), 2);
    QCOMPARE(rows.retirePlacement(chunk, copies.first().providerId, 0),
             PlacementRows::RetireResult::Retired);
    const QList<PendingDeletion> pending = rows.pendingDeletions();
    QCOMPARE(pending.size(), 1);
    QCOMPARE(rows.claimDeletion(pending.first().id, QStringLiteral("test"),
                                PlacementRows::Store::Shared),
             PlacementRows::DeletionClaim::KeptShared);
    QVERIFY(rows.pendingDeletions().isEmpty());
}

void TestErasureConvert::shardsOfTheSameBytesAreEachPut()
{
    // A chunk of zeros has six shards of the same bytes: one object, wanted on six providers.
    const qint64 chunkSize = 64 * 1024;
    floatCopies(K + M, chunkSize, QByteArray(2 * chunkSize, '\0'));
    if (QTest::currentTestFailed())
        return;
    const QString shard = shardCids(QByteArray(chunkSize, '\0')).value(0);
    const CliResult converted = convert(QStringLiteral("shards 4+2"));
    QVERIFY2(converted.code == 0, converted.describe().constData());
    QCOMPARE(converted.json().value(QStringLiteral("shards_put")).toInt(), K + M);
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("shards 4+2"));
    collect();
    for (const QString& folder : folders())
        QCOMPARE(test::chunkObjects(folder), QStringList{test::chunkObjectBelow(folder, shard)});
    checkHealthy();
    checkRestoreWithout({0, 3});
}

void TestErasureConvert::aLostChunkIsSaidAndNothingChanges()
{
    floatCopies(K + M, 64 * 1024, test::pseudoRandomBytes(8 * 64 * 1024, 42));
    // Both copies of one chunk are gone from their providers.
    const QString lost = cid::ofData(chunks().at(3));
    int removed = 0;
    for (const QString& folder : folders())
        if (const QString path = test::chunkObjectBelow(folder, lost); !path.isEmpty()) {
            QVERIFY(QFile::remove(path));
            ++removed;
        }
    QCOMPARE(removed, 2);
    const CliResult converted = convert(QStringLiteral("shards 4+2"));
    QCOMPARE(converted.code, IntegrityProblem);
    QCOMPARE(converted.json().value(QStringLiteral("lost")).toInt(), 1);
    QCOMPARE(converted.json().value(QStringLiteral("ok")).toBool(), false);
    QVERIFY2(converted.outText().contains(lost), converted.describe().constData());
    // The other chunks are converted one by one (each whole as shards before its copies go), but
    // the model's scheme stays until every chunk of it is whole under the new one.
    QCOMPARE(converted.json().value(QStringLiteral("chunks_converted")).toInt(),
             int(chunks().size()) - 1);
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("copies 2"));
}

int TestErasureConvert::storedObjects() const
{
    int count = 0;
    for (const QString& folder : folders())
        count += int(test::chunkObjects(folder).size());
    return count;
}

bool TestErasureConvert::convertKilledAfter(const QString& scheme, int more)
{
    const int start = storedObjects();
    QProcess p;
    p.setProcessEnvironment(m_box->environment());
    p.setWorkingDirectory(m_box->root());
    QStringList args{QStringLiteral("convert"), QStringLiteral("m")};
    args += scheme.split(QLatin1Char(' '));
    // Slowed down (the upload limit every transfer of the command shares), so that the kill
    // falls among the shards' puts.
    args += {QStringLiteral("--limit-upload"), QStringLiteral("400K"), QStringLiteral("--quiet")};
    p.start(test::CliSandbox::cli(), args);
    if (!p.waitForStarted())
        return false;
    QElapsedTimer clock;
    clock.start();
    while (p.state() == QProcess::Running && storedObjects() < start + more &&
           clock.elapsed() < 120000)
        p.waitForFinished(5);
    const bool killed = p.state() == QProcess::Running;
    if (killed)
        ::kill(pid_t(p.processId()), SIGKILL);
    p.waitForFinished(10000);
    return killed;
}

void TestErasureConvert::shardsOnSixAndTheSixthDraining()
{
    floatCopies(K + M, 64 * 1024,
                test::pseudoRandomBytes(20 * 64 * 1024 + 777, 42)); // 21 chunks, the last one short
    if (QTest::currentTestFailed())
        return;
    const CliResult toShards = convert(QStringLiteral("shards 4+2"));
    QVERIFY2(toShards.code == 0, toShards.describe().constData());
    collect();
    checkOneShardPerProvider();
    const QStringList onSixth = test::chunkObjects(folders().at(5));
    const CliResult drained = run({QStringLiteral("provider"), QStringLiteral("drain"),
                                   QStringLiteral("store5"), QStringLiteral("--json")});
    QVERIFY2(drained.code != 0 && drained.json().value(QStringLiteral("ok")) == false,
             drained.describe().constData());
    QCOMPARE(test::chunkObjects(folders().at(5)), onSixth);
}

void TestErasureConvert::checkThreePlusTwoOnFive()
{
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("shards 3+2"));
    collect();
    QCOMPARE(test::chunkObjects(folders().at(5)), QStringList());
    m_v->checkOneGoodShardPerProvider(3, 2); // and no 4+2 shard, no copy left anywhere
    checkHealthy();
    for (int a = 0; a < 5; ++a)
        for (int b = a + 1; b < 5; ++b)
            checkRestoreWithout({a, b, 5});
    const CliResult removed =
        run({QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("store5")});
    QVERIFY2(removed.code == 0, removed.describe().constData());
}

void TestErasureConvert::fromShardsToOtherShardsInOneStep()
{
    // Six providers at 4+2 and one to go: the other five cannot take its shards (each holds
    // one of every chunk). 3+2 fits on the five, in place, without the room copies would need.
    shardsOnSixAndTheSixthDraining();
    if (QTest::currentTestFailed())
        return;
    const int n = int(chunks().size());
    const CliResult converted = convert(QStringLiteral("shards 3+2"));
    QVERIFY2(converted.code == 0, converted.describe().constData());
    const QJsonObject j = converted.json();
    QCOMPARE(j.value(QStringLiteral("chunks_converted")).toInt(), n);
    QCOMPARE(j.value(QStringLiteral("shards_put")).toInt(), n * 5);
    QCOMPARE(j.value(QStringLiteral("copies_made")).toInt(), 0);
    QCOMPARE(j.value(QStringLiteral("objects_retired")).toInt(), n * (K + M));
    QCOMPARE(j.value(QStringLiteral("problems")).toArray().size(), 0);
    checkThreePlusTwoOnFive();
}

void TestErasureConvert::fromShardsToOtherShardsKilledEndsRight()
{
    shardsOnSixAndTheSixthDraining();
    if (QTest::currentTestFailed())
        return;
    int killed = 0;
    for (int more : {8, 60})
        killed += convertKilledAfter(QStringLiteral("shards 3+2"), more) ? 1 : 0;
    QVERIFY2(killed >= 1, "the conversion ended before it could be killed");
    // The model reads all along, from its 4+2 shards, or from the 3+2 ones once whole.
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("shards 4+2"));
    checkRestoreWithout({0, 5});
    const CliResult ended = convert(QStringLiteral("shards 3+2"));
    QVERIFY2(ended.code == 0, ended.describe().constData());
    checkThreePlusTwoOnFive();
}

// A conversion killed halfway, and the copies of the chunks it converted deleted by collect:
// another computer taking the model in from the catalog (or this vault recovered on a new one
// when this computer is lost) must read each chunk from its shards or from its copies. The
// manifest published before the conversion named copies only, and the conversion had not
// published again, so the chunks converted were lost there ("it has no replica on any
// provider"). Now a chunk's conversion marks its model changed before its copies are retired,
// collect publishes it before deleting them, and the manifest names the shards of the chunks
// that have them and none for the others. Converted back to copies, the model is copies there
// again (it stayed "shards 4+2").
void TestErasureConvert::killedHalfwayItIsReadFromTheCatalog()
{
    floatCopies(K + M, 64 * 1024, test::pseudoRandomBytes(40 * 64 * 1024 + 100, 43));
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(convertKilledAfter(QStringLiteral("shards 4+2"), 60),
             "the conversion ended before it could be killed");
    collect();
    const CliResult info =
        run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    const int sharded = info.json().value(QStringLiteral("sharded_chunks")).toInt();
    QVERIFY2(sharded > 0 && sharded < 41, info.describe().constData());
    int copies = 0; // whole copies left of the 41 chunks
    for (const QByteArray& chunk : chunks())
        for (const QString& folder : folders())
            copies += test::chunkObjectBelow(folder, cid::ofData(chunk)).isEmpty() ? 0 : 1;
    QVERIFY2(copies <= 2 * (41 - sharded), qPrintable(QString::number(copies)));

    QStringList onB;
    m_v->takeInOnAnotherVault(&onB);
    if (QTest::currentTestFailed())
        return;
    const QString out = m_box->path(QStringLiteral("out/b"));
    auto restoresOnB = [&] {
        QVERIFY(!QDir(out).exists() || QDir(out).removeRecursively());
        const CliResult restored =
            run(QStringList{QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"),
                            out, QStringLiteral("--quiet")} +
                onB);
        QVERIFY2(restored.code == 0, restored.describe().constData());
        QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_bytes);
    };
    restoresOnB();
    if (QTest::currentTestFailed())
        return;
    const auto redundancyOnB = [&] {
        return run(QStringList{QStringLiteral("info"), QStringLiteral("m"),
                               QStringLiteral("--json")} +
                   onB)
            .json()
            .value(QStringLiteral("redundancy"))
            .toString();
    };
    // Converted here to `scheme` to the end, its old objects collected: B takes it in and says
    // `scheme`, and restores it.
    const auto convertedHereSeenOnB = [&](const QString& scheme) {
        const CliResult ended = convert(scheme);
        QVERIFY2(ended.code == 0, ended.describe().constData());
        collect();
        const CliResult synced =
            run(QStringList{QStringLiteral("vault"), QStringLiteral("sync")} + onB);
        QVERIFY2(synced.code == 0, synced.describe().constData());
        QCOMPARE(redundancyOnB(), scheme);
        restoresOnB();
    };
    // There, as here, it is kept as copies until the conversion ends; then as shards.
    const CliResult before = run(
        QStringList{QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")} + onB);
    QCOMPARE(before.json().value(QStringLiteral("sharded_chunks")).toInt(), sharded);
    QCOMPARE(redundancyOnB(), QStringLiteral("copies 2"));
    convertedHereSeenOnB(QStringLiteral("shards 4+2"));
    if (QTest::currentTestFailed())
        return;
    // Converted back to copies here: there too (it said shards 4+2, and would have been judged
    // by shards that are gone).
    convertedHereSeenOnB(QStringLiteral("copies 2"));
}

void TestErasureConvert::aVaultSetToOneDataShardFloatsCopies()
{
    // `shards 1+1` was accepted before it was refused: its shards are the chunk itself, which a
    // conversion retired with the shards. Such a vault floats new models as its copies.
    m_v->addProviders(3);
    {
        QString error;
        const std::unique_ptr<Vault> vault =
            Vault::open(m_box->vault(), Vault::OpenMode::Existing, &error);
        QVERIFY2(vault, qPrintable(error));
        QVERIFY(vault->setRedundancy(RedundancyScheme::makeShards(1, 1)));
    }
    const CliResult shown = run({QStringLiteral("config"), QStringLiteral("redundancy")});
    QVERIFY2(shown.code == 0 && shown.outText().contains(u"copies 2"),
             shown.describe().constData());
    m_bytes = test::pseudoRandomBytes(6 * 64 * 1024, 5);
    m_v->setModel(64 * 1024, m_bytes);
    const CliResult floated = run(m_v->floatArgs() << QStringLiteral("--quiet"));
    QVERIFY2(floated.code == 0, floated.describe().constData());
    QCOMPARE(modelScheme(QStringLiteral("m")), QStringLiteral("copies 2"));
    checkCopies(2);
    checkRestoreWithout({0});
}

QTEST_GUILESS_MAIN(TestErasureConvert)
#include "tst_erasure_convert.moc"
