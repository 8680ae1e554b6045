// FileDistributor and FloatJob against real local-folder providers in a temporary vault. What
// was stored is checked against the source bytes themselves (every object must hold exactly the
// slice of the file its manifest entry names, and hash to its own name), not against what the
// distributor says it did: replication and load spreading, dedup across models and within a
// file, abort and resume, failing providers and empty files. Files that change while they are
// read, and bad input, are tst_distributorchanges'.

#include "distributortestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestDistributor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void floatsAndTiles();
    void floatsFolder();
    void replicatesOnDistinctProviders();
    void chunksWaitForTheProviderThatStoresThemSoonest();
    void replicationCappedByProviders();
    void dedupAcrossModels();
    void dedupWithinFile();
    void objectsOnDiskButNotRecordedAreNotSent();
    void aCopyWhosePutWasBegunGoesBackThere();
    void abortAndResume();
    void destroyWhileFloating();
    void resumeWithOtherPaths();
    void providerWithMissingFolder();
    void providerOverQuota();
    void quotaHoldsUnderConcurrentPuts();
    void allProvidersFail();
    void emptyFile();
};

void TestDistributor::floatsAndTiles()
{
    TestVault v;
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(5 * MiB + 12345, 1);
    const QString source = v.path(QStringLiteral("model.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("m"), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QVERIFY(!job.resumed());

    const auto model = v.registry().modelRows().modelByName(QStringLiteral("m"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const auto file = v.registry().modelRows().file(model->id, QStringLiteral("model.bin"));
    QVERIFY(file);
    QCOMPARE(file->state, FileRecord::State::Complete);
    QCOMPARE(file->size, qint64(data.size()));
    QCOMPARE(file->sha256, test::opensslSha256Hex(source));
    QCOMPARE(file->chunker, Small.toString());

    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("model.bin"), data, 1);
    QVERIFY(!QTest::currentTestFailed());
    QVERIFY(chunks.size() > 5); // the small chunker cut it into many chunks

    const auto& s = job.totals();
    QCOMPARE(s.chunks, int(chunks.size()));
    QCOMPARE(s.chunksSent, int(chunks.size()));
    QCOMPARE(s.chunksDeduplicated, 0);
    QCOMPARE(s.bytesSent, qint64(data.size()));
    QCOMPARE(s.bytesPlaced, qint64(data.size()));
    QCOMPARE(s.underReplicatedChunks, 0);
    QCOMPARE(job.progressNow().bytesDone, qint64(data.size()));
    // Nothing but the chunks was stored.
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), model->id));
    QCOMPARE(v.registry().healthRows().stats().chunks, int(chunks.size()));
}

void TestDistributor::floatsFolder()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString folder = v.path(QStringLiteral("folder"));
    QVERIFY(QDir().mkpath(folder + QStringLiteral("/sub")));
    const QByteArray a = test::pseudoRandomBytes(700 * KiB, 2);
    const QByteArray b = test::pseudoRandomBytes(1 * MiB + 3, 3);
    QVERIFY(test::writeFile(folder + QStringLiteral("/a.json"), a));
    QVERIFY(test::writeFile(folder + QStringLiteral("/sub/b.bin"), b));

    FloatJob job(v.vault.get(), floatRequest({folder}, QString(), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QCOMPARE(job.modelName(), QStringLiteral("folder"));
    QCOMPARE(job.progressNow().totalBytes, qint64(a.size() + b.size()));
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("folder"));
    QVERIFY(model);
    const QList<FileRecord> files = v.registry().modelRows().files(model->id);
    QCOMPARE(files.size(), 2);
    QCOMPARE(files.at(0).path, QStringLiteral("a.json"));
    QCOMPARE(files.at(1).path, QStringLiteral("sub/b.bin"));
    checkStored(v, model->id, QStringLiteral("a.json"), a, 1);
    checkStored(v, model->id, QStringLiteral("sub/b.bin"), b, 1);
}

