#pragma once

#include "util/error.h"

#include <QObject>
#include <QPointer>

namespace mf {

class HttpExchange;
class HubClient;

// Work against the Hub that someone waits on (a repo's files, a search, a file's bytes): what its
// kinds share. It ends with exactly one finished(); abort() is safe at any time, before start()
// too. A kind asks through exchange() (a JSON question) or track()s an exchange of its own (a
// download), which the query then owns and abort() stops, and calls complete() with the outcome;
// only the first call counts.
class HubQuery : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubQuery)

public:
    ~HubQuery() override;
    void abort();
    const Error& error() const { return m_error; }

Q_SIGNALS:
    void finished();

protected:
    HubQuery(HubClient* client, QObject* parent);
    HubClient* client() const { return m_client; }
    // A JSON GET of `url` (HubClient::jsonExchange), the one in flight that abort() stops.
    HttpExchange* exchange(const QUrl& url, const QString& what, const QString& repoId,
                           qint64 maxBytes);
    // Makes `exchange` (a child of this query; null: none) the one in flight.
    void track(HttpExchange* exchange);
    HttpExchange* tracked() const;
    void complete(const Error& error);

private:
    HubClient* m_client;
    QPointer<HttpExchange> m_exchange;
    Error m_error;
    bool m_done = false;
};

} // namespace mf
