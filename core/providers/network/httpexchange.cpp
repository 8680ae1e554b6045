#include "httpexchange.h"

#include "providers/bytesink.h"
#include "throttledbody.h"

#include <QDateTime>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QUrl>

namespace mf {

namespace {

// A body Qt can read once: it seeks like the body it wraps until the first byte was read, then
// refuses to go back, so Qt's own resend of the request ends in ContentReSendError.
class SendOnceBody final : public QIODevice
{
public:
    explicit SendOnceBody(std::unique_ptr<QIODevice> body)
        : m_body(std::move(body))
    {
        QIODevice::open(ReadOnly | Unbuffered);
        QIODevice::seek(m_body->pos());
    }
    bool isSequential() const override { return false; }
    qint64 size() const override { return m_body->size(); }
    bool seek(qint64 pos) override
    {
        if (m_read || !m_body->seek(pos))
            return false;
        return QIODevice::seek(pos);
    }

protected:
    qint64 readData(char* data, qint64 maxSize) override
    {
        const qint64 n = m_body->read(data, maxSize);
        if (n > 0)
            m_read = true;
        else if (n < 0)
            setErrorString(m_body->errorString());
        return n;
    }
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    std::unique_ptr<QIODevice> m_body;
    bool m_read = false;
};

// What Qt may read ahead of a throttled download: enough to keep the connection busy at any
// sensible limit, little enough that the limit holds on the wire.
constexpr qint64 ThrottledReadBufferBytes = 256 * 1024;

// Whether a request holds a secret (an Authorization header, S3's signature included, a cookie,
// a password in the address).
bool carriesCredentials(const QNetworkRequest& request)
{
    for (const char* header :
         {"Authorization", "Proxy-Authorization", "Cookie", "X-Amz-Security-Token"})
        if (request.hasRawHeader(header))
            return true;
    return !request.url().userInfo().isEmpty();
}

// Same scheme, host and port.
bool sameOrigin(const QUrl& a, const QUrl& b)
{
    const auto port = [](const QUrl& u) {
        return u.port(u.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0 ? 443
                                                                                           : 80);
    };
    return a.scheme().compare(b.scheme(), Qt::CaseInsensitive) == 0 &&
           a.host().compare(b.host(), Qt::CaseInsensitive) == 0 && port(a) == port(b);
}

// "http://host:port", for messages.
QString origin(const QUrl& url)
{
    return url
        .adjusted(QUrl::RemoveUserInfo | QUrl::RemovePath | QUrl::RemoveQuery |
                  QUrl::RemoveFragment)
        .toString();
}
} // namespace

HttpExchange::HttpExchange(QNetworkAccessManager* network, Request request, QObject* parent)
    : QObject(parent)
    , m_network(network)
    , m_request(std::move(request))
{
    m_stallTimer.setSingleShot(true);
    m_retryTimer.setSingleShot(true);
    m_throttleTimer.setSingleShot(true);
    connect(&m_throttleTimer, &QTimer::timeout, this, [this] {
        m_throttled = false;
        if (m_reply && !m_paused && !m_replyEnded)
            m_stallTimer.start(m_request.stallTimeoutMs);
        onReadyRead();
    });
    connect(&m_stallTimer, &QTimer::timeout, this, [this] {
        m_stalled = true;
        if (m_reply)
            m_reply->abort();
    });
    connect(&m_retryTimer, &QTimer::timeout, this, &HttpExchange::sendAttempt);
}

HttpExchange::~HttpExchange()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        delete m_reply.data();
    }
}

void HttpExchange::start()
{
    m_attempt = Attempt{};
    sendAttempt();
}

