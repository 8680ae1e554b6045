#pragma once

// The job and the request helpers shared by the files that implement WebDavProvider.

#include "webdavprovider.h"

namespace mf {

// One operation: the provider's methods give it the protocol steps as a function of the job.
class WebDavJob final : public NetworkJob
{
public:
    using Steps = std::function<void(WebDavJob&)>;
    WebDavJob(WebDavProvider* provider, Steps steps)
        : NetworkJob(provider)
        , m_steps(std::move(steps))
    {}

    using NetworkJob::complete;
    using NetworkJob::send;
    WebDavProvider* dav() const { return static_cast<WebDavProvider*>(provider()); }

    void setLocator(const QString& locator) { m_locator = locator; }
    void setObjectSize(qint64 size) { m_objectSize = size; }
    void setAlreadyStored(bool stored) { m_alreadyStored = stored; }
    void setUsage(const ProviderUsage& usage) { m_usage = usage; }
    QList<StoredObject>& objects() { return m_objects; }
    void setData(const QByteArray& data) { m_data = data; }
    QList<CatalogObject>& catalogObjects() { return m_catalogObjects; }
    void setServerTime(const QDateTime& time) { m_serverTime = time; }

protected:
    void run() override { m_steps(*this); }

private:
    Steps m_steps;
};

// `r` as a PROPFIND of `depth` (never the default "infinity") asking for `body`'s properties.
HttpExchange::Request withPropfind(HttpExchange::Request r, int depth, const QByteArray& body);

} // namespace mf
