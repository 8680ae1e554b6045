#include "s3jobs.h"

#include "s3provider.h"
#include "s3xml.h"

#include <QNetworkReply>

#include <memory>

namespace mf {

S3Job::S3Job(S3Provider* provider)
    : NetworkJob(provider)
{}

S3Job::~S3Job() = default;

S3Provider* S3Job::s3() const
{
    return static_cast<S3Provider*>(provider());
}

QString S3Job::what(const QString& action) const
{
    return tr("%1 on “%2”").arg(action, provider()->displayName());
}

bool S3Job::checkSecret()
{
    if (!s3()->secrets().value(QLatin1String("secretAccessKey")).toString().isEmpty())
        return true;
    complete(Error::make(Error::Kind::Authentication,
                         tr("“%1” has no secret access key stored; set it in the provider's "
                            "settings")
                             .arg(provider()->displayName())));
    return false;
}

HttpExchange::Request S3Job::request(const QByteArray& method, const QString& key,
                                     const s3::SigV4Signer::Pairs& query, const QString& what,
                                     const QByteArray& payloadSha256Hex,
                                     const s3::SigV4Signer::Pairs& headers) const
{
    HttpExchange::Request r;
    r.method = method;
    r.what = what;
    S3Provider* p = s3();
    r.build = [p, method, key, query, headers, payloadSha256Hex](const HttpExchange::Attempt&) {
        return p->signedRequest(method, key, query, headers, payloadSha256Hex);
    };
    r.classify = [method, what](int status, const QByteArray& body, const QNetworkReply& reply) {
        // HEAD answers carry no error document, so a 403 cannot tell a wrong secret from a
        // missing permission.
        if (method == "HEAD" && status == 403)
            return Error::make(Error::Kind::Authentication,
                               tr("%1: the server refused the request (HTTP 403): the access key "
                                  "or secret is wrong, or lacks permission for this bucket")
                                   .arg(what));
        return s3::classifyError(status, body, what, reply.rawHeader("Retry-After"));
    };
    return r;
}

// --- GetObject ---

S3GetJob::S3GetJob(S3Provider* provider, const QString& key, ByteSink* sink, qint64 offset,
                   qint64 length)
    : S3Job(provider)
    , m_key(key)
    , m_sink(sink)
    , m_offset(offset)
    , m_length(length)
{}

S3GetJob::~S3GetJob() = default;

void S3GetJob::run()
{
    if (!checkSecret())
        return;
    if (m_key.isEmpty() || m_offset < 0) {
        complete(Error::make(Error::Kind::NotFound,
                             tr("“%1” is not an object of “%2”").arg(m_key, s3()->displayName())));
        return;
    }
    if (m_length == 0) {
        complete(Error::none());
        return;
    }
    HttpExchange::Request r = request("GET", m_key, {}, what(tr("Downloading %1").arg(m_key)));
    r.sink = m_sink;
    S3Provider* p = s3();
    const QString key = m_key;
    const qint64 offset = m_offset;
    const qint64 length = m_length;
    // Every attempt asks for the bytes the sink does not have yet, so a broken connection
    // resumes where it stopped instead of sending the object again; a server that ignores the
    // range fails the exchange (HttpExchange).
    r.build = [p, key, offset, length](const HttpExchange::Attempt& a) {
        s3::SigV4Signer::Pairs headers;
        const QByteArray range = HttpExchange::resumedRange(offset, length, a);
        if (!range.isEmpty())
            headers.append({"range", range});
        return p->signedRequest("GET", key, {}, headers, s3::SigV4Signer::EmptyPayloadSha256);
    };
    send(std::move(r), [this](HttpExchange& x) {
        // A resumed attempt that starts at the object's end (the connection broke after the
        // last byte): nothing was missing.
        const bool endReached = x.status() == 416 && x.bytesDelivered() > 0 &&
                                (m_length < 0 || x.bytesDelivered() == m_length);
        if (x.error() && !endReached) {
            complete(x.error());
            return;
        }
        if (m_length >= 0 && x.bytesDelivered() != m_length) {
            complete(Error::make(Error::Kind::Corrupt,
                                 tr("%1: the server sent %2 bytes where %3 were asked for")
                                     .arg(what(tr("Downloading %1").arg(m_key)))
                                     .arg(x.bytesDelivered())
                                     .arg(m_length)));
            return;
        }
        complete(Error::none());
    });
}

// --- HeadObject / DeleteObject ---

S3ObjectJob::S3ObjectJob(S3Provider* provider, Operation operation, const QString& key)
    : S3Job(provider)
    , m_operation(operation)
    , m_key(key)
{}

S3ObjectJob::~S3ObjectJob() = default;

void S3ObjectJob::run()
{
    if (!checkSecret())
        return;
    if (m_key.isEmpty()) {
        complete(
            Error::make(Error::Kind::NotFound,
                        tr("An empty name is not an object of “%1”").arg(s3()->displayName())));
        return;
    }
    if (m_operation == Operation::Stat) {
        head([this](qint64 size) {
            if (size < 0) {
                complete(Error::make(Error::Kind::NotFound,
                                     tr("%1: not found").arg(what(tr("Checking %1").arg(m_key)))));
                return;
            }
            m_objectSize = size;
            complete(Error::none());
        });
        return;
    }
    deleteObject();
}

void S3ObjectJob::head(std::function<void(qint64 size)> then)
{
    HttpExchange::Request r = request("HEAD", m_key, {}, what(tr("Checking %1").arg(m_key)));
    r.acceptedStatuses = {404};
    send(std::move(r), [this, then = std::move(then)](HttpExchange& x) {
        if (x.error()) {
            complete(x.error());
            return;
        }
        if (x.status() == 404) {
            then(-1);
            return;
        }
        bool ok = false;
        const qint64 size = x.header("Content-Length").toLongLong(&ok);
        if (!ok) {
            complete(
                Error::make(Error::Kind::Fatal, tr("%1: the server did not say the object's size")
                                                    .arg(what(tr("Checking %1").arg(m_key)))));
            return;
        }
        then(size);
    });
}

void S3ObjectJob::deleteObject()
{
    HttpExchange::Request r = request("DELETE", m_key, {}, what(tr("Removing %1").arg(m_key)));
    r.acceptedStatuses = {404}; // removing what is not there succeeds
    send(std::move(r), [this](HttpExchange& x) { complete(x.error()); });
}

// --- ListObjectsV2 ---

S3ListJob::S3ListJob(S3Provider* provider, bool usageOnly)
    : S3Job(provider)
    , m_usageOnly(usageOnly)
{}

S3ListJob::~S3ListJob() = default;

void S3ListJob::run()
{
    if (!checkSecret())
        return;
    requestPage({});
}

void S3ListJob::requestPage(const QString& continuationToken)
{
    s3::SigV4Signer::Pairs query{
        {"list-type", "2"},
        {"prefix", (s3()->settings().prefix + QStringLiteral("chunks/")).toUtf8()},
        {"max-keys", QByteArray::number(s3()->listPageSize())},
    };
    if (!continuationToken.isEmpty())
        query.append({"continuation-token", continuationToken.toUtf8()});
    const QString action = tr("Listing the objects");
    send(request("GET", {}, query, what(action)), [this, action](HttpExchange& x) {
        if (x.error()) {
            complete(x.error());
            return;
        }
        const s3::ListPage page = s3::parseListObjectsV2(x.body());
        if (!page.valid) {
            complete(Error::make(
                Error::Kind::Fatal,
                tr("%1: the server's answer is not an S3 object listing").arg(what(action))));
            return;
        }
        ++m_pages;
        for (StoredObject o : page.objects) {
            m_total += qMax<qint64>(0, o.size);
            if (m_usageOnly)
                continue;
            // "<prefix>chunks/<cid>": the key names the chunk.
            o.cid = o.locator.mid(o.locator.lastIndexOf(QLatin1Char('/')) + 1);
            m_objects.append(o);
        }
        if (page.truncated) {
            if (page.nextContinuationToken.isEmpty()) {
                complete(Error::make(Error::Kind::Fatal,
                                     tr("%1: the server said the listing goes on but gave no "
                                        "continuation token")
                                         .arg(what(action))));
                return;
            }
            requestPage(page.nextContinuationToken);
            return;
        }
        S3Provider* p = s3();
        m_usage.usedBytes = m_total;
        m_usage.quotaBytes = p->settings().quotaBytes;
        m_usage.availableBytes =
            m_usage.quotaBytes >= 0 ? qMax<qint64>(0, m_usage.quotaBytes - m_total) : -1;
        complete(Error::none());
    });
}

} // namespace mf
