// Repair against local-folder providers: chunks short of copies are copied from a surviving
// replica (checked against its CID first) to other providers until they have the copies the
// vault wants, following the distributor's rules (quota, deletions under way, bad copies
// replaced), and degraded models become healthy.
#include "registry/modelsummary.h"
#include "sync/repairjob.h"
#include "synctestsupport.h"
#include "transfer/verifyjob.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestRepair : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void repairsAFloatThatWentShort();
    void replacesCopiesKnownBad();
    void verifyAgreesAfterACopyMadeElsewhere();
    void looksBeforeItSaysOk();
    void healthSaysWhenItWasLookedAt();
    void fromFilesRefusesAnUnfinishedModel();
    void skipsABadSourceAndReplacesIt();
    void reportsALostChunk();
    void honoursQuota();
    void waitsForADeletionUnderWay();
    void onlyTheModelsAsked();
    void abortThenResumeSendsNothingTwice();
};

void TestRepair::repairsAFloatThatWentShort()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 away = v.providerIds().at(1);
    const QString root = v.root(away);
    QVERIFY(QDir(root).removeRecursively()); // offline during the float
    bool degraded = false;
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 3 * MiB, 11, 2, &degraded);
    QVERIFY(id);
    QVERIFY(degraded);
    QCOMPARE(minCopies(v.registry(), id), 1);
    const int chunks = int(modelChunks(v.registry(), id).size());

    // Still away: repair cannot make the copies, says so, and leaves the model degraded.
    {
        RepairJob repair(v.vault.get());
        QVERIFY(run(repair));
        QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
        QVERIFY(repair.degraded());
        QCOMPARE(repair.report().stillShort, chunks);
        QVERIFY(v.registry().modelRows().model(id)->degraded);
    }

    QVERIFY(QDir().mkpath(root)); // back
    v.vault->dropProvider(away);
    RepairJob repair(v.vault.get());
    QSignalSpy progress(&repair, &RepairJob::progress);
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QVERIFY(!repair.degraded());
    QCOMPARE(repair.report().chunksShort, chunks);
    QCOMPARE(repair.report().chunksRepaired, chunks);
    QCOMPARE(repair.report().copiesMade, chunks);
    QCOMPARE(repair.progressNow().totalBytes, repair.progressNow().bytesDone);
    QVERIFY(!progress.isEmpty());
    QCOMPARE(minCopies(v.registry(), id), 2);
    QVERIFY(!v.registry().modelRows().model(id)->degraded);
    QCOMPARE(checkObjectsMatchCids(v, id), 2 * chunks);

    // Nothing left to do.
    RepairJob again(v.vault.get());
    QVERIFY(run(again));
    QCOMPARE(again.report().chunksShort, 0);
    QCOMPARE(again.progressNow().totalBytes, 0);
}

void TestRepair::replacesCopiesKnownBad()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 2 * MiB, 12);
    QVERIFY(id);
    const QStringList cids = modelChunks(v.registry(), id);
    QVERIFY(cids.size() >= 3);
    const qint64 a = v.providerIds().at(0), b = v.providerIds().at(1);
    // One copy deleted, one damaged, as a scrub would have found and marked them.
    QVERIFY(QFile::remove(v.objectPath(a, cids.at(0))));
    QVERIFY(v.registry().placementRows().setPlacementState(cids.at(0), a, PlacementState::Missing,
                                                           true));
    QVERIFY(flipByte(v.objectPath(b, cids.at(1)), 10));
    QVERIFY(v.registry().placementRows().setPlacementState(cids.at(1), b, PlacementState::Corrupt,
                                                           true));
    QVERIFY(v.registry().healthRows().refreshDegraded());
    QVERIFY(v.registry().modelRows().model(id)->degraded);

    RepairJob repair(v.vault.get());
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QCOMPARE(repair.report().chunksRepaired, 2);
    QCOMPARE(repair.report().copiesMade, 2);
    QCOMPARE(minCopies(v.registry(), id), 2);
    QVERIFY(!v.registry().modelRows().model(id)->degraded);
    QCOMPARE(checkObjectsMatchCids(v, id), 2 * int(cids.size())); // the bad one was replaced
}

