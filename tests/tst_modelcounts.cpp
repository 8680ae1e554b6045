// The counts the registry keeps for each model (schema 14: chunks.copies, model_copies, and their
// triggers), which `list`, the API's model list and summarizeModels() read instead of summing
// every chunk. A wrong count there can show a model "healthy" that does not restore, so they are
// held against summarizeModel(), which sums from the rows themselves: after every step of long
// random runs through the registry's own writers, and after an upgrade that counts an old vault.

#include "chunking/cid.h"
#include "queryplan.h"
#include "registry/healthqueries.h"
#include "registry/migrations.h"
#include "registry/modelsummary.h"
#include "registry/registry.h"
#include "schemarewind.h"

#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>
#include <memory>

using namespace mf;

namespace {

constexpr qint64 ChunkSize = 10;

ProviderRecord providerRecord(const QString& name)
{
    ProviderRecord r;
    r.kind = QStringLiteral("local");
    r.name = name;
    r.settings.insert(QStringLiteral("path"), QString(QStringLiteral("/srv/") + name));
    r.quotaBytes = 1 << 30;
    return r;
}

// What the two summaries must agree on, printed whole when they do not.
QString describe(const ModelSummary& s, int wanted)
{
    return QStringLiteral("%1: files %2, bytes %3, unique %4, min %5, under %6, lost %7, %8")
        .arg(s.model.name)
        .arg(s.files)
        .arg(s.bytes)
        .arg(s.uniqueChunks)
        .arg(s.minReplicas)
        .arg(s.underReplicated)
        .arg(s.lost)
        .arg(s.health(wanted));
}

// A locator in one of the forms providers give (the CID, a prefix and the CID, an id of its own),
// which the registry keeps in as many ways (schema 15).
QString locatorOf(QRandomGenerator& random, const QString& cid)
{
    switch (random.bounded(3)) {
    case 0:
        return cid;
    case 1:
        return QStringLiteral("vault/chunks/") + cid;
    default:
        return QStringLiteral("id-") + QString::number(random.bounded(1000));
    }
}

} // namespace

class TestModelCounts final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void countsFollowEveryWriter_data();
    void countsFollowEveryWriter();
    void upgradeCountsAnExistingVault();
    void upgradeRebuildsTablesKeepingEveryRow();
    void countedRowsKeepWhatTheyCount();
    void fewRowsAreFoundThroughTheirIndexes();
    void aPageOfModelsReadsOnlyItsOwnChunks();

private:
    // Fails the test at the first model whose kept counts differ from the sums of its rows.
    void compareWithSums(const QString& step);
    // A few models of chunks from a small pool (repeats within a file, a model and across
    // models), some complete, with copies in every state on three providers.
    void buildVault(QRandomGenerator& random, int models);
    QString randomCid(QRandomGenerator& random) const;
    // Runs `use` on a plain SQLite connection to the registry's file, of its own, as any other
    // reader or writer of the file has; false (and a warning) when it cannot be opened.
    bool onSideConnection(const std::function<void(QSqlQuery&)>& use);
    // Through a connection of its own, as any writer of the file could.
    bool deleteFile(qint64 id);
    // The chunks some manifest row uses, those below index 0 included (an interrupted scan's,
    // which keep their chunks from collection: beginFile()).
    QSet<QString> chunksInManifests();
    // HealthRows::stats()'s unique bytes, chunks, placements, unhealthy placements, referenced
    // bytes, the same counted once, and stored bytes, each summed over every row it covers.
    QList<qint64> sumStats(int wanted);
    // The values of one row of SQL, through a connection of its own.
    QList<qint64> readRow(const QString& sql);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Registry> m_r;
    QString m_path; // the registry's file
    QStringList m_pool;
    QList<qint64> m_providers;
    int m_models = 0; // made so far: the next one's name
};

