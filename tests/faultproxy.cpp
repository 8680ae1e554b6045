#include "faultproxy.h"

#include <QPointer>
#include <QTcpSocket>

#include <algorithm>
#include <limits>
#include <utility>

namespace mf::test {

namespace {

const QByteArray Crlf = "\r\n";
const QByteArray HeaderEnd = "\r\n\r\n";

// One HTTP message head: the start line and the header lines, in order.
struct Head
{
    QByteArray startLine;
    QList<QPair<QByteArray, QByteArray>> headers;

    static Head parse(const QByteArray& text)
    {
        Head h;
        const QList<QByteArray> lines = text.split('\n');
        for (int i = 0; i < lines.size(); ++i) {
            const QByteArray line = lines[i].endsWith('\r') ? lines[i].chopped(1) : lines[i];
            if (i == 0) {
                h.startLine = line;
                continue;
            }
            const int colon = line.indexOf(':');
            if (colon > 0)
                h.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
        }
        return h;
    }
    QByteArray value(const QByteArray& name) const
    {
        for (const auto& kv : headers)
            if (kv.first.compare(name, Qt::CaseInsensitive) == 0)
                return kv.second;
        return {};
    }
    bool has(const QByteArray& name) const
    {
        for (const auto& kv : headers)
            if (kv.first.compare(name, Qt::CaseInsensitive) == 0)
                return true;
        return false;
    }
    void remove(const QByteArray& name)
    {
        for (int i = headers.size() - 1; i >= 0; --i)
            if (headers[i].first.compare(name, Qt::CaseInsensitive) == 0)
                headers.removeAt(i);
    }
    void set(const QByteArray& name, const QByteArray& value)
    {
        remove(name);
        headers.append({name, value});
    }
    QByteArray serialize() const
    {
        QByteArray out = startLine + Crlf;
        for (const auto& kv : headers)
            out += kv.first + ": " + kv.second + Crlf;
        return out + Crlf;
    }
};

// Decodes a chunked transfer-coded body; false if it is incomplete or malformed.
bool dechunk(const QByteArray& in, QByteArray* out)
{
    qsizetype pos = 0;
    for (;;) {
        const qsizetype eol = in.indexOf(Crlf, pos);
        if (eol < 0)
            return false;
        QByteArray sizeText = in.mid(pos, eol - pos);
        const qsizetype semicolon = sizeText.indexOf(';');
        if (semicolon >= 0)
            sizeText.truncate(semicolon);
        bool ok = false;
        const qsizetype size = sizeText.trimmed().toLongLong(&ok, 16);
        if (!ok)
            return false;
        pos = eol + 2;
        if (size == 0)
            return true;
        if (pos + size > in.size())
            return false;
        out->append(in.constData() + pos, size);
        pos += size + 2;
    }
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

} // namespace

// One client connection carrying one request: read it whole, decide its fault, relay or break.
class FaultProxy::Exchange final : public QObject
{
public:
    Exchange(FaultProxy* proxy, QTcpSocket* client)
        : QObject(proxy)
        , m_proxy(proxy)
        , m_client(client)
    {
        client->setParent(this);
        // Under an upload limit Qt holds at most this much unread, and TCP the rest.
        if (proxy->m_up.rate > 0)
            client->setReadBufferSize(256 * 1024);
        connect(client, &QTcpSocket::readyRead, this, &Exchange::onClientData);
        connect(client, &QTcpSocket::disconnected, this, &Exchange::onClientGone);
        onClientData();
    }

    ~Exchange() override { answered(); }

    // What the proxy's rate limit lets through, when it does.
    bool connected() const { return m_client->state() == QAbstractSocket::ConnectedState; }
    void writeOut(const char* data, qint64 size) { m_client->write(data, size); }
    void closeClient() // after the bytes are written
    {
        // Its whole answer is handed over: the client cannot have it sooner.
        answered();
        m_client->disconnectFromHost();
    }

    // Reads at most `bytes` of the request now (the upload limit's share); how many it read.
    qint64 readRequest(qint64 bytes)
    {
        if (m_requestDone || bytes <= 0)
            return 0;
        const QByteArray part = m_client->read(bytes);
        take(part);
        return part.size();
    }
    bool hasUnreadRequest() const { return !m_requestDone && m_client->bytesAvailable() > 0; }

    void release()
    {
        if (m_client->state() != QAbstractSocket::UnconnectedState)
            m_client->abort();
        deleteLater();
    }

private:
    void onClientData()
    {
        if (m_requestDone)
            return; // one request per connection
        if (m_proxy->m_up.rate > 0) {
            m_proxy->waitForUploadTokens(this);
            return;
        }
        take(m_client->readAll());
    }

