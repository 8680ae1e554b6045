#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTcpServer>
#include <QTimer>

#include <memory>

namespace mf::test {

// A small HTTP/1.1 proxy on 127.0.0.1 that sits in front of a real server (S3, WebDAV, IPFS)
// and breaks chosen requests the way networks and servers break them: an error status (500,
// 503, 429 with Retry-After), a body cut short, a connection that stops moving, a
// Content-Length that does not match the body. Everything else is passed through unchanged
// (the Host header too, so signatures made for the proxy's address still verify upstream).
//
// Point the adapter at url() instead of the server. Each client connection carries one request
// (the proxy answers with "Connection: close"); the upstream response is read whole before it is
// relayed, so keep test objects small (MiB, not GiB). It runs on the thread that creates it:
// the test's event loop (QSignalSpy::wait, QTest::qWaitFor) drives it.
//
// It can also be a slow link: setRateLimit() caps the bytes per second it relays to its clients
// (the responses, what a restore reads), all connections together, with a token bucket that
// refills from the proxy's own clock; setUploadRateLimit() caps what it reads from them (the
// requests, what a float sends) the same way. The limits may change while transfers run.
class FaultProxy final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FaultProxy)

public:
    enum class Fault {
        None,
        Status,             // answer `status` (with Retry-After / body) without asking upstream
        TruncatedBody,      // relay the headers and half the body, then close the connection
        Stall,              // relay the headers and half the body, then send nothing more
        WrongContentLength, // relay the body under a Content-Length off by `lengthDelta`
        Drop,               // close the connection without answering
        Delay,              // pass the request upstream after `delayMs` (a slow server)
        IgnoreRange,        // pass the request upstream without its Range (a 200, whole)
    };

    // Which requests a fault hits: those whose method matches (empty: any) and whose path
    // contains `pathContains` (empty: any). The first `skip` matching requests pass; the next
    // `times` (-1: all further ones) get the fault.
    struct Rule
    {
        Fault fault = Fault::None;
        QByteArray method;
        QString pathContains;
        int skip = 0;
        int times = 1;
        // Fault::Status
        int status = 503;
        QByteArray retryAfter; // header value, e.g. "1"; empty: none
        QByteArray body;       // e.g. an S3 <Error> document
        QByteArray contentType = "text/plain";
        // Fault::WrongContentLength: announced = real + lengthDelta (may be negative)
        qint64 lengthDelta = 1000;
        // Fault::Delay
        int delayMs = 1000;

        static Rule status503(const QString& path = {}, int times = 1);
        static Rule httpStatus(int code, const QString& path = {}, int times = 1);
        static Rule tooManyRequests(const QByteArray& retryAfterSeconds, const QString& path = {},
                                    int times = 1);
        static Rule of(Fault fault, const QByteArray& method = {}, const QString& path = {},
                       int times = 1);
    };

    // What passed through, for assertions ("no retry after an authentication error").
    struct Seen
    {
        QByteArray method;
        QString path; // with query
        Fault fault = Fault::None;
        int status = 0; // the status relayed or injected; 0 when none reached the client
        // Requests being answered when it came whole, itself included: how many a client ran
        // at once.
        int atOnce = 1;
    };

    explicit FaultProxy(quint16 upstreamPort, QObject* parent = nullptr);
    ~FaultProxy() override;

    // Listens on 127.0.0.1 (a free port); false if it cannot.
    bool listen();
    quint16 port() const;
    // "http://127.0.0.1:<port>"
    QString url() const;

    void addRule(const Rule& rule);
    void clearRules();
    const QList<Seen>& seen() const { return m_seen; }
    void clearSeen() { m_seen.clear(); }
    int count(const QByteArray& method, const QString& pathContains = {}) const;
    int faultsInjected() const;
    // Closes every stalled connection (so a test can end without waiting for client timeouts).
    void releaseStalled();

    // Bytes per second relayed to clients, all connections together; 0: no limit. A change
    // applies at once, to the bytes still waiting too, and starts a new throttle window.
    void setRateLimit(qint64 bytesPerSecond);
    qint64 rateLimit() const { return m_down.rate; }
    // Bytes per second read from clients (the requests, what a float uploads), all connections
    // together; 0: no limit. The client's TCP connection holds the rest back.
    void setUploadRateLimit(qint64 bytesPerSecond);
    // Every byte relayed to clients (heads and bodies), since construction.
    qint64 bytesRelayed() const { return m_bytesRelayed; }
    // Responses whose client hung up before they were relayed whole (an aborted request).
    int responsesAbandoned() const { return m_responsesAbandoned; }

    // The bucket's own account of the current throttle window (since the last setRateLimit()):
    // what it relayed, how long the window has lasted by the proxy's clock, and how many bytes
    // the bucket had granted by then. A working limit keeps bytes <= granted, and granted <=
    // rate x elapsed (the bucket starts empty and holds at most a tenth of a second's worth).
    struct ThrottleWindow
    {
        qint64 rate = 0;
        qint64 bytes = 0;
        qint64 granted = 0;
        qint64 elapsedMs = 0;
        int waits = 0; // times a connection had bytes to send and no tokens to send them with
    };
    ThrottleWindow throttleWindow() const;
    // The same account for the upload limit.
    ThrottleWindow uploadWindow() const;

private:
    class Exchange;
    friend class Exchange;

    void onNewConnection();
    // The fault for this request (and counts it against its rule).
    Rule decide(const QByteArray& method, const QString& path);
    int record(const QByteArray& method, const QString& path, Fault fault);
    void setStatus(int index, int status);
    // Relays `bytes` to the exchange's client as the rate limit allows, then closes it if asked.
    void send(Exchange* exchange, const QByteArray& bytes, bool closeAfter);
    void pump();
    // `exchange` has request bytes to read once the upload limit allows.
    void waitForUploadTokens(QObject* exchange);
    // Reads what the upload limit allows from the clients waiting for it.
    void pumpUploads();

    QTcpServer m_server;
    quint16 m_upstreamPort;
    struct ActiveRule
    {
        Rule rule;
        int matched = 0;
    };
    QList<ActiveRule> m_rules;
    QList<Seen> m_seen;
    QList<QPointer<QObject>> m_stalled; // exchanges holding a stalled connection open

    struct Outgoing
    {
        QPointer<QObject> exchange; // an Exchange; gone when its connection ended
        QByteArray bytes;
        qsizetype sent = 0;
        bool closeAfter = false;
    };
    QList<Outgoing> m_outgoing; // waiting for tokens, in arrival order
    // One direction's token bucket and its current throttle window.
    struct Bucket
    {
        qint64 rate = 0; // bytes per second; 0: no limit
        double tokens = 0;
        qint64 lastRefillNs = 0;
        QElapsedTimer window;
        qint64 windowBytes = 0;
        double windowGranted = 0;
        int windowWaits = 0;

        void reset(qint64 bytesPerSecond, qint64 nowNs);
        // Adds the tokens earned since the last refill. The bytes that may go now, shared by
        // every connection waiting (unlimited without a rate).
        qint64 refill(qint64 nowNs);
        void spend(qint64 bytes);
        ThrottleWindow account() const;
    };
    QTimer m_pump;
    QElapsedTimer m_clock;
    Bucket m_down;                      // what is relayed to clients
    Bucket m_up;                        // what is read from clients
    QList<QPointer<QObject>> m_reading; // exchanges with request bytes waiting for upload tokens
    QTimer m_uploadPump;
    qint64 m_bytesRelayed = 0;
    int m_responsesAbandoned = 0;
    int m_answering = 0; // requests come whole whose answer is not all handed over yet
};

} // namespace mf::test
