#pragma once

// The local Hugging Face Hub of tests/peers/hub-server.js, started on 127.0.0.1 for a test:
// repos served from folders, its request counters and fault modes driven over HTTP.

#include "peerprocess.h"
#include "testsupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

namespace mf::test {

class HubPeer
{
public:
    struct Repo
    {
        QString id;
        QString folder;
        bool gated = false;
        bool isPrivate = false;
        qint64 downloads = 0; // what the model search reports
        qint64 likes = 0;
    };

    // Token the server accepts; Token + "_granted" has also been granted access to gated repos.
    static QString token() { return QStringLiteral("hf_test_token"); }

    bool start(const QList<Repo>& repos)
    {
        m_port = PeerProcess::freePort();
        const quint16 cdnPort = PeerProcess::freePort();
        QStringList args{
            QString(mf::test::testsSourceDir() + QStringLiteral("/peers/hub-server.js")),
            QStringLiteral("--port"),
            QString::number(m_port),
            QStringLiteral("--cdn-port"),
            QString::number(cdnPort),
            QStringLiteral("--token"),
            token()};
        for (const Repo& r : repos) {
            args << QStringLiteral("--repo") << r.id + QLatin1Char('=') + r.folder;
            if (r.gated)
                args << QStringLiteral("--gated") << r.id;
            if (r.isPrivate)
                args << QStringLiteral("--private") << r.id;
            if (r.downloads || r.likes)
                args << QStringLiteral("--popularity")
                     << QStringLiteral("%1=%2:%3").arg(r.id).arg(r.downloads).arg(r.likes);
        }
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        const quint16 port = m_port;
        return m_process.start(node.isEmpty() ? QStringLiteral("node") : node, args,
                               [port] { return PeerProcess::portAccepts(port); });
    }
    QString errorString() const { return m_process.errorString(); }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    PeerProcess& process() { return m_process; }

    QJsonObject stats() { return call("GET", QStringLiteral("/_stats"), {}); }
    void reset() { call("POST", QStringLiteral("/_reset"), {}); }
    void faults(const QJsonObject& faults) { call("POST", QStringLiteral("/_faults"), faults); }
    qint64 cdnBytes() { return qint64(stats().value(QStringLiteral("cdnBytes")).toDouble()); }
    int requests(const QString& kind)
    {
        return stats().value(QStringLiteral("requests")).toObject().value(kind).toInt();
    }

private:
    QJsonObject call(const QByteArray& method, const QString& path, const QJsonObject& body)
    {
        return PeerProcess::jsonCall(method, endpoint() + path, body);
    }

    PeerProcess m_process;
    quint16 m_port = 0;
};

} // namespace mf::test
