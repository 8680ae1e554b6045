#pragma once

#include <QObject>
#include <QTimer>

class QTcpSocket;

namespace mf::api {

class TransferControl;

// GET /api/v1/events: the transfer queue's changes as Server-Sent Events (text/event-stream),
// so a web page or a script follows progress live. First every transfer as it is now, then one
// event per change: "transfer" ({...} as GET /transfers/{id} shows it; progress at most 5 times
// a second per transfer) and "removed" ({"id"}). A comment every 15 s keeps proxies from closing
// the stream. A client that stops reading is let go once 1 MiB of events waits for it, so it
// cannot make the server hold an unbounded backlog.
class ApiEventStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiEventStream)

public:
    ApiEventStream(TransferControl* queue, QTcpSocket* socket, QObject* parent);
    ~ApiEventStream() override = default;

    void start(bool headOnly);

private:
    void send(const QByteArray& event);

    TransferControl* m_queue;
    QTcpSocket* m_socket;
    QTimer m_keepAlive;
};

} // namespace mf::api
