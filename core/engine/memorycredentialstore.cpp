#include "memorycredentialstore.h"

#include <functional>

namespace mf {

namespace {

// Runs its operation in start() and reports from the event loop, as every CredentialJob must.
class ImmediateJob final : public CredentialJob
{
public:
    explicit ImmediateJob(std::function<Error(QJsonObject*)> work)
        : m_work(std::move(work))
    {}
    void start() override { finish(m_work(&m_secrets)); }

private:
    std::function<Error(QJsonObject*)> m_work;
};

} // namespace

CredentialJob* MemoryCredentialStore::read(const QString& key)
{
    return new ImmediateJob([this, key](QJsonObject* out) {
        const auto it = m_secrets.constFind(key);
        if (it == m_secrets.constEnd())
            return Error::make(Error::Kind::NotFound,
                               tr("No secrets are stored for this provider"));
        *out = *it;
        return Error::none();
    });
}

CredentialJob* MemoryCredentialStore::write(const QString& key, const QJsonObject& secrets)
{
    return new ImmediateJob([this, key, secrets](QJsonObject*) {
        m_secrets.insert(key, secrets);
        return Error::none();
    });
}

CredentialJob* MemoryCredentialStore::remove(const QString& key)
{
    return new ImmediateJob([this, key](QJsonObject*) {
        m_secrets.remove(key);
        return Error::none();
    });
}

QString MemoryCredentialStore::description() const
{
    return tr("memory (not saved)");
}

} // namespace mf
