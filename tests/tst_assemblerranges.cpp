// RangeJob against real local-folder providers in a temporary vault: arbitrary byte ranges
// against the source bytes, ranges outside the file, and a slow output that the job waits for.

#include "assemblertestsupport.h"
#include "vault/chunkcache.h"

#include <QtTest>

#include <algorithm>

using namespace mf;
using namespace mf::test;

class TestAssemblerRanges final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void range_data();
    void range();
    void rangeOutsideFile();
    void rangeWaitsForASlowOutput();
    void readsAheadWhileTheOutputWaits();
};

void TestAssemblerRanges::range_data()
{
    QTest::addColumn<QString>("which");
    QTest::addColumn<bool>("damaged"); // the first replica of every chunk is corrupt
    for (bool damaged : {false, true}) {
        const char* suffix = damaged ? " (failover)" : "";
        for (const char* which :
             {"first byte", "last byte", "whole file", "empty", "across one boundary",
              "across several chunks", "inside one chunk", "exactly one chunk",
              "from the middle to the end"})
            QTest::addRow("%s%s", which, suffix) << QString::fromLatin1(which) << damaged;
    }
}

void TestAssemblerRanges::range()
{
    QFETCH(QString, which);
    QFETCH(bool, damaged);
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(4 * MiB + 321, 31);
    const QString source = v.path(QStringLiteral("r.bin"));
    QVERIFY(test::writeFile(source, data));
    QVERIFY(floatModel(v, {source}, QStringLiteral("r"), 2));
    const auto file = fileOf(v, QStringLiteral("r"), QStringLiteral("r.bin"));
    QVERIFY(file);
    const QList<FileChunk> chunks = v.registry().modelRows().fileChunks(file->id);
    QVERIFY(chunks.size() >= 5);
    if (damaged)
        for (const FileChunk& c : chunks)
            QVERIFY(damage(v.objectPath(v.providerIds().first(), c.cid), c.size, 400 + c.index));

    const qint64 size = data.size();
    const FileChunk& second = chunks.at(1);
    qint64 begin = 0, end = 0;
    if (which == QLatin1String("first byte")) {
        begin = 0, end = 1;
    } else if (which == QLatin1String("last byte")) {
        begin = size - 1, end = size;
    } else if (which == QLatin1String("whole file")) {
        begin = 0, end = size;
    } else if (which == QLatin1String("empty")) {
        begin = 1000, end = 1000;
    } else if (which == QLatin1String("across one boundary")) {
        begin = second.offset - 10, end = second.offset + 10;
    } else if (which == QLatin1String("across several chunks")) {
        begin = chunks.at(1).offset + 5, end = chunks.at(4).offset + 7;
    } else if (which == QLatin1String("inside one chunk")) {
        begin = second.offset + 3, end = second.offset + second.size - 3;
    } else if (which == QLatin1String("exactly one chunk")) {
        begin = second.offset, end = second.offset + second.size;
    } else {
        begin = size / 2, end = size;
    }

    QBuffer buffer;
    QVERIFY(buffer.open(QIODevice::WriteOnly));
    auto job = std::make_unique<RangeJob>(v.vault.get(), *file, begin, end, &buffer);
    QVERIFY(run(*job));
    QVERIFY2(job->error().ok(), qPrintable(job->error().message));
    QCOMPARE(job->bytesWritten(), end - begin);
    QCOMPARE(qint64(buffer.data().size()), end - begin);
    QVERIFY(buffer.data() == data.mid(begin, end - begin));
    // The spool file is gone with the job.
    job.reset();
    QVERIFY(entriesOf(v.vault->tempDirectory()).isEmpty());
}

