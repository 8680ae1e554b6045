#include "singleinstance.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QStandardPaths>

#include <unistd.h>

namespace mf::ui {

namespace {
constexpr qint64 MaxMessageBytes = 1 << 20; // a launch's file list; more is not a launch
// sockaddr_un holds a path of 107 bytes (and its NUL); "/modelfloat-<24 hex>" takes 36.
constexpr qsizetype MaxSocketDirLength = 107 - 36;
} // namespace

SingleInstance::SingleInstance(const QString& vaultDirectory, QObject* parent)
    : QObject(parent)
    , m_name(serverName(vaultDirectory))
{}

SingleInstance::~SingleInstance() = default;

QString SingleInstance::serverName(const QString& vaultDirectory)
{
    // Per user (uid) and vault; hashed, so the name is short and shows no path.
    const QByteArray key = QByteArray::number(qulonglong(::getuid())) + '\0' +
                           QDir::cleanPath(QDir(vaultDirectory).absolutePath()).toUtf8();
    const QString name =
        QStringLiteral("modelfloat-") +
        QString::fromLatin1(
            QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex().left(24));
    // In the user's runtime directory ($XDG_RUNTIME_DIR, private, emptied at logout); where it
    // is unset or unusable Qt falls back to a private /tmp/runtime-<user>. Only a path too long
    // for a socket address leaves the name bare (QLocalServer then puts it in /tmp).
    const QString runtime = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    if (runtime.isEmpty() || runtime.toLocal8Bit().size() > MaxSocketDirLength)
        return name;
    return runtime + QLatin1Char('/') + name;
}

void SingleInstance::start(const QStringList& files)
{
    m_files = files;
    m_client = new QLocalSocket(this);
    connect(m_client, &QLocalSocket::connected, this, [this] {
        const QJsonObject message{{QStringLiteral("files"), QJsonArray::fromStringList(m_files)}};
        m_client->write(QJsonDocument(message).toJson(QJsonDocument::Compact) + '\n');
    });
    // The running instance closes the connection once it has read the message.
    connect(m_client, &QLocalSocket::disconnected, this, [this] {
        if (m_decided)
            return;
        m_decided = true;
        Q_EMIT handedOff();
    });
    connect(m_client, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError e) {
        if (m_decided)
            return;
        if (e == QLocalSocket::PeerClosedError)
            return; // the instance read the message and closed: disconnected() says so
        if (e == QLocalSocket::ServerNotFoundError || e == QLocalSocket::ConnectionRefusedError ||
            e == QLocalSocket::SocketAccessError || e == QLocalSocket::SocketResourceError) {
            // Queued: the answer never comes from inside start().
            m_decided = true;
            QMetaObject::invokeMethod(this, &SingleInstance::becomePrimary, Qt::QueuedConnection);
            return;
        }
        m_decided = true;
        Q_EMIT failed(tr("Cannot reach the running ModelFloat: %1").arg(m_client->errorString()));
    });
    m_client->connectToServer(m_name);
}

void SingleInstance::becomePrimary()
{
    m_client->deleteLater();
    m_client = nullptr;
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(m_name)) {
        // A socket file left by a crashed instance (nobody answered on it): replace it.
        QLocalServer::removeServer(m_name);
        if (!m_server->listen(m_name)) {
            Q_EMIT failed(tr("Cannot listen for other launches: %1").arg(m_server->errorString()));
            return;
        }
    }
    connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::onNewConnection);
    Q_EMIT primary();
}

void SingleInstance::onNewConnection()
{
    while (QLocalSocket* socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
            if (socket->bytesAvailable() > MaxMessageBytes) {
                socket->abort();
                return;
            }
            if (!socket->canReadLine())
                return;
            const QJsonDocument doc = QJsonDocument::fromJson(socket->readLine());
            QStringList files;
            for (const QJsonValue v : doc.object().value(QStringLiteral("files")).toArray())
                if (v.isString())
                    files.append(v.toString());
            socket->disconnectFromServer();
            Q_EMIT activated(files);
        });
    }
}

} // namespace mf::ui
