// The chunker: parameter strings, the cut rule (against an independent, deliberately naive
// implementation of docs/chunking.md), independence from how the stream is fed, size bounds,
// a golden list, and the property the whole design rests on: a small edit changes only the
// chunks around it.

#include "chunking/chunkboundaryfinder.h"
#include "chunking/chunkerparams.h"
#include "chunking/sha256.h"
#include "testsupport.h"

#include <QSet>
#include <QtTest>

#include <array>
#include <functional>

using namespace mf;

namespace {

constexpr quint32 KiB = 1024;
constexpr quint32 MiB = 1024 * KiB;

const ChunkerParams Small = ChunkerParams::contentDefined(64 * KiB, 256 * KiB, 1 * MiB);
const ChunkerParams Medium = ChunkerParams::contentDefined(256 * KiB, 1 * MiB, 4 * MiB);

// Returns the size of the next piece to feed, given how much is left.
using Splitter = std::function<qsizetype(qsizetype left)>;

QList<qint64> chunkSizes(const QByteArray& data, const ChunkerParams& params,
                         const Splitter& split = {})
{
    ChunkBoundaryFinder finder(params);
    QList<qint64> sizes;
    const auto* p = reinterpret_cast<const uchar*>(data.constData());
    qsizetype left = data.size();
    qint64 current = 0;
    while (left > 0) {
        const qsizetype piece = split ? qMin(left, split(left)) : left;
        qsizetype pieceLeft = piece;
        while (pieceLeft > 0) {
            bool boundary = false;
            const qsizetype used = finder.feed(p, pieceLeft, &boundary);
            if (used < 1 || used > pieceLeft)
                return {}; // breaks the contract; the caller's comparison fails
            p += used;
            pieceLeft -= used;
            current += used;
            if (boundary) {
                sizes.append(current);
                current = 0;
            } else if (pieceLeft != 0) {
                return {}; // stopped early without a boundary
            }
        }
        left -= piece;
    }
    if (current != finder.pendingSize())
        return {};
    if (current > 0)
        sizes.append(current);
    return sizes;
}

Splitter randomSplits(quint64 seed, qsizetype largest)
{
    return [state = seed, largest](qsizetype) mutable {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        // Mostly small and odd sizes, sometimes large ones.
        const quint64 r = state >> 33;
        return qsizetype(r % 4 == 0 ? r % quint64(largest) + 1 : r % 4099 + 1);
    };
}

// docs/chunking.md, implemented as plainly as possible and independently of the product code:
// hash every byte from the start of the chunk, test the rule at every position.
class ReferenceChunker
{
public:
    explicit ReferenceChunker(const ChunkerParams& p)
        : m_params(p)
    {
        quint64 state = 0;
        for (quint64& g : m_gear) {
            quint64 z = (state += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            g = z ^ (z >> 31);
        }
        int bits = 0;
        while ((1u << (bits + 1)) <= p.avgSize)
            ++bits;
        m_small = mask(bits + 2);
        m_large = mask(bits - 2);
    }

    QList<qint64> sizes(const QByteArray& data) const
    {
        QList<qint64> out;
        qint64 start = 0;
        while (start < data.size()) {
            quint64 h = 0;
            qint64 length = 0;
            for (;;) {
                h = (h << 1) + m_gear[quint8(data[start + length])];
                ++length;
                const quint64 mask = length < qint64(m_params.avgSize) ? m_small : m_large;
                if (length == qint64(m_params.maxSize) || start + length == data.size() ||
                    (length >= qint64(m_params.minSize) && (h & mask) == 0))
                    break;
            }
            out.append(length);
            start += length;
        }
        return out;
    }

private:
    static quint64 mask(int n)
    {
        quint64 m = 0;
        for (int i = 0; i < n; ++i)
            m |= quint64(1) << (63 - (43 * i) / (n - 1));
        return m;
    }

    ChunkerParams m_params;
    std::array<quint64, 256> m_gear{};
    quint64 m_small = 0;
    quint64 m_large = 0;
};

struct Comparison
{
    int total = 0;
    int unchanged = 0;
    qint64 totalBytes = 0;
    qint64 unchangedBytes = 0;
};

// How many chunks of `edited` (by count and by bytes) are also chunks of `original`.
Comparison compareChunks(const QByteArray& original, const QByteArray& edited,
                         const ChunkerParams& params)
{
    QSet<QByteArray> known;
    qint64 offset = 0;
    for (qint64 size : chunkSizes(original, params)) {
        known.insert(Sha256::hash(QByteArrayView(original).sliced(offset, size)));
        offset += size;
    }
    Comparison c;
    offset = 0;
    for (qint64 size : chunkSizes(edited, params)) {
        ++c.total;
        c.totalBytes += size;
        if (known.contains(Sha256::hash(QByteArrayView(edited).sliced(offset, size)))) {
            ++c.unchanged;
            c.unchangedBytes += size;
        }
        offset += size;
    }
    return c;
}

} // namespace

class TestChunker final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void paramsRoundTrip_data();
    void paramsRoundTrip();
    void paramsRejected_data();
    void paramsRejected();
    void paramsValidity_data();
    void paramsValidity();
    void matchesReference_data();
    void matchesReference();
    void independentOfFeedSplits_data();
    void independentOfFeedSplits();
    void oneByteFeeds();
    void sizesWithinBounds();
    void fixedSizes();
    void golden();
    void editNearStart_data();
    void editNearStart();
    void defaultsResyncAfterShift();
};

