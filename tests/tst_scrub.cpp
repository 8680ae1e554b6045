// Scrub against local-folder providers: copies a provider lost or damaged are found (the cheap
// pass finds what is gone or has the wrong size, the full pass what reads back wrong), marked,
// and their models degraded, so that repair makes them again; a scrub stopped anywhere goes on
// where it stopped, copies checked within the interval wait, and the pace holds its rate.
#include "clitestsupport.h"
#include "sync/repairjob.h"
#include "sync/scrubjob.h"
#include "synctestsupport.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <csignal>

using namespace mf;
using namespace mf::test;

class TestScrub : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void findsEveryLossAndRepairBringsBackTwoCopies();
    void progressCountsBytesNotCopies();
    void resumesWhereItStopped();
    void copiesCheckedWithinTheIntervalWait();
    void holdsItsRate();
    void cliScrubThenRepair();
    void readPassSkipsProvidersPausedForDownloads();
    void cliScrubKilledGoesOnWhereItStopped();
};

namespace {

ScrubJob::Options everything(ScrubRows::ScrubPass pass)
{
    ScrubJob::Options o;
    o.pass = pass;
    o.intervalSecs = 0; // every copy
    o.rate = 0;
    return o;
}

// Sets the time a pass last looked at a copy (seconds since the epoch), through a connection
// of its own, as another process would see it.
bool setStamp(const QString& registryPath, const QString& column, const QString& cid,
              qint64 providerId, qint64 when)
{
    bool ok = false;
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("side"));
        db.setDatabaseName(registryPath);
        if (db.open()) {
            QSqlQuery q(db);
            ok =
                q.prepare(QStringLiteral("UPDATE placements SET %1 = ? WHERE cid = ? AND "
                                         "provider_id = ?")
                              .arg(column)) &&
                (q.addBindValue(when), q.addBindValue(cid), q.addBindValue(providerId), q.exec()) &&
                q.numRowsAffected() == 1;
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("side"));
    return ok;
}

// Makes every copy look stored long ago, so the schedule's intervals have passed for it.
bool ageCopies(const QString& registryPath)
{
    bool ok = false;
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("age"));
        db.setDatabaseName(registryPath);
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(QStringLiteral("UPDATE placements SET stored_at = 0"));
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("age"));
    return ok;
}

// Runs `sql` with `values` bound through a connection of its own, as another process would; the
// rows it changed, -1 on failure.
int sideExec(const QString& registryPath, const QString& sql, const QVariantList& values)
{
    int changed = -1;
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("exec"));
        db.setDatabaseName(registryPath);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.prepare(sql)) {
                for (const QVariant& value : values)
                    q.addBindValue(value);
                if (q.exec())
                    changed = q.numRowsAffected();
            }
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("exec"));
    return changed;
}

} // namespace

