#pragma once

// A real IPFS node for the tests: js-ipfs 0.66 (npm `ipfs`, in tests/peers) run as
// `jsipfs daemon --offline` in a fresh repository on free 127.0.0.1 ports, with the two start-up
// fixes TEST-PEERS.md records for Node 20 (a Promise.withResolvers polyfill; no swarm listen
// addresses). Its RPC API is Kubo's, with the differences the adapter handles.

#include "peerprocess.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>

#include <memory>

namespace mf::test {

class IpfsPeer
{
public:
    // Makes a repository in `directory` and starts the daemon on it.
    bool start(const QString& directory)
    {
        m_repo = directory + QStringLiteral("/repo");
        m_apiPort = PeerProcess::freePort();
        m_gatewayPort = PeerProcess::freePort();
        const quint16 rpcPort = PeerProcess::freePort();
        const QString config = directory + QStringLiteral("/initcfg.json");
        const QJsonObject addresses{
            {QStringLiteral("Swarm"), QJsonArray()},
            {QStringLiteral("API"), QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(m_apiPort)},
            {QStringLiteral("Gateway"), QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(m_gatewayPort)},
            {QStringLiteral("RPC"), QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(rpcPort)},
            {QStringLiteral("Delegates"), QJsonArray()}};
        const QJsonObject cfg{
            {QStringLiteral("Addresses"), addresses},
            {QStringLiteral("Bootstrap"), QJsonArray()},
            {QStringLiteral("Discovery"),
             QJsonObject{
                 {QStringLiteral("MDNS"), QJsonObject{{QStringLiteral("Enabled"), false}}},
                 {QStringLiteral("webRTCStar"), QJsonObject{{QStringLiteral("Enabled"), false}}}}}};
        QDir().mkpath(directory);
        if (!writeFile(config, QJsonDocument(cfg).toJson())) {
            m_error = QStringLiteral("cannot write %1").arg(config);
            return false;
        }
        QString output;
        QProcess init;
        init.setProcessEnvironment(environment());
        init.setProcessChannelMode(QProcess::MergedChannels);
        init.start(jsipfs(), {QStringLiteral("init"), QStringLiteral("-e"),
                              QStringLiteral("--defaultConfig"), config});
        if (!init.waitForFinished(120000) || init.exitCode() != 0) {
            m_error =
                QStringLiteral("jsipfs init failed: ") + QString::fromLocal8Bit(init.readAll());
            return false;
        }
        return startDaemon();
    }

    // SIGKILL: a node that dies mid-transfer.
    void kill()
    {
        if (m_process)
            m_process->kill();
    }
    // Starts the daemon again on the same repository and ports.
    bool restart()
    {
        // A killed daemon leaves its lock behind (TEST-PEERS.md).
        QDir(m_repo + QStringLiteral("/repo.lock")).removeRecursively();
        QFile::remove(m_repo + QStringLiteral("/repo.lock"));
        return startDaemon();
    }

    QString apiUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_apiPort); }
    QString gatewayUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_gatewayPort); }
    QString errorString() const { return m_error; }
    QString output() { return m_process ? m_process->output() : QString(); }

    // POSTs <api>/api/v0/<command> (arguments in the URL) and returns the answer's body; `files`
    // (each a path and its bytes) go as the multipart parts `ipfs add` and `files/write` take.
    // *ok tells whether the node answered 2xx; without `ok` a failure is logged.
    QByteArray rpc(const QString& command, const QList<QPair<QString, QByteArray>>& files = {},
                   bool* ok = nullptr) const
    {
        QNetworkAccessManager network;
        QNetworkRequest request(QUrl(apiUrl() + QStringLiteral("/api/v0/") + command));
        // Not Qt's browser-like User-Agent: the node refuses those (its guard against web pages).
        request.setHeader(QNetworkRequest::UserAgentHeader, QByteArray("modelfloat-tests"));
        QByteArray payload;
        if (files.isEmpty()) {
            request.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArray("application/x-www-form-urlencoded"));
        } else {
            const QByteArray boundary = "modelfloat-tests-boundary-7f3a";
            request.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArray("multipart/form-data; boundary=" + boundary));
            for (const auto& [path, bytes] : files)
                payload += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; " +
                           "filename=\"" + QUrl::toPercentEncoding(path) +
                           "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
            payload += "--" + boundary + "--\r\n";
        }
        std::unique_ptr<QNetworkReply> reply(network.post(request, payload));
        // Waited for as long as the node runs: a big `add` on a loaded machine takes minutes, and
        // the answer comes when the node is done (the suite's own time limit ends a node that
        // hangs). A node that died answers nothing: no wait for it.
        QSignalSpy done(reply.get(), &QNetworkReply::finished);
        bool finished = !done.isEmpty();
        while (!finished && m_process && m_process->isRunning())
            finished = done.wait(1000) || !done.isEmpty();
        const QByteArray answer = reply->readAll();
        const bool good = finished && reply->error() == QNetworkReply::NoError;
        if (ok)
            *ok = good;
        else if (!good)
            qWarning("%s: %s", qPrintable(command), answer.constData());
        return answer;
    }

private:
    static QString jsipfs() { return PeerProcess::npmBin(QStringLiteral("jsipfs")); }
    QProcessEnvironment environment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("IPFS_PATH"), m_repo);
        env.insert(QStringLiteral("NODE_OPTIONS"), QStringLiteral("--require ") +
                                                       mf::test::testsSourceDir() +
                                                       QStringLiteral("/peers/withresolvers.cjs"));
        return env;
    }
    bool startDaemon()
    {
        m_process = std::make_unique<PeerProcess>();
        const QString version = apiUrl() + QStringLiteral("/api/v0/version");
        const bool ok = m_process->start(
            jsipfs(), {QStringLiteral("daemon"), QStringLiteral("--offline")},
            [version] { return PeerProcess::httpAnswers("POST", version); }, 120000,
            {QStringLiteral("IPFS_PATH=") + m_repo,
             QStringLiteral("NODE_OPTIONS=--require ") + mf::test::testsSourceDir() +
                 QStringLiteral("/peers/withresolvers.cjs")});
        if (!ok)
            m_error = m_process->errorString();
        return ok;
    }

    std::unique_ptr<PeerProcess> m_process;
    QString m_repo;
    quint16 m_apiPort = 0;
    quint16 m_gatewayPort = 0;
    QString m_error;
};

} // namespace mf::test