void TestChunker::paramsRoundTrip_data()
{
    QTest::addColumn<ChunkerParams>("params");
    QTest::addColumn<QString>("text");
    QTest::newRow("defaults") << ChunkerParams::defaults() << ChunkerParams::defaults().toString();
    QTest::newRow("cdc") << ChunkerParams::contentDefined(4 * MiB, 8 * MiB, 16 * MiB)
                         << QStringLiteral("fastcdc:min=4194304,avg=8388608,max=16777216");
    QTest::newRow("cdc small") << Small
                               << QStringLiteral("fastcdc:min=65536,avg=262144,max=1048576");
    QTest::newRow("cdc odd min") << ChunkerParams::contentDefined(5 * MiB + 1, 8 * MiB, 8 * MiB + 1)
                                 << QStringLiteral("fastcdc:min=5242881,avg=8388608,max=8388609");
    QTest::newRow("fixed") << ChunkerParams::fixed(8 * MiB) << QStringLiteral("fixed:size=8388608");
    QTest::newRow("fixed odd") << ChunkerParams::fixed(100000)
                               << QStringLiteral("fixed:size=100000");
}

void TestChunker::paramsRoundTrip()
{
    QFETCH(ChunkerParams, params);
    QFETCH(QString, text);
    QVERIFY(params.isValid());
    QCOMPARE(params.toString(), text);
    QString error = QStringLiteral("untouched");
    const std::optional<ChunkerParams> parsed = ChunkerParams::fromString(text, &error);
    QVERIFY(parsed);
    QVERIFY(*parsed == params);
    QCOMPARE(error, QStringLiteral("untouched"));
}

