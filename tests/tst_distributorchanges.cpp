// FloatJob against real local-folder providers when its input is not what it seemed: files that
// change while they are read (also in ways their size and times do not show), a source that
// must hold the bytes it hashed, files that cannot be collected, and a model name already taken.

#include "distributortestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestDistributorChanges final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fileChangesWhileFloated_data();
    void fileChangesWhileFloated();
    void rewriteUnseenByStatPublishesNothing();
    void fileSourceHoldsTheBytesItHashed();
    void collectFilesErrors_data();
    void collectFilesErrors();
    void modelExists();
};

void TestDistributorChanges::fileChangesWhileFloated_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<bool>("rightAfterStart");
    QTest::newRow("appended at first progress") << QStringLiteral("append") << false;
    QTest::newRow("rewritten in place at first progress") << QStringLiteral("overwrite") << false;
    QTest::newRow("appended right after start") << QStringLiteral("append") << true;
    QTest::newRow("rewritten in place right after start") << QStringLiteral("overwrite") << true;
}

void TestDistributorChanges::fileChangesWhileFloated()
{
    QFETCH(QString, change);
    QFETCH(bool, rightAfterStart);
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("moving.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 12));
    const auto modelId = v.registry().modelRows().createModel(QStringLiteral("moving"),
                                                              QStringLiteral("local:") + source);
    QVERIFY(modelId);

    FileDistributor::Options options;
    options.chunker = Small;
    options.replication = 2;
    options.maxPendingChunks = 2; // the scanner stays close behind the puts
    FileDistributor d(v.vault.get(), *modelId, source, QStringLiteral("moving.bin"), options);
    bool changed = false;
    const auto changeIt = [&] {
        if (changed)
            return;
        changed = true;
        // The first 64 KiB always belong to the first chunk: rewrite them with other bytes, and
        // change the time as a writer does, visibly even when the write falls within the tick
        // of the float's snapshot (the float may take it before or after the change: both are
        // caught by the snapshots, and whatever the scan read, the puts send what it hashed).
        const bool ok = change == QLatin1String("append")
                            ? appendTo(source, test::pseudoRandomBytes(100 * KiB, 13))
                            : overwriteAt(source, 0, test::pseudoRandomBytes(64 * KiB, 14)) &&
                                  moveMtimeOn(source);
        QVERIFY(ok);
    };
    if (!rightAfterStart)
        connect(&d, &FileDistributor::progress, this, changeIt);
    QSignalSpy finished(&d, &FileDistributor::finished);
    d.start();
    if (rightAfterStart)
        changeIt();
    QVERIFY(finished.wait(Timeout));
    QVERIFY(changed);
    QVERIFY(!d.error().ok());
    QVERIFY(d.sourceFailed());
    QVERIFY2(d.error().message.contains(QStringLiteral("changed while it was being read")),
             qPrintable(d.error().message));
    const auto file = v.registry().modelRows().file(*modelId, QStringLiteral("moving.bin"));
    QVERIFY(file);
    QCOMPARE(file->state, FileRecord::State::Incomplete);
    // Whatever was stored is a real chunk, and known to the registry.
    QVERIFY(allObjectsIntact(v));
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), *modelId));
}

