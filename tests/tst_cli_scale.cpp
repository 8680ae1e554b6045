// Cost that must grow linearly with a model's size, counted rather than timed: restoring a model
// of many small files made every file read the placements of the whole model and convert each
// row's time to local time (a stat of /etc/localtime per row), so 2,000 files took 41 s and
// 10,000 did not finish in 10 minutes. The test counts the restore's stat calls with strace.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;

class TestCliScale final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void restoreIsLinearInFiles();
};

void TestCliScale::restoreIsLinearInFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    constexpr int Files = 400;
    const QString in = dir.filePath(QStringLiteral("in"));
    QVERIFY(QDir().mkpath(in));
    for (int i = 0; i < Files; ++i)
        QVERIFY(test::writeFile(in + QStringLiteral("/f%1.bin").arg(i, 4, 10, QLatin1Char('0')),
                                test::pseudoRandomBytes(1000 + i, quint64(i))));
    const QString vault = dir.filePath(QStringLiteral("vault"));
    const QString cli = mf::test::cliPath();
    QString out;
    QVERIFY2(
        test::runProcess(cli, {QStringLiteral("init"), QStringLiteral("--vault"), vault}, &out),
        qPrintable(out));
    QVERIFY2(test::runProcess(cli,
                              {QStringLiteral("float"), in, QStringLiteral("--name"),
                               QStringLiteral("many"), QStringLiteral("--quiet"),
                               QStringLiteral("--vault"), vault},
                              &out, 300000),
             qPrintable(out));

    const QString counts = dir.filePath(QStringLiteral("strace.txt"));
    // LeakSanitizer cannot stop the world under ptrace: in the sanitizer build the traced
    // restore runs without leak detection (the other suites check its leaks).
    const QByteArray asanOptions = qgetenv("ASAN_OPTIONS");
    qputenv("ASAN_OPTIONS", asanOptions + (asanOptions.isEmpty() ? "" : ":") + "detect_leaks=0");
    QVERIFY2(test::runProcess(QStringLiteral("strace"),
                              {QStringLiteral("-f"), QStringLiteral("-c"), QStringLiteral("-o"),
                               counts, QStringLiteral("-e"),
                               QStringLiteral("trace=stat,lstat,fstat,newfstatat,statx"), cli,
                               QStringLiteral("restore"), QStringLiteral("many"),
                               QStringLiteral("--to"), dir.filePath(QStringLiteral("out")),
                               QStringLiteral("--quiet"), QStringLiteral("--vault"), vault},
                              &out, 600000),
             qPrintable(out));
    qputenv("ASAN_OPTIONS", asanOptions);
    QFile f(counts);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString table = QString::fromUtf8(f.readAll());
    // strace -c ends with "100.00 <secs> <usecs/call> <calls> [errors] total".
    const QRegularExpressionMatch total =
        QRegularExpression(QStringLiteral("\\s(\\d+)(?:\\s+\\d+)?\\s+total\\s*$"),
                           QRegularExpression::MultilineOption)
            .match(table);
    QVERIFY2(total.hasMatch(), qPrintable(table));
    const int stats = total.captured(1).toInt();
    // Linear: a bounded number per file (about 8 now); the quadratic restore made ~1,000 per
    // file at 1,000 files, 400 per file here.
    QVERIFY2(stats < 40 * Files, qPrintable(table));
    for (int i = 0; i < Files; i += 97) {
        const QString name = QStringLiteral("/f%1.bin").arg(i, 4, 10, QLatin1Char('0'));
        QCOMPARE(test::opensslSha256Hex(dir.filePath(QStringLiteral("out")) + name),
                 test::opensslSha256Hex(in + name));
    }
}

QTEST_GUILESS_MAIN(TestCliScale)
#include "tst_cli_scale.moc"
