#include "s3xml.h"

#include "providers/network/httpexchange.h"

#include <QCoreApplication>
#include <QXmlStreamReader>
#include <QXmlStreamWriter>

namespace mf::s3 {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::s3", text);
}

} // namespace

ErrorDocument parseError(const QByteArray& body)
{
    ErrorDocument doc;
    QXmlStreamReader xml(body);
    int depth = 0;
    while (!xml.atEnd()) {
        const QXmlStreamReader::TokenType token = xml.readNext();
        if (token == QXmlStreamReader::EndElement) {
            --depth;
            continue;
        }
        if (token != QXmlStreamReader::StartElement)
            continue;
        ++depth;
        const QStringView name = xml.name();
        if (depth == 1) {
            if (name != QLatin1String("Error"))
                return doc;
            doc.valid = true;
            continue;
        }
        if (depth != 2)
            continue;
        if (name == QLatin1String("Code"))
            doc.code = xml.readElementText().trimmed();
        else if (name == QLatin1String("Message"))
            doc.message = xml.readElementText().trimmed();
        else if (name == QLatin1String("RequestId"))
            doc.requestId = xml.readElementText().trimmed();
        else if (name == QLatin1String("Region"))
            doc.region = xml.readElementText().trimmed();
        else
            continue;
        --depth; // readElementText() consumed the end element
    }
    return doc;
}

ListPage parseListObjectsV2(const QByteArray& body)
{
    ListPage page;
    QXmlStreamReader xml(body);
    if (!xml.readNextStartElement() || xml.name() != QLatin1String("ListBucketResult"))
        return page;
    while (xml.readNextStartElement()) {
        const QStringView name = xml.name();
        if (name == QLatin1String("IsTruncated")) {
            page.truncated = xml.readElementText().trimmed() == QLatin1String("true");
        } else if (name == QLatin1String("NextContinuationToken")) {
            page.nextContinuationToken = xml.readElementText();
        } else if (name == QLatin1String("Contents")) {
            StoredObject object;
            QDateTime modified;
            while (xml.readNextStartElement()) {
                if (xml.name() == QLatin1String("Key"))
                    object.locator = xml.readElementText();
                else if (xml.name() == QLatin1String("Size"))
                    object.size = xml.readElementText().trimmed().toLongLong();
                else if (xml.name() == QLatin1String("LastModified"))
                    modified =
                        QDateTime::fromString(xml.readElementText().trimmed(), Qt::ISODateWithMs)
                            .toUTC();
                else
                    xml.skipCurrentElement();
            }
            if (!object.locator.isEmpty()) {
                page.objects.append(object);
                page.modified.append(modified);
            }
        } else {
            xml.skipCurrentElement();
        }
    }
    page.valid = !xml.hasError();
    return page;
}

QString parseUploadId(const QByteArray& body)
{
    QXmlStreamReader xml(body);
    if (!xml.readNextStartElement() || xml.name() != QLatin1String("InitiateMultipartUploadResult"))
        return {};
    while (xml.readNextStartElement()) {
        if (xml.name() == QLatin1String("UploadId"))
            return xml.readElementText().trimmed();
        xml.skipCurrentElement();
    }
    return {};
}

QString rootElement(const QByteArray& body)
{
    QXmlStreamReader xml(body);
    return xml.readNextStartElement() ? xml.name().toString() : QString();
}

QByteArray completeMultipartUploadBody(const QList<QPair<int, QByteArray>>& parts)
{
    QByteArray out;
    QXmlStreamWriter xml(&out);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("CompleteMultipartUpload"));
    xml.writeDefaultNamespace(QStringLiteral("http://s3.amazonaws.com/doc/2006-03-01/"));
    for (const auto& part : parts) {
        xml.writeStartElement(QStringLiteral("Part"));
        xml.writeTextElement(QStringLiteral("PartNumber"), QString::number(part.first));
        xml.writeTextElement(QStringLiteral("ETag"), QString::fromLatin1(part.second));
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeEndDocument();
    return out;
}

