#pragma once

#include "networkprovider.h"

#include <functional>
#include <memory>
#include <vector>

namespace mf {

// An operation of a network adapter written as its protocol's steps: the adapter's put(), get(),
// stat(), ... hand the job a function of the job, which runs once the secrets are loaded and a
// connection slot is free. The steps are only the protocol (which requests, what an answer
// means) and the results they record; the policy is the base's, the same for every adapter:
// retries with backoff and Retry-After, stall timeouts, bandwidth limits, redirects that never
// carry a secret to another origin (NetworkJob::send() through HttpExchange), the bound on
// requests at once, abort, and exactly one queued finished() (ProviderJob).
template <class Adapter> class StepsJob final : public NetworkJob
{
    Q_DISABLE_COPY_MOVE(StepsJob)

public:
    using Steps = std::function<void(StepsJob&)>;

    StepsJob(Adapter* adapter, Steps steps)
        : NetworkJob(adapter)
        , m_steps(std::move(steps))
    {}
    ~StepsJob() override
    {
        for (const auto& release : m_releases)
            release();
    }

    Adapter* adapter() const { return static_cast<Adapter*>(provider()); }

    using NetworkJob::complete;
    using NetworkJob::send;
    using NetworkJob::setProgressWindow;

    // The results, by operation (ProviderJob).
    void setLocator(const QString& locator) { m_locator = locator; }
    void setObjectSize(qint64 size) { m_objectSize = size; }
    void setAlreadyStored(bool stored) { m_alreadyStored = stored; }
    void setUsage(const ProviderUsage& usage) { m_usage = usage; }
    QList<StoredObject>& objects() { return m_objects; }
    void setData(const QByteArray& data) { m_data = data; }
    QList<CatalogObject>& catalogObjects() { return m_catalogObjects; }
    void setServerTime(const QDateTime& time) { m_serverTime = time; }

    // Steps that call each other hold each other (shared std::functions whose closures capture
    // the others), and nothing else would ever free them: they are emptied when the job goes,
    // finished or not (an app quitting mid-upload deletes its jobs unfinished).
    template <typename... Fn> void releaseWithJob(const std::shared_ptr<Fn>&... steps)
    {
        m_releases.push_back([steps...] { ((*steps = nullptr), ...); });
    }

protected:
    void run() override { m_steps(*this); }

private:
    Steps m_steps;
    std::vector<std::function<void()>> m_releases;
};

} // namespace mf
