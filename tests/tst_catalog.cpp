// The catalog's registry side (docs/catalog.md) and the catalog jobs between vaults that share
// local-folder providers (its format is tst_catalogformat's): the merged catalog as an
// observed-remove set (changes, removals, concurrent changes, names taken, a model adopted
// without its uid, placements found that cancel queued deletions). Models published by one vault
// restoring in another, and damaged objects replaced, are tst_catalogvaults'. The same jobs
// against real S3 and WebDAV servers, the CLI and two "computers" are in tst_recovery.

#include "catalogtestsupport.h"
#include "chunking/cid.h"
#include "providers/provider.h"
#include "registry/modelname.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogformat.h"
#include "sync/catalogpublishjob.h"
#include "sync/catalogsyncjob.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"

#include <QDirIterator>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUuid>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace mf;
using namespace mf::test;

class TestCatalog final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void triggersMarkChanges();
    void publishAndMerge();
    void concurrentChangeSurvivesRemoval();
    void removalDuringPublishStaysRemoved();
    void removalDuringSyncStaysRemoved();
    void publishBetweenDifferenceAndRemovalKeepsTheModel();
    void publishDuringDifferencesIsNoRemoval();
    void namesTakenElsewhere();
    void longNamesTakenElsewhere();
    void adoptsSameModelWithoutUid();
    void foundPlacementsCancelQueuedDeletions();
};

void TestCatalog::triggersMarkChanges()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString src = v.dir.filePath(QStringLiteral("m.bin"));
    QVERIFY(writePseudoRandomFile(src, 700 * KiB, 1));
    QVERIFY(floatInto(v.vault.get(), src, QStringLiteral("m")));
    Registry& r = v.registry();
    QCOMPARE(r.catalogRows().catalogChanges().size(), 1);
    QVERIFY(runJob(new CatalogPublishJob(v.vault.get())));
    QVERIFY(r.catalogRows().catalogChanges().isEmpty());
    QCOMPARE(r.catalogRows().catalogSeq(), 1);
    // A change of the model (its state written, as a rename or an import would) is noticed;
    // renewing its lease is not a change.
    const qint64 id = r.modelRows().modelByName(QStringLiteral("m"))->id;
    r.modelRows().renewModelLease(id, leaseowner::processLeaseOwner());
    QVERIFY(r.catalogRows().catalogChanges().isEmpty());
    QVERIFY(r.modelRows().setModelState(id, ModelRecord::State::Complete));
    QCOMPARE(r.catalogRows().catalogChanges().size(), 1);
    QVERIFY(runJob(new CatalogPublishJob(v.vault.get())));
    QCOMPARE(r.catalogRows().catalogSeq(), 2);
    // The second version replaced the first: one live entry of this vault, one tombstone.
    QList<CatalogEntry> entries;
    QStringList tombstones;
    QVERIFY(r.catalogRows().catalogOwnState(v.vault->id(), &entries, &tombstones));
    QCOMPARE(entries.size(), 1);
    QCOMPARE(tombstones.size(), 1);
    // Removing the model tombstones it.
    QVERIFY(r.modelRows().removeModel(id));
    QCOMPARE(r.catalogRows().catalogRemovals().size(), 1);
    QVERIFY(runJob(new CatalogPublishJob(v.vault.get())));
    entries.clear();
    tombstones.clear();
    QVERIFY(r.catalogRows().catalogOwnState(v.vault->id(), &entries, &tombstones));
    QVERIFY(entries.isEmpty());
    QCOMPARE(tombstones.size(), 2);
    QVERIFY(r.catalogRows().catalogRemovals().isEmpty());
}