    void take(const QByteArray& bytes)
    {
        m_request += bytes;
        if (m_bodyStart < 0) {
            const qsizetype end = m_request.indexOf(HeaderEnd);
            if (end < 0)
                return;
            m_head = Head::parse(m_request.left(end));
            m_bodyStart = end + 4;
            m_bodyLength = m_head.value("Content-Length").toLongLong();
        }
        if (m_request.size() - m_bodyStart < m_bodyLength)
            return;
        m_requestDone = true;
        m_request.truncate(m_bodyStart + m_bodyLength);
        handleRequest();
    }

    void handleRequest()
    {
        const QList<QByteArray> parts = m_head.startLine.split(' ');
        const QByteArray method = parts.value(0);
        const QString path = QString::fromLatin1(parts.value(1));
        m_rule = m_proxy->decide(method, path);
        m_answering = true;
        ++m_proxy->m_answering;
        m_seenIndex = m_proxy->record(method, path, m_rule.fault);
        switch (m_rule.fault) {
        case Fault::Status: {
            Head h;
            h.startLine =
                "HTTP/1.1 " + QByteArray::number(m_rule.status) + ' ' + reasonPhrase(m_rule.status);
            h.set("Content-Type", m_rule.contentType);
            h.set("Content-Length", QByteArray::number(m_rule.body.size()));
            if (!m_rule.retryAfter.isEmpty())
                h.set("Retry-After", m_rule.retryAfter);
            h.set("Connection", "close");
            m_proxy->setStatus(m_seenIndex, m_rule.status);
            sendAndClose(h.serialize() + (method == "HEAD" ? QByteArray() : m_rule.body));
            return;
        }
        case Fault::Drop:
            m_client->disconnectFromHost();
            return;
        case Fault::Delay:
            QTimer::singleShot(m_rule.delayMs, this, &Exchange::forward);
            return;
        default:
            break;
        }
        forward();
    }

    void forward()
    {
        m_upstream = new QTcpSocket(this);
        connect(m_upstream, &QTcpSocket::connected, this, [this] {
            Head forwarded = m_head;
            forwarded.set("Connection", "close");
            if (m_rule.fault == Fault::IgnoreRange)
                forwarded.remove("Range");
            m_upstream->write(forwarded.serialize());
            m_upstream->write(m_request.constData() + m_bodyStart, m_bodyLength);
        });
        connect(m_upstream, &QTcpSocket::readyRead, this,
                [this] { m_response += m_upstream->readAll(); });
        connect(m_upstream, &QTcpSocket::disconnected, this, &Exchange::onUpstreamDone);
        connect(m_upstream, &QTcpSocket::errorOccurred, this,
                [this](QAbstractSocket::SocketError e) {
                    if (e != QAbstractSocket::RemoteHostClosedError)
                        m_client->abort(); // upstream down: the client sees a dead connection
                });
        m_upstream->connectToHost(QHostAddress::LocalHost, m_proxy->m_upstreamPort);
    }

    void onUpstreamDone()
    {
        m_response += m_upstream->readAll();
        const qsizetype end = m_response.indexOf(HeaderEnd);
        if (end < 0) {
            m_client->abort();
            return;
        }
        Head head = Head::parse(m_response.left(end));
        QByteArray body = m_response.mid(end + 4);
        if (head.value("Transfer-Encoding").toLower().contains("chunked")) {
            QByteArray plain;
            if (!dechunk(body, &plain)) {
                m_client->abort();
                return;
            }
            body = plain;
            head.remove("Transfer-Encoding");
            head.set("Content-Length", QByteArray::number(body.size()));
        }
        head.set("Connection", "close");
        m_proxy->setStatus(m_seenIndex, head.startLine.split(' ').value(1).toInt());
        const qsizetype half = body.size() / 2;
        switch (m_rule.fault) {
        case Fault::TruncatedBody:
            sendAndClose(head.serialize() + body.left(half));
            return;
        case Fault::Stall:
            m_proxy->m_stalled.append(this);
            m_proxy->send(this, head.serialize() + body.left(half), false);
            return;
        case Fault::WrongContentLength:
            head.set("Content-Length",
                     QByteArray::number(qMax<qint64>(0, qint64(body.size()) + m_rule.lengthDelta)));
            sendAndClose(head.serialize() + body);
            return;
        default:
            sendAndClose(head.serialize() + body);
            return;
        }
    }

    void sendAndClose(const QByteArray& bytes) { m_proxy->send(this, bytes, true); }

    void answered()
    {
        if (m_answering)
            --m_proxy->m_answering;
        m_answering = false;
    }

