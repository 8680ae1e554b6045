// Units, progress maths and the retry policy: pure functions, so every case is exact. The
// progress meter is driven with explicit timestamps, so nothing here depends on the wall clock.

#include "providers/retrypolicy.h"
#include "registry/modelpath.h"
#include "util/alignedbuffers.h"
#include "util/progressmeter.h"
#include "util/units.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace mf;

class TestUtil final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formatBytes_data();
    void formatBytes();
    void formatRate_data();
    void formatRate();
    void formatDuration_data();
    void formatDuration();
    void formatAge_data();
    void formatAge();
    void parseBytes_data();
    void parseBytes();
    void parseBytesRejects_data();
    void parseBytesRejects();
    void parseBytesRoundTripsFormatBytes();
    void countedSaysEnglishPlurals();

    void meterRateConvergesForSteadyFeed();
    void meterRateFollowsAChange();
    void meterNoEtaBeforeTrustworthy();
    void meterNoEtaWithoutTotalOrProgress();
    void meterTheWaitBeforeBytesMoveIsNoRate();
    void meterEtaForSteadyRate();
    void meterPermilleBounds();
    void meterStalledFor();
    void meterSurvivesARestartedTransfer();
    void meterSteadyWhenBytesComeInBursts();
    void meterUnknownWhenNothingMoves();
    void meterNoEtaDaysAway();

    void retryOnlyRetryable_data();
    void retryOnlyRetryable();
    void retryAttemptsBounded();
    void retryAfterHonoured();
    void retryJitterWithinBounds();
    void retryOddInputsStaySane();

    void alignedBuffersAreReusedWithinABound();

    void modelPathRule_data();
    void modelPathRule();
};

// ---------------------------------------------------------------------------------------- units

void TestUtil::formatBytes_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << qint64(0) << QStringLiteral("0 B");
    QTest::newRow("512") << qint64(512) << QStringLiteral("512 B");
    QTest::newRow("1023") << qint64(1023) << QStringLiteral("1023 B");
    QTest::newRow("1 KiB") << qint64(1024) << QStringLiteral("1.00 KiB");
    QTest::newRow("1.5 KiB") << qint64(1536) << QStringLiteral("1.50 KiB");
    QTest::newRow("10 KiB") << qint64(10 * 1024) << QStringLiteral("10.0 KiB");
    QTest::newRow("1.5 GiB") << (qint64(3) << 29) << QStringLiteral("1.50 GiB");
    QTest::newRow("200 GiB") << (qint64(200) << 30) << QStringLiteral("200.0 GiB");
    QTest::newRow("2 TiB") << (qint64(2) << 40) << QStringLiteral("2.00 TiB");
    QTest::newRow("PiB is the largest unit")
        << (qint64(4096) << 50) << QStringLiteral("4096.0 PiB");
    QTest::newRow("negative") << qint64(-2048) << QStringLiteral("-2.00 KiB");
    // Rounding must not produce "1024.0 KiB" or "10.00 MiB": the unit and the precision are
    // chosen after rounding.
    QTest::newRow("just under 1 MiB") << qint64(1024 * 1024 - 1) << QStringLiteral("1.00 MiB");
    QTest::newRow("just under 10 MiB")
        << qint64(10 * 1024 * 1024 - 1) << QStringLiteral("10.0 MiB");
    QTest::newRow("just under 1 GiB")
        << qint64(1024LL * 1024 * 1024 - 1) << QStringLiteral("1.00 GiB");
}

void TestUtil::formatBytes()
{
    QFETCH(qint64, bytes);
    QFETCH(QString, text);
    QCOMPARE(units::formatBytes(bytes), text);
}