void TestAssemblerRanges::rangeOutsideFile()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("s.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 1 * MiB, 32));
    QVERIFY(floatModel(v, {source}, QStringLiteral("s"), 1));
    const auto file = fileOf(v, QStringLiteral("s"), QStringLiteral("s.bin"));
    QVERIFY(file);
    const QList<QPair<qint64, qint64>> bad{{-1, 10}, {0, MiB + 1}, {20, 10}, {MiB + 1, MiB + 2}};
    for (const auto& [begin, end] : bad) {
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        RangeJob job(v.vault.get(), *file, begin, end, &buffer);
        QVERIFY(run(job));
        QVERIFY(!job.error().ok());
        QVERIFY2(job.error().message.contains(QStringLiteral("outside")),
                 qPrintable(job.error().message));
        QCOMPARE(qint64(buffer.data().size()), qint64(0));
    }
}

void TestAssemblerRanges::rangeWaitsForASlowOutput()
{
    // Memory must not grow with the file however slowly the output (the API's socket) sends:
    // RangeJob writes more only while the output holds at most MaxOutputBacklog.
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("slow.bin"));
    const qint64 size = 12 * MiB + 5;
    QVERIFY(test::writePseudoRandomFile(source, size, 35));
    QVERIFY(floatModel(v, {source}, QStringLiteral("slow"), 1));
    const auto file = fileOf(v, QStringLiteral("slow"), QStringLiteral("slow.bin"));
    QVERIFY(file);
    SlowOutput output;
    QVERIFY(output.open(QIODevice::WriteOnly));
    RangeJob job(v.vault.get(), *file, 0, size, &output);
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    // One block of at most 1 MiB may be written on top of a full backlog.
    QVERIFY2(output.mostWaiting <= RangeJob::MaxOutputBacklog + MiB,
             QByteArray::number(output.mostWaiting).constData());
    output.flush();
    QFile original(source);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QVERIFY(output.sent == original.readAll());
}

// While the output holds the chunk going out, the chunks after it are loaded (fetched and
// verified into the chunk cache), so that fetching overlaps writing out: one chunk at a time, a
// 1 GiB file read cold through the API took 2.2 times as long as its restore.
void TestAssemblerRanges::readsAheadWhileTheOutputWaits()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("ahead.bin"));
    const qint64 size = 16 * MiB + 7;
    QVERIFY(test::writePseudoRandomFile(source, size, 36));
    QVERIFY(floatModel(v, {source}, QStringLiteral("ahead"), 1));
    const auto file = fileOf(v, QStringLiteral("ahead"), QStringLiteral("ahead.bin"));
    QVERIFY(file);
    const QList<FileChunk> chunks = v.registry().modelRows().fileChunks(file->id);
    QVERIFY(chunks.size() >= 10);
    SlowOutput output;
    output.stalled = true;
    QVERIFY(output.open(QIODevice::WriteOnly));
    RangeJob job(v.vault.get(), *file, 0, size, &output);
    job.start();
    // Stalled with the backlog full: the chunk going out is the one holding the next byte.
    QTRY_VERIFY_WITH_TIMEOUT(output.mostWaiting > RangeJob::MaxOutputBacklog, 60'000);
    const auto going = std::find_if(chunks.cbegin(), chunks.cend(), [&](const FileChunk& c) {
        return c.offset + c.size > output.mostWaiting;
    });
    QVERIFY(going != chunks.cend());
    const int next = int(going - chunks.cbegin()) + 1;
    QVERIFY(next + 1 < chunks.size());
    for (int i = next; i < next + 2; ++i)
        QTRY_VERIFY2_WITH_TIMEOUT(v.vault->chunkCache().contains(chunks.at(i).cid),
                                  qPrintable(QStringLiteral("chunk %1 was not loaded").arg(i)),
                                  60'000);
    QVERIFY(!job.isFinished());
    output.stalled = false;
    QTRY_VERIFY_WITH_TIMEOUT(job.isFinished(), 120'000);
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    output.flush();
    QFile original(source);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QVERIFY(output.sent == original.readAll());
}

QTEST_GUILESS_MAIN(TestAssemblerRanges)
#include "tst_assemblerranges.moc"
