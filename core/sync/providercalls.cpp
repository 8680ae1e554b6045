#include "providercalls.h"

#include "vault/vault.h"

#include <memory>

namespace mf {

CatalogProviders CatalogProviders::of(Vault* vault, const QList<qint64>& only)
{
    CatalogProviders out;
    for (const ProviderRecord& r : vault->registry().providerRows().providers()) {
        if (!r.enabled || (!only.isEmpty() && !only.contains(r.id)))
            continue;
        QString why;
        if (std::shared_ptr<Provider> p = vault->provider(r.id, &why))
            (p->keepsCatalog() ? out.usable : out.withoutCatalog).append({r.id, r.name, p});
        else
            out.unusable.append(QStringLiteral("“%1”: %2").arg(r.name, why));
    }
    return out;
}

QString CatalogProviders::withoutCatalogNames() const
{
    QStringList names;
    for (const Entry& e : withoutCatalog)
        names.append(QStringLiteral("“%1” (%2)").arg(e.name, e.provider->kind()));
    return names.join(QStringLiteral(", "));
}

ProviderCalls::ProviderCalls(QObject* parent)
    : QObject(parent)
{}

ProviderCalls::~ProviderCalls()
{
    // Jobs still running are our children: aborted here, deleted with us.
    m_aborted = true;
    for (ProviderJob* job : findChildren<ProviderJob*>(Qt::FindDirectChildrenOnly))
        job->abort();
}

void ProviderCalls::call(ProviderJob* job, std::function<void(ProviderJob&)> then)
{
    job->setParent(this);
    ++m_running;
    connect(job, &ProviderJob::finished, this, [this, job, then = std::move(then)] {
        --m_running;
        job->deleteLater();
        if (!m_aborted)
            then(*job);
    });
    job->start();
}

void ProviderCalls::fanOut(const QList<CatalogProviders::Entry>& providers,
                           const std::function<ProviderJob*(const CatalogProviders::Entry&)>& make,
                           std::function<void(const CatalogProviders::Entry&, ProviderJob&)> each,
                           std::function<void()> done)
{
    if (providers.isEmpty()) {
        QMetaObject::invokeMethod(
            this,
            [this, done] {
                if (!m_aborted)
                    done();
            },
            Qt::QueuedConnection);
        return;
    }
    auto left = std::make_shared<int>(int(providers.size()));
    for (const CatalogProviders::Entry& e : providers)
        call(make(e), [e, each, done, left](ProviderJob& job) {
            each(e, job);
            if (--*left == 0)
                done();
        });
}

void ProviderCalls::abort()
{
    if (m_aborted)
        return;
    m_aborted = true;
    for (ProviderJob* job : findChildren<ProviderJob*>(Qt::FindDirectChildrenOnly))
        job->abort();
}

} // namespace mf