void TestUtil::formatRate_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << 0.0 << QStringLiteral("0.0 B/s");
    QTest::newRow("slow") << 5.5 << QStringLiteral("5.5 B/s");
    QTest::newRow("999") << 999.0 << QStringLiteral("999 B/s");
    // Binary units, as sizes are (issue: MiB beside MB/s read as two systems).
    QTest::newRow("1000 B/s is not yet a KiB/s") << 1000.0 << QStringLiteral("1000 B/s");
    QTest::newRow("1 KiB/s") << 1024.0 << QStringLiteral("1.0 KiB/s");
    QTest::newRow("312 MiB/s") << 312.0 * 1048576 << QStringLiteral("312 MiB/s");
    QTest::newRow("1.5 GiB/s") << 1.5 * 1073741824 << QStringLiteral("1.5 GiB/s");
    QTest::newRow("GiB/s is the largest unit") << 5e12 << QStringLiteral("4657 GiB/s");
    QTest::newRow("rounds up into the next unit") << 1023.7 << QStringLiteral("1.0 KiB/s");
    QTest::newRow("rounds up to 10") << 9.97 * 1048576 << QStringLiteral("10 MiB/s");
    // A rate that cannot be known (no time passed, or a meter that went backwards) is shown as
    // nothing rather than "nan B/s", "inf GB/s" or a negative speed.
    QTest::newRow("nan") << std::numeric_limits<double>::quiet_NaN() << QString();
    QTest::newRow("inf") << std::numeric_limits<double>::infinity() << QString();
    QTest::newRow("negative") << -100.0 << QString();
}

void TestUtil::formatRate()
{
    QFETCH(double, rate);
    QFETCH(QString, text);
    QCOMPARE(units::formatRate(rate), text);
}

void TestUtil::formatDuration_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("unknown") << qint64(-1) << QString();
    QTest::newRow("very unknown") << qint64(-5000) << QString();
    QTest::newRow("zero") << qint64(0) << QStringLiteral("0:00");
    QTest::newRow("59 s") << qint64(59) << QStringLiteral("0:59");
    QTest::newRow("4:05") << qint64(245) << QStringLiteral("4:05");
    QTest::newRow("59:59") << qint64(3599) << QStringLiteral("59:59");
    QTest::newRow("1 h") << qint64(3600) << QStringLiteral("1:00:00");
    QTest::newRow("1:02:03") << qint64(3723) << QStringLiteral("1:02:03");
    QTest::newRow("100 h") << qint64(360000 + 61) << QStringLiteral("100:01:01");
}

void TestUtil::formatDuration()
{
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    QCOMPARE(units::formatDuration(seconds), text);
}

void TestUtil::formatAge_data()
{
    QTest::addColumn<qint64>("secondsAgo");
    QTest::addColumn<QString>("expected");
    QTest::newRow("now") << qint64(0) << QStringLiteral("just now");
    QTest::newRow("ahead") << qint64(-90) << QStringLiteral("just now"); // a clock behind
    QTest::newRow("59 s") << qint64(59) << QStringLiteral("just now");
    QTest::newRow("3 min") << qint64(3 * 60 + 20) << QStringLiteral("3 min ago");
    QTest::newRow("59 min") << qint64(3599) << QStringLiteral("59 min ago");
    QTest::newRow("5 h") << qint64(5 * 3600 + 100) << QStringLiteral("5 h ago");
    QTest::newRow("47 h") << qint64(47 * 3600) << QStringLiteral("47 h ago");
    QTest::newRow("3 days") << qint64(3 * 86400 + 5) << QStringLiteral("3 days ago");
}

void TestUtil::formatAge()
{
    QFETCH(qint64, secondsAgo);
    QFETCH(QString, expected);
    const QDateTime now = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
    QCOMPARE(units::formatAge(now.addSecs(-secondsAgo), now), expected);
    QCOMPARE(units::formatAge(QDateTime(), now), QStringLiteral("never"));
}

void TestUtil::parseBytes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bytes");
    QTest::newRow("plain") << QStringLiteral("4096") << qint64(4096);
    QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
    QTest::newRow("B") << QStringLiteral("512B") << qint64(512);
    QTest::newRow("k") << QStringLiteral("7k") << qint64(7 * 1024);
    QTest::newRow("KB") << QStringLiteral("7KB") << qint64(7 * 1024);
    QTest::newRow("M") << QStringLiteral("8M") << qint64(8 << 20);
    QTest::newRow("MiB") << QStringLiteral("8MiB") << qint64(8 << 20);
    QTest::newRow("mib") << QStringLiteral("8mib") << qint64(8 << 20);
    QTest::newRow("1.5G") << QStringLiteral("1.5G") << (qint64(3) << 29);
    QTest::newRow("2 GiB") << QStringLiteral("2 GiB") << (qint64(2) << 30);
    QTest::newRow("spaces") << QStringLiteral("  3 T  ") << (qint64(3) << 40);
    QTest::newRow("fraction of a unit rounds") << QStringLiteral("0.001K") << qint64(1);
}

