// Registry: models and their files. Removals cascade to files but keep chunks (and record the
// deletions owed), a file's manifest is appended all or nothing and must tile the file, and a
// resumed file keeps what a collection left of it.

#include "registrytestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestRegistryFiles final : public RegistryTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init() { RegistryTestBase::init(); }
    void cleanup() { RegistryTestBase::cleanup(); }
    void models();
    void removeModelCascadesButKeepsChunks();
    void removeChunkRefusesAChunkInUse();
    void removeChunkRecordsPendingDeletions();
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
};

// ------------------------------------------------------------------------------------- models

void TestRegistryFiles::models()
{
    const auto b = m_r->modelRows().createModel(QStringLiteral("beta"), QStringLiteral("hf://b"));
    const auto a =
        m_r->modelRows().createModel(QStringLiteral("alpha"), QStringLiteral("/models/a"));
    QVERIFY(a && b && *a != *b);
    QVERIFY(!m_r->modelRows().createModel(QStringLiteral("alpha"), QStringLiteral("elsewhere")));
    QVERIFY(!m_r->lastError().isEmpty());
    const auto list = m_r->modelRows().models();
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(0).name, QStringLiteral("alpha")); // by name
    QCOMPARE(list.at(1).name, QStringLiteral("beta"));
    const auto got = m_r->modelRows().modelByName(QStringLiteral("alpha"));
    QVERIFY(got);
    QCOMPARE(got->id, *a);
    QCOMPARE(got->source, QStringLiteral("/models/a"));
    QCOMPARE(got->state, ModelRecord::State::Incomplete);
    QVERIFY(got->created.isValid());
    QVERIFY(!m_r->modelRows().modelByName(QStringLiteral("gamma")));
    QVERIFY(m_r->modelRows().setModelState(*a, ModelRecord::State::Complete));
    QCOMPARE(m_r->modelRows().model(*a)->state, ModelRecord::State::Complete);
    QCOMPARE(m_r->modelRows().model(*b)->state, ModelRecord::State::Incomplete);
}

void TestRegistryFiles::removeModelCascadesButKeepsChunks()
{
    buildVault(*m_r);
    Side side(dbPath());
    QVERIFY(m_r->placementRows().orphanChunks().isEmpty());
    QVERIFY(m_r->modelRows().removeModel(m_m1));
    QVERIFY(!m_r->modelRows().model(m_m1));
    QVERIFY(m_r->modelRows().files(m_m1).isEmpty());
    QCOMPARE(side.count(QStringLiteral("files")), qint64(1));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(2));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QCOMPARE(side.count(QStringLiteral("placements")), qint64(6)); // until the chunks go
    // B and C are now used by nobody; A is still M2's.
    QList<QPair<QString, qint64>> expected{{m_b, 10}, {m_c, 10}};
    std::sort(expected.begin(), expected.end());
    QCOMPARE(m_r->placementRows().orphanChunks(), expected);
    QCOMPARE(m_r->modelRows().fileChunks(m_f2).size(), 2);
}

void TestRegistryFiles::removeChunkRecordsPendingDeletions()
{
    buildVault(*m_r);
    QVERIFY(m_r->modelRows().removeModel(m_m1));
    QVERIFY(m_r->placementRows().pendingDeletions().isEmpty());
    QVERIFY(!m_r->placementRows().removeChunk(m_a)); // still M2's: nothing recorded
    QVERIFY(m_r->placementRows().pendingDeletions().isEmpty());
    QVERIFY(m_r->placementRows().removeChunk(
        m_b)); // stored on P1, pending on P2: both objects may exist
    QList<PendingDeletion> pending = m_r->placementRows().pendingDeletions();
    QCOMPARE(pending.size(), 2);
    for (const PendingDeletion& d : std::as_const(pending)) {
        QCOMPARE(d.cid, m_b);
        QCOMPARE(d.size, qint64(10));
        QVERIFY(d.providerId == m_p1 || d.providerId == m_p2);
    }
    QVERIFY(pending.at(0).providerId != pending.at(1).providerId);
    QVERIFY(m_r->placementRows().forgetDeletion(pending.at(0).id));
    QCOMPARE(m_r->placementRows().pendingDeletions().size(), 1);
    // Removing a provider drops what it still had to delete.
    QVERIFY(m_r->providerRows().removeProvider(
        m_r->placementRows().pendingDeletions().first().providerId));
    QVERIFY(m_r->placementRows().pendingDeletions().isEmpty());
}

