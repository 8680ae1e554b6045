// The QR code of the web page's sign-in link (core/util/qrcode.h): what libqrencode makes, drawn
// in half blocks as `serve` prints it, read back by zbarimg; and text too long for any QR code.

#include "qrtestsupport.h"
#include "util/qrcode.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace mf;

class TestQrCode final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void halfBlocksReadBackAsTheText_data();
    void halfBlocksReadBackAsTheText();
    void textTooLongGivesNoCode();
};

void TestQrCode::halfBlocksReadBackAsTheText_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("link") << QStringLiteral(
        "http://127.0.0.1:8765/signin?code=Zt3c9Q_x-2mJ0pA7fLk4bN8sVwYhRgDe");
    QTest::newRow("tls, IPv6") << QStringLiteral("https://[fd00::1]:443/signin?code=abc");
    QTest::newRow("one letter") << QStringLiteral("a");
}

void TestQrCode::halfBlocksReadBackAsTheText()
{
    QFETCH(QString, text);
    const qrcode::Matrix code = qrcode::encode(text);
    QVERIFY(code.size >= 21); // version 1 is 21 modules square
    QCOMPARE(code.modules.size(), qsizetype(code.size) * code.size);
    const QString blocks = qrcode::halfBlocks(code);
    // Two rows a line, the quiet zone on every side.
    const int side = code.size + 2 * qrcode::QuietZone;
    QCOMPARE(blocks.count(QLatin1Char('\n')), (side + 1) / 2);
    QVERIFY(blocks.startsWith(QString(side, QChar(0x2588)) + QLatin1Char('\n')));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString pbm = dir.filePath(QStringLiteral("code.pbm"));
    QVERIFY(test::halfBlocksToPbm(blocks, pbm));
    QString said;
    QCOMPARE(test::zbarDecode(pbm, &said), text);
}

void TestQrCode::textTooLongGivesNoCode()
{
    // Version 40 at level M holds 2,331 bytes: no code, and nothing to print.
    const qrcode::Matrix code = qrcode::encode(QString(3000, QLatin1Char('x')));
    QCOMPARE(code.size, 0);
    QVERIFY(code.modules.isEmpty());
    QVERIFY(qrcode::halfBlocks(code).isEmpty());
}

QTEST_GUILESS_MAIN(TestQrCode)
#include "tst_qrcode.moc"