void TestRepair::verifyAgreesAfterACopyMadeElsewhere()
{
    // Issue 34, item 3: verify finds one copy missing and one corrupt on a provider that is
    // full by then; repair makes the copies on a third provider. The bad copies are forgotten
    // (the corrupt object queued for deletion), so the next verify says what repair says.
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 2 * MiB, 16);
    QVERIFY(id);
    const QStringList cids = modelChunks(v.registry(), id);
    QVERIFY(cids.size() >= 3);
    const qint64 a = v.providerIds().at(0);
    QVERIFY(QFile::remove(v.objectPath(a, cids.at(0))));
    QVERIFY(flipByte(v.objectPath(a, cids.at(1)), 10));
    {
        VerifyJob verify(v.vault.get(), {QStringLiteral("m")});
        QVERIFY(run(verify));
        QCOMPARE(verify.report().missing, 1);
        QCOMPARE(verify.report().corrupt, 1);
    }
    ProviderRecord full = *v.registry().providerRows().provider(a);
    full.quotaBytes = full.usedBytes;
    QVERIFY(v.registry().providerRows().updateProvider(full));
    const qint64 third = v.addProvider(QStringLiteral("third"));

    RepairJob repair(v.vault.get());
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QCOMPARE(repair.report().copiesMade, 2);
    QCOMPARE(repair.report().badCopiesForgotten, 2);
    QVERIFY(holders(v.registry(), cids.at(0)).contains(third));
    QVERIFY(holders(v.registry(), cids.at(1)).contains(third));
    QVERIFY(!v.registry().modelRows().model(id)->degraded);
    QCOMPARE(v.registry().placementRows().pendingDeletions().size(), 2);

    VerifyJob verify(v.vault.get(), {QStringLiteral("m")});
    QVERIFY(run(verify));
    QVERIFY2(verify.report().verdict() == VerifyJob::Report::Verdict::Healthy,
             qPrintable(verify.report().problems.join(QLatin1Char('\n'))));
    QCOMPARE(verify.report().placementsChecked, 2 * int(cids.size()));
}

void TestRepair::looksBeforeItSaysOk()
{
    // Issue 34, item 2: copies deleted behind the registry's back, one chunk on both providers
    // and another on one. Trusting the registry, repair finds nothing to do; looking first, it
    // finds both, makes the copy it can and says the other chunk is lost.
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 2 * MiB, 17);
    QVERIFY(id);
    const QStringList cids = modelChunks(v.registry(), id);
    QVERIFY(cids.size() >= 3);
    const qint64 a = v.providerIds().at(0), b = v.providerIds().at(1);
    QVERIFY(QFile::remove(v.objectPath(a, cids.at(0))));
    QVERIFY(QFile::remove(v.objectPath(b, cids.at(0))));
    QVERIFY(QFile::remove(v.objectPath(b, cids.at(1))));
    {
        RepairJob trusting(v.vault.get());
        QVERIFY(run(trusting));
        QCOMPARE(trusting.report().chunksShort, 0);
        QVERIFY(trusting.report().complete()); // what "Repair now" used to say
    }
    RepairJob::Options options;
    options.checkFirst = true;
    RepairJob repair(v.vault.get(), options);
    QVERIFY(run(repair));
    QCOMPARE(repair.error().kind, Error::Kind::Corrupt);
    QCOMPARE(repair.report().copiesChecked, 2 * int(cids.size()));
    QCOMPARE(repair.report().copiesFoundBad, 3);
    QCOMPARE(repair.report().copiesUnchecked, 0);
    QCOMPARE(repair.report().lost, 1);
    QCOMPARE(repair.report().copiesMade, 1);
    QVERIFY(!repair.report().complete());
    QCOMPARE(holders(v.registry(), cids.at(1)).size(), 2);
    QVERIFY(v.registry().modelRows().model(id)->degraded);
}

