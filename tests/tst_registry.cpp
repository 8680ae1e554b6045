// The registry against its contract: schema and migrations (checked through a second, plain
// SQLite connection to the same file, so the registry is not its own witness), settings and
// providers, transactions that leave nothing behind when they fail, and two connections and two
// threads on one file. Models and files are tst_registryfiles', placements, jobs and the model
// summary tst_registryplacements'.

#include "registrytestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestRegistry final : public RegistryTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init() { RegistryTestBase::init(); }
    void cleanup() { RegistryTestBase::cleanup(); }
    void freshRegistryIsAtLatestSchemaInWalMode();
    void foreignKeysAreEnforced();
    void reopenKeepsDataWithoutRerunningMigrations();
    void newerSchemaIsRefusedAndLeftUntouched();
    void newerSchemaInRollbackModeIsLeftUntouched();
    void migratesAnEmptyFileFromVersionZero();
    void migratesAnExplicitVersionZero();
    void migrationIsForwardOnlyAndIdempotent();
    void failedMigrationLeavesNothingBehind();
    void notADatabaseIsRefused();
    void settings();
    void emptyStringsAreStored();
    void providers();
    void duplicateProviderNameIsRefused();
    void removeProviderCascadesPlacements();
    void upgradesAVersionOneVaultKeepingItsData();
    void placementsNotNamedByCidUseTheirIndex();
    void pendingPutsAreCountedByTheirIndex();
    void aPageOfModelsReadsOnlyThatPage();
    void twoInstancesSeeEachOthersCommits();
    void nestedTransactionFailureRollsBackEverything();
    void nestedRegistryCallFailureRollsBackEverything();
    void concurrentReadThenWriteTransactions();
    void concurrentFirstOpen();
};

// ------------------------------------------------------------------------- schema, migrations

// Every put counts the puts under way on its provider against the quota
// (PlacementRows::beginPlacement). Through the index of every placement of the provider, that read
// them all, once per chunk: a float of many chunks into a big vault slowed down with the square
// of its size. Schema 13's partial index holds only the pending ones; the plan says it is used.
void TestRegistry::pendingPutsAreCountedByTheirIndex()
{
    buildVault(*m_r);
    const QString plan = test::queryPlan(
        dbPath(), QStringLiteral("SELECT COALESCE(SUM(c.size), 0) FROM placements x JOIN chunks c "
                                 "ON c.cid = x.cid WHERE x.provider_id = 1 AND x.state = "
                                 "'pending' AND x.locator = '' AND x.cid != 'x'"));
    QVERIFY2(plan.contains(QStringLiteral("placements_pending")), qPrintable(plan));
}

// Every catalog publish asks for each provider's placements whose locator does not name their
// chunk. In a vault of a million placements, reading them all took half a second a provider;
// the partial index of schema 12 finds the few there are. The query and the index must keep
// the same condition, or SQLite reads every placement again: the plan says which it does.
// The API's list of models (GET /api/v1/models): a page by name, with how many match, read
// through the name's index rather than by reading and sorting every model; a search folds case
// as Qt does, beyond ASCII (which SQLite's LIKE would not).
void TestRegistry::aPageOfModelsReadsOnlyThatPage()
{
    ModelRows& rows = m_r->modelRows();
    for (const QString& name :
         {QStringLiteral("delta"), QStringLiteral("Alpha"), QStringLiteral("charlie"),
          QStringLiteral("Élan-b"), QStringLiteral("bravo"), QStringLiteral("élan-a")})
        QVERIFY(rows.createModel(name, QString()));
    const auto names = [](const QList<ModelRecord>& models) {
        QStringList out;
        for (const ModelRecord& m : models)
            out.append(m.name);
        return out;
    };
    int total = -1;
    // SQLite orders names by their bytes: upper case first, "É" after every ASCII letter.
    QCOMPARE(names(rows.modelPage(QString(), 1, 2, &total)),
             (QStringList{QStringLiteral("bravo"), QStringLiteral("charlie")}));
    QCOMPARE(total, 6);
    QCOMPARE(names(rows.modelPage(QString(), 6, 2, &total)), QStringList());
    QCOMPARE(total, 6);
    QCOMPARE(names(rows.modelPage(QStringLiteral("éLAN"), 0, 10, &total)),
             (QStringList{QStringLiteral("Élan-b"), QStringLiteral("élan-a")}));
    QCOMPARE(total, 2);
    QCOMPARE(names(rows.modelPage(QStringLiteral("A"), 2, 2, &total)),
             (QStringList{QStringLiteral("charlie"), QStringLiteral("delta")}));
    QCOMPARE(total, 6);
    QCOMPARE(names(rows.modelPage(QStringLiteral("zulu"), 0, 10, &total)), QStringList());
    QCOMPARE(total, 0);
    const QString plan = test::queryPlan(
        dbPath(), QStringLiteral("SELECT id, name, source, created_at, tags, state, degraded FROM "
                                 "models ORDER BY name LIMIT 2 OFFSET 1"));
    QVERIFY2(plan.contains(QStringLiteral("USING INDEX")) &&
                 !plan.contains(QStringLiteral("TEMP B-TREE")),
             qPrintable(plan));
}

