// How the registry keeps placements (schema 15): under 300 bytes each in a big vault (issue 17),
// with a locator kept short when the chunk's CID gives it and read back exactly as the provider
// gave it in every form providers use.

#include "chunking/cid.h"
#include "registry/registry.h"

#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace mf;

namespace {

ProviderRecord providerRecord(const QString& name)
{
    ProviderRecord r;
    r.kind = QStringLiteral("local");
    r.name = name;
    r.settings.insert(QStringLiteral("path"), QString(QStringLiteral("/srv/") + name));
    return r;
}

QString cidOf(int n)
{
    return cid::ofData(QByteArray::number(n));
}

} // namespace

class TestRegistrySize final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void placementsTakeUnder300Bytes();
    void locatorsReadBackAsWritten_data();
    void locatorsReadBackAsWritten();
    void locatorEndingInSlashIsRefused();

private:
    // The placement's short_locator as the file holds it, through a connection of its own.
    QVariant keptLocator(const QString& cid, qint64 provider);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Registry> m_r;
    QString m_path;
    qint64 m_p1 = 0, m_p2 = 0, m_file = 0;
};

void TestRegistrySize::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(QStringLiteral("registry.sqlite"));
    QString error;
    m_r = Registry::open(m_path, &error);
    QVERIFY2(m_r, qPrintable(error));
    m_p1 = m_r->providerRows().addProvider(providerRecord(QStringLiteral("p1"))).value_or(0);
    m_p2 = m_r->providerRows().addProvider(providerRecord(QStringLiteral("p2"))).value_or(0);
    QVERIFY(m_p1 > 0 && m_p2 > 0);
    const auto model = m_r->modelRows().createModel(QStringLiteral("m"), QString());
    QVERIFY(model);
    m_file = m_r->modelRows()
                 .beginFile(*model, QStringLiteral("w.bin"), 0, QStringLiteral("fixed"))
                 .value_or(0);
    QVERIFY(m_file > 0);
}

void TestRegistrySize::cleanup()
{
    m_r.reset();
    m_dir.reset();
}

QVariant TestRegistrySize::keptLocator(const QString& cid, qint64 provider)
{
    QVariant kept = QStringLiteral("(no row)");
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("side"));
        db.setDatabaseName(m_path);
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral(
                "SELECT short_locator FROM placements WHERE cid = ? AND provider_id = ?"));
            q.addBindValue(cid);
            q.addBindValue(provider);
            if (q.exec() && q.next())
                kept = q.value(0);
            else
                kept = q.lastError().text();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("side"));
    return kept;
}

// bench/bigvault.sh measured 403 bytes per placement at 2,000,000 placements (issue 17 asks for
// under 300): most of it the chunk's CID, written in the chunk's row and its key's index, in the
// placement's row (twice: key and locator) and its key's index, and in the manifest's row and
// index. The same shape here, smaller: chunks of one file, each stored on two providers as a float
// stores them, one provider naming objects by the CID (a local folder) and one under a prefix (S3).
void TestRegistrySize::placementsTakeUnder300Bytes()
{
    constexpr int Chunks = 10000;
    constexpr int Batch = 500;
    for (int first = 0; first < Chunks; first += Batch) {
        QList<FileChunk> manifest;
        for (int i = first; i < first + Batch; ++i)
            manifest.append(FileChunk{i, qint64(i) << 20, 1 << 20, cidOf(i)});
        QVERIFY(m_r->modelRows().appendChunks(m_file, manifest));
    }
    // A batch of chunks per transaction: the rows are the same as one commit each makes, and
    // 40,000 commits took past Qt Test's 300 s per function on a busy machine.
    for (int first = 0; first < Chunks; first += Batch) {
        const bool stored = m_r->transaction([&] {
            PlacementRows& rows = m_r->placementRows();
            for (int i = first; i < first + Batch; ++i) {
                const QString cid = cidOf(i);
                for (const qint64 provider : {m_p1, m_p2}) {
                    if (rows.beginPlacement(cid, provider) != PlacementRows::PlacementIntent::Go ||
                        !rows.recordStored(cid, provider, cid, 1 << 20))
                        return false;
                }
            }
            return true;
        });
        QVERIFY2(stored, qPrintable(m_r->lastError()));
    }
    QCOMPARE(m_r->placementRows().placements(cidOf(Chunks / 2)).size(), 2);
    m_r.reset();
    qint64 bytes = 0;
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("size"));
        db.setDatabaseName(m_path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        // The pages in use, the write-ahead log folded in: the file as a vault at rest has it.
        QVERIFY(q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        QVERIFY(q.exec(QStringLiteral("SELECT (SELECT page_count FROM pragma_page_count) - "
                                      "(SELECT freelist_count FROM pragma_freelist_count), "
                                      "(SELECT page_size FROM pragma_page_size)")) &&
                q.next());
        bytes = q.value(0).toLongLong() * q.value(1).toLongLong();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("size"));
    const qint64 perPlacement = bytes / (2 * Chunks);
    qInfo() << "registry:" << bytes << "bytes," << perPlacement << "per placement";
    QVERIFY2(perPlacement < 300, qPrintable(QString::number(perPlacement)));
}