void TestScrub::findsEveryLossAndRepairBringsBackTwoCopies()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 12 * MiB, 31);
    QVERIFY(id);
    const QStringList cids = modelChunks(v.registry(), id);
    QVERIFY(cids.size() >= 40);
    const qint64 a = v.providerIds().at(0), b = v.providerIds().at(1);
    // A byte flipped in one object of 20 on the first provider, one object of 20 deleted on
    // the second (other chunks): every chunk keeps one good copy.
    QSet<QString> flipped, deleted;
    for (int i = 0; i < cids.size(); ++i) {
        if (i % 20 == 3) {
            QVERIFY(flipByte(v.objectPath(a, cids.at(i)), 7 + i));
            flipped.insert(cids.at(i));
        } else if (i % 20 == 13) {
            QVERIFY(QFile::remove(v.objectPath(b, cids.at(i))));
            deleted.insert(cids.at(i));
        }
    }
    QVERIFY(!flipped.isEmpty() && !deleted.isEmpty());
    QVERIFY(!v.registry().modelRows().model(id)->degraded);

    // The cheap pass: what is gone. A flipped byte keeps the size; that is the full pass's.
    ScrubJob check(v.vault.get(), everything(ScrubRows::ScrubPass::Check));
    QVERIFY(run(check));
    QVERIFY2(check.error().ok(), qPrintable(check.error().message));
    QCOMPARE(check.report().checked, 2 * int(cids.size()));
    QCOMPARE(check.report().missing, int(deleted.size()));
    QCOMPARE(check.report().corrupt, 0);
    QCOMPARE(check.report().unreachable, 0);
    for (const QString& cid : std::as_const(deleted))
        QVERIFY(!holders(v.registry(), cid).contains(b));
    QVERIFY(v.registry().modelRows().model(id)->degraded);
    QVERIFY(!check.warnings().isEmpty());

    // The full pass: what reads back wrong (the missing ones are no longer stored copies).
    ScrubJob read(v.vault.get(), everything(ScrubRows::ScrubPass::Read));
    QVERIFY(run(read));
    QVERIFY2(read.error().ok(), qPrintable(read.error().message));
    QCOMPARE(read.report().checked, 2 * int(cids.size()) - int(deleted.size()));
    QCOMPARE(read.report().corrupt, int(flipped.size()));
    QCOMPARE(read.report().missing, 0);
    for (const QString& cid : std::as_const(flipped)) {
        QVERIFY(!holders(v.registry(), cid).contains(a));
        QVERIFY(read.report().problems.join(QLatin1Char('\n')).contains(cid));
    }
    // Every good copy is stamped verified now.
    for (const QString& cid : cids)
        for (const Placement& p : v.registry().placementRows().placements(cid))
            if (p.state == PlacementState::Stored)
                QVERIFY(p.verifiedAt.isValid());

    // Repair makes every lost copy again: two good copies of each chunk, bytes match CIDs.
    RepairJob repair(v.vault.get());
    QVERIFY(run(repair));
    QVERIFY2(repair.error().ok(), qPrintable(repair.error().message));
    QCOMPARE(repair.report().copiesMade, int(flipped.size() + deleted.size()));
    QCOMPARE(minCopies(v.registry(), id), 2);
    QVERIFY(!v.registry().modelRows().model(id)->degraded);
    QCOMPARE(checkObjectsMatchCids(v, id), 2 * int(cids.size()));

    // A new full pass finds nothing more.
    ScrubJob again(v.vault.get(), everything(ScrubRows::ScrubPass::Read));
    QVERIFY(run(again));
    QCOMPARE(again.report().checked, 2 * int(cids.size()));
    QCOMPARE(again.report().good, 2 * int(cids.size()));
}

void TestScrub::progressCountsBytesNotCopies()
{
    // Issue 37, item 4: the check pass counted each copy as a byte ("363 B of 393 B · 20 B/s"
    // in the row and the graph). Both passes count the bytes of the copies they look at, and
    // the copies beside them.
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 3 * MiB, 37);
    QVERIFY(id);
    const int copies = 2 * int(modelChunks(v.registry(), id).size());
    for (const ScrubRows::ScrubPass pass :
         {ScrubRows::ScrubPass::Check, ScrubRows::ScrubPass::Read}) {
        ScrubJob scrub(v.vault.get(), everything(pass));
        QVERIFY(run(scrub));
        QVERIFY2(scrub.error().ok(), qPrintable(scrub.error().message));
        const TransferProgress p = scrub.progressNow();
        QCOMPARE(p.totalBytes, 2 * 3 * MiB); // random bytes: no chunk repeats
        QCOMPARE(p.bytesDone, p.totalBytes);
        QCOMPARE(p.chunksTotal, copies);
        QCOMPARE(p.chunksDone, copies);
    }
}

void TestScrub::resumesWhereItStopped()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 6 * MiB, 32);
    QVERIFY(id);
    // Just stored, no copy is due an hourly check; an hour later, every one is.
    QCOMPARE(v.registry()
                 .scrubRows()
                 .scrubDue(ScrubRows::ScrubPass::Check, QDateTime::currentSecsSinceEpoch() - 3599)
                 .placements,
             0);
    QVERIFY(ageCopies(v.registry().path()));
    const int copies = 2 * int(modelChunks(v.registry(), id).size());
    ScrubJob::Options options = everything(ScrubRows::ScrubPass::Check);
    options.intervalSecs = 3600; // what the first run checked is not due for an hour
    options.parallel = 1;

    ScrubJob first(v.vault.get(), options);
    QSignalSpy finished(&first, &ScrubJob::finished);
    connect(&first, &ScrubJob::progress, &first, [&] {
        if (first.report().checked == copies / 3)
            first.abort();
    });
    first.start();
    QVERIFY(finished.wait(JobTimeoutMs));
    QCOMPARE(first.error().kind, Error::Kind::Cancelled);
    first.abort(); // safe twice
    QTest::qWait(0);
    QCOMPARE(finished.size(), 1);
    const int done = first.report().checked;
    QVERIFY(done >= copies / 3 && done < copies);

    ScrubJob second(v.vault.get(), options);
    QVERIFY(run(second));
    QVERIFY2(second.error().ok(), qPrintable(second.error().message));
    QCOMPARE(second.report().due, copies - done);
    QCOMPARE(second.report().checked, copies - done);

    ScrubJob third(v.vault.get(), options);
    QVERIFY(run(third));
    QCOMPARE(third.report().checked, 0);
    QCOMPARE(v.registry()
                 .scrubRows()
                 .scrubDue(ScrubRows::ScrubPass::Check, third.dueBefore())
                 .placements,
             0);
}

