// RedundancyScheme (copies N | shards K+M): one spelling per value, every other spelling refused
// with the accepted forms; its plain-words description; and modelBytesThatFit(), the space
// figure of `stats`, checked against a brute force over whole units.
#include "chunking/redundancycapacity.h"
#include "chunking/redundancyscheme.h"

#include <QTest>

#include <algorithm>
#include <functional>
#include <limits>

using namespace mf;

namespace {

constexpr qint64 GB = 1000LL * 1000 * 1000;

// The most units of model that fit, by trying every total from the largest down and filling
// the providers greedily one unit at a time: each unit of model is `pieces` pieces of
// `pieceUnits`... kept simple by working in pieces: a total of T pieces per stream.
// For n streams (N copies, or K+M shards), T fits when the n·T pieces can go one per stream to
// distinct providers: place stream by stream, each piece on the provider with the most room
// that does not already hold a piece of the same unit. Small numbers only.
qint64 bruteForcePieces(std::vector<qint64> free, int streams)
{
    qint64 best = 0;
    for (qint64 t = 1; t <= 64; ++t) {
        std::vector<qint64> room = free;
        bool fits = true;
        for (qint64 unit = 0; unit < t && fits; ++unit) {
            std::vector<size_t> order(room.size());
            for (size_t i = 0; i < order.size(); ++i)
                order[i] = i;
            std::sort(order.begin(), order.end(),
                      [&](size_t a, size_t b) { return room[a] > room[b]; });
            if (int(order.size()) < streams) {
                fits = false;
                break;
            }
            for (int s = 0; s < streams; ++s) {
                if (room[order[size_t(s)]] <= 0) {
                    fits = false;
                    break;
                }
                --room[order[size_t(s)]];
            }
        }
        if (fits)
            best = t;
    }
    return best;
}

} // namespace

class TestRedundancy : public QObject
{
    Q_OBJECT

private slots:
    void parsesAndFormats_data();
    void parsesAndFormats();
    void refusesOtherSpellings_data();
    void refusesOtherSpellings();
    void describesInPlainWords();
    void refusesOneDataShard();
    void fitsFewerProvidersWithTheSameParity();
    void freeSpaceTableOfTheIssue();
    void freeSpaceMatchesBruteForce();
    void freeSpaceOfHostileFigures();
};

void TestRedundancy::parsesAndFormats_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("providers");
    QTest::addColumn<int>("losses");
    QTest::addColumn<double>("factor");
    QTest::newRow("copies 1") << QStringLiteral("copies 1") << 1 << 0 << 1.0;
    QTest::newRow("copies 2") << QStringLiteral("copies 2") << 2 << 1 << 2.0;
    QTest::newRow("copies 16") << QStringLiteral("copies 16") << 16 << 15 << 16.0;
    QTest::newRow("shards 4+2") << QStringLiteral("shards 4+2") << 6 << 2 << 1.5;
    QTest::newRow("shards 10+4") << QStringLiteral("shards 10+4") << 14 << 4 << 1.4;
    QTest::newRow("shards 1+1") << QStringLiteral("shards 1+1") << 2 << 1 << 2.0;
    QTest::newRow("shards 31+1") << QStringLiteral("shards 31+1") << 32 << 1 << 32.0 / 31.0;
}

void TestRedundancy::parsesAndFormats()
{
    QFETCH(QString, text);
    QFETCH(int, providers);
    QFETCH(int, losses);
    QFETCH(double, factor);
    QString error;
    const auto scheme = RedundancyScheme::parse(text, &error);
    QVERIFY2(scheme, qPrintable(error));
    QCOMPARE(scheme->toString(), text);
    QCOMPARE(scheme->providersNeeded(), providers);
    QCOMPARE(scheme->lossesSurvived(), losses);
    QCOMPARE(scheme->storageFactor(), factor);
    QCOMPARE(*RedundancyScheme::parse(scheme->toString()), *scheme);
}

