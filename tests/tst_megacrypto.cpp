// MEGA's client-side crypto against published and independently computed vectors:
// - megajs's own test vectors (shared/protocols/mega.md section 12): v1 password keys, string
//   hashes, the packed node key and ciphertext of an upload, a MAC check;
// - the megajs-checked vector of TEST-PEERS.md section 8 (ciphertext, meta-MAC, merged key,
//   link key);
// - vectors computed with Python's hashlib and python3-cryptography (an implementation written
//   apart from this one): PBKDF2 key derivation for version-2 accounts, attribute encryption, an
//   RSA-encrypted session id, a hashcash answer.

#include "providers/mega/megacipher.h"
#include "providers/mega/megacrypto.h"
#include "providers/mega/megahashcash.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QtTest>

using namespace mf::mega;

namespace {

// megajs's testBuffer(n, start, step): byte i = (start + i * step) mod 255.
QByteArray testBuffer(int n, int start = 0, int step = 1)
{
    QByteArray b(n, '\0');
    for (int i = 0; i < n; ++i)
        b[i] = char((start + qint64(i) * step) % 255);
    return b;
}

FileKey keyFrom24(const QByteArray& k24)
{
    return FileKey{k24.left(16), k24.mid(16, 8), {}};
}

QByteArray encrypt(const FileKey& key, const QByteArray& plain, QByteArray* metaMac,
                   int slice = 1 << 30)
{
    FileCipher cipher(key, FileCipher::Direction::Encrypt);
    QByteArray out(plain.size(), '\0');
    for (qsizetype at = 0; at < plain.size(); at += slice) {
        const qsizetype n = qMin<qsizetype>(slice, plain.size() - at);
        cipher.process(plain.constData() + at, out.data() + at, n);
    }
    *metaMac = cipher.metaMac();
    return out;
}

} // namespace

class TestMegaCrypto final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void base64url();
    void prepareKeyV1_data();
    void prepareKeyV1();
    void stringHash_data();
    void stringHash();
    void deriveKeysV2_data();
    void deriveKeysV2();
    void macBoundaries();
    void uploadVector();
    void peersVector();
    void macCheckVector();
    void slicingDoesNotMatter();
    void decryptChecksMacAndRanges();
    void partsGiveTheWholeMac();
    void packUnpack();
    void attributes();
    void links();
    void sessionId();
    void temporarySession();
    void hashcash();
};

void TestMegaCrypto::base64url()
{
    QCOMPARE(base64urlEncode(QByteArray::fromHex("fbff")), QByteArray("-_8"));
    QCOMPARE(base64urlDecode("-_8").value(), QByteArray::fromHex("fbff"));
    QCOMPARE(base64urlDecode("+/8=").value(), QByteArray::fromHex("fbff")); // MEGA accepts both
    QCOMPARE(base64urlDecode("").value(), QByteArray());
    QVERIFY(!base64urlDecode("a"));                    // no whole byte
    QVERIFY(!base64urlDecode("ab$d"));                 // not base64
    QVERIFY(!base64urlDecode(QByteArray("ab\0d", 4))); // embedded NUL
}

void TestMegaCrypto::prepareKeyV1_data()
{
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<QByteArray>("key");
    QTest::newRow("8") << testBuffer(8) << QByteArray("c4589a459956887caf0b408635c3c03b");
    QTest::newRow("10") << testBuffer(10) << QByteArray("59930b1c55d783ac77df4c4ff261b0f1");
    QTest::newRow("64") << testBuffer(64) << QByteArray("83bd84689f057f9ed9834b3ecb81d80e");
}

void TestMegaCrypto::prepareKeyV1()
{
    QFETCH(QByteArray, password);
    QFETCH(QByteArray, key);
    QCOMPARE(mf::mega::prepareKeyV1(password).toHex(), key);
}

void TestMegaCrypto::stringHash_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("hash");
    QTest::newRow("10") << testBuffer(10) << QByteArray("9e791646c66840b5");
    QTest::newRow("16") << testBuffer(16) << QByteArray("6ba07aca224e84a4");
    QTest::newRow("32") << testBuffer(32) << QByteArray("6a1e6c5539c0ed48");
}

