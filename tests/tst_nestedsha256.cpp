// NestedSha256 (the chunk and leaf digests in one pass) against OpenSSL's SHA-256 of the same
// bytes, with both of its engines: the SHA extensions and OpenSSL. Lengths around the padding's
// edges (55, 56, 63, 64 bytes in the last block), data fed in pieces of every size, and inner
// restarts at block boundaries.

#include "chunking/nestedsha256.h"
#include "chunking/sha256.h"
#include "chunking/sha256rounds.h"
#include "testsupport.h"

#include <QtTest>

using namespace mf;

class TestNestedSha256 final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void engines_data();
    void publishedVectors_data() { engines_data(); }
    void publishedVectors();
    void everyLengthAroundTheBlocks_data() { engines_data(); }
    void everyLengthAroundTheBlocks();
    void randomPiecesAndRestarts_data() { engines_data(); }
    void randomPiecesAndRestarts();
    void resetStartsOver_data() { engines_data(); }
    void resetStartsOver();
    void usesTheExtensionsWhereTheCpuHasThem();
};

void TestNestedSha256::engines_data()
{
    QTest::addColumn<NestedSha256::Engine>("engine");
    QTest::newRow("fastest") << NestedSha256::Engine::Fastest;
    QTest::newRow("openssl") << NestedSha256::Engine::OpenSsl;
}

// FIPS 180-2's examples, through the outer digest and (never restarted) the inner one.
void TestNestedSha256::publishedVectors()
{
    QFETCH(NestedSha256::Engine, engine);
    const QList<QPair<QByteArray, QByteArray>> vectors = {
        {QByteArray("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {QByteArray(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {QByteArray(1000000, 'a'),
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    };
    for (const auto& [message, digest] : vectors) {
        NestedSha256 sha(engine);
        sha.addData(message.constData(), message.size());
        QCOMPARE(sha.outerResult().toHex(), digest);
        QCOMPARE(sha.innerResult().toHex(), digest);
        QCOMPARE(sha.outerSize(), message.size());
    }
}

// Every length from 0 to 200 bytes after a restart at 0, 64 and 128: the padding takes one
// block or two, and the inner digest's length differs from the outer one's.
void TestNestedSha256::everyLengthAroundTheBlocks()
{
    QFETCH(NestedSha256::Engine, engine);
    const QByteArray data = test::pseudoRandomBytes(400, 3);
    for (const qsizetype restartAt : {0, 64, 128}) {
        for (qsizetype length = restartAt; length <= restartAt + 200; ++length) {
            NestedSha256 sha(engine);
            sha.addData(data.constData(), restartAt);
            sha.restartInner();
            sha.addData(data.constData() + restartAt, length - restartAt);
            QCOMPARE(sha.outerResult(), Sha256::hash(data.left(length)));
            QCOMPARE(sha.innerResult(), Sha256::hash(data.mid(restartAt, length - restartAt)));
            QCOMPARE(sha.innerSize(), length - restartAt);
        }
    }
}

// A few MiB fed in pieces of random sizes (1 byte to 128 KiB), the inner digest restarting at
// random block boundaries and both digests checked at each restart and at the end.
void TestNestedSha256::randomPiecesAndRestarts()
{
    QFETCH(NestedSha256::Engine, engine);
    const QByteArray data = test::pseudoRandomBytes(3 << 20, 11);
    quint64 state = 12345;
    const auto next = [&state](quint64 below) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % below;
    };
    for (int round = 0; round < 4; ++round) {
        NestedSha256 sha(engine);
        qsizetype pos = 0;
        qsizetype innerStart = 0;
        int checks = 0;
        while (pos < data.size()) {
            const qsizetype piece =
                qMin<qsizetype>(qsizetype(1 + next(next(2) ? 200 : 128 * 1024)), data.size() - pos);
            sha.addData(data.constData() + pos, piece);
            pos += piece;
            if (pos % 64 == 0 || next(4) == 0) {
                // Round up to the next block boundary, then restart there.
                const qsizetype toBoundary =
                    qMin<qsizetype>((64 - pos % 64) % 64, data.size() - pos);
                sha.addData(data.constData() + pos, toBoundary);
                pos += toBoundary;
                if (pos % 64 != 0)
                    break; // the end of the data, mid-block
                QCOMPARE(sha.outerResult(), Sha256::hash(data.left(pos)));
                QCOMPARE(sha.innerResult(), Sha256::hash(data.mid(innerStart, pos - innerStart)));
                sha.restartInner();
                innerStart = pos;
                ++checks;
            }
        }
        QCOMPARE(sha.outerResult(), Sha256::hash(data.left(pos)));
        QCOMPARE(sha.innerResult(), Sha256::hash(data.mid(innerStart, pos - innerStart)));
        QVERIFY2(checks > 10, qPrintable(QString::number(checks)));
    }
}

void TestNestedSha256::resetStartsOver()
{
    QFETCH(NestedSha256::Engine, engine);
    const QByteArray data = test::pseudoRandomBytes(1000, 5);
    NestedSha256 sha(engine);
    sha.addData(data.constData(), 640);
    sha.restartInner();
    sha.addData(data.constData() + 640, 100);
    sha.reset();
    QCOMPARE(sha.outerSize(), 0);
    QCOMPARE(sha.innerSize(), 0);
    QCOMPARE(sha.outerResult(), Sha256::hash({}));
    sha.addData(data.constData(), 300);
    QCOMPARE(sha.outerResult(), Sha256::hash(data.left(300)));
    QCOMPARE(sha.innerResult(), Sha256::hash(data.left(300)));
}

void TestNestedSha256::usesTheExtensionsWhereTheCpuHasThem()
{
    QCOMPARE(NestedSha256().isAccelerated(), sha256rounds::available());
    QVERIFY(!NestedSha256(NestedSha256::Engine::OpenSsl).isAccelerated());
    // On x86 the CPU says (`grep -w sha_ni /proc/cpuinfo`); elsewhere there is nothing to use.
    QFile cpuinfo(QStringLiteral("/proc/cpuinfo"));
    if (cpuinfo.open(QIODevice::ReadOnly))
        QCOMPARE(sha256rounds::available(),
                 cpuinfo.readAll().contains(" sha_ni") &&
                     QSysInfo::currentCpuArchitecture().startsWith(QLatin1String("x86")));
}

QTEST_GUILESS_MAIN(TestNestedSha256)
#include "tst_nestedsha256.moc"
