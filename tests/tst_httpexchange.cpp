// The shared rules of the network adapters that do not need a server: reading Retry-After,
// classifying statuses and network errors, giving up on a server nobody answers for, and never
// showing a secret in a message.
#include "providers/network/httpexchange.h"

#include <QDateTime>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QUrl>

using namespace mf;

class TestHttpExchange : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void retryAfterSeconds()
    {
        QCOMPARE(HttpExchange::parseRetryAfterMs("3"), 3000);
        QCOMPARE(HttpExchange::parseRetryAfterMs(" 0 "), 0);
        QCOMPARE(HttpExchange::parseRetryAfterMs(""), -1);
        QCOMPARE(HttpExchange::parseRetryAfterMs("soon"), -1);
        QCOMPARE(HttpExchange::parseRetryAfterMs("-5"), -1);
        // A hostile server cannot park a client for days.
        QCOMPARE(HttpExchange::parseRetryAfterMs("999999999"), 3600 * 1000);
    }

    void retryAfterHttpDate()
    {
        const QDateTime in = QDateTime::currentDateTimeUtc().addSecs(30);
        const QByteArray date =
            QLocale::c().toString(in, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss")).toLatin1() +
            " GMT";
        const int ms = HttpExchange::parseRetryAfterMs(date);
        QVERIFY2(ms > 25000 && ms <= 30000, qPrintable(QString::number(ms)));
        QCOMPARE(HttpExchange::parseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"), 0); // past
    }

    void statusClassification_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("kind");
        QTest::newRow("401") << 401 << int(Error::Kind::Authentication);
        QTest::newRow("403") << 403 << int(Error::Kind::Authentication);
        QTest::newRow("404") << 404 << int(Error::Kind::NotFound);
        QTest::newRow("429") << 429 << int(Error::Kind::Retryable);
        QTest::newRow("500") << 500 << int(Error::Kind::Retryable);
        QTest::newRow("503") << 503 << int(Error::Kind::Retryable);
        QTest::newRow("507") << 507 << int(Error::Kind::QuotaExceeded);
        QTest::newRow("400") << 400 << int(Error::Kind::Fatal);
    }

    void statusClassification()
    {
        QFETCH(int, status);
        QFETCH(int, kind);
        const Error e =
            HttpExchange::classifyStatus(status, "Reason", QStringLiteral("Storing x"), "7");
        QCOMPARE(int(e.kind), kind);
        QVERIFY(e.message.startsWith(QLatin1String("Storing x")));
        QVERIFY(e.message.contains(QString::number(status)));
        if (e.kind == Error::Kind::Retryable)
            QCOMPARE(e.retryAfterMs, 7000);
    }

    void stalledIsRetryable()
    {
        const Error e = HttpExchange::classifyNetworkError(QNetworkReply::OperationCanceledError,
                                                           QStringLiteral("Reading y"), true);
        QCOMPARE(e.kind, Error::Kind::Retryable);
        QVERIFY(e.message.contains(QLatin1String("stalled")));
        QCOMPARE(HttpExchange::classifyNetworkError(QNetworkReply::ConnectionRefusedError,
                                                    QStringLiteral("x"), false)
                     .kind,
                 Error::Kind::Retryable);
        // A body sent only once (Request::resendBody false) that Qt wanted to send again.
        QCOMPARE(HttpExchange::classifyNetworkError(QNetworkReply::ContentReSendError,
                                                    QStringLiteral("x"), false)
                     .kind,
                 Error::Kind::Retryable);
        QCOMPARE(HttpExchange::classifyNetworkError(QNetworkReply::SslHandshakeFailedError,
                                                    QStringLiteral("x"), false)
                     .kind,
                 Error::Kind::Fatal);
    }

    // A lookup someone waits for (Request::unreachableAttempts) gives up on a server nothing
    // answers for after that many tries; a transfer keeps its whole retry policy. (The Hub
    // import dialog said "Looking up…" for over a minute with no network.)
    void unreachableServerTriedOnlySoOften_data()
    {
        QTest::addColumn<int>("unreachableAttempts");
        QTest::addColumn<int>("attempts");
        QTest::newRow("a lookup: 2 tries") << 2 << 2;
        QTest::newRow("a transfer: the policy's 4") << 0 << 4;
    }
    void unreachableServerTriedOnlySoOften()
    {
        QFETCH(int, unreachableAttempts);
        QFETCH(int, attempts);
        quint16 port = 0;
        {
            QTcpServer probe; // a port that was free a moment ago: nothing listens there now
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            port = probe.serverPort();
        }
        QNetworkAccessManager network;
        HttpExchange::Request r;
        r.build = [port](const HttpExchange::Attempt&) {
            return QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/x").arg(port)));
        };
        r.what = QStringLiteral("Reading x");
        r.retry = RetryPolicy{4, 10, 20};
        r.unreachableAttempts = unreachableAttempts;
        HttpExchange exchange(&network, std::move(r));
        QSignalSpy finished(&exchange, &HttpExchange::finished);
        exchange.start();
        QVERIFY(finished.wait(30000));
        QCOMPARE(exchange.error().kind, Error::Kind::Retryable);
        QVERIFY(exchange.unreachable());
        QCOMPARE(exchange.attempts(), attempts);
    }

    void displayUrlHasNoSecrets()
    {
        const QUrl url(QStringLiteral(
            "https://alice:hunter2@dav.example.org:8443/remote.php/dav/files/alice/x?"
            "X-Amz-Signature=abcdef&token=hf_secret#frag"));
        const QString shown = HttpExchange::displayUrl(url);
        QCOMPARE(shown,
                 QStringLiteral("https://dav.example.org:8443/remote.php/dav/files/alice/x"));
        QVERIFY(!shown.contains(QLatin1String("hunter2")));
        QVERIFY(!shown.contains(QLatin1String("hf_secret")));
    }
};

QTEST_GUILESS_MAIN(TestHttpExchange)
#include "tst_httpexchange.moc"
