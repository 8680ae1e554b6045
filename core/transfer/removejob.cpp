#include "removejob.h"

#include "temporarysweep.h"
#include "vault/vault.h"

namespace mf {

namespace {
constexpr int ParallelRemovals = 4;
}

RemoveJob::RemoveJob(Vault* vault, const QString& modelName, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_modelName(modelName)
{}

Error RemoveJob::removalRefused(const QString& modelName, const QString& writer,
                                const QString& registryError)
{
    return Error::make(Error::Kind::Fatal,
                       writer.isEmpty()
                           ? tr("“%1” was not removed: %2").arg(modelName, registryError)
                           : tr("“%1” is being floated right now by process %2; remove it when "
                                "that float is done, or after stopping it")
                                 .arg(modelName, writer));
}

void RemoveJob::doStart()
{
    Registry& registry = m_vault->registry();
    if (!m_modelName.isEmpty()) {
        const auto model = registry.modelRows().modelByName(m_modelName);
        if (!model) {
            finish(Error::make(Error::Kind::NotFound,
                               tr("There is no model named “%1”").arg(m_modelName)));
            return;
        }
        QString writer;
        if (!registry.modelRows().removeModel(model->id, m_owner, &writer)) {
            m_modelBusy = !writer.isEmpty();
            finish(removalRefused(m_modelName, writer, registry.lastError()));
            return;
        }
    }
    // Forget every chunk nothing refers to any more; the registry keeps where its copies were
    // (pending deletions) until the providers have deleted them. Passes until one frees
    // nothing: a shard is a row of its own, referenced while its chunk's row is, so the shards
    // of a chunk freed in a pass are free only in the next (one pass left them on the providers
    // until a second collect).
    const qint64 now = m_graceSecs > 0 ? m_clock() : 0;
    QSet<QString> waiting;
    for (bool freed = true; freed;) {
        freed = false;
        for (const auto& [cid, size] : registry.placementRows().orphanChunks()) {
            if (waiting.contains(cid))
                continue;
            if (m_graceSecs > 0) {
                // Another vault may be about to publish a model that uses it (a float whose
                // publish has not reached the providers yet): it waits out the grace period.
                const std::optional<qint64> since =
                    registry.placementRows().unreferencedSince(cid, now);
                if (!since || now - *since < m_graceSecs) {
                    waiting.insert(cid);
                    m_chunksWaiting++;
                    m_bytesWaiting += size;
                    m_freeAfter = qMax(m_freeAfter, since.value_or(now) + m_graceSecs);
                    continue;
                }
            }
            // Fails if a concurrent float uses it again: it is kept.
            if (registry.placementRows().removeChunk(cid)) {
                m_chunksFreed++;
                freed = true;
            }
        }
    }
    // Also the objects an earlier removal could not delete (a provider was offline).
    for (const PendingDeletion& p : registry.placementRows().pendingDeletions())
        if (!m_allowed || m_allowed->contains(p.providerId))
            m_toDelete.append(p);
    removeNext();
}

void RemoveJob::doAbort()
{
    // The registry step is done or not begun; deletions not yet made stay recorded, and the next
    // rm or collect makes them. Running deletes are stopped; their claims are released.
    m_next = int(m_toDelete.size());
    for (ProviderJob* job : findChildren<ProviderJob*>(Qt::FindDirectChildrenOnly))
        job->abort();
    if (m_sweep)
        m_sweep->abort(); // its finished() ends the job
    else if (m_running == 0)
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void RemoveJob::removeNext()
{
    if (isAborting()) {
        if (m_running == 0)
            finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    while (m_running < ParallelRemovals && m_next < m_toDelete.size()) {
        const PendingDeletion p = m_toDelete.at(m_next++);
        // Claimed in the registry first: a float that places this chunk again, in this process
        // or another, either cancels the deletion before the claim or waits until it is done.
        const PlacementRows::Store store = m_shared.contains(p.providerId)
                                               ? PlacementRows::Store::Shared
                                               : PlacementRows::Store::Own;
        switch (m_vault->registry().placementRows().claimDeletion(p.id, m_owner, store)) {
        case PlacementRows::DeletionClaim::Claimed:
            break;
        case PlacementRows::DeletionClaim::Cancelled:
            continue; // wanted again, or done by another removal
        case PlacementRows::DeletionClaim::KeptShared:
            continue; // another vault sharing the store may rely on what is there
        case PlacementRows::DeletionClaim::Busy:
            continue; // another removal is deleting it right now
        case PlacementRows::DeletionClaim::Failed:
            addWarning(tr("Chunk %1 stays on provider “%2” for now: %3")
                           .arg(p.cid, m_vault->providerName(p.providerId),
                                m_vault->registry().lastError()));
            continue;
        }
        QString why;
        const std::shared_ptr<Provider> provider = m_vault->provider(p.providerId, &why);
        if (!provider) {
            m_vault->registry().placementRows().releaseDeletion(p.id);
            addWarning(tr("Chunk %1 stays on provider “%2” for now: %3")
                           .arg(p.cid, m_vault->providerName(p.providerId), why));
            continue;
        }
        ProviderJob* job = provider->remove(p.locator);
        job->setParent(this);
        m_running++;
        connect(job, &ProviderJob::finished, this, [this, job, p] {
            job->deleteLater();
            m_running--;
            if (job->error().ok()) {
                m_bytesFreed += p.size;
                m_vault->registry().placementRows().forgetDeletion(p.id);
                Q_EMIT objectDeleted(p.providerId, p.locator);
            } else {
                m_vault->registry().placementRows().releaseDeletion(p.id);
                addWarning(
                    tr("Chunk %1 stays on provider “%2” for now (the next rm or collect tries "
                       "again): %3")
                        .arg(p.cid, m_vault->providerName(p.providerId), job->error().message));
            }
            removeNext();
        });
        job->start();
    }
    if (m_running == 0 && m_next >= m_toDelete.size())
        sweepLeftovers();
}

void RemoveJob::sweepLeftovers()
{
    if (!m_modelName.isEmpty() || isAborting()) {
        finish(isAborting() ? Error::make(Error::Kind::Cancelled, tr("Cancelled")) : Error::none());
        return;
    }
    if (m_sweep)
        return; // under way
    m_sweep = new TemporarySweep(m_vault, {}, true, this);
    connect(m_sweep, &TemporarySweep::finished, this, [this] {
        m_leftovers = m_sweep->removedCount();
        m_leftoverBytes = m_sweep->removedBytes();
        for (const QString& w : m_sweep->warnings())
            addWarning(w);
        finish(isAborting() ? Error::make(Error::Kind::Cancelled, tr("Cancelled")) : Error::none());
    });
    m_sweep->start();
}

} // namespace mf