void TestRegistryFiles::removeChunkRefusesAChunkInUse()
{
    buildVault(*m_r);
    Side side(dbPath());
    QVERIFY(!m_r->placementRows().removeChunk(m_a));
    QVERIFY(!m_r->lastError().isEmpty());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QVERIFY(m_r->modelRows().removeModel(m_m1));
    QVERIFY(!m_r->placementRows().removeChunk(m_a)); // still M2's
    QVERIFY(m_r->placementRows().removeChunk(m_b));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(3));
    QVERIFY(m_r->placementRows().placements(m_b).isEmpty()); // its placements went with it
    QCOMPARE(m_r->placementRows().orphanChunks().size(), 1);
    QCOMPARE(m_r->placementRows().orphanChunks().first().first, m_c);
}

// -------------------------------------------------------------------------------------- files

void TestRegistryFiles::beginFileResetsAnIncompleteFile()
{
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const auto f =
        m_r->modelRows().beginFile(m, QStringLiteral("dir/w.bin"), 20, QStringLiteral("fixed:10"));
    QVERIFY(f);
    QVERIFY(m_r->modelRows().appendChunks(*f, {chunk(0, 0, 10, cidOf("A"))}));
    QCOMPARE(m_r->modelRows().fileChunks(*f).size(), 1);
    // Interrupted scan; a new one begins with other parameters.
    const auto again =
        m_r->modelRows().beginFile(m, QStringLiteral("dir/w.bin"), 25, QStringLiteral("cdc"));
    QVERIFY(again);
    QCOMPARE(*again, *f);
    QVERIFY(m_r->modelRows().fileChunks(*f).isEmpty());
    const auto rec = m_r->modelRows().file(m, QStringLiteral("dir/w.bin"));
    QVERIFY(rec);
    QCOMPARE(rec->size, qint64(25));
    QCOMPARE(rec->chunker, QStringLiteral("cdc"));
    QCOMPARE(rec->state, FileRecord::State::Incomplete);
    QCOMPARE(m_r->modelRows().files(m).size(), 1);
    QVERIFY(
        m_r->modelRows().appendChunks(*f, {chunk(0, 0, 25, cidOf("Z"))})); // index 0 is free again
    QVERIFY(m_r->modelRows().completeFile(*f, QByteArray(64, 'c'), {}));
}

// A float resuming an unfinished file scans it again from the start. Meanwhile an rm or
// collect in another process (its own registry connection) runs the orphan query and removes
// what it finds: the chunks the interrupted scan stored must not be among them, or the resume
// sends them again. What the new scan does not use any more is an orphan once the file is done.
void TestRegistryFiles::resumedFileKeepsItsChunksFromCollection()
{
    const qint64 p =
        m_r->providerRows().addProvider(providerRecord(QStringLiteral("p"))).value_or(0);
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const auto f =
        m_r->modelRows().beginFile(m, QStringLiteral("w.bin"), 30, QStringLiteral("fixed:10"));
    QVERIFY(p > 0 && f);
    const QStringList scanned{cidOf("A"), cidOf("B"), cidOf("C")};
    QVERIFY(m_r->modelRows().appendChunks(*f, {chunk(0, 0, 10, scanned.at(0)),
                                               chunk(1, 10, 10, scanned.at(1)),
                                               chunk(2, 20, 10, scanned.at(2))}));
    for (const QString& cid : scanned)
        QVERIFY(m_r->placementRows().recordPlacement(placement(cid, p, PlacementState::Stored)));

    auto collector = openRegistry(); // the other process's rm or collect
    QVERIFY(collector);
    // What RemoveJob does with every orphan; returns the chunks it took.
    const auto collect = [&collector] {
        QStringList taken;
        for (const auto& [cid, size] : collector->placementRows().orphanChunks()) {
            Q_UNUSED(size);
            if (collector->placementRows().removeChunk(cid))
                taken << cid;
        }
        return taken;
    };
    const auto stillStored = [this, &scanned] {
        for (const QString& cid : scanned)
            if (m_r->placementRows().placements(cid).size() != 1)
                return false;
        return true;
    };

    // The float was killed; its resume begins the file again and is scanning.
    QCOMPARE(m_r->modelRows()
                 .beginFile(m, QStringLiteral("w.bin"), 30, QStringLiteral("fixed:10"))
                 .value_or(0),
             *f);
    QVERIFY(m_r->modelRows().fileChunks(*f).isEmpty()); // the manifest is the new scan's
    QCOMPARE(collect(), QStringList());
    QVERIFY(collector->placementRows().pendingDeletions().isEmpty());
    QVERIFY(stillStored());
    QVERIFY(m_r->modelRows().appendChunks(*f, {chunk(0, 0, 10, scanned.at(0))}));
    QCOMPARE(collect(), QStringList());
    // Its index is the new scan's alone: a second chunk 0 is refused as before.
    QVERIFY(!m_r->modelRows().appendChunks(*f, {chunk(0, 0, 10, scanned.at(1))}));

    // Killed again, and resumed again: the first scan's chunks are still kept, once each.
    QCOMPARE(m_r->modelRows()
                 .beginFile(m, QStringLiteral("w.bin"), 30, QStringLiteral("fixed:10"))
                 .value_or(0),
             *f);
    QCOMPARE(collect(), QStringList());
    QVERIFY(stillStored());
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(3));

    // The source changed at its end: the last chunk is a new one, and C is no longer used.
    QVERIFY(m_r->modelRows().appendChunks(*f, {chunk(0, 0, 10, scanned.at(0)),
                                               chunk(1, 10, 10, scanned.at(1)),
                                               chunk(2, 20, 10, cidOf("D"))}));
    QCOMPARE(collect(), QStringList());
    QVERIFY(m_r->modelRows().completeFile(*f, QByteArray(64, 'c'), {}));
    const QList<FileChunk> manifest = m_r->modelRows().fileChunks(*f);
    QCOMPARE(manifest.size(), 3);
    QCOMPARE(manifest.at(0).cid, scanned.at(0));
    QCOMPARE(manifest.at(1).cid, scanned.at(1));
    QCOMPARE(manifest.at(2).cid, cidOf("D"));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(3));
    QCOMPARE(collect(), QStringList{scanned.at(2)});
    QCOMPARE(collector->placementRows().pendingDeletions().size(), 1);
}

