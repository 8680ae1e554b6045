// Registry: where chunks are stored (placements and their states), what the vault's statistics
// and model summaries count from them (copies, dedup savings, bad copies until replaced), and
// the jobs table.

#include "registrytestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestRegistryPlacements final : public RegistryTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init() { RegistryTestBase::init(); }
    void cleanup() { RegistryTestBase::cleanup(); }
    void recordPlacementUpserts();
    void setPlacementState();
    void placementsOfModelAndChunkModelCounts();
    void statsOnAHandBuiltVault();
    void dedupSavingsCountCompleteDataOnly();
    void badCopiesCountUntilReplaced();
    void jobs();
    void summaryHealth();
    void summaryNumbers();
};

// --------------------------------------------------------------------------------- placements

void TestRegistryPlacements::recordPlacementUpserts()
{
    buildVault(*m_r);
    Side side(dbPath());
    Placement p{m_c, m_p1, QStringLiteral("new-locator"), PlacementState::Stored,
                QDateTime::fromSecsSinceEpoch(1700000000)};
    QVERIFY(m_r->placementRows().recordPlacement(p));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(6));
    auto got = m_r->placementRows().placements(m_c);
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().locator, QStringLiteral("new-locator"));
    QCOMPARE(got.first().state, PlacementState::Stored);
    QCOMPARE(got.first().verifiedAt, QDateTime::fromSecsSinceEpoch(1700000000));
    // A new provider for the same chunk is a new row.
    QVERIFY(m_r->placementRows().recordPlacement(placement(m_c, m_p2, PlacementState::Pending)));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(7));
    got = m_r->placementRows().placements(m_c);
    QCOMPARE(got.size(), 2);
    QCOMPARE(got.at(0).providerId, m_p1);
    QCOMPARE(got.at(1).providerId, m_p2);
    QVERIFY(!got.at(1).verifiedAt.isValid());
    QVERIFY(m_r->placementRows().removePlacement(m_c, m_p2));
    QCOMPARE(m_r->placementRows().placements(m_c).size(), 1);
}

void TestRegistryPlacements::setPlacementState()
{
    buildVault(*m_r);
    QVERIFY(!m_r->placementRows().placements(m_c).first().verifiedAt.isValid());
    QVERIFY(m_r->placementRows().setPlacementState(m_c, m_p1, PlacementState::Corrupt));
    QCOMPARE(m_r->placementRows().placements(m_c).first().state, PlacementState::Corrupt);
    QVERIFY(!m_r->placementRows().placements(m_c).first().verifiedAt.isValid());
    const QDateTime before = QDateTime::currentDateTime().addSecs(-1);
    QVERIFY(m_r->placementRows().setPlacementState(m_c, m_p1, PlacementState::Stored, true));
    const Placement p = m_r->placementRows().placements(m_c).first();
    QCOMPARE(p.state, PlacementState::Stored);
    QVERIFY(p.verifiedAt.isValid());
    QVERIFY(p.verifiedAt >= before);
    // Other placements are not touched.
    QCOMPARE(m_r->placementRows().placements(m_d).first().state, PlacementState::Corrupt);
    for (const auto& q : m_r->placementRows().placements(m_a))
        QCOMPARE(q.state, PlacementState::Stored);
}

