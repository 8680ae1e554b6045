// The S3 adapter's protocol without a server: its SigV4 signer against the AWS documentation's
// published examples, S3's URI encoding, its reading of S3's XML documents, and S3's error
// codes mapped to the kinds of error the rest of ModelFloat acts on.

#include "providers/s3/s3provider.h"
#include "providers/s3/s3xml.h"
#include "providers/s3/sigv4signer.h"

#include <QtTest>

using namespace mf;
using s3::SigV4Signer;

class TestS3Protocol final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void signerMatchesAwsExamples_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<SigV4Signer::Pairs>("query");
        QTest::addColumn<SigV4Signer::Pairs>("headers");
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QByteArray>("signedHeaders");
        QTest::addColumn<QByteArray>("canonicalHash");
        QTest::addColumn<QByteArray>("signature");
        const QByteArray empty = SigV4Signer::EmptyPayloadSha256;
        QTest::newRow("GET with Range")
            << QByteArray("GET") << QByteArray("/test.txt") << SigV4Signer::Pairs{}
            << SigV4Signer::Pairs{{"Range", "bytes=0-9"}} << empty
            << QByteArray("host;range;x-amz-content-sha256;x-amz-date")
            << QByteArray("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
            << QByteArray("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
        QTest::newRow("PUT")
            << QByteArray("PUT") << SigV4Signer::uriEncode("/test$file.text", true)
            << SigV4Signer::Pairs{}
            << SigV4Signer::Pairs{{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                  {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}
            << SigV4Signer::sha256Hex("Welcome to Amazon S3.")
            << QByteArray("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
            << QByteArray("9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d")
            << QByteArray("98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
        QTest::newRow("GET listing")
            << QByteArray("GET") << QByteArray("/")
            << SigV4Signer::Pairs{{"max-keys", "2"}, {"prefix", "J"}} << SigV4Signer::Pairs{}
            << empty << QByteArray("host;x-amz-content-sha256;x-amz-date") << QByteArray()
            << QByteArray("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
        QTest::newRow("GET lifecycle")
            << QByteArray("GET") << QByteArray("/") << SigV4Signer::Pairs{{"lifecycle", {}}}
            << SigV4Signer::Pairs{} << empty << QByteArray("host;x-amz-content-sha256;x-amz-date")
            << QByteArray()
            << QByteArray("fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    }
    void signerMatchesAwsExamples()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(SigV4Signer::Pairs, query);
        QFETCH(SigV4Signer::Pairs, headers);
        QFETCH(QByteArray, payload);
        QFETCH(QByteArray, signedHeaders);
        QFETCH(QByteArray, canonicalHash);
        QFETCH(QByteArray, signature);
        const SigV4Signer signer("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 "us-east-1");
        SigV4Signer::Request r;
        r.method = method;
        r.host = "examplebucket.s3.amazonaws.com";
        r.encodedPath = path;
        r.query = query;
        r.headers = headers;
        r.payloadSha256Hex = payload;
        r.time = QDateTime(QDate(2013, 5, 24), QTime(0, 0), Qt::UTC);
        const SigV4Signer::Signature s = signer.sign(r);
        QCOMPARE(s.amzDate, QByteArray("20130524T000000Z"));
        QCOMPARE(s.signedHeaders, signedHeaders);
        if (!canonicalHash.isEmpty())
            QCOMPARE(SigV4Signer::sha256Hex(s.canonicalRequest), canonicalHash);
        QCOMPARE(s.signature, signature);
        QCOMPARE(s.authorization,
                 "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                 "aws4_request, SignedHeaders=" +
                     signedHeaders + ", Signature=" + signature);
    }

    void uriEncodingFollowsS3Rules()
    {
        QCOMPARE(SigV4Signer::uriEncode("a bä.safetensors", true),
                 QByteArray("a%20b%C3%A4.safetensors"));
        QCOMPARE(SigV4Signer::uriEncode("test$file.text", true), QByteArray("test%24file.text"));
        QCOMPARE(SigV4Signer::uriEncode("dir/k~-_.", true), QByteArray("dir/k~-_."));
        QCOMPARE(SigV4Signer::uriEncode("a/b+c=", false), QByteArray("a%2Fb%2Bc%3D"));
        QCOMPARE(SigV4Signer::canonicalQuery({{"uploads", {}}}), QByteArray("uploads="));
        QCOMPARE(SigV4Signer::canonicalQuery({{"b", "2"}, {"a", "x/y"}, {"a", "1"}}),
                 QByteArray("a=1&a=x%2Fy&b=2"));
    }

    void readsS3Documents()
    {
        const s3::ErrorDocument e = s3::parseError(
            "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does "
            "not exist.</Message><Resource>/b/k</Resource><RequestId>42</RequestId></Error>");
        QVERIFY(e.valid);
        QCOMPARE(e.code, QStringLiteral("NoSuchKey"));
        QCOMPARE(e.requestId, QStringLiteral("42"));
        QVERIFY(!s3::parseError("<ListBucketResult/>").valid);
        QVERIFY(!s3::parseError("not xml at all").valid);

        const s3::ListPage page = s3::parseListObjectsV2(
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
            "<IsTruncated>true</IsTruncated><NextContinuationToken>a/b+c=</NextContinuationToken>"
            "<Contents><Key>p/chunks/x</Key><Size>12</Size><ETag>\"e\"</ETag></Contents>"
            "<Contents><Key>p/chunks/y</Key><Size>7</Size></Contents>"
            "<CommonPrefixes><Prefix>q/</Prefix></CommonPrefixes></ListBucketResult>");
        QVERIFY(page.valid);
        QVERIFY(page.truncated);
        QCOMPARE(page.nextContinuationToken, QStringLiteral("a/b+c="));
        QCOMPARE(page.objects.size(), 2);
        QCOMPARE(page.objects[1].locator, QStringLiteral("p/chunks/y"));
        QCOMPARE(page.objects[1].size, 7);
        QVERIFY(!s3::parseListObjectsV2("<Error><Code>x</Code></Error>").valid);

        QCOMPARE(s3::parseUploadId("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                                   "<UploadId>2~abc</UploadId></InitiateMultipartUploadResult>"),
                 QStringLiteral("2~abc"));
        const QByteArray complete = s3::completeMultipartUploadBody({{1, "\"a\""}, {2, "\"b\""}});
        QVERIFY(complete.contains("<Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part>") ||
                complete.contains("<Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag>"));
    }

    void errorCodesMapToKinds_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<int>("kind");
        const auto row = [](int status, const char* code, Error::Kind kind) {
            QTest::newRow(code) << status << QString::fromLatin1(code) << int(kind);
        };
        row(403, "AccessDenied", Error::Kind::Authentication);
        row(403, "InvalidAccessKeyId", Error::Kind::Authentication);
        row(403, "SignatureDoesNotMatch", Error::Kind::Authentication);
        row(400, "ExpiredToken", Error::Kind::Authentication);
        row(404, "NoSuchKey", Error::Kind::NotFound);
        row(404, "NoSuchBucket", Error::Kind::NotFound);
        row(503, "SlowDown", Error::Kind::Retryable);
        row(500, "InternalError", Error::Kind::Retryable);
        row(400, "RequestTimeout", Error::Kind::Retryable);
        row(403, "QuotaExceeded", Error::Kind::QuotaExceeded);
        row(400, "XAmzContentSHA256Mismatch", Error::Kind::Corrupt);
        row(400, "EntityTooLarge", Error::Kind::Fatal);
        row(400, "SomethingNew", Error::Kind::Fatal);
        row(503, "SomethingNewAndTemporary", Error::Kind::Retryable);
    }
    void errorCodesMapToKinds()
    {
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(int, kind);
        const QByteArray body = "<Error><Code>" + code.toLatin1() +
                                "</Code><Message>Words from the server.</Message></Error>";
        const Error e = s3::classifyError(status, body, QStringLiteral("Uploading x"), "7");
        QCOMPARE(int(e.kind), kind);
        QVERIFY2(e.message.startsWith(QLatin1String("Uploading x: Words from the server.")),
                 qPrintable(e.message));
        QVERIFY2(e.message.contains(code), qPrintable(e.message));
        if (e.kind == Error::Kind::Retryable && code == QLatin1String("SlowDown"))
            QCOMPARE(e.retryAfterMs, 7000);
    }
};

QTEST_GUILESS_MAIN(TestS3Protocol)
#include "tst_s3protocol.moc"