void TestRegistryFiles::beginFileRefusesACompleteFile()
{
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const auto f =
        m_r->modelRows().beginFile(m, QStringLiteral("w.bin"), 10, QStringLiteral("fixed"));
    QVERIFY(f);
    QVERIFY(m_r->modelRows().appendChunks(*f, {chunk(0, 0, 10, cidOf("A"))}));
    QJsonObject meta{{QStringLiteral("dtype"), QStringLiteral("bf16")}};
    QVERIFY(m_r->modelRows().completeFile(*f, QByteArray(64, 'e'), meta));
    QVERIFY(!m_r->modelRows().beginFile(m, QStringLiteral("w.bin"), 99, QStringLiteral("other")));
    QVERIFY2(m_r->lastError().contains(QLatin1String("w.bin")), qPrintable(m_r->lastError()));
    const auto rec = m_r->modelRows().file(m, QStringLiteral("w.bin"));
    QCOMPARE(rec->size, qint64(10));
    QCOMPARE(rec->state, FileRecord::State::Complete);
    QCOMPARE(rec->sha256, QByteArray(64, 'e'));
    QCOMPARE(rec->metadata, meta);
    QCOMPARE(m_r->modelRows().fileChunks(*f).size(), 1);
    // The same path in another model is another file.
    const qint64 m2 = m_r->modelRows().createModel(QStringLiteral("m2"), Source).value_or(0);
    QVERIFY(m_r->modelRows().beginFile(m2, QStringLiteral("w.bin"), 99, QStringLiteral("other")));
}

void TestRegistryFiles::appendChunksStoresASharedChunkOnce()
{
    buildVault(*m_r);
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4)); // A once, though used twice
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(5));
    // The same chunk repeated inside one file, too.
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("zeros"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(m, QStringLiteral("z"), 40, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_a)}));
    QVERIFY(m_r->modelRows().appendChunks(f, {chunk(2, 20, 10, m_a), chunk(3, 30, 10, m_b)}));
    QVERIFY(m_r->modelRows().completeFile(f, QByteArray(64, 'z'), {}));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(4));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(9));
    const auto manifest = m_r->modelRows().fileChunks(f);
    QCOMPARE(manifest.size(), 4);
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(manifest.at(i).index, i);
        QCOMPARE(manifest.at(i).offset, qint64(10 * i));
        QCOMPARE(manifest.at(i).size, qint64(10));
    }
    QCOMPARE(manifest.at(3).cid, m_b);
}