void TestDistributorChanges::rewriteUnseenByStatPublishesNothing()
{
    TestVault v(2);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("torn.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 2 * MiB, 21));
    QFile head(source);
    QVERIFY(head.open(QIODevice::ReadOnly));
    const QByteArray original = head.read(64 * KiB);
    head.close();
    const auto modelId = v.registry().modelRows().createModel(QStringLiteral("torn"),
                                                              QStringLiteral("local:") + source);
    QVERIFY(modelId);

    FileDistributor::Options options;
    options.chunker = Small;
    options.replication = 2;
    options.maxPendingChunks = 2;
    // The first 64 KiB always belong to the first chunk.
    auto owned =
        std::make_unique<UnseenRewriteSource>(source, Small, test::pseudoRandomBytes(64 * KiB, 22));
    UnseenRewriteSource* rewriting = owned.get();
    FileDistributor d(v.vault.get(), *modelId, std::move(owned), QStringLiteral("torn.bin"),
                      options);
    QSignalSpy warnings(&d, &FileDistributor::warning);
    QSignalSpy finished(&d, &FileDistributor::finished);
    d.start();
    QVERIFY(finished.wait(Timeout));
    const QString rewritten = rewriting->rewrittenCid();
    QVERIFY(!rewritten.isEmpty());

    // The float fails, and it is the file's failure, with the sentence for a changed file.
    QVERIFY(!d.error().ok());
    QVERIFY(d.sourceFailed());
    QVERIFY2(d.error().message.contains(
                 QStringLiteral("“%1” changed while it was being read").arg(source)),
             qPrintable(d.error().message));
    // No provider was blamed for it (excluded, "placing chunks elsewhere").
    QVERIFY2(warnings.isEmpty(), qPrintable(warnings.value(0).value(0).toString()));
    const auto file = v.registry().modelRows().file(*modelId, QStringLiteral("torn.bin"));
    QVERIFY(file);
    QCOMPARE(file->state, FileRecord::State::Incomplete);

    // Nothing was published under the rewritten chunk's name, and no object anywhere holds
    // bytes that do not hash to its name; the registry counts exactly what is stored.
    QVERIFY(allObjectsIntact(v));
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), *modelId));
    for (const Placement& p : v.registry().placementRows().placements(rewritten))
        QVERIFY(p.state != PlacementState::Stored);
    for (qint64 id : v.providerIds()) {
        QVERIFY(!objectsIn(v.root(id)).contains(rewritten));
        QCOMPARE(temporariesIn(v.root(id)), QStringList());
    }

    // The file as it was scanned, floated again: every chunk is stored and holds its bytes (an
    // object under the first chunk's name with other bytes would be found and counted, and the
    // model would say complete and not restore).
    QVERIFY(overwriteAt(source, 0, original));
    QFile whole(source);
    QVERIFY(whole.open(QIODevice::ReadOnly));
    const QByteArray data = whole.readAll();
    FileDistributor again(v.vault.get(), *modelId, source, QStringLiteral("torn.bin"), options);
    QSignalSpy againFinished(&again, &FileDistributor::finished);
    again.start();
    QVERIFY(againFinished.wait(Timeout));
    QVERIFY2(again.error().ok(), qPrintable(again.error().message));
    QVERIFY(!checkStored(v, *modelId, QStringLiteral("torn.bin"), data, 2).isEmpty());
    QVERIFY(allObjectsIntact(v));
}

// A file's puts send the bytes the scan read and hashed, held since: the file is not read again
// (a rewrite after the scan cannot reach a provider) and the distributor does not hash them
// again. Only the chunks it reported and that are not yet placed are held.
void TestDistributorChanges::fileSourceHoldsTheBytesItHashed()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("held.bin"));
    const QByteArray original = test::pseudoRandomBytes(3 * MiB + 77, 31);
    QVERIFY(test::writeFile(path, original));
    FileChunkSource source(path, Small);
    QVERIFY(source.holdsHashedBytes());
    source.setMaxPendingChunks(1000);
    QList<ScannedChunk> chunks;
    connect(&source, &ChunkSource::chunkScanned, this,
            [&chunks](const ScannedChunk& c) { chunks.append(c); });
    QSignalSpy finished(&source, &ChunkSource::finished);
    source.start();
    QVERIFY(finished.wait(Timeout));
    QVERIFY2(source.errorString().isEmpty(), qPrintable(source.errorString()));
    QVERIFY(chunks.size() > 3);

    // Every byte of the file is different now; the chunks' puts still get what was hashed.
    QVERIFY(test::writeFile(path, test::pseudoRandomBytes(original.size(), 32)));
    for (const ScannedChunk& c : std::as_const(chunks)) {
        QString error;
        const std::unique_ptr<QIODevice> device = source.openChunk(c, &error);
        QVERIFY2(device, qPrintable(error));
        const QByteArray bytes = device->readAll();
        QVERIFY2(bytes == original.mid(c.offset, c.size), qPrintable(c.cid));
        QCOMPARE(cid::ofData(bytes), c.cid);
    }
    // The change itself is still the float's failure to report.
    QVERIFY(source.changedError().contains(QLatin1String("changed while it was being read")));

    // A chunk whose bytes were let go cannot be opened, and says so.
    ScannedChunk dropped = chunks.first();
    dropped.bytes = {};
    QString error;
    QVERIFY(!source.openChunk(dropped, &error));
    QVERIFY2(error.contains(QLatin1String("no longer held")), qPrintable(error));
}