void TestRegistry::placementsNotNamedByCidUseTheirIndex()
{
    buildVault(*m_r);
    const QString plan = test::queryPlan(
        dbPath(),
        QStringLiteral("SELECT cid, locator FROM placements WHERE provider_id = 1 AND state = "
                       "'stored' AND locator <> cid AND substr(locator, -1 - length(cid)) <> "
                       "'/' || cid ORDER BY cid"));
    QVERIFY2(plan.contains(QStringLiteral("placements_not_named")), qPrintable(plan));
    // And it answers: a locator that names its chunk is left out, one that does not is listed.
    QVERIFY(m_r->placementRows().placementsNotNamedByCid(m_p1).isEmpty());
    Placement id = placement(m_b, m_p1, PlacementState::Stored);
    id.locator = QStringLiteral("1a2B3cDriveFileId");
    QVERIFY(m_r->placementRows().recordPlacement(id));
    const QList<Placement> unnamed = m_r->placementRows().placementsNotNamedByCid(m_p1);
    QCOMPARE(unnamed.size(), 1);
    QCOMPARE(unnamed.first().cid, m_b);
    QCOMPARE(unnamed.first().locator, id.locator);
}

void TestRegistry::upgradesAVersionOneVaultKeepingItsData()
{
    // A vault as schema 1 left it: built now, then taken back to version 1 by hand.
    buildVault(*m_r);
    m_r.reset();
    {
        Side side(dbPath());
        for (const QString& sql : test::schemaRewind(1))
            QVERIFY2(side.exec(sql), qPrintable(sql));
    }
    m_r = openRegistry();
    QVERIFY(m_r);
    QCOMPARE(m_r->schemaVersion(), migrations::latestVersion());
    QCOMPARE(m_r->modelRows().models().size(), 2);
    QCOMPARE(m_r->placementRows().placements(m_a).size(), 2);
    QVERIFY(m_r->placementRows().pendingDeletions().isEmpty()); // the new table exists and works
    QVERIFY(m_r->modelRows().removeModel(m_m1));
    QVERIFY(m_r->placementRows().removeChunk(m_b));
    QCOMPARE(m_r->placementRows().pendingDeletions().size(), 2);
}

void TestRegistry::freshRegistryIsAtLatestSchemaInWalMode()
{
    QVERIFY(migrations::latestVersion() >= 1);
    QCOMPARE(m_r->schemaVersion(), migrations::latestVersion());
    Side side(dbPath());
    QVERIFY(side.isOpen());
    QCOMPARE(side.scalar(QStringLiteral("SELECT version FROM schema_version")).toInt(),
             migrations::latestVersion());
    QCOMPARE(side.count(QStringLiteral("schema_version")), qint64(1));
    QCOMPARE(side.scalar(QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
    QVERIFY(QFile::exists(dbPath() + QStringLiteral("-wal")));
    for (const char* table : {"vault_settings", "providers", "models", "files", "chunks",
                              "file_chunks", "placements", "jobs"}) {
        QVERIFY2(side.scalar(QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = "
                                            "'table' AND name = '%1'")
                                 .arg(QLatin1String(table)))
                         .toInt() == 1,
                 table);
    }
}

void TestRegistry::foreignKeysAreEnforced()
{
    // foreign_keys is a per-connection setting, so a second connection cannot see it; what the
    // registry's own connection enforces shows in what it refuses.
    const QString a = cidOf("A");
    QVERIFY(!m_r->modelRows().appendChunks(4711, {chunk(0, 0, 10, a)}));
    QVERIFY(!m_r->lastError().isEmpty());
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(0));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(0));

    const qint64 p =
        m_r->providerRows().addProvider(providerRecord(QStringLiteral("p"))).value_or(0);
    QVERIFY(p > 0);
    QVERIFY(!m_r->placementRows().recordPlacement(
        placement(a, p, PlacementState::Stored))); // unknown chunk
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(0));

    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(m, QStringLiteral("x"), 10, QStringLiteral("fixed")).value_or(0);
    QVERIFY(f > 0);
    QVERIFY(m_r->modelRows().appendChunks(f, {chunk(0, 0, 10, a)}));
    QVERIFY(!m_r->placementRows().recordPlacement(
        placement(a, p + 100, PlacementState::Stored))); // no provider
    QVERIFY(m_r->placementRows().recordPlacement(placement(a, p, PlacementState::Stored)));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(1));
}

