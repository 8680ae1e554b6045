// VerifyJob (exact counts after known damage) and RemoveJob (shared chunks survive, a provider
// offline keeps its deletions owed) against real local-folder providers in a temporary vault.

#include "assemblertestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestVerifyRemove final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void verifyHealthy();
    void verifyCountsDamage();
    void removeSharedChunks();
    void removeWhileProviderOffline();
};

void TestVerifyRemove::verifyHealthy()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("h.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 3 * MiB, 33));
    QVERIFY(floatModel(v, {source}, QStringLiteral("h"), 2));
    const int chunks = int(chunksOf(v, QStringLiteral("h"), QStringLiteral("h.bin")).size());

    VerifyJob job(v.vault.get(), {QStringLiteral("h")});
    QVERIFY(run(job));
    QVERIFY(job.error().ok());
    const VerifyJob::Report& r = job.report();
    QVERIFY(r.healthy());
    QCOMPARE(r.chunks, chunks);
    QCOMPARE(r.placementsChecked, 2 * chunks);
    QCOMPARE(r.good, 2 * chunks);
    QCOMPARE(r.missing, 0);
    QCOMPARE(r.corrupt, 0);
    QCOMPARE(r.underReplicated, 0);
    QCOMPARE(r.lost, 0);
    QVERIFY(r.problems.isEmpty());
    QCOMPARE(job.progressNow().bytesDone, job.progressNow().totalBytes);
    QCOMPARE(job.progressNow().totalBytes, 2 * qint64(3 * MiB));

    VerifyJob unknown(v.vault.get(), {QStringLiteral("nope")});
    QVERIFY(run(unknown));
    QCOMPARE(unknown.error().kind, Error::Kind::NotFound);
}