void TestDistributorChanges::collectFilesErrors_data()
{
    QTest::addColumn<QStringList>("paths"); // relative to a scratch folder
    QTest::addColumn<QString>("message");
    QTest::newRow("nothing") << QStringList() << QStringLiteral("Nothing to float");
    QTest::newRow("missing") << QStringList{QStringLiteral("nope.bin")}
                             << QStringLiteral("does not exist");
    QTest::newRow("empty folder") << QStringList{QStringLiteral("empty")}
                                  << QStringLiteral("contains no files");
    QTest::newRow("same name twice")
        << QStringList{QStringLiteral("a/x.bin"), QStringLiteral("b/x.bin")}
        << QStringLiteral("Two files would both be “x.bin”");
    QTest::newRow("same file twice")
        << QStringList{QStringLiteral("a/x.bin"), QStringLiteral("a/x.bin")}
        << QStringLiteral("Two files would both be “x.bin”");
    QTest::newRow("folder and file") << QStringList{QStringLiteral("c"), QStringLiteral("c")}
                                     << QStringLiteral("Two files would both be “c/y.bin”");
}

void TestDistributorChanges::collectFilesErrors()
{
    QFETCH(QStringList, paths);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("empty"))));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("a"))));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("b"))));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("c"))));
    QVERIFY(test::writeFile(dir.filePath(QStringLiteral("a/x.bin")), "one"));
    QVERIFY(test::writeFile(dir.filePath(QStringLiteral("b/x.bin")), "two"));
    QVERIFY(test::writeFile(dir.filePath(QStringLiteral("c/y.bin")), "three"));
    QStringList absolute;
    for (const QString& p : std::as_const(paths))
        absolute.append(dir.filePath(p));

    QString error;
    QVERIFY(!FloatJob::collectFiles(absolute, &error));
    QVERIFY2(error.contains(message), qPrintable(error));

    // FloatJob refuses the same input before it touches the registry.
    TestVault v;
    QVERIFY(v.ok());
    FloatJob job(v.vault.get(), floatRequest(absolute, QStringLiteral("bad"), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::BadInput);
    QVERIFY2(job.error().message.contains(message), qPrintable(job.error().message));
    QVERIFY(!v.registry().modelRows().modelByName(QStringLiteral("bad")));
}

void TestDistributorChanges::modelExists()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("x.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 300 * KiB, 15));
    FloatJob one(v.vault.get(), floatRequest({source}, QStringLiteral("x"), 1));
    QVERIFY(run(one));
    QCOMPARE(one.failure(), FloatJob::Failure::None);
    const VaultStats before = v.registry().healthRows().stats();

    // The same bytes again: nothing to do, and a success.
    FloatJob same(v.vault.get(), floatRequest({source}, QStringLiteral("x"), 1));
    QVERIFY(run(same));
    QCOMPARE(same.failure(), FloatJob::Failure::None);
    QVERIFY(same.alreadyFloated());
    QCOMPARE(same.totals().bytesSent, 0);

    // Other bytes under the name: refused, nothing changed.
    QVERIFY(test::writePseudoRandomFile(source, 300 * KiB, 16));
    FloatJob again(v.vault.get(), floatRequest({source}, QStringLiteral("x"), 1));
    QVERIFY(run(again));
    QCOMPARE(again.failure(), FloatJob::Failure::ModelExists);
    QVERIFY2(again.error().message.contains(QStringLiteral("already exists")),
             qPrintable(again.error().message));
    QVERIFY(!again.resumed());
    const VaultStats after = v.registry().healthRows().stats();
    QCOMPARE(after.models, before.models);
    QCOMPARE(after.files, before.files);
    QCOMPARE(after.placements, before.placements);
}

QTEST_GUILESS_MAIN(TestDistributorChanges)
#include "tst_distributorchanges.moc"
