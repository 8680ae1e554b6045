// The registry against its contract: schema and migrations (checked through a second, plain
// SQLite connection to the same file, so the registry is not its own witness), cascades,
// manifests that must tile their file, transactions that leave nothing behind when they fail,
// two connections and two threads on one file, and the model summary on hand-built vaults.

#include "chunking/cid.h"
#include "queryplan.h"
#include "registry/migrations.h"
#include "registry/modelsummary.h"
#include "registry/registry.h"
#include "schemarewind.h"

#include <QAtomicInt>
#include <QFile>
#include <QJsonArray>
#include <QSemaphore>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <memory>

Q_DECLARE_METATYPE(mf::FileChunk)

using namespace mf;

namespace {

const QString Source = QStringLiteral("/models/source");

QString cidOf(const char* seed)
{
    return cid::ofData(QByteArray(seed));
}

QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

// A plain SQLite connection to the registry's file, independent of the Registry class.
class Side final
{
    Q_DISABLE_COPY_MOVE(Side)

public:
    explicit Side(const QString& path)
        : m_name(QStringLiteral("side-%1").arg(s_counter.fetchAndAddRelaxed(1)))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        m_open = db.open();
    }
    ~Side()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    bool isOpen() const { return m_open; }
    bool exec(const QString& sql)
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        const bool ok = q.exec(sql);
        if (!ok)
            qWarning() << sql << q.lastError().text();
        return ok;
    }
    // The first column of the first row; invalid when there is no row or on error.
    QVariant scalar(const QString& sql)
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }
    qint64 count(const QString& table)
    {
        return scalar(QStringLiteral("SELECT COUNT(*) FROM ") + table).toLongLong();
    }

private:
    static inline QAtomicInteger<quint64> s_counter;
    QString m_name;
    bool m_open = false;
};

ProviderRecord providerRecord(const QString& name, const QString& kind = QStringLiteral("local"))
{
    ProviderRecord r;
    r.kind = kind;
    r.name = name;
    r.settings.insert(QStringLiteral("path"), QString(QStringLiteral("/srv/") + name));
    r.quotaBytes = 1 << 30;
    return r;
}

FileChunk chunk(int index, qint64 offset, qint64 size, const QString& cid)
{
    return FileChunk{index, offset, size, cid};
}

Placement placement(const QString& cid, qint64 provider, PlacementState state)
{
    return Placement{cid, provider, cid, state, {}};
}

} // namespace

class TestRegistry final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

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
    void models();
    void removeModelCascadesButKeepsChunks();
    void removeChunkRefusesAChunkInUse();
    void removeChunkRecordsPendingDeletions();
    void upgradesAVersionOneVaultKeepingItsData();
    void placementsNotNamedByCidUseTheirIndex();
    void pendingPutsAreCountedByTheirIndex();

    void beginFileResetsAnIncompleteFile();
    void resumedFileKeepsItsChunksFromCollection();
    void beginFileRefusesACompleteFile();
    void appendChunksStoresASharedChunkOnce();
    void appendChunksIsAllOrNothing();
    void appendChunksRefusesAConflictingChunkSize();
    void appendChunksRefusesACompleteFile();
    void completeFileRequiresAManifestThatTiles_data();
    void completeFileRequiresAManifestThatTiles();
    void completeFileAcceptsAnEmptyFile();

    void recordPlacementUpserts();
    void setPlacementState();
    void placementsOfModelAndChunkModelCounts();
    void statsOnAHandBuiltVault();
    void dedupSavingsCountCompleteDataOnly();
    void badCopiesCountUntilReplaced();
    void jobs();

    void twoInstancesSeeEachOthersCommits();
    void nestedTransactionFailureRollsBackEverything();
    void nestedRegistryCallFailureRollsBackEverything();
    void concurrentReadThenWriteTransactions();
    void concurrentFirstOpen();

    void summaryHealth();
    void summaryNumbers();

private:
    QString dbPath() const { return m_dir->filePath(QStringLiteral("registry.sqlite")); }
    std::unique_ptr<Registry> openRegistry(const QString& path = {});
    // Two models sharing chunk A, on two providers (see the body for the layout).
    void buildVault(Registry& r);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Registry> m_r;
    // Filled by buildVault().
    qint64 m_p1 = 0, m_p2 = 0, m_m1 = 0, m_m2 = 0, m_f1 = 0, m_f2 = 0;
    QString m_a, m_b, m_c, m_d;
};

std::unique_ptr<Registry> TestRegistry::openRegistry(const QString& path)
{
    QString error;
    auto r = Registry::open(path.isEmpty() ? dbPath() : path, &error);
    if (!r)
        qWarning() << "open failed:" << error;
    return r;
}

void TestRegistry::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_r = openRegistry();
    QVERIFY(m_r);
}

void TestRegistry::cleanup()
{
    m_r.reset();
    m_dir.reset();
}

void TestRegistry::buildVault(Registry& r)
{
    // M1 / f1 (30 bytes): A B C        M2 / f2 (20 bytes): A D
    // placements: A@P1 stored, A@P2 stored, B@P1 stored, B@P2 pending, C@P1 missing,
    //             D@P2 corrupt
    m_a = cidOf("A");
    m_b = cidOf("B");
    m_c = cidOf("C");
    m_d = cidOf("D");
    m_p1 = r.addProvider(providerRecord(QStringLiteral("p1"))).value_or(0);
    m_p2 = r.addProvider(providerRecord(QStringLiteral("p2"))).value_or(0);
    QVERIFY(m_p1 > 0 && m_p2 > 0);
    m_m1 = r.createModel(QStringLiteral("m1"), QStringLiteral("hf://m1")).value_or(0);
    m_m2 = r.createModel(QStringLiteral("m2"), QStringLiteral("hf://m2")).value_or(0);
    QVERIFY(m_m1 > 0 && m_m2 > 0);
    m_f1 = r.beginFile(m_m1, QStringLiteral("w.bin"), 30, QStringLiteral("fixed")).value_or(0);
    m_f2 = r.beginFile(m_m2, QStringLiteral("w.bin"), 20, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_f1 > 0 && m_f2 > 0);
    QVERIFY(
        r.appendChunks(m_f1, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_b), chunk(2, 20, 10, m_c)}));
    QVERIFY(r.appendChunks(m_f2, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_d)}));
    QVERIFY(r.completeFile(m_f1, QByteArray(64, 'a'), {}));
    QVERIFY(r.completeFile(m_f2, QByteArray(64, 'b'), {}));
    QVERIFY(r.recordPlacement(placement(m_a, m_p1, PlacementState::Stored)));
    QVERIFY(r.recordPlacement(placement(m_a, m_p2, PlacementState::Stored)));
    QVERIFY(r.recordPlacement(placement(m_b, m_p1, PlacementState::Stored)));
    QVERIFY(r.recordPlacement(placement(m_b, m_p2, PlacementState::Pending)));
    QVERIFY(r.recordPlacement(placement(m_c, m_p1, PlacementState::Missing)));
    QVERIFY(r.recordPlacement(placement(m_d, m_p2, PlacementState::Corrupt)));
}

