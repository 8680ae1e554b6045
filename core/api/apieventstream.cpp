#include "apieventstream.h"

#include "apiresponse.h"
#include "transfercontrol.h"
#include "transferresources.h"

#include <QTcpSocket>

namespace mf::api {

namespace {
constexpr int KeepAliveMs = 15'000;
constexpr qint64 MaxBacklogBytes = 1024 * 1024;
} // namespace

ApiEventStream::ApiEventStream(TransferControl* queue, QTcpSocket* socket, QObject* parent)
    : QObject(parent)
    , m_queue(queue)
    , m_socket(socket)
{
    m_keepAlive.setInterval(KeepAliveMs);
    connect(&m_keepAlive, &QTimer::timeout, this, [this] { send(": keep-alive\n\n"); });
}

void ApiEventStream::start(bool headOnly)
{
    ApiResponse r;
    r.addHeader({"Content-Type", "text/event-stream"});
    // No Content-Length: the stream lasts until either side closes the connection.
    m_socket->write(r.head(ApiResponse::NoLength));
    if (headOnly) {
        m_socket->disconnectFromHost();
        return;
    }
    send("retry: 2000\n\n");
    for (const TransferInfo& info : m_queue->transferList())
        send(serverSentEvent("transfer", transferJson(info)));
    TransferEvents* events = m_queue->transferEvents();
    connect(events, &TransferEvents::transferUpdated, this, [this](const TransferInfo& info) {
        send(serverSentEvent("transfer", transferJson(info)));
    });
    connect(events, &TransferEvents::transferRemoved, this, [this](qint64 id) {
        send(serverSentEvent("removed", {{QStringLiteral("id"), id}}));
    });
    m_keepAlive.start();
}

void ApiEventStream::send(const QByteArray& event)
{
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (m_socket->bytesToWrite() > MaxBacklogBytes) {
        qWarning("API: an event stream's client stopped reading; it is let go");
        m_socket->abort(); // the connection ends with it
        return;
    }
    m_socket->write(event);
}

} // namespace mf::api