void TestRegistry::reopenKeepsDataWithoutRerunningMigrations()
{
    QVERIFY(m_r->settings().setSetting(QStringLiteral("replication"), QStringLiteral("3")));
    QVERIFY(m_r->providerRows().addProvider(providerRecord(QStringLiteral("disk"))));
    QVERIFY(m_r->modelRows().createModel(QStringLiteral("llama"), QStringLiteral("hf://llama")));
    m_r.reset();

    qint64 cookie = -1;
    {
        Side side(dbPath());
        // SQLite's schema cookie changes with every CREATE / ALTER / DROP: if re-opening ran
        // any migration statement (even an "IF NOT EXISTS" one that did something), it moves.
        cookie = side.scalar(QStringLiteral("PRAGMA schema_version")).toLongLong();
        QVERIFY(cookie > 0);
    }
    m_r = openRegistry();
    QVERIFY(m_r);
    QCOMPARE(m_r->schemaVersion(), migrations::latestVersion());
    QCOMPARE(m_r->settings().setting(QStringLiteral("replication")), QStringLiteral("3"));
    QCOMPARE(m_r->providerRows().providers().size(), 1);
    QCOMPARE(m_r->providerRows().providers().first().name, QStringLiteral("disk"));
    QVERIFY(m_r->modelRows().modelByName(QStringLiteral("llama")));
    Side side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("PRAGMA schema_version")).toLongLong(), cookie);
    QCOMPARE(side.count(QStringLiteral("schema_version")), qint64(1));
}

void TestRegistry::newerSchemaIsRefusedAndLeftUntouched()
{
    QVERIFY(m_r->providerRows().addProvider(providerRecord(QStringLiteral("disk"))));
    m_r.reset();
    const int newer = migrations::latestVersion() + 1;
    {
        Side side(dbPath());
        QVERIFY(side.exec(QStringLiteral("UPDATE schema_version SET version = %1").arg(newer)));
    }
    QVERIFY(!QFile::exists(dbPath() + QStringLiteral("-wal")));
    const QByteArray before = fileBytes(dbPath());
    QVERIFY(!before.isEmpty());

    QString error;
    auto r = Registry::open(dbPath(), &error);
    QVERIFY(!r);
    QVERIFY2(error.contains(QLatin1String("newer")), qPrintable(error));
    QVERIFY2(error.contains(QString::number(newer)), qPrintable(error));
    QVERIFY2(error.contains(QString::number(migrations::latestVersion())), qPrintable(error));
    QVERIFY2(error.contains(dbPath()), qPrintable(error));

    QCOMPARE(fileBytes(dbPath()), before);
    Side side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("SELECT version FROM schema_version")).toInt(), newer);
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(1));
}

void TestRegistry::newerSchemaInRollbackModeIsLeftUntouched()
{
    // A vault from a future version that does not use WAL: opening it must not even switch its
    // journal mode (which rewrites the file header).
    const QString path = m_dir->filePath(QStringLiteral("future.sqlite"));
    const int newer = migrations::latestVersion() + 5;
    {
        Side side(path);
        QVERIFY(
            side.exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER NOT NULL)")));
        QVERIFY(side.exec(QStringLiteral("INSERT INTO schema_version VALUES (%1)").arg(newer)));
        QVERIFY(side.exec(QStringLiteral("CREATE TABLE holograms (id INTEGER PRIMARY KEY, x)")));
        QVERIFY(side.exec(QStringLiteral("INSERT INTO holograms (x) VALUES ('a'), ('b')")));
        QCOMPARE(side.scalar(QStringLiteral("PRAGMA journal_mode")).toString(),
                 QStringLiteral("delete"));
    }
    const QByteArray before = fileBytes(path);
    QString error;
    QVERIFY(!Registry::open(path, &error));
    QVERIFY2(error.contains(QString::number(newer)), qPrintable(error));
    QCOMPARE(fileBytes(path), before);
    QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    Side side(path);
    QCOMPARE(side.scalar(QStringLiteral("PRAGMA journal_mode")).toString(),
             QStringLiteral("delete"));
    QCOMPARE(side.count(QStringLiteral("holograms")), qint64(2));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM sqlite_master")).toInt(), 2);
}

