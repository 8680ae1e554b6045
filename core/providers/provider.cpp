#include "provider.h"

namespace mf {

Provider::Provider(const QString& displayName, QObject* parent)
    : QObject(parent)
    , m_displayName(displayName)
{}

Provider::~Provider() = default;

namespace {
class NothingToSweep final : public ProviderJob
{
public:
    explicit NothingToSweep(QObject* parent)
        : ProviderJob(parent)
    {}

protected:
    void doStart() override { finish(Error::none()); }
    void doAbort() override {}
};
} // namespace

ProviderJob* Provider::sweepTemporaries()
{
    return new NothingToSweep(this);
}

Error Provider::notAnObjectName(const QString& locator, const QString& providerName)
{
    return Error::make(
        Error::Kind::NotFound,
        tr("“%1” is not an object name of provider “%2”").arg(locator, providerName));
}

} // namespace mf
