#pragma once

// A tiny HTTP/1.1 server on 127.0.0.1 for tests that must see exactly what a client sent: it
// records every request's head and answers with a whole response of the test's choosing.

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QTcpServer>
#include <QTcpSocket>

#include <functional>
#include <memory>

namespace mf::test {

// Records each request's head and answers it with `answer(path)` (a whole response, which
// closes the connection). Request bodies are read and dropped.
class RecordingServer final : public QObject
{
    Q_DISABLE_COPY_MOVE(RecordingServer)

public:
    using Answer = std::function<QByteArray(const QByteArray& path)>;

    explicit RecordingServer(Answer answer, QObject* parent = nullptr)
        : QObject(parent)
        , m_answer(std::move(answer))
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection())
                serve(socket);
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    quint16 port() const { return m_server.serverPort(); }
    QString origin() const { return QStringLiteral("http://127.0.0.1:%1").arg(port()); }
    // Every request head received so far (request line and header lines).
    const QList<QByteArray>& heads() const { return m_heads; }
    bool sawHeader(const QByteArray& name) const
    {
        for (const QByteArray& head : m_heads)
            for (const QByteArray& line : head.split('\n'))
                if (line.trimmed().toLower().startsWith(QByteArray(name.toLower() + ':')))
                    return true;
        return false;
    }

private:
    void serve(QTcpSocket* socket)
    {
        socket->setParent(this);
        auto buffer = std::make_shared<QByteArray>();
        auto bodyLeft = std::make_shared<qint64>(-1);
        auto path = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer, bodyLeft, path] {
            *buffer += socket->readAll();
            if (*bodyLeft < 0) {
                const int end = int(buffer->indexOf("\r\n\r\n"));
                if (end < 0)
                    return;
                const QByteArray head = buffer->left(end);
                m_heads.append(head);
                *bodyLeft = 0;
                for (const QByteArray& line : head.split('\n'))
                    if (line.toLower().startsWith("content-length:"))
                        *bodyLeft = line.mid(15).trimmed().toLongLong();
                buffer->remove(0, end + 4);
                *path = head.split(' ').value(1);
            }
            *bodyLeft -= buffer->size();
            buffer->clear();
            if (*bodyLeft > 0)
                return;
            socket->write(m_answer(*path));
            socket->disconnectFromHost();
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }

    QTcpServer m_server;
    Answer m_answer;
    QList<QByteArray> m_heads;
};

// A whole HTTP/1.1 response that closes its connection.
inline QByteArray httpResponse(const QByteArray& status, const QByteArray& headers = {},
                               const QByteArray& body = {})
{
    return "HTTP/1.1 " + status + "\r\n" + headers +
           "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
}

} // namespace mf::test
