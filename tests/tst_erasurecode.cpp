// ShardCodec: a chunk split into K data + M parity shards (ISA-L's Reed–Solomon) comes back
// bit-exact from any K of them, and every hostile input is refused with its own problem.
#include "chunking/chunkbytes.h"
#include "chunking/chunkerparams.h"
#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "chunking/shardcodec.h"
#include "testsupport.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <numeric>

using namespace mf;

namespace {

using Problem = ShardCodec::Problem;

ShardCodec codecFor(int k, int m)
{
    ShardCodec::Error error;
    auto codec = ShardCodec::make(k, m, &error);
    if (!codec)
        qFatal("no codec for %d+%d: %s", k, m, qPrintable(error.message));
    return *codec;
}

// The shards of `all` whose indices are not in `lost`.
std::vector<ShardCodec::Shard> without(const std::vector<ShardCodec::Shard>& all,
                                       const std::vector<int>& lost)
{
    std::vector<ShardCodec::Shard> kept;
    for (const auto& shard : all) {
        if (std::find(lost.begin(), lost.end(), shard.index) == lost.end())
            kept.push_back(shard);
    }
    return kept;
}

// The vault's own chunk sizes: the default chunker's average and largest chunk.
qint64 vaultAverageChunk()
{
    return ChunkerParams::defaults().avgSize;
}

} // namespace

class TestErasureCode : public QObject
{
    Q_OBJECT

private slots:
    void shardsHaveTheLayoutAndTheirOwnCids();
    void shardCidsAreGolden();
    void everyPairLostOfFourPlusTwoRebuilds();
    void randomLossesRebuild_data();
    void randomLossesRebuild();
    void sizesThatDoNotDivideRebuild_data();
    void sizesThatDoNotDivideRebuild();
    void piecesEncodeAsTheWholeChunk();
    void moreThanKShardsDecodes();
    void rebuildGivesTheLostShardsBack();
    void flippedByteIsCaughtByTheShardCid();
    void aCheckedShardIsTrustedAndTheChunkCidStillDecides();
    void uncheckedShardsAreCheckedByTheChunkTheyMake();
    void fewerThanKShardsIsRefused();
    void schemesOutOfRangeAreRefused();
    void hostileShardsAreRefused();
    void hostileChunkSizesAreRefused();
};

void TestErasureCode::shardsHaveTheLayoutAndTheirOwnCids()
{
    const auto codec = codecFor(4, 2);
    const QByteArray chunk = test::pseudoRandomBytes(1001, 7);
    ShardCodec::Error error;
    const auto layout = codec.layout(chunk.size(), &error);
    QVERIFY(layout);
    QCOMPARE(layout->shardSize, 251);
    QCOMPARE(layout->padding, 3);
    const auto shards = codec.encode(chunk, &error);
    QCOMPARE(error.problem, Problem::None);
    QCOMPARE(int(shards.size()), 6);
    QStringList cids;
    for (int i = 0; i < 6; ++i) {
        QCOMPARE(shards[size_t(i)].index, i);
        QCOMPARE(shards[size_t(i)].bytes.size(), 251);
        QCOMPARE(shards[size_t(i)].cid, cid::ofData(shards[size_t(i)].bytes));
        QVERIFY(cid::isValid(shards[size_t(i)].cid));
        cids << shards[size_t(i)].cid;
    }
    cids.removeDuplicates();
    QCOMPARE(cids.size(), 6);
    // Data shards are the chunk's bytes in order, the last one padded with zeros.
    QCOMPARE(shards[0].bytes, chunk.left(251));
    QCOMPARE(shards[3].bytes, chunk.mid(753) + QByteArray(3, '\0'));
    // Encoding is deterministic: the same chunk gives the same shard CIDs on any computer.
    const auto again = codec.encode(chunk, &error);
    for (int i = 0; i < 6; ++i)
        QCOMPARE(again[size_t(i)].cid, shards[size_t(i)].cid);
}

