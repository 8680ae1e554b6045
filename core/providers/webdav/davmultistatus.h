#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace mf::dav {

// One <response> of a WebDAV 207 Multi-Status (RFC 4918 section 14.16), with only the
// properties this adapter asks for, read from the <propstat> whose status is 200.
struct Resource
{
    QString path; // percent-decoded path, no scheme/host, no trailing '/'
    bool collection = false;
    qint64 contentLength = -1;
    qint64 quotaUsedBytes = -1;
    qint64 quotaAvailableBytes = -1; // negative values from servers mean unknown/unlimited
    qint64 lastModifiedSecs = -1;    // getlastmodified, seconds since the epoch (server clock)
};

// Parses a multistatus body; elements are matched by namespace URI "DAV:" and local name, never
// by prefix. Returns false (and `error`) when the body is not a multistatus document.
bool parseMultistatus(const QByteArray& body, QList<Resource>* resources, QString* error);

// The percent-decoded path of an href (absolute path or full URL), without a trailing '/'.
QString normalizeHref(const QString& href);

// The body of a PROPFIND asking for these DAV: property names.
QByteArray propfindBody(const QStringList& properties);

} // namespace mf::dav
