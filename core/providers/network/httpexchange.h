#pragma once

#include "providers/retrypolicy.h"
#include "util/bandwidthlimiter.h"
#include "util/error.h"

#include <QByteArray>
#include <QDateTime>
#include <QIODevice>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace mf {

class ByteSink;

// One HTTP request and its response, with the rules every network adapter shares:
// - a stall timeout (no byte moved for `stallTimeoutMs`) ends the attempt as retryable;
// - retryable failures (connection errors, timeouts, 408/429/5xx, a truncated body) are tried
//   again up to the policy's attempts, after exponential backoff with jitter, or after the
//   server's Retry-After when it sent one;
// - failures are classified into Error kinds with a message that names the operation and the
//   server but never a secret (the URL is shown without user info and query);
// - the response body is streamed to a ByteSink or collected, bounded.
// The request is rebuilt for every attempt (fresh dates and signatures, a Range that skips the
// bytes the sink already has).
class HttpExchange final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpExchange)

public:
    struct Attempt
    {
        int number = 1;            // 1 for the first try
        qint64 bytesDelivered = 0; // body bytes the sink already received in earlier attempts
    };

    struct Request
    {
        QByteArray method = "GET";
        // Builds the request for an attempt. Required.
        std::function<QNetworkRequest(const Attempt&)> build;
        // Opens the body for an attempt (positioned at its first byte); empty: no body.
        std::function<std::unique_ptr<QIODevice>()> openBody;
        qint64 bodySize = 0;
        // Body bytes go here as they arrive; without a sink the body is collected (body()).
        ByteSink* sink = nullptr;
        qint64 maxCollectBytes = 8 * 1024 * 1024;
        // Adapter-specific reading of an HTTP error (S3 error XML, ...); falls back to the
        // generic classification when it returns Kind::None.
        std::function<Error(int status, const QByteArray& body, const QNetworkReply& reply)>
            classify;
        // Statuses that are not errors although they are not 2xx (e.g. 404 for a DELETE).
        QList<int> acceptedStatuses;
        // What this is, for messages: "Uploading chunk bafk… to “backup bucket”".
        QString what;
        RetryPolicy retry;
        // > 0: a server that cannot be reached at all (its name does not resolve, no route, the
        // connection refused) is tried at most this many times, whatever `retry` allows. An
        // interactive lookup then says "offline" in seconds instead of backing off for minutes;
        // a transfer leaves it at 0 and rides out a network that comes back.
        int unreachableAttempts = 0;
        // false: the body is sent at most once per attempt. Qt's HTTP/1 channel otherwise sends
        // a request again by itself, whole, when its connection closes before the answer and
        // the body can be rewound; a protocol that resumes from what the server kept (a Drive
        // resumable upload) must see that drop as the attempt's failure instead.
        bool resendBody = true;
        int stallTimeoutMs = 60000;
        // Bytes Qt may buffer ahead of a sink (0: unbounded); set it when using setPaused().
        qint64 readBufferSize = 0;
        // The vault's bandwidth limits: the body is sent no faster than its upload limit, the
        // answer read no faster than its download limit. Null: no limits.
        std::shared_ptr<BandwidthLimiter> bandwidth;
    };

    HttpExchange(QNetworkAccessManager* network, Request request, QObject* parent = nullptr);
    ~HttpExchange() override;

    void start();
    // Stops at once; finished() follows with a Cancelled error.
    void abort();
    // Back-pressure for a sink that cannot take more yet: while paused no body byte is read, at
    // most `readBufferSize` bytes wait in Qt's buffer (TCP flow control holds the rest), and the
    // stall timeout does not run (the wait is ours, not the server's).
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }

    const Error& error() const { return m_error; }
    int status() const { return m_status; }
    const QByteArray& body() const { return m_body; }
    QByteArray header(const QByteArray& name) const;
    qint64 bytesDelivered() const { return m_delivered; }
    int attempts() const { return m_attempt.number; }
    // The last attempt could not reach the server at all (see Request::unreachableAttempts).
    bool unreachable() const { return m_unreachable; }

    // The Range header value of a ranged read's attempt: bytes [offset, offset + length) of the
    // object (length -1: to its end) less the `attempt.bytesDelivered` bytes the sink already
    // has, so that a dropped connection resumes where it broke and nothing reaches the sink
    // twice; empty when the attempt asks for the whole object. Every adapter that reads with
    // HTTP ranges builds its attempts with it: the resume is decided here, once.
    static QByteArray resumedRange(qint64 offset, qint64 length, const Attempt& attempt);

    // The generic classification, public so adapters can extend rather than repeat it.
    static Error classifyStatus(int status, const QByteArray& reason, const QString& what,
                                const QByteArray& retryAfter);
    static Error classifyNetworkError(QNetworkReply::NetworkError code, const QString& what,
                                      bool stalled);
    // No connection could be made: the name does not resolve, there is no route, or nothing
    // listens. Not a server that answered badly or dropped a connection it had accepted.
    static bool isUnreachable(QNetworkReply::NetworkError code);
    // Seconds or an HTTP date; -1 when absent or unreadable.
    static int parseRetryAfterMs(const QByteArray& value);
    // An HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT") in UTC; invalid when unreadable.
    static QDateTime parseHttpDate(const QByteArray& value);
    // scheme://host:port/path — never user info or query.
    static QString displayUrl(const QUrl& url);

Q_SIGNALS:
    void uploadProgress(qint64 done, qint64 total);
    void downloadProgress(qint64 done, qint64 total);
    // An attempt failed and another follows after `delayMs`; `reason` is the failure's message.
    void retrying(const QString& reason, int delayMs);
    // An attempt was answered that the server is overloaded: 429, 503, or what `classify` marks
    // so (Error::serverBusy, e.g. Drive's rate limits). The provider runs fewer requests at once.
    void serverBusy();
    void finished();

private:
    void sendAttempt();
    void onReadyRead();
    // How many of the `wanted` bytes waiting in the reply may be read now; 0 when the download
    // limit says wait (a timer then reads on).
    qint64 allowance(qint64 wanted);
    bool throttlingDownloads() const;
    // Ends the attempt with `error` after a failed read (the sink refused, the body too large).
    void failRead(const Error& error);
    void onReplyFinished();
    // Reads what is left and ends the attempt by the reply's outcome.
    void finishReply();
    void endAttempt(const Error& error);
    void complete(const Error& error);

    QNetworkAccessManager* m_network;
    Request m_request;
    Attempt m_attempt;
    QPointer<QNetworkReply> m_reply;
    QTimer m_stallTimer;
    QTimer m_retryTimer;
    QTimer m_throttleTimer; // reads on when the download limit allows more
    QByteArray m_body;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    Error m_error;
    int m_status = 0;
    qint64 m_delivered = 0;
    qint64 m_attemptDelivered = 0;
    bool m_askedRange = false; // the attempt's request has a Range header
    bool m_stalled = false;
    bool m_unreachable = false;
    bool m_sinkFailed = false;
    bool m_aborted = false;
    bool m_done = false;
    bool m_paused = false;
    bool m_throttled = false;  // waiting for the download limit: the wait is ours, not a stall
    bool m_replyEnded = false; // Qt is done with the reply; its last bytes may still wait
    bool m_draining = false;   // reading the rest of a finished reply, paused or not
};

} // namespace mf