void TestDistributor::replicatesOnDistinctProviders()
{
    TestVault v(2);
    QVERIFY(v.ok());
    QCOMPARE(v.providerIds().size(), 3);
    const QByteArray data = test::pseudoRandomBytes(6 * MiB, 4);
    const QString source = v.path(QStringLiteral("r.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("r"), 2));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QCOMPARE(warnings.size(), 0);
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("r"));
    QVERIFY(model);
    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("r.bin"), data, 2);
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(job.totals().bytesSent, 2 * qint64(data.size()));
    QCOMPARE(job.totals().chunksSent, int(chunks.size()));
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), model->id));

    // Every provider got a share of the load, and none more than 2/3 of it (evenly: 1/3 each).
    const QHash<qint64, qint64> perProvider = v.registry().healthRows().storedBytesByProvider();
    for (qint64 id : v.providerIds()) {
        QVERIFY2(perProvider.value(id) > 0, qPrintable(QStringLiteral("provider %1").arg(id)));
        QVERIFY(perProvider.value(id) < 2 * qint64(data.size()) * 2 / 3);
        QCOMPARE(v.registry().providerRows().provider(id)->usedBytes, perProvider.value(id));
    }
}

void TestDistributor::chunksWaitForTheProviderThatStoresThemSoonest()
{
    // Three providers, two replicas; the third was measured sending at a thousandth of the
    // others' speed (on a clock that stands still, so the measures hold through the float). It
    // stores nothing: every chunk waits for a fast provider's put to end instead, since it
    // would be stored sooner there. (Before, the third took its share of chunks whenever it
    // had fewer bytes in flight, and the float's end waited on its queue.)
    TestVault v(2);
    QVERIFY(v.ok());
    const QList<qint64> ids = v.providerIds();
    QCOMPARE(ids.size(), 3);
    const qint64 slow = ids.at(2);
    qint64 now = 0;
    auto speeds = std::make_unique<ProviderSpeeds>([&now] { return now; });
    for (qint64 id : ids)
        speeds->fetchStarted(id, MiB);
    now = 1000;
    for (qint64 id : ids) {
        const qint64 sent = id == slow ? qint64(KiB) : qint64(MiB);
        speeds->delivered(id, sent);
        speeds->fetchEnded(id, MiB, sent, false);
    }
    QVERIFY(speeds->rate(slow) * 1000 <= speeds->rate(ids.at(0)));
    v.vault->setUploadSpeeds(std::move(speeds));

    const QByteArray data = test::pseudoRandomBytes(8 * MiB, 41);
    const QString source = v.path(QStringLiteral("soon.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("soon"), 2,
                                             ChunkerParams::fixed(256 * KiB)));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("soon"));
    QVERIFY(model);
    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("soon.bin"), data, 2);
    QCOMPARE(chunks.size(), 32);
    const QHash<qint64, qint64> perProvider = v.registry().healthRows().storedBytesByProvider();
    QCOMPARE(perProvider.value(slow), 0);
    QCOMPARE(perProvider.value(ids.at(0)), qint64(data.size()));
    QCOMPARE(perProvider.value(ids.at(1)), qint64(data.size()));
}

void TestDistributor::replicationCappedByProviders()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(2 * MiB, 5);
    const QString source = v.path(QStringLiteral("c.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("c"), 3));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QVERIFY(warnings.size() >= 1);
    QVERIFY2(warnings.first().first().toString().contains(QStringLiteral("2 provider")),
             qPrintable(warnings.first().first().toString()));
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("c"));
    QVERIFY(model);
    checkStored(v, model->id, QStringLiteral("c.bin"), data, 2);
    // Capped, not under-replicated: the float did all it could.
    QCOMPARE(job.totals().underReplicatedChunks, 0);
}