void TestChunker::paramsRejected_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("errorMentions");
    const QString syntax = QStringLiteral("expected");
    QTest::newRow("empty") << QString() << syntax;
    QTest::newRow("kind only") << QStringLiteral("fastcdc") << syntax;
    QTest::newRow("no fields") << QStringLiteral("fastcdc:") << syntax;
    QTest::newRow("missing max") << QStringLiteral("fastcdc:min=4194304,avg=8388608") << syntax;
    QTest::newRow("extra field") << QStringLiteral(
                                        "fastcdc:min=4194304,avg=8388608,max=16777216,x=1")
                                 << syntax;
    QTest::newRow("wrong order") << QStringLiteral("fastcdc:avg=8388608,min=4194304,max=16777216")
                                 << syntax;
    QTest::newRow("upper case") << QStringLiteral("FASTCDC:min=4194304,avg=8388608,max=16777216")
                                << syntax;
    QTest::newRow("leading space")
        << QStringLiteral(" fastcdc:min=4194304,avg=8388608,max=16777216") << syntax;
    QTest::newRow("trailing space")
        << QStringLiteral("fastcdc:min=4194304,avg=8388608,max=16777216 ") << syntax;
    QTest::newRow("space in field")
        << QStringLiteral("fastcdc:min= 4194304,avg=8388608,max=16777216") << syntax;
    QTest::newRow("plus sign") << QStringLiteral("fastcdc:min=+4194304,avg=8388608,max=16777216")
                               << syntax;
    QTest::newRow("negative") << QStringLiteral("fixed:size=-8388608") << syntax;
    QTest::newRow("suffix") << QStringLiteral("fastcdc:min=4M,avg=8M,max=16M") << syntax;
    QTest::newRow("hex") << QStringLiteral("fixed:size=0x800000") << syntax;
    QTest::newRow("empty value") << QStringLiteral("fixed:size=") << syntax;
    QTest::newRow("no key") << QStringLiteral("fixed:8388608") << syntax;
    QTest::newRow("overflow") << QStringLiteral("fixed:size=4294967296") << syntax;
    QTest::newRow("huge") << QStringLiteral("fixed:size=99999999999999999999") << syntax;
    QTest::newRow("other kind") << QStringLiteral("rabin:min=1,avg=2,max=3") << syntax;
    QTest::newRow("fixed with cdc fields")
        << QStringLiteral("fixed:min=4194304,avg=8388608,max=16777216") << syntax;
    // Well-formed, but the values break the invariants: isValid()'s message comes through.
    QTest::newRow("avg not power of two")
        << QStringLiteral("fastcdc:min=4194304,avg=8000000,max=16777216")
        << QStringLiteral("power of two");
    QTest::newRow("too small") << QStringLiteral("fixed:size=4096") << QStringLiteral("64 KiB");
    QTest::newRow("min above avg")
        << QStringLiteral("fastcdc:min=16777216,avg=8388608,max=33554432")
        << QStringLiteral("minimum ≤ average < maximum");
}

void TestChunker::paramsRejected()
{
    QFETCH(QString, text);
    QFETCH(QString, errorMentions);
    QString error;
    QVERIFY(!ChunkerParams::fromString(text, &error));
    QVERIFY2(error.contains(errorMentions), qPrintable(error));
    QVERIFY(!ChunkerParams::fromString(text)); // no error pointer: must not crash
}

void TestChunker::paramsValidity_data()
{
    QTest::addColumn<ChunkerParams>("params");
    QTest::addColumn<bool>("valid");
    const auto cdc = &ChunkerParams::contentDefined;
    QTest::newRow("defaults") << ChunkerParams::defaults() << true;
    QTest::newRow("smallest") << cdc(64 * KiB, 64 * KiB, 128 * KiB) << true;
    QTest::newRow("largest") << cdc(64 * MiB - 1, 32 * MiB, 64 * MiB) << false; // min > avg
    QTest::newRow("largest ok") << cdc(16 * MiB, 32 * MiB, 64 * MiB) << true;
    QTest::newRow("min == avg") << cdc(8 * MiB, 8 * MiB, 16 * MiB) << true;
    QTest::newRow("max just above avg") << cdc(4 * MiB, 8 * MiB, 8 * MiB + 1) << true;
    QTest::newRow("max == avg") << cdc(4 * MiB, 8 * MiB, 8 * MiB) << false;
    QTest::newRow("max below avg") << cdc(4 * MiB, 8 * MiB, 6 * MiB) << false;
    QTest::newRow("min too small") << cdc(64 * KiB - 1, 1 * MiB, 2 * MiB) << false;
    QTest::newRow("max too large") << cdc(16 * MiB, 32 * MiB, 64 * MiB + 1) << false;
    QTest::newRow("avg not power of two") << cdc(4 * MiB, 6 * MiB, 16 * MiB) << false;
    QTest::newRow("zeros") << ChunkerParams() << false;
    QTest::newRow("fixed") << ChunkerParams::fixed(8 * MiB) << true;
    QTest::newRow("fixed smallest") << ChunkerParams::fixed(64 * KiB) << true;
    QTest::newRow("fixed largest") << ChunkerParams::fixed(64 * MiB) << true;
    QTest::newRow("fixed too small") << ChunkerParams::fixed(64 * KiB - 1) << false;
    QTest::newRow("fixed too large") << ChunkerParams::fixed(64 * MiB + 1) << false;
    ChunkerParams fixedWithMax = ChunkerParams::fixed(8 * MiB);
    fixedWithMax.maxSize = 16 * MiB;
    QTest::newRow("fixed with max") << fixedWithMax << false;
}