void TestCatalog::publishAndMerge()
{
    // Two vaults on one local provider folder.
    TestVault a;
    TestVault b;
    QVERIFY(a.ok() && b.ok());
    const QString shared = a.dir.filePath(QStringLiteral("shared"));
    for (TestVault* v : {&a, &b})
        QVERIFY(useSharedFolders(*v, {shared}));
    QVERIFY(shareCatalogKey(a.vault.get(), b.vault.get()));
    const QString src = a.dir.filePath(QStringLiteral("x.bin"));
    QVERIFY(writePseudoRandomFile(src, 900 * KiB, 2));
    QVERIFY(floatInto(a.vault.get(), src, QStringLiteral("x")));
    QVERIFY(runJob(new CatalogPublishJob(a.vault.get())));

    auto* sync = new CatalogSyncJob(b.vault.get());
    QSignalSpy done(sync, &TransferJob::finished);
    sync->start();
    QVERIFY(done.wait(JobTimeoutMs));
    QVERIFY2(sync->error().ok(), qPrintable(sync->error().message));
    QCOMPARE(sync->report().modelsAdded, 1);
    QVERIFY(sync->inSync());
    QVERIFY(sync->report().placementsFound > 0);
    delete sync;
    const auto model = b.registry().modelRows().modelByName(QStringLiteral("x"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    // Taken in clean: B has nothing of its own to publish.
    QVERIFY(b.registry().catalogRows().catalogChanges().isEmpty());
    QVERIFY(restoreOk(b.vault.get(), QStringLiteral("x"), b.dir.filePath(QStringLiteral("out")),
                      QStringLiteral("x.bin"), src));
    // Syncing again changes nothing.
    auto* again = new CatalogSyncJob(b.vault.get());
    QSignalSpy done2(again, &TransferJob::finished);
    again->start();
    QVERIFY(done2.wait(JobTimeoutMs));
    QCOMPARE(again->report().modelsAdded + again->report().modelsChanged, 0);
    QCOMPARE(again->report().statesRead, 0);
    delete again;

    // B removes it: A, pulling, removes it too.
    QVERIFY(b.registry().modelRows().removeModel(model->id));
    QVERIFY(runJob(new CatalogPublishJob(b.vault.get())));
    auto* back = new CatalogSyncJob(a.vault.get());
    QSignalSpy done3(back, &TransferJob::finished);
    back->start();
    QVERIFY(done3.wait(JobTimeoutMs));
    QCOMPARE(back->report().modelsRemoved, 1);
    delete back;
    QVERIFY(!a.registry().modelRows().modelByName(QStringLiteral("x")));
}

void TestCatalog::concurrentChangeSurvivesRemoval()
{
    // A entry e1; B removes it (tombstone e1) while A changes it (e2): the model stays, changed.
    TestVault a;
    QVERIFY(a.ok());
    Registry& r = a.registry();
    const QString uid = QStringLiteral("11111111-2222-4333-8444-555555555555");
    const QString va = QStringLiteral("aaaaaaaa-0000-4000-8000-000000000001");
    const QString vb = QStringLiteral("bbbbbbbb-0000-4000-8000-000000000002");
    const CatalogEntry e1{QStringLiteral("e1e1e1e1e1"), uid, va, cid::ofData("m1"),
                          QStringLiteral("m"),          10};
    const CatalogEntry e2{QStringLiteral("e2e2e2e2e2"), uid, va, cid::ofData("m2"),
                          QStringLiteral("m-renamed"),  20};
    QVERIFY(r.catalogRows().storeCatalogState(va, 1, {e1}, {}));
    QList<CatalogRows::CatalogDifference> d = r.catalogRows().catalogDifferences();
    QCOMPARE(d.size(), 1);
    QCOMPARE(d[0].shown->eid, e1.eid);
    // B's tombstone of e1 and A's new entry e2 arrive together.
    QVERIFY(r.catalogRows().storeCatalogState(vb, 1, {}, {e1.eid}));
    QVERIFY(r.catalogRows().storeCatalogState(va, 2, {e1, e2}, {}));
    d = r.catalogRows().catalogDifferences();
    QCOMPARE(d.size(), 1);
    QCOMPARE(d[0].shown->eid, e2.eid);
    // Both live (two vaults changed it at once): every reader shows the later one.
    const CatalogEntry e3{QStringLiteral("e3e3e3e3e3"), uid, vb, cid::ofData("m3"),
                          QStringLiteral("m-b"),        15};
    QVERIFY(r.catalogRows().storeCatalogState(vb, 2, {e3}, {e1.eid}));
    d = r.catalogRows().catalogDifferences();
    QCOMPARE(d.size(), 1);
    QCOMPARE(d[0].shown->eid, e2.eid);
    // Everything tombstoned: nothing is shown.
    QVERIFY(r.catalogRows().storeCatalogState(vb, 3, {}, {e1.eid, e2.eid, e3.eid}));
    QVERIFY(r.catalogRows().catalogDifferences().isEmpty());
}

void TestCatalog::removalDuringPublishStaysRemoved()
{
    // Another process (here a thread with its own connection) removes a model while this one
    // publishes it: its transaction has deleted the row but not committed when the publish
    // reads. A publish that read the model outside its own transaction recorded a live entry
    // for it after the removal committed, and the next sync brought the model back under the
    // name "x~<uid>" (tst_cli_crash, seed 3518554883532648047).
    TestVault a;
    QVERIFY(a.ok());
    const QString src = a.dir.filePath(QStringLiteral("x.bin"));
    QVERIFY(writePseudoRandomFile(src, 300 * KiB, 7));
    QVERIFY(floatInto(a.vault.get(), src, QStringLiteral("x")));
    const auto model = a.registry().modelRows().modelByName(QStringLiteral("x"));
    QVERIFY(model);

    QSemaphore removing;
    bool removed = false;
    std::thread other([&] {
        QString error;
        std::unique_ptr<Registry> r = Registry::open(a.registry().path(), &error);
        if (!r) {
            removing.release();
            return;
        }
        removed = r->transaction([&] {
            const bool ok = r->modelRows().removeModel(model->id);
            removing.release();
            // Held long enough for the publish below to read and reach its own write.
            QThread::msleep(500);
            return ok;
        });
    });
    removing.acquire();
    auto* publish = new CatalogPublishJob(a.vault.get());
    publish->setTrusted({model->id}); // no placement check: the registry step runs at once
    const bool published = runJob(publish);
    other.join();
    QVERIFY(removed);
    QVERIFY(published);
    QVERIFY(!a.registry().modelRows().modelByName(QStringLiteral("x")));
    QList<CatalogEntry> entries;
    QStringList tombstones;
    QVERIFY(a.registry().catalogRows().catalogOwnState(a.vault->id(), &entries, &tombstones));
    QVERIFY2(entries.isEmpty(), qPrintable(QStringLiteral("a removed model is in the catalog: ") +
                                           (entries.isEmpty() ? QString() : entries.first().name)));
    QVERIFY(a.registry().catalogRows().catalogDifferences().isEmpty());
}

void TestCatalog::removalDuringSyncStaysRemoved()
{
    // A sync read another vault's entry of a model; the model is removed here before the sync
    // takes the entry in. The removal stands (it is published next); the import is refused.
    TestVault v;
    QVERIFY(v.ok());
    Registry& r = v.registry();
    ModelRecord m;
    m.name = QStringLiteral("gone");
    FileRecord f;
    f.path = QStringLiteral("gone.bin");
    f.size = 5;
    f.sha256 = QByteArray(64, 'e');
    f.chunker = QStringLiteral("fixed:5");
    const QList<QPair<FileRecord, QList<FileChunk>>> files{{f, {{0, 0, 5, cid::ofData("gone!")}}}};
    const CatalogEntry e{QStringLiteral("e7e7e7e7e7"),
                         QStringLiteral("77777777-2222-4333-8444-555555555555"),
                         QStringLiteral("cccccccc-0000-4000-8000-000000000003"),
                         cid::ofData("m7"),
                         QStringLiteral("gone"),
                         1};
    const auto id = r.catalogRows().importCatalogModel(e, m, files);
    QVERIFY2(id, qPrintable(r.lastError()));
    QVERIFY(r.modelRows().removeModel(*id));
    QVERIFY(!r.catalogRows().importCatalogModel(e, m, files));
    QVERIFY2(r.lastError().contains(QLatin1String("removed here")), qPrintable(r.lastError()));
    QCOMPARE(r.healthRows().stats().models, 0);
    QCOMPARE(r.catalogRows().catalogRemovals(), QStringList{e.uid});
}

// A sync reads the differences, then removes one by one the models they say were removed
// elsewhere. A publish in between shows the model again; removing it then lost a model another
// process had just floated (tst_coordination_cli floatsOfOneNameInTwoProcesses failed in CI:
// both floats of one name said "Floated", the first one's model was gone).
void TestCatalog::publishBetweenDifferenceAndRemovalKeepsTheModel()
{
    TestVault a;
    QVERIFY(a.ok());
    Registry& r = a.registry();
    const QString src = a.dir.filePath(QStringLiteral("x.bin"));
    QVERIFY(writePseudoRandomFile(src, 300 * KiB, 11));
    QVERIFY(floatInto(a.vault.get(), src, QStringLiteral("x")));
    QVERIFY(runJob(new CatalogPublishJob(a.vault.get())));
    QList<CatalogEntry> entries;
    QStringList tombstones;
    QVERIFY(r.catalogRows().catalogOwnState(a.vault->id(), &entries, &tombstones));
    QCOMPARE(entries.size(), 1);
    // Another vault removed it: the difference says so.
    const QString vb = QStringLiteral("bbbbbbbb-0000-4000-8000-000000000002");
    QVERIFY(r.catalogRows().storeCatalogState(vb, 1, {}, {entries.first().eid}));
    const QList<CatalogRows::CatalogDifference> d = r.catalogRows().catalogDifferences();
    QCOMPARE(d.size(), 1);
    QVERIFY(!d.first().shown);
    // Changed and published here before the removal is applied: a live entry shows it again.
    const auto model = r.modelRows().modelByName(QStringLiteral("x"));
    QVERIFY(model);
    QVERIFY(
        r.modelRows().setModelState(model->id, ModelRecord::State::Complete)); // counts as a change
    QVERIFY(runJob(new CatalogPublishJob(a.vault.get())));
    QCOMPARE(r.catalogRows().removeCatalogModel(d.first().modelId),
             CatalogRows::CatalogRemoval::Shown);
    QVERIFY(r.modelRows().modelByName(QStringLiteral("x")));
    QVERIFY(r.catalogRows().catalogDifferences().isEmpty());
    QVERIFY(restoreOk(a.vault.get(), QStringLiteral("x"), a.dir.filePath(QStringLiteral("out")),
                      QStringLiteral("x.bin"), src));
    // Not shown any more (tombstoned again elsewhere): now it goes.
    entries.clear();
    QVERIFY(r.catalogRows().catalogOwnState(a.vault->id(), &entries, &tombstones));
    QCOMPARE(entries.size(), 1);
    QVERIFY(r.catalogRows().storeCatalogState(vb, 2, {}, {entries.first().eid}));
    QCOMPARE(r.catalogRows().removeCatalogModel(model->id), CatalogRows::CatalogRemoval::Removed);
    QVERIFY(!r.modelRows().modelByName(QStringLiteral("x")));
}

// The same race inside the differences: another process (here a thread with its own
// connection) publishes new models while this one reads them. Read as two statements, the
// entries before a publish committed and the models after it, a model just published was
// clean, with a uid and no live entry: "removed elsewhere".
void TestCatalog::publishDuringDifferencesIsNoRemoval()
{
    TestVault a;
    QVERIFY(a.ok());
    const QString vault = a.vault->id();
    const QString path = a.registry().path();
    constexpr int Models = 150;
    std::atomic<bool> publishing{true};
    QString publishError;
    std::thread other([&] {
        QString error;
        std::unique_ptr<Registry> r = Registry::open(path, &error);
        for (int i = 0; r && i < Models && error.isEmpty(); ++i) {
            const QString owner = leaseowner::newLeaseOwner();
            const auto id = r->modelRows().createModel(QStringLiteral("m%1").arg(i),
                                                       QStringLiteral("t"), owner);
            if (!id || !r->modelRows().completeModel(*id, owner)) {
                error = r->lastError();
                break;
            }
            QList<CatalogRows::CatalogPublication> published;
            for (const CatalogRows::CatalogChange& c : r->catalogRows().catalogChanges()) {
                CatalogRows::CatalogPublication p;
                p.change = c;
                p.manifest = QByteArray::number(c.modelId);
                p.entry = {catalog::newId(),
                           QUuid::createUuid().toString(QUuid::WithoutBraces),
                           vault,
                           cid::ofData(p.manifest),
                           QStringLiteral("m"),
                           1};
                published.append(p);
            }
            if (r->catalogRows().recordCatalogPublish(vault, published, {}) == 0)
                error = r->lastError();
        }
        publishError = r ? error : QStringLiteral("cannot open: ") + error;
        publishing = false;
    });
    QStringList removals;
    int reads = 0;
    while (publishing) {
        for (const CatalogRows::CatalogDifference& d :
             a.registry().catalogRows().catalogDifferences())
            if (!d.shown)
                removals.append(d.uid);
        ++reads;
    }
    other.join();
    QVERIFY2(publishError.isEmpty(), qPrintable(publishError));
    QVERIFY(reads > 1);
    QVERIFY2(removals.isEmpty(),
             qPrintable(QStringLiteral("%1 published models read as removed elsewhere in %2 "
                                       "reads, the first %3")
                            .arg(removals.size())
                            .arg(reads)
                            .arg(removals.value(0))));
    QVERIFY(a.registry().catalogRows().catalogDifferences().isEmpty());
}

void TestCatalog::namesTakenElsewhere()
{
    TestVault v;
    QVERIFY(v.ok());
    Registry& r = v.registry();
    const QString src = v.dir.filePath(QStringLiteral("n.bin"));
    QVERIFY(writePseudoRandomFile(src, 300 * KiB, 3));
    QVERIFY(floatInto(v.vault.get(), src, QStringLiteral("llama")));
    // Another vault's different model of the same name arrives: it is shown apart.
    ModelRecord other;
    other.name = QStringLiteral("llama");
    other.source = QStringLiteral("elsewhere");
    FileRecord f;
    f.path = QStringLiteral("other.bin");
    f.size = 5;
    f.sha256 = QByteArray(64, 'b');
    f.chunker = QStringLiteral("fixed:5");
    const CatalogEntry e{QStringLiteral("e9e9e9e9e9"),
                         QStringLiteral("99999999-2222-4333-8444-555555555555"),
                         QStringLiteral("cccccccc-0000-4000-8000-000000000003"),
                         cid::ofData("m9"),
                         QStringLiteral("llama"),
                         1};
    const auto id =
        r.catalogRows().importCatalogModel(e, other, {{f, {{0, 0, 5, cid::ofData("12345")}}}});
    QVERIFY2(id, qPrintable(r.lastError()));
    QCOMPARE(r.modelRows().model(*id)->name, QStringLiteral("llama~99999999"));
    QVERIFY(r.modelRows().modelByName(QStringLiteral("llama"))->id != *id);
    // Taking it in again (the same entry) creates nothing new.
    const int before = r.healthRows().stats().models;
    QCOMPARE(r.catalogRows().importCatalogModel(e, other, {{f, {{0, 0, 5, cid::ofData("12345")}}}}),
             id);
    QCOMPARE(r.healthRows().stats().models, before);
}

void TestCatalog::longNamesTakenElsewhere()
{
    // A name at the length limit, taken here by another model: the "~<uid>" it is shown with
    // still fits, and is a valid name (nothing cut inside a character or before a space).
    TestVault v;
    QVERIFY(v.ok());
    Registry& r = v.registry();
    const QString emoji = QString::fromUtf8("\xF0\x9F\xA6\x99"); // one character, two units
    const QString longName = QString(modelname::MaxLength - 10, QLatin1Char('n')) +
                             QStringLiteral("ab ") + emoji + emoji + emoji + QStringLiteral("x");
    QCOMPARE(longName.size(), modelname::MaxLength);
    QVERIFY(modelname::isValid(longName));
    const QString src = v.dir.filePath(QStringLiteral("l.bin"));
    QVERIFY(writePseudoRandomFile(src, 100 * KiB, 8));
    QVERIFY(floatInto(v.vault.get(), src, longName));
    FileRecord f;
    f.path = QStringLiteral("other.bin");
    f.size = 5;
    f.sha256 = QByteArray(64, 'b');
    f.chunker = QStringLiteral("fixed:5");
    ModelRecord other;
    other.name = longName;
    for (const QString& uid : {QStringLiteral("12345678-2222-4333-8444-555555555555"),
                               QStringLiteral("12345678-aaaa-4333-8444-555555555555")}) {
        const CatalogEntry e{
            catalog::newId(),  uid,      QStringLiteral("cccccccc-0000-4000-8000-000000000003"),
            cid::ofData("ml"), longName, 1};
        const auto id =
            r.catalogRows().importCatalogModel(e, other, {{f, {{0, 0, 5, cid::ofData("12345")}}}});
        QVERIFY2(id, qPrintable(r.lastError()));
        const QString shown = r.modelRows().model(*id)->name;
        QVERIFY2(shown.size() <= modelname::MaxLength, qPrintable(shown));
        QVERIFY2(modelname::isValid(shown), qPrintable(modelname::problem(shown)));
        // The first uid's first part; the second's is the same, so all of it.
        QVERIFY2(shown.endsWith(QLatin1Char('~') +
                                (uid.startsWith(QLatin1String("12345678-2")) ? uid.left(8) : uid)),
                 qPrintable(shown));
        QVERIFY(longName.startsWith(shown.left(shown.lastIndexOf(QLatin1Char('~')))));
    }
    QCOMPARE(r.healthRows().stats().models, 3);
    // The cut never splits a character nor leaves a space before the suffix.
    QCOMPARE(modelname::withSuffix(QStringLiteral("ab ") + emoji, QStringLiteral("~x")),
             QStringLiteral("ab ") + emoji + QStringLiteral("~x"));
    const QString atLimit =
        QString(modelname::MaxLength - 3, QLatin1Char('a')) + emoji + QStringLiteral("b");
    QCOMPARE(modelname::withSuffix(atLimit, QStringLiteral("~x")),
             QString(modelname::MaxLength - 3, QLatin1Char('a')) + QStringLiteral("~x"));
    const QString spaced =
        QString(modelname::MaxLength - 4, QLatin1Char('a')) + QStringLiteral("  bb");
    QCOMPARE(modelname::withSuffix(spaced, QStringLiteral("~xy")),
             QString(modelname::MaxLength - 4, QLatin1Char('a')) + QStringLiteral("~xy"));
}

void TestCatalog::adoptsSameModelWithoutUid()
{
    // A vault that floated a model before it had a catalog (or recovers into itself) and finds
    // the same model in a catalog: one model, not two.
    TestVault v;
    QVERIFY(v.ok());
    Registry& r = v.registry();
    const QString src = v.dir.filePath(QStringLiteral("s.bin"));
    QVERIFY(writePseudoRandomFile(src, 300 * KiB, 4));
    QVERIFY(floatInto(v.vault.get(), src, QStringLiteral("same")));
    const auto local = r.modelRows().modelByName(QStringLiteral("same"));
    QList<QPair<FileRecord, QList<FileChunk>>> files;
    for (const FileRecord& f : r.modelRows().files(local->id))
        files.append({f, r.modelRows().fileChunks(f.id)});
    const CatalogEntry e{QStringLiteral("e7e7e7e7e7"),
                         QStringLiteral("77777777-2222-4333-8444-555555555555"),
                         QStringLiteral("cccccccc-0000-4000-8000-000000000003"),
                         cid::ofData("m7"),
                         QStringLiteral("same"),
                         1};
    // The same name and the same files: adopted as that model, not published again.
    ModelRecord m = *local;
    const auto id = r.catalogRows().importCatalogModel(e, m, files);
    QVERIFY2(id, qPrintable(r.lastError()));
    QCOMPARE(*id, local->id);
    QCOMPARE(r.healthRows().stats().models, 1);
    QVERIFY(r.catalogRows().catalogChanges().isEmpty());
    // Other files under that name: a model of its own.
    FileRecord other = files.first().first;
    other.sha256 = QByteArray(64, 'd');
    const CatalogEntry e2{QStringLiteral("e8e8e8e8e8"),
                          QStringLiteral("88888888-2222-4333-8444-555555555555"),
                          QStringLiteral("cccccccc-0000-4000-8000-000000000003"),
                          cid::ofData("m8"),
                          QStringLiteral("same"),
                          2};
    const auto id2 = r.catalogRows().importCatalogModel(e2, m, {{other, files.first().second}});
    QVERIFY2(id2, qPrintable(r.lastError()));
    QVERIFY(*id2 != local->id);
    QCOMPARE(r.healthRows().stats().models, 2);
}

void TestCatalog::foundPlacementsCancelQueuedDeletions()
{
    TestVault v(1);
    QVERIFY(v.ok());
    Registry& r = v.registry();
    const QString src = v.dir.filePath(QStringLiteral("p.bin"));
    QVERIFY(writePseudoRandomFile(src, 400 * KiB, 5));
    QVERIFY(floatInto(v.vault.get(), src, QStringLiteral("p")));
    const auto model = r.modelRows().modelByName(QStringLiteral("p"));
    const FileRecord file = r.modelRows().files(model->id).first();
    const QList<FileChunk> chunks = r.modelRows().fileChunks(file.id);
    const Placement first = r.placementRows().placements(chunks.first().cid).first();
    const qint64 used = r.providerRows().provider(first.providerId)->usedBytes;
    // The model goes; its chunks' objects are queued for deletion (still counted as used).
    QVERIFY(r.modelRows().removeModel(model->id));
    for (const auto& [c, size] : r.placementRows().orphanChunks())
        QVERIFY(r.placementRows().removeChunk(c));
    const auto queued = [&] {
        int n = 0;
        for (const PendingDeletion& d : r.placementRows().pendingDeletions())
            n += d.cid == first.cid && d.providerId == first.providerId;
        return n;
    };
    QCOMPARE(queued(), 1);
    // An object of a chunk no model here uses is not recorded.
    QCOMPARE(r.placementRows().recordFoundPlacements(first.providerId, {first}), 0);
    // Another vault's model with the same file arrives: the object is wanted again, and found.
    const CatalogEntry e{QStringLiteral("e5e5e5e5e5"),
                         QStringLiteral("55555555-2222-4333-8444-555555555555"),
                         QStringLiteral("cccccccc-0000-4000-8000-000000000003"),
                         cid::ofData("m5"),
                         QStringLiteral("p"),
                         1};
    ModelRecord m;
    m.name = QStringLiteral("p");
    QVERIFY(r.catalogRows().importCatalogModel(e, m, {{file, chunks}}));
    QCOMPARE(r.placementRows().recordFoundPlacements(first.providerId, {first}), 1);
    QCOMPARE(queued(), 0);
    // Its bytes were never uncounted: the usage is what it was.
    QCOMPARE(r.providerRows().provider(first.providerId)->usedBytes, used);
    // Found again: nothing new.
    QCOMPARE(r.placementRows().recordFoundPlacements(first.providerId, {first}), 0);
}

QTEST_GUILESS_MAIN(TestCatalog)
#include "tst_catalog.moc"