void TestDistributor::dedupAcrossModels()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(4 * MiB + 99, 6);
    const QString first = v.path(QStringLiteral("one.bin"));
    QVERIFY(test::writeFile(first, data));
    FloatJob one(v.vault.get(), floatRequest({first}, QStringLiteral("one"), 2));
    QVERIFY(run(one));
    QCOMPARE(one.failure(), FloatJob::Failure::None);
    const VaultStats before = v.registry().healthRows().stats();
    const QSet<PlacementKey> objectsBefore = objectsOnProviders(v);

    // The same bytes under another file name and model name.
    const QString second = v.path(QStringLiteral("two.bin"));
    QVERIFY(test::writeFile(second, data));
    FloatJob two(v.vault.get(), floatRequest({second}, QStringLiteral("two"), 2));
    QVERIFY(run(two));
    QCOMPARE(two.failure(), FloatJob::Failure::None);
    const auto& s = two.totals();
    QCOMPARE(s.bytesSent, qint64(0));
    QCOMPARE(s.chunksSent, 0);
    QVERIFY(s.chunks > 1);
    QCOMPARE(s.chunksDeduplicated, s.chunks);
    QCOMPARE(s.bytesDeduplicated, qint64(data.size()));
    QCOMPARE(s.bytesPlaced, qint64(data.size()));

    const VaultStats after = v.registry().healthRows().stats();
    QCOMPARE(after.chunks, before.chunks);
    QCOMPARE(after.placements, before.placements);
    QCOMPARE(after.uniqueBytes, before.uniqueBytes);
    QCOMPARE(after.models, 2);
    QCOMPARE(after.logicalBytes, 2 * qint64(data.size()));
    QCOMPARE(objectsOnProviders(v), objectsBefore);
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("two"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    checkStored(v, model->id, QStringLiteral("two.bin"), data, 2);
}

// A kill between a provider storing an object and the registry recording it: the next float
// puts the chunk again, the provider finds it already there, and no byte counts as sent.
void TestDistributor::objectsOnDiskButNotRecordedAreNotSent()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(3 * MiB + 5, 16);
    const QString source = v.path(QStringLiteral("m.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob one(v.vault.get(), floatRequest({source}, QStringLiteral("one"), 2));
    QVERIFY(run(one));
    QCOMPARE(one.failure(), FloatJob::Failure::None);
    QVERIFY(one.totals().bytesSent > 0);
    const QSet<PlacementKey> objectsBefore = objectsOnProviders(v);
    // The registry forgets every placement, as if each record had been lost.
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("one"));
    QVERIFY(model);
    const auto placements = v.registry().placementRows().placementsOfModel(model->id);
    for (auto it = placements.cbegin(); it != placements.cend(); ++it)
        for (const Placement& p : it.value())
            QVERIFY(v.registry().placementRows().removePlacement(p.cid, p.providerId));

    FloatJob two(v.vault.get(), floatRequest({source}, QStringLiteral("two"), 2));
    QVERIFY(run(two));
    QCOMPARE(two.failure(), FloatJob::Failure::None);
    QCOMPARE(two.totals().bytesSent, qint64(0));
    QCOMPARE(two.totals().chunksSent, 0);
    QCOMPARE(objectsOnProviders(v), objectsBefore);
    const auto second = v.registry().modelRows().modelByName(QStringLiteral("two"));
    QVERIFY(second);
    checkStored(v, second->id, QStringLiteral("m.bin"), data, 2); // recorded again
}

