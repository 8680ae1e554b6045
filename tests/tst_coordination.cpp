// Jobs sharing one vault: floats, removals and collections interleaved in the orders that used
// to lose data or merge two writers' files (issue "Nothing lost", items 1-3 and 10). Each test
// drives the real jobs on a real vault with local-folder providers, in this process, at the
// interleaving it names; the multi-process forms are in tst_coordination_cli.

#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/fileassembler.h"
#include "transfer/floatjob.h"
#include "transfer/removejob.h"
#include "transfer/restorejob.h"
#include "transfer/verifyjob.h"

#include <QDirIterator>
#include <QFile>
#include <QSignalSpy>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

FloatJob::Request floatRequest(const QString& path, const QString& name)
{
    FloatJob::Request r;
    r.paths = {path};
    r.modelName = name;
    r.options.replication = 1;
    r.options.chunker = SmallChunks;
    return r;
}

bool floatFile(TestVault& v, const QString& path, const QString& name)
{
    FloatJob job(v.vault.get(), floatRequest(path, name));
    if (!run(job) || job.failure() != FloatJob::Failure::None) {
        qWarning("Float failed: %s", qPrintable(job.error().message));
        return false;
    }
    return true;
}

// Restores `name` into a fresh folder and compares it with `original` through openssl.
bool restoresBitExact(TestVault& v, const QString& name, const QString& original)
{
    const QString out = v.path(QStringLiteral("out-") + name);
    RestoreJob::Request r;
    r.modelName = name;
    r.destinationDir = out;
    RestoreJob job(v.vault.get(), r);
    if (!run(job) || job.failure() != RestoreJob::Failure::None) {
        qWarning("Restore of %s failed: %s", qPrintable(name), qPrintable(job.error().message));
        return false;
    }
    const QString restored = out + QLatin1Char('/') + QFileInfo(original).fileName();
    return opensslSha256Hex(restored) == opensslSha256Hex(original);
}

// Removes a model's rows the way RemoveJob's first steps do, leaving every freed object on its
// provider as a queued deletion: what an rm leaves when its provider is offline, or when a
// process is killed between its registry step and its deletes.
bool forgetModelLeavingDeletions(TestVault& v, const QString& name)
{
    Registry& r = v.registry();
    const auto model = r.modelRows().modelByName(name);
    if (!model || !r.modelRows().removeModel(model->id))
        return false;
    for (const auto& [cid, size] : r.placementRows().orphanChunks()) {
        Q_UNUSED(size);
        if (!r.placementRows().removeChunk(cid))
            return false;
    }
    return true;
}

QList<QString> chunkCids(TestVault& v, const QString& name)
{
    QList<QString> cids;
    const auto model = v.registry().modelRows().modelByName(name);
    if (model)
        for (const FileRecord& f : v.registry().modelRows().files(model->id))
            for (const FileChunk& c : v.registry().modelRows().fileChunks(f.id))
                cids.append(c.cid);
    return cids;
}

} // namespace

class TestCoordination final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void queuedDeletionIsCancelledByARefloat();
    void floatWaitsForADeletionUnderWay();
    void corruptCopyIsReplacedNotCounted();
    void twoFloatsOfOneNameInOneProcess();
    void removeRefusedWhileTheModelIsWritten();
    void usageCountsEachObjectOnce();
    void restoreOfAModelRemovedMeanwhileEnds();
    void restoreOfAModelRemovedMidwayIsNotALoss();
    void quotaIsTheVaultsNotTheAdapters();
    void removalStopsOnAbortAndCollectFinishesIt();
};

