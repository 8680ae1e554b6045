#pragma once

#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <functional>

namespace mf::test {

// A real third-party server (IPFS node, S3 server, WebDAV server, ...) that a test starts on
// 127.0.0.1, waits for, and stops. A server that cannot start fails the test with its own
// output, so nothing is skipped silently.
class PeerProcess final
{
public:
    PeerProcess() = default;
    ~PeerProcess(); // stops the server (SIGTERM, then SIGKILL)
    PeerProcess(const PeerProcess&) = delete;
    PeerProcess& operator=(const PeerProcess&) = delete;

    // A TCP port on 127.0.0.1 that was free a moment ago.
    static quint16 freePort();
    // tests/peers/node_modules, installed by scripts/test.sh from the committed lockfile.
    static QString nodeModules();
    // Path of a program in tests/peers/node_modules/.bin.
    static QString npmBin(const QString& name);

    // Starts `program`; returns false (and sets errorString()) if it does not start or if
    // `ready` does not become true within `timeoutMs` (polled; `ready` usually connects to
    // the port) in two starts. The environment gets `extraEnv` ("NAME=value").
    bool start(const QString& program, const QStringList& arguments,
               const std::function<bool()>& ready, int timeoutMs = 30000,
               const QStringList& extraEnv = {}, const QString& workingDirectory = {});
    // SIGTERM, wait up to 10 s, then SIGKILL.
    void stop();
    // SIGKILL at once: a server that dies mid-transfer.
    void kill();
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    QString errorString() const { return m_error; }
    // Everything the server printed so far (stdout and stderr merged).
    QString output();

    // True when something accepts TCP connections on 127.0.0.1:port.
    static bool portAccepts(quint16 port);
    // True when an HTTP request (method, URL) gets any HTTP status back.
    static bool httpAnswers(const QByteArray& method, const QString& url);
    // A test server's control call: `body` sent as JSON, the JSON object it answers (empty when
    // it does not answer within 10 s).
    static QJsonObject jsonCall(const QByteArray& method, const QString& url,
                                const QJsonObject& body = {});

private:
    enum class Attempt { Ready, NotReady, Failed };
    Attempt startOnce(const QString& program, const QStringList& arguments,
                      const std::function<bool()>& ready, int timeoutMs);
    // What a process is doing, from /proc: its state, CPU time, threads and where it waits.
    static QString processState(qint64 pid);

    QProcess m_process;
    QByteArray m_output;
    QString m_error;
};

} // namespace mf::test