Error classifyError(int status, const QByteArray& body, const QString& what,
                    const QByteArray& retryAfter)
{
    const ErrorDocument doc = parseError(body);
    const Error generic = HttpExchange::classifyStatus(status, {}, what, retryAfter);
    if (!doc.valid || doc.code.isEmpty())
        return generic;
    const QString& code = doc.code;
    // "The request signature we calculated does not match… (S3 SignatureDoesNotMatch, HTTP 403)"
    const QString said =
        QStringLiteral("%1 (S3 %2, HTTP %3)")
            .arg(doc.message.isEmpty() ? tr("the server refused it") : doc.message, code)
            .arg(status);
    const auto make = [&](Error::Kind kind, const QString& advice, int retryMs = -1) {
        return Error::make(kind,
                           advice.isEmpty() ? QStringLiteral("%1: %2").arg(what, said)
                                            : QStringLiteral("%1: %2. %3").arg(what, said, advice),
                           retryMs);
    };
    if (code == QLatin1String("InvalidAccessKeyId") ||
        code == QLatin1String("SignatureDoesNotMatch"))
        return make(Error::Kind::Authentication,
                    tr("Check the access key id and the secret access key in the provider's "
                       "settings"));
    if (code == QLatin1String("ExpiredToken") || code == QLatin1String("InvalidToken") ||
        code == QLatin1String("TokenRefreshRequired"))
        return make(Error::Kind::Authentication, tr("The credentials have expired"));
    if (code == QLatin1String("AccessDenied") || code == QLatin1String("AccountProblem") ||
        code == QLatin1String("AllAccessDisabled"))
        return make(Error::Kind::Authentication,
                    tr("The credentials work but lack permission for this bucket or key"));
    if (code == QLatin1String("RequestTimeTooSkewed"))
        return make(Error::Kind::Authentication,
                    tr("This computer's clock differs from the server's by more than 15 minutes"));
    if (code == QLatin1String("AuthorizationHeaderMalformed") && !doc.region.isEmpty())
        return make(Error::Kind::Fatal,
                    tr("The bucket is in region “%1”; set that region in the provider's settings")
                        .arg(doc.region));
    if (code == QLatin1String("NoSuchKey") || code == QLatin1String("NoSuchUpload"))
        return make(Error::Kind::NotFound, {});
    if (code == QLatin1String("NoSuchBucket"))
        return make(Error::Kind::NotFound, tr("Check the bucket name in the provider's settings"));
    if (code == QLatin1String("SlowDown") || code == QLatin1String("ServiceUnavailable") ||
        code == QLatin1String("InternalError") || code == QLatin1String("RequestTimeout") ||
        code == QLatin1String("OperationAborted"))
        return make(Error::Kind::Retryable, {}, HttpExchange::parseRetryAfterMs(retryAfter));
    if (code == QLatin1String("XAmzContentSHA256Mismatch") || code == QLatin1String("BadDigest"))
        return make(Error::Kind::Corrupt,
                    tr("The bytes the server received do not match the chunk's SHA-256"));
    if (code == QLatin1String("QuotaExceeded") || code == QLatin1String("StorageQuotaExceeded") ||
        code == QLatin1String("XMinioStorageFull") ||
        code == QLatin1String("XMinioAdminBucketQuotaExceeded") ||
        code == QLatin1String("TooManyBuckets"))
        return make(Error::Kind::QuotaExceeded, tr("The storage is full"));
    if (code == QLatin1String("EntityTooLarge"))
        return make(Error::Kind::Fatal,
                    tr("The object is larger than this server accepts in one request; lower the "
                       "provider's multipart threshold"));
    return Error::make(generic.kind, QStringLiteral("%1: %2").arg(what, said),
                       generic.retryAfterMs);
}

} // namespace mf::s3