// A deletion queued by an earlier removal, then a float of the same bytes (whose put finds the
// object still there), then a collect: the collect used to delete the object the new model
// counts on.
void TestCoordination::queuedDeletionIsCancelledByARefloat()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString file = v.path(QStringLiteral("a.bin"));
    QVERIFY(writePseudoRandomFile(file, 3 * MiB + 17, 1));
    QVERIFY(floatFile(v, file, QStringLiteral("a")));
    QVERIFY(forgetModelLeavingDeletions(v, QStringLiteral("a")));
    QVERIFY(!v.registry().placementRows().pendingDeletions().isEmpty());

    QVERIFY(floatFile(v, file, QStringLiteral("b")));
    RemoveJob collect(v.vault.get(), QString());
    QVERIFY(run(collect));
    QVERIFY2(collect.error().ok(), qPrintable(collect.error().message));
    QCOMPARE(collect.chunksFreed(), 0);
    QVERIFY(v.registry().placementRows().pendingDeletions().isEmpty());
    QVERIFY(restoresBitExact(v, QStringLiteral("b"), file));
}

// A deletion claimed by a removal that is deleting right now: the float must not count the
// object it finds, but wait for the deletion to end and then send the chunk again.
void TestCoordination::floatWaitsForADeletionUnderWay()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString file = v.path(QStringLiteral("a.bin"));
    QVERIFY(writePseudoRandomFile(file, 2 * MiB + 5, 2));
    QVERIFY(floatFile(v, file, QStringLiteral("a")));
    const qint64 provider = v.providerIds().first();
    QVERIFY(forgetModelLeavingDeletions(v, QStringLiteral("a")));
    const QList<PendingDeletion> pending = v.registry().placementRows().pendingDeletions();
    QVERIFY(!pending.isEmpty());
    const QString deleter = leaseowner::newLeaseOwner();
    for (const PendingDeletion& d : pending)
        QCOMPARE(v.registry().placementRows().claimDeletion(d.id, deleter),
                 PlacementRows::DeletionClaim::Claimed);

    FloatJob b(v.vault.get(), floatRequest(file, QStringLiteral("b")));
    QSignalSpy finished(&b, &FloatJob::finished);
    b.start();
    QVERIFY(!finished.wait(1500)); // waiting for the deletions, not done on the doomed objects

    // The deleter carries out its deletes now, then forgets them.
    for (const PendingDeletion& d : pending) {
        QVERIFY(QFile::remove(v.objectPath(provider, d.cid)));
        QVERIFY(v.registry().placementRows().forgetDeletion(d.id));
    }
    QVERIFY(finished.size() == 1 || finished.wait(JobTimeoutMs));
    QVERIFY2(b.failure() == FloatJob::Failure::None, qPrintable(b.error().message));
    QCOMPARE(b.totals().bytesSent, QFileInfo(file).size());
    QVERIFY(restoresBitExact(v, QStringLiteral("b"), file));
}

// A copy that verify found corrupt must be rewritten by the next float that needs it, not
// marked stored again because an object of that name exists.
void TestCoordination::corruptCopyIsReplacedNotCounted()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString file = v.path(QStringLiteral("a.bin"));
    QVERIFY(writePseudoRandomFile(file, 2 * MiB + 99, 3));
    QVERIFY(floatFile(v, file, QStringLiteral("a")));
    const qint64 provider = v.providerIds().first();
    const QString cid = chunkCids(v, QStringLiteral("a")).first();
    const QString object = v.objectPath(provider, cid);
    QFile f(object);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.seek(10));
    QVERIFY(f.write("XYZ") == 3);
    f.close();
    VerifyJob verify(v.vault.get(), {QStringLiteral("a")});
    QVERIFY(run(verify));
    QCOMPARE(v.registry().placementRows().placements(cid).first().state, PlacementState::Corrupt);

    QVERIFY(floatFile(v, file, QStringLiteral("b")));
    const Placement after = v.registry().placementRows().placements(cid).first();
    QCOMPARE(after.state, PlacementState::Stored);
    QVERIFY2(!after.verifiedAt.isValid(), "a put reads nothing back: not verified");
    QFile rewritten(object);
    QVERIFY(rewritten.open(QIODevice::ReadOnly));
    QCOMPARE(QByteArray(Sha256::hash(rewritten.readAll())), cid::toSha256(cid));
    QVERIFY(restoresBitExact(v, QStringLiteral("a"), file));
}

