// The dag-pb reader that imports by CID trust nothing of (core/chunking/dagpbreader.h): it reads
// back what ModelFloat's own encoder writes, refuses every cut-short or mangled block without
// reading past its end (the ASan build runs this too), and tells a block that matches its CID
// from one that does not.

#include "chunking/dagpbreader.h"
#include "chunking/sha256.h"
#include "chunking/unixfs.h"
#include "testsupport.h"

#include <QRandomGenerator>
#include <QtTest>

using namespace mf;
using namespace mf::unixfs;

class TestDagPbReader final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsWhatTheEncoderWrites();
    void readsAFileNode();
    void refusesCutAndMangledBlocks();
    void matchesBlocksToTheirCid();

private:
    // The blocks of a model of two files in a folder, as the encoder writes them.
    static QList<QPair<Node, QByteArray>> modelBlocks();
};

QList<QPair<Node, QByteArray>> TestDagPbReader::modelBlocks()
{
    QList<QPair<Node, QByteArray>> blocks;
    const BlockSink sink = [&blocks](const Node& node, const QByteArray& block) {
        blocks.append({node, block});
    };
    const Node a = chunkDag(test::pseudoRandomBytes(3 * 1024 * 1024 + 5, 1), sink);
    const Node b = chunkDag(QByteArrayLiteral("{}"), sink);
    QString error;
    modelDag({{QStringLiteral("weights.bin"), a}, {QStringLiteral("sub/config.json"), b}}, &error,
             sink);
    return blocks;
}

void TestDagPbReader::readsWhatTheEncoderWrites()
{
    const auto blocks = modelBlocks();
    QVERIFY(blocks.size() >= 3); // the chunk's file node, the folder, the model
    const auto& [root, bytes] = blocks.last();
    NodeRead node;
    QString error;
    QVERIFY2(readNode(bytes, &node, &error), qPrintable(error));
    QCOMPARE(node.type, NodeRead::Type::Directory);
    QCOMPARE(node.links.size(), 2);
    QCOMPARE(node.links.at(0).name, QStringLiteral("sub"));
    QCOMPARE(node.links.at(1).name, QStringLiteral("weights.bin"));
    QCOMPARE(node.links.at(1).cid, blocks.first().first.cid);
    QCOMPARE(node.links.at(1).size, blocks.first().first.cumulativeSize);
    QVERIFY(blockMatchesCid(root.cid, bytes, &error));
}

void TestDagPbReader::readsAFileNode()
{
    const auto blocks = modelBlocks();
    NodeRead node;
    QString error;
    QVERIFY2(readNode(blocks.first().second, &node, &error), qPrintable(error));
    QCOMPARE(node.type, NodeRead::Type::File);
    QCOMPARE(node.fileSize, quint64(3 * 1024 * 1024 + 5));
    QCOMPARE(node.links.size(), 4); // three whole 1 MiB leaves and 5 bytes
    QCOMPARE(node.blockSizes, (QList<quint64>{1024 * 1024, 1024 * 1024, 1024 * 1024, 5}));
    for (const LinkRead& l : node.links)
        QCOMPARE(quint8(l.cid.at(1)), CodecRaw);
}

void TestDagPbReader::refusesCutAndMangledBlocks()
{
    const auto blocks = modelBlocks();
    for (const auto& [node, bytes] : blocks) {
        // Every prefix: refused, or (where the cut falls between fields) read as far as it goes;
        // never a read past the end.
        for (qsizetype n = 0; n < bytes.size(); ++n) {
            NodeRead read;
            QString error;
            if (!readNode(QByteArrayView(bytes).first(n), &read, &error))
                QVERIFY(!error.isEmpty());
        }
        // Random damage: a few bytes changed, or a length made huge.
        QRandomGenerator random(42);
        for (int round = 0; round < 2000; ++round) {
            QByteArray mangled = bytes;
            for (int k = 0; k < 3; ++k)
                mangled[random.bounded(int(mangled.size()))] = char(random.bounded(256));
            NodeRead read;
            QString error;
            readNode(mangled, &read, &error);
            QVERIFY(!blockMatchesCid(node.cid, mangled, &error) || mangled == bytes);
        }
    }
    // Not dag-pb at all, and a length beyond the block.
    NodeRead read;
    QString error;
    QVERIFY(!readNode(QByteArrayLiteral("hello, world"), &read, &error));
    QVERIFY(!readNode(QByteArray("\x12\xff\xff\xff\xff\x0f", 6), &read, &error));
    QVERIFY(!readNode(QByteArray(), &read, &error));
}

void TestDagPbReader::matchesBlocksToTheirCid()
{
    const QByteArray bytes = QByteArrayLiteral("a raw block");
    const QByteArray raw = cidOf(CodecRaw, Sha256::hash(bytes));
    QString why;
    QVERIFY(blockMatchesCid(raw, bytes, &why));
    QVERIFY(!blockMatchesCid(raw, QByteArrayLiteral("a raw blocK"), &why));
    QVERIFY(why.contains(QStringLiteral("do not hash")));
    // Another codec than raw and dag-pb (dag-cbor, 0x71): not read here.
    QByteArray cbor = raw;
    cbor[1] = char(0x71);
    QVERIFY(!blockMatchesCid(cbor, bytes, &why));
    QVERIFY(why.contains(QStringLiteral("codec")));
    QVERIFY(!blockMatchesCid(raw.left(20), bytes, &why));
}

QTEST_GUILESS_MAIN(TestDagPbReader)
#include "tst_dagpbreader.moc"