// ------------------------------------------------------------------------- schema, migrations

// Every put counts the puts under way on its provider against the quota
// (Registry::beginPlacement). Through the index of every placement of the provider, that read
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
    QVERIFY(m_r->placementsNotNamedByCid(m_p1).isEmpty());
    Placement id = placement(m_b, m_p1, PlacementState::Stored);
    id.locator = QStringLiteral("1a2B3cDriveFileId");
    QVERIFY(m_r->recordPlacement(id));
    const QList<Placement> unnamed = m_r->placementsNotNamedByCid(m_p1);
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
    QCOMPARE(m_r->models().size(), 2);
    QCOMPARE(m_r->placements(m_a).size(), 2);
    QVERIFY(m_r->pendingDeletions().isEmpty()); // the new table exists and works
    QVERIFY(m_r->removeModel(m_m1));
    QVERIFY(m_r->removeChunk(m_b));
    QCOMPARE(m_r->pendingDeletions().size(), 2);
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
    QVERIFY(!m_r->appendChunks(4711, {chunk(0, 0, 10, a)}));
    QVERIFY(!m_r->lastError().isEmpty());
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(0));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(0));

    const qint64 p = m_r->addProvider(providerRecord(QStringLiteral("p"))).value_or(0);
    QVERIFY(p > 0);
    QVERIFY(!m_r->recordPlacement(placement(a, p, PlacementState::Stored))); // unknown chunk
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(0));

    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->beginFile(m, QStringLiteral("x"), 10, QStringLiteral("fixed")).value_or(0);
    QVERIFY(f > 0);
    QVERIFY(m_r->appendChunks(f, {chunk(0, 0, 10, a)}));
    QVERIFY(!m_r->recordPlacement(placement(a, p + 100, PlacementState::Stored))); // no provider
    QVERIFY(m_r->recordPlacement(placement(a, p, PlacementState::Stored)));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(1));
}

void TestRegistry::reopenKeepsDataWithoutRerunningMigrations()
{
    QVERIFY(m_r->setSetting(QStringLiteral("replication"), QStringLiteral("3")));
    QVERIFY(m_r->addProvider(providerRecord(QStringLiteral("disk"))));
    QVERIFY(m_r->createModel(QStringLiteral("llama"), QStringLiteral("hf://llama")));
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
    QCOMPARE(m_r->setting(QStringLiteral("replication")), QStringLiteral("3"));
    QCOMPARE(m_r->providers().size(), 1);
    QCOMPARE(m_r->providers().first().name, QStringLiteral("disk"));
    QVERIFY(m_r->modelByName(QStringLiteral("llama")));
    Side side(dbPath());
    QCOMPARE(side.scalar(QStringLiteral("PRAGMA schema_version")).toLongLong(), cookie);
    QCOMPARE(side.count(QStringLiteral("schema_version")), qint64(1));
}

void TestRegistry::newerSchemaIsRefusedAndLeftUntouched()
{
    QVERIFY(m_r->addProvider(providerRecord(QStringLiteral("disk"))));
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
    QVERIFY(r->addProvider(providerRecord(QStringLiteral("disk"))));
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
    const auto m = m_r->createModel(QStringLiteral("no source"), QString());
    QVERIFY2(m, qPrintable(m_r->lastError()));
    QCOMPARE(m_r->model(*m)->source, QStringLiteral(""));
    const auto f = m_r->beginFile(*m, QStringLiteral("w"), 0, QString());
    QVERIFY2(f, qPrintable(m_r->lastError()));
    QVERIFY2(m_r->completeFile(*f, QByteArray(), {}), qPrintable(m_r->lastError()));
    QVERIFY(m_r->setSetting(QStringLiteral("cleared"), QString()));
    QCOMPARE(m_r->setting(QStringLiteral("cleared"), QStringLiteral("fallback")),
             QStringLiteral(""));
    const auto j = m_r->addJob(QStringLiteral("float"), {});
    QVERIFY(j);
    QVERIFY2(m_r->setJobState(*j, QStringLiteral("running")), qPrintable(m_r->lastError()));
    QCOMPARE(m_r->jobs(QStringLiteral("float"), QStringLiteral("running")).size(), 1);
    ProviderRecord bare;
    bare.kind = QStringLiteral("local");
    bare.name = QStringLiteral("bare");
    QVERIFY2(m_r->addProvider(bare), qPrintable(m_r->lastError()));
}

void TestRegistry::settings()
{
    QCOMPARE(m_r->setting(QStringLiteral("missing")), QString());
    QCOMPARE(m_r->setting(QStringLiteral("missing"), QStringLiteral("dflt")),
             QStringLiteral("dflt"));
    QVERIFY(m_r->setSetting(QStringLiteral("k"), QStringLiteral("v1")));
    QCOMPARE(m_r->setting(QStringLiteral("k"), QStringLiteral("dflt")), QStringLiteral("v1"));
    QVERIFY(m_r->setSetting(QStringLiteral("k"), QStringLiteral("v2")));
    QCOMPARE(m_r->setting(QStringLiteral("k")), QStringLiteral("v2"));
    QVERIFY(m_r->setSetting(QStringLiteral("unicode ✓"), QStringLiteral("ä '\" ; DROP")));
    QCOMPARE(m_r->setting(QStringLiteral("unicode ✓")), QStringLiteral("ä '\" ; DROP"));
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("vault_settings")), qint64(2));
}