void HttpExchange::abort()
{
    if (m_done || m_aborted)
        return;
    m_aborted = true;
    m_retryTimer.stop();
    if (m_reply && !m_replyEnded)
        m_reply->abort(); // onReplyFinished() completes with Cancelled
    else if (m_reply)
        finishReply(); // ended, its last bytes waiting for the limit: completes with Cancelled
    else
        complete(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

QByteArray HttpExchange::header(const QByteArray& name) const
{
    for (const auto& h : m_headers)
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    return {};
}

void HttpExchange::sendAttempt()
{
    if (m_aborted) {
        complete(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    m_attempt.bytesDelivered = m_delivered;
    m_body.clear();
    m_headers.clear();
    m_status = 0;
    m_stalled = false;
    m_unreachable = false;
    m_throttled = false;
    m_replyEnded = false;
    m_throttleTimer.stop();
    m_attemptDelivered = 0;
    QNetworkRequest request = m_request.build(m_attempt);
    m_askedRange = request.hasRawHeader("Range");
    // Redirects are the adapter's business only where a protocol uses them (the hub sets
    // ManualRedirectPolicy and follows them itself, so that its Authorization header never
    // reaches another host). By default a request that carries credentials follows a redirect
    // only within its origin: Qt copies every header of a request to the one it redirects to,
    // Authorization included, whatever the host. Others follow redirects that are not less safe.
    const bool policySet = request.attribute(QNetworkRequest::RedirectPolicyAttribute).isValid();
    const bool verifyRedirects = !policySet && carriesCredentials(request);
    if (!policySet)
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                             verifyRedirects ? QNetworkRequest::UserVerifiedRedirectPolicy
                                             : QNetworkRequest::NoLessSafeRedirectPolicy);
    // Qt would send "Mozilla/5.0", which Kubo's RPC rejects as a browser (403) and some servers
    // treat with browser rules.
    if (!request.hasRawHeader("User-Agent"))
        request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("ModelFloat"));
    std::unique_ptr<QIODevice> body;
    if (m_request.openBody) {
        body = m_request.openBody();
        if (!body || !body->isOpen()) {
            complete(Error::make(Error::Kind::Fatal,
                                 tr("%1: cannot read the data to send").arg(m_request.what)));
            return;
        }
        request.setHeader(QNetworkRequest::ContentLengthHeader, m_request.bodySize);
        if (!m_request.resendBody)
            body = std::make_unique<SendOnceBody>(std::move(body));
        if (m_request.bandwidth && m_request.bodySize > 0)
            body = std::make_unique<ThrottledBody>(std::move(body), m_request.bandwidth);
    }
    // A custom "HEAD" would make Qt wait for the body its Content-Length announces.
    m_reply = m_request.method == "HEAD"
                  ? m_network->head(request)
                  : m_network->sendCustomRequest(request, m_request.method, body.get());
    // The body lives as long as its reply: Qt may still read it from an event posted before the
    // reply finished, so deleting it when the reply ends (not when the reply is deleted) crashed
    // once under ASan when a server died mid-upload.
    if (body)
        body.release()->setParent(m_reply);
    if (m_request.readBufferSize > 0)
        m_reply->setReadBufferSize(m_request.readBufferSize);
    else if (m_request.bandwidth &&
             m_request.bandwidth->limit(BandwidthLimiter::Direction::Download) > 0)
        m_reply->setReadBufferSize(ThrottledReadBufferBytes);
    if (verifyRedirects) {
        const QUrl from = request.url();
        connect(m_reply, &QNetworkReply::redirected, this, [this, from](const QUrl& to) {
            if (sameOrigin(from, to)) {
                Q_EMIT m_reply->redirectAllowed();
                return;
            }
            failRead(Error::make(
                Error::Kind::Fatal,
                tr("%1: the server redirected the request to %2, another server; it is not "
                   "followed, so that the credentials for %3 go nowhere else")
                    .arg(m_request.what.isEmpty() ? displayUrl(from) : m_request.what, origin(to),
                         origin(from))));
        });
    }
    connect(m_reply, &QNetworkReply::readyRead, this, &HttpExchange::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &HttpExchange::onReplyFinished);
    connect(m_reply, &QNetworkReply::uploadProgress, this, [this](qint64 done, qint64 total) {
        m_stallTimer.start(m_request.stallTimeoutMs);
        Q_EMIT uploadProgress(done, total);
    });
    connect(m_reply, &QNetworkReply::downloadProgress, this, [this](qint64 done, qint64 total) {
        if (!m_paused && !m_throttled)
            m_stallTimer.start(m_request.stallTimeoutMs);
        Q_EMIT downloadProgress(done, total);
    });
    m_stallTimer.start(m_request.stallTimeoutMs);
}

void HttpExchange::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (paused) {
        m_stallTimer.stop();
    } else if (m_reply) {
        if (!m_replyEnded)
            m_stallTimer.start(m_request.stallTimeoutMs);
        QMetaObject::invokeMethod(this, &HttpExchange::onReadyRead, Qt::QueuedConnection);
    }
}

qint64 HttpExchange::allowance(qint64 wanted)
{
    if (!m_request.bandwidth || wanted <= 0)
        return wanted;
    if (m_draining) {
        // The reply ends here (no limit, or it failed): what is left is read now, and counted.
        m_request.bandwidth->charge(BandwidthLimiter::Direction::Download, wanted);
        return wanted;
    }
    int retryMs = BandwidthLimiter::MaxWaitMs;
    const qint64 granted =
        m_request.bandwidth->take(BandwidthLimiter::Direction::Download, wanted, &retryMs);
    if (granted > 0)
        return granted;
    // Qt stops reading the socket once this much waits (for most answers; not for all), so TCP
    // holds the rest back and the limit is kept on the wire too.
    if (m_reply && !m_replyEnded && m_reply->readBufferSize() == 0)
        m_reply->setReadBufferSize(ThrottledReadBufferBytes);
    m_throttled = true;
    m_stallTimer.stop();
    if (!m_throttleTimer.isActive())
        m_throttleTimer.start(retryMs);
    return 0;
}

bool HttpExchange::throttlingDownloads() const
{
    return m_request.bandwidth &&
           m_request.bandwidth->limit(BandwidthLimiter::Direction::Download) > 0;
}

void HttpExchange::failRead(const Error& error)
{
    m_sinkFailed = true;
    m_error = error;
    if (m_replyEnded) {
        if (!m_draining) // (finishReply() is reading the rest, and goes on to report m_error)
            finishReply();
    } else {
        m_reply->abort(); // onReplyFinished() reports m_error
    }
}

void HttpExchange::onReadyRead()
{
    if (!m_reply || m_sinkFailed || (m_paused && !m_draining) || (m_throttled && !m_draining))
        return;
    if (!m_replyEnded)
        m_stallTimer.start(m_request.stallTimeoutMs);
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const bool success = (status >= 200 && status < 300);
    // Error bodies (and bodies nobody streams) are collected, bounded: an error page must not
    // reach a sink as if it were chunk bytes.
    if (!success || !m_request.sink) {
        // A body the server announces larger than the limit is refused before it is read.
        const QVariant announced = m_reply->header(QNetworkRequest::ContentLengthHeader);
        if (success && announced.isValid() && announced.toLongLong() > m_request.maxCollectBytes)
            return failRead(Error::make(Error::Kind::Corrupt,
                                        tr("%1: the server announces %2 bytes, more than the %3 "
                                           "it may be")
                                            .arg(m_request.what)
                                            .arg(announced.toLongLong())
                                            .arg(m_request.maxCollectBytes)));
        for (;;) {
            const qint64 room = m_request.maxCollectBytes - m_body.size();
            const qint64 n = allowance(qMin(qMax<qint64>(0, room) + 1, m_reply->bytesAvailable()));
            if (n <= 0)
                break;
            const QByteArray data = m_reply->read(n);
            if (data.isEmpty())
                break;
            if (data.size() > room)
                return failRead(
                    Error::make(success ? Error::Kind::Corrupt : Error::Kind::Fatal,
                                tr("%1: the server's answer is more than the %2 bytes it may be")
                                    .arg(m_request.what)
                                    .arg(m_request.maxCollectBytes)));
            m_body += data;
        }
    } else {
        // A range was asked for (a part, or the rest after a dropped connection) and the whole
        // object comes: not one of its bytes may reach the sink, which holds the bytes before
        // the range already (or wants only the range). One check for every adapter.
        if (status == 200 && m_askedRange)
            return failRead(Error::make(
                Error::Kind::Fatal, tr("%1: the server ignored the byte range asked for (HTTP 200)")
                                        .arg(m_request.what)));
        char buffer[64 * 1024];
        while (!m_paused || m_draining) { // the sink may pause us from inside write()
            const qint64 wanted = allowance(qMin<qint64>(sizeof buffer, m_reply->bytesAvailable()));
            if (wanted <= 0)
                break;
            const qint64 n = m_reply->read(buffer, wanted);
            if (n <= 0)
                break;
            if (!m_request.sink->write(buffer, n))
                return failRead(
                    Error::make(Error::Kind::Fatal,
                                tr("%1: %2").arg(m_request.what, m_request.sink->errorString())));
            m_delivered += n;
            m_attemptDelivered += n;
        }
    }
    // A reply that ended while its last bytes waited for the limit ends once they are read.
    if (m_replyEnded && !m_draining && m_reply && m_reply->bytesAvailable() == 0)
        finishReply();
}

void HttpExchange::onReplyFinished()
{
    m_stallTimer.stop();
    QNetworkReply* reply = m_reply.data();
    if (!reply || m_replyEnded)
        return;
    m_replyEnded = true;
    // Qt may have read the whole answer ahead: under a download limit its bytes are still
    // handed on at the limit's pace (onReadyRead() ends the reply when they are through).
    if (!m_sinkFailed && !m_aborted && reply->error() == QNetworkReply::NoError &&
        throttlingDownloads() && reply->bytesAvailable() > 0) {
        if (!m_throttled)
            onReadyRead();
        return;
    }
    finishReply();
}

void HttpExchange::finishReply()
{
    m_throttleTimer.stop();
    m_throttled = false;
    QNetworkReply* reply = m_reply.data();
    if (!reply)
        return;
    // Whatever is left (at most the read buffer), even while paused: the reply ends here. That
    // includes the bytes that came before a dropped connection: they are the body's, and the
    // retry then asks only for the rest (a paused download that lost its connection asked for
    // everything again).
    const QNetworkReply::NetworkError ended = reply->error();
    if (!m_sinkFailed && !m_aborted &&
        (ended == QNetworkReply::NoError || ended == QNetworkReply::RemoteHostClosedError)) {
        m_draining = true;
        onReadyRead();
        m_draining = false;
    }
    m_status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    m_headers = reply->rawHeaderPairs();
    const QNetworkReply::NetworkError code = reply->error();
    const QByteArray reason =
        reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
    const QString url = displayUrl(reply->url());
    m_reply = nullptr;
    reply->deleteLater();

    if (m_aborted) {
        complete(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (m_sinkFailed) {
        complete(m_error);
        return;
    }
    const QString what =
        m_request.what.isEmpty()
            ? QStringLiteral("%1 %2").arg(QString::fromLatin1(m_request.method), url)
            : m_request.what;
    if (m_status == 0 || (code != QNetworkReply::NoError && m_status < 400 && !m_stalled &&
                          code != QNetworkReply::RemoteHostClosedError)) {
        const Error error = classifyNetworkError(code, what, m_stalled);
        m_unreachable = !m_stalled && isUnreachable(code);
        if (m_unreachable && m_request.unreachableAttempts > 0 &&
            m_attempt.number >= m_request.unreachableAttempts) {
            complete(error);
            return;
        }
        endAttempt(error);
        return;
    }
    if (m_stalled || code == QNetworkReply::RemoteHostClosedError) {
        endAttempt(classifyNetworkError(code, what, m_stalled));
        return;
    }
    const bool accepted = m_request.acceptedStatuses.contains(m_status);
    if ((m_status < 200 || m_status >= 300) && !accepted) {
        Error e;
        if (m_request.classify)
            e = m_request.classify(m_status, m_body, *reply);
        if (e.ok())
            e = classifyStatus(m_status, reason, what, header("Retry-After"));
        else if (e.retryAfterMs < 0 && e.kind == Error::Kind::Retryable)
            e.retryAfterMs = parseRetryAfterMs(header("Retry-After"));
        endAttempt(e);
        return;
    }
    // A body shorter than its Content-Length: the connection ended early.
    bool lengthOk = false;
    const qint64 announced = header("Content-Length").toLongLong(&lengthOk);
    const qint64 received = m_request.sink ? m_attemptDelivered : m_body.size();
    // (Qt inflates compressed bodies, so a Content-Length counts other bytes then.)
    const QByteArray encoding = header("Content-Encoding").trimmed().toLower();
    const bool identity = encoding.isEmpty() || encoding == "identity";
    if (lengthOk && identity && m_request.method != "HEAD" && received != announced) {
        endAttempt(
            Error::make(Error::Kind::Retryable, tr("%1: the connection ended after %2 of %3 bytes")
                                                    .arg(what)
                                                    .arg(received)
                                                    .arg(announced)));
        return;
    }
    complete(Error::none());
}

void HttpExchange::endAttempt(const Error& error)
{
    if (m_status == 429 || m_status == 503 || error.serverBusy)
        Q_EMIT serverBusy();
    if (m_request.retry.shouldRetry(error, m_attempt.number)) {
        const int delay = m_request.retry.delayMs(error, m_attempt.number);
        ++m_attempt.number;
        m_retryTimer.start(delay);
        Q_EMIT retrying(error.message, delay);
        return;
    }
    complete(error);
}

void HttpExchange::complete(const Error& error)
{
    if (m_done)
        return;
    m_done = true;
    m_error = error;
    QMetaObject::invokeMethod(this, &HttpExchange::finished, Qt::QueuedConnection);
}

QByteArray HttpExchange::resumedRange(qint64 offset, qint64 length, const Attempt& attempt)
{
    const qint64 from = offset + attempt.bytesDelivered;
    if (from <= 0 && length <= 0)
        return {};
    const QByteArray to = length > 0 ? QByteArray::number(offset + length - 1) : QByteArray();
    return "bytes=" + QByteArray::number(from) + '-' + to;
}

QString HttpExchange::displayUrl(const QUrl& url)
{
    return url.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment)
        .toDisplayString();
}

int HttpExchange::parseRetryAfterMs(const QByteArray& value)
{
    const QByteArray v = value.trimmed();
    if (v.isEmpty())
        return -1;
    bool ok = false;
    const qint64 seconds = v.toLongLong(&ok);
    if (ok)
        return seconds < 0 ? -1 : int(qMin<qint64>(seconds, 3600) * 1000);
    const QDateTime utc = parseHttpDate(v);
    if (!utc.isValid())
        return -1;
    const qint64 ms = QDateTime::currentDateTimeUtc().msecsTo(utc);
    return int(qBound<qint64>(qint64(0), ms, qint64(3600) * 1000));
}

QDateTime HttpExchange::parseHttpDate(const QByteArray& value)
{
    // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" (Qt 6.4's RFC 2822 reading refuses
    // "GMT").
    const QString v = QString::fromLatin1(value.trimmed());
    if (!v.endsWith(QLatin1String(" GMT")))
        return {};
    QDateTime when =
        QLocale::c().toDateTime(v.chopped(4), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss"));
    if (!when.isValid())
        return {};
    when.setTimeSpec(Qt::UTC);
    return when;
}

Error HttpExchange::classifyStatus(int status, const QByteArray& reason, const QString& what,
                                   const QByteArray& retryAfter)
{
    const QString said =
        QStringLiteral("HTTP %1%2")
            .arg(status)
            .arg(reason.isEmpty() ? QString() : QStringLiteral(" ") + QString::fromLatin1(reason));
    switch (status) {
    case 401:
        return Error::make(Error::Kind::Authentication,
                           tr("%1: the server refused the credentials (%2). Check the user name "
                              "and secret in the provider's settings.")
                               .arg(what, said));
    case 403:
        return Error::make(Error::Kind::Authentication,
                           tr("%1: access denied (%2). The credentials work but lack permission "
                              "for this location.")
                               .arg(what, said));
    case 404:
    case 410:
        return Error::make(Error::Kind::NotFound, tr("%1: not found (%2)").arg(what, said));
    case 507:
        return Error::make(Error::Kind::QuotaExceeded,
                           tr("%1: the server has no space left (%2)").arg(what, said));
    case 408:
    case 425:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
        return Error::make(Error::Kind::Retryable,
                           status == 429
                               ? tr("%1: the server asks to slow down (%2)").arg(what, said)
                               : tr("%1: the server had a temporary problem (%2)").arg(what, said),
                           parseRetryAfterMs(retryAfter));
    default:
        return Error::make(Error::Kind::Fatal,
                           tr("%1: the server refused it (%2)").arg(what, said));
    }
}

bool HttpExchange::isUnreachable(QNetworkReply::NetworkError code)
{
    switch (code) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::UnknownNetworkError:
        return true;
    default:
        return false;
    }
}

Error HttpExchange::classifyNetworkError(QNetworkReply::NetworkError code, const QString& what,
                                         bool stalled)
{
    if (stalled)
        return Error::make(Error::Kind::Retryable,
                           tr("%1: no data moved for too long; the connection was stalled and "
                              "has been dropped")
                               .arg(what));
    switch (code) {
    case QNetworkReply::ConnectionRefusedError:
        return Error::make(Error::Kind::Retryable,
                           tr("%1: the server refused the connection (is it running?)").arg(what));
    case QNetworkReply::HostNotFoundError:
        return Error::make(Error::Kind::Retryable,
                           tr("%1: the server's name could not be resolved").arg(what));
    case QNetworkReply::RemoteHostClosedError:
        return Error::make(
            Error::Kind::Retryable,
            tr("%1: the server closed the connection before answering fully").arg(what));
    case QNetworkReply::ContentReSendError:
        // Qt wanted to send again a body that is sent only once (Request::resendBody).
        return Error::make(
            Error::Kind::Retryable,
            tr("%1: the connection closed while the request was being sent").arg(what));
    case QNetworkReply::TimeoutError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError:
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyTimeoutError:
        return Error::make(Error::Kind::Retryable,
                           tr("%1: network error (%2)").arg(what).arg(int(code)));
    case QNetworkReply::SslHandshakeFailedError:
        return Error::make(
            Error::Kind::Fatal,
            tr("%1: the secure connection failed (certificate or TLS problem)").arg(what));
    case QNetworkReply::ProtocolInvalidOperationError:
    case QNetworkReply::ProtocolFailure:
        return Error::make(Error::Kind::Retryable,
                           tr("%1: the server's answer was not valid HTTP").arg(what));
    default:
        return Error::make(Error::Kind::Fatal, tr("%1: network error %2").arg(what).arg(int(code)));
    }
}

} // namespace mf