// A float killed after a put stored its object and before the registry heard of it leaves the
// put's intent (a pending placement) and the object on that provider. The next float of the
// chunk puts the copy back there first, where the put finds it: nothing is sent, no intent is
// left behind (it would count against the provider's quota and keep the object from ever being
// deleted), and no object is left on a provider that no placement names. Copies went wherever
// the providers' order sent them, as only shards went back where their put was begun.
void TestDistributor::aCopyWhosePutWasBegunGoesBackThere()
{
    TestVault v(2); // three providers, one copy of each chunk
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(6 * MiB + 7, 17);
    const QString source = v.path(QStringLiteral("m.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob one(v.vault.get(), floatRequest({source}, QStringLiteral("one"), 1));
    QVERIFY(run(one));
    QCOMPARE(one.failure(), FloatJob::Failure::None);
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("one"));
    QVERIFY(model);
    // Each chunk's copy moves to the next provider, where the registry has only a put begun.
    const QList<qint64> ids = v.providerIds();
    QCOMPARE(ids.size(), 3);
    PlacementRows& rows = v.registry().placementRows();
    const auto placements = rows.placementsOfModel(model->id);
    int moved = 0;
    for (auto it = placements.cbegin(); it != placements.cend(); ++it) {
        for (const Placement& p : it.value()) {
            const qint64 next = ids.at((ids.indexOf(p.providerId) + 1) % ids.size());
            const QString from = LocalProvider::objectPath(v.root(p.providerId), p.cid);
            const QString to = LocalProvider::objectPath(v.root(next), p.cid);
            QVERIFY(QDir().mkpath(QFileInfo(to).absolutePath()));
            QVERIFY2(QFile::rename(from, to), qPrintable(from));
            QVERIFY(rows.removePlacement(p.cid, p.providerId));
            QCOMPARE(rows.beginPlacement(p.cid, next), PlacementRows::PlacementIntent::Go);
            ++moved;
        }
    }
    QVERIFY(moved > 3);

    FloatJob two(v.vault.get(), floatRequest({source}, QStringLiteral("two"), 1));
    QVERIFY(run(two));
    QCOMPARE(two.failure(), FloatJob::Failure::None);
    QCOMPARE(two.totals().chunksSent, 0);
    QCOMPARE(two.totals().bytesSent, qint64(0));
    const auto second = v.registry().modelRows().modelByName(QStringLiteral("two"));
    QVERIFY(second);
    checkStored(v, second->id, QStringLiteral("m.bin"), data, 1);
    for (auto it = placements.cbegin(); it != placements.cend(); ++it)
        QVERIFY2(rows.putsBegun(it.key()).isEmpty(), qPrintable(it.key()));
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), second->id));
}

void TestDistributor::dedupWithinFile()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray block = test::pseudoRandomBytes(1 * MiB, 7);
    QByteArray data;
    for (int i = 0; i < 8; ++i)
        data += block;
    const QString source = v.path(QStringLiteral("repeat.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(),
                 floatRequest({source}, QStringLiteral("repeat"), 2, ChunkerParams::fixed(MiB)));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("repeat"));
    QVERIFY(model);
    const QList<FileChunk> chunks =
        checkStored(v, model->id, QStringLiteral("repeat.bin"), data, 2);
    QCOMPARE(chunks.size(), 8);
    for (const FileChunk& c : chunks)
        QCOMPARE(c.cid, chunks.first().cid);

    QCOMPARE(v.registry().healthRows().stats().chunks, 1);
    QCOMPARE(v.registry().healthRows().stats().placements, 2);
    for (qint64 id : v.providerIds())
        QCOMPARE(objectsIn(v.root(id)).size(), 1);
    const auto& s = job.totals();
    QCOMPARE(s.chunks, 8);
    QCOMPARE(s.chunksSent, 1);
    QCOMPARE(s.bytesSent, 2 * qint64(MiB)); // one chunk, two replicas
    QCOMPARE(s.bytesPlaced, qint64(data.size()));
    // Every occurrence is accounted for: sent once, the other seven already there.
    QCOMPARE(s.chunksDeduplicated, 7);
    QCOMPARE(s.bytesDeduplicated, 7 * qint64(MiB));
}

