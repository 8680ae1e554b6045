// Honest model state: a float that ends with fewer copies than the vault wants leaves a
// degraded model (restorable, not healthy), the queue reports it as "degraded", never "done",
// and the flag follows the placements (refreshDegraded) and survives the schema upgrade.
#include "clitestsupport.h"
#include "engine/engine.h"
#include "registry/modelsummary.h"
#include "schemarewind.h"
#include "synctestsupport.h"
#include "testsupport.h"
#include "transfer/restorejob.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestHealth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wantedCopiesIsCappedByProviders();
    void floatShortOfAProviderIsDegraded();
    void degradedFollowsPlacements();
    void upgradeMarksUnderReplicatedModels();
    void engineReportsADegradedFloat();
    void cliSaysDegraded();
};

void TestHealth::wantedCopiesIsCappedByProviders()
{
    TestVault v;
    QVERIFY(v.ok());
    QVERIFY(v.vault->setReplicationFactor(2));
    QCOMPARE(v.registry().healthRows().wantedCopies(),
             1); // one provider: one copy is all there can be
    v.addProvider(QStringLiteral("second"));
    QCOMPARE(v.registry().healthRows().wantedCopies(), 2);
    v.addProvider(QStringLiteral("third"));
    QCOMPARE(v.registry().healthRows().wantedCopies(), 2);
    QVERIFY(v.vault->setReplicationFactor(3));
    QCOMPARE(v.registry().healthRows().wantedCopies(), 3);
}

void TestHealth::floatShortOfAProviderIsDegraded()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 broken = v.providerIds().at(1);
    QVERIFY(QDir(v.root(broken)).removeRecursively()); // it cannot take a single chunk

    const QString source = v.path(QStringLiteral("short.bin"));
    QVERIFY(writePseudoRandomFile(source, 2 * MiB, 5));
    FloatJob job(v.vault.get(), floatRequestFor(source, QStringLiteral("short")));
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QVERIFY(job.degraded());
    const QString all = job.warnings().join(QLatin1Char('\n'));
    QVERIFY2(all.contains(QStringLiteral("“short” is degraded")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("fewer than 2 copies")), qPrintable(all));

    const auto model = v.registry().modelRows().modelByName(QStringLiteral("short"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete); // restorable...
    QVERIFY(model->degraded);                             // ...not healthy
    QCOMPARE(v.registry().healthRows().degradedModels(), QList<qint64>{model->id});
    QVERIFY(v.registry().healthRows().underReplicatedChunks(model->id) > 0);
    const int wanted = v.registry().healthRows().wantedCopies();
    QCOMPARE(summarizeModel(v.registry(), *model, wanted).health(wanted),
             QStringLiteral("degraded"));

    // And it restores.
    RestoreJob::Request request;
    request.modelName = QStringLiteral("short");
    request.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob restore(v.vault.get(), request);
    QVERIFY(run(restore));
    QVERIFY2(restore.error().ok(), qPrintable(restore.error().message));
    QCOMPARE(opensslSha256Hex(v.path(QStringLiteral("out/short.bin"))), opensslSha256Hex(source));
}

void TestHealth::degradedFollowsPlacements()
{
    TestVault v(1);
    QVERIFY(v.ok());
    bool degraded = true;
    const qint64 id = floatTestFile(v, QStringLiteral("m"), 1 * MiB, 7, 2, &degraded);
    QVERIFY(id);
    QVERIFY(!degraded);
    QVERIFY(!v.registry().modelRows().model(id)->degraded);

    // A copy found missing (as verify or a scrub would mark it) degrades the model...
    const QString cid = modelChunks(v.registry(), id).first();
    const qint64 provider = v.providerIds().at(1);
    QVERIFY(v.registry().placementRows().setPlacementState(cid, provider, PlacementState::Missing,
                                                           true));
    QVERIFY(v.registry().healthRows().refreshDegraded({id}));
    QVERIFY(v.registry().modelRows().model(id)->degraded);
    QCOMPARE(v.registry().healthRows().underReplicatedChunks(id), 1);
    QCOMPARE(v.registry().healthRows().modelsUsingChunks({cid}), QList<qint64>{id});
    // ...and a good copy again heals it (the refresh of all models sees it too).
    QVERIFY(v.registry().placementRows().setPlacementState(cid, provider, PlacementState::Stored,
                                                           true));
    QVERIFY(v.registry().healthRows().refreshDegraded());
    QVERIFY(!v.registry().modelRows().model(id)->degraded);
    QVERIFY(v.registry().healthRows().degradedModels().isEmpty());

    // Wanting more copies than there are makes it degraded; wanting fewer, healthy.
    v.addProvider(QStringLiteral("third"));
    QVERIFY(v.vault->setReplicationFactor(3));
    QVERIFY(v.registry().healthRows().refreshDegraded());
    QVERIFY(v.registry().modelRows().model(id)->degraded);
    QVERIFY(v.vault->setReplicationFactor(2));
    QVERIFY(v.registry().healthRows().refreshDegraded());
    QVERIFY(!v.registry().modelRows().model(id)->degraded);
}