void TestModelCounts::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    QString error;
    m_path = m_dir->filePath(QStringLiteral("registry.sqlite"));
    m_r = Registry::open(m_path, &error);
    QVERIFY2(m_r, qPrintable(error));
    m_pool.clear();
    for (int i = 0; i < 12; ++i)
        m_pool.append(cid::ofData(QByteArray::number(i)));
    m_providers.clear();
    m_models = 0;
    for (const char* name : {"p1", "p2", "p3"})
        m_providers.append(
            m_r->providerRows().addProvider(providerRecord(QLatin1String(name))).value_or(0));
    QVERIFY(!m_providers.contains(0));
}

void TestModelCounts::cleanup()
{
    m_r.reset();
    m_dir.reset();
}

QString TestModelCounts::randomCid(QRandomGenerator& random) const
{
    return m_pool.at(random.bounded(int(m_pool.size())));
}

bool TestModelCounts::onSideConnection(const std::function<void(QSqlQuery&)>& use)
{
    const QString name = QStringLiteral("side");
    bool opened = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(m_path);
        opened = db.open();
        if (opened) {
            QSqlQuery q(db);
            use(q);
        } else {
            qWarning() << db.lastError().text();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return opened;
}

bool TestModelCounts::deleteFile(qint64 id)
{
    bool ok = false;
    onSideConnection([&](QSqlQuery& q) {
        ok = q.exec(QStringLiteral("PRAGMA foreign_keys=ON")) &&
             q.exec(QStringLiteral("DELETE FROM files WHERE id = %1").arg(id));
        if (!ok)
            qWarning() << q.lastError().text();
    });
    return ok;
}

QList<qint64> TestModelCounts::readRow(const QString& sql)
{
    QList<qint64> out;
    onSideConnection([&](QSqlQuery& q) {
        if (q.exec(sql) && q.next())
            for (int i = 0; i < q.record().count(); ++i)
                out.append(q.value(i).toLongLong());
        else
            qWarning() << sql << q.lastError().text();
    });
    return out;
}

QList<qint64> TestModelCounts::sumStats(int wanted)
{
    const QString references = QStringLiteral(
        "file_chunks fc JOIN files f ON f.id = fc.file_id JOIN models m ON m.id = f.model_id JOIN "
        "chunks c ON c.cid = fc.cid WHERE f.state = 'complete' AND m.state = 'complete' AND "
        "EXISTS (SELECT 1 FROM placements s WHERE s.cid = fc.cid AND s.state = 'stored')");
    return readRow(
        QStringLiteral(
            "SELECT (SELECT COALESCE(SUM(size), 0) FROM chunks), (SELECT COUNT(*) FROM chunks), "
            "(SELECT COUNT(*) FROM placements WHERE locator != ''), (SELECT COUNT(*) FROM "
            "placements b WHERE b.state IN ('missing', 'corrupt') AND (SELECT COUNT(*) FROM "
            "placements g WHERE g.cid = b.cid AND g.state = 'stored') < %1), (SELECT "
            "COALESCE(SUM(c.size), 0) FROM %2), (SELECT COALESCE(SUM(size), 0) FROM chunks WHERE "
            "cid IN (SELECT c.cid FROM %2)), (SELECT COALESCE(SUM(c.size), 0) FROM placements p "
            "JOIN chunks c ON c.cid = p.cid WHERE p.state = 'stored')")
            .arg(wanted)
            .arg(references));
}

QSet<QString> TestModelCounts::chunksInManifests()
{
    QSet<QString> out;
    onSideConnection([&](QSqlQuery& q) {
        if (q.exec(QStringLiteral("SELECT DISTINCT cid FROM file_chunks")))
            while (q.next())
                out.insert(q.value(0).toString());
        else
            qWarning() << q.lastError().text();
    });
    return out;
}

void TestModelCounts::compareWithSums(const QString& step)
{
    // Each provider's stored copies and bytes, as `stats` and the providers view show them.
    QHash<qint64, qint64> summedBytes;
    qint64 summedTotal = 0;
    for (qint64 p : std::as_const(m_providers))
        for (const QString& c : std::as_const(m_pool))
            for (const Placement& placement : m_r->placementRows().placements(c))
                if (placement.providerId == p && placement.state == PlacementState::Stored) {
                    summedBytes[p] += *m_r->placementRows().chunkSize(c);
                    summedTotal += *m_r->placementRows().chunkSize(c);
                }
    if (m_r->healthRows().storedBytesByProvider() != summedBytes ||
        m_r->healthRows().stats().storedBytes != summedTotal)
        QFAIL(qPrintable(QStringLiteral("after %1, the providers' stored bytes are wrong: kept "
                                        "%2 in all, summed %3")
                             .arg(step)
                             .arg(m_r->healthRows().stats().storedBytes)
                             .arg(summedTotal)));
    // `stats`, against its definitions summed over every row (as it was read before schema 14).
    const VaultStats stats = m_r->healthRows().stats();
    const QList<qint64> summedStats = sumStats(m_r->healthRows().wantedCopies());
    const QList<qint64> keptStats = {stats.uniqueBytes,     stats.chunks,
                                     stats.placements,      stats.unhealthyPlacements,
                                     stats.referencedBytes, stats.referencedUniqueBytes,
                                     stats.storedBytes};
    if (keptStats != summedStats) {
        QStringList k, t;
        for (qint64 v : keptStats)
            k.append(QString::number(v));
        for (qint64 v : summedStats)
            t.append(QString::number(v));
        QFAIL(qPrintable(QStringLiteral("after %1, stats kept %2, summed %3")
                             .arg(step, k.join(QLatin1Char(' ')), t.join(QLatin1Char(' ')))));
    }

    // The orphans rm and collect free, as the manifests say.
    const QSet<QString> used = chunksInManifests();
    QStringList summedOrphans;
    for (const QString& c : std::as_const(m_pool))
        if (m_r->placementRows().chunkSize(c) && !used.contains(c))
            summedOrphans.append(c);
    QStringList keptOrphans;
    for (const auto& orphan : m_r->placementRows().orphanChunks())
        keptOrphans.append(orphan.first);
    summedOrphans.sort();
    keptOrphans.sort();
    if (keptOrphans != summedOrphans)
        QFAIL(qPrintable(QStringLiteral("after %1, orphans kept %2, summed %3")
                             .arg(step, keptOrphans.join(QLatin1Char(' ')),
                                  summedOrphans.join(QLatin1Char(' ')))));

    const int wanted = m_r->healthRows().wantedCopies();
    const QList<ModelRecord> models = m_r->modelRows().models();
    const QList<ModelSummary> kept = summarizeModels(*m_r, models, wanted);
    QCOMPARE(kept.size(), models.size());
    for (qsizetype i = 0; i < models.size(); ++i) {
        const ModelSummary summed = summarizeModel(*m_r, models.at(i), wanted);
        QString keptText = describe(kept.at(i), wanted);
        QString summedText = describe(summed, wanted);
        // An incomplete model being floated again keeps its interrupted scan's chunks counted
        // (beginFile()) until its file completes; what it shows is "incomplete" either way.
        if (models.at(i).state != ModelRecord::State::Complete) {
            keptText = QStringLiteral("%1 %2 %3")
                           .arg(kept.at(i).files)
                           .arg(kept.at(i).bytes)
                           .arg(kept.at(i).health(wanted));
            summedText = QStringLiteral("%1 %2 %3")
                             .arg(summed.files)
                             .arg(summed.bytes)
                             .arg(summed.health(wanted));
        }
        if (keptText != summedText)
            QFAIL(qPrintable(
                QStringLiteral("after %1, kept %2, summed %3").arg(step, keptText, summedText)));
    }
}

void TestModelCounts::buildVault(QRandomGenerator& random, int models)
{
    for (int m = 0; m < models; ++m) {
        const auto model =
            m_r->modelRows().createModel(QStringLiteral("m%1").arg(m_models++), QString());
        QVERIFY(model);
        for (int f = 0; f < 1 + random.bounded(3); ++f) {
            const int chunks = random.bounded(5); // an empty file too
            const auto file = m_r->modelRows().beginFile(
                *model, QStringLiteral("f%1").arg(f), chunks * ChunkSize, QStringLiteral("fixed"));
            QVERIFY(file);
            QList<FileChunk> manifest;
            for (int c = 0; c < chunks; ++c)
                manifest.append(FileChunk{c, c * ChunkSize, ChunkSize, randomCid(random)});
            QVERIFY(m_r->modelRows().appendChunks(*file, manifest));
            if (random.bounded(4) != 0)
                QVERIFY(m_r->modelRows().completeFile(*file, QByteArray(64, 'a'), {}));
        }
        const QList<FileRecord> files = m_r->modelRows().files(*model);
        const bool allComplete = std::all_of(files.cbegin(), files.cend(), [](const FileRecord& f) {
            return f.state == FileRecord::State::Complete;
        });
        if (random.bounded(3) != 0 && allComplete)
            QVERIFY(m_r->modelRows().completeModel(*model, leaseowner::processLeaseOwner()));
    }
    for (const QString& c : std::as_const(m_pool))
        for (qint64 p : std::as_const(m_providers))
            if (m_r->placementRows().chunkSize(c) && random.bounded(3) != 0)
                QVERIFY(m_r->placementRows().recordPlacement(
                    Placement{c, p, c, PlacementState(random.bounded(4)), {}}));
}

// Every writer of placements, manifests, files and models, in random order, with the counts
// checked after each: a trigger missing for one path shows as a difference at that step.
void TestModelCounts::countsFollowEveryWriter_data()
{
    QTest::addColumn<quint32>("seed");
    for (quint32 seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u})
        QTest::addRow("seed %u", seed) << seed;
}