void TestUtil::parseBytes()
{
    QFETCH(QString, text);
    QFETCH(qint64, bytes);
    const auto parsed = units::parseBytes(text);
    QVERIFY2(parsed.has_value(), qPrintable(text));
    QCOMPARE(*parsed, bytes);
}

void TestUtil::parseBytesRejects_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("blank") << QStringLiteral("   ");
    QTest::newRow("word") << QStringLiteral("lots");
    QTest::newRow("negative") << QStringLiteral("-5");
    QTest::newRow("negative unit") << QStringLiteral("-5M");
    QTest::newRow("unknown unit") << QStringLiteral("5X");
    QTest::newRow("exabytes are not a unit here") << QStringLiteral("1E");
    QTest::newRow("two dots") << QStringLiteral("1.2.3");
    QTest::newRow("comma") << QStringLiteral("1,5G");
    QTest::newRow("leading dot") << QStringLiteral(".5G");
    QTest::newRow("trailing dot") << QStringLiteral("5.G");
    QTest::newRow("unit only") << QStringLiteral("GiB");
    QTest::newRow("i without a unit") << QStringLiteral("8iB");
    QTest::newRow("two units") << QStringLiteral("8MG");
    QTest::newRow("scientific") << QStringLiteral("1e6");
    QTest::newRow("hex") << QStringLiteral("0x100");
    QTest::newRow("nan") << QStringLiteral("nan");
    QTest::newRow("inf") << QStringLiteral("inf");
    QTest::newRow("half a byte") << QStringLiteral("1.5");
    QTest::newRow("half a byte B") << QStringLiteral("0.5 B");
    QTest::newRow("overflow") << QStringLiteral("9000000T");
    QTest::newRow("huge digits") << QStringLiteral("99999999999999999999999");
    QTest::newRow("trailing junk") << QStringLiteral("8M!");
}

void TestUtil::parseBytesRejects()
{
    QFETCH(QString, text);
    const auto parsed = units::parseBytes(text);
    QVERIFY2(!parsed.has_value(),
             qPrintable(QStringLiteral("“%1” parsed as %2").arg(text).arg(parsed.value_or(-1))));
}

// "1 model added", "3 models added", never "1 model(s) added": tr()'s %n forms need a
// translation the app does not ship. The other placeholders stay for the caller's arg().
void TestUtil::countedSaysEnglishPlurals()
{
    const QString one = QStringLiteral("1 chunk of “%2” is short");
    const QString many = QStringLiteral("%1 chunks of “%2” are short");
    QCOMPARE(units::counted(1, one, many).arg(QStringLiteral("m")),
             QStringLiteral("1 chunk of “m” is short"));
    QCOMPARE(units::counted(0, one, many).arg(QStringLiteral("m")),
             QStringLiteral("0 chunks of “m” are short"));
    QCOMPARE(units::counted(12345, one, many).arg(QStringLiteral("m")),
             QStringLiteral("12345 chunks of “m” are short"));
}

void TestUtil::parseBytesRoundTripsFormatBytes()
{
    // What formatBytes prints for an exact multiple must parse back to the same number, so a
    // value shown in the GUI can be pasted into the CLI.
    for (const qint64 bytes : {qint64(0), qint64(512), qint64(3) << 10, qint64(8) << 20,
                               qint64(3) << 29, qint64(2) << 40}) {
        const QString text = units::formatBytes(bytes);
        const auto parsed = units::parseBytes(text);
        QVERIFY2(parsed.has_value(), qPrintable(text));
        QCOMPARE(*parsed, bytes);
    }
}

// ------------------------------------------------------------------------------ progress meter

