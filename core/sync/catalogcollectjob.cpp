#include "catalogcollectjob.h"

#include "cataloglease.h"
#include "catalogpublishjob.h"
#include "catalogsyncjob.h"
#include "transfer/removejob.h"
#include "vault/vault.h"

#include <QDateTime>

#include <memory>

namespace mf {

const QString CatalogCollectJob::GraceSetting = QStringLiteral("catalog.grace_secs");

qint64 CatalogCollectJob::syncSecs(Vault* vault)
{
    bool ok = false;
    const qint64 v =
        vault->registry().settings().setting(QStringLiteral("catalog.sync_secs")).toLongLong(&ok);
    return ok && v >= 0 ? v : DefaultSyncSecs;
}

qint64 CatalogCollectJob::graceSecs(Vault* vault)
{
    bool ok = false;
    const qint64 v = vault->registry().settings().setting(GraceSetting).toLongLong(&ok);
    return ok && v >= 0 ? v : qMax(DefaultGraceSecs, minGraceSecs(vault));
}

CatalogCollectJob::CatalogCollectJob(Vault* vault, const QString& modelName, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_modelName(modelName)
    , m_clock([] { return QDateTime::currentSecsSinceEpoch(); })
{
    m_lapseTimer.setInterval(1000);
    connect(&m_lapseTimer, &QTimer::timeout, this, [this] {
        // A claim that may have expired on a provider (renewals failing, or this process was
        // stopped): a float elsewhere may have started; stop deleting.
        if (m_lease && m_lease->lapsing() && m_remove) {
            addWarning(tr("The collection stopped: its claim on the providers could not be "
                          "renewed in time"));
            m_remove->abort();
        }
    });
}

CatalogCollectJob::~CatalogCollectJob() = default;

int CatalogCollectJob::chunksFreed() const
{
    return (m_remove ? m_remove->chunksFreed() : 0) + int(m_sweptChunks.size());
}

qint64 CatalogCollectJob::bytesFreed() const
{
    return (m_remove ? m_remove->bytesFreed() : 0) + m_sweptBytes;
}

int CatalogCollectJob::chunksWaiting() const
{
    return (m_remove ? m_remove->chunksWaiting() : 0) + int(m_waitingChunks.size());
}

qint64 CatalogCollectJob::bytesWaiting() const
{
    return (m_remove ? m_remove->bytesWaiting() : 0) + m_waitingBytes;
}

qint64 CatalogCollectJob::freeAfter() const
{
    return qMax(m_remove ? m_remove->freeAfter() : 0, m_freeAfter);
}

int CatalogCollectJob::leftoversRemoved() const
{
    return m_remove ? m_remove->leftoversRemoved() : 0;
}

qint64 CatalogCollectJob::leftoverBytesRemoved() const
{
    return m_remove ? m_remove->leftoverBytesRemoved() : 0;
}

void CatalogCollectJob::doStart()
{
    m_graceSecs = graceSecs(m_vault);
    Registry& registry = m_vault->registry();
    if (!m_modelName.isEmpty()) {
        const auto model = registry.modelRows().modelByName(m_modelName);
        if (!model) {
            finish(Error::make(Error::Kind::NotFound,
                               tr("There is no model named “%1”").arg(m_modelName)));
            return;
        }
        QString writer;
        if (!registry.modelRows().removeModel(model->id, leaseowner::newLeaseOwner(), &writer)) {
            m_modelBusy = !writer.isEmpty();
            finish(RemoveJob::removalRefused(m_modelName, writer, registry.lastError()));
            return;
        }
    }
    publish();
}

void CatalogCollectJob::publish()
{
    // The removal reaches the catalog before anything it freed is deleted.
    auto* job = new CatalogPublishJob(m_vault, this);
    m_step = job;
    connect(job, &TransferJob::warning, this, &CatalogCollectJob::addWarning);
    connect(job, &TransferJob::finished, this, [this, job] {
        job->deleteLater();
        if (isAborting())
            return;
        if (!job->error().ok())
            addWarning(job->error().message);
        claim();
    });
    job->start();
}

void CatalogCollectJob::claim()
{
    m_lease = new CatalogLease(m_vault, CatalogLease::Kind::Collect,
                               m_modelName.isEmpty() ? tr("collect") : m_modelName, this);
    connect(m_lease, &CatalogLease::warning, this, &CatalogCollectJob::addWarning);
    connect(m_lease, &CatalogLease::released, this, &CatalogCollectJob::end);
    connect(m_lease, &CatalogLease::ready, this, [this] {
        if (isAborting())
            return;
        const QHash<qint64, QStringList>& busy = m_lease->conflicts();
        for (auto it = busy.begin(); it != busy.end(); ++it) {
            m_deferred.insert(it.key());
            const QString why =
                tr("provider “%1” is left alone this time: %2 may rely on any of "
                   "its chunks")
                    .arg(m_vault->providerName(it.key()), it.value().join(tr(", ")));
            m_deferredWhy.append(why);
            addWarning(why);
        }
        sync();
    });
    m_lease->acquire();
}

void CatalogCollectJob::sync()
{
    auto* job = new CatalogSyncJob(m_vault, this);
    m_step = job;
    connect(job, &TransferJob::warning, this, &CatalogCollectJob::addWarning);
    connect(job, &TransferJob::finished, this, [this, job] {
        job->deleteLater();
        if (isAborting())
            return;
        m_providers = CatalogProviders::of(m_vault);
        const QList<qint64> read = job->providersRead();
        // Where another vault's catalog is, or it cannot be told (none could be read there,
        // or the kind keeps no catalog): another vault may keep its own copies there.
        m_shared = job->sharedProviders();
        for (const CatalogProviders::Entry& p : std::as_const(m_providers.usable))
            if (!read.contains(p.id))
                m_shared.insert(p.id);
        for (const CatalogProviders::Entry& p : std::as_const(m_providers.withoutCatalog))
            m_shared.insert(p.id);
        if (!job->inSync()) {
            // Some vault's catalog is not all here: a chunk this registry does not know may be
            // one of its models'. Stores shared with other vaults (or that could not be read)
            // are left alone.
            const QSet<qint64> shared = job->sharedProviders();
            for (const CatalogProviders::Entry& p : std::as_const(m_providers.usable)) {
                if ((shared.contains(p.id) || !read.contains(p.id)) && !m_deferred.contains(p.id)) {
                    m_deferred.insert(p.id);
                    const QString why =
                        tr("provider “%1” is left alone this time: the catalog of every vault "
                           "sharing it could not be read")
                            .arg(p.name);
                    m_deferredWhy.append(why);
                    addWarning(why);
                }
            }
        }
        sweep();
    });
    job->start();
}

void CatalogCollectJob::sweep()
{
    QList<CatalogProviders::Entry> sweepable;
    m_sweptEverywhere = m_providers.unusable.isEmpty();
    for (const CatalogProviders::Entry& p : std::as_const(m_providers.usable)) {
        if (!p.provider->listsOnlyOwnObjects())
            continue;
        if (!m_deferred.contains(p.id) && m_lease->held().contains(p.id))
            sweepable.append(p);
        else
            m_sweptEverywhere = false;
    }
    m_calls.fanOut(
        sweepable, [](const CatalogProviders::Entry& p) { return p.provider->list(); },
        [this](const CatalogProviders::Entry& p, ProviderJob& job) {
            if (!job.error().ok()) {
                addWarning(tr("The chunks on provider “%1” could not be listed: %2")
                               .arg(p.name, job.error().message));
                m_sweptEverywhere = false;
                return;
            }
            // Each object looked up on its own: the work follows what the provider holds, and
            // the vault's chunks are never all read into memory (a million in a big vault).
            Registry& registry = m_vault->registry();
            const qint64 now = m_graceSecs > 0 ? m_clock() : 0;
            for (const StoredObject& o : job.objects()) {
                if (o.cid.isEmpty() || registry.placementRows().chunkSize(o.cid))
                    continue;
                if (m_graceSecs > 0) {
                    // A float elsewhere whose publish has not reached us yet may name it: it
                    // waits out the grace period, counted from when this vault first saw it.
                    m_seenUnknown.insert(o.cid);
                    const std::optional<qint64> since =
                        registry.placementRows().unreferencedSince(o.cid, now);
                    if (!since || now - *since < m_graceSecs) {
                        m_waitingChunks.insert(o.cid);
                        m_waitingBytes += qMax<qint64>(0, o.size);
                        m_freeAfter = qMax(m_freeAfter, since.value_or(now) + m_graceSecs);
                        continue;
                    }
                }
                // Counted once deleted (deleteObjects()), not now: the deletion may fail, or
                // be cancelled by a float that places the chunk again.
                if (registry.placementRows().queueSweepDeletion(p.id, o.cid, o.locator, o.size))
                    m_sweepQueued.insert({p.id, o.locator}, {o.cid, qMax<qint64>(0, o.size)});
            }
        },
        [this] {
            if (m_graceSecs > 0 && m_sweptEverywhere)
                m_vault->registry().placementRows().forgetUnreferencedExcept(m_seenUnknown);
            deleteObjects();
        });
}

void CatalogCollectJob::deleteObjects()
{
    if (m_lease->lapsing()) {
        release(Error::make(Error::Kind::Fatal,
                            tr("Nothing was deleted: the collection's claim on the providers "
                               "could not be kept up")));
        return;
    }
    QSet<qint64> allowed;
    for (const qint64 id : m_lease->held())
        if (!m_deferred.contains(id))
            allowed.insert(id);
    // Providers that keep no catalog carry no leases either: their deletions are made only when
    // nothing says another vault may be floating (no provider was left alone).
    if (m_deferred.isEmpty()) {
        for (const CatalogProviders::Entry& p : std::as_const(m_providers.withoutCatalog))
            allowed.insert(p.id);
    } else if (!m_providers.withoutCatalog.isEmpty()) {
        const QString why = tr("%1 left alone this time: no lease can be kept there, and another "
                               "vault may rely on its chunks")
                                .arg(m_providers.withoutCatalogNames());
        m_deferredWhy.append(why);
        addWarning(why);
    }
    m_remove = new RemoveJob(m_vault, QString(), this);
    m_remove->setAllowedProviders(allowed);
    m_remove->setSharedProviders(m_shared);
    m_remove->setGrace(m_graceSecs, m_clock);
    m_step = m_remove;
    connect(m_remove, &TransferJob::warning, this, &CatalogCollectJob::addWarning);
    connect(m_remove, &RemoveJob::objectDeleted, this,
            [this](qint64 providerId, const QString& locator) {
                const auto it = m_sweepQueued.constFind({providerId, locator});
                if (it == m_sweepQueued.constEnd())
                    return; // one of this registry's deletions: RemoveJob counts it
                ++m_swept;
                m_sweptBytes += it->second;
                m_sweptChunks.insert(it->first);
            });
    connect(m_remove, &TransferJob::finished, this, [this] {
        m_lapseTimer.stop();
        release(m_remove->error());
    });
    m_lapseTimer.start();
    m_remove->start();
}

void CatalogCollectJob::release(const Error& error)
{
    if (m_firstError.ok())
        m_firstError = error;
    if (m_lease)
        m_lease->release(); // end() follows released()
    else
        end();
}

void CatalogCollectJob::doAbort()
{
    m_calls.abort();
    if (m_step)
        m_step->abort();
    release(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void CatalogCollectJob::end()
{
    finish(m_firstError);
}

} // namespace mf
