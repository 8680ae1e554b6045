// File and model CIDs (core/chunking/unixfs.h, docs/cids.md) against a real IPFS node, js-ipfs
// (tests/ipfspeer.h): the DAG ModelFloat computes for a file is the one the node builds with
// `add --cid-version 1 --raw-leaves` where the chunking agrees (1 MiB fixed chunks, and every
// chunk's own DAG), and where it does not (content-defined chunks), the node reads the bytes
// back through ModelFloat's DAG once its blocks are put there. `modelfloat-cli cid` prints the
// same CIDs.

#include "chunking/chunkboundaryfinder.h"
#include "chunking/filedag.h"
#include "chunking/sha256.h"
#include "chunking/unixfs.h"
#include "ipfspeer.h"
#include "providers/ipfs/ipfscid.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestUnixfs final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void balancedLayoutEqualsAdd_data();
    void balancedLayoutEqualsAdd();
    void fixedOneMiBChunksEqualAdd();
    void chunkDagEqualsProviderAdd();
    void nodeReadsFileAndModelThroughOurDag();
    void modelEqualsAddOfAFolder();
    void modelPathsAreChecked();
    void cliPrintsTheSameCids();

private:
    // What `add` with these options answers for `bytes`: the root CID in base32.
    // `pin`: keep the blocks (the node's garbage collector may otherwise take them).
    QString add(const QByteArray& bytes, qint64 leafBytes, bool pin = false);
    bool putBlock(const QByteArray& block, const QString& codec);

    QTemporaryDir m_dir;
    IpfsPeer m_ipfs;
};

void TestUnixfs::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(m_ipfs.start(m_dir.filePath(QStringLiteral("ipfs"))),
             qPrintable(m_ipfs.errorString() + m_ipfs.output()));
}

QString TestUnixfs::add(const QByteArray& bytes, qint64 leafBytes, bool pin)
{
    const QByteArray answer =
        m_ipfs.rpc(QStringLiteral("add?cid-version=1&raw-leaves=true&pin=%1&chunker=size-%2")
                       .arg(pin ? QStringLiteral("true") : QStringLiteral("false"))
                       .arg(leafBytes),
                   {{QStringLiteral("f"), bytes}});
    // One JSON object per line; the last names the root.
    const QList<QByteArray> lines = answer.trimmed().split('\n');
    const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
    return ipfscid::normalize(last.value(QStringLiteral("Hash")).toString());
}

bool TestUnixfs::putBlock(const QByteArray& block, const QString& codec)
{
    bool ok = false;
    const QByteArray answer =
        m_ipfs.rpc(QStringLiteral("block/put?cid-codec=%1&format=%1&mhtype=sha2-256"
                                  "&mhlen=32&pin=true")
                       .arg(codec),
                   {{QStringLiteral("b"), block}}, &ok);
    if (!ok)
        qWarning("block/put: %s", answer.constData());
    return ok;
}

void TestUnixfs::balancedLayoutEqualsAdd_data()
{
    // The layout does not depend on the leaf size: 1 KiB leaves reach two and three levels
    // with small files (174 links per node, then 174 × 174).
    QTest::addColumn<qint64>("size");
    QTest::newRow("empty") << qint64(0);
    QTest::newRow("one byte") << qint64(1);
    QTest::newRow("one leaf") << qint64(1024);
    QTest::newRow("two leaves, the last short") << qint64(1024 + 7);
    QTest::newRow("174 leaves: one full node") << qint64(174 * 1024);
    QTest::newRow("175 leaves: a second level") << qint64(175 * 1024);
    QTest::newRow("174 × 174 + 1 leaves: a third level") << qint64((174 * 174 + 1) * 1024);
}

void TestUnixfs::balancedLayoutEqualsAdd()
{
    QFETCH(qint64, size);
    const QByteArray bytes = pseudoRandomBytes(size, 11);
    QList<unixfs::Node> leaves;
    for (qint64 at = 0; at < size; at += 1024) {
        const QByteArray leaf = bytes.mid(at, 1024);
        leaves.append(unixfs::rawLeaf(Sha256::hash(leaf), quint64(leaf.size())));
    }
    const unixfs::Node ours = unixfs::balancedFile(leaves);
    QCOMPARE(unixfs::toText(ours.cid), add(bytes, 1024));
    QCOMPARE(ours.fileSize, quint64(size));
}

void TestUnixfs::fixedOneMiBChunksEqualAdd()
{
    // `float --chunker fixed --chunk-size 1M`: the file's CID is `ipfs add`'s with the same
    // leaf size, so a model floated that way is found by the CID anyone computes with IPFS.
    const QByteArray bytes = pseudoRandomBytes(3 * unixfs::LeafBytes + 5, 12);
    const QString path = m_dir.filePath(QStringLiteral("fixed.bin"));
    QVERIFY(writeFile(path, bytes));
    QString error;
    const auto ours = fileDagOf(path, ChunkerParams::fixed(quint32(unixfs::LeafBytes)), &error);
    QVERIFY2(ours, qPrintable(error));
    QCOMPARE(unixfs::toText(ours->cid), add(bytes, unixfs::LeafBytes));
}