namespace {
// The span ProgressMeter measures its rate over (ProgressMeter::WindowMs), and the farthest ETA it
// gives (ProgressMeter::MaxEtaSeconds).
constexpr qint64 MeterWindowMs = 20'000;
constexpr qint64 MeterMaxEtaSeconds = 7 * 24 * 3600;

// Feeds `meter` at `bytesPerSecond` from `fromMs` to `toMs` in `stepMs` steps; returns the
// cumulative bytes at the end.
qint64 feed(ProgressMeter& meter, qint64 done, double bytesPerSecond, qint64 fromMs, qint64 toMs,
            qint64 stepMs)
{
    for (qint64 t = fromMs + stepMs; t <= toMs; t += stepMs) {
        done += qint64(bytesPerSecond * double(stepMs) / 1000.0);
        meter.update(done, t);
    }
    return done;
}
} // namespace

void TestUtil::meterRateConvergesForSteadyFeed()
{
    ProgressMeter meter;
    meter.setTotal(qint64(1) << 40);
    meter.update(0, 10000);
    // Uneven update intervals (as real progress signals come), same average rate.
    qint64 done = 0;
    qint64 t = 10000;
    for (int i = 0; i < 200; ++i) {
        const qint64 step = (i % 3 == 0) ? 40 : (i % 3 == 1) ? 110 : 250;
        t += step;
        done += step * 10000; // 10 MB/s
        meter.update(done, t);
    }
    QCOMPARE(meter.done(), done);
    QVERIFY2(std::abs(meter.bytesPerSecond() - 10e6) < 10e6 * 0.05,
             qPrintable(QString::number(meter.bytesPerSecond())));
}

void TestUtil::meterRateFollowsAChange()
{
    ProgressMeter meter;
    meter.setTotal(qint64(1) << 40);
    meter.update(0, 0);
    qint64 done = feed(meter, 0, 1e6, 0, 10000, 100);
    QVERIFY(std::abs(meter.bytesPerSecond() - 1e6) < 1e4);
    // The rate is bytes over a window of the last seconds: once a whole window ran at the new
    // rate, that is the rate.
    done = feed(meter, done, 4e6, 10000, 10000 + MeterWindowMs, 100);
    QVERIFY2(std::abs(meter.bytesPerSecond() - 4e6) < 4e6 * 0.02,
             qPrintable(QString::number(meter.bytesPerSecond())));
    // One slow interval moves the smoothed rate, but not all the way down.
    done += 100000;
    meter.update(done, 10250 + MeterWindowMs);
    QVERIFY(meter.bytesPerSecond() < 4e6);
    QVERIFY(meter.bytesPerSecond() > 2e6);
}

void TestUtil::meterNoEtaBeforeTrustworthy()
{
    ProgressMeter meter;
    meter.setTotal(100'000'000);
    QCOMPARE(meter.etaSeconds(), qint64(-1));
    meter.update(0, 5000);
    QCOMPARE(meter.etaSeconds(), qint64(-1));
    // A fast start: plenty of bytes, but under the trust period.
    qint64 done = 0;
    for (qint64 t = 5100; t < 6500; t += 100) {
        done += 1'000'000;
        meter.update(done, t);
        QVERIFY2(meter.etaSeconds() == -1, qPrintable(QString::number(t)));
    }
    // Continued steadily, it becomes trustworthy.
    for (qint64 t = 6500; t <= 9000; t += 100) {
        done += 1'000'000;
        meter.update(done, t);
    }
    QVERIFY(meter.etaSeconds() >= 0);
}

void TestUtil::meterNoEtaWithoutTotalOrProgress()
{
    ProgressMeter unknownTotal;
    unknownTotal.update(0, 0);
    feed(unknownTotal, 0, 1e6, 0, 10000, 100);
    QVERIFY(unknownTotal.bytesPerSecond() > 0);
    QCOMPARE(unknownTotal.etaSeconds(), qint64(-1));

    ProgressMeter stuck;
    stuck.setTotal(1000);
    for (qint64 t = 0; t <= 10000; t += 100)
        stuck.update(0, t);
    QCOMPARE(stuck.bytesPerSecond(), 0.0);
    QCOMPARE(stuck.etaSeconds(), qint64(-1));
}