// Two floats of different files under one name, started together: one writes the model, the
// other is refused with who writes it; the model is the winner's file, never a mix.
void TestCoordination::twoFloatsOfOneNameInOneProcess()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString one = v.path(QStringLiteral("one.bin"));
    const QString two = v.path(QStringLiteral("two.bin"));
    QVERIFY(writePseudoRandomFile(one, 3 * MiB, 4));
    QVERIFY(writePseudoRandomFile(two, 3 * MiB, 5));
    FloatJob::Request r1 = floatRequest(one, QStringLiteral("m"));
    FloatJob::Request r2 = floatRequest(two, QStringLiteral("m"));
    FloatJob a(v.vault.get(), r1);
    FloatJob b(v.vault.get(), r2);
    QSignalSpy aDone(&a, &FloatJob::finished);
    QSignalSpy bDone(&b, &FloatJob::finished);
    a.start();
    b.start();
    QVERIFY(aDone.size() == 1 || aDone.wait(JobTimeoutMs));
    QVERIFY(bDone.size() == 1 || bDone.wait(JobTimeoutMs));
    QCOMPARE(a.failure(), FloatJob::Failure::None);
    QCOMPARE(b.failure(), FloatJob::Failure::ModelExists);
    QVERIFY2(b.error().message.contains(QStringLiteral("being floated right now")),
             qPrintable(b.error().message));
    QVERIFY(restoresBitExact(v, QStringLiteral("m"), one));
}

// rm of a model whose float is running is refused, and the float ends whole.
void TestCoordination::removeRefusedWhileTheModelIsWritten()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString big = v.path(QStringLiteral("big.bin"));
    QVERIFY(writeSparseFile(big, 3LL * 1024 * MiB));
    FloatJob::Request r = floatRequest(big, QStringLiteral("big"));
    r.options.chunker = ChunkerParams::defaults();
    FloatJob job(v.vault.get(), r);
    QSignalSpy progress(&job, &FloatJob::progress);
    QSignalSpy done(&job, &FloatJob::finished);
    job.start();
    QVERIFY(progress.wait(JobTimeoutMs));
    QVERIFY(done.isEmpty());
    RemoveJob rm(v.vault.get(), QStringLiteral("big"));
    QVERIFY(run(rm));
    QVERIFY(!rm.error().ok());
    QVERIFY2(rm.error().message.contains(QStringLiteral("being floated right now")),
             qPrintable(rm.error().message));
    // Said plainly (the CLI exits 5 on it, as a second float of the name does).
    QVERIFY(rm.modelBusy());
    QVERIFY2(rm.error().message.startsWith(QStringLiteral("“big” is being floated right now by "
                                                          "process ")),
             qPrintable(rm.error().message));
    QVERIFY2(!rm.error().message.contains(QStringLiteral("Registry error")),
             qPrintable(rm.error().message));
    job.abort();
    QVERIFY(done.size() == 1 || done.wait(JobTimeoutMs));
    // Cancelled: the lease is free at once, so the model can be removed now.
    RemoveJob again(v.vault.get(), QStringLiteral("big"));
    QVERIFY(run(again));
    QVERIFY2(again.error().ok(), qPrintable(again.error().message));
}