void TestUnixfs::chunkDagEqualsProviderAdd()
{
    // A chunk above one leaf is stored on an IPFS provider with `add` (ipfsprovider.cpp): its
    // DAG there is the one unixfs::chunkDag computes, so a file's DAG links to what the
    // provider already holds.
    for (const qint64 size : {qint64(5), unixfs::LeafBytes, 2 * unixfs::LeafBytes + 3,
                              qint64(9.5 * unixfs::LeafBytes)}) {
        const QByteArray bytes = pseudoRandomBytes(size, 13 + int(size % 7));
        QByteArray sha256;
        QCOMPARE(unixfs::toText(unixfs::chunkDag(bytes, {}, &sha256).cid),
                 add(bytes, unixfs::LeafBytes));
        // The chunk's own digest, from the same pass (imports and API uploads use it).
        QCOMPARE(sha256, Sha256::hash(bytes));
    }
}

void TestUnixfs::nodeReadsFileAndModelThroughOurDag()
{
    // Content-defined chunks of 256 KiB to 2 MiB: the file DAG links chunk DAGs of one to two
    // leaves. Its blocks are put on the node, which must then read the whole file, a file in a
    // folder of the model, and state the sizes we computed.
    const QByteArray a = pseudoRandomBytes(7 * unixfs::LeafBytes + 12345, 21);
    const QByteArray b = pseudoRandomBytes(300000, 22);
    const ChunkerParams params =
        ChunkerParams::contentDefined(256 * 1024, 512 * 1024, 2 * 1024 * 1024);
    QVERIFY(params.isValid());
    QList<QByteArray> dagPb;
    const unixfs::BlockSink sink = [&dagPb](const unixfs::Node&, const QByteArray& block) {
        dagPb.append(block);
    };
    QList<QPair<QString, unixfs::Node>> files;
    for (const auto& [name, bytes] :
         {std::pair{QStringLiteral("a.gguf"), a}, std::pair{QStringLiteral("sub/b.json"), b}}) {
        const QString path = m_dir.filePath(
            QStringLiteral("model-") + QString(name).replace(QLatin1Char('/'), QLatin1Char('-')));
        QVERIFY(writeFile(path, bytes));
        QString error;
        const auto node = fileDagOf(path, params, &error, nullptr, sink);
        QVERIFY2(node, qPrintable(error));
        files.append({name, *node});
        // The leaves go where an IPFS provider puts them: `add` of each chunk (whose DAG is
        // the chunk's, chunkDagEqualsProviderAdd), so only our dag-pb nodes are put as blocks.
        ChunkBoundaryFinder finder(params);
        qsizetype start = 0, at = 0;
        while (at < bytes.size()) {
            bool boundary = false;
            at += finder.feed(reinterpret_cast<const uchar*>(bytes.constData()) + at,
                              bytes.size() - at, &boundary);
            if (boundary || at == bytes.size()) {
                const QByteArray chunk = bytes.mid(start, at - start);
                QCOMPARE(add(chunk, unixfs::LeafBytes, true),
                         unixfs::toText(unixfs::chunkDag(chunk).cid));
                start = at;
            }
        }
    }
    QString error;
    const unixfs::Node model = unixfs::modelDag(files, &error, sink);
    QVERIFY2(model.isValid(), qPrintable(error));
    for (const QByteArray& block : std::as_const(dagPb))
        QVERIFY(putBlock(block, QStringLiteral("dag-pb")));

    const QString fileCid = unixfs::toText(files.at(0).second.cid);
    QCOMPARE(m_ipfs.rpc(QStringLiteral("cat?arg=") + fileCid), a);
    const QString modelCid = unixfs::toText(model.cid);
    QCOMPARE(m_ipfs.rpc(QStringLiteral("cat?arg=") + modelCid + QStringLiteral("/sub/b.json")), b);
    const QJsonObject stat =
        QJsonDocument::fromJson(m_ipfs.rpc(QStringLiteral("files/stat?arg=/ipfs/") + fileCid))
            .object();
    QCOMPARE(stat.value(QStringLiteral("Size")).toDouble(), double(a.size()));
    QCOMPARE(stat.value(QStringLiteral("CumulativeSize")).toDouble(),
             double(files.at(0).second.cumulativeSize));
    const QJsonObject listing =
        QJsonDocument::fromJson(m_ipfs.rpc(QStringLiteral("ls?arg=") + modelCid)).object();
    QStringList names;
    for (const QJsonValue& o : listing.value(QStringLiteral("Objects")).toArray())
        for (const QJsonValue& l : o.toObject().value(QStringLiteral("Links")).toArray())
            names.append(l.toObject().value(QStringLiteral("Name")).toString());
    QCOMPARE(names, (QStringList{QStringLiteral("a.gguf"), QStringLiteral("sub")}));
}