void TestRegistry::providers()
{
    QVERIFY(m_r->providers().isEmpty());
    ProviderRecord a = providerRecord(QStringLiteral("laptop disk"));
    a.settings.insert(QStringLiteral("sync"), true);
    a.quotaBytes = 12345;
    a.enabled = false;
    const auto idA = m_r->addProvider(a);
    QVERIFY(idA);
    ProviderRecord b = providerRecord(QStringLiteral("ipfs node"), QStringLiteral("ipfs"));
    b.health = QStringLiteral("ok");
    const auto idB = m_r->addProvider(b);
    QVERIFY(idB);
    QVERIFY(*idA != *idB);

    const auto list = m_r->providers();
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(0).id, *idA);
    QCOMPARE(list.at(1).id, *idB);
    const auto gotA = m_r->providerByName(QStringLiteral("laptop disk"));
    QVERIFY(gotA);
    QCOMPARE(gotA->id, *idA);
    QCOMPARE(gotA->kind, QStringLiteral("local"));
    QCOMPARE(gotA->settings, a.settings);
    QCOMPARE(gotA->quotaBytes, qint64(12345));
    QCOMPARE(gotA->usedBytes, qint64(0));
    QCOMPARE(gotA->health, QStringLiteral("unknown"));
    QCOMPARE(gotA->enabled, false);
    const auto gotB = m_r->provider(*idB);
    QVERIFY(gotB);
    QCOMPARE(gotB->name, QStringLiteral("ipfs node"));
    QCOMPARE(gotB->health, QStringLiteral("ok"));
    QCOMPARE(gotB->enabled, true);
    QVERIFY(!m_r->providerByName(QStringLiteral("LAPTOP DISK")));
    QVERIFY(!m_r->provider(*idB + 1000));

    QVERIFY(m_r->setProviderHealth(*idA, QStringLiteral("unreachable")));
    QCOMPARE(m_r->provider(*idA)->health, QStringLiteral("unreachable"));
    QVERIFY(m_r->addProviderUsage(*idA, 1000));
    QVERIFY(m_r->addProviderUsage(*idA, -300));
    QCOMPARE(m_r->provider(*idA)->usedBytes, qint64(700));
    QVERIFY(m_r->addProviderUsage(*idA, -5000)); // never below zero
    QCOMPARE(m_r->provider(*idA)->usedBytes, qint64(0));
}

void TestRegistry::duplicateProviderNameIsRefused()
{
    QVERIFY(m_r->addProvider(providerRecord(QStringLiteral("disk"))));
    QVERIFY(m_r->lastError().isEmpty());
    QVERIFY(!m_r->addProvider(providerRecord(QStringLiteral("disk"), QStringLiteral("s3"))));
    QVERIFY(!m_r->lastError().isEmpty());
    QCOMPARE(m_r->providers().size(), 1);
    QCOMPARE(m_r->providers().first().kind, QStringLiteral("local"));
}

void TestRegistry::removeProviderCascadesPlacements()
{
    buildVault(*m_r);
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(6));
    QVERIFY(m_r->removeProvider(m_p1));
    QVERIFY(!m_r->provider(m_p1));
    QCOMPARE(m_r->providers().size(), 1);
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(3));
    QCOMPARE(
        side.scalar(
                QStringLiteral("SELECT COUNT(*) FROM placements WHERE provider_id = %1").arg(m_p1))
            .toInt(),
        0);
    QCOMPARE(m_r->placements(m_a).size(), 1);
    QCOMPARE(m_r->placements(m_a).first().providerId, m_p2);
    // Chunks and manifests are not the provider's to take.
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(5));
}

// ------------------------------------------------------------------------------------- models

void TestRegistry::models()
{
    const auto b = m_r->createModel(QStringLiteral("beta"), QStringLiteral("hf://b"));
    const auto a = m_r->createModel(QStringLiteral("alpha"), QStringLiteral("/models/a"));
    QVERIFY(a && b && *a != *b);
    QVERIFY(!m_r->createModel(QStringLiteral("alpha"), QStringLiteral("elsewhere")));
    QVERIFY(!m_r->lastError().isEmpty());
    const auto list = m_r->models();
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(0).name, QStringLiteral("alpha")); // by name
    QCOMPARE(list.at(1).name, QStringLiteral("beta"));
    const auto got = m_r->modelByName(QStringLiteral("alpha"));
    QVERIFY(got);
    QCOMPARE(got->id, *a);
    QCOMPARE(got->source, QStringLiteral("/models/a"));
    QCOMPARE(got->state, ModelRecord::State::Incomplete);
    QVERIFY(got->created.isValid());
    QVERIFY(!m_r->modelByName(QStringLiteral("gamma")));
    QVERIFY(m_r->setModelState(*a, ModelRecord::State::Complete));
    QCOMPARE(m_r->model(*a)->state, ModelRecord::State::Complete);
    QCOMPARE(m_r->model(*b)->state, ModelRecord::State::Incomplete);
}

void TestRegistry::removeModelCascadesButKeepsChunks()
{
    buildVault(*m_r);
    Side side(dbPath());
    QVERIFY(m_r->orphanChunks().isEmpty());
    QVERIFY(m_r->removeModel(m_m1));
    QVERIFY(!m_r->model(m_m1));
    QVERIFY(m_r->files(m_m1).isEmpty());
    QCOMPARE(side.count(QStringLiteral("files")), qint64(1));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(2));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(6)); // until the chunks go
    // B and C are now used by nobody; A is still M2's.
    QList<QPair<QString, qint64>> expected{{m_b, 10}, {m_c, 10}};
    std::sort(expected.begin(), expected.end());
    QCOMPARE(m_r->orphanChunks(), expected);
    QCOMPARE(m_r->fileChunks(m_f2).size(), 2);
}

void TestRegistry::removeChunkRecordsPendingDeletions()
{
    buildVault(*m_r);
    QVERIFY(m_r->removeModel(m_m1));
    QVERIFY(m_r->pendingDeletions().isEmpty());
    QVERIFY(!m_r->removeChunk(m_a)); // still M2's: nothing recorded
    QVERIFY(m_r->pendingDeletions().isEmpty());
    QVERIFY(m_r->removeChunk(m_b)); // stored on P1, pending on P2: both objects may exist
    QList<PendingDeletion> pending = m_r->pendingDeletions();
    QCOMPARE(pending.size(), 2);
    for (const PendingDeletion& d : std::as_const(pending)) {
        QCOMPARE(d.cid, m_b);
        QCOMPARE(d.size, qint64(10));
        QVERIFY(d.providerId == m_p1 || d.providerId == m_p2);
    }
    QVERIFY(pending.at(0).providerId != pending.at(1).providerId);
    QVERIFY(m_r->forgetDeletion(pending.at(0).id));
    QCOMPARE(m_r->pendingDeletions().size(), 1);
    // Removing a provider drops what it still had to delete.
    QVERIFY(m_r->removeProvider(m_r->pendingDeletions().first().providerId));
    QVERIFY(m_r->pendingDeletions().isEmpty());
}

void TestRegistry::removeChunkRefusesAChunkInUse()
{
    buildVault(*m_r);
    Side side(dbPath());
    QVERIFY(!m_r->removeChunk(m_a));
    QVERIFY(!m_r->lastError().isEmpty());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QVERIFY(m_r->removeModel(m_m1));
    QVERIFY(!m_r->removeChunk(m_a)); // still M2's
    QVERIFY(m_r->removeChunk(m_b));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(3));
    QVERIFY(m_r->placements(m_b).isEmpty()); // its placements went with it
    QCOMPARE(m_r->orphanChunks().size(), 1);
    QCOMPARE(m_r->orphanChunks().first().first, m_c);
}

// -------------------------------------------------------------------------------------- files