void TestDistributor::abortAndResume()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(6 * MiB + 4321, 8);
    const QString source = v.path(QStringLiteral("resume.bin"));
    QVERIFY(test::writeFile(source, data));

    // Abort as soon as a few placements are in the registry.
    constexpr int AbortAfter = 6;
    FloatJob first(v.vault.get(), floatRequest({source}, QStringLiteral("resume"), 2));
    bool aborted = false;
    connect(&first, &FloatJob::progress, this, [&] {
        if (!aborted && v.registry().healthRows().stats().placements >= AbortAfter) {
            aborted = true;
            first.abort();
        }
    });
    QVERIFY(run(first));
    QVERIFY(aborted);
    QCOMPARE(first.failure(), FloatJob::Failure::Cancelled);
    QCOMPARE(first.error().kind, Error::Kind::Cancelled);
    auto model = v.registry().modelRows().modelByName(QStringLiteral("resume"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);

    // What is on the providers is exactly what the registry says is stored: a put that
    // completed around the abort is recorded, not left behind unknown.
    const QSet<PlacementKey> before = storedPlacements(v.registry(), model->id);
    QCOMPARE(objectsOnProviders(v), before);
    QCOMPARE(v.registry().healthRows().stats().placements, int(before.size()));
    QVERIFY(before.size() >= AbortAfter);
    QVERIFY(allObjectsIntact(v));

    FloatJob second(v.vault.get(), floatRequest({source}, QStringLiteral("resume"), 2));
    // Issue 37, item 5: while it reads again what the first run stored, it says so.
    QStringList stages;
    connect(&second, &FloatJob::progress, this, [&] { stages.append(second.progressNow().stage); });
    QVERIFY(run(second));
    QCOMPARE(second.failure(), FloatJob::Failure::None);
    QVERIFY(second.resumed());
    QVERIFY2(!stages.filter(QStringLiteral("Checking what is already stored of “resume.bin”… "))
                  .isEmpty(),
             qPrintable(stages.join(QLatin1Char('\n'))));
    model = v.registry().modelRows().modelByName(QStringLiteral("resume"));
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const QList<FileChunk> chunks =
        checkStored(v, model->id, QStringLiteral("resume.bin"), data, 2);
    QVERIFY(!QTest::currentTestFailed());

    // Exactly the missing replicas were sent: nothing stored before went again.
    qint64 expectedBytes = 0;
    int expectedChunks = 0;
    QSet<QString> seen;
    for (const FileChunk& c : chunks) {
        if (seen.contains(c.cid))
            continue;
        seen.insert(c.cid);
        int had = 0;
        for (qint64 id : v.providerIds())
            had += before.contains({c.cid, id}) ? 1 : 0;
        expectedBytes += (2 - had) * c.size;
        expectedChunks += had < 2 ? 1 : 0;
    }
    QVERIFY(expectedBytes > 0);
    QCOMPARE(second.totals().bytesSent, expectedBytes);
    QCOMPARE(second.totals().chunksSent, expectedChunks);
    const QSet<PlacementKey> after = storedPlacements(v.registry(), model->id);
    QVERIFY(after.contains(before));
    QCOMPARE(after.size(), 2 * seen.size());
    QCOMPARE(objectsOnProviders(v), after);

    // And it restores bit-exact.
    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("resume");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob restore(v.vault.get(), rr);
    QVERIFY(run(restore));
    QCOMPARE(restore.failure(), RestoreJob::Failure::None);
    QCOMPARE(test::opensslSha256Hex(v.path(QStringLiteral("out/resume.bin"))),
             test::opensslSha256Hex(source));
}