void TestRepair::healthSaysWhenItWasLookedAt()
{
    // Issue 37, item 1: a model's health says how fresh it is, the oldest time one of its copies
    // was last known there or not. A repair that trusts the registry leaves it as it was; one
    // that looks first makes it now, and so does the copy it makes.
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 2 * MiB, 21);
    QVERIFY(id);
    const int wanted = v.registry().healthRows().wantedCopies();
    const QDateTime fresh =
        summarizeModel(v.registry(), *v.registry().modelRows().model(id), wanted).lastChecked;
    QVERIFY(fresh.isValid()); // every copy was stored by the float: known there then
    const qint64 longAgo = 1'700'000'000;
    QVERIFY(stampCopiesSeenAt(v.vault->directory() + QStringLiteral("/registry.sqlite"), longAgo));
    auto lastChecked = [&] {
        return summarizeModel(v.registry(), *v.registry().modelRows().model(id), wanted)
            .lastChecked;
    };
    QCOMPARE(lastChecked().toSecsSinceEpoch(), longAgo);
    const QStringList cids = modelChunks(v.registry(), id);
    QVERIFY(QFile::remove(v.objectPath(v.providerIds().at(1), cids.at(0))));
    {
        RepairJob trusting(v.vault.get());
        QVERIFY(run(trusting));
        QCOMPARE(lastChecked().toSecsSinceEpoch(), longAgo); // it did not look
    }
    RepairJob::Options options;
    options.checkFirst = true;
    RepairJob repair(v.vault.get(), options);
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QCOMPARE(repair.report().copiesMade, 1);
    QVERIFY(lastChecked().toSecsSinceEpoch() >= fresh.toSecsSinceEpoch());
}

void TestRepair::fromFilesRefusesAnUnfinishedModel()
{
    // Repair from the files at hand mends complete models; an unfinished one is its float's
    // to finish, and the error says so. It said nothing of the kind: "no complete file to
    // compare with" here, and "Done", having healed nothing, when the files were complete
    // (seen in the app).
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("unfinished.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 3 * MiB, 41));
    FloatJob first(v.vault.get(), floatRequestFor(source, QStringLiteral("unfinished")));
    bool aborted = false;
    connect(&first, &FloatJob::progress, this, [&] {
        if (!aborted && v.registry().healthRows().stats().placements >= 2) {
            aborted = true;
            first.abort();
        }
    });
    QVERIFY(run(first));
    QVERIFY(aborted);
    const auto model = v.registry().modelRows().modelByName(QStringLiteral("unfinished"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);
    RepairJob::Options options;
    options.modelIds = {model->id};
    options.fromPaths = {source};
    RepairJob repair(v.vault.get(), options);
    QVERIFY(run(repair));
    QVERIFY(!repair.error().ok());
    QVERIFY2(repair.error().message.contains(QStringLiteral("not floated to the end")),
             qPrintable(repair.error().message));
}

void TestRepair::skipsABadSourceAndReplacesIt()
{
    // Three providers, two copies each; then the vault wants three. The copy the repair would
    // read first is damaged without the registry knowing: the read is checked against the CID,
    // the copy is marked corrupt, the other one is used, and the damaged one is replaced.
    TestVault v(2);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 1 * MiB, 13);
    QVERIFY(id);
    QVERIFY(v.vault->setReplicationFactor(3));
    const QStringList cids = modelChunks(v.registry(), id);
    const QString victim = cids.first();
    QList<Placement> ps = v.registry().placementRows().placements(victim);
    QCOMPARE(ps.size(), 2);
    const qint64 first = ps.first().providerId; // lowest id: tried first
    QVERIFY(flipByte(v.objectPath(first, victim), 100));

    RepairJob repair(v.vault.get());
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QCOMPARE(repair.report().badCopies, 1);
    QVERIFY2(repair.report().problems.join(QLatin1Char('\n')).contains(victim),
             qPrintable(repair.report().problems.join(QLatin1Char('\n'))));
    QCOMPARE(minCopies(v.registry(), id), 3);
    QCOMPARE(holders(v.registry(), victim).size(), 3);
    QCOMPARE(checkObjectsMatchCids(v, id), 3 * int(cids.size()));
    QVERIFY(!v.registry().modelRows().model(id)->degraded);
}

void TestRepair::reportsALostChunk()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 1 * MiB, 14);
    QVERIFY(id);
    const QString lost = modelChunks(v.registry(), id).first();
    for (qint64 p : v.providerIds())
        QVERIFY(QFile::remove(v.objectPath(p, lost)));
    QVERIFY(v.registry().placementRows().setPlacementState(lost, v.providerIds().at(0),
                                                           PlacementState::Missing));

    RepairJob repair(v.vault.get());
    QVERIFY(run(repair));
    QCOMPARE(repair.error().kind, Error::Kind::Corrupt);
    QCOMPARE(repair.report().lost, 1);
    QVERIFY(repair.report().problems.join(QLatin1Char('\n')).contains(lost));
    // Both copies are known missing now; the model says it cannot be restored.
    QVERIFY(holders(v.registry(), lost).isEmpty());
    QVERIFY(v.registry().modelRows().model(id)->degraded);
}

