// The local Google Drive server (tests/peers/drive) checked by real third-party clients, so that
// the Drive adapter's tests run against a server that answers as Google's API does, not one made
// to agree with ModelFloat: Google's own Node client (@googleapis/drive, google-auth-library) and
// Debian's rclone drive backend.

#include "drivepeer.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QtTest>

using namespace mf::test;

class TestDrivePeer final : public QObject
{
    Q_OBJECT

    DrivePeer m_peer;

    static QByteArray randomBytes(int size)
    {
        QByteArray b(size, Qt::Uninitialized);
        QRandomGenerator rng(size);
        for (char& c : b)
            c = char(rng.bounded(256));
        return b;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_peer.start(), qPrintable(m_peer.errorString())); }

    // Sign-in with PKCE (a wrong verifier refused), refresh, multipart and resumable uploads
    // with 308 + Range and status queries, listing by appProperties and by pages, ranged
    // download, about.get, a 404 with its reason, deletion and revocation.
    void googleNodeClient()
    {
        QString output;
        QVERIFY2(m_peer.googleClientCheck(&output), qPrintable(output));
        QVERIFY2(output.contains(QLatin1String("client-check ok")), qPrintable(output));
    }

    // rclone copies a file in (resumable, in 1 MiB pieces) and out, and reads a range.
    void rcloneCopiesInAndOut()
    {
        QTemporaryDir dir;
        const QByteArray bytes = randomBytes(3 * 1024 * 1024 + 12345);
        QFile f(dir.filePath(QStringLiteral("model.bin")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
        f.close();
        const int sessionsBefore = m_peer.stats()
                                       .value(QStringLiteral("byKind"))
                                       .toObject()
                                       .value(QStringLiteral("upload.session"))
                                       .toInt();

        QByteArray out;
        QVERIFY(m_peer.rclone({QStringLiteral("mkdir"), QStringLiteral("gd:rc")}, &out));
        QVERIFY(m_peer.rclone({QStringLiteral("copy"), f.fileName(), QStringLiteral("gd:rc/"),
                               QStringLiteral("--drive-upload-cutoff"), QStringLiteral("1M"),
                               QStringLiteral("--drive-chunk-size"), QStringLiteral("1M")},
                              &out));
        const int sessions = m_peer.stats()
                                 .value(QStringLiteral("byKind"))
                                 .toObject()
                                 .value(QStringLiteral("upload.session"))
                                 .toInt();
        QVERIFY2(sessions - sessionsBefore >= 4, "a resumable upload in pieces");

        QVERIFY(m_peer.rclone(
            {QStringLiteral("lsjson"), QStringLiteral("--hash"), QStringLiteral("gd:rc")}, &out));
        const QJsonArray listed = QJsonDocument::fromJson(out).array();
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed.at(0)[QStringLiteral("Name")].toString(), QStringLiteral("model.bin"));
        QCOMPARE(listed.at(0)[QStringLiteral("Size")].toInteger(), qint64(bytes.size()));
        QCOMPARE(
            listed.at(0)[QStringLiteral("Hashes")][QStringLiteral("md5")].toString(),
            QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Md5).toHex()));

        QVERIFY(m_peer.rclone({QStringLiteral("cat"), QStringLiteral("gd:rc/model.bin")}, &out));
        QVERIFY(out == bytes);
        QVERIFY(m_peer.rclone({QStringLiteral("cat"), QStringLiteral("--offset"),
                               QStringLiteral("1048570"), QStringLiteral("--count"),
                               QStringLiteral("100"), QStringLiteral("gd:rc/model.bin")},
                              &out));
        QVERIFY(out == bytes.mid(1048570, 100));

        QVERIFY(
            m_peer.rclone({QStringLiteral("deletefile"), QStringLiteral("gd:rc/model.bin")}, &out));
        QVERIFY(m_peer.rclone({QStringLiteral("lsjson"), QStringLiteral("gd:rc")}, &out));
        QCOMPARE(QJsonDocument::fromJson(out).array().size(), 0);
    }

    // The daily upload cap: rclone recognizes the server's answer as Drive's upload limit
    // (--drive-stop-on-upload-limit stops at once), and the server's clock moved a day on
    // lifts it.
    void rcloneSeesTheUploadCap()
    {
        QTemporaryDir dir;
        QFile f(dir.filePath(QStringLiteral("capped.bin")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(randomBytes(100000));
        f.close();
        const qint64 uploaded = m_peer.stats().value(QStringLiteral("uploadedToday")).toInteger();
        m_peer.configure({{QStringLiteral("uploadCapBytes"), uploaded}});
        QByteArray out;
        QVERIFY(!m_peer.rclone({QStringLiteral("copy"), f.fileName(), QStringLiteral("gd:cap/"),
                                QStringLiteral("--drive-stop-on-upload-limit"),
                                QStringLiteral("--retries"), QStringLiteral("1"),
                                QStringLiteral("--low-level-retries"), QStringLiteral("1")},
                               &out));
        QVERIFY(m_peer.stats()
                    .value(QStringLiteral("errors"))
                    .toObject()
                    .value(QStringLiteral("userRateLimitExceeded"))
                    .toInt() >= 1);
        m_peer.advanceClock(qint64(25) * 3600 * 1000);
        QVERIFY(m_peer.rclone({QStringLiteral("copy"), f.fileName(), QStringLiteral("gd:cap/"),
                               QStringLiteral("--retries"), QStringLiteral("1")},
                              &out));
        m_peer.configure({{QStringLiteral("uploadCapBytes"), qint64(750) * 1024 * 1024 * 1024}});
    }
};

QTEST_GUILESS_MAIN(TestDrivePeer)
#include "tst_drivepeer.moc"