void TestRegistry::beginFileResetsAnIncompleteFile()
{
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const auto f = m_r->beginFile(m, QStringLiteral("dir/w.bin"), 20, QStringLiteral("fixed:10"));
    QVERIFY(f);
    QVERIFY(m_r->appendChunks(*f, {chunk(0, 0, 10, cidOf("A"))}));
    QCOMPARE(m_r->fileChunks(*f).size(), 1);
    // Interrupted scan; a new one begins with other parameters.
    const auto again = m_r->beginFile(m, QStringLiteral("dir/w.bin"), 25, QStringLiteral("cdc"));
    QVERIFY(again);
    QCOMPARE(*again, *f);
    QVERIFY(m_r->fileChunks(*f).isEmpty());
    const auto rec = m_r->file(m, QStringLiteral("dir/w.bin"));
    QVERIFY(rec);
    QCOMPARE(rec->size, qint64(25));
    QCOMPARE(rec->chunker, QStringLiteral("cdc"));
    QCOMPARE(rec->state, FileRecord::State::Incomplete);
    QCOMPARE(m_r->files(m).size(), 1);
    QVERIFY(m_r->appendChunks(*f, {chunk(0, 0, 25, cidOf("Z"))})); // index 0 is free again
    QVERIFY(m_r->completeFile(*f, QByteArray(64, 'c'), {}));
}

// A float resuming an unfinished file scans it again from the start. Meanwhile an rm or
// collect in another process (its own registry connection) runs the orphan query and removes
// what it finds: the chunks the interrupted scan stored must not be among them, or the resume
// sends them again. What the new scan does not use any more is an orphan once the file is done.
void TestRegistry::resumedFileKeepsItsChunksFromCollection()
{
    const qint64 p = m_r->addProvider(providerRecord(QStringLiteral("p"))).value_or(0);
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const auto f = m_r->beginFile(m, QStringLiteral("w.bin"), 30, QStringLiteral("fixed:10"));
    QVERIFY(p > 0 && f);
    const QStringList scanned{cidOf("A"), cidOf("B"), cidOf("C")};
    QVERIFY(m_r->appendChunks(*f, {chunk(0, 0, 10, scanned.at(0)), chunk(1, 10, 10, scanned.at(1)),
                                   chunk(2, 20, 10, scanned.at(2))}));
    for (const QString& cid : scanned)
        QVERIFY(m_r->recordPlacement(placement(cid, p, PlacementState::Stored)));

    auto collector = openRegistry(); // the other process's rm or collect
    QVERIFY(collector);
    // What RemoveJob does with every orphan; returns the chunks it took.
    const auto collect = [&collector] {
        QStringList taken;
        for (const auto& [cid, size] : collector->orphanChunks()) {
            Q_UNUSED(size);
            if (collector->removeChunk(cid))
                taken << cid;
        }
        return taken;
    };
    const auto stillStored = [this, &scanned] {
        for (const QString& cid : scanned)
            if (m_r->placements(cid).size() != 1)
                return false;
        return true;
    };

    // The float was killed; its resume begins the file again and is scanning.
    QCOMPARE(m_r->beginFile(m, QStringLiteral("w.bin"), 30, QStringLiteral("fixed:10")).value_or(0),
             *f);
    QVERIFY(m_r->fileChunks(*f).isEmpty()); // the manifest is the new scan's
    QCOMPARE(collect(), QStringList());
    QVERIFY(collector->pendingDeletions().isEmpty());
    QVERIFY(stillStored());
    QVERIFY(m_r->appendChunks(*f, {chunk(0, 0, 10, scanned.at(0))}));
    QCOMPARE(collect(), QStringList());
    // Its index is the new scan's alone: a second chunk 0 is refused as before.
    QVERIFY(!m_r->appendChunks(*f, {chunk(0, 0, 10, scanned.at(1))}));

    // Killed again, and resumed again: the first scan's chunks are still kept, once each.
    QCOMPARE(m_r->beginFile(m, QStringLiteral("w.bin"), 30, QStringLiteral("fixed:10")).value_or(0),
             *f);
    QCOMPARE(collect(), QStringList());
    QVERIFY(stillStored());
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(3));

    // The source changed at its end: the last chunk is a new one, and C is no longer used.
    QVERIFY(m_r->appendChunks(*f, {chunk(0, 0, 10, scanned.at(0)), chunk(1, 10, 10, scanned.at(1)),
                                   chunk(2, 20, 10, cidOf("D"))}));
    QCOMPARE(collect(), QStringList());
    QVERIFY(m_r->completeFile(*f, QByteArray(64, 'c'), {}));
    const QList<FileChunk> manifest = m_r->fileChunks(*f);
    QCOMPARE(manifest.size(), 3);
    QCOMPARE(manifest.at(0).cid, scanned.at(0));
    QCOMPARE(manifest.at(1).cid, scanned.at(1));
    QCOMPARE(manifest.at(2).cid, cidOf("D"));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(3));
    QCOMPARE(collect(), QStringList{scanned.at(2)});
    QCOMPARE(collector->pendingDeletions().size(), 1);
}

void TestRegistry::beginFileRefusesACompleteFile()
{
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const auto f = m_r->beginFile(m, QStringLiteral("w.bin"), 10, QStringLiteral("fixed"));
    QVERIFY(f);
    QVERIFY(m_r->appendChunks(*f, {chunk(0, 0, 10, cidOf("A"))}));
    QJsonObject meta{{QStringLiteral("dtype"), QStringLiteral("bf16")}};
    QVERIFY(m_r->completeFile(*f, QByteArray(64, 'e'), meta));
    QVERIFY(!m_r->beginFile(m, QStringLiteral("w.bin"), 99, QStringLiteral("other")));
    QVERIFY2(m_r->lastError().contains(QLatin1String("w.bin")), qPrintable(m_r->lastError()));
    const auto rec = m_r->file(m, QStringLiteral("w.bin"));
    QCOMPARE(rec->size, qint64(10));
    QCOMPARE(rec->state, FileRecord::State::Complete);
    QCOMPARE(rec->sha256, QByteArray(64, 'e'));
    QCOMPARE(rec->metadata, meta);
    QCOMPARE(m_r->fileChunks(*f).size(), 1);
    // The same path in another model is another file.
    const qint64 m2 = m_r->createModel(QStringLiteral("m2"), Source).value_or(0);
    QVERIFY(m_r->beginFile(m2, QStringLiteral("w.bin"), 99, QStringLiteral("other")));
}

void TestRegistry::appendChunksStoresASharedChunkOnce()
{
    buildVault(*m_r);
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4)); // A once, though used twice
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(5));
    // The same chunk repeated inside one file, too.
    const qint64 m = m_r->createModel(QStringLiteral("zeros"), Source).value_or(0);
    const qint64 f =
        m_r->beginFile(m, QStringLiteral("z"), 40, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->appendChunks(f, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_a)}));
    QVERIFY(m_r->appendChunks(f, {chunk(2, 20, 10, m_a), chunk(3, 30, 10, m_b)}));
    QVERIFY(m_r->completeFile(f, QByteArray(64, 'z'), {}));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(9));
    const auto manifest = m_r->fileChunks(f);
    QCOMPARE(manifest.size(), 4);
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(manifest.at(i).index, i);
        QCOMPARE(manifest.at(i).offset, qint64(10 * i));
        QCOMPARE(manifest.at(i).size, qint64(10));
    }
    QCOMPARE(manifest.at(3).cid, m_b);
}

