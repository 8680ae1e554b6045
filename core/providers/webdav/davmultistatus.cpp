#include "davmultistatus.h"

#include <QDateTime>
#include <QUrl>
#include <QXmlStreamReader>

namespace mf::dav {

namespace {

const QLatin1String DavNs("DAV:");

bool isDav(const QXmlStreamReader& xml, const char* name)
{
    return xml.namespaceUri() == DavNs && xml.name() == QLatin1String(name);
}

// "HTTP/1.1 200 OK" -> 200
int statusCode(const QString& line)
{
    const QStringList parts = line.simplified().split(QLatin1Char(' '));
    return parts.size() >= 2 ? parts.at(1).toInt() : 0;
}

struct PropValues
{
    bool collection = false;
    qint64 contentLength = -1;
    qint64 quotaUsed = -1;
    qint64 quotaAvailable = -1;
    qint64 lastModified = -1;
};

qint64 toSize(const QString& text)
{
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    return ok ? v : -1;
}

// Reads one <prop> element (the reader is on its start tag) into `values`.
void readProp(QXmlStreamReader& xml, PropValues* values)
{
    while (xml.readNextStartElement()) {
        if (isDav(xml, "resourcetype")) {
            while (xml.readNextStartElement()) {
                if (isDav(xml, "collection"))
                    values->collection = true;
                xml.skipCurrentElement();
            }
        } else if (isDav(xml, "getcontentlength")) {
            values->contentLength = toSize(xml.readElementText());
        } else if (isDav(xml, "quota-used-bytes")) {
            values->quotaUsed = toSize(xml.readElementText());
        } else if (isDav(xml, "quota-available-bytes")) {
            values->quotaAvailable = toSize(xml.readElementText());
        } else if (isDav(xml, "getlastmodified")) {
            // RFC 1123, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 4918 section 15.7); Qt's
            // RFC 2822 reader wants the zone as an offset.
            QString text = xml.readElementText().trimmed();
            if (text.endsWith(QLatin1String(" GMT")) || text.endsWith(QLatin1String(" UTC")))
                text = text.chopped(4) + QLatin1String(" +0000");
            const QDateTime t = QDateTime::fromString(text, Qt::RFC2822Date);
            values->lastModified = t.isValid() ? t.toSecsSinceEpoch() : -1;
        } else {
            xml.skipCurrentElement();
        }
    }
}

// Reads one <response> (the reader is on its start tag).
void readResponse(QXmlStreamReader& xml, QList<Resource>* resources)
{
    Resource r;
    bool hasHref = false;
    int responseStatus = 0;
    while (xml.readNextStartElement()) {
        if (isDav(xml, "href")) {
            r.path = normalizeHref(xml.readElementText());
            hasHref = true;
        } else if (isDav(xml, "status")) {
            responseStatus = statusCode(xml.readElementText());
        } else if (isDav(xml, "propstat")) {
            PropValues values;
            int status = 0;
            while (xml.readNextStartElement()) {
                if (isDav(xml, "prop"))
                    readProp(xml, &values);
                else if (isDav(xml, "status"))
                    status = statusCode(xml.readElementText());
                else
                    xml.skipCurrentElement();
            }
            // Requested-but-absent properties come in a 404 propstat: ignore those values.
            if (status == 200) {
                r.collection = r.collection || values.collection;
                if (values.contentLength >= 0)
                    r.contentLength = values.contentLength;
                if (values.quotaUsed != -1)
                    r.quotaUsedBytes = values.quotaUsed;
                if (values.quotaAvailable != -1)
                    r.quotaAvailableBytes = values.quotaAvailable;
                if (values.lastModified >= 0)
                    r.lastModifiedSecs = values.lastModified;
            }
        } else {
            xml.skipCurrentElement();
        }
    }
    if (hasHref && (responseStatus == 0 || responseStatus == 200))
        resources->append(r);
}

} // namespace

QString normalizeHref(const QString& href)
{
    const QUrl url(href.trimmed(), QUrl::TolerantMode);
    QString path = url.path(QUrl::FullyDecoded);
    while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
        path.chop(1);
    return path;
}

bool parseMultistatus(const QByteArray& body, QList<Resource>* resources, QString* error)
{
    QXmlStreamReader xml(body);
    if (!xml.readNextStartElement() || !isDav(xml, "multistatus")) {
        *error = xml.hasError() ? xml.errorString()
                                : QStringLiteral("the answer is not a WebDAV multistatus");
        return false;
    }
    while (xml.readNextStartElement()) {
        if (isDav(xml, "response"))
            readResponse(xml, resources);
        else
            xml.skipCurrentElement();
    }
    if (xml.hasError()) {
        *error = QStringLiteral("unreadable multistatus XML: %1").arg(xml.errorString());
        return false;
    }
    return true;
}

QByteArray propfindBody(const QStringList& properties)
{
    QByteArray body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                      "<d:propfind xmlns:d=\"DAV:\"><d:prop>";
    for (const QString& p : properties)
        body += "<d:" + p.toLatin1() + "/>";
    body += "</d:prop></d:propfind>\n";
    return body;
}

} // namespace mf::dav