void TestVerifyRemove::verifyCountsDamage()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 a = v.providerIds().at(0);
    const qint64 b = v.providerIds().at(1);
    const QString source = v.path(QStringLiteral("v.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 5 * MiB, 34));
    QVERIFY(floatModel(v, {source}, QStringLiteral("v"), 2));
    const QList<FileChunk> chunks = chunksOf(v, QStringLiteral("v"), QStringLiteral("v.bin"));
    QVERIFY(chunks.size() >= 8);

    // Two objects deleted on A, three damaged on B (one of them too long), all different chunks.
    QVERIFY(QFile::remove(v.objectPath(a, chunks.at(0).cid)));
    QVERIFY(QFile::remove(v.objectPath(a, chunks.at(1).cid)));
    QVERIFY(damage(v.objectPath(b, chunks.at(2).cid), chunks.at(2).size, 500));
    QVERIFY(damage(v.objectPath(b, chunks.at(3).cid), chunks.at(3).size, 501));
    QVERIFY(damage(v.objectPath(b, chunks.at(4).cid), chunks.at(4).size + 1, 502));

    VerifyJob first(v.vault.get(), {});
    QVERIFY(run(first));
    QVERIFY(first.error().ok());
    VerifyJob::Report r = first.report();
    QVERIFY(!r.healthy());
    QCOMPARE(r.chunks, int(chunks.size()));
    QCOMPARE(r.placementsChecked, 2 * int(chunks.size()));
    QCOMPARE(r.missing, 2);
    QCOMPARE(r.corrupt, 3);
    QCOMPARE(r.good, 2 * int(chunks.size()) - 5);
    QCOMPARE(r.unreachable, 0);
    QCOMPARE(r.underReplicated, 5);
    QCOMPARE(r.lost, 0);
    QCOMPARE(r.problems.size(), 5);
    QCOMPARE(stateOf(v, chunks.at(0).cid, a), Missing);
    QCOMPARE(stateOf(v, chunks.at(1).cid, a), Missing);
    QCOMPARE(stateOf(v, chunks.at(2).cid, b), Corrupt);
    QCOMPARE(stateOf(v, chunks.at(3).cid, b), Corrupt);
    QCOMPARE(stateOf(v, chunks.at(4).cid, b), Corrupt);
    QCOMPARE(stateOf(v, chunks.at(0).cid, b), Stored);
    QCOMPARE(stateOf(v, chunks.at(2).cid, a), Stored);
    QCOMPARE(v.registry().healthRows().stats().unhealthyPlacements, 5);

    // Lose one chunk entirely: both replicas gone.
    QVERIFY(QFile::remove(v.objectPath(a, chunks.at(5).cid)));
    QVERIFY(QFile::remove(v.objectPath(b, chunks.at(5).cid)));
    VerifyJob second(v.vault.get(), {QStringLiteral("v")});
    QVERIFY(run(second));
    r = second.report();
    QCOMPARE(r.missing, 4);
    QCOMPARE(r.corrupt, 3);
    QCOMPARE(r.lost, 1);
    QCOMPARE(r.underReplicated, 5);
    QCOMPARE(r.good, 2 * int(chunks.size()) - 7);
    QCOMPARE(stateOf(v, chunks.at(5).cid, a), Missing);
    QCOMPARE(stateOf(v, chunks.at(5).cid, b), Missing);

    // A corrupt replica that is repaired by hand is found good again.
    QFile original(source);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QVERIFY(original.seek(chunks.at(2).offset));
    QVERIFY(test::writeFile(v.objectPath(b, chunks.at(2).cid), original.read(chunks.at(2).size)));
    VerifyJob third(v.vault.get(), {QStringLiteral("v")});
    QVERIFY(run(third));
    QCOMPARE(third.report().corrupt, 2);
    QCOMPARE(stateOf(v, chunks.at(2).cid, b), Stored);
}

void TestVerifyRemove::removeSharedChunks()
{
    TestVault v(1);
    QVERIFY(v.ok());
    // B is A with more bytes after it: content-defined chunking shares all but A's tail.
    const QByteArray dataA = test::pseudoRandomBytes(4 * MiB, 35);
    const QByteArray dataB = dataA + test::pseudoRandomBytes(2 * MiB, 36);
    const QString sourceA = v.path(QStringLiteral("a.bin"));
    const QString sourceB = v.path(QStringLiteral("b.bin"));
    QVERIFY(test::writeFile(sourceA, dataA));
    QVERIFY(test::writeFile(sourceB, dataB));
    QVERIFY(floatModel(v, {sourceA}, QStringLiteral("A"), 2));
    QVERIFY(floatModel(v, {sourceB}, QStringLiteral("B"), 2));

    QHash<QString, qint64> cidsA, cidsB;
    for (const FileChunk& c : chunksOf(v, QStringLiteral("A"), QStringLiteral("a.bin")))
        cidsA.insert(c.cid, c.size);
    for (const FileChunk& c : chunksOf(v, QStringLiteral("B"), QStringLiteral("b.bin")))
        cidsB.insert(c.cid, c.size);
    QSet<QString> onlyA, shared;
    qint64 onlyABytes = 0;
    for (auto it = cidsA.cbegin(); it != cidsA.cend(); ++it) {
        if (cidsB.contains(it.key())) {
            shared.insert(it.key());
        } else {
            onlyA.insert(it.key());
            onlyABytes += it.value();
        }
    }
    QVERIFY(!shared.isEmpty());
    QVERIFY(!onlyA.isEmpty());
    const QList<qint64> ids = v.providerIds();

    RemoveJob removeA(v.vault.get(), QStringLiteral("A"));
    QVERIFY(run(removeA));
    QVERIFY2(removeA.error().ok(), qPrintable(removeA.error().message));
    QVERIFY(removeA.warnings().isEmpty());
    QCOMPARE(removeA.chunksFreed(), int(onlyA.size()));
    QCOMPARE(removeA.bytesFreed(), 2 * onlyABytes);
    QVERIFY(!v.registry().modelRows().modelByName(QStringLiteral("A")));
    QCOMPARE(v.registry().healthRows().stats().chunks, int(cidsB.size()));
    for (qint64 id : ids) {
        for (const QString& cid : std::as_const(onlyA))
            QVERIFY(!QFileInfo::exists(v.objectPath(id, cid)));
        for (auto it = cidsB.cbegin(); it != cidsB.cend(); ++it)
            QVERIFY(QFileInfo::exists(v.objectPath(id, it.key())));
    }
    // What is left still restores.
    RestoreJob restore(v.vault.get(),
                       restoreRequest(QStringLiteral("B"), v.path(QStringLiteral("out"))));
    QVERIFY(run(restore));
    QVERIFY2(restore.error().ok(), qPrintable(restore.error().message));
    QCOMPARE(test::opensslSha256Hex(v.path(QStringLiteral("out/b.bin"))),
             test::opensslSha256Hex(sourceB));

    RemoveJob removeB(v.vault.get(), QStringLiteral("B"));
    QVERIFY(run(removeB));
    QVERIFY2(removeB.error().ok(), qPrintable(removeB.error().message));
    QCOMPARE(removeB.chunksFreed(), int(cidsB.size()));
    const VaultStats s = v.registry().healthRows().stats();
    QCOMPARE(s.models, 0);
    QCOMPARE(s.chunks, 0);
    QCOMPARE(s.placements, 0);
    for (qint64 id : ids) {
        QVERIFY2(objectsIn(v.root(id)).isEmpty(),
                 qPrintable(objectsIn(v.root(id)).join(QLatin1Char(' '))));
        QCOMPARE(v.registry().providerRows().provider(id)->usedBytes, qint64(0));
    }

    RemoveJob again(v.vault.get(), QStringLiteral("B"));
    QVERIFY(run(again));
    QCOMPARE(again.error().kind, Error::Kind::NotFound);
}

// A provider that cannot delete when a model is removed (its folder is gone) keeps its objects
// recorded as pending deletions; the next removal deletes them once it is back.
void TestVerifyRemove::removeWhileProviderOffline()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("m.bin"));
    QVERIFY(test::writeFile(source, test::pseudoRandomBytes(3 * MiB, 41)));
    QVERIFY(floatModel(v, {source}, QStringLiteral("M"), 2));
    const QList<qint64> ids = v.providerIds();
    QCOMPARE(ids.size(), 2);
    const QString offline = v.root(ids.at(1));
    const int objects = int(objectsIn(offline).size());
    QVERIFY(objects > 0);
    QVERIFY(QDir().rename(offline, offline + QStringLiteral(".away")));

    RemoveJob remove(v.vault.get(), QStringLiteral("M"));
    QVERIFY(run(remove));
    QVERIFY2(remove.error().ok(), qPrintable(remove.error().message));
    QCOMPARE(remove.warnings().size(), objects); // one per object left behind, said so
    QVERIFY(remove.warnings().first().contains(QStringLiteral("tries again")));
    QCOMPARE(v.registry().healthRows().stats().chunks, 0);
    QCOMPARE(v.registry().placementRows().pendingDeletions().size(), objects);
    QVERIFY(objectsIn(v.root(ids.at(0))).isEmpty());

    QVERIFY(QDir().rename(offline + QStringLiteral(".away"), offline));
    RemoveJob collect(v.vault.get(), QString());
    QVERIFY(run(collect));
    QVERIFY2(collect.error().ok(), qPrintable(collect.error().message));
    QVERIFY(collect.warnings().isEmpty());
    QCOMPARE(collect.chunksFreed(), 0); // the chunks were already forgotten
    QVERIFY(collect.bytesFreed() > 0);
    QVERIFY(v.registry().placementRows().pendingDeletions().isEmpty());
    QVERIFY(objectsIn(offline).isEmpty());
}

QTEST_GUILESS_MAIN(TestVerifyRemove)
#include "tst_verifyremove.moc"