void TestModelCounts::countsFollowEveryWriter()
{
    QFETCH(quint32, seed);
    QRandomGenerator random(seed);
    buildVault(random, 6);
    compareWithSums(QStringLiteral("building the vault"));
    if (QTest::currentTestFailed())
        return;
    int providerNumber = 4;
    for (int step = 0; step < 150; ++step) {
        const QString cid = randomCid(random);
        const qint64 provider = m_providers.at(random.bounded(int(m_providers.size())));
        const QList<ModelRecord> models = m_r->modelRows().models();
        QString what;
        switch (random.bounded(10)) {
        case 0:
        case 1:
            what = QStringLiteral("recordPlacement");
            if (m_r->placementRows().chunkSize(cid))
                QVERIFY(m_r->placementRows().recordPlacement(Placement{
                    cid, provider, locatorOf(random, cid), PlacementState(random.bounded(4)), {}}));
            break;
        case 2:
            what = QStringLiteral("setPlacementState");
            m_r->placementRows().setPlacementState(cid, provider, PlacementState(random.bounded(4)),
                                                   random.bounded(2) == 1);
            break;
        case 3:
            what = QStringLiteral("removePlacement");
            QVERIFY(m_r->placementRows().removePlacement(cid, provider));
            break;
        case 4:
            what = QStringLiteral("beginPlacement and recordStored or abandonPlacement");
            if (m_r->placementRows().chunkSize(cid) &&
                m_r->placementRows().beginPlacement(cid, provider) ==
                    PlacementRows::PlacementIntent::Go) {
                if (random.bounded(2) == 1)
                    QVERIFY(m_r->placementRows().recordStored(cid, provider, locatorOf(random, cid),
                                                              ChunkSize));
                else
                    m_r->placementRows().abandonPlacement(cid, provider);
            }
            break;
        case 5:
            what = QStringLiteral("recordScrub");
            m_r->scrubRows().recordScrub(cid, provider,
                                         random.bounded(2) ? ScrubRows::ScrubPass::Read
                                                           : ScrubRows::ScrubPass::Check,
                                         PlacementState(1 + random.bounded(3)));
            break;
        case 6:
            what = QStringLiteral("removeModel");
            if (!models.isEmpty())
                QVERIFY(
                    m_r->modelRows().removeModel(models.at(random.bounded(int(models.size()))).id));
            break;
        case 7: {
            what = QStringLiteral("a new model, or an incomplete file floated again");
            buildVault(random, 1);
            for (const ModelRecord& m : models)
                for (const FileRecord& f : m_r->modelRows().files(m.id))
                    if (f.state == FileRecord::State::Incomplete &&
                        m_r->modelRows()
                                .claimModel(m.name, m.source, leaseowner::processLeaseOwner())
                                .status == ModelRows::ModelClaim::Status::Resumed) {
                        const auto again = m_r->modelRows().beginFile(m.id, f.path, 2 * ChunkSize,
                                                                      QStringLiteral("fixed"));
                        QVERIFY(again);
                        QVERIFY(m_r->modelRows().appendChunks(
                            *again, {FileChunk{0, 0, ChunkSize, cid},
                                     FileChunk{1, ChunkSize, ChunkSize, randomCid(random)}}));
                        if (random.bounded(2) == 1)
                            QVERIFY(m_r->modelRows().completeFile(*again, QByteArray(64, 'b'), {}));
                        break;
                    }
            break;
        }
        case 8:
            what = QStringLiteral("removeChunk of the orphans");
            for (const auto& orphan : m_r->placementRows().orphanChunks())
                QVERIFY(m_r->placementRows().removeChunk(orphan.first));
            break;
        case 9:
            if (random.bounded(3) == 0) {
                // As a catalog import replaces a model's files (catalogrows.cpp).
                what = QStringLiteral("a file deleted");
                const QList<FileRecord> files =
                    models.isEmpty()
                        ? QList<FileRecord>()
                        : m_r->modelRows().files(models.at(random.bounded(int(models.size()))).id);
                if (!files.isEmpty())
                    QVERIFY(deleteFile(files.at(random.bounded(int(files.size()))).id));
                break;
            }
            what = QStringLiteral("removeProvider and a new one");
            if (random.bounded(4) == 0) {
                QVERIFY(m_r->providerRows().removeProvider(provider));
                m_providers.removeOne(provider);
                const auto added = m_r->providerRows().addProvider(
                    providerRecord(QStringLiteral("p%1").arg(providerNumber++)));
                QVERIFY(added);
                m_providers.append(*added);
            } else {
                what = QStringLiteral("reopenModelWithLostChunks");
                if (!models.isEmpty())
                    QVERIFY(m_r->catalogRows().reopenModelWithLostChunks(
                        models.at(random.bounded(int(models.size()))).id));
            }
            break;
        }
        compareWithSums(QStringLiteral("step %1 (%2)").arg(step).arg(what));
        if (QTest::currentTestFailed())
            return;
    }
}

