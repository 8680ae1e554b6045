#pragma once

// The local Google Drive API server of tests/peers/drive/drive-server.js, started on 127.0.0.1
// for a test (OAuth endpoints, the Drive API, an HTTPS proxy for rclone, test controls), and
// the real clients that check it: Google's Node client (tests/peers/drive/client-check.mjs) and
// Debian's rclone drive backend.

#include "peerprocess.h"
#include "testsupport.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <QtTest>

namespace mf::test {

class DrivePeer
{
public:
    static QString folder()
    {
        return QString(mf::test::testsSourceDir() + QStringLiteral("/peers/drive"));
    }
    static QString clientId()
    {
        return QStringLiteral("modelfloat-test.apps.googleusercontent.com");
    }
    static QString clientSecret() { return QStringLiteral("test-secret"); }
    static QString node()
    {
        const QString n = QStandardPaths::findExecutable(QStringLiteral("node"));
        return n.isEmpty() ? QStringLiteral("node") : n;
    }

    bool start()
    {
        m_port = PeerProcess::freePort();
        const QStringList args{folder() + QStringLiteral("/drive-server.js"),
                               QStringLiteral("--port"),
                               QString::number(m_port),
                               QStringLiteral("--data"),
                               m_data.path() + QStringLiteral("/data"),
                               QStringLiteral("--cert-dir"),
                               m_data.path() + QStringLiteral("/cert")};
        const quint16 port = m_port;
        return m_process.start(
            node(), args, [port] { return PeerProcess::portAccepts(port); }, 60000);
    }
    QString errorString() const { return m_process.errorString(); }
    PeerProcess& process() { return m_process; }
    quint16 port() const { return m_port; }
    QString baseUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    QString certificate() const { return m_data.path() + QStringLiteral("/cert/cert.pem"); }

    QJsonObject control(const QString& what, const QJsonObject& body = {})
    {
        return call(what == QLatin1String("stats") ? "GET" : "POST",
                    baseUrl() + QStringLiteral("/__control/") + what, body);
    }
    QJsonObject stats() { return control(QStringLiteral("stats")); }
    void advanceClock(qint64 ms)
    {
        control(QStringLiteral("clock"), {{QStringLiteral("advanceMs"), ms}});
    }
    void configure(const QJsonObject& c) { control(QStringLiteral("config"), c); }
    void fault(const QJsonObject& rule) { control(QStringLiteral("fault"), rule); }
    void resetFaults() { control(QStringLiteral("reset-faults")); }

    // The browser at Google's consent page: follows its redirect to the app's loopback listener
    // and returns the page the app answered with (and its status). `deny`: the user presses
    // "Cancel" on the consent screen.
    QByteArray playBrowser(const QUrl& consent, int* status = nullptr, bool deny = false)
    {
        QUrl url = consent;
        if (deny) {
            QUrlQuery q(url);
            q.addQueryItem(QStringLiteral("deny"), QStringLiteral("1"));
            url.setQuery(q);
        }
        QNetworkAccessManager nam;
        QNetworkRequest r(url);
        r.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                       QNetworkRequest::ManualRedirectPolicy);
        std::unique_ptr<QNetworkReply> reply(nam.get(r));
        if (!QTest::qWaitFor([&reply] { return reply->isFinished(); }, 10000))
            return {};
        const QUrl back = reply->header(QNetworkRequest::LocationHeader).toUrl();
        if (!back.isValid())
            return {};
        std::unique_ptr<QNetworkReply> page(nam.get(QNetworkRequest(back)));
        if (!QTest::qWaitFor([&page] { return page->isFinished(); }, 10000))
            return {};
        if (status)
            *status = page->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        return page->readAll();
    }

    // Plays the browser for a signing-in modelfloat-cli `p` (`provider add gdrive`, `provider
    // auth`): waits for the consent address it prints on its standard error, collected into
    // `err`, and answers it (refusing it when `deny`). False when no address came.
    bool answerConsent(QProcess& p, QByteArray* err, bool deny = false)
    {
        static const QRegularExpression address(
            QStringLiteral("(http://127\\.0\\.0\\.1:\\d+/o/oauth2/v2/auth\\?\\S+)"));
        QUrl consent;
        for (int i = 0; i < 600 && !consent.isValid() && p.state() == QProcess::Running; ++i) {
            p.waitForReadyRead(100);
            *err += p.readAllStandardError();
            const QRegularExpressionMatch m = address.match(QString::fromUtf8(*err));
            if (m.hasMatch())
                consent = QUrl(m.captured(1), QUrl::StrictMode);
        }
        if (!consent.isValid())
            return false;
        playBrowser(consent, nullptr, deny);
        return true;
    }