// A float stores its 23-byte config.json at once, then takes seconds over its first big chunk:
// the status bar said "0% · 7.2 B/s". Nothing was measured yet: the rate is unknown until bytes
// move after the first ones.
void TestUtil::meterTheWaitBeforeBytesMoveIsNoRate()
{
    ProgressMeter meter;
    meter.setTotal(240 * 1024 * 1024);
    meter.update(0, 0);
    meter.update(23, 300);
    for (qint64 t = 550; t <= 3200; t += 250) {
        meter.update(23, t);
        QCOMPARE(meter.bytesPerSecond(), 0.0);
    }
    // The first chunk lands: bytes over the time since the first ones.
    meter.update(23 + 1024 * 1024, 3300);
    QCOMPARE(meter.bytesPerSecond(), 1024.0 * 1024.0 * 1000.0 / 3000.0);
}

void TestUtil::meterEtaForSteadyRate()
{
    ProgressMeter meter;
    meter.setTotal(100'000'000);
    meter.update(0, 1000);
    const qint64 done = feed(meter, 0, 1e6, 1000, 11000, 50); // 10 s at 1 MB/s
    QCOMPARE(done, qint64(10'000'000));
    QCOMPARE(meter.etaSeconds(), qint64(90));
    QCOMPARE(meter.permille(), 100);
    // Nearly there: rounds up, never claims 0 while bytes remain.
    ProgressMeter last;
    last.setTotal(10'000'500);
    last.update(0, 0);
    feed(last, 0, 1e6, 0, 10000, 50);
    QCOMPARE(last.etaSeconds(), qint64(1));
    last.update(10'000'500, 10050);
    QCOMPARE(last.etaSeconds(), qint64(0));
}

void TestUtil::meterPermilleBounds()
{
    ProgressMeter meter;
    QCOMPARE(meter.permille(), 1000); // empty total: nothing to do
    meter.setTotal(1000);
    meter.update(0, 0);
    QCOMPARE(meter.permille(), 0);
    meter.update(1, 10);
    QCOMPARE(meter.permille(), 1);
    meter.update(999, 20);
    QCOMPARE(meter.permille(), 999);
    meter.update(1000, 30);
    QCOMPARE(meter.permille(), 1000);
    meter.update(5000, 40); // a total that was too small
    QCOMPARE(meter.permille(), 1000);
    meter.update(-10, 50);
    QCOMPARE(meter.permille(), 0);

    // Totals far beyond any model must not overflow the arithmetic.
    ProgressMeter huge;
    huge.setTotal(qint64(1) << 60);
    huge.update(qint64(1) << 59, 0);
    QCOMPARE(huge.permille(), 500);
    huge.update((qint64(1) << 60) - 1, 10);
    QCOMPARE(huge.permille(), 999);
}

void TestUtil::meterStalledFor()
{
    ProgressMeter meter;
    meter.setTotal(1000);
    meter.update(0, 1000);
    QVERIFY(!meter.stalledFor(500, 1499));
    QVERIFY(meter.stalledFor(500, 1500));
    meter.update(10, 2000);
    QVERIFY(!meter.stalledFor(500, 2499));
    // Updates without new bytes do not count as movement.
    meter.update(10, 2400);
    QVERIFY(meter.stalledFor(500, 2500));
    meter.update(20, 2600);
    QVERIFY(!meter.stalledFor(500, 2700));
    QVERIFY(meter.stalledFor(500, 3100));
}

void TestUtil::meterSurvivesARestartedTransfer()
{
    // A retried chunk makes the cumulative count drop; the rate must stay a speed (not negative)
    // and pick up the new progress from there.
    ProgressMeter meter;
    meter.setTotal(100'000'000);
    meter.update(0, 0);
    qint64 done = feed(meter, 0, 2e6, 0, 5000, 100);
    done -= 8'000'000; // the last 4 s of work are lost
    meter.update(done, 5100);
    meter.update(done, 5400);
    QVERIFY2(meter.bytesPerSecond() >= 0, qPrintable(QString::number(meter.bytesPerSecond())));
    QVERIFY(meter.etaSeconds() != 0);
    feed(meter, done, 2e6, 5400, 5400 + MeterWindowMs, 100);
    QVERIFY2(std::abs(meter.bytesPerSecond() - 2e6) < 2e6 * 0.02,
             qPrintable(QString::number(meter.bytesPerSecond())));
}