void TestRegistryPlacements::placementsOfModelAndChunkModelCounts()
{
    buildVault(*m_r);
    const auto of1 = m_r->placementRows().placementsOfModel(m_m1);
    QCOMPARE(of1.size(), 3);
    QCOMPARE(of1.value(m_a).size(), 2);
    QCOMPARE(of1.value(m_a).at(0).providerId, m_p1);
    QCOMPARE(of1.value(m_a).at(1).providerId, m_p2);
    QCOMPARE(of1.value(m_b).size(), 2);
    QCOMPARE(of1.value(m_c).size(), 1);
    QCOMPARE(of1.value(m_c).first().state, PlacementState::Missing);
    QVERIFY(!of1.contains(m_d));
    const auto of2 = m_r->placementRows().placementsOfModel(m_m2);
    QCOMPARE(of2.size(), 2);
    QVERIFY(of2.contains(m_a) && of2.contains(m_d));

    const auto counts = m_r->placementRows().chunkModelCounts(m_m1);
    QCOMPARE(counts.size(), 3);
    QCOMPARE(counts.value(m_a), 2);
    QCOMPARE(counts.value(m_b), 1);
    QCOMPARE(counts.value(m_c), 1);
    // Two files of one model using the same chunk count that model once.
    const qint64 f3 = m_r->modelRows()
                          .beginFile(m_m1, QStringLiteral("copy.bin"), 10, QStringLiteral("x"))
                          .value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f3, {chunk(0, 0, 10, m_b)}));
    QCOMPARE(m_r->placementRows().chunkModelCounts(m_m1).value(m_b), 1);
    QCOMPARE(m_r->placementRows().chunkModelCounts(m_m2).value(m_a), 2);
    QCOMPARE(m_r->placementRows().chunkModelCounts(m_m2).value(m_d), 1);
}

void TestRegistryPlacements::statsOnAHandBuiltVault()
{
    const VaultStats empty = m_r->healthRows().stats();
    QCOMPARE(empty.models, 0);
    QCOMPARE(empty.storedBytes, qint64(0));
    buildVault(*m_r);
    const VaultStats s = m_r->healthRows().stats();
    QCOMPARE(s.models, 2);
    QCOMPARE(s.files, 2);
    QCOMPARE(s.logicalBytes, qint64(50));
    QCOMPARE(s.uniqueBytes, qint64(40));
    QCOMPARE(s.storedBytes, qint64(30)); // A twice, B once
    QCOMPARE(s.chunks, 4);
    QCOMPARE(s.placements, 6);
    QCOMPARE(s.unhealthyPlacements, 2); // C missing, D corrupt
    const auto byProvider = m_r->healthRows().storedBytesByProvider();
    QCOMPARE(byProvider.size(), 2);
    QCOMPARE(byProvider.value(m_p1), qint64(20));
    QCOMPARE(byProvider.value(m_p2), qint64(10));
}