void TestErasureCode::shardCidsAreGolden()
{
    // Shards are named by their CIDs on every computer: another ISA-L (or a change of generator
    // matrix) that coded differently would orphan every shard floated before. Pinned here.
    const auto codec = codecFor(4, 2);
    ShardCodec::Error error;
    const auto shards = codec.encode(test::pseudoRandomBytes(1001, 7), &error);
    QStringList cids;
    for (const auto& shard : shards)
        cids << shard.cid;
    const QStringList golden{
        QStringLiteral("bafkreihygokhqj3gioe4iagalz6rcarfpoacj5esbn3pr63mku2vcwhp3q"),
        QStringLiteral("bafkreiajamn2mo5s67flvmcpca3ucu5r2rhigdor5bvm6zmexavr25qhoq"),
        QStringLiteral("bafkreigu6d4srvfbt7pdh64kroz6fse5slsarpeo72a2llncks2a3ibyvu"),
        QStringLiteral("bafkreidyttoyn5eff4t257om44bhkgbmkfeck4ao5vvzunttwcfzs7p6y4"),
        // The parity shards: what ISA-L's Cauchy matrix makes of the data.
        QStringLiteral("bafkreietzvg4ynsky3v6j4zhkllwreswtrnin622p2pddglg3zy7roi7o4"),
        QStringLiteral("bafkreidg67ktmx6vqsk7uueepxkh72v5hxbdvidpnffkrpb3m4icclvcam")};
    QCOMPARE(cids, golden);
}

void TestErasureCode::everyPairLostOfFourPlusTwoRebuilds()
{
    const auto codec = codecFor(4, 2);
    const QByteArray chunk = test::pseudoRandomBytes(vaultAverageChunk(), 41);
    const QString chunkCid = cid::ofData(chunk);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    QCOMPARE(int(shards.size()), 6);
    int pairs = 0;
    for (int a = 0; a < 6; ++a) {
        for (int b = a + 1; b < 6; ++b) {
            const auto decoded = codec.decode(without(shards, {a, b}), chunk.size(), &error);
            QVERIFY2(decoded, qPrintable(error.message));
            // What the caller does with every decoded chunk: check it against its CID.
            QCOMPARE(cid::ofData(*decoded), chunkCid);
            QVERIFY2(*decoded == chunk, qPrintable(QStringLiteral("lost %1 and %2").arg(a).arg(b)));
            ++pairs;
        }
    }
    QCOMPARE(pairs, 15);
}

void TestErasureCode::randomLossesRebuild_data()
{
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("m");
    QTest::addColumn<qint64>("size");
    QTest::newRow("6+3, the vault's average chunk") << 6 << 3 << vaultAverageChunk();
    QTest::newRow("10+4, the vault's average chunk") << 10 << 4 << vaultAverageChunk();
    QTest::newRow("10+4, the vault's largest chunk")
        << 10 << 4 << qint64(ChunkerParams::defaults().largestChunk());
    QTest::newRow("16+16, odd size") << 16 << 16 << qint64(65537);
    QTest::newRow("31+1") << 31 << 1 << qint64(100000);
}

void TestErasureCode::randomLossesRebuild()
{
    QFETCH(int, k);
    QFETCH(int, m);
    QFETCH(qint64, size);
    const auto codec = codecFor(k, m);
    const QByteArray chunk = test::pseudoRandomBytes(size, quint64(k * 100 + m));
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    QCOMPARE(int(shards.size()), k + m);
    QRandomGenerator random(quint32(k * 31 + m));
    std::vector<int> indices(static_cast<size_t>(k + m));
    std::iota(indices.begin(), indices.end(), 0);
    for (int round = 0; round < 8; ++round) {
        std::shuffle(indices.begin(), indices.end(), random);
        // Lose M shards (the most a chunk survives) in every round but the first, which loses
        // fewer; the shards handed over arrive in shuffled order too.
        const int lost = round == 0 ? 1 : m;
        const std::vector<int> gone(indices.begin(), indices.begin() + lost);
        auto kept = without(shards, gone);
        std::shuffle(kept.begin(), kept.end(), random);
        const auto decoded = codec.decode(kept, size, &error);
        QVERIFY2(decoded, qPrintable(error.message));
        QVERIFY(*decoded == chunk);
    }
}

void TestErasureCode::sizesThatDoNotDivideRebuild_data()
{
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("m");
    QTest::addColumn<qint64>("size");
    QTest::newRow("1 byte, 4+2") << 4 << 2 << qint64(1);
    QTest::newRow("1 byte, 10+4") << 10 << 4 << qint64(1);
    QTest::newRow("3 bytes, 4+2") << 4 << 2 << qint64(3);
    QTest::newRow("not divisible by 6") << 6 << 3 << vaultAverageChunk() + 5;
    QTest::newRow("not divisible by 10") << 10 << 4 << qint64(1234567);
    QTest::newRow("1+1") << 1 << 1 << qint64(77);
}