void TestChunker::paramsValidity()
{
    QFETCH(ChunkerParams, params);
    QFETCH(bool, valid);
    QString error;
    QCOMPARE(params.isValid(&error), valid);
    QCOMPARE(error.isEmpty(), valid);
    if (valid)
        QVERIFY(params.largestChunk() >= params.avgSize);
}

void TestChunker::matchesReference_data()
{
    QTest::addColumn<ChunkerParams>("params");
    QTest::addColumn<qint64>("size");
    QTest::newRow("small") << Small << qint64(24 * MiB);
    QTest::newRow("min == avg") << ChunkerParams::contentDefined(256 * KiB, 256 * KiB, 300 * KiB)
                                << qint64(16 * MiB);
    QTest::newRow("max tight") << ChunkerParams::contentDefined(64 * KiB, 128 * KiB, 129 * KiB)
                               << qint64(16 * MiB);
    QTest::newRow("medium") << Medium << qint64(40 * MiB);
}

void TestChunker::matchesReference()
{
    QFETCH(ChunkerParams, params);
    QFETCH(qint64, size);
    const QByteArray data = test::pseudoRandomBytes(size, 5);
    const QList<qint64> expected = ReferenceChunker(params).sizes(data);
    QVERIFY(expected.size() > 10);
    QCOMPARE(chunkSizes(data, params), expected);
}

void TestChunker::independentOfFeedSplits_data()
{
    QTest::addColumn<ChunkerParams>("params");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("small 1") << Small << quint64(1);
    QTest::newRow("small 2") << Small << quint64(2);
    QTest::newRow("medium") << Medium << quint64(3);
    QTest::newRow("defaults") << ChunkerParams::defaults() << quint64(4);
    QTest::newRow("fixed") << ChunkerParams::fixed(300000) << quint64(5);
}

void TestChunker::independentOfFeedSplits()
{
    QFETCH(ChunkerParams, params);
    QFETCH(quint64, seed);
    const QByteArray data = test::pseudoRandomBytes(48 * MiB + 12345, seed);
    const QList<qint64> whole = chunkSizes(data, params);
    QVERIFY(whole.size() >= 2);
    QCOMPARE(chunkSizes(data, params, randomSplits(seed, 3 * MiB)), whole);
    QCOMPARE(chunkSizes(data, params, randomSplits(seed + 100, 64 * KiB)), whole);
    // Pieces that straddle the "start hashing" point (min - 64) in every possible way.
    QCOMPARE(chunkSizes(data, params, [](qsizetype) { return qsizetype(63); }), whole);
    QCOMPARE(chunkSizes(data, params, [](qsizetype) { return qsizetype(65536); }), whole);
}

void TestChunker::oneByteFeeds()
{
    const QByteArray data = test::pseudoRandomBytes(3 * MiB, 11);
    for (const ChunkerParams& params : {Small, ChunkerParams::fixed(100000)}) {
        const QList<qint64> whole = chunkSizes(data, params);
        QVERIFY(whole.size() > 3);
        QCOMPARE(chunkSizes(data, params, [](qsizetype) { return qsizetype(1); }), whole);
    }
}

void TestChunker::sizesWithinBounds()
{
    const QByteArray data = test::pseudoRandomBytes(64 * MiB + 7, 21);
    for (const ChunkerParams& params :
         {Small, Medium, ChunkerParams::contentDefined(64 * KiB, 1 * MiB, 2 * MiB)}) {
        const QList<qint64> sizes = chunkSizes(data, params);
        qint64 total = 0;
        for (qsizetype i = 0; i < sizes.size(); ++i) {
            total += sizes.at(i);
            QVERIFY(sizes.at(i) <= params.maxSize);
            if (i + 1 < sizes.size())
                QVERIFY2(sizes.at(i) >= params.minSize, qPrintable(params.toString()));
        }
        QCOMPARE(total, qint64(data.size()));
        // Normalized chunking keeps the mean near the target (about 1.1 x avg with min = avg/4).
        const double mean = double(total) / double(sizes.size());
        QVERIFY2(mean > 0.8 * params.avgSize && mean < 1.5 * params.avgSize,
                 qPrintable(QString::number(mean)));
    }
}