void TestUnixfs::modelEqualsAddOfAFolder()
{
    // A model's directory is what `ipfs add -r --cid-version 1 --raw-leaves` makes of a folder
    // of the same files, where the files' DAGs agree (1 MiB leaves, one chunk each here): names
    // sorted by their UTF-8 bytes, folders nested, no sharding.
    const QList<QPair<QString, QByteArray>> files{
        {QStringLiteral("a.gguf"), pseudoRandomBytes(900000, 41)},
        {QStringLiteral("Z-upper.txt"), pseudoRandomBytes(10, 42)},
        {QStringLiteral("sub/b.json"), pseudoRandomBytes(300, 43)},
        {QStringLiteral("é.bin"), pseudoRandomBytes(11, 44)}};
    // Only the files: the node makes the folders their paths name.
    QList<QPair<QString, QByteArray>> parts;
    QList<QPair<QString, unixfs::Node>> ours;
    for (const auto& [path, bytes] : files) {
        parts.append({QStringLiteral("m/") + path, bytes});
        ours.append({path, unixfs::chunkDag(bytes)});
    }
    bool ok = false;
    const QByteArray answer =
        m_ipfs.rpc(QStringLiteral("add?cid-version=1&raw-leaves=true&pin=false&"
                                  "chunker=size-1048576"),
                   parts, &ok);
    QVERIFY2(ok, answer.constData());
    QString theirs;
    for (const QByteArray& line : answer.trimmed().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value(QStringLiteral("Name")).toString() == QLatin1String("m"))
            theirs = ipfscid::normalize(o.value(QStringLiteral("Hash")).toString());
    }
    QString error;
    const unixfs::Node model = unixfs::modelDag(ours, &error);
    QVERIFY2(model.isValid(), qPrintable(error));
    QCOMPARE(unixfs::toText(model.cid), theirs);
}

void TestUnixfs::modelPathsAreChecked()
{
    const unixfs::Node leaf = unixfs::rawLeaf(Sha256::hash("x"), 1);
    for (const QString& bad : {QStringLiteral(""), QStringLiteral("/abs"), QStringLiteral("a//b"),
                               QStringLiteral("a/../b"), QStringLiteral("./a")}) {
        QString error;
        QVERIFY2(!unixfs::modelDag({{bad, leaf}}, &error).isValid(), qPrintable(bad));
        QVERIFY(!error.isEmpty());
    }
    QString error;
    QVERIFY(!unixfs::modelDag({{QStringLiteral("a"), leaf}, {QStringLiteral("a/b"), leaf}}, &error)
                 .isValid());
    QVERIFY(error.contains(QLatin1String("both a file and a folder")));
    QVERIFY(!unixfs::modelDag({{QStringLiteral("a/b"), leaf}, {QStringLiteral("a"), leaf}}, &error)
                 .isValid());
    QVERIFY(unixfs::modelDag({{QStringLiteral("a/b"), leaf}, {QStringLiteral("a/c"), leaf}}, &error)
                .isValid());
}

void TestUnixfs::cliPrintsTheSameCids()
{
    const QByteArray bytes = pseudoRandomBytes(2 * unixfs::LeafBytes + 99, 31);
    const QString folder = m_dir.filePath(QStringLiteral("cli-model"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeFile(folder + QStringLiteral("/w.bin"), bytes));
    QProcess cli;
    cli.start(mf::test::cliPath(),
              {QStringLiteral("cid"), folder, QStringLiteral("--chunker"), QStringLiteral("fixed"),
               QStringLiteral("--chunk-size"), QStringLiteral("1M"), QStringLiteral("--json")});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject doc = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    const QJsonObject file = doc.value(QStringLiteral("files")).toArray().at(0).toObject();
    QCOMPARE(file.value(QStringLiteral("path")).toString(), QStringLiteral("w.bin"));
    QCOMPARE(file.value(QStringLiteral("cid")).toString(), add(bytes, unixfs::LeafBytes));
    QString error;
    const unixfs::Node model =
        unixfs::modelDag({{QStringLiteral("w.bin"),
                           *fileDagOf(folder + QStringLiteral("/w.bin"),
                                      ChunkerParams::fixed(quint32(unixfs::LeafBytes)), &error)}},
                         &error);
    QCOMPARE(doc.value(QStringLiteral("cid")).toString(), unixfs::toText(model.cid));

    // A path that cannot be read is said plainly, with a non-zero exit.
    cli.start(mf::test::cliPath(),
              {QStringLiteral("cid"), m_dir.filePath(QStringLiteral("missing.bin"))});
    QVERIFY(cli.waitForFinished(120000));
    QVERIFY(cli.exitCode() != 0);
    QVERIFY(cli.readAllStandardError().contains("does not exist"));
}

QTEST_GUILESS_MAIN(TestUnixfs)
#include "tst_unixfs.moc"