void TestScrub::copiesCheckedWithinTheIntervalWait()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 2 * MiB, 33);
    QVERIFY(id);
    QVERIFY(ageCopies(v.registry().path()));
    const QStringList cids = modelChunks(v.registry(), id);
    ScrubJob::Options options = everything(ScrubRows::ScrubPass::Check);
    options.intervalSecs = 86400;
    {
        ScrubJob all(v.vault.get(), options);
        QVERIFY(run(all));
        QCOMPARE(all.report().checked, 2 * int(cids.size()));
    }
    // Two days ago for one copy: only that one is due. Its full read was never done: all due.
    const qint64 b = v.providerIds().at(1);
    QVERIFY(setStamp(v.registry().path(), QStringLiteral("checked_at"), cids.at(1), b,
                     QDateTime::currentSecsSinceEpoch() - 2 * 86400));
    ScrubJob one(v.vault.get(), options);
    QVERIFY(run(one));
    QCOMPARE(one.report().checked, 1);
    QCOMPARE(one.report().good, 1);
    options.pass = ScrubRows::ScrubPass::Read;
    QCOMPARE(v.registry()
                 .scrubRows()
                 .scrubDue(ScrubRows::ScrubPass::Read, QDateTime::currentSecsSinceEpoch())
                 .placements,
             2 * int(cids.size()));
    // A limited run is a slice: the next one goes on.
    options.limit = 5;
    ScrubJob slice(v.vault.get(), options);
    QVERIFY(run(slice));
    QCOMPARE(slice.report().checked, 5);
    QCOMPARE(
        v.registry().scrubRows().scrubDue(ScrubRows::ScrubPass::Read, slice.dueBefore()).placements,
        2 * int(cids.size()) - 5);
}

void TestScrub::holdsItsRate()
{
    // 30 objects at 40 per second: the 30th starts no sooner than 29/40 s after the first.
    // Only the lower bound is asserted (a loaded machine may be slower, never faster).
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 6 * MiB, 34);
    QVERIFY(id);
    ScrubJob::Options options = everything(ScrubRows::ScrubPass::Check);
    options.limit = 30;
    options.rate = 40;
    QVERIFY(2 * modelChunks(v.registry(), id).size() >= 30);
    ScrubJob job(v.vault.get(), options);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(run(job));
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(job.report().checked, 30);
    // Within 10% of the rate: at most 44 objects per second.
    QVERIFY2(elapsed >= qint64(29.0 / 44.0 * 1000), qPrintable(QString::number(elapsed)));
}