// A provider's usage counts each stored object once: not again when a second model finds it
// stored, and back to zero when everything is removed and collected.
void TestCoordination::usageCountsEachObjectOnce()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString file = v.path(QStringLiteral("a.bin"));
    QVERIFY(writePseudoRandomFile(file, 2 * MiB + 1, 6));
    QVERIFY(floatFile(v, file, QStringLiteral("a")));
    const qint64 provider = v.providerIds().first();
    const qint64 used = v.registry().providerRows().provider(provider)->usedBytes;
    QCOMPARE(used, QFileInfo(file).size());
    QVERIFY(floatFile(v, file, QStringLiteral("b")));
    QCOMPARE(v.registry().providerRows().provider(provider)->usedBytes, used);
    // A queued deletion cancelled by a re-float leaves the object counted once, too.
    QVERIFY(forgetModelLeavingDeletions(v, QStringLiteral("a")));
    QVERIFY(forgetModelLeavingDeletions(v, QStringLiteral("b")));
    QVERIFY(floatFile(v, file, QStringLiteral("c")));
    QCOMPARE(v.registry().providerRows().provider(provider)->usedBytes, used);
    RemoveJob rm(v.vault.get(), QStringLiteral("c"));
    QVERIFY(run(rm));
    QCOMPARE(v.registry().providerRows().provider(provider)->usedBytes, 0);
}

// A restore that looked the file up just before another process removed the model: it used to
// wait for ever on a manifest that was gone. It ends, says why, and leaves nothing behind.
void TestCoordination::restoreOfAModelRemovedMeanwhileEnds()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString file = v.path(QStringLiteral("a.bin"));
    QVERIFY(writePseudoRandomFile(file, 1 * MiB + 3, 7));
    QVERIFY(floatFile(v, file, QStringLiteral("a")));
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("a"));
    QVERIFY(model);
    const FileRecord record = v.registry().modelRows().files(model->id).first();
    QVERIFY(v.registry().modelRows().removeModel(model->id));

    const QString out = v.path(QStringLiteral("out"));
    FileAssembler assembler(v.vault.get(), record, out + QStringLiteral("/a.bin"), {});
    QVERIFY(run(assembler));
    QCOMPARE(assembler.error().kind, Error::Kind::NotFound);
    QVERIFY2(assembler.error().message.contains(QStringLiteral("removed")),
             qPrintable(assembler.error().message));
    QCOMPARE(QDir(out).entryList(QDir::Files | QDir::Hidden).size(), 0);
}

// A restore under way while another process removes the model: the chunks it has not fetched
// yet are deleted under it. That is no loss (it used to end as one: Integrity, CLI exit 4, with
// every missing copy reported); it ends NotFound (exit 3), saying the model was removed.
void TestCoordination::restoreOfAModelRemovedMidwayIsNotALoss()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString file = v.path(QStringLiteral("a.bin"));
    QVERIFY(writePseudoRandomFile(file, 2 * MiB + 9, 10));
    QVERIFY(floatFile(v, file, QStringLiteral("a")));
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("a"));
    QVERIFY(model);
    const QList<FileChunk> chunks =
        v.registry().modelRows().fileChunks(v.registry().modelRows().files(model->id)[0].id);
    QVERIFY(chunks.size() >= 2);
    const qint64 provider = v.providerIds().first();

    RestoreJob::Request request;
    request.modelName = QStringLiteral("a");
    request.destinationDir = v.path(QStringLiteral("out"));
    request.options.parallelFetches = 1; // nothing else is fetched while the first one reports
    RestoreJob restore(v.vault.get(), request);
    // After the first chunk, the removal: its rows (the rm's registry step), then the objects
    // (its deletes), before the restore fetches the next chunk.
    bool removed = false;
    bool removedWell = true;
    connect(&restore, &RestoreJob::progress, &restore, [&] {
        if (removed || restore.progressNow().bytesDone == 0)
            return;
        removed = true;
        removedWell = forgetModelLeavingDeletions(v, QStringLiteral("a"));
        for (const FileChunk& c : chunks)
            removedWell = QFile::remove(v.objectPath(provider, c.cid)) && removedWell;
    });
    QVERIFY(run(restore));
    QVERIFY(removed);
    QVERIFY(removedWell);
    QCOMPARE(restore.failure(), RestoreJob::Failure::NotFound);
    QCOMPARE(restore.error().kind, Error::Kind::NotFound);
    QVERIFY2(restore.error().message.contains(QStringLiteral("“a” was removed while it was being "
                                                             "restored")),
             qPrintable(restore.error().message));
    QVERIFY2(restore.problems().isEmpty(), qPrintable(restore.problems().join(QLatin1Char('\n'))));
    QCOMPARE(QDir(request.destinationDir).entryList(QDir::Files | QDir::Hidden).size(), 0);
}