void TestUtil::meterSteadyWhenBytesComeInBursts()
{
    // Under a 1 MiB/s limit a float's bytes arrive a chunk at a time: 4.5 MiB every 4.5 s,
    // nothing in between. The progress timer asks every 250 ms. The time left must follow the
    // real rate, not swing from minutes to thousands of hours between two chunks (issue 37:
    // "7.8 B/s · 8572:06:32 left", and 8:21 → 49:39 → 20:28 within seconds).
    constexpr qint64 MiB = 1024 * 1024;
    constexpr qint64 burst = 4 * MiB + MiB / 2, periodMs = 4500, total = 600 * MiB;
    ProgressMeter meter;
    meter.setTotal(total);
    meter.update(0, 0);
    qint64 done = 0;
    for (qint64 t = 250; t <= 180'000; t += 250) {
        if (t % periodMs == 0)
            done += burst;
        meter.update(done, t);
        if (t < MeterWindowMs + periodMs)
            continue; // the window holds a few bursts from here on
        const double rate = meter.bytesPerSecond();
        QVERIFY2(rate > 0.75 * MiB && rate < 1.33 * MiB,
                 qPrintable(QStringLiteral("%1 B/s at %2 ms").arg(rate).arg(t)));
        const double expected = double(total - done) / double(MiB);
        const qint64 eta = meter.etaSeconds();
        QVERIFY2(eta > 0.75 * expected && eta < 1.33 * expected,
                 qPrintable(QStringLiteral("%1 s left at %2 ms, about %3 s expected")
                                .arg(eta)
                                .arg(t)
                                .arg(expected)));
    }
}