void TestRegistryPlacements::dedupSavingsCountCompleteDataOnly()
{
    buildVault(*m_r);
    // Floats that have not finished save nothing, whatever their files share.
    QCOMPARE(m_r->healthRows().stats().dedupSavedBytes(), qint64(0));
    QVERIFY(m_r->modelRows().setModelState(m_m1, ModelRecord::State::Complete));
    QVERIFY(m_r->modelRows().setModelState(m_m2, ModelRecord::State::Complete));
    // Complete: A is shared and stored (10 saved). C (missing) and D (corrupt) have no stored
    // copy: they count on neither side.
    QCOMPARE(m_r->healthRows().stats().dedupSavedBytes(), qint64(10));
    // An unfinished float of a 1 MB file that has chunked 10 bytes so far, sharing A: the
    // 999,990 bytes never chunked were not deduplicated, and its one chunk saves nothing yet.
    const qint64 m3 = m_r->modelRows().createModel(QStringLiteral("m3"), {}).value_or(0);
    const qint64 f3 =
        m_r->modelRows()
            .beginFile(m3, QStringLiteral("big.bin"), 1000000, QStringLiteral("fixed"))
            .value_or(0);
    QVERIFY(f3 > 0);
    QVERIFY(m_r->modelRows().appendChunks(f3, {chunk(0, 0, 10, m_a)}));
    // Its other file is complete, but the model is not: still no savings.
    const qint64 f3b = m_r->modelRows()
                           .beginFile(m3, QStringLiteral("small.bin"), 20, QStringLiteral("fixed"))
                           .value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f3b, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_b)}));
    QVERIFY(m_r->modelRows().completeFile(f3b, QByteArray(64, 'd'), {}));
    const VaultStats s = m_r->healthRows().stats();
    QCOMPARE(s.logicalBytes, qint64(1000070));
    QCOMPARE(s.referencedBytes, qint64(30));       // A twice, B once
    QCOMPARE(s.referencedUniqueBytes, qint64(20)); // A, B
    QCOMPARE(s.dedupSavedBytes(), qint64(10));
    // What "dedup saved" used to show: the missing part of the unfinished file.
    QCOMPARE(s.logicalBytes - s.uniqueBytes, qint64(1000030));
    // A complete model taken in from a catalog whose chunks are stored nowhere here (C twice):
    // nothing was kept once instead of twice.
    const qint64 m5 = m_r->modelRows().createModel(QStringLiteral("m5"), {}).value_or(0);
    const qint64 f5 = m_r->modelRows()
                          .beginFile(m5, QStringLiteral("gone.bin"), 20, QStringLiteral("fixed"))
                          .value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f5, {chunk(0, 0, 10, m_c), chunk(1, 10, 10, m_c)}));
    QVERIFY(m_r->modelRows().completeFile(f5, QByteArray(64, 'e'), {}));
    QVERIFY(m_r->modelRows().setModelState(m5, ModelRecord::State::Complete));
    QCOMPARE(m_r->healthRows().stats().dedupSavedBytes(), qint64(10));
    // A complete file made only of chunks already stored saves its whole size.
    const qint64 m4 = m_r->modelRows().createModel(QStringLiteral("m4"), {}).value_or(0);
    const qint64 f4 = m_r->modelRows()
                          .beginFile(m4, QStringLiteral("dup.bin"), 20, QStringLiteral("fixed"))
                          .value_or(0);
    QVERIFY(f4 > 0);
    QVERIFY(m_r->modelRows().appendChunks(f4, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_b)}));
    QVERIFY(m_r->modelRows().completeFile(f4, QByteArray(64, 'c'), {}));
    QVERIFY(m_r->modelRows().setModelState(m4, ModelRecord::State::Complete));
    QCOMPARE(m_r->healthRows().stats().dedupSavedBytes(), qint64(30));
}

void TestRegistryPlacements::badCopiesCountUntilReplaced()
{
    buildVault(*m_r);
    QCOMPARE(m_r->healthRows().wantedCopies(), 2);
    QCOMPARE(m_r->healthRows().stats().unhealthyPlacements, 2); // C missing, D corrupt
    // Repair made C's copies elsewhere (a third provider and the second): the missing copy's
    // record stays, but it is no longer a problem.
    const qint64 p3 =
        m_r->providerRows().addProvider(providerRecord(QStringLiteral("p3"))).value_or(0);
    QVERIFY(p3 > 0);
    QVERIFY(m_r->placementRows().recordPlacement(placement(m_c, m_p2, PlacementState::Stored)));
    QCOMPARE(m_r->healthRows().stats().unhealthyPlacements, 2); // one copy of two wanted
    QVERIFY(m_r->placementRows().recordPlacement(placement(m_c, p3, PlacementState::Stored)));
    QCOMPARE(m_r->healthRows().stats().unhealthyPlacements, 1); // D only
}