void TestErasureCode::sizesThatDoNotDivideRebuild()
{
    QFETCH(int, k);
    QFETCH(int, m);
    QFETCH(qint64, size);
    const auto codec = codecFor(k, m);
    const QByteArray chunk = test::pseudoRandomBytes(size, 3);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    const auto layout = codec.layout(size, &error);
    QVERIFY(layout);
    QCOMPARE(layout->shardSize, (size + k - 1) / k); // the smallest shard that holds it all
    QCOMPARE(layout->shardSize * k - layout->padding, size);
    // Lose the first M shards: data shards, so decoding has to compute them.
    std::vector<int> lost(static_cast<size_t>(m));
    std::iota(lost.begin(), lost.end(), 0);
    const auto decoded = codec.decode(without(shards, lost), size, &error);
    QVERIFY2(decoded, qPrintable(error.message));
    QCOMPARE(decoded->size(), size);
    QVERIFY(*decoded == chunk);
}

// A float encodes the scanner's pieces (its read blocks) as they are, each byte copied once
// into its shard: the shards are the same as from the chunk in one piece, whatever the pieces'
// boundaries, the shard boundaries and the padding.
void TestErasureCode::piecesEncodeAsTheWholeChunk()
{
    const auto codec = codecFor(4, 2);
    for (const qint64 size : {qint64(1), qint64(4097), qint64(1000003), vaultAverageChunk()}) {
        const QByteArray chunk = test::pseudoRandomBytes(size, 7);
        ChunkBytes pieces;
        for (qsizetype at = 0, step = 1; at < chunk.size(); step = step * 7 % 65521 + 1) {
            const qsizetype n = qMin<qsizetype>(step, chunk.size() - at);
            pieces.append(chunk, at, n);
            at += n;
        }
        QCOMPARE(pieces.size(), size);
        QCOMPARE(pieces.sha256(), Sha256::hash(chunk));
        ShardCodec::Error error;
        const auto whole = codec.encode(chunk, &error);
        const auto fromPieces = codec.encode(pieces, &error);
        QCOMPARE(fromPieces.size(), whole.size());
        for (size_t i = 0; i < whole.size(); ++i) {
            QCOMPARE(fromPieces[i].cid, whole[i].cid);
            QVERIFY(fromPieces[i].bytes == whole[i].bytes);
        }
    }
}

void TestErasureCode::moreThanKShardsDecodes()
{
    const auto codec = codecFor(4, 2);
    const QByteArray chunk = test::pseudoRandomBytes(4096, 9);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    const auto decoded = codec.decode(shards, chunk.size(), &error);
    QVERIFY(decoded);
    QVERIFY(*decoded == chunk);
    // A spare corrupt shard that is not needed does not stop the decode.
    auto withSpareBad = without(shards, {1});
    withSpareBad.back().bytes[0] = char(withSpareBad.back().bytes[0] ^ 1); // shard 5, parity
    const auto again = codec.decode(withSpareBad, chunk.size(), &error);
    QVERIFY2(again, qPrintable(error.message));
    QVERIFY(*again == chunk);
}

void TestErasureCode::rebuildGivesTheLostShardsBack()
{
    const auto codec = codecFor(6, 3);
    const QByteArray chunk = test::pseudoRandomBytes(300001, 11);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    const auto rebuilt = codec.rebuild(without(shards, {0, 4, 7}), chunk.size(), {0, 4, 7}, &error);
    QCOMPARE(int(rebuilt.size()), 3);
    for (const auto& shard : rebuilt) {
        QCOMPARE(shard.cid, shards[size_t(shard.index)].cid);
        QVERIFY(shard.bytes == shards[size_t(shard.index)].bytes);
    }
    QVERIFY(codec.rebuild(shards, chunk.size(), {9}, &error).empty());
    QCOMPARE(error.problem, Problem::BadShardIndex);
}