    // The user removes ModelFloat's access in their Google account: the grant is revoked.
    bool revoke(const QString& refreshToken)
    {
        QNetworkAccessManager nam;
        QNetworkRequest r(QUrl(baseUrl() + QStringLiteral("/revoke")));
        r.setHeader(QNetworkRequest::ContentTypeHeader,
                    QByteArrayLiteral("application/x-www-form-urlencoded"));
        std::unique_ptr<QNetworkReply> reply(
            nam.post(r, "token=" + QUrl::toPercentEncoding(refreshToken)));
        return QTest::qWaitFor([&reply] { return reply->isFinished(); }, 10000) &&
               reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    }

    // Runs client-check.mjs (Google's Node client against the server); true when it exited 0.
    bool googleClientCheck(QString* output)
    {
        return run(node(), {folder() + QStringLiteral("/client-check.mjs"), baseUrl()}, {}, output);
    }

    // rclone with a remote "gd:" holding tokens the server minted (rclone's own browser sign-in
    // is not what is checked), in a config file written afresh for each run (rclone rewrites it
    // with refreshed tokens). `output` gets its standard output.
    bool rclone(const QStringList& args, QByteArray* output, const QByteArray& input = {})
    {
        // Minted for each run: the server's clock may have moved past the last one's expiry.
        const QJsonObject t = control(QStringLiteral("mint"));
        const QJsonObject token{
            {QStringLiteral("access_token"), t.value(QStringLiteral("access_token"))},
            {QStringLiteral("token_type"), QStringLiteral("Bearer")},
            {QStringLiteral("refresh_token"), t.value(QStringLiteral("refresh_token"))},
            {QStringLiteral("expiry"),
             QDateTime::currentDateTimeUtc().addSecs(3000).toString(Qt::ISODate)}};
        const QByteArray tokenJson = QJsonDocument(token).toJson(QJsonDocument::Compact);
        const QString config = m_data.path() + QStringLiteral("/rclone.conf");
        QFile f(config);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        f.write(QStringLiteral("[gd]\ntype = drive\nclient_id = %1\nclient_secret = %2\nscope = "
                               "drive.file\ntoken_url = %3/token\nauth_url = %3/o/oauth2/v2/"
                               "auth\ntoken = %4\n")
                    .arg(clientId(), clientSecret(), baseUrl(), QString::fromUtf8(tokenJson))
                    .toUtf8());
        f.close();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        // rclone's API host is fixed: it reaches "www.googleapis.com" through the server,
        // which answers CONNECT itself with its self-signed certificate.
        env.insert(QStringLiteral("HTTPS_PROXY"), baseUrl());
        env.insert(QStringLiteral("NO_PROXY"), QStringLiteral("127.0.0.1"));
        QString out;
        const bool ok = run(QStringLiteral("rclone"),
                            QStringList{QStringLiteral("--config"), config,
                                        QStringLiteral("--ca-cert"), certificate()} +
                                args,
                            env, &out, output, input);
        return ok;
    }

private:
    bool run(const QString& program, const QStringList& args, QProcessEnvironment env,
             QString* text, QByteArray* bytes = nullptr, const QByteArray& input = {})
    {
        QProcess p;
        if (!env.isEmpty())
            p.setProcessEnvironment(env);
        p.setWorkingDirectory(folder());
        p.start(program, args);
        if (!input.isEmpty()) {
            p.write(input);
        }
        p.closeWriteChannel();
        const bool done = p.waitForFinished(300000);
        const QByteArray out = p.readAllStandardOutput();
        if (bytes)
            *bytes = out;
        if (text)
            *text = QString::fromUtf8(out);
        if (!done || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            qWarning("%s %s failed: %s", qPrintable(program),
                     qPrintable(args.join(QLatin1Char(' '))),
                     qPrintable(QString::fromUtf8(p.readAllStandardError())));
            return false;
        }
        return true;
    }

    QJsonObject call(const QByteArray& method, const QString& url, const QJsonObject& body)
    {
        return PeerProcess::jsonCall(method, url, body);
    }

    QTemporaryDir m_data;
    PeerProcess m_process;
    quint16 m_port = 0;
};

} // namespace mf::test