void TestRegistryPlacements::jobs()
{
    const QJsonObject payload{{QStringLiteral("model"), QStringLiteral("m")},
                              {QStringLiteral("files"), QJsonArray{1, 2, 3}}};
    const auto j1 = m_r->queueRows().addJob(QStringLiteral("float"), payload);
    const auto j2 = m_r->queueRows().addJob(QStringLiteral("float"), {});
    const auto j3 = m_r->queueRows().addJob(QStringLiteral("restore"), {});
    QVERIFY(j1 && j2 && j3);
    auto queued = m_r->queueRows().jobs(QStringLiteral("float"), QStringLiteral("queued"));
    QCOMPARE(queued.size(), 2);
    QCOMPARE(queued.at(0).first, *j1);
    QCOMPARE(queued.at(0).second, payload);
    QCOMPARE(queued.at(1).first, *j2);
    QVERIFY(m_r->queueRows().setJobState(*j1, QStringLiteral("running")));
    QVERIFY(
        m_r->queueRows().setJobState(*j2, QStringLiteral("failed"), QStringLiteral("disk full")));
    QVERIFY(m_r->queueRows().jobs(QStringLiteral("float"), QStringLiteral("queued")).isEmpty());
    QCOMPARE(m_r->queueRows().jobs(QStringLiteral("float"), QStringLiteral("running")).size(), 1);
    QCOMPARE(m_r->queueRows().jobs(QStringLiteral("restore"), QStringLiteral("queued")).size(), 1);
    QVERIFY(!m_r->queueRows().setJobState(*j3, QStringLiteral("exploded"))); // not a state
    QCOMPARE(m_r->queueRows().jobs(QStringLiteral("restore"), QStringLiteral("queued")).size(), 1);
    Side side(dbPath());
    QCOMPARE(
        side.scalar(QStringLiteral("SELECT error FROM jobs WHERE id = %1").arg(*j2)).toString(),
        QStringLiteral("disk full"));

    // Finished rows go when they are old enough; running and queued ones stay whatever their age.
    QVERIFY(m_r->queueRows().pruneFinishedJobs(QDateTime::currentSecsSinceEpoch() - 3600));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 3);
    QVERIFY(m_r->queueRows().pruneFinishedJobs(QDateTime::currentSecsSinceEpoch() + 1));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 2);
    QVERIFY(m_r->queueRows().removeJob(*j1));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 1);

    // The history is bounded in number too: only the newest finished rows stay, and the queued
    // one whatever the limit.
    QList<qint64> finished;
    for (int i = 0; i < 4; ++i) {
        const auto j = m_r->queueRows().addJob(QStringLiteral("float"), {});
        QVERIFY(j && m_r->queueRows().setJobState(*j, i % 2 ? QStringLiteral("done")
                                                            : QStringLiteral("cancelled")));
        finished.append(*j);
    }
    QVERIFY(m_r->queueRows().pruneFinishedJobs(0, 2));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 3);
    QCOMPARE(side.scalar(QStringLiteral("SELECT MIN(id) FROM jobs WHERE state != 'queued'"))
                 .toLongLong(),
             finished.at(2));
    QCOMPARE(m_r->queueRows().jobs(QStringLiteral("restore"), QStringLiteral("queued")).size(), 1);
}

// ---------------------------------------------------------------------------------- summaries

