#include "sigv4signer.h"

#include "chunking/sha256.h"

#include <QMessageAuthenticationCode>

#include <algorithm>

namespace mf::s3 {

const QByteArray SigV4Signer::EmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

namespace {

QByteArray hmac(const QByteArray& key, const QByteArray& data)
{
    return QMessageAuthenticationCode::hash(data, key, QCryptographicHash::Sha256);
}

// Trimmed, with runs of spaces inside collapsed to one (canonical header values).
QByteArray canonicalValue(const QByteArray& value)
{
    return value.simplified();
}

} // namespace

SigV4Signer::SigV4Signer(const QByteArray& accessKeyId, const QByteArray& secretAccessKey,
                         const QByteArray& region, const QByteArray& service)
    : m_accessKeyId(accessKeyId)
    , m_secret(secretAccessKey)
    , m_region(region)
    , m_service(service)
{}

QByteArray SigV4Signer::uriEncode(const QByteArray& bytes, bool keepSlash)
{
    static const char Hex[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(bytes.size() * 3);
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                                (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' ||
                                u == '~' || (keepSlash && u == '/');
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += Hex[u >> 4];
            out += Hex[u & 0xf];
        }
    }
    return out;
}

QByteArray SigV4Signer::canonicalQuery(const Pairs& query)
{
    Pairs encoded;
    encoded.reserve(query.size());
    for (const auto& kv : query)
        encoded.append({uriEncode(kv.first, false), uriEncode(kv.second, false)});
    std::sort(encoded.begin(), encoded.end());
    QByteArray out;
    for (const auto& kv : std::as_const(encoded)) {
        if (!out.isEmpty())
            out += '&';
        out += kv.first + '=' + kv.second;
    }
    return out;
}

QByteArray SigV4Signer::sha256Hex(const QByteArray& data)
{
    return Sha256::hash(data).toHex();
}

QByteArray SigV4Signer::signingKey(const QByteArray& date) const
{
    const QByteArray kDate = hmac("AWS4" + m_secret, date);
    const QByteArray kRegion = hmac(kDate, m_region);
    const QByteArray kService = hmac(kRegion, m_service);
    return hmac(kService, "aws4_request");
}

SigV4Signer::Signature SigV4Signer::sign(const Request& request) const
{
    Signature s;
    const QDateTime utc = request.time.toUTC();
    s.amzDate = utc.toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")).toLatin1();
    const QByteArray date = s.amzDate.left(8);

    Pairs headers;
    headers.append({"host", canonicalValue(request.host)});
    headers.append({"x-amz-content-sha256", request.payloadSha256Hex});
    headers.append({"x-amz-date", s.amzDate});
    for (const auto& kv : request.headers)
        headers.append({kv.first.toLower(), canonicalValue(kv.second)});
    std::stable_sort(headers.begin(), headers.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    QByteArray canonicalHeaders;
    for (const auto& kv : std::as_const(headers)) {
        canonicalHeaders += kv.first + ':' + kv.second + '\n';
        if (!s.signedHeaders.isEmpty())
            s.signedHeaders += ';';
        s.signedHeaders += kv.first;
    }

    s.canonicalRequest = request.method + '\n' + request.encodedPath + '\n' +
                         canonicalQuery(request.query) + '\n' + canonicalHeaders + '\n' +
                         s.signedHeaders + '\n' + request.payloadSha256Hex;
    const QByteArray scope = date + '/' + m_region + '/' + m_service + "/aws4_request";
    s.stringToSign =
        "AWS4-HMAC-SHA256\n" + s.amzDate + '\n' + scope + '\n' + sha256Hex(s.canonicalRequest);
    s.signature = hmac(signingKey(date), s.stringToSign).toHex();
    s.authorization = "AWS4-HMAC-SHA256 Credential=" + m_accessKeyId + '/' + scope +
                      ", SignedHeaders=" + s.signedHeaders + ", Signature=" + s.signature;
    return s;
}

} // namespace mf::s3
