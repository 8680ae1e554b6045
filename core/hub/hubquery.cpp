#include "hubquery.h"

#include "hubclient.h"
#include "providers/network/httpexchange.h"

namespace mf {

HubQuery::HubQuery(HubClient* client, QObject* parent)
    : QObject(parent)
    , m_client(client)
{}

HubQuery::~HubQuery()
{
    delete m_exchange.data();
}

HttpExchange* HubQuery::exchange(const QUrl& url, const QString& what, const QString& repoId,
                                 qint64 maxBytes)
{
    HttpExchange* e = m_client->jsonExchange(url, what, repoId, maxBytes, this);
    track(e);
    return e;
}

void HubQuery::track(HttpExchange* exchange)
{
    m_exchange = exchange;
}

HttpExchange* HubQuery::tracked() const
{
    return m_exchange.data();
}

void HubQuery::abort()
{
    if (m_exchange)
        m_exchange->abort(); // its finished() ends the query as cancelled
    else
        complete(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void HubQuery::complete(const Error& error)
{
    if (m_done)
        return;
    m_done = true;
    m_error = error;
    Q_EMIT finished();
}

} // namespace mf