void TestRegistryFiles::appendChunksIsAllOrNothing()
{
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(m, QStringLiteral("w"), 40, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f, {chunk(0, 0, 10, cidOf("A"))}));
    Side side(dbPath());
    // New chunks X and Y come before the duplicate index that fails the batch.
    QVERIFY(!m_r->modelRows().appendChunks(f, {chunk(1, 10, 10, cidOf("X")),
                                               chunk(2, 20, 10, cidOf("Y")),
                                               chunk(1, 30, 10, cidOf("Z"))}));
    QVERIFY(!m_r->lastError().isEmpty());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(1));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(1));
    QCOMPARE(m_r->modelRows().fileChunks(f).size(), 1);
    // An index already taken by an earlier batch fails the same way.
    QVERIFY(!m_r->modelRows().appendChunks(
        f, {chunk(1, 10, 10, cidOf("X")), chunk(0, 0, 10, cidOf("Q"))}));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(1));
    QCOMPARE(side.count(QStringLiteral("file_chunks")), qint64(1));
    // The registry is usable afterwards: no transaction was left open.
    QVERIFY(m_r->modelRows().appendChunks(f, {chunk(1, 10, 30, cidOf("X"))}));
    QVERIFY(m_r->modelRows().completeFile(f, QByteArray(64, '1'), {}));
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(2));
}

void TestRegistryFiles::appendChunksRefusesAConflictingChunkSize()
{
    // A CID names its bytes, so one CID with two sizes is a bug upstream; recording it would
    // give the second file a manifest that does not describe it.
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f1 =
        m_r->modelRows().beginFile(m, QStringLiteral("a"), 10, QStringLiteral("fixed")).value_or(0);
    const qint64 f2 =
        m_r->modelRows().beginFile(m, QStringLiteral("b"), 20, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f1, {chunk(0, 0, 10, cidOf("A"))}));
    QVERIFY(!m_r->modelRows().appendChunks(f2, {chunk(0, 0, 20, cidOf("A"))}));
    QVERIFY2(m_r->lastError().contains(cidOf("A")), qPrintable(m_r->lastError()));
    QVERIFY(m_r->modelRows().fileChunks(f2).isEmpty());
}

void TestRegistryFiles::appendChunksRefusesACompleteFile()
{
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(m, QStringLiteral("a"), 10, QStringLiteral("fixed")).value_or(0);
    QVERIFY(m_r->modelRows().appendChunks(f, {chunk(0, 0, 10, cidOf("A"))}));
    QVERIFY(m_r->modelRows().completeFile(f, QByteArray(64, 'a'), {}));
    QVERIFY(!m_r->modelRows().appendChunks(f, {chunk(1, 10, 10, cidOf("B"))}));
    QCOMPARE(m_r->modelRows().fileChunks(f).size(), 1);
    Side side(dbPath());
    QCOMPARE(side.count(QStringLiteral("chunks")), qint64(1));
}

void TestRegistryFiles::completeFileRequiresAManifestThatTiles_data()
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

void TestRegistryFiles::completeFileRequiresAManifestThatTiles()
{
    QFETCH(qint64, size);
    QFETCH(QList<FileChunk>, manifest);
    QFETCH(bool, accepted);
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(m, QStringLiteral("w"), size, QStringLiteral("x")).value_or(0);
    QVERIFY(f > 0);
    QVERIFY(m_r->modelRows().appendChunks(f, manifest));
    QCOMPARE(m_r->modelRows().completeFile(f, QByteArray(64, 'f'), {}), accepted);
    const auto rec = m_r->modelRows().file(m, QStringLiteral("w"));
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

void TestRegistryFiles::completeFileAcceptsAnEmptyFile()
{
    const qint64 m = m_r->modelRows().createModel(QStringLiteral("m"), Source).value_or(0);
    const qint64 f =
        m_r->modelRows().beginFile(m, QStringLiteral("empty"), 0, QStringLiteral("x")).value_or(0);
    QVERIFY(f > 0);
    const QByteArray emptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    QVERIFY2(m_r->modelRows().completeFile(f, emptySha, {}), qPrintable(m_r->lastError()));
    QCOMPARE(m_r->modelRows().file(m, QStringLiteral("empty"))->state, FileRecord::State::Complete);
    QCOMPARE(m_r->modelRows().file(m, QStringLiteral("empty"))->sha256, emptySha);
    QVERIFY(!m_r->modelRows().completeFile(f + 1000, emptySha, {})); // no such file
}

QTEST_GUILESS_MAIN(TestRegistryFiles)
#include "tst_registryfiles.moc"
