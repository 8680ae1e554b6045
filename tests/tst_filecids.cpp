// File and model CIDs kept by the vault (docs/cids.md): a float computes each file's UnixFS DAG
// from the chunks it cuts and records it, `info` shows it, and it is the CID `fileDagOf()` (and
// so `modelfloat-cli cid`, and an IPFS node: tst_unixfs) gives for the same bytes and chunking,
// whichever way the chunks were recorded: cut by this float, already known from another model,
// or recorded before the registry kept chunk DAGs.

#include "chunking/filedag.h"
#include "clisandbox.h"
#include "registry/filedags.h"
#include "registry/registry.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestFileCids final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void floatRecordsFileAndModelCids_data();
    void floatRecordsFileAndModelCids();
    void sharedChunksGiveTheSameCid();
    void chunksWithoutDagLeaveTheCidUnknownUntilLearnt();

private:
    // Writes the model folder "input/<name>" with files of these sizes; their paths.
    QStringList writeModel(const QString& name, const QList<qint64>& sizes, quint64 seed);
    // The CIDs fileDagOf() and modelDag() give for the files of input/<name>.
    QPair<QStringList, QString> expectedCids(const QString& name, const QStringList& files,
                                             const ChunkerParams& params);
    QJsonObject info(const QString& model);

    std::unique_ptr<CliSandbox> m_box;
};

void TestFileCids::init()
{
    m_box = std::make_unique<CliSandbox>();
    QVERIFY(m_box->ok());
}

void TestFileCids::cleanup()
{
    m_box.reset();
}

QStringList TestFileCids::writeModel(const QString& name, const QList<qint64>& sizes, quint64 seed)
{
    QStringList paths;
    for (qsizetype i = 0; i < sizes.size(); ++i) {
        const QString rel =
            (i == 2 ? QStringLiteral("sub/") : QString()) + QStringLiteral("part-%1.bin").arg(i);
        const QString path = m_box->path(QStringLiteral("input/%1/%2").arg(name, rel));
        QDir().mkpath(QFileInfo(path).absolutePath());
        if (!writeFile(path, pseudoRandomBytes(sizes.at(i), seed + quint64(i))))
            return {};
        paths.append(rel);
    }
    return paths;
}

QPair<QStringList, QString> TestFileCids::expectedCids(const QString& name,
                                                       const QStringList& files,
                                                       const ChunkerParams& params)
{
    QStringList cids;
    QList<QPair<QString, unixfs::Node>> entries;
    for (const QString& rel : files) {
        QString error;
        const auto node =
            fileDagOf(m_box->path(QStringLiteral("input/%1/%2").arg(name, rel)), params, &error);
        if (!node)
            return {};
        cids.append(unixfs::toText(node->cid));
        entries.append({rel, *node});
    }
    QString error;
    return {cids, unixfs::toText(unixfs::modelDag(entries, &error).cid)};
}

QJsonObject TestFileCids::info(const QString& model)
{
    const CliResult r = m_box->run({QStringLiteral("info"), model, QStringLiteral("--json")});
    if (r.code != 0)
        qWarning("%s", r.describe().constData());
    return r.json();
}

void TestFileCids::floatRecordsFileAndModelCids_data()
{
    QTest::addColumn<QStringList>("chunker");
    QTest::addColumn<QList<qint64>>("sizes");
    // Content-defined chunks of 5-32 MiB: each chunk is a DAG of 1 MiB leaves.
    QTest::newRow("default chunks, several leaves each")
        << QStringList() << QList<qint64>{23 * 1024 * 1024 + 17, 100, 3 * 1024 * 1024};
    // Chunks of exactly one leaf: the file's DAG is `ipfs add`'s (tst_unixfs).
    QTest::newRow("fixed 1 MiB chunks")
        << QStringList{QStringLiteral("--chunker"), QStringLiteral("fixed"),
                       QStringLiteral("--chunk-size"), QStringLiteral("1M")}
        << QList<qint64>{5 * 1024 * 1024 + 3, 0, 1024 * 1024};
    // Chunks smaller than a leaf, and chunk-sized files.
    QTest::newRow("small chunks") << QStringList{QStringLiteral("--chunk-size"),
                                                 QStringLiteral("256K")}
                                  << QList<qint64>{2 * 1024 * 1024 + 5, 1, 256 * 1024};
}