void TestRegistry::appendChunksIsAllOrNothing()
{
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->beginFile(m, QStringLiteral("w"), 40, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->appendChunks(f, {chunk(0, 0, 10, cidOf("A"))}));
    Side side(dbPath());
    // New chunks X and Y come before the duplicate index that fails the batch.
    QVERIFY(!m_r->appendChunks(f, {chunk(1, 10, 10, cidOf("X")), chunk(2, 20, 10, cidOf("Y")),
                                   chunk(1, 30, 10, cidOf("Z"))}));
    QVERIFY(!m_r->lastError().isEmpty());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(1));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(1));
    QCOMPARE(m_r->fileChunks(f).size(), 1);
    // An index already taken by an earlier batch fails the same way.
    QVERIFY(!m_r->appendChunks(f, {chunk(1, 10, 10, cidOf("X")), chunk(0, 0, 10, cidOf("Q"))}));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(1));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(1));
    // The registry is usable afterwards: no transaction was left open.
    QVERIFY(m_r->appendChunks(f, {chunk(1, 10, 30, cidOf("X"))}));
    QVERIFY(m_r->completeFile(f, QByteArray(64, '1'), {}));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(2));
}

void TestRegistry::appendChunksRefusesAConflictingChunkSize()
{
    // A CID names its bytes, so one CID with two sizes is a bug upstream; recording it would
    // give the second file a manifest that does not describe it.
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f1 =
        m_r->beginFile(m, QStringLiteral("a"), 10, QStringLiteral("fixed")).value_or(0);
    const qint64 f2 =
        m_r->beginFile(m, QStringLiteral("b"), 20, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->appendChunks(f1, {chunk(0, 0, 10, cidOf("A"))}));
    QVERIFY(!m_r->appendChunks(f2, {chunk(0, 0, 20, cidOf("A"))}));
    QVERIFY2(m_r->lastError().contains(cidOf("A")), qPrintable(m_r->lastError()));
    QVERIFY(m_r->fileChunks(f2).isEmpty());
}

void TestRegistry::appendChunksRefusesACompleteFile()
{
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->beginFile(m, QStringLiteral("a"), 10, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->appendChunks(f, {chunk(0, 0, 10, cidOf("A"))}));
    QVERIFY(m_r->completeFile(f, QByteArray(64, 'a'), {}));
    QVERIFY(!m_r->appendChunks(f, {chunk(1, 10, 10, cidOf("B"))}));
    QCOMPARE(m_r->fileChunks(f).size(), 1);
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(1));
}

void TestRegistry::completeFileRequiresAManifestThatTiles_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<QList<FileChunk>>("manifest");
    QTest::addColumn<bool>("accepted");
    const QString a = cidOf("A"), b = cidOf("B"), c = cidOf("C");
    QTest::newRow("exact") << qint64(30)
                           << QList<FileChunk>{chunk(0, 0, 10, a), chunk(1, 10, 15, b),
                                               chunk(2, 25, 5, c)}
                           << true;
    QTest::newRow("one chunk") << qint64(10) << QList<FileChunk>{chunk(0, 0, 10, a)} << true;
    QTest::newRow("missing tail") << qint64(30)
                                  << QList<FileChunk>{chunk(0, 0, 10, a), chunk(1, 10, 15, b)}
                                  << false;
    QTest::newRow("too long") << qint64(20)
                              << QList<FileChunk>{chunk(0, 0, 10, a), chunk(1, 10, 15, b)} << false;
    QTest::newRow("no chunks for bytes") << qint64(30) << QList<FileChunk>{} << false;
    // Sizes add up, offsets do not: a hole after A, then C runs past the end.
    QTest::newRow("gap") << qint64(30)
                         << QList<FileChunk>{chunk(0, 0, 10, a), chunk(1, 12, 15, b),
                                             chunk(2, 27, 5, c)}
                         << false;
    QTest::newRow("overlap") << qint64(30)
                             << QList<FileChunk>{chunk(0, 0, 10, a), chunk(1, 8, 15, b),
                                                 chunk(2, 25, 5, c)}
                             << false;
    QTest::newRow("missing index")
        << qint64(15) << QList<FileChunk>{chunk(0, 0, 10, a), chunk(2, 10, 5, c)} << false;
    QTest::newRow("does not start at 0")
        << qint64(15) << QList<FileChunk>{chunk(1, 0, 10, a), chunk(2, 10, 5, c)} << false;
    QTest::newRow("negative index")
        << qint64(15) << QList<FileChunk>{chunk(-1, 0, 10, a), chunk(1, 10, 5, c)} << false;
    QTest::newRow("order of offsets differs from order of indices")
        << qint64(15) << QList<FileChunk>{chunk(0, 5, 10, a), chunk(1, 0, 5, c)} << false;
}

void TestRegistry::completeFileRequiresAManifestThatTiles()
{
    QFETCH(qint64, size);
    QFETCH(QList<FileChunk>, manifest);
    QFETCH(bool, accepted);
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f = m_r->beginFile(m, QStringLiteral("w"), size, QStringLiteral("x")).value_or(0);
    QVERIFY(f > 0);
    QVERIFY(m_r->appendChunks(f, manifest));
    QCOMPARE(m_r->completeFile(f, QByteArray(64, 'f'), {}), accepted);
    const auto rec = m_r->file(m, QStringLiteral("w"));
    QVERIFY(rec);
    if (accepted) {
        QCOMPARE(rec->state, FileRecord::State::Complete);
        QCOMPARE(rec->sha256, QByteArray(64, 'f'));
    } else {
        QVERIFY(!m_r->lastError().isEmpty());
        QCOMPARE(rec->state, FileRecord::State::Incomplete);
        QCOMPARE(rec->sha256, QByteArray());
    }
}

void TestRegistry::completeFileAcceptsAnEmptyFile()
{
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f = m_r->beginFile(m, QStringLiteral("empty"), 0, QStringLiteral("x")).value_or(0);
    QVERIFY(f > 0);
    const QByteArray emptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    QVERIFY2(m_r->completeFile(f, emptySha, {}), qPrintable(m_r->lastError()));
    QCOMPARE(m_r->file(m, QStringLiteral("empty"))->state, FileRecord::State::Complete);
    QCOMPARE(m_r->file(m, QStringLiteral("empty"))->sha256, emptySha);
    QVERIFY(!m_r->completeFile(f + 1000, emptySha, {})); // no such file
}