void TestMegaCrypto::stringHash()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, hash);
    const QByteArray key = QByteArray::fromHex("c4589a459956887caf0b408635c3c03b");
    QCOMPARE(mf::mega::stringHash(input, key).toHex(), hash);
    const DerivedKeys k = deriveKeysV1(testBuffer(8), input);
    QCOMPARE(k.passwordKey.toHex(), QByteArray("c4589a459956887caf0b408635c3c03b"));
    QCOMPARE(k.userHash, base64urlEncode(QByteArray::fromHex(hash)));
}

void TestMegaCrypto::deriveKeysV2_data()
{
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<QByteArray>("salt");
    QTest::addColumn<QByteArray>("passwordKey");
    QTest::addColumn<QByteArray>("userHash");
    QByteArray salt(16, '\0');
    for (int i = 0; i < 16; ++i)
        salt[i] = char(i);
    QTest::newRow("ascii") << QByteArray("correct horse battery staple") << salt
                           << QByteArray("8736985eadc89cfee314d74a15389705")
                           << QByteArray("ooxzoeSLoVHx_CnyVEI1LA");
    QTest::newRow("utf8") << QStringLiteral("pässwörd").toUtf8()
                          << QByteArray::fromHex("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"
                                                 "8293a4b5c6d7e8f90")
                          << QByteArray("e1bd89797eba7b74e9718f1b06054e23")
                          << QByteArray("oSM9oFMpHtnIdyspAnDL9A");
}

void TestMegaCrypto::deriveKeysV2()
{
    QFETCH(QByteArray, password);
    QFETCH(QByteArray, salt);
    QFETCH(QByteArray, passwordKey);
    QFETCH(QByteArray, userHash);
    const DerivedKeys k = mf::mega::deriveKeysV2(password, salt);
    QCOMPARE(k.passwordKey.toHex(), passwordKey);
    QCOMPARE(k.userHash, userHash);
}

void TestMegaCrypto::macBoundaries()
{
    // mega.md 6.3: 0, 128K, 384K, 768K, 1280K, 1920K, 2688K, 3584K, 4608K, then +1 MiB.
    const QList<qint64> expected = {0,       131072,  393216,  786432,  1310720,
                                    1966080, 2752512, 3670016, 4718592, 5767168};
    qint64 at = 0;
    for (int i = 0; i + 1 < expected.size(); ++i) {
        QCOMPARE(at, expected.at(i));
        QVERIFY(isMacBoundary(at));
        QVERIFY(!isMacBoundary(at + 16));
        at = macChunkEnd(at);
    }
    QCOMPARE(at, expected.last());
    QVERIFY(!isMacBoundary(1000000));
}

void TestMegaCrypto::uploadVector()
{
    const FileKey key = keyFrom24(testBuffer(24, 100, 7));
    QByteArray mac;
    const QByteArray cipher = encrypt(key, testBuffer(151511), &mac);
    QCOMPARE(QCryptographicHash::hash(cipher, QCryptographicHash::Sha1).toHex(),
             QByteArray("addb96c07ac4e6b66316b81530256c911b0b49d1"));
    FileKey whole = key;
    whole.metaMac = mac;
    QCOMPARE(packFileKey(whole).toHex(),
             QByteArray("b0b0909070707093e957d163217c2f3fd4dbe2e9f0f7fe0675f47bd299c3e9f2"));
}

void TestMegaCrypto::peersVector()
{
    QByteArray plain(300000, '\0');
    for (int i = 0; i < plain.size(); ++i)
        plain[i] = char(i % 251);
    FileKey key =
        keyFrom24(QByteArray::fromHex("000102030405060708090a0b0c0d0e0f1011121314151617"));
    const QByteArray cipher = encrypt(key, plain, &key.metaMac);
    QCOMPARE(QCryptographicHash::hash(cipher, QCryptographicHash::Sha256).toHex(),
             QByteArray("e1cb1390afcced51e0964aba4f781482600248817037d734f127b5fe28159c2c"));
    QCOMPARE(key.metaMac.toHex(), QByteArray("5388b52214072b72"));
    const QByteArray merged = packFileKey(key);
    QCOMPARE(merged.toHex(),
             QByteArray("10101010101010105b81bf29180a257d10111213141516175388b52214072b72"));
    QCOMPARE(base64urlEncode(merged), QByteArray("EBAQEBAQEBBbgb8pGAolfRAREhMUFRYXU4i1IhQHK3I"));
}

