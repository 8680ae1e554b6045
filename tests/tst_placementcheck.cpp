// PlacementCheck: before a model is published for the first time outside the float that made
// it, its stored placements are looked for on their providers (docs/catalog.md, "A float killed
// on one computer"). A stat per object where a provider holds few of them, one listing where it
// holds many; both ways forget the placements whose objects are gone and name the models left
// with a chunk on no provider.

#include "sync/placementcheck.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"

#include <QFile>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

constexpr qint64 ChunkSize = 64 * KiB; // the smallest chunk a vault takes

// Floats `chunks` chunks of ChunkSize under `name` on the vault's one provider; returns the
// model's id, or 0.
qint64 floatChunks(TestVault& v, const QString& name, int chunks, quint64 seed)
{
    const QString src = v.path(name + QStringLiteral(".bin"));
    if (!writePseudoRandomFile(src, chunks * ChunkSize, seed))
        return 0;
    FloatJob::Request r;
    r.paths = {src};
    r.modelName = name;
    r.options.replication = 1;
    r.options.chunker = ChunkerParams::fixed(ChunkSize);
    FloatJob job(v.vault.get(), r);
    if (!run(job) || job.failure() != FloatJob::Failure::None) {
        qWarning("Float failed: %s", qPrintable(job.error().message));
        return 0;
    }
    const auto model = v.registry().modelRows().modelByName(name);
    return model ? model->id : 0;
}

QStringList chunksOf(TestVault& v, qint64 modelId)
{
    QStringList cids;
    for (const FileRecord& f : v.registry().modelRows().files(modelId))
        for (const FileChunk& c : v.registry().modelRows().fileChunks(f.id))
            cids.append(c.cid);
    return cids;
}

int storedPlacements(TestVault& v, qint64 modelId)
{
    int stored = 0;
    const QHash<QString, QList<Placement>> all =
        v.registry().placementRows().placementsOfModel(modelId);
    for (const QList<Placement>& copies : all)
        for (const Placement& p : copies)
            stored += p.state == PlacementState::Stored ? 1 : 0;
    return stored;
}

} // namespace

class TestPlacementCheck final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void forgetsWhatIsGone_data();
    void forgetsWhatIsGone();
};

void TestPlacementCheck::forgetsWhatIsGone_data()
{
    QTest::addColumn<int>("chunks");
    // Past 256 objects on a provider the check lists it instead of a stat per object.
    QTest::newRow("a stat each") << 40;
    QTest::newRow("one listing") << 300;
}

void TestPlacementCheck::forgetsWhatIsGone()
{
    QFETCH(int, chunks);
    TestVault v;
    QVERIFY(v.ok());
    const qint64 kept = floatChunks(v, QStringLiteral("kept"), 3, 1);
    const qint64 model = floatChunks(v, QStringLiteral("model"), chunks, 2);
    QVERIFY(kept && model);
    const QStringList cids = chunksOf(v, model);
    QCOMPARE(cids.size(), chunks);
    QCOMPARE(storedPlacements(v, model), chunks);
    // Another vault collected some of its objects (its lease had run out).
    const qint64 provider = v.providerIds().first();
    const QStringList gone = {cids.at(0), cids.at(7), cids.at(chunks / 2), cids.last()};
    for (const QString& cid : gone)
        QVERIFY(QFile::remove(v.objectPath(provider, cid)));

    PlacementCheck check(v.vault.get(), {model, kept});
    bool done = false;
    check.run([&done] { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, JobTimeoutMs);
    QCOMPARE(check.placementsForgotten(), int(gone.size()));
    QCOMPARE(check.broken(), QSet<qint64>{model});
    QVERIFY(check.unchecked().isEmpty());
    QCOMPARE(storedPlacements(v, model), chunks - int(gone.size()));
    for (const QString& cid : gone)
        QVERIFY(v.registry().placementRows().placements(cid).isEmpty());
    QCOMPARE(storedPlacements(v, kept), 3);
}

QTEST_GUILESS_MAIN(TestPlacementCheck)
#include "tst_placementcheck.moc"
