#include "peerprocess.h"
#include "testsupport.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <csignal>
#include <memory>
#include <unistd.h>

namespace mf::test {

PeerProcess::~PeerProcess()
{
    stop();
}

quint16 PeerProcess::freePort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

QString PeerProcess::nodeModules()
{
    return QString(mf::test::testsSourceDir() + QStringLiteral("/peers/node_modules"));
}

QString PeerProcess::npmBin(const QString& name)
{
    return nodeModules() + QStringLiteral("/.bin/") + name;
}

bool PeerProcess::start(const QString& program, const QStringList& arguments,
                        const std::function<bool()>& ready, int timeoutMs,
                        const QStringList& extraEnv, const QString& workingDirectory)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    QStringList env = QProcess::systemEnvironment();
    env += extraEnv;
    m_process.setEnvironment(env);
    if (!workingDirectory.isEmpty())
        m_process.setWorkingDirectory(workingDirectory);
    // A server that neither answers nor exits within the timeout gets one more start: once, on
    // a loaded machine, a node server stayed silent for a whole minute although it starts in
    // about a second. The first try's state is kept in the log, and the second must succeed.
    for (int attempt = 1;; ++attempt) {
        const Attempt outcome = startOnce(program, arguments, ready, timeoutMs);
        if (outcome != Attempt::NotReady || attempt == 2)
            return outcome == Attempt::Ready;
        qWarning("%s: starting it once more", qPrintable(m_error));
        kill();
    }
}

PeerProcess::Attempt PeerProcess::startOnce(const QString& program, const QStringList& arguments,
                                            const std::function<bool()>& ready, int timeoutMs)
{
    m_output.clear();
    m_process.start(program, arguments);
    if (!m_process.waitForStarted(10000)) {
        m_error = QStringLiteral("%1 did not start: %2").arg(program, m_process.errorString());
        return Attempt::Failed;
    }
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (m_process.state() == QProcess::NotRunning) {
            m_error = QStringLiteral("%1 exited with code %2 before it was ready:\n%3")
                          .arg(program)
                          .arg(m_process.exitCode())
                          .arg(output());
            return Attempt::Failed;
        }
        if (ready())
            return Attempt::Ready;
        QTest::qWait(100);
    }
    m_error = QStringLiteral("%1 was not ready after %2 ms (%3):\n%4")
                  .arg(program)
                  .arg(timeoutMs)
                  .arg(processState(m_process.processId()), output());
    return Attempt::NotReady;
}

QString PeerProcess::processState(qint64 pid)
{
    // /proc/PID/stat: "pid (comm) state ... utime stime ... num_threads ..."; the name may hold
    // spaces, so the fields are counted from the last ')'.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    QFile wchan(QStringLiteral("/proc/%1/wchan").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return QStringLiteral("process %1 is gone").arg(pid);
    const QByteArray line = stat.readAll();
    const QList<QByteArray> f = line.mid(line.lastIndexOf(')') + 2).split(' ');
    if (f.size() < 18)
        return QStringLiteral("process %1: unreadable /proc stat").arg(pid);
    const double tick = double(sysconf(_SC_CLK_TCK));
    const QByteArray waitingIn = wchan.open(QIODevice::ReadOnly) ? wchan.readAll() : "?";
    return QStringLiteral("process %1: state %2, %3 s user and %4 s system CPU, %5 threads, "
                          "waiting in %6")
        .arg(pid)
        .arg(QString::fromLatin1(f[0]))
        .arg(f[11].toLongLong() / tick, 0, 'f', 2)
        .arg(f[12].toLongLong() / tick, 0, 'f', 2)
        .arg(QString::fromLatin1(f[17]))
        .arg(QString::fromLatin1(waitingIn));
}

void PeerProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(10000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void PeerProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(5000);
}

QString PeerProcess::output()
{
    m_output += m_process.readAll();
    return QString::fromLocal8Bit(m_output);
}

bool PeerProcess::portAccepts(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    return socket.waitForConnected(500);
}

bool PeerProcess::httpAnswers(const QByteArray& method, const QString& url)
{
    QNetworkAccessManager network;
    QNetworkRequest request{QUrl(url)};
    request.setTransferTimeout(2000);
    QNetworkReply* reply = network.sendCustomRequest(request, method);
    const bool done = QTest::qWaitFor([reply] { return reply->isFinished(); }, 3000);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->abort();
    delete reply;
    return done && status > 0;
}

QJsonObject PeerProcess::jsonCall(const QByteArray& method, const QString& url,
                                  const QJsonObject& body)
{
    QNetworkAccessManager network;
    QNetworkRequest request{QUrl(url)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    std::unique_ptr<QNetworkReply> reply(network.sendCustomRequest(
        request, method, QJsonDocument(body).toJson(QJsonDocument::Compact)));
    if (!QTest::qWaitFor([&reply] { return reply->isFinished(); }, 10000))
        return {};
    return QJsonDocument::fromJson(reply->readAll()).object();
}

} // namespace mf::test
