#pragma once

#include "providers/providerjob.h"
#include "util/error.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

namespace mf::s3 {

// The XML documents S3 answers with and the one it is sent, read with QXmlStreamReader
// comparing local names only (AWS uses a namespace, some compatible servers do not).

// An <Error> document: <Code>, <Message>, <RequestId>, <Region>.
struct ErrorDocument
{
    QString code;
    QString message;
    QString requestId;
    QString region;
    bool valid = false; // the body was an <Error> document
};
ErrorDocument parseError(const QByteArray& body);

// One page of a ListObjectsV2 answer.
struct ListPage
{
    QList<StoredObject> objects; // locator = the object key
    QList<QDateTime> modified;   // each object's LastModified (UTC), in the same order
    bool truncated = false;
    QString nextContinuationToken;
    bool valid = false; // the body was a <ListBucketResult>
};
ListPage parseListObjectsV2(const QByteArray& body);

// <InitiateMultipartUploadResult><UploadId>; empty when absent.
QString parseUploadId(const QByteArray& body);
// The name of the document's root element ("Error", "CompleteMultipartUploadResult", ...).
QString rootElement(const QByteArray& body);

// <CompleteMultipartUpload> listing (part number, ETag as the server returned it), ascending.
QByteArray completeMultipartUploadBody(const QList<QPair<int, QByteArray>>& parts);

// Maps an S3 error answer to the contract's Error kinds; the message names the operation, the
// server's own words and code, and never a secret. `retryAfter` is the Retry-After header.
Error classifyError(int status, const QByteArray& body, const QString& what,
                    const QByteArray& retryAfter);

} // namespace mf::s3
