// CIDs and SHA-256 against published vectors: RFC 4648 for base32, FIPS 180-2 for SHA-256, and
// CIDs computed by IPFS (`ipfs block put` of the same bytes) for chunk identity.

#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "testsupport.h"

#include <QtTest>

using namespace mf;

class TestCid final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void knownCids_data();
    void knownCids();
    void roundTrip();
    void rejectsInvalid_data();
    void rejectsInvalid();
    void base32Vectors_data();
    void base32Vectors();
    void base32RejectsNonCanonical();
    void sha256Vectors();
    void sha256Incremental();
};

void TestCid::knownCids_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("cid");
    QTest::newRow("empty") << QByteArray()
                           << QStringLiteral(
                                  "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    QTest::newRow("hello") << QByteArray("hello modelfloat\n")
                           << QStringLiteral(
                                  "bafkreigfuhq3fa3jp2holhpt3jg6s3zb4rhe4nkkdbojcaamysmenqcf4y");
    QTest::newRow("raw") << QByteArray("raw block bytes")
                         << QStringLiteral(
                                "bafkreiaqagdj3poekh5c3qqe354rymzlcmnmg3g5y3gkafxs3c66qvmyta");
    QTest::newRow("unpinned") << QByteArray("unpinned block to be collected")
                              << QStringLiteral("bafkreihpmdjtsxpi6sqhulsorjgcqeb4dkpi3rygkqgau7g"
                                                "f4nwwkre5wq");
}

void TestCid::knownCids()
{
    QFETCH(QByteArray, data);
    QFETCH(QString, cid);
    QCOMPARE(cid::ofData(data), cid);
    QCOMPARE(cid::fromSha256(Sha256::hash(data)), cid);
    QVERIFY(cid::isValid(cid));
    QCOMPARE(cid::toSha256(cid), Sha256::hash(data));
}

void TestCid::roundTrip()
{
    for (quint64 seed = 1; seed <= 50; ++seed) {
        const QByteArray digest = test::pseudoRandomBytes(cid::Sha256Size, seed);
        const QString text = cid::fromSha256(digest);
        QVERIFY(text.startsWith(QLatin1String("bafkrei")));
        QCOMPARE(text.size(), 59);
        QCOMPARE(cid::toSha256(text), digest);
    }
}

void TestCid::rejectsInvalid_data()
{
    const QString good =
        QStringLiteral("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("prefix only") << QStringLiteral("b");
    QTest::newRow("other multibase") << QLatin1Char('B') + good.mid(1);
    QTest::newRow("no multibase") << good.mid(1);
    QTest::newRow("upper case") << good.toUpper();
    QTest::newRow("one upper char") << good.left(10) + good.mid(10, 1).toUpper() + good.mid(11);
    QTest::newRow("bad char 1") << good.left(20) + QLatin1Char('1') + good.mid(21);
    QTest::newRow("bad char 8") << good.left(20) + QLatin1Char('8') + good.mid(21);
    QTest::newRow("padding") << good + QStringLiteral("======");
    QTest::newRow("space") << good + QLatin1Char(' ');
    QTest::newRow("truncated") << good.chopped(1);
    QTest::newRow("truncated more") << good.chopped(8);
    QTest::newRow("too long") << good + QStringLiteral("aa");
    QTest::newRow("cidv0") << QStringLiteral("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR");
    // A CIDv1 with the dag-pb codec (0x70) instead of raw: valid IPFS, not a chunk.
    QTest::newRow("dag-pb") << QStringLiteral(
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi");
    // Non-zero leftover bits: same bytes, but not the canonical spelling.
    QTest::newRow("non-canonical tail") << good.chopped(1) + QLatin1Char('v');
}

void TestCid::rejectsInvalid()
{
    QFETCH(QString, text);
    QVERIFY(!cid::isValid(text));
    QVERIFY(cid::toSha256(text).isEmpty());
}

void TestCid::base32Vectors_data()
{
    // RFC 4648 section 10, lower-cased and without padding.
    QTest::addColumn<QByteArray>("plain");
    QTest::addColumn<QString>("encoded");
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("f") << QByteArray("f") << QStringLiteral("my");
    QTest::newRow("fo") << QByteArray("fo") << QStringLiteral("mzxq");
    QTest::newRow("foo") << QByteArray("foo") << QStringLiteral("mzxw6");
    QTest::newRow("foob") << QByteArray("foob") << QStringLiteral("mzxw6yq");
    QTest::newRow("fooba") << QByteArray("fooba") << QStringLiteral("mzxw6ytb");
    QTest::newRow("foobar") << QByteArray("foobar") << QStringLiteral("mzxw6ytboi");
}

void TestCid::base32Vectors()
{
    QFETCH(QByteArray, plain);
    QFETCH(QString, encoded);
    QCOMPARE(cid::base32Encode(plain), encoded);
    bool ok = false;
    QCOMPARE(cid::base32Decode(encoded, &ok), plain);
    QVERIFY(ok);
}

void TestCid::base32RejectsNonCanonical()
{
    bool ok = true;
    cid::base32Decode(u"mz", &ok); // "my" is "f"; "mz" has a stray low bit
    QVERIFY(!ok);
    ok = true;
    cid::base32Decode(u"MY", &ok);
    QVERIFY(!ok);
    ok = true;
    cid::base32Decode(u"my==", &ok);
    QVERIFY(!ok);
}

void TestCid::sha256Vectors()
{
    QCOMPARE(Sha256::hash(QByteArray("abc")).toHex(),
             QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(Sha256::hash(QByteArray()).toHex(),
             QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(Sha256::hash(QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                 .toHex(),
             QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    QCOMPARE(Sha256::hash(QByteArray(1000000, 'a')).toHex(),
             QByteArray("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

void TestCid::sha256Incremental()
{
    const QByteArray data = test::pseudoRandomBytes(1 << 20, 7);
    const QByteArray oneShot = Sha256::hash(data);
    Sha256 h;
    qsizetype pos = 0;
    quint64 state = 99;
    while (pos < data.size()) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const qsizetype n = qMin<qsizetype>(qsizetype(state >> 49), data.size() - pos);
        h.addData(data.constData() + pos, n);
        pos += n;
    }
    QCOMPARE(h.result(), oneShot);
    // result() resets, so the same object hashes the next message from scratch.
    h.addData(QByteArrayView("abc"));
    QCOMPARE(h.result(), Sha256::hash(QByteArray("abc")));
    h.addData(QByteArrayView("junk"));
    h.reset();
    QCOMPARE(h.result(), Sha256::hash(QByteArray()));
}

QTEST_GUILESS_MAIN(TestCid)
#include "tst_cid.moc"
