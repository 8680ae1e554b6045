// Background sync against a real S3 server: a provider killed mid-float leaves the model
// degraded (never "done"); once it is back, the scheduler brings every chunk back to two copies
// with no user action, and says so. Also: paused, it starts nothing. (About a minute: the
// float waits out the retries of the dead server before it ends degraded.)
#include "credentials/plaintextcredentialstore.h"
#include "credentials/vaultcredentials.h"
#include "engine/engine.h"
#include "enginetestsupport.h"
#include "networkprovidertest.h"
#include "providers/localprovider.h"
#include "s3peer.h"
#include "sync/catalogpublishjob.h"
#include "synctestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {} // namespace

class TestSync : public QObject
{
    Q_OBJECT

private:
    // A vault with its local provider and the S3 server, two copies wanted, small chunks, the
    // secret in a plaintext store; closed again for the engine. Returns its folder.
    QString prepareVault(TestVault& v)
    {
        v.vault->setDefaultChunker(SmallChunks);
        v.registry().settings().setSetting(vaultcredentials::settingKey(),
                                           vaultcredentials::plaintext());
        v.registry().settings().setSetting(QStringLiteral("sync.retry_secs"), QStringLiteral("0"));
        QString error;
        v.vault->setCredentialStore(
            vaultcredentials::make(vaultcredentials::plaintext(), v.vault->directory(), &error));
        ProviderRecord r;
        r.kind = QStringLiteral("s3");
        r.name = QStringLiteral("s3");
        r.settings = m_peer.providerSettings();
        const qint64 id = v.registry().providerRows().addProvider(r).value_or(0);
        if (id <= 0 ||
            !writeSecrets(
                *v.vault->credentials(), CredentialStore::providerKey(v.vault->id(), id),
                {{QStringLiteral("secretAccessKey"), QString::fromLatin1(S3Peer::Secret)}}))
            return {};
        v.vault->setReplicationFactor(2);
        const QString dir = v.vault->directory();
        v.vault.reset();
        return dir;
    }