// The quota set for a provider holds whatever the adapter knows of it (only the local and S3
// adapters checked one, each its own way): checked in the registry, against what is stored and
// what puts under way in any process will store.
void TestCoordination::quotaIsTheVaultsNotTheAdapters()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString small = v.path(QStringLiteral("small.bin"));
    QVERIFY(writePseudoRandomFile(small, 1 * MiB, 8));
    QVERIFY(floatFile(v, small, QStringLiteral("small"))); // the adapter exists now, quota-less
    const qint64 provider = v.providerIds().first();
    auto record = v.registry().providerRows().provider(provider);
    QVERIFY(record);
    const qint64 quota = record->usedBytes + 2 * MiB;
    record->quotaBytes = quota;
    QVERIFY(v.registry().providerRows().updateProvider(*record));

    const QString big = v.path(QStringLiteral("big.bin"));
    QVERIFY(writePseudoRandomFile(big, 5 * MiB, 9));
    FloatJob job(v.vault.get(), floatRequest(big, QStringLiteral("big")));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::Transfer);
    QCOMPARE(job.error().kind, Error::Kind::QuotaExceeded);
    QVERIFY2(job.error().message.contains(QStringLiteral("full")), qPrintable(job.error().message));
    QVERIFY(v.registry().providerRows().provider(provider)->usedBytes <= quota);
    qint64 onDisk = 0;
    for (QDirIterator it(v.root(provider), QDir::Files, QDirIterator::Subdirectories);
         it.hasNext();)
        onDisk += QFileInfo(it.next()).size();
    QVERIFY2(onDisk <= quota, qPrintable(QString::number(onDisk)));
}

// A removal obeys pause and cancel like every other transfer: it stops, ends Cancelled, and
// the deletions it did not make stay recorded for the next rm or collect.
void TestCoordination::removalStopsOnAbortAndCollectFinishesIt()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString file = v.path(QStringLiteral("a.bin"));
    QVERIFY(writePseudoRandomFile(file, 6 * MiB, 10));
    QVERIFY(floatFile(v, file, QStringLiteral("a")));
    const qint64 provider = v.providerIds().first();
    RemoveJob rm(v.vault.get(), QStringLiteral("a"));
    QSignalSpy finished(&rm, &RemoveJob::finished);
    rm.start();
    rm.abort();
    rm.abort(); // twice is safe
    QVERIFY(finished.size() == 1 || finished.wait(JobTimeoutMs));
    QTest::qWait(0);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(rm.error().kind, Error::Kind::Cancelled);
    QVERIFY(!v.registry().modelRows().modelByName(QStringLiteral("a")));
    QVERIFY(!v.registry().placementRows().pendingDeletions().isEmpty());

    RemoveJob collect(v.vault.get(), QString());
    QVERIFY(run(collect));
    QVERIFY2(collect.error().ok(), qPrintable(collect.error().message));
    QVERIFY(v.registry().placementRows().pendingDeletions().isEmpty());
    QCOMPARE(v.registry().providerRows().provider(provider)->usedBytes, 0);
    int objects = 0;
    for (QDirIterator it(v.root(provider), QDir::Files, QDirIterator::Subdirectories); it.hasNext();
         it.next())
        ++objects;
    QCOMPARE(objects, 0);
}

QTEST_GUILESS_MAIN(TestCoordination)
#include "tst_coordination.moc"