// --------------------------------------------------------------------------------- placements

void TestRegistry::recordPlacementUpserts()
{
    buildVault(*m_r);
    Side side(dbPath());
    Placement p{m_c, m_p1, QStringLiteral("new-locator"), PlacementState::Stored,
                QDateTime::fromSecsSinceEpoch(1700000000)};
    QVERIFY(m_r->recordPlacement(p));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(6));
    auto got = m_r->placements(m_c);
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().locator, QStringLiteral("new-locator"));
    QCOMPARE(got.first().state, PlacementState::Stored);
    QCOMPARE(got.first().verifiedAt, QDateTime::fromSecsSinceEpoch(1700000000));
    // A new provider for the same chunk is a new row.
    QVERIFY(m_r->recordPlacement(placement(m_c, m_p2, PlacementState::Pending)));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(7));
    got = m_r->placements(m_c);
    QCOMPARE(got.size(), 2);
    QCOMPARE(got.at(0).providerId, m_p1);
    QCOMPARE(got.at(1).providerId, m_p2);
    QVERIFY(!got.at(1).verifiedAt.isValid());
    QVERIFY(m_r->removePlacement(m_c, m_p2));
    QCOMPARE(m_r->placements(m_c).size(), 1);
}

void TestRegistry::setPlacementState()
{
    buildVault(*m_r);
    QVERIFY(!m_r->placements(m_c).first().verifiedAt.isValid());
    QVERIFY(m_r->setPlacementState(m_c, m_p1, PlacementState::Corrupt));
    QCOMPARE(m_r->placements(m_c).first().state, PlacementState::Corrupt);
    QVERIFY(!m_r->placements(m_c).first().verifiedAt.isValid());
    const QDateTime before = QDateTime::currentDateTime().addSecs(-1);
    QVERIFY(m_r->setPlacementState(m_c, m_p1, PlacementState::Stored, true));
    const Placement p = m_r->placements(m_c).first();
    QCOMPARE(p.state, PlacementState::Stored);
    QVERIFY(p.verifiedAt.isValid());
    QVERIFY(p.verifiedAt >= before);
    // Other placements are not touched.
    QCOMPARE(m_r->placements(m_d).first().state, PlacementState::Corrupt);
    for (const auto& q : m_r->placements(m_a))
        QCOMPARE(q.state, PlacementState::Stored);
}

void TestRegistry::placementsOfModelAndChunkModelCounts()
{
    buildVault(*m_r);
    const auto of1 = m_r->placementsOfModel(m_m1);
    QCOMPARE(of1.size(), 3);
    QCOMPARE(of1.value(m_a).size(), 2);
    QCOMPARE(of1.value(m_a).at(0).providerId, m_p1);
    QCOMPARE(of1.value(m_a).at(1).providerId, m_p2);
    QCOMPARE(of1.value(m_b).size(), 2);
    QCOMPARE(of1.value(m_c).size(), 1);
    QCOMPARE(of1.value(m_c).first().state, PlacementState::Missing);
    QVERIFY(!of1.contains(m_d));
    const auto of2 = m_r->placementsOfModel(m_m2);
    QCOMPARE(of2.size(), 2);
    QVERIFY(of2.contains(m_a) && of2.contains(m_d));

    const auto counts = m_r->chunkModelCounts(m_m1);
    QCOMPARE(counts.size(), 3);
    QCOMPARE(counts.value(m_a), 2);
    QCOMPARE(counts.value(m_b), 1);
    QCOMPARE(counts.value(m_c), 1);
    // Two files of one model using the same chunk count that model once.
    const qint64 f3 =
        m_r->beginFile(m_m1, QStringLiteral("copy.bin"), 10, QStringLiteral("x")).value_or(0);
    QVERIFY(m_r->appendChunks(f3, {chunk(0, 0, 10, m_b)}));
    QCOMPARE(m_r->chunkModelCounts(m_m1).value(m_b), 1);
    QCOMPARE(m_r->chunkModelCounts(m_m2).value(m_a), 2);
    QCOMPARE(m_r->chunkModelCounts(m_m2).value(m_d), 1);
}

void TestRegistry::statsOnAHandBuiltVault()
{
    const VaultStats empty = m_r->stats();
    QCOMPARE(empty.models, 0);
    QCOMPARE(empty.storedBytes, qint64(0));
    buildVault(*m_r);
    const VaultStats s = m_r->stats();
    QCOMPARE(s.models, 2);
    QCOMPARE(s.files, 2);
    QCOMPARE(s.logicalBytes, qint64(50));
    QCOMPARE(s.uniqueBytes, qint64(40));
    QCOMPARE(s.storedBytes, qint64(30)); // A twice, B once
    QCOMPARE(s.chunks, 4);
    QCOMPARE(s.placements, 6);
    QCOMPARE(s.unhealthyPlacements, 2); // C missing, D corrupt
    const auto byProvider = m_r->storedBytesByProvider();
    QCOMPARE(byProvider.size(), 2);
    QCOMPARE(byProvider.value(m_p1), qint64(20));
    QCOMPARE(byProvider.value(m_p2), qint64(10));
}