void TestRepair::honoursQuota()
{
    TestVault v; // one provider
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 2 * MiB, 15, 1);
    QVERIFY(id);
    const qint64 small = v.addProvider(QStringLiteral("small"), 400 * KiB);
    QVERIFY(v.vault->setReplicationFactor(2));
    QVERIFY(v.registry().healthRows().refreshDegraded());
    QVERIFY(v.registry().modelRows().model(id)->degraded);

    RepairJob repair(v.vault.get());
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QVERIFY(repair.degraded());
    QVERIFY(repair.report().copiesMade > 0);
    QVERIFY(repair.report().stillShort > 0);
    QVERIFY2(repair.warnings().join(QLatin1Char('\n')).contains(QStringLiteral("small")),
             qPrintable(repair.warnings().join(QLatin1Char('\n'))));
    qint64 onSmall = 0;
    for (const QString& cid : modelChunks(v.registry(), id))
        if (holders(v.registry(), cid).contains(small))
            for (const FileRecord& f : v.registry().modelRows().files(id))
                for (const FileChunk& c : v.registry().modelRows().fileChunks(f.id))
                    if (c.cid == cid) {
                        onSmall += c.size;
                        break;
                    }
    QVERIFY(onSmall > 0);
    QVERIFY(onSmall <= 400 * KiB);
    QVERIFY(v.registry().modelRows().model(id)->degraded);
}

void TestRepair::waitsForADeletionUnderWay()
{
    // A removal (another process) is deleting this very object on the target right now. The
    // repair must not put it before that deletion ends, or the deletion would remove the copy
    // the repair just counted.
    TestVault v; // one provider
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 600 * KiB, 16, 1);
    QVERIFY(id);
    const QStringList cids = modelChunks(v.registry(), id);
    const QString cid = cids.first();
    const qint64 target = v.addProvider(QStringLiteral("target"));
    QVERIFY(v.vault->setReplicationFactor(2));
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("side"));
        db.setDatabaseName(v.registry().path());
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.prepare(QStringLiteral(
            "INSERT INTO deletions (provider_id, locator, cid, size, created_at, claimed_by, "
            "claimed_until) VALUES (?, ?, ?, 1, 0, ?, ?)")));
        q.addBindValue(target);
        q.addBindValue(cid);
        q.addBindValue(cid);
        q.addBindValue(leaseowner::newLeaseOwner()); // this process: live
        q.addBindValue(QDateTime::currentSecsSinceEpoch() + 300);
        QVERIFY(q.exec());
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("side"));

    RepairJob repair(v.vault.get());
    QSignalSpy finished(&repair, &RepairJob::finished);
    bool placedWhileClaimed = true;
    int othersPlaced = 0;
    // The deletion ends once every other chunk got its copy.
    QTimer poll;
    poll.setInterval(50);
    connect(&poll, &QTimer::timeout, this, [&] {
        int placed = 0;
        for (const QString& c : cids)
            placed += c != cid && holders(v.registry(), c).contains(target) ? 1 : 0;
        if (placed < cids.size() - 1)
            return;
        poll.stop();
        othersPlaced = placed;
        placedWhileClaimed = holders(v.registry(), cid).contains(target);
        const auto pending = v.registry().placementRows().pendingDeletions();
        QCOMPARE(pending.size(), 1);
        QVERIFY(v.registry().placementRows().forgetDeletion(
            pending.first().id)); // the deletion is done
    });
    poll.start();
    repair.start();
    QVERIFY(finished.wait(JobTimeoutMs));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QCOMPARE(othersPlaced, int(cids.size()) - 1);
    QVERIFY(!placedWhileClaimed);
    QVERIFY(holders(v.registry(), cid).contains(target)); // put after the deletion ended
    QCOMPARE(checkObjectsMatchCids(v, id), 2 * int(cids.size()));
}