void TestRegistrySize::locatorsReadBackAsWritten_data()
{
    QTest::addColumn<QString>("locator");
    QTest::addColumn<QVariant>("kept"); // what the row holds; invalid: SQL NULL
    const QString cid = cidOf(1);
    QTest::newRow("the CID (local folder, WebDAV)") << cid << QVariant();
    QTest::newRow("a prefix and the CID (S3)")
        << QStringLiteral("vault/chunks/") + cid << QVariant(QStringLiteral("vault/chunks/"));
    QTest::newRow("a slash and the CID")
        << QStringLiteral("/") + cid << QVariant(QStringLiteral("/"));
    QTest::newRow("an id (Drive)")
        << QStringLiteral("1Zx_9-aBc") << QVariant(QStringLiteral("1Zx_9-aBc"));
    QTest::newRow("another CID (an IPFS DAG root)") << cidOf(2) << QVariant(cidOf(2));
    QTest::newRow("the CID without its slash")
        << QStringLiteral("chunks") + cid << QVariant(QStringLiteral("chunks") + cid);
    QTest::newRow("a prefix alone")
        << QStringLiteral("chunks/x") << QVariant(QStringLiteral("chunks/x"));
}

void TestRegistrySize::locatorsReadBackAsWritten()
{
    QFETCH(QString, locator);
    QFETCH(QVariant, kept);
    const QString cid = cidOf(1);
    QVERIFY(m_r->modelRows().appendChunks(m_file, {FileChunk{0, 0, 10, cid}}));
    // Each writer: a float's put, a record from a scrub or repair, and a catalog's adoption.
    QVERIFY(m_r->placementRows().beginPlacement(cid, m_p1) == PlacementRows::PlacementIntent::Go);
    QCOMPARE(m_r->placementRows().placements(cid).size(), 0); // a put under way names no object yet
    QVERIFY(m_r->placementRows().recordStored(cid, m_p1, locator, 10));
    QVERIFY(m_r->placementRows().recordPlacement(
        Placement{cid, m_p2, locator, PlacementState::Missing, {}}));
    const QList<Placement> read = m_r->placementRows().placements(cid);
    QCOMPARE(read.size(), 2);
    for (const Placement& p : read)
        QCOMPARE(p.locator, locator);
    for (const qint64 provider : {m_p1, m_p2}) {
        const QVariant row = keptLocator(cid, provider);
        QCOMPARE(row.isNull(), !kept.isValid());
        if (kept.isValid())
            QCOMPARE(row.toString(), kept.toString());
    }
    QCOMPARE(m_r->healthRows().stats().placements, 2);
}

// A locator ending in '/' would read back with the CID after it: another object's name. None of
// the providers makes one; the registry refuses it and writes nothing.
void TestRegistrySize::locatorEndingInSlashIsRefused()
{
    const QString cid = cidOf(1);
    QVERIFY(m_r->modelRows().appendChunks(m_file, {FileChunk{0, 0, 10, cid}}));
    QVERIFY(m_r->placementRows().beginPlacement(cid, m_p1) == PlacementRows::PlacementIntent::Go);
    QVERIFY(!m_r->placementRows().recordStored(cid, m_p1, QStringLiteral("chunks/"), 10));
    QVERIFY2(m_r->lastError().contains(QStringLiteral("“chunks/” ends in '/'")),
             qPrintable(m_r->lastError()));
    QVERIFY(!m_r->placementRows().recordPlacement(
        Placement{cid, m_p2, QStringLiteral("chunks/"), PlacementState::Stored, {}}));
    QCOMPARE(m_r->placementRows().placements(cid).size(), 0);
    QCOMPARE(m_r->healthRows().stats().placements, 0);
}

QTEST_GUILESS_MAIN(TestRegistrySize)
#include "tst_registrysize.moc"
