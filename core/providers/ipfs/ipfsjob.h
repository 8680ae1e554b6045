#pragma once

// The job shared by the files that implement IpfsProvider.

#include "ipfsprovider.h"

namespace mf {

// One operation: the provider's methods give it the protocol steps as a function of the job.
class IpfsJob final : public NetworkJob
{
public:
    using Steps = std::function<void(IpfsJob&)>;
    IpfsJob(IpfsProvider* provider, Steps steps)
        : NetworkJob(provider)
        , m_steps(std::move(steps))
    {}

    using NetworkJob::complete;
    using NetworkJob::send;

    void setLocator(const QString& locator) { m_locator = locator; }
    void setObjectSize(qint64 size) { m_objectSize = size; }
    void setAlreadyStored(bool stored) { m_alreadyStored = stored; }
    void setUsage(const ProviderUsage& usage) { m_usage = usage; }
    QList<StoredObject>& objects() { return m_objects; }
    void setData(const QByteArray& data) { m_data = data; }
    QList<CatalogObject>& catalogObjects() { return m_catalogObjects; }

protected:
    void run() override { m_steps(*this); }

private:
    Steps m_steps;
};

} // namespace mf