void TestRegistry::migratesAnEmptyFileFromVersionZero()
{
    const QString path = m_dir->filePath(QStringLiteral("empty.sqlite"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    QCOMPARE(QFileInfo(path).size(), qint64(0));
    auto r = openRegistry(path);
    QVERIFY(r);
    QCOMPARE(r->schemaVersion(), migrations::latestVersion());
    QVERIFY(r->providerRows().addProvider(providerRecord(QStringLiteral("disk"))));
    Side side(path);
    QCOMPARE(side.count(QStringLiteral("schema_version")), qint64(1));
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(1));
}

void TestRegistry::migratesAnExplicitVersionZero()
{
    const QString path = m_dir->filePath(QStringLiteral("zero.sqlite"));
    {
        Side side(path);
        QVERIFY(
            side.exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER NOT NULL)")));
        QVERIFY(side.exec(QStringLiteral("INSERT INTO schema_version VALUES (0)")));
    }
    auto r = openRegistry(path);
    QVERIFY(r);
    QCOMPARE(r->schemaVersion(), migrations::latestVersion());
    Side side(path);
    QCOMPARE(side.count(QStringLiteral("schema_version")), qint64(1)); // updated, not appended
}

void TestRegistry::migrationIsForwardOnlyAndIdempotent()
{
    // migrate() on its own, on a connection of our own.
    const QString path = m_dir->filePath(QStringLiteral("direct.sqlite"));
    const QString name = QStringLiteral("direct-migrate");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QString error;
        QVERIFY2(migrations::migrate(db, &error), qPrintable(error));
        QVERIFY2(migrations::migrate(db, &error), qPrintable(error)); // nothing left to do
        {
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT version FROM schema_version")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), migrations::latestVersion());
            QVERIFY(!q.next());
            // A newer version is never "migrated" down.
            QVERIFY(q.exec(QStringLiteral("UPDATE schema_version SET version = %1")
                               .arg(migrations::latestVersion() + 3)));
        }
        error.clear();
        QVERIFY(!migrations::migrate(db, &error));
        QVERIFY(!error.isEmpty());
        {
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT version FROM schema_version")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), migrations::latestVersion() + 3);
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

void TestRegistry::failedMigrationLeavesNothingBehind()
{
    // A database in the way of the first step (a "jobs" table of another shape): the step fails
    // at its last statement, and everything before it must be rolled back with it.
    const QString path = m_dir->filePath(QStringLiteral("clash.sqlite"));
    {
        Side side(path);
        QVERIFY(side.exec(QStringLiteral("CREATE TABLE jobs (something_else TEXT)")));
    }
    QString error;
    QVERIFY(!Registry::open(path, &error));
    QVERIFY2(error.contains(QLatin1String("schema 1")), qPrintable(error));
    Side side(path);
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                                        "('vault_settings', 'providers', 'models', 'files', "
                                        "'chunks')"))
                 .toInt(),
             0);
    QCOMPARE(
        side.scalar(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_version")).toInt(),
        0);
}

void TestRegistry::notADatabaseIsRefused()
{
    const QString path = m_dir->filePath(QStringLiteral("notes.txt"));
    const QByteArray text(8192, 'x');
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
    }
    QString error;
    QVERIFY(!Registry::open(path, &error));
    QVERIFY2(error.contains(path), qPrintable(error));
    QCOMPARE(fileBytes(path), text);
}

// ------------------------------------------------------------------------ settings, providers

