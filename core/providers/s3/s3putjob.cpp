#include "s3jobs.h"

#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "providers/network/uploadbody.h"
#include "s3provider.h"
#include "s3xml.h"
#include "util/units.h"

#include <QBuffer>
#include <QMutexLocker>
#include <QThreadPool>
#include <QTimer>

namespace mf {

namespace {

std::unique_ptr<QIODevice> bufferOver(const QByteArray& bytes)
{
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(bytes); // shares the bytes, no copy
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

} // namespace

S3PutJob::S3PutJob(S3Provider* provider, const QString& cid, std::unique_ptr<QIODevice> source,
                   qint64 size)
    : S3Job(provider)
    , m_cid(cid)
    , m_key(provider->keyFor(cid))
    , m_source(std::move(source))
    , m_size(size)
    , m_sha256Hex(cid::toSha256(cid).toHex())
    , m_provider(provider)
{
    if (m_source && m_source->isOpen())
        m_start = m_source->pos();
}

S3PutJob::~S3PutJob()
{
    {
        QMutexLocker lock(&m_readMutex);
        while (m_reading)
            m_readDone.wait(&m_readMutex);
    }
    if (!m_provider)
        return;
    // Failed or cancelled half-way: the parts sent so far must not stay billed in the bucket.
    if (!m_uploadId.isEmpty() && !m_multipartDone)
        m_provider->abortMultipartUpload(m_key, m_uploadId);
}

void S3PutJob::run()
{
    if (!checkSecret())
        return;
    if (m_sha256Hex.isEmpty()) {
        fail(Error::make(Error::Kind::Fatal, tr("“%1” is not a chunk id").arg(m_cid)));
        return;
    }
    if (!m_source || !m_source->isOpen() || m_size < 0) {
        fail(Error::make(Error::Kind::Fatal, tr("%1: the chunk's data cannot be read")
                                                 .arg(what(tr("Uploading chunk %1").arg(m_cid)))));
        return;
    }
    if (m_size > s3()->settings().multipartThreshold)
        startMultipart();
    else
        putWhole();
}

void S3PutJob::putWhole()
{
    HttpExchange::Request r = request("PUT", m_key, {}, what(tr("Uploading chunk %1").arg(m_cid)),
                                      m_sha256Hex, {{"content-type", "application/octet-stream"}});
    const std::shared_ptr<QIODevice> source = m_source;
    const qint64 start = m_start;
    const qint64 size = m_size;
    r.openBody = [source, start, size] { return UploadBody::create(source, start, size); };
    r.bodySize = m_size;
    send(std::move(r), [this](HttpExchange& x) {
        if (x.error())
            fail(x.error());
        else
            stored();
    });
}

void S3PutJob::startMultipart()
{
    const QString action = tr("Starting the multipart upload of chunk %1").arg(m_cid);
    send(request("POST", m_key, {{"uploads", {}}}, what(action)), [this, action](HttpExchange& x) {
        if (x.error()) {
            fail(x.error());
            return;
        }
        m_uploadId = s3::parseUploadId(x.body());
        if (m_uploadId.isEmpty()) {
            fail(Error::make(Error::Kind::Fatal,
                             tr("%1: the server's answer has no upload id").arg(what(action))));
            return;
        }
        readPart();
    });
}

void S3PutJob::readPart()
{
    // Each part's SHA-256 goes into its signature before its first byte is sent, so the part is
    // read (and hashed) first, off this thread, and sent from memory: part-size bytes at most.
    const qint64 length = qMin(s3()->settings().partSize, m_size - m_partOffset);
    const std::shared_ptr<QIODevice> source = m_source;
    const qint64 from = m_start + m_partOffset;
    {
        QMutexLocker lock(&m_readMutex);
        m_reading = true;
    }
    // The destructor waits for this task, so `this` is alive while it posts its result.
    QThreadPool::globalInstance()->start([this, source, from, length] {
        QByteArray bytes(length, Qt::Uninitialized);
        qint64 got = 0;
        QString error;
        if (!source->seek(from)) {
            error = source->errorString();
        } else {
            while (got < length) {
                const qint64 n = source->read(bytes.data() + got, length - got);
                if (n <= 0) {
                    error = source->errorString();
                    break;
                }
                got += n;
            }
        }
        const QByteArray hash = got == length ? Sha256::hash(bytes).toHex() : QByteArray();
        QMetaObject::invokeMethod(
            this, [this, bytes, hash, error] { onPartRead(bytes, hash, error); },
            Qt::QueuedConnection);
        QMutexLocker lock(&m_readMutex);
        m_reading = false;
        m_readDone.wakeAll();
    });
}

void S3PutJob::onPartRead(const QByteArray& bytes, const QByteArray& sha256Hex,
                          const QString& error)
{
    if (isFinished())
        return; // cancelled meanwhile
    if (sha256Hex.isEmpty()) {
        fail(Error::make(Error::Kind::Fatal,
                         tr("%1: the chunk's data cannot be read (%2)")
                             .arg(what(tr("Uploading chunk %1").arg(m_cid)),
                                  error.isEmpty() ? tr("it ended early") : error)));
        return;
    }
    sendPart(bytes, sha256Hex);
}

void S3PutJob::sendPart(const QByteArray& bytes, const QByteArray& sha256Hex)
{
    const int number = int(m_parts.size()) + 1;
    const QString action = tr("Uploading part %1 of chunk %2").arg(number).arg(m_cid);
    HttpExchange::Request r =
        request("PUT", m_key,
                {{"partNumber", QByteArray::number(number)}, {"uploadId", m_uploadId.toUtf8()}},
                what(action), sha256Hex);
    r.openBody = [bytes] { return bufferOver(bytes); };
    r.bodySize = bytes.size();
    setProgressWindow(m_partOffset, m_size);
    send(std::move(r), [this, number, action, length = bytes.size()](HttpExchange& x) {
        if (x.error()) {
            fail(x.error());
            return;
        }
        const QByteArray etag = x.header("ETag");
        if (etag.isEmpty()) {
            fail(Error::make(Error::Kind::Fatal,
                             tr("%1: the server's answer has no ETag").arg(what(action))));
            return;
        }
        m_parts.append({number, etag});
        m_partOffset += length;
        if (m_partOffset < m_size)
            readPart();
        else
            completeMultipart(1);
    });
}

void S3PutJob::completeMultipart(int attempt)
{
    const QByteArray body = s3::completeMultipartUploadBody(m_parts);
    const QString action = tr("Completing the multipart upload of chunk %1").arg(m_cid);
    HttpExchange::Request r =
        request("POST", m_key, {{"uploadId", m_uploadId.toUtf8()}}, what(action),
                s3::SigV4Signer::sha256Hex(body), {{"content-type", "application/xml"}});
    r.openBody = [body] { return bufferOver(body); };
    r.bodySize = body.size();
    setProgressWindow(m_size, m_size); // the parts are through: 100 %
    send(std::move(r), [this, attempt, action](HttpExchange& x) {
        if (x.error()) {
            fail(x.error());
            return;
        }
        // S3 may answer 200 at once and report a failure of the assembly inside the body.
        const QString root = s3::rootElement(x.body());
        if (root == QLatin1String("Error")) {
            const Error e =
                s3::classifyError(x.status(), x.body(), what(action), x.header("Retry-After"));
            const RetryPolicy policy = s3()->retryPolicy();
            if (e.kind == Error::Kind::Retryable && policy.shouldRetry(e, attempt)) {
                QTimer::singleShot(policy.delayMs(e, attempt), this,
                                   [this, attempt] { completeMultipart(attempt + 1); });
                return;
            }
            fail(e.kind == Error::Kind::Fatal || e.kind == Error::Kind::Retryable
                     ? Error::make(Error::Kind::Retryable, e.message, e.retryAfterMs)
                     : e);
            return;
        }
        if (root != QLatin1String("CompleteMultipartUploadResult")) {
            fail(Error::make(
                Error::Kind::Fatal,
                tr("%1: the server's answer is not a completed upload").arg(what(action))));
            return;
        }
        m_multipartDone = true;
        stored();
    });
}

void S3PutJob::stored()
{
    m_locator = m_key;
    complete(Error::none());
}

void S3PutJob::fail(const Error& error)
{
    complete(error);
}

} // namespace mf
