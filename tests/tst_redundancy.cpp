// RedundancyScheme (copies N | shards K+M): one spelling per value, every other spelling refused
// with the accepted forms; its plain-words description.
#include "chunking/redundancyscheme.h"

#include <QTest>

using namespace mf;

class TestRedundancy : public QObject
{
    Q_OBJECT

private slots:
    void parsesAndFormats_data();
    void parsesAndFormats();
    void refusesOtherSpellings_data();
    void refusesOtherSpellings();
    void describesInPlainWords();
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

QTEST_GUILESS_MAIN(TestRedundancy)
#include "tst_redundancy.moc"