void TestRegistry::emptyStringsAreStored()
{
    // A null QString binds as SQL NULL; every text column is NOT NULL. Leaving out a model's
    // source, a job's error or a setting's value must still store an empty text.
    const auto m = m_r->modelRows().createModel(QStringLiteral("no source"), QString());
    QVERIFY2(m, qPrintable(m_r->lastError()));
    QCOMPARE(m_r->modelRows().model(*m)->source, QStringLiteral(""));
    const auto f = m_r->modelRows().beginFile(*m, QStringLiteral("w"), 0, QString());
    QVERIFY2(f, qPrintable(m_r->lastError()));
    QVERIFY2(m_r->modelRows().completeFile(*f, QByteArray(), {}), qPrintable(m_r->lastError()));
    QVERIFY(m_r->settings().setSetting(QStringLiteral("cleared"), QString()));
    QCOMPARE(m_r->settings().setting(QStringLiteral("cleared"), QStringLiteral("fallback")),
             QStringLiteral(""));
    const auto j = m_r->queueRows().addJob(QStringLiteral("float"), {});
    QVERIFY(j);
    QVERIFY2(m_r->queueRows().setJobState(*j, QStringLiteral("running")),
             qPrintable(m_r->lastError()));
    QCOMPARE(m_r->queueRows().jobs(QStringLiteral("float"), QStringLiteral("running")).size(), 1);
    ProviderRecord bare;
    bare.kind = QStringLiteral("local");
    bare.name = QStringLiteral("bare");
    QVERIFY2(m_r->providerRows().addProvider(bare), qPrintable(m_r->lastError()));
}

void TestRegistry::settings()
{
    QCOMPARE(m_r->settings().setting(QStringLiteral("missing")), QString());
    QCOMPARE(m_r->settings().setting(QStringLiteral("missing"), QStringLiteral("dflt")),
             QStringLiteral("dflt"));
    QVERIFY(m_r->settings().setSetting(QStringLiteral("k"), QStringLiteral("v1")));
    QCOMPARE(m_r->settings().setting(QStringLiteral("k"), QStringLiteral("dflt")),
             QStringLiteral("v1"));
    QVERIFY(m_r->settings().setSetting(QStringLiteral("k"), QStringLiteral("v2")));
    QCOMPARE(m_r->settings().setting(QStringLiteral("k")), QStringLiteral("v2"));
    QVERIFY(
        m_r->settings().setSetting(QStringLiteral("unicode ✓"), QStringLiteral("ä '\" ; DROP")));
    QCOMPARE(m_r->settings().setting(QStringLiteral("unicode ✓")), QStringLiteral("ä '\" ; DROP"));
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("vault_settings")), qint64(2));
}

void TestRegistry::providers()
{
    QVERIFY(m_r->providerRows().providers().isEmpty());
    ProviderRecord a = providerRecord(QStringLiteral("laptop disk"));
    a.settings.insert(QStringLiteral("sync"), true);
    a.quotaBytes = 12345;
    a.enabled = false;
    const auto idA = m_r->providerRows().addProvider(a);
    QVERIFY(idA);
    ProviderRecord b = providerRecord(QStringLiteral("ipfs node"), QStringLiteral("ipfs"));
    b.health = QStringLiteral("ok");
    const auto idB = m_r->providerRows().addProvider(b);
    QVERIFY(idB);
    QVERIFY(*idA != *idB);

    const auto list = m_r->providerRows().providers();
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(0).id, *idA);
    QCOMPARE(list.at(1).id, *idB);
    const auto gotA = m_r->providerRows().providerByName(QStringLiteral("laptop disk"));
    QVERIFY(gotA);
    QCOMPARE(gotA->id, *idA);
    QCOMPARE(gotA->kind, QStringLiteral("local"));
    QCOMPARE(gotA->settings, a.settings);
    QCOMPARE(gotA->quotaBytes, qint64(12345));
    QCOMPARE(gotA->usedBytes, qint64(0));
    QCOMPARE(gotA->health, QStringLiteral("unknown"));
    QCOMPARE(gotA->enabled, false);
    const auto gotB = m_r->providerRows().provider(*idB);
    QVERIFY(gotB);
    QCOMPARE(gotB->name, QStringLiteral("ipfs node"));
    QCOMPARE(gotB->health, QStringLiteral("ok"));
    QCOMPARE(gotB->enabled, true);
    QVERIFY(!m_r->providerRows().providerByName(QStringLiteral("LAPTOP DISK")));
    QVERIFY(!m_r->providerRows().provider(*idB + 1000));

    QVERIFY(m_r->providerRows().setProviderHealth(*idA, QStringLiteral("unreachable")));
    QCOMPARE(m_r->providerRows().provider(*idA)->health, QStringLiteral("unreachable"));
    QVERIFY(m_r->providerRows().addProviderUsage(*idA, 1000));
    QVERIFY(m_r->providerRows().addProviderUsage(*idA, -300));
    QCOMPARE(m_r->providerRows().provider(*idA)->usedBytes, qint64(700));
    QVERIFY(m_r->providerRows().addProviderUsage(*idA, -5000)); // never below zero
    QCOMPARE(m_r->providerRows().provider(*idA)->usedBytes, qint64(0));
}