    S3Peer m_peer;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_peer.start(), qPrintable(m_peer.errorString())); }

    void providerKilledMidFloatIsRepairedWithoutAsking()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        QVERIFY(!dir.isEmpty());
        const QString source = tv.path(QStringLiteral("m.bin"));
        // Big enough that the float still runs when its first bytes are reported (progress comes
        // every 200 ms); each chunk left then waits out its retries (seconds each).
        QVERIFY(writePseudoRandomFile(source, 2 * MiB, 31));

        Engine engine;
        QHash<qint64, TransferInfo> last;
        bool killedMidFloat = false;
        qint64 floatId = 0;
        connect(&engine, &Engine::transferChanged, this, [&](const TransferInfo& i) {
            last.insert(i.id, i);
            // Killed as soon as the float has placed something (here, not after a poll: a
            // loaded machine could let it end in between).
            if (i.id == floatId && !killedMidFloat && i.doneBytes > 0 && !i.isFinished()) {
                killedMidFloat = true;
                m_peer.killServer();
            }
        });
        QStringList notices;
        connect(&engine, &Engine::syncNotice, this,
                [&](const QString& title, const QString& text, bool) {
                    notices.append(title + QStringLiteral(": ") + text);
                });
        QVERIFY(openEngine(engine, dir));
        engine.setSchedulerTick(100);
        // Paced, so that the float is still running at its first progress report however fast
        // the machine (2 MiB twice at 4 MiB/s: about 1 s); the kill then lands mid-float.
        engine.setBandwidthLimits(4 * MiB, 0);

        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("m");
        floatId = engine.floatFiles(request);
        QVERIFY(
            QTest::qWaitFor([&] { return last.value(floatId).isFinished(); }, 2 * JobTimeoutMs));
        QVERIFY2(killedMidFloat, "the float ended before its first progress report");
        QCOMPARE(last.value(floatId).state, TransferInfo::State::Degraded); // never "Done"

        QString error;
        auto reader = Registry::open(dir + QStringLiteral("/registry.sqlite"), &error);
        QVERIFY2(reader, qPrintable(error));
        const auto model = reader->modelRows().modelByName(QStringLiteral("m"));
        QVERIFY(model);
        QCOMPARE(model->state, ModelRecord::State::Complete);
        QVERIFY(model->degraded);
        QVERIFY(minCopies(*reader, model->id) < 2);

        // Back: the scheduler repairs, nobody asks.
        QVERIFY2(m_peer.restartServer(), qPrintable(m_peer.errorString()));
        // What every transfer of the engine came to, should the repair never come.
        const auto transfers = [&] {
            QStringList lines;
            for (const TransferInfo& i : std::as_const(last))
                lines.append(QStringLiteral("%1 %2: %3 %4 %5")
                                 .arg(i.id)
                                 .arg(i.title, TransferInfo::stateName(i.state), i.error,
                                      i.warnings.join(QLatin1String("; "))));
            return lines.join(QLatin1Char('\n'));
        };
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         const auto m = reader->modelRows().model(model->id);
                         return m && !m->degraded && minCopies(*reader, model->id) == 2;
                     },
                     JobTimeoutMs),
                 qPrintable(transfers()));
        QVERIFY(QTest::qWaitFor(
            [&] { return notices.join(QLatin1Char('\n')).contains(QStringLiteral("Repaired")); },
            JobTimeoutMs));
        // Every copy is where the registry says, with the right bytes: a restore reads them.
        const QString out = tv.path(QStringLiteral("out"));
        const qint64 restoreId = engine.restoreModel(model->id, out);
        QVERIFY(QTest::qWaitFor([&] { return last.value(restoreId).isFinished(); }, JobTimeoutMs));
        QCOMPARE(last.value(restoreId).state, TransferInfo::State::Done);
        QCOMPARE(opensslSha256Hex(out + QStringLiteral("/m.bin")), opensslSha256Hex(source));
    }

    void pausedSyncStartsNothing()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        QVERIFY(!dir.isEmpty());
        {
            // A model with one copy: degraded, work for the scheduler.
            auto v = Vault::open(dir, Vault::OpenMode::Existing, nullptr);
            QVERIFY(v);
            v->setDefaultChunker(SmallChunks);
        }
        const QString source = tv.path(QStringLiteral("p.bin"));
        QVERIFY(writePseudoRandomFile(source, 512 * KiB, 32));
        Engine engine;
        QHash<qint64, TransferInfo> added;
        connect(&engine, &Engine::transferAdded, this,
                [&](const TransferInfo& i) { added.insert(i.id, i); });
        QHash<qint64, TransferInfo> last;
        connect(&engine, &Engine::transferChanged, this,
                [&](const TransferInfo& i) { last.insert(i.id, i); });
        QVERIFY(openEngine(engine, dir));
        engine.setSyncPaused(true);
        engine.setSchedulerTick(50);
        m_peer.killServer();
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("p");
        const qint64 floatId = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return last.value(floatId).isFinished(); }, JobTimeoutMs));
        QCOMPARE(last.value(floatId).state, TransferInfo::State::Degraded);
        QVERIFY2(m_peer.restartServer(), qPrintable(m_peer.errorString()));
        QTest::qWait(1000); // twenty looks of the scheduler
        for (const TransferInfo& i : std::as_const(added))
            QVERIFY2(!i.background, qPrintable(i.title));
        QVERIFY(engine.syncStatus().paused);
        // Resumed: it repairs.
        engine.setSyncPaused(false);
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const TransferInfo& i : std::as_const(added))
                    if (i.background && i.kind == TransferInfo::Kind::Repair)
                        return true;
                return false;
            },
            JobTimeoutMs));
    }

    void scrubFindsLostCopiesAndTheSchedulerRepairs()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        QVERIFY(!dir.isEmpty());
        const QString source = tv.path(QStringLiteral("s.bin"));
        QVERIFY(writePseudoRandomFile(source, 1 * MiB, 33));
        Engine engine;
        QHash<qint64, TransferInfo> added;
        connect(&engine, &Engine::transferAdded, this,
                [&](const TransferInfo& i) { added.insert(i.id, i); });
        QHash<qint64, TransferInfo> last;
        connect(&engine, &Engine::transferChanged, this,
                [&](const TransferInfo& i) { last.insert(i.id, i); });
        QStringList notices;
        connect(&engine, &Engine::syncNotice, this,
                [&](const QString& title, const QString& text, bool) {
                    notices.append(title + QStringLiteral(": ") + text);
                });
        QVERIFY(openEngine(engine, dir));
        engine.setSyncPaused(true); // until the local provider has lost its objects
        engine.setSchedulerTick(100);
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("s");
        const qint64 floatId = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return last.value(floatId).isFinished(); }, JobTimeoutMs));
        QCOMPARE(last.value(floatId).state, TransferInfo::State::Done);

        // The local provider loses every object of the model behind the vault's back.
        QString error;
        auto reader = Registry::open(dir + QStringLiteral("/registry.sqlite"), &error);
        QVERIFY2(reader, qPrintable(error));
        const auto model = reader->modelRows().modelByName(QStringLiteral("s"));
        QVERIFY(model);
        qint64 local = 0;
        QString root;
        for (const ProviderRecord& p : reader->providerRows().providers())
            if (p.kind == QLatin1String("local")) {
                local = p.id;
                root = p.settings.value(QStringLiteral("path")).toString();
            }
        QVERIFY(local && !root.isEmpty());
        const QStringList cids = modelChunks(*reader, model->id);
        for (const QString& cid : cids)
            QVERIFY(QFile::remove(LocalProvider::objectPath(root, cid)));
        QVERIFY(!reader->modelRows().model(model->id)->degraded); // nobody knows yet
        // Copies are due their check a second after they were stored.
        QVERIFY(reader->settings().setSetting(QStringLiteral("scrub.check_interval"),
                                              QStringLiteral("1")));

        // Sync on: the scheduled scrub finds them, the repair makes them again; nobody asks.
        // Copies stored in the second the scrub runs are not due yet and are found by a later
        // scrub: until then the registry rightly still counts them, so the wait is for every
        // object to be back, not only for the counts.
        engine.setSyncPaused(false);
        const auto allBack = [&] {
            for (const QString& cid : cids)
                if (!QFile::exists(LocalProvider::objectPath(root, cid)))
                    return false;
            return true;
        };
        QVERIFY(QTest::qWaitFor(
            [&] {
                const auto m = reader->modelRows().model(model->id);
                return m && !m->degraded && minCopies(*reader, model->id) == 2 &&
                       notices.join(QLatin1Char('\n')).contains(QStringLiteral("Repaired")) &&
                       allBack();
            },
            JobTimeoutMs));
        QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral("Scrub found")),
                 qPrintable(notices.join(QLatin1Char('\n'))));
        bool scrubbed = false;
        for (const TransferInfo& i : std::as_const(added))
            scrubbed = scrubbed || (i.background && i.kind == TransferInfo::Kind::Scrub);
        QVERIFY(scrubbed);
        QVERIFY(engine.syncStatus().lastScrub.isValid());
    }

    void anotherComputersModelArrivesWhileOpen()
    {
        // Two vaults (two computers) on one shared folder. What B publishes while A's app is
        // open appears in A without a restart: the scheduler syncs the catalog every
        // "catalog.sync_secs" (here 1 s), not only when the vault opens.
        TestVault a;
        TestVault b;
        QVERIFY(a.ok() && b.ok());
        const QString shared = a.path(QStringLiteral("shared"));
        QVERIFY(useSharedFolders(a, {shared}));
        QVERIFY(useSharedFolders(b, {shared}));
        QVERIFY(shareCatalogKey(a.vault.get(), b.vault.get()));
        a.registry().settings().setSetting(QStringLiteral("catalog.sync_secs"),
                                           QStringLiteral("1"));
        const QString dir = a.vault->directory();
        a.vault.reset();

        Engine engine;
        QSignalSpy synced(&engine, &Engine::catalogSynced);
        QVERIFY(openEngine(engine, dir));
        engine.setSchedulerTick(100);
        // The sync at open is over before B has anything: only a later one can bring it.
        QVERIFY(QTest::qWaitFor([&] { return !synced.isEmpty(); }, JobTimeoutMs));

        QVERIFY(floatTestFile(b, QStringLiteral("late"), 600 * KiB, 41, 1) > 0);
        CatalogPublishJob publish(b.vault.get());
        QVERIFY(run(publish) && publish.error().ok());
        QCOMPARE(publish.modelsPublished(), 1);

        QString error;
        auto reader = Registry::open(dir + QStringLiteral("/registry.sqlite"), &error);
        QVERIFY2(reader, qPrintable(error));
        QVERIFY(QTest::qWaitFor(
            [&] {
                const auto m = reader->modelRows().modelByName(QStringLiteral("late"));
                return m && m->state == ModelRecord::State::Complete;
            },
            JobTimeoutMs));
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const QList<QVariant>& args : std::as_const(synced))
                    if (args.first().toString().contains(QStringLiteral("1 model added")))
                        return true;
                return false;
            },
            JobTimeoutMs));
    }
    void aRecoveryCountsWhatTheSyncBesideItTookIn()
    {
        // Attaching storage asks for a recovery while a sync of the engine's own (the one at
        // open, the scheduler's) may be reading the same catalogs and take the models in first.
        // The recovery's report counts them all the same: "0 models added" for storage that
        // brought one would tell the user the attach found nothing. Each round asks for a sync
        // just before the recovery, as the attach dialog does after the open.
        TestVault a;
        TestVault b;
        QVERIFY(a.ok() && b.ok());
        const QString shared = a.path(QStringLiteral("shared"));
        // A's other folders hold no catalog: the recovery looks for a store in each before it
        // reads, which gives the sync asked first the lead the one at open has in the app.
        QStringList folders{shared};
        for (int i = 0; i < 4; ++i)
            folders.append(a.path(QStringLiteral("empty-%1").arg(i)));
        QVERIFY(useSharedFolders(a, folders));
        QVERIFY(useSharedFolders(b, {shared}));
        QVERIFY(shareCatalogKey(a.vault.get(), b.vault.get()));
        const QString dir = a.vault->directory();
        a.vault.reset();

        Engine engine;
        QSignalSpy synced(&engine, &Engine::catalogSynced);
        QSignalSpy recovered(&engine, &Engine::catalogRecovered);
        QVERIFY(openEngine(engine, dir));
        QVERIFY(QTest::qWaitFor([&] { return !synced.isEmpty(); }, JobTimeoutMs));
        for (int round = 0; round < 6; ++round) {
            const QString name = QStringLiteral("round-%1").arg(round);
            QVERIFY(floatTestFile(b, name, 64 * KiB, 50 + round, 1) > 0);
            CatalogPublishJob publish(b.vault.get());
            QVERIFY(run(publish) && publish.error().ok());
            recovered.clear();
            engine.syncCatalog();
            engine.recoverCatalog();
            QVERIFY(QTest::qWaitFor([&] { return !recovered.isEmpty(); }, JobTimeoutMs));
            const QString report = recovered.first().at(0).toString();
            QVERIFY2(report.contains(QStringLiteral("1 model added")),
                     qPrintable(QStringLiteral("round %1: %2").arg(round).arg(report)));
        }
    }
};

QTEST_GUILESS_MAIN(TestSync)
#include "tst_sync.moc"