void TestRegistryPlacements::summaryHealth()
{
    buildVault(*m_r);
    auto summary = [&](qint64 model, int wanted) {
        return summarizeModel(*m_r, *m_r->modelRows().model(model), wanted).health(wanted);
    };
    // Models start incomplete, whatever their replicas.
    QCOMPARE(summary(m_m1, 2), QStringLiteral("incomplete"));
    QVERIFY(m_r->modelRows().setModelState(m_m1, ModelRecord::State::Complete));
    QVERIFY(m_r->modelRows().setModelState(m_m2, ModelRecord::State::Complete));
    // M1: A 2 good, B 1 good (1 pending), C none (missing).
    QCOMPARE(summary(m_m1, 2), QStringLiteral("damaged"));
    QCOMPARE(summary(m_m1, 1), QStringLiteral("damaged"));
    QVERIFY(m_r->placementRows().setPlacementState(m_c, m_p1, PlacementState::Stored));
    QCOMPARE(summary(m_m1, 1), QStringLiteral("healthy"));
    QCOMPARE(summary(m_m1, 2), QStringLiteral("degraded"));
    QVERIFY(m_r->placementRows().setPlacementState(m_b, m_p2, PlacementState::Stored));
    QVERIFY(m_r->placementRows().recordPlacement(placement(m_c, m_p2, PlacementState::Stored)));
    QCOMPARE(summary(m_m1, 2), QStringLiteral("healthy"));
    QCOMPARE(summary(m_m1, 3), QStringLiteral("degraded"));
    // M2: D's only copy is corrupt.
    QCOMPARE(summary(m_m2, 1), QStringLiteral("damaged"));
    QVERIFY(m_r->placementRows().removePlacement(m_d, m_p2));
    QCOMPARE(summary(m_m2, 1), QStringLiteral("damaged"));
    // An incomplete model stays "incomplete" even when every chunk is safe.
    QVERIFY(m_r->modelRows().setModelState(m_m1, ModelRecord::State::Incomplete));
    QCOMPARE(summary(m_m1, 2), QStringLiteral("incomplete"));
    // A complete model without chunks (only empty files) is healthy.
    const qint64 e = m_r->modelRows().createModel(QStringLiteral("empty"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(e, QStringLiteral("0"), 0, QStringLiteral("x")).value_or(0);
    QVERIFY(m_r->modelRows().completeFile(f, QByteArray(64, '0'), {}));
    QVERIFY(m_r->modelRows().setModelState(e, ModelRecord::State::Complete));
    QCOMPARE(summary(e, 2), QStringLiteral("healthy"));
}

void TestRegistryPlacements::summaryNumbers()
{
    buildVault(*m_r);
    // A second file in M1 that repeats B twice.
    const qint64 f3 = m_r->modelRows()
                          .beginFile(m_m1, QStringLiteral("b.bin"), 20, QStringLiteral("x"))
                          .value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f3, {chunk(0, 0, 10, m_b), chunk(1, 10, 10, m_b)}));
    QVERIFY(m_r->modelRows().setModelState(m_m1, ModelRecord::State::Complete));
    const ModelSummary s = summarizeModel(*m_r, *m_r->modelRows().model(m_m1), 2);
    QCOMPARE(s.model.name, QStringLiteral("m1"));
    QCOMPARE(s.files, 2);
    QCOMPARE(s.bytes, qint64(50));
    QCOMPARE(s.chunkRefs, 5);
    QCOMPARE(s.uniqueChunks, 3);
    QCOMPARE(s.uniqueBytes, qint64(30));
    QCOMPARE(s.sharedBytes, qint64(10));         // A, also M2's
    QCOMPARE(s.minReplicas, 0);                  // C
    QCOMPARE(s.lost, 1);                         // C
    QCOMPARE(s.underReplicated, 1);              // B (its second copy is pending)
    QCOMPARE(s.chunksByProvider.value(m_p1), 2); // A, B
    QCOMPARE(s.chunksByProvider.value(m_p2), 1); // A
    QCOMPARE(s.bytesByProvider.value(m_p1), qint64(20));
    QCOMPARE(s.bytesByProvider.value(m_p2), qint64(10));

    const ModelSummary s2 = summarizeModel(*m_r, *m_r->modelRows().model(m_m2), 1);
    QCOMPARE(s2.uniqueChunks, 2);
    QCOMPARE(s2.minReplicas, 0); // D is corrupt only
    QCOMPARE(s2.lost, 1);
    QCOMPARE(s2.sharedBytes, qint64(10));

    const qint64 bare = m_r->modelRows().createModel(QStringLiteral("bare"), Source).value_or(0);
    QVERIFY(m_r->modelRows().model(bare));
    const ModelSummary s3 = summarizeModel(*m_r, *m_r->modelRows().model(bare), 2);
    QCOMPARE(s3.files, 0);
    QCOMPARE(s3.uniqueChunks, 0);
    QCOMPARE(s3.minReplicas, 0);
    QCOMPARE(s3.lost, 0);
}

QTEST_GUILESS_MAIN(TestRegistryPlacements)
#include "tst_registryplacements.moc"
