// The fault proxy's rate limits (tests/faultproxy.h), which the swarming tests and benchmarks
// use as slow links: it relays every byte, never more than its token bucket granted, in either
// direction, and a change of rate applies to the bytes already waiting. Assertions use the proxy's
// own counters, not the time the test took.

#include "faultproxy.h"
#include "testsupport.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace mf::test;

namespace {

constexpr qint64 KiB = 1024;

// An upstream HTTP server that answers every request with the same body and closes.
class BodyServer final : public QObject
{
public:
    explicit BodyServer(QByteArray body)
        : m_body(std::move(body))
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                s->setParent(this);
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    m_requests[s] += s->readAll();
                    if (!m_requests[s].contains("\r\n\r\n"))
                        return;
                    s->write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             "Content-Length: " +
                             QByteArray::number(m_body.size()) + "\r\n\r\n" + m_body);
                    s->disconnectFromHost();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }

private:
    QTcpServer m_server;
    QByteArray m_body;
    QHash<QTcpSocket*, QByteArray> m_requests;
};

// What a working limit promises about a throttle window: nothing relayed that the bucket did
// not grant, and nothing granted faster than the rate (one byte of rounding allowed).
void checkWindowRespectsRate(const FaultProxy::ThrottleWindow& w)
{
    QVERIFY2(
        w.bytes <= w.granted + 1,
        qPrintable(QStringLiteral("%1 bytes relayed, %2 granted").arg(w.bytes).arg(w.granted)));
    QVERIFY2(double(w.granted) <= double(w.rate) * double(w.elapsedMs + 1) / 1000.0 + 1,
             qPrintable(QStringLiteral("%1 bytes granted in %2 ms at %3 B/s")
                            .arg(w.granted)
                            .arg(w.elapsedMs)
                            .arg(w.rate)));
}

} // namespace

class TestFaultProxy final : public QObject
{
    Q_OBJECT

private:
    QNetworkAccessManager m_network;

    QNetworkReply* get(const FaultProxy& proxy)
    {
        QNetworkRequest request(QUrl(proxy.url() + QStringLiteral("/object")));
        return m_network.get(request);
    }

private Q_SLOTS:
    void unlimitedRelaysAtOnce()
    {
        const QByteArray body = pseudoRandomBytes(300 * KiB, 1);
        BodyServer upstream(body);
        QVERIFY(upstream.listen());
        FaultProxy proxy(upstream.port());
        QVERIFY(proxy.listen());
        QPointer<QNetworkReply> reply = get(proxy);
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 30000);
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QVERIFY(reply->readAll() == body);
        QVERIFY(proxy.bytesRelayed() > body.size()); // the body and its head
        QCOMPARE(proxy.throttleWindow().waits, 0);
        reply->deleteLater();
    }

    void limitHoldsAcrossConnections()
    {
        const QByteArray body = pseudoRandomBytes(200 * KiB, 2);
        BodyServer upstream(body);
        QVERIFY(upstream.listen());
        FaultProxy proxy(upstream.port());
        QVERIFY(proxy.listen());
        constexpr qint64 Rate = 256 * KiB;
        proxy.setRateLimit(Rate);
        QList<QNetworkReply*> replies;
        for (int i = 0; i < 3; ++i)
            replies.append(get(proxy));
        for (QNetworkReply* r : replies) {
            QTRY_VERIFY_WITH_TIMEOUT(r->isFinished(), 60000);
            QCOMPARE(r->error(), QNetworkReply::NoError);
            QVERIFY(r->readAll() == body);
            r->deleteLater();
        }
        const FaultProxy::ThrottleWindow w = proxy.throttleWindow();
        QCOMPARE(w.rate, Rate);
        QCOMPARE(w.bytes, proxy.bytesRelayed());
        // 600 KiB through a bucket that holds at most 25.6 KiB: it had to wait for tokens, and
        // the bytes it relayed came from tokens it earned at the rate.
        QVERIFY(w.bytes >= 3 * body.size());
        QVERIFY(w.waits > 0);
        checkWindowRespectsRate(w);
    }

    // The upload limit: requests are read from the clients no faster than the rate, all
    // connections together, and reach the server whole.
    void uploadLimitHoldsAcrossConnections()
    {
        BodyServer upstream("stored");
        QVERIFY(upstream.listen());
        FaultProxy proxy(upstream.port());
        QVERIFY(proxy.listen());
        constexpr qint64 Rate = 256 * KiB;
        proxy.setUploadRateLimit(Rate);
        QList<QNetworkReply*> replies;
        for (int i = 0; i < 3; ++i) {
            QNetworkRequest request(QUrl(proxy.url() + QStringLiteral("/object")));
            request.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArrayLiteral("application/octet-stream"));
            replies.append(m_network.put(request, pseudoRandomBytes(200 * KiB, 10 + i)));
        }
        for (QNetworkReply* r : replies) {
            QTRY_VERIFY_WITH_TIMEOUT(r->isFinished(), 60000);
            QCOMPARE(r->error(), QNetworkReply::NoError);
            QCOMPARE(r->readAll(), QByteArray("stored"));
            r->deleteLater();
        }
        const FaultProxy::ThrottleWindow w = proxy.uploadWindow();
        QCOMPARE(w.rate, Rate);
        QVERIFY(w.bytes >= 3 * 200 * KiB); // the bodies and their heads
        QVERIFY(w.waits > 0);
        checkWindowRespectsRate(w);
        QCOMPARE(proxy.throttleWindow().waits, 0); // the answers were not held back
    }

    void changeAppliesToWaitingBytes()
    {
        const QByteArray body = pseudoRandomBytes(MiBytes, 3);
        BodyServer upstream(body);
        QVERIFY(upstream.listen());
        FaultProxy proxy(upstream.port());
        QVERIFY(proxy.listen());
        proxy.setRateLimit(64 * KiB);
        QPointer<QNetworkReply> reply = get(proxy);
        QTRY_VERIFY_WITH_TIMEOUT(proxy.throttleWindow().bytes >= 32 * KiB, 30000);
        const FaultProxy::ThrottleWindow slow = proxy.throttleWindow();
        checkWindowRespectsRate(slow);
        QVERIFY(slow.bytes < body.size()); // still crawling when the limit is lifted
        QVERIFY(!reply->isFinished());

        // Slower still: the window restarts empty, and holds the new rate.
        proxy.setRateLimit(16 * KiB);
        QTRY_VERIFY_WITH_TIMEOUT(proxy.throttleWindow().bytes >= 16 * KiB, 30000);
        checkWindowRespectsRate(proxy.throttleWindow());

        // Lifted: what waited is relayed at once.
        proxy.setRateLimit(0);
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 30000);
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QVERIFY(reply->readAll() == body);
        reply->deleteLater();
    }

private:
    static constexpr qint64 MiBytes = 1024 * KiB;
};

QTEST_GUILESS_MAIN(TestFaultProxy)
#include "tst_faultproxy.moc"