void TestMegaCrypto::macCheckVector()
{
    const auto key =
        unpackFileKey(base64urlDecode("AAAAAAAAAABnFCfbJFwAxwAAAAAAAAAAZxQn2yRcAMc").value());
    QVERIFY(key);
    QByteArray mac;
    encrypt(*key, testBuffer(151511), &mac);
    QCOMPARE(mac.toHex(), QByteArray("671427db245c00c7"));
    QCOMPARE(mac, key->metaMac);
}

void TestMegaCrypto::slicingDoesNotMatter()
{
    QByteArray plain(5 * 1024 * 1024 + 12345, '\0');
    QRandomGenerator rng(7);
    rng.fillRange(reinterpret_cast<quint32*>(plain.data()), plain.size() / 4);
    const FileKey key = FileKey::random();
    QByteArray wholeMac;
    const QByteArray whole = encrypt(key, plain, &wholeMac);
    for (const int slice : {1, 15, 16, 17, 4099, 65536, 131072, 1000003}) {
        if (slice == 1 && plain.size() > 300000) {
            // byte by byte only over a prefix: same prefix, same MAC as that prefix whole
            const QByteArray prefix = plain.left(300001);
            QByteArray a, b;
            QCOMPARE(encrypt(key, prefix, &a, 1), encrypt(key, prefix, &b));
            QCOMPARE(a, b);
            continue;
        }
        QByteArray mac;
        QCOMPARE(encrypt(key, plain, &mac, slice), whole);
        QCOMPARE(mac, wholeMac);
    }
    // In place gives the same as out of place.
    QByteArray inPlace = plain;
    FileCipher c(key, FileCipher::Direction::Encrypt);
    c.process(inPlace.constData(), inPlace.data(), inPlace.size());
    QCOMPARE(inPlace, whole);
    QCOMPARE(c.metaMac(), wholeMac);
}

void TestMegaCrypto::decryptChecksMacAndRanges()
{
    QByteArray plain(3 * 1024 * 1024 + 77, '\0');
    QRandomGenerator rng(11);
    rng.fillRange(reinterpret_cast<quint32*>(plain.data()), plain.size() / 4);
    FileKey key = FileKey::random();
    const QByteArray cipher = encrypt(key, plain, &key.metaMac);

    FileCipher d(key, FileCipher::Direction::Decrypt);
    QByteArray back = cipher;
    d.process(back.constData(), back.data(), back.size());
    QCOMPARE(back, plain);
    QCOMPARE(d.metaMac(), key.metaMac);

    // One flipped ciphertext bit: another plaintext, another MAC.
    QByteArray tampered = cipher;
    tampered[200000] = char(tampered[200000] ^ 1);
    FileCipher t(key, FileCipher::Direction::Decrypt);
    t.process(tampered.constData(), tampered.data(), tampered.size());
    QVERIFY(t.metaMac() != key.metaMac);

    // Random access from any 16-byte boundary (MACs only from a MAC-chunk boundary).
    for (const qint64 start : {qint64(16), qint64(4096), qint64(131072), qint64(1048576 + 48)}) {
        FileCipher r(key, FileCipher::Direction::Decrypt, start);
        QCOMPARE(r.computesMac(), start == 131072);
        QByteArray part = cipher.mid(start, 70001);
        r.process(part.constData(), part.data(), part.size());
        QCOMPARE(part, plain.mid(start, 70001));
        if (start != 131072)
            QVERIFY(r.metaMac().isEmpty());
    }
}

// An upload sends a file in POSTs of whole MAC chunks, each encrypted by a cipher of its own:
// the parts' ciphertexts and chunk MACs put together are the whole file's.
void TestMegaCrypto::partsGiveTheWholeMac()
{
    QByteArray plain(6 * 1024 * 1024 + 999, '\0');
    QRandomGenerator rng(5);
    rng.fillRange(reinterpret_cast<quint32*>(plain.data()), plain.size() / 4);
    const FileKey key = FileKey::random();
    QByteArray wholeMac;
    const QByteArray whole = encrypt(key, plain, &wholeMac);
    const QList<qint64> cuts = {0, 393216, 1310720, 5767168, plain.size()};
    QByteArray joined;
    QList<QByteArray> macs;
    for (int i = 0; i + 1 < cuts.size(); ++i) {
        FileCipher part(key, FileCipher::Direction::Encrypt, cuts.at(i));
        QVERIFY(part.computesMac());
        QByteArray bytes = plain.mid(cuts.at(i), cuts.at(i + 1) - cuts.at(i));
        part.process(bytes.constData(), bytes.data(), bytes.size());
        joined += bytes;
        macs += part.chunkMacs();
    }
    QCOMPARE(joined, whole);
    QCOMPARE(macs.size(), 10); // 8 growing chunks to 4608K, then 1 MiB chunks to 6 MiB + 999
    QCOMPARE(FileCipher::condenseMacs(key.aesKey, macs), wholeMac);
}