void TestErasureCode::flippedByteIsCaughtByTheShardCid()
{
    const auto codec = codecFor(4, 2);
    const QByteArray chunk = test::pseudoRandomBytes(vaultAverageChunk(), 5);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    for (int bad = 0; bad < 6; ++bad) {
        auto kept = without(shards, {(bad + 1) % 6, (bad + 2) % 6});
        for (auto& shard : kept) {
            if (shard.index == bad)
                shard.bytes[shard.bytes.size() / 2] =
                    char(shard.bytes[shard.bytes.size() / 2] ^ 0x40);
        }
        QVERIFY(!codec.decode(kept, chunk.size(), &error));
        QCOMPARE(error.problem, Problem::ShardCidMismatch);
        QCOMPARE(error.shardIndex, bad);
        QVERIFY(error.message.contains(shards[size_t(bad)].cid));
    }
    // A manifest that lists the wrong CID for a shard is caught the same way.
    auto forged = without(shards, {0, 1});
    forged.front().cid = shards[0].cid;
    QVERIFY(!codec.decode(forged, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::ShardCidMismatch);
}

// A shard its reader already checked against its CID (a restore's fetches check every object)
// is not hashed again: the restore hashed every shard twice. What decode() returns is still
// only trusted once the chunk matches its own CID, which a wrong shard cannot pass.
void TestErasureCode::aCheckedShardIsTrustedAndTheChunkCidStillDecides()
{
    const auto codec = codecFor(4, 2);
    const QByteArray chunk = test::pseudoRandomBytes(vaultAverageChunk(), 6);
    const QString chunkCid = cid::ofData(chunk);
    ShardCodec::Error error;
    auto kept = without(codec.encode(chunk, &error), {0, 5});
    for (auto& shard : kept)
        shard.checked = true;
    const auto decoded = codec.decode(kept, chunk.size(), &error);
    QVERIFY2(decoded, qPrintable(error.message));
    QVERIFY(*decoded == chunk);

    // Shard 2 damaged after the (pretended) check: not hashed again, so it decodes, and the
    // chunk it makes fails the chunk's CID.
    kept[1].bytes[100] = char(kept[1].bytes[100] ^ 0x01);
    QCOMPARE(kept[1].index, 2);
    const auto wrong = codec.decode(kept, chunk.size(), &error);
    QVERIFY2(wrong, qPrintable(error.message));
    QVERIFY(cid::ofData(*wrong) != chunkCid);
    // Unchecked, the same shard is refused by its own CID.
    kept[1].checked = false;
    QVERIFY(!codec.decode(kept, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::ShardCidMismatch);
    QCOMPARE(error.shardIndex, 2);
}

// decodeUnchecked() hashes no shard (a restore hashed each shard and then the chunk it made):
// the chunk's CID checks them, because any damage in the K shards used gives another chunk, or
// padding that is not zero, which it refuses. ShardGather then hashes the shards to find the
// bad one.
void TestErasureCode::uncheckedShardsAreCheckedByTheChunkTheyMake()
{
    const auto codec = codecFor(4, 2);
    // 4 × 2501 = 10004: three bytes of padding in the last data shard.
    const QByteArray chunk = test::pseudoRandomBytes(10001, 7);
    const QString chunkCid = cid::ofData(chunk);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    for (const std::vector<int>& gone : {std::vector<int>{4, 5}, std::vector<int>{0, 3}}) {
        auto kept = without(shards, gone);
        const auto decoded = codec.decodeUnchecked(kept, chunk.size(), &error);
        QVERIFY2(decoded, qPrintable(error.message));
        QVERIFY(*decoded == chunk);
        // A byte of the chunk's own in any shard used: another chunk, which its CID refuses.
        for (size_t i = 0; i < kept.size(); ++i) {
            auto damaged = kept;
            damaged[i].bytes[7] = char(damaged[i].bytes[7] ^ 0x10);
            const auto wrong = codec.decodeUnchecked(damaged, chunk.size(), &error);
            QVERIFY2(wrong, qPrintable(error.message));
            QVERIFY(cid::ofData(*wrong) != chunkCid);
        }
    }
    // The padding (the last data shard's last three bytes) is not part of the chunk, so its
    // CID cannot see it: refused by itself.
    auto padded = without(shards, {4, 5});
    padded[3].bytes[padded[3].bytes.size() - 1] = '\x01';
    QVERIFY(!codec.decodeUnchecked(padded, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::BadPadding);
    // Checked the usual way, the same shard is refused by its own CID.
    QVERIFY(!codec.decode(padded, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::ShardCidMismatch);
    QCOMPARE(error.shardIndex, 3);
}

void TestErasureCode::fewerThanKShardsIsRefused()
{
    const auto codec = codecFor(4, 2);
    const QByteArray chunk = test::pseudoRandomBytes(10000, 2);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);
    QVERIFY(!codec.decode(without(shards, {0, 2, 5}), chunk.size(), &error));
    QCOMPARE(error.problem, Problem::TooFewShards);
    QCOMPARE(error.message,
             QStringLiteral("3 of the 4 shards needed to rebuild the chunk are at hand (any 4 of "
                            "its 6 do)."));
    QVERIFY(!codec.decode({}, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::TooFewShards);
}

void TestErasureCode::schemesOutOfRangeAreRefused()
{
    const std::vector<std::pair<int, int>> bad = {{0, 2},  {4, 0},   {-1, 3}, {3, -1},
                                                  {32, 1}, {16, 17}, {1, 32}, {INT_MAX, 1}};
    for (const auto& [k, m] : bad) {
        ShardCodec::Error error;
        QVERIFY(!ShardCodec::make(k, m, &error));
        QCOMPARE(error.problem, Problem::BadScheme);
        QVERIFY(error.message.contains(QStringLiteral("%1+%2").arg(k).arg(m)));
    }
    ShardCodec::Error error;
    QVERIFY(ShardCodec::make(31, 1, &error));
    QVERIFY(ShardCodec::make(1, 31, &error));
}

void TestErasureCode::hostileShardsAreRefused()
{
    const auto codec = codecFor(4, 2);
    const QByteArray chunk = test::pseudoRandomBytes(4000, 13);
    ShardCodec::Error error;
    const auto shards = codec.encode(chunk, &error);

    auto outOfRange = without(shards, {0});
    outOfRange.front().index = 6;
    QVERIFY(!codec.decode(outOfRange, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::BadShardIndex);
    QCOMPARE(error.shardIndex, 6);
    outOfRange.front().index = -1;
    QVERIFY(!codec.decode(outOfRange, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::BadShardIndex);

    // The same shard twice is not two shards, even when there would otherwise be K.
    auto duplicate = without(shards, {4, 5});
    duplicate.push_back(shards[2]);
    QVERIFY(!codec.decode(duplicate, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::DuplicateShard);
    QCOMPARE(error.shardIndex, 2);

    auto shortShard = shards;
    shortShard[3].bytes.chop(1);
    QVERIFY(!codec.decode(shortShard, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::BadShardSize);
    QCOMPARE(error.shardIndex, 3);
    auto longShard = shards;
    longShard[5].bytes.append('x');
    QVERIFY(!codec.decode(longShard, chunk.size(), &error));
    QCOMPARE(error.problem, Problem::BadShardSize);

    // A chunk size that disagrees with the shards' size (a manifest lying about it).
    QVERIFY(!codec.decode(shards, chunk.size() + 4, &error));
    QCOMPARE(error.problem, Problem::BadShardSize);
}

void TestErasureCode::hostileChunkSizesAreRefused()
{
    const auto codec = codecFor(4, 2);
    ShardCodec::Error error;
    for (qint64 size : {qint64(0), qint64(-1), qint64(ChunkerParams::LargestChunkSize) + 1,
                        std::numeric_limits<qint64>::max(), std::numeric_limits<qint64>::min()}) {
        QVERIFY(!codec.layout(size, &error));
        QCOMPARE(error.problem, Problem::BadChunkSize);
        QVERIFY(!codec.decode({}, size, &error));
        QCOMPARE(error.problem, Problem::BadChunkSize);
    }
    QVERIFY(codec.encode(QByteArrayView(), &error).empty());
    QCOMPARE(error.problem, Problem::BadChunkSize);
    const auto largest = codec.layout(ChunkerParams::LargestChunkSize, &error);
    QVERIFY(largest);
    QCOMPARE(largest->shardSize, ChunkerParams::LargestChunkSize / 4);
}

QTEST_GUILESS_MAIN(TestErasureCode)
#include "tst_erasurecode.moc"