void TestChunker::fixedSizes()
{
    const ChunkerParams params = ChunkerParams::fixed(256 * KiB);
    const QByteArray exact = test::pseudoRandomBytes(8 * 256 * KiB, 3);
    QCOMPARE(chunkSizes(exact, params), QList<qint64>(8, 256 * KiB));
    const QByteArray ragged = exact + QByteArray(1000, 'x');
    QList<qint64> expected(8, 256 * KiB);
    expected.append(1000);
    QCOMPARE(chunkSizes(ragged, params), expected);
    QCOMPARE(chunkSizes(ragged, params, randomSplits(9, 1 * MiB)), expected);
    QCOMPARE(chunkSizes(QByteArray(100, 'y'), params), QList<qint64>{100});
    QCOMPARE(chunkSizes(QByteArray(), params), QList<qint64>());
}

void TestChunker::golden()
{
    // Computed once with this implementation (and matched by ReferenceChunker above) and
    // written here on purpose: if this fails, the chunking algorithm changed, and every file
    // already floated would stop deduplicating against new uploads. Do not "fix" the numbers;
    // fix the code, or version the algorithm under a new name in ChunkerParams.
    const QList<qint64> expected = {289408, 210040, 299885, 294756, 317122, 382516, 431963,
                                    282897, 455074, 286666, 281425, 384083, 169197, 271722,
                                    621249, 296072, 271846, 340641, 305123, 272974};
    const QByteArray data = test::pseudoRandomBytes(16 * MiB, 42);
    QCOMPARE(chunkSizes(data, Small).mid(0, expected.size()), expected);
}

void TestChunker::editNearStart_data()
{
    QTest::addColumn<bool>("insert");
    QTest::newRow("insert 100 bytes at 1000") << true;
    QTest::newRow("delete 100 bytes at 1000") << false;
}

void TestChunker::editNearStart()
{
    QFETCH(bool, insert);
    const QByteArray original = test::pseudoRandomBytes(64 * MiB, 77);
    QByteArray edited = original;
    if (insert)
        edited.insert(1000, test::pseudoRandomBytes(100, 78));
    else
        edited.remove(1000, 100);

    const Comparison c = compareChunks(original, edited, Medium);
    qInfo("%d of %d chunks unchanged (%.2f%%), %lld of %lld bytes (%.2f%%)", c.unchanged, c.total,
          100.0 * c.unchanged / c.total, c.unchangedBytes, c.totalBytes,
          100.0 * double(c.unchangedBytes) / double(c.totalBytes));
    QVERIFY(c.total > 40);
    QVERIFY2(c.unchanged * 10 >= c.total * 9, "fewer than 90% of the chunks survived the edit");
    QVERIFY(c.unchangedBytes * 10 >= c.totalBytes * 9);
}

void TestChunker::defaultsResyncAfterShift()
{
    // With the vault defaults, a header that grows by 1 KiB (a GGUF with a new chat template)
    // must leave every chunk but the first one or two as they were, and so must a change in
    // the middle of the file.
    const ChunkerParams params = ChunkerParams::defaults();
    const QByteArray original = test::pseudoRandomBytes(256 * MiB, 2024);

    QByteArray edited = original;
    edited.insert(100, test::pseudoRandomBytes(1024, 1));
    Comparison c = compareChunks(original, edited, params);
    qInfo("insert at start: %d of %d chunks unchanged", c.unchanged, c.total);
    QVERIFY(c.total > 10);
    QVERIFY(c.total - c.unchanged <= 2);

    edited = original;
    edited.replace(128 * MiB, 4096, test::pseudoRandomBytes(4096, 2));
    c = compareChunks(original, edited, params);
    qInfo("change in the middle: %d of %d chunks unchanged", c.unchanged, c.total);
    QVERIFY(c.total - c.unchanged <= 2);
}

QTEST_GUILESS_MAIN(TestChunker)
#include "tst_chunker.moc"