// A vault from before schema 14 is counted when it is opened: its counts are those of the rows.
void TestModelCounts::upgradeCountsAnExistingVault()
{
    QRandomGenerator random(42);
    buildVault(random, 8);
    m_r.reset();
    QString failed = QStringLiteral("not run");
    bool countsLeft = true;
    QVERIFY(onSideConnection([&](QSqlQuery& q) {
        failed = test::rewindSchema(q, 13);
        if (!failed.isEmpty())
            failed += QLatin1Char(' ') + q.lastError().text();
        countsLeft = q.exec(QStringLiteral("SELECT COUNT(*) FROM model_copies"));
    }));
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    // Before the upgrade the counts are gone; after it they must be right again.
    QVERIFY(!countsLeft);
    QString error;
    m_r = Registry::open(m_path, &error);
    QVERIFY2(m_r, qPrintable(error));
    QCOMPARE(m_r->schemaVersion(), migrations::latestVersion());
    compareWithSums(QStringLiteral("the upgrade"));
}

// Schema 15 rebuilds chunks, file_chunks and placements and keeps locators short: every row, every
// count and every locator is as it was at schema 14, and the triggers made again keep counting.
void TestModelCounts::upgradeRebuildsTablesKeepingEveryRow()
{
    QRandomGenerator random(15);
    buildVault(random, 8);
    // Copies under a prefix and under ids of their own beside those named by their CID.
    int n = 0;
    for (const QString& cid : std::as_const(m_pool)) {
        if (!m_r->placementRows().chunkSize(cid))
            continue;
        const qint64 provider = m_providers.at(n % m_providers.size());
        QVERIFY(m_r->placementRows().recordPlacement(
            Placement{cid, provider, locatorOf(random, cid), PlacementState(n % 4), {}}));
        ++n;
    }
    QVERIFY(n > 10);
    const QStringList tables = {
        QStringLiteral("SELECT cid, provider_id, locator, state, verified_at, stored_at, "
                       "checked_at FROM placements ORDER BY cid, provider_id"),
        QStringLiteral(
            "SELECT cid, size, dag_cid, dag_size, copies, refs FROM chunks ORDER BY cid"),
        QStringLiteral("SELECT file_id, idx, offset, cid FROM file_chunks ORDER BY file_id, idx"),
        QStringLiteral("SELECT model_id, copies, chunks FROM model_copies ORDER BY 1, 2"),
        QStringLiteral("SELECT * FROM vault_counts"),
        QStringLiteral("SELECT id, stored_chunks, stored_bytes, used_bytes FROM providers"),
    };
    auto read = [&](QSqlQuery& q) {
        QStringList rows;
        for (const QString& sql : tables) {
            if (!q.exec(sql))
                return QStringList{sql + QLatin1Char(' ') + q.lastError().text()};
            while (q.next()) {
                QStringList values;
                for (int i = 0; i < q.record().count(); ++i)
                    values.append(q.value(i).isNull() ? QStringLiteral("NULL")
                                                      : q.value(i).toString());
                rows.append(values.join(QLatin1Char('|')));
            }
        }
        return rows;
    };
    m_r.reset();
    QStringList before; // at schema 14, after its own step counted the vault afresh
    // Schema 14 as its release made it: rewound to 13, then its own step run again.
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("14"));
        db.setDatabaseName(m_path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        const QString failed = test::rewindSchema(q, 13);
        QVERIFY2(failed.isEmpty(), qPrintable(failed + QLatin1Char(' ') + q.lastError().text()));
        QString error;
        QVERIFY2(migrations::migrateTo(db, 14, &error), qPrintable(error));
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM placements WHERE locator = cid")) &&
                q.next());
        QVERIFY(q.value(0).toInt() > 0); // written out in full, as schema 14 kept them
        before = read(q);
    }
    QSqlDatabase::removeDatabase(QStringLiteral("14"));
    QString error;
    m_r = Registry::open(m_path, &error);
    QVERIFY2(m_r, qPrintable(error));
    QCOMPARE(m_r->schemaVersion(), migrations::latestVersion());
    QStringList after;
    QVERIFY(onSideConnection([&](QSqlQuery& q) { after = read(q); }));
    QCOMPARE(after, before);
    QVERIFY(onSideConnection([&](QSqlQuery& q) {
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM placements WHERE short_locator IS "
                                      "NULL")) &&
                q.next());
        QVERIFY(q.value(0).toInt() > 0);
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_schema WHERE name IN "
                                      "('chunks', 'file_chunks', 'placements') AND sql LIKE "
                                      "'%WITHOUT ROWID'")) &&
                q.next());
        QCOMPARE(q.value(0).toInt(), 3);
    }));
    compareWithSums(QStringLiteral("the upgrade"));
    // The triggers made again count as before: a model removed, chunks forgotten.
    const QList<ModelRecord> models = m_r->modelRows().models();
    QVERIFY(!models.isEmpty());
    QVERIFY(m_r->modelRows().removeModel(models.first().id));
    for (const auto& [cid, size] : m_r->placementRows().orphanChunks())
        QVERIFY(m_r->placementRows().removeChunk(cid));
    compareWithSums(QStringLiteral("a removal after the upgrade"));
}