void TestHealth::upgradeMarksUnderReplicatedModels()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 good = floatTestFile(v, QStringLiteral("good"), 512 * KiB, 1);
    const qint64 bad = floatTestFile(v, QStringLiteral("bad"), 512 * KiB, 2);
    QVERIFY(good && bad);
    const QString cid = modelChunks(v.registry(), bad).first();
    QVERIFY(v.registry().placementRows().setPlacementState(cid, v.providerIds().at(0),
                                                           PlacementState::Corrupt));
    const QString path = v.registry().path();
    v.vault.reset();
    {
        // Back to schema 5 as it was released: no degraded column.
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("s3"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        // Schemas 4 and 5 (provider budgets, owned jobs) stay: the vault is as it was before
        // degraded came.
        const QString failed = rewindSchema(q, 5);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("s3"));
    QString error;
    v.vault =
        Vault::open(v.dir.filePath(QStringLiteral("vault")), Vault::OpenMode::Existing, &error);
    QVERIFY2(v.vault, qPrintable(error));
    QVERIFY(v.registry().schemaVersion() >= 6);
    QVERIFY(!v.registry().modelRows().model(good)->degraded);
    QVERIFY(v.registry().modelRows().model(bad)->degraded);
}

void TestHealth::engineReportsADegradedFloat()
{
    TestVault tv(1);
    QVERIFY(tv.ok());
    QVERIFY(QDir(tv.root(tv.providerIds().at(1))).removeRecursively());
    tv.vault->setDefaultChunker(SmallChunks);
    const QString dir = tv.vault->directory();
    tv.vault.reset();
    const QString source = tv.path(QStringLiteral("in.bin"));
    QVERIFY(writePseudoRandomFile(source, 1 * MiB, 3));

    Engine engine;
    QHash<qint64, TransferInfo> last;
    connect(&engine, &Engine::transferChanged, this,
            [&](const TransferInfo& i) { last.insert(i.id, i); });
    QSignalSpy opened(&engine, &Engine::opened);
    engine.open(dir);
    QVERIFY(opened.wait(JobTimeoutMs));
    FloatRequest request;
    request.paths = {source};
    request.modelName = QStringLiteral("in");
    const qint64 id = engine.floatFiles(request);
    QVERIFY(QTest::qWaitFor([&] { return last.value(id).isFinished(); }, JobTimeoutMs));
    const TransferInfo info = last.value(id);
    QCOMPARE(info.state, TransferInfo::State::Degraded); // never "Done"
    QVERIFY(info.error.isEmpty());
    QVERIFY2(info.warnings.join(QLatin1Char('\n')).contains(QStringLiteral("degraded")),
             qPrintable(info.warnings.join(QLatin1Char('\n'))));
    QCOMPARE(TransferInfo::stateName(info.state), QStringLiteral("Degraded"));
}

void TestHealth::cliSaysDegraded()
{
    TestVault tv(1);
    QVERIFY(tv.ok());
    QVERIFY(QDir(tv.root(tv.providerIds().at(1))).removeRecursively());
    const QString dir = tv.vault->directory();
    tv.vault.reset();
    const QString source = tv.path(QStringLiteral("c.bin"));
    QVERIFY(writePseudoRandomFile(source, 300 * KiB, 4));
    const QString cli = mf::test::cliPath();

    const CliRun fl = runWithInput(cli, {QStringLiteral("float"), source, QStringLiteral("--vault"),
                                         dir, QStringLiteral("--json")});
    QVERIFY2(fl.code == 0, fl.describe());
    QVERIFY(QJsonDocument::fromJson(fl.out).object().value(QStringLiteral("degraded")).toBool());
    const CliRun text = runWithInput(cli, {QStringLiteral("list"), QStringLiteral("--vault"), dir});
    QVERIFY2(text.out.contains("degraded"), text.describe());
    const CliRun info =
        runWithInput(cli, {QStringLiteral("info"), QStringLiteral("c"), QStringLiteral("--vault"),
                           dir, QStringLiteral("--json")});
    const QJsonObject i = QJsonDocument::fromJson(info.out).object();
    QCOMPARE(i.value(QStringLiteral("health")).toString(), QStringLiteral("degraded"));
    QVERIFY(i.value(QStringLiteral("degraded")).toBool());
    QVERIFY(i.value(QStringLiteral("complete")).toBool());
}

QTEST_GUILESS_MAIN(TestHealth)
#include "tst_health.moc"