void TestUtil::meterUnknownWhenNothingMoves()
{
    // A transfer that stopped moving has no rate and no time left, not "7.8 B/s" decaying
    // towards zero.
    ProgressMeter meter;
    meter.setTotal(1'000'000'000);
    meter.update(0, 0);
    const qint64 done = feed(meter, 0, 1e6, 0, 10000, 250);
    QVERIFY(meter.etaSeconds() > 0);
    for (qint64 t = 10250; t <= 10000 + MeterWindowMs; t += 250)
        meter.update(done, t);
    QCOMPARE(meter.bytesPerSecond(), 0.0);
    QCOMPARE(meter.etaSeconds(), qint64(-1));
    // It moves again: a rate and a time left come back.
    feed(meter, done, 1e6, 10000 + MeterWindowMs, 20000 + MeterWindowMs, 250);
    QVERIFY(meter.bytesPerSecond() > 0);
    QVERIFY(meter.etaSeconds() > 0);
}

void TestUtil::meterNoEtaDaysAway()
{
    // 100 B/s steadily with a terabyte left: the answer would be months; none is given.
    ProgressMeter meter;
    meter.setTotal(qint64(1) << 40);
    meter.update(0, 0);
    feed(meter, 0, 100, 0, 60'000, 250);
    QVERIFY(meter.bytesPerSecond() > 50);
    QCOMPARE(meter.etaSeconds(), qint64(-1));
    // Just under the cap, it is given.
    ProgressMeter near;
    near.setTotal(qint64(1e6) * (MeterMaxEtaSeconds - 3600) + 60'000'000);
    near.update(0, 0);
    feed(near, 0, 1e6, 0, 60'000, 250);
    QVERIFY2(near.etaSeconds() > 0 && near.etaSeconds() <= MeterMaxEtaSeconds,
             qPrintable(QString::number(near.etaSeconds())));
}

// -------------------------------------------------------------------------------- retry policy

void TestUtil::retryOnlyRetryable_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<bool>("retried");
    QTest::newRow("none") << int(Error::Kind::None) << false;
    QTest::newRow("retryable") << int(Error::Kind::Retryable) << true;
    QTest::newRow("authentication") << int(Error::Kind::Authentication) << false;
    QTest::newRow("quota") << int(Error::Kind::QuotaExceeded) << false;
    QTest::newRow("not found") << int(Error::Kind::NotFound) << false;
    QTest::newRow("corrupt") << int(Error::Kind::Corrupt) << false;
    QTest::newRow("cancelled") << int(Error::Kind::Cancelled) << false;
    QTest::newRow("fatal") << int(Error::Kind::Fatal) << false;
}

void TestUtil::retryOnlyRetryable()
{
    QFETCH(int, kind);
    QFETCH(bool, retried);
    const RetryPolicy policy;
    // Even a server's Retry-After does not make a non-retryable failure retryable.
    const Error e = Error::make(Error::Kind(kind), QStringLiteral("x"), 1000);
    for (int attempts = 0; attempts < policy.maxAttempts; ++attempts)
        QCOMPARE(policy.shouldRetry(e, attempts), retried);
}

void TestUtil::retryAttemptsBounded()
{
    const Error e = Error::make(Error::Kind::Retryable, QStringLiteral("503"));
    for (int max : {0, 1, 4, 10}) {
        RetryPolicy policy;
        policy.maxAttempts = max;
        int retries = 0;
        // The scheduler's loop: attempt, fail, count, ask.
        for (int attempts = 1; attempts < 1000; ++attempts) {
            if (!policy.shouldRetry(e, attempts))
                break;
            ++retries;
        }
        QCOMPARE(retries, qMax(0, max - 1)); // maxAttempts counts the first attempt too
        QVERIFY(!policy.shouldRetry(e, max));
        QVERIFY(!policy.shouldRetry(e, max + 100));
    }
}

void TestUtil::retryAfterHonoured()
{
    const RetryPolicy policy; // base 500, max 30 s
    for (int attempts : {1, 3, 10}) {
        QCOMPARE(policy.delayMs(Error::make(Error::Kind::Retryable, QStringLiteral("429"), 7000),
                                attempts),
                 7000);
        // Longer than our own backoff ceiling, the server still wins (within a sane bound).
        QCOMPARE(policy.delayMs(Error::make(Error::Kind::Retryable, QStringLiteral("429"), 60000),
                                attempts),
                 60000);
        QCOMPARE(
            policy.delayMs(Error::make(Error::Kind::Retryable, QStringLiteral("429"), 0), attempts),
            0);
    }
    // An absurd Retry-After is bounded, so one bad header cannot park a transfer for a day.
    const int capped = policy.delayMs(
        Error::make(Error::Kind::Retryable, QStringLiteral("429"), 24 * 3600 * 1000), 1);
    QVERIFY(capped >= policy.maxDelayMs);
    QVERIFY(capped <= policy.maxDelayMs * 4);
}

void TestUtil::retryJitterWithinBounds()
{
    RetryPolicy policy;
    policy.baseDelayMs = 500;
    policy.maxDelayMs = 30000;
    const Error e = Error::make(Error::Kind::Retryable, QStringLiteral("timeout"));
    for (int attempts = 0; attempts <= 40; ++attempts) {
        const qint64 ceiling =
            qMin<qint64>(policy.maxDelayMs, qint64(policy.baseDelayMs) << qMin(attempts, 16));
        int lowest = INT_MAX, highest = -1;
        for (int i = 0; i < 2000; ++i) {
            const int d = policy.delayMs(e, attempts);
            QVERIFY2(d >= ceiling / 2 && d <= ceiling,
                     qPrintable(QStringLiteral("attempt %1: %2 not in [%3, %4]")
                                    .arg(attempts)
                                    .arg(d)
                                    .arg(ceiling / 2)
                                    .arg(ceiling)));
            lowest = qMin(lowest, d);
            highest = qMax(highest, d);
        }
        // There is jitter at all: 2000 draws from hundreds of values are not all the same, and
        // they reach into both halves of the range.
        QVERIFY(highest > lowest);
        QVERIFY(lowest < ceiling / 2 + ceiling / 4);
        QVERIFY(highest > ceiling / 2 + ceiling / 4);
    }
}

void TestUtil::retryOddInputsStaySane()
{
    // Bad configuration or a confused caller must not overflow or shift by a negative amount
    // (the sanitizer build turns either into a failure).
    const Error e = Error::make(Error::Kind::Retryable, QStringLiteral("timeout"));
    RetryPolicy policy;
    for (int i = 0; i < 100; ++i) {
        const int d = policy.delayMs(e, -3);
        QVERIFY(d >= policy.baseDelayMs / 2 && d <= policy.baseDelayMs);
    }
    policy.baseDelayMs = 0;
    QCOMPARE(policy.delayMs(e, 5), 0);
    policy.baseDelayMs = INT_MAX;
    policy.maxDelayMs = INT_MAX;
    const int big = policy.delayMs(e, 30);
    QVERIFY(big >= INT_MAX / 2);
    const int bigAfter =
        policy.delayMs(Error::make(Error::Kind::Retryable, QStringLiteral("429"), INT_MAX), 1);
    QCOMPARE(bigAfter, INT_MAX);
}

// A buffer given back goes to the next taker of its size, aligned for direct I/O; a shared one goes
// back when its last holder lets go; and what the pool keeps stays within its bound however much
// is given back.
void TestUtil::alignedBuffersAreReusedWithinABound()
{
    namespace ab = mf::alignedbuffers;
    constexpr qint64 Size = 5 * ab::Alignment; // a size no other user takes
    char* first = ab::take(Size);
    QCOMPARE(reinterpret_cast<quintptr>(first) % ab::Alignment, quintptr(0));
    ab::give(first, Size);
    char* again = ab::take(Size);
    QCOMPARE(again, first);
    {
        ab::Shared shared = ab::takeShared(Size);
        QVERIFY(shared.get() != first);
        ab::Shared alsoHeld = shared;
        shared.reset();
        ab::give(again, Size);
    }
    // Both went back: the newest first.
    char* a = ab::take(Size);
    char* b = ab::take(Size);
    QVERIFY(a == first || b == first);
    ab::give(a, Size);
    ab::give(b, Size);

    constexpr qint64 Big = 1 << 20;
    QList<char*> many;
    for (qint64 taken = 0; taken < 2 * ab::SpareBytes; taken += Big)
        many.append(ab::take(Big));
    for (char* p : std::as_const(many))
        ab::give(p, Big);
    QVERIFY(ab::spareBytes() <= ab::SpareBytes);
    QVERIFY(ab::spareBytes() >= ab::SpareBytes - Big);
}

QTEST_GUILESS_MAIN(TestUtil)
// ---------------------------------------------------------------------------- model paths

void TestUtil::modelPathRule_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("valid");
    QTest::newRow("file") << QStringLiteral("model.gguf") << true;
    QTest::newRow("nested") << QStringLiteral("a/b/model-00001-of-00002.gguf") << true;
    QTest::newRow("unicode") << QStringLiteral("Modèle/モデル.bin") << true;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("absolute") << QStringLiteral("/etc/passwd") << false;
    QTest::newRow("dotdot") << QStringLiteral("a/../../b") << false;
    QTest::newRow("dot") << QStringLiteral("./a") << false;
    QTest::newRow("empty component") << QStringLiteral("a//b") << false;
    QTest::newRow("trailing slash") << QStringLiteral("a/") << false;
    QTest::newRow("backslash") << QStringLiteral("a\\b") << false;
    QTest::newRow("nul") << QStringLiteral("a") + QChar(0) + QStringLiteral("b") << false;
    QTest::newRow("newline") << QStringLiteral("a\nb") << false;
    QTest::newRow("undecodable") << QString::fromUtf8("a\xff\xfe") << false;
    QTest::newRow("rtl override") << QStringLiteral("a") + QChar(0x202e) + QStringLiteral("b")
                                  << false;
    QTest::newRow("255-byte component") << QString(255, QLatin1Char('x')) << true;
    QTest::newRow("256-byte component") << QString(256, QLatin1Char('x')) << false;
    QTest::newRow("128 two-byte characters") << QString(128, QChar(0xe9)) << false;
    QTest::newRow("1024 characters")
        << QString(QString(200, QLatin1Char('x')) + QLatin1Char('/')).repeated(6).left(1024)
        << true;
    QTest::newRow("1025 characters")
        << QString(QString(200, QLatin1Char('x')) + QLatin1Char('/')).repeated(6).left(1025)
        << false;
}

void TestUtil::modelPathRule()
{
    QFETCH(QString, path);
    QFETCH(bool, valid);
    const QString problem = modelpath::problem(path);
    QVERIFY2(problem.isEmpty() == valid, qPrintable(problem));
    // The message prints safely: no control or line-break character of the path in it.
    for (const QChar c : problem)
        QVERIFY(c.category() != QChar::Other_Control && c != QLatin1Char('\n'));
}

#include "tst_util.moc"