// The triggers count a manifest row's chunk for its file's model, and a chunk's bytes; a row moved
// to another chunk or file, a file to another model, or a chunk given another size would leave
// the counts wrong, so the registry refuses it.
void TestModelCounts::countedRowsKeepWhatTheyCount()
{
    QRandomGenerator random(7);
    buildVault(random, 2);
    // Each refusal, and the message that says why.
    const QList<QPair<QString, QString>> refused = {
        {QStringLiteral("UPDATE file_chunks SET cid = '%1'").arg(m_pool.at(0)),
         QStringLiteral("keeps its chunk")},
        {QStringLiteral("UPDATE files SET model_id = model_id + 1"),
         QStringLiteral("stays in its model")},
        {QStringLiteral("UPDATE chunks SET size = size + 1"),
         QStringLiteral("keeps its CID and size")},
    };
    QStringList failures;
    QVERIFY(onSideConnection([&](QSqlQuery& q) {
        for (const auto& [sql, why] : refused)
            if (q.exec(sql) || !q.lastError().text().contains(why))
                failures.append(sql + QStringLiteral(": ") + q.lastError().text());
        // Its index may change: beginFile() moves an interrupted scan's rows below 0.
        if (!q.exec(QStringLiteral("UPDATE file_chunks SET idx = -1 - idx")))
            failures.append(q.lastError().text());
    }));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

// What is not counted is found through partial indexes of the few rows it needs: orphans (rm,
// collect), chunks with no stored copy and copies found bad (stats). Each query below is the one
// the registry runs (registry.cpp, vaultstats.cpp); its condition must stay the index's, or
// SQLite reads every chunk or placement of the vault again, and the plan says so.
void TestModelCounts::fewRowsAreFoundThroughTheirIndexes()
{
    QRandomGenerator random(3);
    buildVault(random, 2);
    const QList<QPair<QString, QString>> queries = {
        {QStringLiteral("SELECT cid, size FROM chunks WHERE refs = 0 ORDER BY cid"),
         QStringLiteral("chunks_orphaned")},
        {QStringLiteral("SELECT COUNT(*) FROM placements b JOIN chunks c ON c.cid = b.cid WHERE "
                        "b.state IN ('missing', 'corrupt') AND c.copies < 2"),
         QStringLiteral("placements_bad")},
        // A provider's copies in any state but stored (ProviderRows::providerContents()): no index
        // lists all of a provider's placements since schema 15.
        {QStringLiteral("SELECT COUNT(*) FROM placements WHERE provider_id = 1 AND state <> "
                        "'stored'"),
         QStringLiteral("placements_unstored")},
        {QStringLiteral("SELECT COALESCE(SUM(c.size), 0) FROM chunks c CROSS JOIN file_chunks fc "
                        "ON fc.cid = c.cid JOIN files f ON f.id = fc.file_id JOIN models m ON "
                        "m.id = f.model_id WHERE c.copies = 0 AND f.state = 'complete' AND "
                        "m.state = 'complete'"),
         QStringLiteral("chunks_lost")},
    };
    for (const auto& [sql, index] : queries) {
        const QString plan = test::queryPlan(m_path, sql);
        QVERIFY2(plan.contains(QStringLiteral("USING INDEX ") + index) ||
                     plan.contains(QStringLiteral("USING COVERING INDEX ") + index),
                 qPrintable(sql + QLatin1Char('\n') + plan));
    }
}

// The web page's and the API's page of 100 models asks, model by model, for its chunks stored as
// shards. Seen: that query's plan started from every chunk of the vault (SCAN c), so the first
// 100 of 10,000 models took 370 ms instead of a few. For one model it reads that model's files
// and their chunks only; for all models, the few chunks with no copy.
void TestModelCounts::aPageOfModelsReadsOnlyItsOwnChunks()
{
    QRandomGenerator random(5);
    buildVault(random, 2);
    // The model's id as a literal: Qt plans no query with a parameter left unbound.
    const QString one = test::queryPlan(
        m_path, healthqueries::shardedChunks(true).replace(QLatin1Char('?'), QLatin1Char('1')));
    QVERIFY2(!one.contains(QStringLiteral("SCAN")), qPrintable(one));
    QVERIFY2(one.startsWith(QStringLiteral("SEARCH f ")), qPrintable(one));
    const QString all = test::queryPlan(m_path, healthqueries::shardedChunks(false));
    QVERIFY2(all.contains(QStringLiteral("SCAN c USING INDEX chunks_lost")), qPrintable(all));
}

QTEST_GUILESS_MAIN(TestModelCounts)
#include "tst_modelcounts.moc"