void TestRedundancy::refusesOtherSpellings_data()
{
    QTest::addColumn<QString>("text");
    for (const char* bad : {"",
                            "copies",
                            "copies 0",
                            "copies 17",
                            "copies -1",
                            "copies +2",
                            "copies 2 ",
                            " copies 2",
                            "copies  2",
                            "Copies 2",
                            "copies 0x2",
                            "copies 2.0",
                            "copies 0002",
                            "shards",
                            "shards 4",
                            "shards 4+",
                            "shards +2",
                            "shards 4+0",
                            "shards 0+2",
                            "shards 4-2",
                            "shards 4 + 2",
                            "shards 20+13",
                            "shards 4+2+1",
                            "shards 999+999",
                            "shards 1000+1",
                            "replicas 2"})
        QTest::newRow(bad) << QString::fromUtf8(bad);
}

void TestRedundancy::refusesOtherSpellings()
{
    QFETCH(QString, text);
    QString error;
    QVERIFY(!RedundancyScheme::parse(text, &error));
    QVERIFY(!error.isEmpty());
    // Each refusal says what is accepted: the forms, or the shard bounds.
    QVERIFY2(error.contains(QStringLiteral("copies N")) ||
                 error.contains(QStringLiteral("at most 32 shards")),
             qPrintable(error));
}

void TestRedundancy::describesInPlainWords()
{
    QCOMPARE(RedundancyScheme::makeShards(4, 2).describe(6),
             QStringLiteral("1.5× the model's size, survives losing any 2 of your 6 providers"));
    QCOMPARE(RedundancyScheme::makeCopies(2).describe(5),
             QStringLiteral("2× the model's size, survives losing any 1 of your 5 providers"));
    QCOMPARE(RedundancyScheme::makeCopies(1).describe(3),
             QStringLiteral("1× the model's size, does not survive losing a provider"));
    QCOMPARE(RedundancyScheme::makeShards(3, 2).describe(5),
             QStringLiteral("1.67× the model's size, survives losing any 2 of your 5 providers"));
    QCOMPARE(RedundancyScheme::makeShards(4, 2).describe(5),
             QStringLiteral("1.5× the model's size, but needs 6 providers and the vault has 5"));
}

void TestRedundancy::refusesOneDataShard()
{
    // Its shards are the chunk itself: a conversion from it retired them as the chunk's copies,
    // and the model was lost to the registry.
    const QString one = RedundancyScheme::makeShards(1, 1).refusal(10);
    QVERIFY2(one.contains(QStringLiteral("shards 1+1 keeps every chunk whole 2 times")) &&
                 one.contains(QStringLiteral("choose copies 2, or at least 2 data shards")),
             qPrintable(one));
    QVERIFY(RedundancyScheme::makeShards(1, 2).refusal(10).contains(QStringLiteral("copies 3")));
    QCOMPARE(RedundancyScheme::makeShards(2, 1).refusal(3), QString());
    QCOMPARE(RedundancyScheme::makeCopies(1).refusal(1), QString());
}

void TestRedundancy::fitsFewerProvidersWithTheSameParity()
{
    // What a drain that cannot move shards suggests, and Change redundancy… offers.
    const auto onFive = RedundancyScheme::makeShards(4, 2).fittingOn(5);
    QVERIFY(onFive);
    QCOMPARE(onFive->toString(), QStringLiteral("shards 3+2"));
    QVERIFY(!RedundancyScheme::makeShards(4, 2).fittingOn(6)); // it fits already
    QVERIFY(!RedundancyScheme::makeShards(4, 2).fittingOn(7));
    // One data shard is refused (refusal()): never the way out.
    QVERIFY(!RedundancyScheme::makeShards(2, 2).fittingOn(3));
    QCOMPARE(RedundancyScheme::makeShards(3, 1).fittingOn(3)->toString(),
             QStringLiteral("shards 2+1"));
    QVERIFY(!RedundancyScheme::makeCopies(2).fittingOn(1));
}