void TestMegaCrypto::packUnpack()
{
    FileKey k = FileKey::random();
    k.metaMac = QByteArray::fromHex("0102030405060708");
    QCOMPARE(k.aesKey.size(), 16);
    QCOMPARE(k.nonce.size(), 8);
    QVERIFY(FileKey::random().aesKey != k.aesKey);
    const auto back = unpackFileKey(packFileKey(k));
    QVERIFY(back);
    QCOMPARE(back->aesKey, k.aesKey);
    QCOMPARE(back->nonce, k.nonce);
    QCOMPARE(back->metaMac, k.metaMac);
    QVERIFY(!unpackFileKey(QByteArray(31, 'x')));
    // The node key as stored: two AES-ECB blocks under the master key.
    const QByteArray master = QByteArray::fromHex("00112233445566778899aabbccddeeff");
    const QByteArray sealed = ecbEncrypt(master, packFileKey(k));
    QCOMPARE(sealed.size(), 32);
    QCOMPARE(ecbDecrypt(master, sealed), packFileKey(k));
    QVERIFY(ecbEncrypt(master, QByteArray(15, 'x')).isEmpty());
}

void TestMegaCrypto::attributes()
{
    QByteArray key(16, '\0');
    for (int i = 0; i < 16; ++i)
        key[i] = char(16 + i);
    const QJsonObject attrs{
        {QStringLiteral("n"),
         QStringLiteral("bafkreigfuhq3fa3jp2holhpt3jg6s3zb4rhe4nkkdbojcaamysmenqcf4y")}};
    const QByteArray sealed = encryptAttributes(key, attrs);
    QCOMPARE(
        base64urlEncode(sealed),
        QByteArray("Rf-5gV9xDQpqA5NkctOIHprJSK-5za5BqixOpJltQM8ZOQO11gOYcfYipvSIF2edm2VLcXEb6En"
                   "_nmcMsTWeUQHMpDUJv9iP9AHe2NaUxVs"));
    QCOMPARE(decryptAttributes(key, sealed).value(), attrs);
    QByteArray wrong = key;
    wrong[0] = 'x';
    QVERIFY(!decryptAttributes(wrong, sealed));
    QVERIFY(!decryptAttributes(key, sealed.left(17)));
    const QJsonObject unicode{{QStringLiteral("n"), QStringLiteral("模型 ✓.gguf")}};
    QCOMPARE(decryptAttributes(key, encryptAttributes(key, unicode)).value(), unicode);
}

void TestMegaCrypto::links()
{
    const QByteArray nodeKey =
        QByteArray::fromHex("10101010101010105b81bf29180a257d10111213141516175388b52214072b72");
    const QString link = fileLink(QStringLiteral("AbCd-_12"), nodeKey);
    QCOMPARE(link,
             QStringLiteral(
                 "https://mega.nz/file/AbCd-_12#EBAQEBAQEBBbgb8pGAolfRAREhMUFRYXU4i1IhQHK3I"));
    QString handle;
    QByteArray key;
    QVERIFY(parseFileLink(link, &handle, &key));
    QCOMPARE(handle, QStringLiteral("AbCd-_12"));
    QCOMPARE(key, nodeKey);
    QVERIFY(parseFileLink(
        QStringLiteral("https://mega.nz/#!AbCd-_12!EBAQEBAQEBBbgb8pGAolfRAREhMUFRYXU4i1IhQHK3I"),
        &handle, &key));
    QCOMPARE(key, nodeKey);
    QVERIFY(!parseFileLink(QStringLiteral("https://example.com/file/AbCd-_12#EBAQEBAQEBBbgb8pGA"
                                          "olfRAREhMUFRYXU4i1IhQHK3I"),
                           &handle, &key));
    QVERIFY(!parseFileLink(QStringLiteral("https://mega.nz/file/AbCd-_12#EBAQ"), &handle, &key));
}

