#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>

namespace mf::s3 {

// AWS Signature Version 4 for S3, header-based: the canonical request, the string to sign, the
// signing-key chain and the Authorization header, as the AWS documentation defines them. The
// payload hash is always the body's real SHA-256 (never UNSIGNED-PAYLOAD), so the server checks
// the bytes it stores.
class SigV4Signer final
{
public:
    using Pairs = QList<QPair<QByteArray, QByteArray>>;

    struct Request
    {
        QByteArray method;      // "GET", "PUT", ...
        QByteArray host;        // exactly the Host header: "127.0.0.1:9000", "b.s3.amazonaws.com"
        QByteArray encodedPath; // already URI-encoded once (S3 rule): "/bucket/a%20b"
        Pairs query;            // raw (not encoded) names and values; a valueless name: ""
        Pairs headers;          // further headers to sign (range, content-type, x-amz-*, ...)
        QByteArray payloadSha256Hex; // lower-case hex SHA-256 of the body
        QDateTime time;              // UTC
    };

    struct Signature
    {
        QByteArray amzDate;       // x-amz-date value: 20130524T000000Z
        QByteArray signedHeaders; // "host;range;x-amz-content-sha256;x-amz-date"
        QByteArray canonicalRequest;
        QByteArray stringToSign;
        QByteArray signature;     // 64 lower-case hex digits
        QByteArray authorization; // the Authorization header value
    };

    SigV4Signer(const QByteArray& accessKeyId, const QByteArray& secretAccessKey,
                const QByteArray& region, const QByteArray& service = "s3");

    Signature sign(const Request& request) const;

    // UriEncode of the AWS documentation: every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case
    // hex); '/' kept as is when `keepSlash` (object key paths).
    static QByteArray uriEncode(const QByteArray& bytes, bool keepSlash);
    // name=value pairs, both encoded, sorted by name then value, joined with '&'.
    static QByteArray canonicalQuery(const Pairs& query);
    static QByteArray sha256Hex(const QByteArray& data);
    // SHA-256 of an empty body.
    static const QByteArray EmptyPayloadSha256;

private:
    QByteArray signingKey(const QByteArray& date) const;

    QByteArray m_accessKeyId;
    QByteArray m_secret;
    QByteArray m_region;
    QByteArray m_service;
};

} // namespace mf::s3