void TestRedundancy::freeSpaceTableOfTheIssue()
{
    // 15 GB (Google Drive) + 20 GB (MEGA) + three 10 GB stores, empty.
    const std::vector<qint64> free{15 * GB, 20 * GB, 10 * GB, 10 * GB, 10 * GB};
    const auto fit = [&](const RedundancyScheme& s) { return modelBytesThatFit(free, s); };
    QCOMPARE(fit(RedundancyScheme::makeCopies(1)), 65 * GB);
    QCOMPARE(fit(RedundancyScheme::makeCopies(2)), 65 * GB / 2); // 32.5 GB
    QCOMPARE(fit(RedundancyScheme::makeCopies(3)), 65 * GB / 3); // the 20 GB store is not capped
    QCOMPARE(fit(RedundancyScheme::makeShards(3, 2)), 30 * GB);  // 10 GB per shard stream
    QCOMPARE(fit(RedundancyScheme::makeShards(4, 1)), 40 * GB);
    QCOMPARE(fit(RedundancyScheme::makeShards(3, 1)), 45 * GB); // 15 GB per stream
    QCOMPARE(fit(RedundancyScheme::makeShards(2, 1)), 2 * (65 * GB / 3));
    QCOMPARE(fit(RedundancyScheme::makeShards(4, 2)), 0); // needs six providers
    // The 20 GB store cannot hold more than one piece of each chunk: with copies 2 on two
    // stores of 20 and 1 GB, 1 GB fits, not 10.5.
    QCOMPARE(modelBytesThatFit({20 * GB, 1 * GB}, RedundancyScheme::makeCopies(2)), 1 * GB);
}

void TestRedundancy::freeSpaceMatchesBruteForce()
{
    // In whole pieces; the formula's result divided by K for shards is the pieces per stream.
    const std::vector<std::vector<qint64>> cases{
        {5, 5, 5},       {10, 1, 1},    {7, 3, 2, 2, 1}, {0, 4, 4, 4},       {9, 9, 1, 1, 1, 1},
        {3, 3, 3, 3, 3}, {12, 2, 2, 2}, {1, 1},          {6, 5, 4, 3, 2, 1}, {8, 0, 0, 8}};
    for (const auto& free : cases) {
        for (int n = 1; n <= 6; ++n) {
            const qint64 copies = modelBytesThatFit(free, RedundancyScheme::makeCopies(n));
            QCOMPARE(copies, bruteForcePieces(free, n));
            if (n >= 2) {
                const auto shards = RedundancyScheme::makeShards(n - 1, 1);
                QCOMPARE(modelBytesThatFit(free, shards),
                         qint64(n - 1) * bruteForcePieces(free, n));
            }
        }
    }
}

void TestRedundancy::freeSpaceOfHostileFigures()
{
    constexpr qint64 Most = std::numeric_limits<qint64>::max();
    // Free spaces a provider could report: negative ones count as nothing, huge ones saturate.
    QCOMPARE(modelBytesThatFit({-5, -1}, RedundancyScheme::makeCopies(1)), 0);
    QCOMPARE(modelBytesThatFit({Most, Most, Most}, RedundancyScheme::makeCopies(1)), Most);
    QCOMPARE(modelBytesThatFit({Most, Most, Most}, RedundancyScheme::makeShards(2, 1)),
             2 * (Most / 3)); // the sum saturates, then is shared
    QCOMPARE(modelBytesThatFit({Most, Most}, RedundancyScheme::makeCopies(2)), Most / 2);
    QCOMPARE(modelBytesThatFit({}, RedundancyScheme::makeCopies(1)), 0);
    QCOMPARE(modelBytesThatFit({10}, RedundancyScheme::makeCopies(2)), 0);
}

QTEST_GUILESS_MAIN(TestRedundancy)
#include "tst_redundancy.moc"
