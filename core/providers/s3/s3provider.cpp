#include "s3provider.h"

#include "credentials/credentialstore.h"
#include "s3jobs.h"
#include "util/units.h"

#include <QDateTime>
#include <QJsonValue>
#include <QLoggingCategory>
#include <QNetworkReply>

namespace mf {

Q_LOGGING_CATEGORY(lcS3, "modelfloat.s3")

namespace {

constexpr qint64 MinPartSize = 5LL << 20; // S3's minimum for every part but the last

// A size setting stored as a number of bytes or typed as "64M".
std::optional<qint64> sizeSetting(const QJsonValue& value, qint64 fallback)
{
    if (value.isUndefined() || value.isNull() ||
        (value.isString() && value.toString().trimmed().isEmpty()))
        return fallback;
    if (value.isDouble())
        return value.toDouble() >= 0 ? std::optional<qint64>(qint64(value.toDouble()))
                                     : std::nullopt;
    return units::parseBytes(value.toString());
}

// S3 bucket names: 3-63 characters of lower-case letters, digits, dots and hyphens.
bool plausibleBucketName(const QString& name)
{
    if (name.size() < 3 || name.size() > 63)
        return false;
    for (const QChar c : name)
        if (!((c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
              (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('.') ||
              c == QLatin1Char('-') || c == QLatin1Char('_')))
            return false;
    return true;
}

} // namespace

std::optional<S3Provider::Settings> S3Provider::Settings::fromRecord(const ProviderRecord& record,
                                                                     const QString& vaultId,
                                                                     QString* error)
{
    const QJsonObject& s = record.settings;
    const auto text = [&s](const char* key) {
        return s.value(QLatin1String(key)).toString().trimmed();
    };
    const auto fail = [&](const QString& why) {
        *error = QStringLiteral("Provider “%1”: %2").arg(record.name, why);
        return std::nullopt;
    };
    Settings out;
    out.endpoint = QUrl(text("endpoint"), QUrl::StrictMode);
    const QString scheme = out.endpoint.scheme();
    if (!out.endpoint.isValid() || out.endpoint.host().isEmpty() ||
        (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return fail(QStringLiteral("the endpoint must be an http:// or https:// URL, such as "
                                   "https://s3.eu-central-1.amazonaws.com"));
    if (!out.endpoint.userInfo().isEmpty() || out.endpoint.hasQuery())
        return fail(QStringLiteral("the endpoint URL must not contain a user name, password or "
                                   "query; the keys belong in their own fields"));
    if (!text("region").isEmpty())
        out.region = text("region");
    out.bucket = text("bucket");
    if (!plausibleBucketName(out.bucket))
        return fail(QStringLiteral("“%1” is not a bucket name (3 to 63 lower-case letters, "
                                   "digits, dots or hyphens)")
                        .arg(out.bucket));
    const QString addressing = text("addressing");
    if (addressing.isEmpty() || addressing == QLatin1String("path"))
        out.virtualHosted = false;
    else if (addressing == QLatin1String("virtual"))
        out.virtualHosted = true;
    else
        return fail(
            QStringLiteral("addressing must be “path” or “virtual”, not “%1”").arg(addressing));
    out.prefix = text("prefix");
    if (out.prefix.isEmpty())
        out.prefix = QStringLiteral("modelfloat/%1/").arg(vaultId);
    while (out.prefix.startsWith(QLatin1Char('/')))
        out.prefix.remove(0, 1);
    if (!out.prefix.isEmpty() && !out.prefix.endsWith(QLatin1Char('/')))
        out.prefix += QLatin1Char('/');
    out.accessKeyId = text("accessKeyId");
    if (out.accessKeyId.isEmpty())
        return fail(QStringLiteral("the access key id is not set"));
    const auto threshold =
        sizeSetting(s.value(QLatin1String("multipartThreshold")), out.multipartThreshold);
    if (!threshold || *threshold < MinPartSize)
        return fail(QStringLiteral("the multipart threshold must be a size of at least 5M"));
    out.multipartThreshold = *threshold;
    // Parts of 8 MiB, or of the threshold when that is lower (never under S3's 5 MiB).
    out.partSize = qMax(MinPartSize, qMin(out.partSize, out.multipartThreshold));
    const QJsonValue concurrency = s.value(QLatin1String("concurrency"));
    if (!concurrency.isUndefined() && !concurrency.isNull()) {
        const int n = concurrency.isString() ? concurrency.toString().toInt() : concurrency.toInt();
        if (n < 1 || n > 64)
            return fail(QStringLiteral("concurrency must be a number from 1 to 64"));
        out.concurrency = n;
    }
    out.quotaBytes = record.quotaBytes;
    return out;
}

S3Provider::S3Provider(const QString& displayName, const Settings& settings,
                       const ProviderContext& context, const QString& secretsKey)
    : NetworkProvider(displayName, context, secretsKey, settings.concurrency)
    , m_settings(settings)
{}

S3Provider::~S3Provider() = default;

QString S3Provider::keyFor(const QString& cid) const
{
    return m_settings.prefix + QStringLiteral("chunks/") + cid;
}

ProviderJob* S3Provider::save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size)
{
    return new S3PutJob(this, cid, std::move(source), size);
}

ProviderJob* S3Provider::get(const QString& locator, ByteSink* sink, qint64 offset, qint64 length)
{
    return new S3GetJob(this, locator, sink, offset, length);
}

ProviderJob* S3Provider::stat(const QString& locator)
{
    return new S3ObjectJob(this, S3ObjectJob::Operation::Stat, locator);
}

ProviderJob* S3Provider::remove(const QString& locator)
{
    return new S3ObjectJob(this, S3ObjectJob::Operation::Remove, locator);
}

ProviderJob* S3Provider::list()
{
    return new S3ListJob(this, false);
}

ProviderJob* S3Provider::usage()
{
    return new S3ListJob(this, true);
}

QNetworkRequest S3Provider::signedRequest(const QByteArray& method, const QString& key,
                                          const s3::SigV4Signer::Pairs& query,
                                          const s3::SigV4Signer::Pairs& headers,
                                          const QByteArray& payloadSha256Hex) const
{
    const QUrl& endpoint = m_settings.endpoint;
    QString path = endpoint.path(QUrl::FullyDecoded);
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    QString host = endpoint.host(QUrl::FullyEncoded);
    if (m_settings.virtualHosted) {
        host = m_settings.bucket + QLatin1Char('.') + host;
        path += QLatin1Char('/') + key;
    } else {
        path += QLatin1Char('/') + m_settings.bucket;
        if (!key.isEmpty())
            path += QLatin1Char('/') + key;
    }
    const bool https = endpoint.scheme() == QLatin1String("https");
    const int port = endpoint.port();
    // The Host header exactly as Qt sends it: the port only when it is not the scheme's default.
    QByteArray hostHeader = host.toLatin1();
    if (host.contains(QLatin1Char(':')))
        hostHeader = '[' + hostHeader + ']'; // an IPv6 literal
    if (port != -1 && port != (https ? 443 : 80))
        hostHeader += ':' + QByteArray::number(port);

    s3::SigV4Signer::Request r;
    r.method = method;
    r.host = hostHeader;
    r.encodedPath = s3::SigV4Signer::uriEncode(path.toUtf8(), true);
    r.query = query;
    r.headers = headers;
    r.payloadSha256Hex = payloadSha256Hex;
    r.time = QDateTime::currentDateTimeUtc();
    const s3::SigV4Signer signer(
        m_settings.accessKeyId.toUtf8(),
        secrets().value(QLatin1String("secretAccessKey")).toString().toUtf8(),
        m_settings.region.toUtf8());
    const s3::SigV4Signer::Signature sig = signer.sign(r);

    const QByteArray canonicalQuery = s3::SigV4Signer::canonicalQuery(query);
    const QByteArray url = endpoint.scheme().toLatin1() + "://" + hostHeader + r.encodedPath +
                           (canonicalQuery.isEmpty() ? QByteArray() : '?' + canonicalQuery);
    QNetworkRequest request(QUrl::fromEncoded(url, QUrl::StrictMode));
    for (const auto& h : headers)
        request.setRawHeader(h.first, h.second);
    request.setRawHeader("x-amz-date", sig.amzDate);
    request.setRawHeader("x-amz-content-sha256", payloadSha256Hex);
    request.setRawHeader("Authorization", sig.authorization);
    // S3 never compresses; an inflating proxy in between must not change the bytes we count.
    request.setRawHeader("Accept-Encoding", "identity");
    return request;
}

void S3Provider::abortMultipartUpload(const QString& key, const QString& uploadId)
{
    const QNetworkRequest request = signedRequest("DELETE", key, {{"uploadId", uploadId.toUtf8()}},
                                                  {}, s3::SigV4Signer::EmptyPayloadSha256);
    QNetworkReply* reply = network()->sendCustomRequest(request, "DELETE");
    connect(reply, &QNetworkReply::finished, this, [reply] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status < 200 || status >= 300)
            qCInfo(lcS3,
                   "Aborting an unfinished multipart upload got HTTP %d (%s); a bucket "
                   "lifecycle rule may have to clean it up",
                   status, qPrintable(HttpExchange::displayUrl(reply->url())));
        reply->deleteLater();
    });
}

} // namespace mf