    void onClientGone()
    {
        if (m_upstream)
            m_upstream->abort();
        deleteLater();
    }

    FaultProxy* m_proxy;
    QTcpSocket* m_client;
    QTcpSocket* m_upstream = nullptr;
    QByteArray m_request;
    Head m_head;
    qsizetype m_bodyStart = -1;
    qint64 m_bodyLength = 0;
    bool m_requestDone = false;
    bool m_answering = false; // counted in the proxy's requests being answered
    Rule m_rule;
    int m_seenIndex = -1;
    QByteArray m_response;
};

FaultProxy::Rule FaultProxy::Rule::status503(const QString& path, int times)
{
    return httpStatus(503, path, times);
}

FaultProxy::Rule FaultProxy::Rule::httpStatus(int code, const QString& path, int times)
{
    Rule r;
    r.fault = Fault::Status;
    r.status = code;
    r.pathContains = path;
    r.times = times;
    return r;
}

FaultProxy::Rule FaultProxy::Rule::tooManyRequests(const QByteArray& retryAfterSeconds,
                                                   const QString& path, int times)
{
    Rule r = httpStatus(429, path, times);
    r.retryAfter = retryAfterSeconds;
    return r;
}

FaultProxy::Rule FaultProxy::Rule::of(Fault fault, const QByteArray& method, const QString& path,
                                      int times)
{
    Rule r;
    r.fault = fault;
    r.method = method;
    r.pathContains = path;
    r.times = times;
    return r;
}

FaultProxy::FaultProxy(quint16 upstreamPort, QObject* parent)
    : QObject(parent)
    , m_upstreamPort(upstreamPort)
{
    connect(&m_server, &QTcpServer::newConnection, this, &FaultProxy::onNewConnection);
    // A few milliseconds between refills: smooth enough at tens of MiB/s, cheap when idle (the
    // timer runs only while bytes wait).
    m_pump.setInterval(5);
    m_pump.setTimerType(Qt::PreciseTimer);
    connect(&m_pump, &QTimer::timeout, this, &FaultProxy::pump);
    m_uploadPump.setInterval(5);
    m_uploadPump.setTimerType(Qt::PreciseTimer);
    connect(&m_uploadPump, &QTimer::timeout, this, &FaultProxy::pumpUploads);
    m_clock.start();
    m_down.window.start();
    m_up.window.start();
}

FaultProxy::~FaultProxy() = default;

bool FaultProxy::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

quint16 FaultProxy::port() const
{
    return m_server.serverPort();
}

QString FaultProxy::url() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port());
}

void FaultProxy::addRule(const Rule& rule)
{
    m_rules.append({rule, 0});
}

void FaultProxy::clearRules()
{
    m_rules.clear();
}

int FaultProxy::count(const QByteArray& method, const QString& pathContains) const
{
    int n = 0;
    for (const Seen& s : m_seen)
        if ((method.isEmpty() || s.method == method) && s.path.contains(pathContains))
            ++n;
    return n;
}

int FaultProxy::faultsInjected() const
{
    int n = 0;
    for (const Seen& s : m_seen)
        if (s.fault != Fault::None)
            ++n;
    return n;
}

void FaultProxy::releaseStalled()
{
    const QList<QPointer<QObject>> stalled = std::exchange(m_stalled, {});
    for (const QPointer<QObject>& e : stalled)
        if (e)
            static_cast<Exchange*>(e.data())->release();
}

void FaultProxy::Bucket::reset(qint64 bytesPerSecond, qint64 nowNs)
{
    rate = qMax<qint64>(0, bytesPerSecond);
    // A new window: the bucket starts empty, so what it grants is bounded by rate x time.
    tokens = 0;
    lastRefillNs = nowNs;
    window.restart();
    windowBytes = 0;
    windowGranted = 0;
    windowWaits = 0;
}

qint64 FaultProxy::Bucket::refill(qint64 nowNs)
{
    if (rate <= 0)
        return std::numeric_limits<qint64>::max();
    const double earned = double(rate) * double(nowNs - lastRefillNs) / 1e9;
    lastRefillNs = nowNs;
    // At most a tenth of a second's worth saved up (16 KiB at least, so that every waiting
    // connection's share is a whole byte), so an idle link does not burst.
    const double capacity = qMax(double(rate) / 10, 16.0 * 1024);
    const double before = tokens;
    tokens = qMin(capacity, tokens + earned);
    windowGranted += tokens - before;
    return qint64(tokens);
}

void FaultProxy::Bucket::spend(qint64 bytes)
{
    windowBytes += bytes;
    if (rate > 0)
        tokens -= double(bytes);
}

