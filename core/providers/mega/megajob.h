#pragma once

#include "megaprovider.h"

namespace mf {

// One operation of a MegaProvider: the provider's methods give it the protocol steps as a
// function of the job (as WebDavJob does). Commands sent through command() reach their callback
// only while the job is still running.
class MegaJob final : public NetworkJob
{
public:
    using Steps = std::function<void(MegaJob&)>;
    MegaJob(MegaProvider* provider, Steps steps)
        : NetworkJob(provider)
        , m_steps(std::move(steps))
    {}

    using NetworkJob::complete;
    using NetworkJob::send;
    using NetworkJob::setProgressWindow;
    MegaProvider* mega() const { return static_cast<MegaProvider*>(provider()); }

    void command(const QJsonObject& cmd, std::function<void(const mega::Reply&)> then)
    {
        mega()->api()->call(this, cmd, [this, then = std::move(then)](const mega::Reply& r) {
            if (!isFinished())
                then(r);
        });
    }

    void setLocator(const QString& locator) { m_locator = locator; }
    void setObjectSize(qint64 size) { m_objectSize = size; }
    void setAlreadyStored(bool stored) { m_alreadyStored = stored; }
    void setUsage(const ProviderUsage& usage) { m_usage = usage; }
    QList<StoredObject>& objects() { return m_objects; }

protected:
    void run() override { m_steps(*this); }

private:
    Steps m_steps;
};

} // namespace mf
