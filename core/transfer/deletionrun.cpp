#include "deletionrun.h"

#include "providers/providerjob.h"
#include "vault/vault.h"

namespace mf {

namespace {
constexpr int ParallelDeletes = 4;
}

DeletionRun::DeletionRun(Vault* vault, qint64 providerId, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
{
    for (const PendingDeletion& d : m_vault->registry().placementRows().pendingDeletions())
        if (d.providerId == providerId)
            m_deletions.append(d);
}

DeletionRun::~DeletionRun()
{
    for (ProviderJob* job : findChildren<ProviderJob*>(Qt::FindDirectChildrenOnly)) {
        job->disconnect(this);
        job->abort();
    }
}

void DeletionRun::start()
{
    // Never from inside start(): a run with nothing to do ends from the event loop.
    QMetaObject::invokeMethod(this, &DeletionRun::next, Qt::QueuedConnection);
}

void DeletionRun::abort()
{
    m_aborting = true;
    for (ProviderJob* job : findChildren<ProviderJob*>(Qt::FindDirectChildrenOnly))
        job->abort();
    if (m_running == 0)
        QMetaObject::invokeMethod(this, &DeletionRun::next, Qt::QueuedConnection);
}

void DeletionRun::next()
{
    Registry& registry = m_vault->registry();
    while (!m_aborting && m_running < ParallelDeletes && m_next < m_deletions.size()) {
        const PendingDeletion d = m_deletions.at(m_next++);
        const PlacementRows::DeletionClaim claim =
            registry.placementRows().claimDeletion(d.id, m_owner, m_store);
        if (claim == PlacementRows::DeletionClaim::KeptShared)
            Q_EMIT objectLeftShared(d);
        if (claim != PlacementRows::DeletionClaim::Claimed)
            continue;
        QString why;
        const std::shared_ptr<Provider> provider = m_vault->provider(d.providerId, &why);
        if (!provider) {
            registry.placementRows().releaseDeletion(d.id);
            Q_EMIT objectKept(d, why);
            continue;
        }
        ProviderJob* job = provider->remove(d.locator);
        job->setParent(this);
        ++m_running;
        connect(job, &ProviderJob::finished, this, [this, job, d] {
            job->deleteLater();
            --m_running;
            if (job->error().ok()) {
                m_vault->registry().placementRows().forgetDeletion(d.id);
                Q_EMIT objectDeleted(d);
            } else {
                m_vault->registry().placementRows().releaseDeletion(d.id);
                if (job->error().kind != Error::Kind::Cancelled)
                    Q_EMIT objectKept(d, job->error().message);
            }
            next();
        });
        job->start();
    }
    if (m_running > 0 || m_finished || (!m_aborting && m_next < m_deletions.size()))
        return;
    m_finished = true;
    Q_EMIT finished();
}

} // namespace mf