void TestRegistry::dedupSavingsCountCompleteDataOnly()
{
    buildVault(*m_r);
    // Floats that have not finished save nothing, whatever their files share.
    QCOMPARE(m_r->stats().dedupSavedBytes(), qint64(0));
    QVERIFY(m_r->setModelState(m_m1, ModelRecord::State::Complete));
    QVERIFY(m_r->setModelState(m_m2, ModelRecord::State::Complete));
    // Complete: A is shared and stored (10 saved). C (missing) and D (corrupt) have no stored
    // copy: they count on neither side.
    QCOMPARE(m_r->stats().dedupSavedBytes(), qint64(10));
    // An unfinished float of a 1 MB file that has chunked 10 bytes so far, sharing A: the
    // 999,990 bytes never chunked were not deduplicated, and its one chunk saves nothing yet.
    const qint64 m3 = m_r->createModel(QStringLiteral("m3"), {}).value_or(0);
    const qint64 f3 =
        m_r->beginFile(m3, QStringLiteral("big.bin"), 1000000, QStringLiteral("fixed")).value_or(0);
    QVERIFY(f3 > 0);
    QVERIFY(m_r->appendChunks(f3, {chunk(0, 0, 10, m_a)}));
    // Its other file is complete, but the model is not: still no savings.
    const qint64 f3b =
        m_r->beginFile(m3, QStringLiteral("small.bin"), 20, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->appendChunks(f3b, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_b)}));
    QVERIFY(m_r->completeFile(f3b, QByteArray(64, 'd'), {}));
    const VaultStats s = m_r->stats();
    QCOMPARE(s.logicalBytes, qint64(1000070));
    QCOMPARE(s.referencedBytes, qint64(30));       // A twice, B once
    QCOMPARE(s.referencedUniqueBytes, qint64(20)); // A, B
    QCOMPARE(s.dedupSavedBytes(), qint64(10));
    // What "dedup saved" used to show: the missing part of the unfinished file.
    QCOMPARE(s.logicalBytes - s.uniqueBytes, qint64(1000030));
    // A complete model taken in from a catalog whose chunks are stored nowhere here (C twice):
    // nothing was kept once instead of twice.
    const qint64 m5 = m_r->createModel(QStringLiteral("m5"), {}).value_or(0);
    const qint64 f5 =
        m_r->beginFile(m5, QStringLiteral("gone.bin"), 20, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->appendChunks(f5, {chunk(0, 0, 10, m_c), chunk(1, 10, 10, m_c)}));
    QVERIFY(m_r->completeFile(f5, QByteArray(64, 'e'), {}));
    QVERIFY(m_r->setModelState(m5, ModelRecord::State::Complete));
    QCOMPARE(m_r->stats().dedupSavedBytes(), qint64(10));
    // A complete file made only of chunks already stored saves its whole size.
    const qint64 m4 = m_r->createModel(QStringLiteral("m4"), {}).value_or(0);
    const qint64 f4 =
        m_r->beginFile(m4, QStringLiteral("dup.bin"), 20, QStringLiteral("fixed")).value_or(0);
    QVERIFY(f4 > 0);
    QVERIFY(m_r->appendChunks(f4, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_b)}));
    QVERIFY(m_r->completeFile(f4, QByteArray(64, 'c'), {}));
    QVERIFY(m_r->setModelState(m4, ModelRecord::State::Complete));
    QCOMPARE(m_r->stats().dedupSavedBytes(), qint64(30));
}

void TestRegistry::badCopiesCountUntilReplaced()
{
    buildVault(*m_r);
    QCOMPARE(m_r->wantedCopies(), 2);
    QCOMPARE(m_r->stats().unhealthyPlacements, 2); // C missing, D corrupt
    // Repair made C's copies elsewhere (a third provider and the second): the missing copy's
    // record stays, but it is no longer a problem.
    const qint64 p3 = m_r->addProvider(providerRecord(QStringLiteral("p3"))).value_or(0);
    QVERIFY(p3 > 0);
    QVERIFY(m_r->recordPlacement(placement(m_c, m_p2, PlacementState::Stored)));
    QCOMPARE(m_r->stats().unhealthyPlacements, 2); // one copy of two wanted
    QVERIFY(m_r->recordPlacement(placement(m_c, p3, PlacementState::Stored)));
    QCOMPARE(m_r->stats().unhealthyPlacements, 1); // D only
}

void TestRegistry::jobs()
{
    const QJsonObject payload{{QStringLiteral("model"), QStringLiteral("m")},
                              {QStringLiteral("files"), QJsonArray{1, 2, 3}}};
    const auto j1 = m_r->addJob(QStringLiteral("float"), payload);
    const auto j2 = m_r->addJob(QStringLiteral("float"), {});
    const auto j3 = m_r->addJob(QStringLiteral("restore"), {});
    QVERIFY(j1 && j2 && j3);
    auto queued = m_r->jobs(QStringLiteral("float"), QStringLiteral("queued"));
    QCOMPARE(queued.size(), 2);
    QCOMPARE(queued.at(0).first, *j1);
    QCOMPARE(queued.at(0).second, payload);
    QCOMPARE(queued.at(1).first, *j2);
    QVERIFY(m_r->setJobState(*j1, QStringLiteral("running")));
    QVERIFY(m_r->setJobState(*j2, QStringLiteral("failed"), QStringLiteral("disk full")));
    QVERIFY(m_r->jobs(QStringLiteral("float"), QStringLiteral("queued")).isEmpty());
    QCOMPARE(m_r->jobs(QStringLiteral("float"), QStringLiteral("running")).size(), 1);
    QCOMPARE(m_r->jobs(QStringLiteral("restore"), QStringLiteral("queued")).size(), 1);
    QVERIFY(!m_r->setJobState(*j3, QStringLiteral("exploded"))); // not a state
    QCOMPARE(m_r->jobs(QStringLiteral("restore"), QStringLiteral("queued")).size(), 1);
    Side side(dbPath());
    QCOMPARE(
        side.scalar(QStringLiteral("SELECT error FROM jobs WHERE id = %1").arg(*j2)).toString(),
        QStringLiteral("disk full"));

    // Finished rows go when they are old enough; running and queued ones stay whatever their age.
    QVERIFY(m_r->pruneFinishedJobs(QDateTime::currentSecsSinceEpoch() - 3600));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 3);
    QVERIFY(m_r->pruneFinishedJobs(QDateTime::currentSecsSinceEpoch() + 1));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 2);
    QVERIFY(m_r->removeJob(*j1));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 1);

    // The history is bounded in number too: only the newest finished rows stay, and the queued
    // one whatever the limit.
    QList<qint64> finished;
    for (int i = 0; i < 4; ++i) {
        const auto j = m_r->addJob(QStringLiteral("float"), {});
        QVERIFY(j &&
                m_r->setJobState(*j, i % 2 ? QStringLiteral("done") : QStringLiteral("cancelled")));
        finished.append(*j);
    }
    QVERIFY(m_r->pruneFinishedJobs(0, 2));
    QCOMPARE(side.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")).toInt(), 3);
    QCOMPARE(side.scalar(QStringLiteral("SELECT MIN(id) FROM jobs WHERE state != 'queued'"))
                 .toLongLong(),
             finished.at(2));
    QCOMPARE(m_r->jobs(QStringLiteral("restore"), QStringLiteral("queued")).size(), 1);
}

// ------------------------------------------------------------------ connections, transactions

void TestRegistry::twoInstancesSeeEachOthersCommits()
{
    auto other = openRegistry();
    QVERIFY(other);
    QVERIFY(m_r->addProvider(providerRecord(QStringLiteral("from-one"))));
    QVERIFY(other->providerByName(QStringLiteral("from-one")));
    QVERIFY(other->setSetting(QStringLiteral("k"), QStringLiteral("from-two")));
    QCOMPARE(m_r->setting(QStringLiteral("k")), QStringLiteral("from-two"));
    // Uncommitted work is not visible until it commits.
    const bool ok = m_r->transaction([&] {
        if (!m_r->createModel(QStringLiteral("pending"), Source))
            return false;
        return !other->modelByName(QStringLiteral("pending")).has_value();
    });
    QVERIFY(ok);
    QVERIFY(other->modelByName(QStringLiteral("pending")));
}