void TestMegaCrypto::sessionId()
{
    const QByteArray privk = QByteArray::fromHex(
        "0200eaf9c8f136bad3883373b69e177174375ccb6e5d5aee488bac1a927a1138b4a34d8a680e1b2f6325863f6e"
        "09c465cda21b67bbf563f30a7e5ab0fe3e796097910200d1869ec291bf8c80ed9464c34dce9db938603bfe8d06"
        "0cba964055b64d3949b59cacd7ae65f6f02d18380fcd3d30eba7f113e4fe1d8f5aa2925e4e832f73d3510400"
        "8405ed430e71330ba2ac19a68cb88dc651bc0b76ccf78968a319a5f5803224d32e165584099db38808f5b57db3"
        "1a40c542306d08ea538dbef7421c252106cfd009fd08009fbc5f83db34a8370f63d07ecfb1c39abbe3723b91fd"
        "0dbdbc42d8ed1b9b424bf1f248a4c82d811712245079c0fbf2355f736c7877e50a019e95a60101fb06a3e4b97e"
        "c57df188e43d9603afb89cb191e778797c1c48a25287cdbe2da3c4b42899111ef34c493441178e8962e2616a35"
        "d274afde2f11069e5016491628560000000000000000");
    const QByteArray csid =
        base64urlDecode("A_9x5WVTKZOgvomZ6UxSrkFTPEsM3tJDn0Lm13n120-OIW9ucVLn8u4Mrn9IGiauG_c88YUl"
                        "Hmo61YhOsg6O9ad6moDOB5Kcz7v02WuwjLocZIBFGq47d0Vyx5yjiQFEAoHKAy0c3KJ52ePF_g"
                        "Iw7-jY4wPjw4iixN1WdYg0xHxg6g")
            .value();
    QCOMPARE(decryptSessionId(privk, csid).value(),
             QByteArray("WsU3KHM135GWoORInDlLBJfllNLBikcmctvYwPIJQxH_a8INjihGgmFRFQ"));
    QVERIFY(!decryptSessionId(privk.left(40), csid));
    QVERIFY(!decryptSessionId(privk, csid.left(10)));
    QVERIFY(!decryptSessionId(QByteArray(), QByteArray()));
}

void TestMegaCrypto::temporarySession()
{
    const QByteArray master = QByteArray::fromHex("00112233445566778899aabbccddeeff");
    const QByteArray first = QByteArray::fromHex("0f0e0d0c0b0a09080706050403020100");
    const QByteArray tsid = first + ecbEncrypt(master, first);
    QVERIFY(checkTemporarySession(master, tsid));
    QByteArray bad = tsid;
    bad[31] = char(bad[31] ^ 1);
    QVERIFY(!checkTemporarySession(master, bad));
}

void TestMegaCrypto::hashcash()
{
    const auto c = HashcashChallenge::parse(
        "1:200:1714000000:CzBVep_E6Q4zWH2ix-wRNluApcrvFDleg6jN8hc8YYar0PUaP2SJrtP4HUJnjLHW");
    QVERIFY(c);
    QCOMPARE(c->easiness, 200);
    QCOMPARE(c->threshold(), quint32(17) << 24);
    HashcashChallenge easiest;
    easiest.easiness = 255;
    QCOMPARE(easiest.threshold(), quint32(127) << 24);
    HashcashChallenge hardest;
    QCOMPARE(hardest.threshold(), quint32(8));
    QCOMPARE(
        solveHashcash(*c).value(),
        QByteArray("1:CzBVep_E6Q4zWH2ix-wRNluApcrvFDleg6jN8hc8YYar0PUaP2SJrtP4HUJnjLHW:DwAAAA"));
    std::atomic_bool cancel{true};
    QVERIFY(!solveHashcash(*c, &cancel));
    QVERIFY(!HashcashChallenge::parse("2:200:1:abcd"));
    QVERIFY(!HashcashChallenge::parse("1:300:1:abcd"));
    QVERIFY(!HashcashChallenge::parse("1:200:1"));
    QVERIFY(!HashcashChallenge::parse("1:200:1:$$"));
}

QTEST_GUILESS_MAIN(TestMegaCrypto)
#include "tst_megacrypto.moc"