void TestScrub::cliScrubThenRepair()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 3 * MiB, 35);
    QVERIFY(id);
    const QStringList cids = modelChunks(v.registry(), id);
    const qint64 b = v.providerIds().at(1);
    QVERIFY(QFile::remove(v.objectPath(b, cids.at(2))));
    const QString dir = v.vault->directory();
    const QString cli = mf::test::cliPath();
    const QStringList common{QStringLiteral("--vault"), dir, QStringLiteral("--json")};

    // Just floated: no copy is due its daily check; --all checks them all the same.
    const CliRun fresh = runWithInput(cli, QStringList{QStringLiteral("scrub")} + common);
    QVERIFY2(fresh.code == 0, fresh.describe());
    QCOMPARE(QJsonDocument::fromJson(fresh.out).object().value(QStringLiteral("checked")).toInt(),
             0);
    const CliRun scrub =
        runWithInput(cli, QStringList{QStringLiteral("scrub"), QStringLiteral("--all")} + common);
    QVERIFY2(scrub.code == 4, scrub.describe()); // missing data found
    QJsonObject j = QJsonDocument::fromJson(scrub.out).object();
    QCOMPARE(j.value(QStringLiteral("pass")).toString(), QStringLiteral("check"));
    QCOMPARE(j.value(QStringLiteral("checked")).toInt(), 2 * int(cids.size()));
    QCOMPARE(j.value(QStringLiteral("missing")).toInt(), 1);
    QCOMPARE(j.value(QStringLiteral("remaining")).toInt(), 0);
    QCOMPARE(j.value(QStringLiteral("degraded_models")).toArray(), QJsonArray{QStringLiteral("m")});

    // Checked now: nothing due.
    const CliRun none = runWithInput(cli, QStringList{QStringLiteral("scrub")} + common);
    QVERIFY2(none.code == 0, none.describe());
    QCOMPARE(QJsonDocument::fromJson(none.out).object().value(QStringLiteral("checked")).toInt(),
             0);

    const CliRun repair = runWithInput(cli, QStringList{QStringLiteral("repair")} + common);
    QVERIFY2(repair.code == 0, repair.describe());
    QCOMPARE(
        QJsonDocument::fromJson(repair.out).object().value(QStringLiteral("copies_made")).toInt(),
        1);

    const CliRun full =
        runWithInput(cli, QStringList{QStringLiteral("scrub"), QStringLiteral("--read"),
                                      QStringLiteral("--all")} +
                              common);
    QVERIFY2(full.code == 0, full.describe());
    j = QJsonDocument::fromJson(full.out).object();
    QCOMPARE(j.value(QStringLiteral("good")).toInt(), 2 * int(cids.size()));
    QVERIFY(j.value(QStringLiteral("ok")).toBool());

    // Restored bit-exact.
    const QString to = v.path(QStringLiteral("restored"));
    const CliRun restore =
        runWithInput(cli, {QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"),
                           to, QStringLiteral("--vault"), dir, QStringLiteral("--quiet")});
    QVERIFY2(restore.code == 0, restore.describe());
    QCOMPARE(readAll(QDir(to).filePath(QStringLiteral("m.bin"))),
             readAll(v.path(QStringLiteral("m.bin"))));

    const CliRun bad = runWithInput(cli, {QStringLiteral("scrub"), QStringLiteral("--rate"),
                                          QStringLiteral("-1"), QStringLiteral("--vault"), dir});
    QVERIFY2(bad.code == 2, bad.describe());
}

void TestScrub::readPassSkipsProvidersPausedForDownloads()
{
    // A provider that serves no downloads until later (a transfer quota, provider budgets) gets
    // no read from scrub before then: its copies stay due, and are read once the pause is over.
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 2 * MiB, 36);
    QVERIFY(id);
    QVERIFY(ageCopies(v.registry().path()));
    const QStringList cids = modelChunks(v.registry(), id);
    const int n = int(cids.size());
    const qint64 a = v.providerIds().at(0), b = v.providerIds().at(1);
    QVERIFY(v.registry().providerRows().pauseProvider(
        b, BudgetDirection::Download, QDateTime::currentMSecsSinceEpoch() + 3600 * 1000,
        QStringLiteral("transfer quota exceeded")));
    ScrubJob::Options options = everything(ScrubRows::ScrubPass::Read);
    options.intervalSecs = 3600;

    ScrubJob read(v.vault.get(), options);
    QVERIFY(run(read));
    QVERIFY2(read.error().ok(), qPrintable(read.error().message));
    QCOMPARE(read.report().checked, n);
    QCOMPARE(read.report().good, n);
    QCOMPARE(read.report().unreachable, 0);
    QCOMPARE(read.report().paused, n);
    QVERIFY(read.warnings()
                .join(QLatin1Char('\n'))
                .contains(v.registry().providerRows().provider(b)->name));
    for (const QString& cid : cids)
        for (const Placement& p : v.registry().placementRows().placements(cid))
            QCOMPARE(p.verifiedAt.isValid(), p.providerId == a);
    // Still due, but not startable now: the scheduler does not start a read for them.
    const ScrubRows::ScrubDue due =
        v.registry().scrubRows().scrubDue(ScrubRows::ScrubPass::Read, read.dueBefore());
    QCOMPARE(due.placements, 0);
    QCOMPARE(due.paused, n);

    // The cheap pass reads no object: it still asks the paused provider.
    ScrubJob check(v.vault.get(), everything(ScrubRows::ScrubPass::Check));
    QVERIFY(run(check));
    QCOMPARE(check.report().checked, 2 * n);
    QCOMPARE(check.report().paused, 0);

    // The pause over, the copies it held back are read (and only those: the others were read
    // within the hour).
    v.registry().providerRows().clearProviderPause(b, BudgetDirection::Download);
    ScrubJob later(v.vault.get(), options);
    QVERIFY(run(later));
    QCOMPARE(later.report().checked, n);
    QCOMPARE(later.report().good, n);
    QCOMPARE(later.report().paused, 0);
    for (const QString& cid : cids)
        for (const Placement& p : v.registry().placementRows().placements(cid))
            QVERIFY(p.verifiedAt.isValid());
}

