// VerifyingChunkDevice, the device a put reads bytes through that were read again (a repair's
// copy from another provider): bytes that hash to the chunk's CID pass through unchanged however
// they are read (in pieces, again after a seek back, from the middle as a resumed upload does);
// bytes that do not are refused on the read that would deliver their last byte, with the
// caller's message, so a put never completes them.

#include "chunking/cid.h"
#include "testsupport.h"
#include "transfer/verifyingchunkdevice.h"

#include <QBuffer>
#include <QtTest>

#include <memory>

using namespace mf;

namespace {

const QString Changed = QStringLiteral("“x.bin” changed while it was being read");

std::unique_ptr<QIODevice> bufferOf(const QByteArray& bytes)
{
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(bytes);
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

// Reads the device to its end in pieces of `piece` bytes; what was delivered before a read
// failed (if one did) is in *delivered.
bool readInPieces(QIODevice& device, qint64 piece, QByteArray* delivered)
{
    QByteArray buffer(piece, Qt::Uninitialized);
    while (!device.atEnd()) {
        const qint64 n = device.read(buffer.data(), piece);
        if (n < 0)
            return false;
        if (n == 0)
            break;
        delivered->append(buffer.constData(), n);
    }
    return true;
}

} // namespace

class TestVerifyingChunkDevice final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchingBytesPassUnchanged_data();
    void matchingBytesPassUnchanged();
    void mismatchFailsTheLastRead_data();
    void mismatchFailsTheLastRead();
    void seekBackChecksAgain();
    void resumedFromTheMiddleChecksSkippedBytes();
    void shortSourceFails();
};

void TestVerifyingChunkDevice::matchingBytesPassUnchanged_data()
{
    QTest::addColumn<qint64>("piece");
    QTest::newRow("one read") << qint64(300 * 1024);
    QTest::newRow("odd pieces") << qint64(4093);
    QTest::newRow("single bytes") << qint64(1);
}

void TestVerifyingChunkDevice::matchingBytesPassUnchanged()
{
    QFETCH(qint64, piece);
    const QByteArray bytes = test::pseudoRandomBytes(piece == 1 ? 5000 : 300 * 1024, 1);
    auto mismatched = std::make_shared<std::atomic_bool>(false);
    VerifyingChunkDevice device(bufferOf(bytes), cid::ofData(bytes), bytes.size(), Changed,
                                mismatched);
    QVERIFY(device.open(QIODevice::ReadOnly));
    QCOMPARE(device.size(), bytes.size());
    QByteArray delivered;
    QVERIFY2(readInPieces(device, piece, &delivered), qPrintable(device.errorString()));
    QCOMPARE(delivered, bytes);
    QVERIFY(device.atEnd());
    QVERIFY(!*mismatched);
}

void TestVerifyingChunkDevice::mismatchFailsTheLastRead_data()
{
    QTest::addColumn<qint64>("piece");
    QTest::addColumn<qint64>("flipAt"); // the byte that differs from what the CID names
    QTest::newRow("first byte, one read") << qint64(256 * 1024) << qint64(0);
    QTest::newRow("first byte, in pieces") << qint64(1000) << qint64(0);
    QTest::newRow("last byte, in pieces") << qint64(1000) << qint64(256 * 1024 - 1);
}

void TestVerifyingChunkDevice::mismatchFailsTheLastRead()
{
    QFETCH(qint64, piece);
    QFETCH(qint64, flipAt);
    const QByteArray scanned = test::pseudoRandomBytes(256 * 1024, 2);
    QByteArray read = scanned;
    read[flipAt] = char(read.at(flipAt) ^ 0x5a);
    auto mismatched = std::make_shared<std::atomic_bool>(false);
    VerifyingChunkDevice device(bufferOf(read), cid::ofData(scanned), scanned.size(), Changed,
                                mismatched);
    QVERIFY(device.open(QIODevice::ReadOnly));
    QByteArray delivered;
    QVERIFY(!readInPieces(device, piece, &delivered));
    QCOMPARE(device.errorString(), Changed);
    QVERIFY(*mismatched);
    // Everything but the read that would have ended the chunk got through, never its end.
    const qint64 lastPiece = scanned.size() % piece ? scanned.size() % piece : piece;
    QCOMPARE(delivered.size(), scanned.size() - lastPiece);
    QCOMPARE(delivered, read.left(delivered.size()));
    // And it stays refused.
    char byte;
    QCOMPARE(device.read(&byte, 1), qint64(-1));
}

void TestVerifyingChunkDevice::seekBackChecksAgain()
{
    // A retried request reads the chunk again from its start: checked again, and passed again.
    const QByteArray bytes = test::pseudoRandomBytes(100 * 1024, 3);
    VerifyingChunkDevice device(bufferOf(bytes), cid::ofData(bytes), bytes.size(), Changed);
    QVERIFY(device.open(QIODevice::ReadOnly));
    QCOMPARE(device.read(40 * 1024), bytes.left(40 * 1024));
    QVERIFY(device.reset());
    QCOMPARE(device.readAll(), bytes);
    QVERIFY(device.seek(10));
    QCOMPARE(device.readAll(), bytes.mid(10));
    QVERIFY(device.reset());
    QCOMPARE(device.readAll(), bytes);
}

void TestVerifyingChunkDevice::resumedFromTheMiddleChecksSkippedBytes()
{
    const QByteArray scanned = test::pseudoRandomBytes(100 * 1024, 4);
    {
        VerifyingChunkDevice device(bufferOf(scanned), cid::ofData(scanned), scanned.size(),
                                    Changed);
        QVERIFY(device.open(QIODevice::ReadOnly));
        QVERIFY(device.seek(60 * 1024));
        QCOMPARE(device.readAll(), scanned.mid(60 * 1024));
    }
    // The difference lies in bytes this reader never asks for: it is found all the same.
    QByteArray read = scanned;
    read[5] = char(read.at(5) ^ 1);
    VerifyingChunkDevice device(bufferOf(read), cid::ofData(scanned), scanned.size(), Changed);
    QVERIFY(device.open(QIODevice::ReadOnly));
    QVERIFY(device.seek(60 * 1024));
    QByteArray delivered;
    QVERIFY(!readInPieces(device, 100 * 1024, &delivered));
    QVERIFY(delivered.isEmpty());
    QCOMPARE(device.errorString(), Changed);
}

void TestVerifyingChunkDevice::shortSourceFails()
{
    const QByteArray scanned = test::pseudoRandomBytes(64 * 1024, 5);
    auto mismatched = std::make_shared<std::atomic_bool>(false);
    VerifyingChunkDevice device(bufferOf(scanned.left(60 * 1024)), cid::ofData(scanned),
                                scanned.size(), Changed, mismatched);
    QVERIFY(device.open(QIODevice::ReadOnly));
    QByteArray delivered;
    QVERIFY(!readInPieces(device, 16 * 1024, &delivered));
    QCOMPARE(device.errorString(), Changed);
    QVERIFY(*mismatched);
}

QTEST_GUILESS_MAIN(TestVerifyingChunkDevice)
#include "tst_verifyingchunkdevice.moc"