void TestRepair::onlyTheModelsAsked()
{
    TestVault v; // one provider
    QVERIFY(v.ok());
    const qint64 a = floatTestFile(v, QStringLiteral("a"), 512 * KiB, 17, 1);
    const qint64 b = floatTestFile(v, QStringLiteral("b"), 512 * KiB, 18, 1);
    QVERIFY(a && b);
    const QStringList aChunks = modelChunks(v.registry(), a);
    const QStringList bChunks = modelChunks(v.registry(), b);
    const qint64 first = v.providerIds().at(0);
    v.addProvider(QStringLiteral("second"));
    QVERIFY(v.vault->setReplicationFactor(2));
    // A copy of a's deleted: the look before repairing b is about b's copies only (it used to
    // check every copy in the vault, and found this one).
    QVERIFY(QFile::remove(v.objectPath(first, aChunks.at(0))));
    RepairJob::Options options;
    options.modelIds = {b};
    options.checkFirst = true;
    RepairJob repair(v.vault.get(), options);
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QCOMPARE(repair.report().copiesChecked, int(bChunks.size()));
    QCOMPARE(repair.report().copiesFoundBad, 0);
    QCOMPARE(minCopies(v.registry(), a), 1);
    QCOMPARE(minCopies(v.registry(), b), 2);
}

void TestRepair::abortThenResumeSendsNothingTwice()
{
    TestVault v; // one provider
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 6 * MiB, 19, 1);
    QVERIFY(id);
    v.addProvider(QStringLiteral("second"));
    QVERIFY(v.vault->setReplicationFactor(2));
    const int chunks = int(modelChunks(v.registry(), id).size());

    RepairJob::Options options;
    options.parallelChunks = 1;
    RepairJob first(v.vault.get(), options);
    QSignalSpy finished(&first, &RepairJob::finished);
    connect(&first, &RepairJob::progress, &first, [&] {
        if (first.report().copiesMade == 3)
            first.abort();
    });
    first.start();
    QVERIFY(finished.wait(JobTimeoutMs));
    QCOMPARE(first.error().kind, Error::Kind::Cancelled);
    const int made = first.report().copiesMade;
    QVERIFY(made >= 3 && made < chunks);
    first.abort(); // safe twice
    QTest::qWait(0);
    QCOMPARE(finished.size(), 1);

    RepairJob second(v.vault.get());
    QVERIFY(run(second));
    QVERIFY2(second.error().ok(), qPrintable(second.error().message));
    QCOMPARE(second.report().copiesMade, chunks - made);
    QCOMPARE(minCopies(v.registry(), id), 2);
    QCOMPARE(checkObjectsMatchCids(v, id), 2 * chunks);
}

QTEST_GUILESS_MAIN(TestRepair)
#include "tst_repair.moc"
