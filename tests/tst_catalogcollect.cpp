// The collector that cannot race a slow computer (docs/coordination.md, "Collecting across
// vaults"): a chunk becomes deletable only once this vault has seen it unreferenced for the grace
// period, on a hand-moved clock (no test here waits for time to pass); a float whose publish
// did not reach the providers keeps its lease, and the next publish checks its chunks and
// publishes it; a laptop that floats, goes offline before publishing and comes back after
// another vault's collect ends with its model complete and restorable.

#include "catalogtestsupport.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogguard.h"
#include "sync/catalogpublishjob.h"
#include "sync/catalogsyncjob.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"

#include <QDirIterator>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

FloatJob* makeFloat(Vault* vault, const QString& path, const QString& name)
{
    FloatJob::Request r;
    r.paths = {path};
    r.modelName = name;
    r.options.chunker = SmallChunks;
    r.options.replication = vault->replicationFactor();
    return new FloatJob(vault, r);
}

// Chunk objects (not catalog objects) under the folders.
int chunkObjects(const QStringList& roots)
{
    int n = 0;
    for (const QString& root : roots) {
        QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            n += !path.contains(QLatin1String("/catalog/")) &&
                 path.section(QLatin1Char('/'), -1).startsWith(QLatin1String("bafk"));
        }
    }
    return n;
}

// Lock objects (leases, claims) under the folders' catalogs.
QStringList lockObjects(const QStringList& roots)
{
    QStringList out;
    for (const QString& root : roots)
        for (const QString& name :
             QDir(root + QStringLiteral("/catalog/locks")).entryList(QDir::Files))
            out.append(root + QStringLiteral("/catalog/locks/") + name);
    return out;
}