FaultProxy::ThrottleWindow FaultProxy::Bucket::account() const
{
    return {rate, windowBytes, qint64(windowGranted), window.elapsed(), windowWaits};
}

void FaultProxy::setRateLimit(qint64 bytesPerSecond)
{
    m_down.reset(bytesPerSecond, m_clock.nsecsElapsed());
    pump();
}

FaultProxy::ThrottleWindow FaultProxy::throttleWindow() const
{
    return m_down.account();
}

void FaultProxy::setUploadRateLimit(qint64 bytesPerSecond)
{
    m_up.reset(bytesPerSecond, m_clock.nsecsElapsed());
    pumpUploads();
}

FaultProxy::ThrottleWindow FaultProxy::uploadWindow() const
{
    return m_up.account();
}

void FaultProxy::waitForUploadTokens(QObject* exchange)
{
    if (!m_reading.contains(exchange))
        m_reading.append(exchange);
    // Read what the tokens allow now, not only on the next tick: a connection's share per tick
    // is bounded by what Qt holds unread, which would cap the link below its rate.
    pumpUploads();
}

void FaultProxy::pumpUploads()
{
    qint64 budget = m_up.refill(m_clock.nsecsElapsed());
    // One pass, the tokens shared evenly among the connections that wait.
    qsizetype waiting = m_reading.size();
    for (qsizetype i = 0; i < m_reading.size();) {
        auto* exchange = static_cast<Exchange*>(m_reading[i].data());
        --waiting;
        if (!exchange) {
            m_reading.removeAt(i);
            continue;
        }
        const qint64 read = exchange->readRequest(budget / (waiting + 1));
        budget -= read;
        m_up.spend(read);
        if (exchange->hasUnreadRequest())
            ++i;
        else
            m_reading.removeAt(i);
    }
    if (m_reading.isEmpty()) {
        m_uploadPump.stop();
        return;
    }
    ++m_up.windowWaits;
    if (!m_uploadPump.isActive())
        m_uploadPump.start();
}

void FaultProxy::send(Exchange* exchange, const QByteArray& bytes, bool closeAfter)
{
    m_outgoing.append({exchange, bytes, 0, closeAfter});
    pump();
}

void FaultProxy::pump()
{
    const qint64 granted = m_down.refill(m_clock.nsecsElapsed());
    // One pass, the tokens shared evenly among the connections that wait.
    qint64 budget = granted;
    qsizetype waiting = m_outgoing.size();
    for (qsizetype i = 0; i < m_outgoing.size();) {
        Outgoing& o = m_outgoing[i];
        auto* exchange = static_cast<Exchange*>(o.exchange.data());
        --waiting;
        if (!exchange || !exchange->connected()) {
            if (o.sent < o.bytes.size())
                ++m_responsesAbandoned;
            m_outgoing.removeAt(i);
            continue;
        }
        const qint64 left = o.bytes.size() - o.sent;
        const qint64 give = m_down.rate > 0 ? qMin(left, budget / (waiting + 1)) : left;
        if (give > 0) {
            exchange->writeOut(o.bytes.constData() + o.sent, give);
            o.sent += give;
            budget -= give;
            m_bytesRelayed += give;
            m_down.spend(give);
        }
        if (o.sent < o.bytes.size()) {
            ++i;
            continue;
        }
        if (o.closeAfter)
            exchange->closeClient();
        m_outgoing.removeAt(i);
    }
    if (m_outgoing.isEmpty()) {
        m_pump.stop();
        return;
    }
    ++m_down.windowWaits;
    if (!m_pump.isActive())
        m_pump.start();
}

void FaultProxy::onNewConnection()
{
    while (QTcpSocket* client = m_server.nextPendingConnection())
        new Exchange(this, client);
}

FaultProxy::Rule FaultProxy::decide(const QByteArray& method, const QString& path)
{
    for (ActiveRule& a : m_rules) {
        if (!a.rule.method.isEmpty() && a.rule.method != method)
            continue;
        if (!path.contains(a.rule.pathContains))
            continue;
        const int index = a.matched++;
        if (index < a.rule.skip)
            continue;
        if (a.rule.times >= 0 && index >= a.rule.skip + a.rule.times)
            continue;
        return a.rule;
    }
    return Rule{};
}

int FaultProxy::record(const QByteArray& method, const QString& path, Fault fault)
{
    m_seen.append({method, path, fault, 0, m_answering});
    return int(m_seen.size()) - 1;
}

void FaultProxy::setStatus(int index, int status)
{
    if (index >= 0 && index < m_seen.size())
        m_seen[index].status = status;
}

} // namespace mf::test