void TestRegistry::nestedTransactionFailureRollsBackEverything()
{
    // The inner failure is ignored by the outer work, which returns true: the inner part cannot
    // be undone on its own once joined, so the whole transaction must roll back.
    bool innerResult = true;
    const bool outer = m_r->transaction([&] {
        if (!m_r->addProvider(providerRecord(QStringLiteral("outer"))))
            return false;
        innerResult = m_r->transaction([&] {
            return m_r->addProvider(providerRecord(QStringLiteral("inner"))).has_value() &&
                   false; // the inner work fails after writing
        });
        return true;
    });
    QVERIFY(!innerResult);
    QVERIFY(!outer);
    QVERIFY(m_r->providers().isEmpty());
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(0));

    // Propagated failure: same outcome.
    QVERIFY(!m_r->transaction([&] {
        return m_r->addProvider(providerRecord(QStringLiteral("outer"))).has_value() &&
               m_r->transaction([&] { return false; });
    }));
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(0));

    // And the registry is back to normal afterwards.
    QVERIFY(m_r->transaction([&] {
        return m_r->addProvider(providerRecord(QStringLiteral("a"))).has_value() &&
               m_r->transaction([&] {
                   return m_r->addProvider(providerRecord(QStringLiteral("b"))).has_value();
               });
    }));
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(2));
    QVERIFY(m_r->addProvider(providerRecord(QStringLiteral("c"))));
    QCOMPARE(side.count(QStringLiteral("providers")), qint64(3));
}

void TestRegistry::nestedRegistryCallFailureRollsBackEverything()
{
    const qint64 m = m_r->createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f = m_r->beginFile(m, QStringLiteral("w"), 20, QStringLiteral("x")).value_or(0);
    QVERIFY(f > 0);
    Side side(dbPath());
    // appendChunks runs its own (now nested) transaction and fails on the duplicate index.
    bool appended = true;
    const bool outer = m_r->transaction([&] {
        m_r->setSetting(QStringLiteral("marker"), QStringLiteral("1"));
        appended =
            m_r->appendChunks(f, {chunk(0, 0, 10, cidOf("A")), chunk(0, 10, 10, cidOf("B"))});
        return true;
    });
    QVERIFY(!appended);
    QVERIFY(!outer);
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(0));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(0));
    QCOMPARE(m_r->setting(QStringLiteral("marker")), QString());
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
            const auto m = r.createModel(QStringLiteral("model-%1").arg(t), Source);
            if (!m) {
                *error = r.lastError();
                return false;
            }
            for (int i = 0; i < Files; ++i) {
                const QString cidText =
                    cid::ofData(QByteArray(QByteArray::number(t) + '/' + QByteArray::number(i)));
                const auto f =
                    r.beginFile(*m, QStringLiteral("f%1").arg(i), 10, QStringLiteral("x"));
                if (!f || !r.appendChunks(*f, {chunk(0, 0, 10, cidText)}) ||
                    !r.completeFile(*f, QByteArray(64, 'a'), {})) {
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
    QCOMPARE(m_r->stats().files, Threads * Files);
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

// ---------------------------------------------------------------------------------- summaries

void TestRegistry::summaryHealth()
{
    buildVault(*m_r);
    auto summary = [&](qint64 model, int wanted) {
        return summarizeModel(*m_r, *m_r->model(model), wanted).health(wanted);
    };
    // Models start incomplete, whatever their replicas.
    QCOMPARE(summary(m_m1, 2), QStringLiteral("incomplete"));
    QVERIFY(m_r->setModelState(m_m1, ModelRecord::State::Complete));
    QVERIFY(m_r->setModelState(m_m2, ModelRecord::State::Complete));
    // M1: A 2 good, B 1 good (1 pending), C none (missing).
    QCOMPARE(summary(m_m1, 2), QStringLiteral("damaged"));
    QCOMPARE(summary(m_m1, 1), QStringLiteral("damaged"));
    QVERIFY(m_r->setPlacementState(m_c, m_p1, PlacementState::Stored));
    QCOMPARE(summary(m_m1, 1), QStringLiteral("healthy"));
    QCOMPARE(summary(m_m1, 2), QStringLiteral("degraded"));
    QVERIFY(m_r->setPlacementState(m_b, m_p2, PlacementState::Stored));
    QVERIFY(m_r->recordPlacement(placement(m_c, m_p2, PlacementState::Stored)));
    QCOMPARE(summary(m_m1, 2), QStringLiteral("healthy"));
    QCOMPARE(summary(m_m1, 3), QStringLiteral("degraded"));
    // M2: D's only copy is corrupt.
    QCOMPARE(summary(m_m2, 1), QStringLiteral("damaged"));
    QVERIFY(m_r->removePlacement(m_d, m_p2));
    QCOMPARE(summary(m_m2, 1), QStringLiteral("damaged"));
    // An incomplete model stays "incomplete" even when every chunk is safe.
    QVERIFY(m_r->setModelState(m_m1, ModelRecord::State::Incomplete));
    QCOMPARE(summary(m_m1, 2), QStringLiteral("incomplete"));
    // A complete model without chunks (only empty files) is healthy.
    const qint64 e = m_r->createModel(QStringLiteral("empty"), Source).value_or(0);
    const qint64 f = m_r->beginFile(e, QStringLiteral("0"), 0, QStringLiteral("x")).value_or(0);
    QVERIFY(m_r->completeFile(f, QByteArray(64, '0'), {}));
    QVERIFY(m_r->setModelState(e, ModelRecord::State::Complete));
    QCOMPARE(summary(e, 2), QStringLiteral("healthy"));
}

void TestRegistry::summaryNumbers()
{
    buildVault(*m_r);
    // A second file in M1 that repeats B twice.
    const qint64 f3 =
        m_r->beginFile(m_m1, QStringLiteral("b.bin"), 20, QStringLiteral("x")).value_or(0);
    QVERIFY(m_r->appendChunks(f3, {chunk(0, 0, 10, m_b), chunk(1, 10, 10, m_b)}));
    QVERIFY(m_r->setModelState(m_m1, ModelRecord::State::Complete));
    const ModelSummary s = summarizeModel(*m_r, *m_r->model(m_m1), 2);
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

    const ModelSummary s2 = summarizeModel(*m_r, *m_r->model(m_m2), 1);
    QCOMPARE(s2.uniqueChunks, 2);
    QCOMPARE(s2.minReplicas, 0); // D is corrupt only
    QCOMPARE(s2.lost, 1);
    QCOMPARE(s2.sharedBytes, qint64(10));

    const qint64 bare = m_r->createModel(QStringLiteral("bare"), Source).value_or(0);
    QVERIFY(m_r->model(bare));
    const ModelSummary s3 = summarizeModel(*m_r, *m_r->model(bare), 2);
    QCOMPARE(s3.files, 0);
    QCOMPARE(s3.uniqueChunks, 0);
    QCOMPARE(s3.minReplicas, 0);
    QCOMPARE(s3.lost, 0);
}

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