// Takes the vault's providers offline (disabled: no job of the vault reaches them) or back,
// through a connection of its own (the registry has no call that disables a provider).
bool setOnline(TestVault& v, bool online)
{
    const QString name = QStringLiteral("offline-") + QString::number(quintptr(&v));
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(v.vault->directory() + QStringLiteral("/registry.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(QStringLiteral("UPDATE providers SET enabled = %1").arg(online ? 1 : 0));
            if (!ok)
                qWarning("%s", qPrintable(q.lastError().text()));
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

// Floats `path` as `name` under the catalog's guard; the vault goes offline between the float's
// end and its publish (a laptop whose network went away), when `offlineBeforePublish`.
std::unique_ptr<CatalogGuard> guardedFloat(TestVault& v, const QString& path, const QString& name,
                                           bool offlineBeforePublish)
{
    FloatJob* inner = makeFloat(v.vault.get(), path, name);
    if (offlineBeforePublish)
        // Connected before the guard's own: runs before the guard starts its publish.
        QObject::connect(inner, &TransferJob::finished, inner, [&v] { setOnline(v, false); });
    auto guard = std::make_unique<CatalogGuard>(v.vault.get(), inner, name);
    QSignalSpy finished(guard.get(), &TransferJob::finished);
    guard->start();
    if (!finished.wait(JobTimeoutMs))
        return nullptr;
    for (const QString& w : guard->warnings())
        qInfo("warning: %s", qPrintable(w));
    return guard;
}

// Collects on `v` at `now` (the hand-moved clock): the finished job.
std::unique_ptr<CatalogCollectJob> collectAt(TestVault& v, qint64 now,
                                             const QString& model = QString())
{
    auto job = std::make_unique<CatalogCollectJob>(v.vault.get(), model);
    job->setClock([now] { return now; });
    QSignalSpy finished(job.get(), &TransferJob::finished);
    job->start();
    if (!finished.wait(JobTimeoutMs))
        return nullptr;
    for (const QString& w : job->warnings())
        qInfo("warning: %s", qPrintable(w));
    return job;
}

bool knowsModel(TestVault& v, const QString& name)
{
    return v.registry().modelRows().modelByName(name).has_value();
}

constexpr qint64 T0 = 2000000000; // a hand-moved clock's start (seconds since the epoch)

} // namespace

class TestCatalogCollect final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unreferencedChunkWaitsForTheGracePeriod();
    void publishThatFailedKeepsTheLease();
    void laptopOfflineBeforePublishKeepsItsModel_data();
    void laptopOfflineBeforePublishKeepsItsModel();
};

void TestCatalogCollect::unreferencedChunkWaitsForTheGracePeriod()
{
    // (b) A chunk unreferenced for less than the grace period (24 h by default) is not deleted;
    // past it, it is. Used again meanwhile, its period starts over.
    TestVault v;
    QVERIFY(v.ok());
    const QString src = v.dir.filePath(QStringLiteral("m.bin"));
    QVERIFY(writePseudoRandomFile(src, 1200 * KiB, 3));
    QVERIFY(runJob(makeFloat(v.vault.get(), src, QStringLiteral("m1"))));
    const QStringList roots{v.registry()
                                .providerRows()
                                .providers()
                                .first()
                                .settings.value(QStringLiteral("path"))
                                .toString()};
    const int objects = chunkObjects(roots);
    QVERIFY(objects > 0);
    const qint64 grace = CatalogCollectJob::DefaultGraceSecs;
    QCOMPARE(CatalogCollectJob::graceSecs(v.vault.get()), grace);

    // rm at T0: nothing is freed yet; the report says how much waits, and until when.
    auto rm = collectAt(v, T0, QStringLiteral("m1"));
    QVERIFY(rm);
    QVERIFY2(rm->error().ok(), qPrintable(rm->error().message));
    QCOMPARE(rm->chunksFreed(), 0);
    QCOMPARE(rm->chunksWaiting(), objects);
    QCOMPARE(rm->bytesWaiting(), 1200 * KiB);
    QCOMPARE(rm->freeAfter(), T0 + grace);
    QCOMPARE(chunkObjects(roots), objects);

    // One second short of the period: still there.
    auto early = collectAt(v, T0 + grace - 1);
    QVERIFY(early);
    QCOMPARE(early->chunksFreed(), 0);
    QCOMPARE(early->chunksWaiting(), objects);
    QCOMPARE(chunkObjects(roots), objects);

    // Used again (a float of the same bytes), then unreferenced again: the period starts over.
    QVERIFY(runJob(makeFloat(v.vault.get(), src, QStringLiteral("m2"))));
    auto again = collectAt(v, T0 + grace - 1, QStringLiteral("m2"));
    QVERIFY(again);
    QCOMPARE(again->chunksFreed(), 0);
    QCOMPARE(again->freeAfter(), T0 + 2 * grace - 1);
    auto stillEarly = collectAt(v, T0 + grace);
    QVERIFY(stillEarly);
    QCOMPARE(stillEarly->chunksFreed(), 0);
    QCOMPARE(chunkObjects(roots), objects);

    // Past the period: freed, objects and all.
    auto late = collectAt(v, T0 + 2 * grace - 1);
    QVERIFY(late);
    QVERIFY2(late->error().ok(), qPrintable(late->error().message));
    QCOMPARE(late->chunksFreed(), objects);
    QCOMPARE(late->chunksWaiting(), 0);
    QCOMPARE(late->bytesFreed(), 1200 * KiB);
    QCOMPARE(chunkObjects(roots), 0);
}

void TestCatalogCollect::publishThatFailedKeepsTheLease()
{
    // (c) A float whose publish reaches no provider (the computer went offline between its last
    // upload and its publish) leaves its lease on the providers, and the next sync publishes the
    // model: another vault then finds it.
    TestVault a;
    TestVault b;
    const QStringList roots{a.dir.filePath(QStringLiteral("one")),
                            a.dir.filePath(QStringLiteral("two"))};
    QVERIFY(useSharedFolders(a, roots) && useSharedFolders(b, roots));
    QVERIFY(shareCatalogKey(a.vault.get(), b.vault.get()));
    const QString src = a.dir.filePath(QStringLiteral("x.bin"));
    QVERIFY(writePseudoRandomFile(src, 900 * KiB, 5));

    auto guard = guardedFloat(a, src, QStringLiteral("x"), true);
    QVERIFY(guard);
    QVERIFY2(guard->error().ok(), qPrintable(guard->error().message)); // the float itself did
    QCOMPARE(lockObjects(roots).size(), 2);                            // the lease, on both stores
    QVERIFY(guard->publishFailed());
    QVERIFY(!CatalogPublishJob::toRecheck(a.vault.get()).isEmpty());

    // Back online, the next sync publishes (checking the model's chunks first).
    QVERIFY(setOnline(a, true));
    auto* publish = new CatalogPublishJob(a.vault.get());
    QVERIFY(runJob(publish));
    QVERIFY(CatalogPublishJob::toRecheck(a.vault.get()).isEmpty());
    QVERIFY(runJob(new CatalogSyncJob(b.vault.get())));
    QVERIFY(knowsModel(b, QStringLiteral("x")));
    QVERIFY(restoreOk(b.vault.get(), QStringLiteral("x"), b.dir.filePath(QStringLiteral("out")),
                      QStringLiteral("x.bin"), src));
}

void TestCatalogCollect::laptopOfflineBeforePublishKeepsItsModel_data()
{
    QTest::addColumn<bool>("backAfterTheGrace");
    QTest::newRow("back within the grace period") << false;
    QTest::newRow("back after it") << true;
}

void TestCatalogCollect::laptopOfflineBeforePublishKeepsItsModel()
{
    // (a) The laptop (a) floats at T0 and goes offline before publishing; its lease runs out.
    // The desktop (b) collects at T1: the laptop's chunks are on the stores, in no catalog. The
    // laptop comes back at T2 and publishes. Within the grace period its chunks are all there;
    // after it (the desktop deleted them), the publish finds them gone and does not call the
    // model complete: the next float of the same files sends them again. Either way the model
    // ends complete and restorable, on both computers.
    QFETCH(bool, backAfterTheGrace);
    TestVault a;
    TestVault b;
    const QStringList roots{a.dir.filePath(QStringLiteral("one")),
                            a.dir.filePath(QStringLiteral("two"))};
    QVERIFY(useSharedFolders(a, roots) && useSharedFolders(b, roots));
    QVERIFY(shareCatalogKey(a.vault.get(), b.vault.get()));
    // The desktop has a model of its own, published: the stores are shared.
    const QString mine = b.dir.filePath(QStringLiteral("mine.bin"));
    QVERIFY(writePseudoRandomFile(mine, 300 * KiB, 11));
    QVERIFY(runJob(makeFloat(b.vault.get(), mine, QStringLiteral("mine"))));
    QVERIFY(runJob(new CatalogPublishJob(b.vault.get())));
    const int desktopObjects = chunkObjects(roots);

    // T0: the laptop floats, and its network goes before the publish.
    const QString src = a.dir.filePath(QStringLiteral("x.bin"));
    QVERIFY(writePseudoRandomFile(src, 1500 * KiB, 7));
    auto guard = guardedFloat(a, src, QStringLiteral("x"), true);
    QVERIFY(guard);
    QVERIFY2(guard->error().ok(), qPrintable(guard->error().message));
    const int laptopObjects = chunkObjects(roots) - desktopObjects;
    QVERIFY(laptopObjects > 0);
    // Its lease runs out (nothing renews it); the next look at the locks removes it.
    for (const QString& lock : lockObjects(roots))
        QVERIFY(QFile::remove(lock));

    // T1: the desktop collects. The laptop's chunks are in no catalog: they wait.
    const qint64 t1 = T0 + 3600;
    const qint64 grace = CatalogCollectJob::graceSecs(b.vault.get());
    auto first = collectAt(b, t1);
    QVERIFY(first);
    QVERIFY2(first->error().ok(), qPrintable(first->error().message));
    QVERIFY(first->deferred().isEmpty());
    QCOMPARE(first->objectsSwept(), 0);
    QCOMPARE(first->chunksWaiting(), laptopObjects / 2);
    QCOMPARE(first->freeAfter(), t1 + grace);
    QCOMPARE(chunkObjects(roots), desktopObjects + laptopObjects);

    if (backAfterTheGrace) {
        // The laptop stays away: the desktop's next collect, past the period, deletes them.
        auto second = collectAt(b, t1 + grace);
        QVERIFY(second);
        QCOMPARE(second->objectsSwept(), laptopObjects);
        QCOMPARE(chunkObjects(roots), desktopObjects);
    }

    // T2: the laptop is back; its next sync publishes, checking the model's chunks first.
    QVERIFY(setOnline(a, true));
    auto* publish = new CatalogPublishJob(a.vault.get());
    QVERIFY(runJob(publish));
    if (backAfterTheGrace) {
        // Gone everywhere: the laptop no longer calls the model complete.
        const auto x = a.registry().modelRows().modelByName(QStringLiteral("x"));
        QVERIFY(x);
        QVERIFY(x->state != ModelRecord::State::Complete);
        // The next float of the same files sends what is gone, and publishes.
        auto resumed = guardedFloat(a, src, QStringLiteral("x"), false);
        QVERIFY(resumed);
        QVERIFY2(resumed->error().ok(), qPrintable(resumed->error().message));
        QVERIFY(!resumed->publishFailed());
    }

    // The desktop collects again, long after: the laptop's model is in the catalog now, and
    // nothing of it is deleted.
    auto later = collectAt(b, t1 + 3 * grace);
    QVERIFY(later);
    QVERIFY2(later->error().ok(), qPrintable(later->error().message));
    QCOMPARE(later->objectsSwept(), 0);
    QCOMPARE(later->chunksWaiting(), 0);
    QVERIFY(knowsModel(b, QStringLiteral("x")));
    QCOMPARE(chunkObjects(roots), desktopObjects + laptopObjects);
    const auto x = a.registry().modelRows().modelByName(QStringLiteral("x"));
    QVERIFY(x && x->state == ModelRecord::State::Complete);
    QVERIFY(restoreOk(a.vault.get(), QStringLiteral("x"), a.dir.filePath(QStringLiteral("out")),
                      QStringLiteral("x.bin"), src));
    QVERIFY(restoreOk(b.vault.get(), QStringLiteral("x"), b.dir.filePath(QStringLiteral("out")),
                      QStringLiteral("x.bin"), src));
}

QTEST_GUILESS_MAIN(TestCatalogCollect)
#include "tst_catalogcollect.moc"