void TestRegistry::duplicateProviderNameIsRefused()
{
    QVERIFY(m_r->providerRows().addProvider(providerRecord(QStringLiteral("disk"))));
    QVERIFY(m_r->lastError().isEmpty());
    QVERIFY(!m_r->providerRows().addProvider(
        providerRecord(QStringLiteral("disk"), QStringLiteral("s3"))));
    QVERIFY(!m_r->lastError().isEmpty());
    QCOMPARE(m_r->providerRows().providers().size(), 1);
    QCOMPARE(m_r->providerRows().providers().first().kind, QStringLiteral("local"));
}

void TestRegistry::removeProviderCascadesPlacements()
{
    buildVault(*m_r);
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(6));
    QVERIFY(m_r->providerRows().removeProvider(m_p1));
    QVERIFY(!m_r->providerRows().provider(m_p1));
    QCOMPARE(m_r->providerRows().providers().size(), 1);
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(3));
    QCOMPARE(
        side.scalar(
                QStringLiteral("SELECT COUNT(*) FROM placements WHERE provider_id = %1").arg(m_p1))
            .toInt(),
        0);
    QCOMPARE(m_r->placementRows().placements(m_a).size(), 1);
    QCOMPARE(m_r->placementRows().placements(m_a).first().providerId, m_p2);
    // Chunks and manifests are not the provider's to take.
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(5));
}

// ------------------------------------------------------------------ connections, transactions

void TestRegistry::twoInstancesSeeEachOthersCommits()
{
    auto other = openRegistry();
    QVERIFY(other);
    QVERIFY(m_r->providerRows().addProvider(providerRecord(QStringLiteral("from-one"))));
    QVERIFY(other->providerRows().providerByName(QStringLiteral("from-one")));
    QVERIFY(other->settings().setSetting(QStringLiteral("k"), QStringLiteral("from-two")));
    QCOMPARE(m_r->settings().setting(QStringLiteral("k")), QStringLiteral("from-two"));
    // Uncommitted work is not visible until it commits.
    const bool ok = m_r->transaction([&] {
        if (!m_r->modelRows().createModel(QStringLiteral("pending"), Source))
            return false;
        return !other->modelRows().modelByName(QStringLiteral("pending")).has_value();
    });
    QVERIFY(ok);
    QVERIFY(other->modelRows().modelByName(QStringLiteral("pending")));
}

void TestRegistry::nestedTransactionFailureRollsBackEverything()
{
    // The inner failure is ignored by the outer work, which returns true: the inner part cannot
    // be undone on its own once joined, so the whole transaction must roll back.
    bool innerResult = true;
    const bool outer = m_r->transaction([&] {
        if (!m_r->providerRows().addProvider(providerRecord(QStringLiteral("outer"))))
            return false;
        innerResult = m_r->transaction([&] {
            return m_r->providerRows()
                       .addProvider(providerRecord(QStringLiteral("inner")))
                       .has_value() &&
                   false; // the inner work fails after writing
        });
        return true;
    });
    QVERIFY(!innerResult);
    QVERIFY(!outer);
    QVERIFY(m_r->providerRows().providers().isEmpty());
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(0));

    // Propagated failure: same outcome.
    QVERIFY(!m_r->transaction([&] {
        return m_r->providerRows()
                   .addProvider(providerRecord(QStringLiteral("outer")))
                   .has_value() &&
               m_r->transaction([&] { return false; });
    }));
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(0));

    // And the registry is back to normal afterwards.
    QVERIFY(m_r->transaction([&] {
        return m_r->providerRows().addProvider(providerRecord(QStringLiteral("a"))).has_value() &&
               m_r->transaction([&] {
                   return m_r->providerRows()
                       .addProvider(providerRecord(QStringLiteral("b")))
                       .has_value();
               });
    }));
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(2));
    QVERIFY(m_r->providerRows().addProvider(providerRecord(QStringLiteral("c"))));
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(3));
}

