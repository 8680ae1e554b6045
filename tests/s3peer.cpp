#include "s3peer.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QTest>

namespace mf::test {

S3Peer::S3Peer() = default;

S3Peer::~S3Peer()
{
    m_proxy.stop();
    m_server.stop();
}

bool S3Peer::startServer()
{
    const quint16 port = m_serverPort;
    if (!m_server.start(PeerProcess::npmBin(QStringLiteral("s3rver")),
                        {QStringLiteral("-d"), m_dir.filePath(QStringLiteral("data")),
                         QStringLiteral("-a"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                         QString::number(port), QStringLiteral("--configure-bucket"),
                         QString::fromLatin1(Bucket), QStringLiteral("--silent")},
                        [port] { return PeerProcess::portAccepts(port); }, 30000,
                        // s3rver's continuation tokens use DES, which OpenSSL 3 keeps in its
                        // legacy provider: without it every truncated listing fails with 500.
                        {QStringLiteral("NODE_OPTIONS=--openssl-legacy-provider")})) {
        m_error = m_server.errorString();
        return false;
    }
    return true;
}

bool S3Peer::start()
{
    if (!m_dir.isValid()) {
        m_error = QStringLiteral("no temporary folder");
        return false;
    }
    QDir().mkpath(m_dir.filePath(QStringLiteral("data")));
    m_serverPort = PeerProcess::freePort();
    if (!startServer())
        return false;
    m_proxyPort = PeerProcess::freePort();
    if (!m_proxy.start(
            QStringLiteral("node"),
            {PeerProcess::nodeModules() + QStringLiteral("/../s3-sigv4-proxy.js"),
             QStringLiteral("--port"), QString::number(m_proxyPort), QStringLiteral("--upstream"),
             QString::number(m_serverPort), QStringLiteral("--access-key"),
             QString::fromLatin1(AccessKey), QStringLiteral("--secret"),
             QString::fromLatin1(Secret), QStringLiteral("--extra-key"),
             QString::fromLatin1(OtherAccessKey) + QLatin1Char(':') +
                 QString::fromLatin1(OtherSecret),
             QStringLiteral("--require-signed-payload")},
            [this] { return m_proxy.output().contains(QLatin1String("listening")); }, 30000, {},
            PeerProcess::nodeModules() + QStringLiteral("/.."))) {
        m_error = m_proxy.errorString();
        return false;
    }
    clearLog();
    return true;
}

void S3Peer::killServer()
{
    m_server.kill();
}

bool S3Peer::restartServer()
{
    dropUnfinishedPuts();
    return startServer();
}

void S3Peer::dropUnfinishedPuts()
{
    // s3rver keeps key K as "K._S3rver_object", "K._S3rver_object.md5" and
    // "K._S3rver_metadata.json", written in that order.
    const QLatin1String object("._S3rver_object");
    const QLatin1String metadata("._S3rver_metadata.json");
    QDirIterator it(m_dir.filePath(QStringLiteral("data")), QDir::Files,
                    QDirIterator::Subdirectories);
    QStringList objects;
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.endsWith(object))
            objects.append(path);
    }
    for (const QString& path : std::as_const(objects)) {
        const QString key = path.chopped(object.size());
        QFile meta(key + metadata);
        bool whole = false;
        if (meta.open(QIODevice::ReadOnly)) {
            QJsonParseError error{};
            whole = !QJsonDocument::fromJson(meta.readAll(), &error).isNull() &&
                    error.error == QJsonParseError::NoError;
            meta.close();
        }
        QFile md5(path + QStringLiteral(".md5"));
        if (!whole) {
            QFile::remove(path);
            QFile::remove(md5.fileName());
            QFile::remove(meta.fileName());
        } else if (md5.exists() && md5.size() != 32) {
            QFile::remove(md5.fileName()); // s3rver makes it again from the bytes
        }
    }
}

QString S3Peer::endpoint() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_proxyPort);
}

QString S3Peer::proxyLog()
{
    // The proxy logs a request before it answers it, but its output reaches us through a pipe
    // some time later: a request of our own, logged once all earlier ones are, marks the end.
    const QString marker = QStringLiteral("/__log-mark-%1").arg(++m_marks);
    PeerProcess::httpAnswers("GET", endpoint() + marker);
    (void)QTest::qWaitFor([this, &marker] { return m_proxy.output().contains(marker); }, 5000);
    QStringList lines;
    const QStringList all = m_proxy.output().mid(m_logStart).split(QLatin1Char('\n'));
    for (const QString& line : all)
        if (!line.contains(QLatin1String("/__log-mark-")))
            lines.append(line);
    return lines.join(QLatin1Char('\n'));
}

void S3Peer::clearLog()
{
    proxyLog(); // everything answered so far is in the output now
    m_logStart = m_proxy.output().size();
}

int S3Peer::countRequests(const QString& text)
{
    int n = 0;
    const QStringList lines = proxyLog().split(QLatin1Char('\n'));
    for (const QString& line : lines)
        if (line.startsWith(QLatin1String("sigv4-proxy: ")) && line.contains(text))
            ++n;
    return n;
}

QJsonObject S3Peer::providerSettings() const
{
    return QJsonObject{
        {QStringLiteral("endpoint"), endpoint()},
        {QStringLiteral("bucket"), QString::fromLatin1(Bucket)},
        {QStringLiteral("accessKeyId"), QString::fromLatin1(AccessKey)},
        {QStringLiteral("region"), QStringLiteral("us-east-1")},
        {QStringLiteral("addressing"), QStringLiteral("path")},
    };
}

} // namespace mf::test