void TestScrub::cliScrubKilledGoesOnWhereItStopped()
{
    // `scrub --read` killed with SIGKILL halfway: the next run reads the copies the killed one
    // had not finished, and none of those it had.
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 3 * MiB, 37);
    QVERIFY(id);
    QVERIFY(ageCopies(v.registry().path()));
    const int copies = 2 * int(modelChunks(v.registry(), id).size());
    const qint64 interval =
        ScrubJob::scheduled(v.registry(), ScrubRows::ScrubPass::Read).intervalSecs;
    auto readSoFar = [&] {
        const qint64 dueBefore = QDateTime::currentSecsSinceEpoch() - interval + 1;
        return copies -
               v.registry().scrubRows().scrubDue(ScrubRows::ScrubPass::Read, dueBefore).placements;
    };
    QCOMPARE(readSoFar(), 0);
    const QString dir = v.vault->directory();
    const QString cli = mf::test::cliPath();
    // Paced to 2 MiB/s, the 6 MiB of copies take about three seconds.
    const QStringList args{QStringLiteral("scrub"),   QStringLiteral("--read"),
                           QStringLiteral("--rate"),  QString::number(2 * MiB),
                           QStringLiteral("--vault"), dir,
                           QStringLiteral("--quiet")};
    bool killedMidway = false;
    {
        QProcess p;
        p.start(cli, args);
        QVERIFY(p.waitForStarted());
        while (p.state() == QProcess::Running) {
            if (readSoFar() >= 3) {
                ::kill(pid_t(p.processId()), SIGKILL);
                killedMidway = true;
                break;
            }
            QTest::qWait(2);
        }
        p.waitForFinished();
    }
    const int finished = readSoFar();
    if (!killedMidway || finished == copies)
        QSKIP("the scrub ended before it could be killed halfway; nothing to resume");
    QVERIFY(finished >= 3 && finished < copies);
    // What the killed run finished gets a time of its own (still within the interval): a second
    // read of any of it would stamp it again.
    const qint64 mark = QDateTime::currentSecsSinceEpoch() - 1000;
    QCOMPARE(sideExec(v.registry().path(),
                      QStringLiteral("UPDATE placements SET verified_at = ? WHERE verified_at IS "
                                     "NOT NULL"),
                      {mark}),
             finished);

    const CliRun again =
        runWithInput(cli, QStringList{QStringLiteral("scrub"), QStringLiteral("--read"),
                                      QStringLiteral("--vault"), dir, QStringLiteral("--json")});
    QVERIFY2(again.code == 0, again.describe());
    const QJsonObject j = QJsonDocument::fromJson(again.out).object();
    QCOMPARE(j.value(QStringLiteral("checked")).toInt(), copies - finished);
    QCOMPARE(j.value(QStringLiteral("good")).toInt(), copies - finished);
    QCOMPARE(j.value(QStringLiteral("remaining")).toInt(), 0);
    QCOMPARE(sideExec(v.registry().path(),
                      QStringLiteral("UPDATE placements SET verified_at = verified_at WHERE "
                                     "verified_at = ?"),
                      {mark}),
             finished);
    QCOMPARE(readSoFar(), copies);
}

QTEST_GUILESS_MAIN(TestScrub)
#include "tst_scrub.moc"