void TestDistributor::destroyWhileFloating()
{
    // Like a crash: the job goes away mid-float. What was stored stays intact, and floating
    // again finishes the model.
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("gone.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 16));
    auto job = std::make_unique<FloatJob>(v.vault.get(),
                                          floatRequest({source}, QStringLiteral("gone"), 2));
    bool destroyed = false;
    connect(job.get(), &FloatJob::progress, this, [&] {
        if (v.registry().healthRows().stats().placements < 4)
            return;
        // Not from inside the job's own signal: on the next turn of the event loop.
        QMetaObject::invokeMethod(
            this,
            [&] {
                if (!destroyed) {
                    destroyed = true;
                    job.reset();
                }
            },
            Qt::QueuedConnection);
    });
    job->start();
    QTRY_VERIFY_WITH_TIMEOUT(destroyed, Timeout);
    auto model = v.registry().modelRows().modelByName(QStringLiteral("gone"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);
    QVERIFY(allObjectsIntact(v));

    FloatJob again(v.vault.get(), floatRequest({source}, QStringLiteral("gone"), 2));
    QVERIFY(run(again));
    QCOMPARE(again.failure(), FloatJob::Failure::None);
    QVERIFY(again.resumed());
    QVERIFY(again.totals().bytesSent < 2 * 6 * qint64(MiB));
    model = v.registry().modelRows().modelByName(QStringLiteral("gone"));
    QCOMPARE(model->state, ModelRecord::State::Complete);
    QFile f(source);
    QVERIFY(f.open(QIODevice::ReadOnly));
    checkStored(v, model->id, QStringLiteral("gone.bin"), f.readAll(), 2);
}

void TestDistributor::resumeWithOtherPaths()
{
    // An unfinished model is resumed only with the files it was begun with: otherwise a file
    // of the first attempt stays incomplete in a model that says it is complete.
    TestVault v;
    QVERIFY(v.ok());
    const QString x = v.path(QStringLiteral("x.bin"));
    const QString y = v.path(QStringLiteral("y.bin"));
    QVERIFY(test::writePseudoRandomFile(x, 4 * MiB, 17));
    QVERIFY(test::writePseudoRandomFile(y, 1 * MiB, 18));
    FloatJob first(v.vault.get(), floatRequest({x, y}, QStringLiteral("xy"), 1));
    bool aborted = false;
    connect(&first, &FloatJob::progress, this, [&] {
        if (!aborted) {
            aborted = true;
            first.abort();
        }
    });
    QVERIFY(run(first));
    QCOMPARE(first.failure(), FloatJob::Failure::Cancelled);
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("xy"));
    QVERIFY(model);
    QVERIFY(v.registry().modelRows().file(model->id, QStringLiteral("x.bin")));

    FloatJob other(v.vault.get(), floatRequest({y}, QStringLiteral("xy"), 1));
    QVERIFY(run(other));
    QCOMPARE(other.failure(), FloatJob::Failure::BadInput);
    QVERIFY2(other.error().message.contains(QStringLiteral("x.bin")),
             qPrintable(other.error().message));
    QCOMPARE(v.registry().modelRows().modelByName(QStringLiteral("xy"))->state,
             ModelRecord::State::Incomplete);

    FloatJob same(v.vault.get(), floatRequest({x, y}, QStringLiteral("xy"), 1));
    QVERIFY(run(same));
    QCOMPARE(same.failure(), FloatJob::Failure::None);
    QVERIFY(same.resumed());
    QCOMPARE(v.registry().modelRows().modelByName(QStringLiteral("xy"))->state,
             ModelRecord::State::Complete);
    for (const FileRecord& f : v.registry().modelRows().files(model->id))
        QCOMPARE(f.state, FileRecord::State::Complete);
}

void TestDistributor::providerWithMissingFolder()
{
    TestVault v(2);
    QVERIFY(v.ok());
    const QList<qint64> ids = v.providerIds();
    const qint64 broken = ids.at(1);
    QVERIFY(QDir(v.root(broken)).removeRecursively());

    const QByteArray data = test::pseudoRandomBytes(3 * MiB, 9);
    const QString source = v.path(QStringLiteral("p.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("p"), 2));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QVERIFY(warnings.size() >= 1);
    QVERIFY2(warnings.first().first().toString().contains(QStringLiteral("extra1")),
             qPrintable(warnings.first().first().toString()));
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("p"));
    QVERIFY(model);
    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("p.bin"), data, 2);
    QVERIFY(!QTest::currentTestFailed());
    for (const FileChunk& c : chunks)
        for (const Placement& p : v.registry().placementRows().placements(c.cid))
            QVERIFY(p.providerId != broken);
    QCOMPARE(job.totals().underReplicatedChunks, 0);
}

void TestDistributor::providerOverQuota()
{
    // Two providers and two replicas: the one with a tiny quota fills up, the rest of the
    // chunks get one replica, and the float still succeeds, saying so.
    TestVault v;
    QVERIFY(v.ok());
    const qint64 small = v.addProvider(QStringLiteral("tiny"), 300 * KiB);
    QVERIFY(small > 0);

    const QByteArray data = test::pseudoRandomBytes(4 * MiB, 10);
    const QString source = v.path(QStringLiteral("q.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("q"), 2));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QStringList texts;
    for (const auto& w : warnings)
        texts.append(w.first().toString());
    QVERIFY2(texts.join(QLatin1Char('\n')).contains(QStringLiteral("tiny")),
             qPrintable(texts.join(QLatin1Char('\n'))));
    QVERIFY2(texts.join(QLatin1Char('\n')).contains(QStringLiteral("fewer than 2 replicas")),
             qPrintable(texts.join(QLatin1Char('\n'))));

    const auto model = v.registry().modelRows().modelByName(QStringLiteral("q"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const auto file = v.registry().modelRows().file(model->id, QStringLiteral("q.bin"));
    int underReplicated = 0;
    qint64 onSmall = 0;
    const qint64 local = v.providerIds().first();
    for (const FileChunk& c : v.registry().modelRows().fileChunks(file->id)) {
        QSet<qint64> holders;
        for (const Placement& p : v.registry().placementRows().placements(c.cid))
            if (p.state == PlacementState::Stored)
                holders.insert(p.providerId);
        QVERIFY(holders.contains(local));
        if (holders.contains(small))
            onSmall += c.size;
        else
            ++underReplicated;
    }
    QVERIFY(underReplicated > 0);
    QVERIFY2(onSmall <= 300 * KiB, qPrintable(QString::number(onSmall)));
    QCOMPARE(job.totals().underReplicatedChunks, underReplicated);
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), model->id));
    QVERIFY(allObjectsIntact(v));
}

void TestDistributor::quotaHoldsUnderConcurrentPuts()
{
    // The quota is judged once, where a placement is chosen (PlacementRows::beginPlacement),
    // counting the puts under way: 32 chunks for a provider with room for 8, several puts to it at
    // once (Provider::putsAtOnce()), and it never holds more than its quota.
    constexpr qint64 Chunk = 64 * KiB;
    TestVault v;
    QVERIFY(v.ok());
    const qint64 limited = v.addProvider(QStringLiteral("limited"), 8 * Chunk);
    QVERIFY(limited > 0);
    const QString source = v.path(QStringLiteral("c.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 32 * Chunk, 12));
    FloatJob job(v.vault.get(),
                 floatRequest({source}, QStringLiteral("c"), 2, ChunkerParams::fixed(Chunk)));
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    qint64 onDisk = 0;
    for (const PlacementKey& k : objectsOnProviders(v))
        if (k.second == limited)
            onDisk += Chunk;
    QVERIFY2(onDisk > 0 && onDisk <= 8 * Chunk, qPrintable(QString::number(onDisk)));
    QCOMPARE(job.totals().underReplicatedChunks, 32 - int(onDisk / Chunk));
    QVERIFY(allObjectsIntact(v));
}

void TestDistributor::allProvidersFail()
{
    TestVault v(1);
    QVERIFY(v.ok());
    for (qint64 id : v.providerIds())
        QVERIFY(QDir(v.root(id)).removeRecursively());
    const QString source = v.path(QStringLiteral("f.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 2 * MiB, 11));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("f"), 2));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::Transfer);
    QVERIFY2(job.error().message.contains(QStringLiteral("could not be stored on any provider")),
             qPrintable(job.error().message));
    // The last provider error says why.
    QVERIFY2(job.error().message.contains(QStringLiteral("does not exist")),
             qPrintable(job.error().message));
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("f"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);
    QCOMPARE(v.registry().healthRows().stats().placements, 0);
}

void TestDistributor::emptyFile()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("empty.txt"));
    QVERIFY(test::writeFile(source, QByteArray()));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("e"), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QCOMPARE(job.totals().chunks, 0);
    QCOMPARE(job.totals().bytesSent, qint64(0));
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("e"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const auto file = v.registry().modelRows().file(model->id, QStringLiteral("empty.txt"));
    QVERIFY(file);
    QCOMPARE(file->size, qint64(0));
    QCOMPARE(file->state, FileRecord::State::Complete);
    QCOMPARE(file->sha256, test::opensslSha256Hex(source));
    QVERIFY(v.registry().modelRows().fileChunks(file->id).isEmpty());

    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("e");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob restore(v.vault.get(), rr);
    QVERIFY(run(restore));
    QCOMPARE(restore.failure(), RestoreJob::Failure::None);
    const QString restored = v.path(QStringLiteral("out/empty.txt"));
    QVERIFY(QFileInfo(restored).isFile());
    QCOMPARE(QFileInfo(restored).size(), qint64(0));
    QCOMPARE(test::opensslSha256Hex(restored), file->sha256);
}

QTEST_GUILESS_MAIN(TestDistributor)
#include "tst_distributor.moc"