void TestFileCids::floatRecordsFileAndModelCids()
{
    QFETCH(QStringList, chunker);
    QFETCH(QList<qint64>, sizes);
    const QStringList files = writeModel(QStringLiteral("m"), sizes, 5);
    QVERIFY(!files.isEmpty());
    const CliResult floated =
        m_box->run(QStringList{QStringLiteral("float"), m_box->path(QStringLiteral("input/m")),
                               QStringLiteral("--quiet")} +
                   chunker);
    QVERIFY2(floated.code == 0, floated.describe().constData());

    const QJsonObject shown = info(QStringLiteral("m"));
    QString error;
    const auto params = ChunkerParams::fromString(
        shown.value(QStringLiteral("files")).toArray().at(0)[QStringLiteral("chunker")].toString(),
        &error);
    QVERIFY2(params, qPrintable(error));
    const auto [fileCids, modelCid] = expectedCids(QStringLiteral("m"), files, *params);
    QCOMPARE(fileCids.size(), files.size());

    QHash<QString, QString> recorded;
    for (const QJsonValue f : shown.value(QStringLiteral("files")).toArray())
        recorded.insert(f[QStringLiteral("path")].toString(), f[QStringLiteral("cid")].toString());
    for (qsizetype i = 0; i < files.size(); ++i)
        QCOMPARE(recorded.value(files.at(i)), fileCids.at(i));
    QCOMPARE(shown.value(QStringLiteral("cid")).toString(), modelCid);

    // `cid` on the same folder with the same chunking says the same.
    QStringList cidArgs{QStringLiteral("cid"), m_box->path(QStringLiteral("input/m")),
                        QStringLiteral("--json")};
    const CliResult computed = m_box->run(cidArgs + chunker);
    QVERIFY2(computed.code == 0, computed.describe().constData());
    QCOMPARE(computed.json().value(QStringLiteral("cid")).toString(), modelCid);

    // And the text form shows it.
    const CliResult text = m_box->run({QStringLiteral("info"), QStringLiteral("m")});
    QVERIFY2(text.outText().contains(QStringLiteral("CID:      ") + modelCid),
             text.describe().constData());
    QVERIFY2(text.outText().contains(QStringLiteral("cid ") + fileCids.first()),
             text.describe().constData());
}

void TestFileCids::sharedChunksGiveTheSameCid()
{
    // The second model's chunks are all known already (deduplicated, not cut anew into the
    // registry): its file's CID still comes out whole, and equal to the first's.
    const QStringList files = writeModel(QStringLiteral("a"), {12 * 1024 * 1024 + 9}, 11);
    QVERIFY(!files.isEmpty());
    QVERIFY(QFile::copy(m_box->path(QStringLiteral("input/a/part-0.bin")),
                        m_box->path(QStringLiteral("input/b.bin"))));
    for (const QString& source :
         {m_box->path(QStringLiteral("input/a")), m_box->path(QStringLiteral("input/b.bin"))}) {
        const CliResult r =
            m_box->run({QStringLiteral("float"), source, QStringLiteral("--quiet")});
        QVERIFY2(r.code == 0, r.describe().constData());
    }
    const QString first = info(QStringLiteral("a"))
                              .value(QStringLiteral("files"))
                              .toArray()
                              .at(0)[QStringLiteral("cid")]
                              .toString();
    const QJsonObject b = info(QStringLiteral("b"));
    const QString second =
        b.value(QStringLiteral("files")).toArray().at(0)[QStringLiteral("cid")].toString();
    QVERIFY(!first.isEmpty());
    QCOMPARE(second, first);
    QString error;
    const auto node =
        fileDagOf(m_box->path(QStringLiteral("input/b.bin")), ChunkerParams::defaults(), &error);
    QVERIFY2(node, qPrintable(error));
    QCOMPARE(second, unixfs::toText(node->cid));
    // A model of one file is a directory holding it under its name.
    QCOMPARE(b.value(QStringLiteral("cid")).toString(),
             unixfs::toText(unixfs::modelDag({{QStringLiteral("b.bin"), *node}}, &error).cid));
}

void TestFileCids::chunksWithoutDagLeaveTheCidUnknownUntilLearnt()
{
    // A vault whose chunks were recorded before the registry kept chunk DAGs: a file made of
    // them cannot have its CID computed from the manifest, and says so (empty), rather than
    // recording a wrong one; a float that cuts the chunk again records its DAG, and the next
    // file made of it gets its CID.
    const QStringList files = writeModel(QStringLiteral("old"), {9 * 1024 * 1024 + 1}, 21);
    QVERIFY(!files.isEmpty());
    const QString source = m_box->path(QStringLiteral("input/old/part-0.bin"));
    QVERIFY2(m_box->run({QStringLiteral("float"), source, QStringLiteral("--quiet"),
                         QStringLiteral("--name"), QStringLiteral("old")})
                     .code == 0,
             "float");
    {
        // As an older version left it: no chunk DAGs, no file CIDs.
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("rewind"));
        db.setDatabaseName(m_box->vault() + QStringLiteral("/registry.sqlite"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("UPDATE chunks SET dag_cid = NULL, dag_size = NULL")));
        QVERIFY(q.exec(QStringLiteral("UPDATE files SET cid = NULL, dag_size = NULL")));
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM chunks WHERE size > 1048576")));
        QVERIFY(q.next());
        QVERIFY(q.value(0).toInt() > 0); // the case under test: chunks of several leaves
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("rewind"));
    const CliResult unknown = m_box->run({QStringLiteral("info"), QStringLiteral("old")});
    QVERIFY2(unknown.outText().contains(QStringLiteral("CID:      (not known")),
             unknown.describe().constData());

    // The same bytes floated again as a new model: its scan knows each chunk's DAG, records
    // it for the known chunks, and the file completes with its CID.
    QVERIFY2(m_box->run({QStringLiteral("float"), source, QStringLiteral("--quiet"),
                         QStringLiteral("--name"), QStringLiteral("again")})
                     .code == 0,
             "float again");
    QString error;
    const auto node = fileDagOf(source, ChunkerParams::defaults(), &error);
    QVERIFY2(node, qPrintable(error));
    QCOMPARE(info(QStringLiteral("again"))
                 .value(QStringLiteral("files"))
                 .toArray()
                 .at(0)[QStringLiteral("cid")]
                 .toString(),
             unixfs::toText(node->cid));
}

QTEST_GUILESS_MAIN(TestFileCids)
#include "tst_filecids.moc"