void TestRegistry::nestedRegistryCallFailureRollsBackEverything()
{
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(m, QStringLiteral("w"), 20, QStringLiteral("x")).value_or(0);
    QVERIFY(f > 0);
    Side side(dbPath());
    // appendChunks runs its own (now nested) transaction and fails on the duplicate index.
    bool appended = true;
    const bool outer = m_r->transaction([&] {
        m_r->settings().setSetting(QStringLiteral("marker"), QStringLiteral("1"));
        appended = m_r->modelRows().appendChunks(
            f, {chunk(0, 0, 10, cidOf("A")), chunk(0, 10, 10, cidOf("B"))});
        return true;
    });
    QVERIFY(!appended);
    QVERIFY(!outer);
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(0));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(0));
    QCOMPARE(m_r->settings().setting(QStringLiteral("marker")), QString());
}

namespace {
// Runs `work` on a new thread with a registry of its own on `path`; returns its result.
class RegistryThread final
{
public:
    RegistryThread(const QString& path, std::function<bool(Registry&, QString*)> work,
                   QSemaphore* start = nullptr)
    {
        m_thread.reset(QThread::create([this, path, work, start] {
            if (start)
                start->acquire();
            QString error;
            auto r = Registry::open(path, &error);
            if (!r) {
                m_error = error;
                return;
            }
            m_ok = work(*r, &m_error);
        }));
        m_thread->start();
    }
    bool wait() { return m_thread->wait(QDeadlineTimer(300000)); }
    bool ok() const { return m_ok; }
    QString error() const { return m_error; }

private:
    std::unique_ptr<QThread> m_thread;
    bool m_ok = false;
    QString m_error;
};
} // namespace

void TestRegistry::concurrentReadThenWriteTransactions()
{
    // Every thread has its own connection (as documented). Transactions that read before they
    // write (beginFile, completeFile, removeChunk) must wait for each other rather than fail
    // with "database is locked" when another connection committed in between.
    const QString path = dbPath();
    constexpr int Threads = 3, Files = 120;
    auto work = [](int t) {
        return [t](Registry& r, QString* error) {
            const auto m = r.modelRows().createModel(QStringLiteral("model-%1").arg(t), Source);
            if (!m) {
                *error = r.lastError();
                return false;
            }
            for (int i = 0; i < Files; ++i) {
                const QString cidText =
                    cid::ofData(QByteArray(QByteArray::number(t) + '/' + QByteArray::number(i)));
                const auto f = r.modelRows().beginFile(*m, QStringLiteral("f%1").arg(i), 10,
                                                       QStringLiteral("x"));
                if (!f || !r.modelRows().appendChunks(*f, {chunk(0, 0, 10, cidText)}) ||
                    !r.modelRows().completeFile(*f, QByteArray(64, 'a'), {})) {
                    *error = QStringLiteral("file %1: %2").arg(i).arg(r.lastError());
                    return false;
                }
            }
            return true;
        };
    };
    std::vector<std::unique_ptr<RegistryThread>> threads;
    QSemaphore start;
    for (int t = 0; t < Threads; ++t)
        threads.push_back(std::make_unique<RegistryThread>(path, work(t), &start));
    start.release(Threads);
    for (auto& t : threads) {
        QVERIFY(t->wait());
        QVERIFY2(t->ok(), qPrintable(t->error()));
    }
    QCOMPARE(m_r->healthRows().stats().files, Threads * Files);
}

void TestRegistry::concurrentFirstOpen()
{
    // The CLI and the GUI opening a new vault at the same moment both migrate it, or one waits
    // for the other; neither fails.
    for (int round = 0; round < 30; ++round) {
        const QString path = m_dir->filePath(QStringLiteral("race-%1.sqlite").arg(round));
        QSemaphore start;
        std::vector<std::unique_ptr<RegistryThread>> threads;
        for (int t = 0; t < 3; ++t)
            threads.push_back(std::make_unique<RegistryThread>(
                path,
                [](Registry& r, QString* error) {
                    *error = QStringLiteral("schema %1").arg(r.schemaVersion());
                    return r.schemaVersion() == migrations::latestVersion();
                },
                &start));
        start.release(3);
        for (auto& t : threads) {
            QVERIFY(t->wait());
            QVERIFY2(t->ok(),
                     qPrintable(QStringLiteral("round %1: %2").arg(round).arg(t->error())));
        }
        Side side(path);
        QCOMPARE(side.count(QStringLiteral("schema_version")), qint64(1));
    }
}

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
