#include "catalogguard.h"

#include "cataloglease.h"
#include "catalogpublishjob.h"
#include "catalogsyncjob.h"
#include "vault/vault.h"

namespace mf {

CatalogGuard::CatalogGuard(Vault* vault, TransferJob* inner, const QString& what, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_inner(inner)
    , m_lease(new CatalogLease(vault, CatalogLease::Kind::Float, what, this))
{
    m_inner->setParent(this);
    connect(m_inner, &TransferJob::progress, this, &TransferJob::progress);
    connect(m_inner, &TransferJob::warning, this, &CatalogGuard::addWarning);
    connect(m_inner, &TransferJob::finished, this, &CatalogGuard::publish);
    connect(m_lease, &CatalogLease::warning, this, &CatalogGuard::addWarning);
    connect(m_lease, &CatalogLease::ready, this, &CatalogGuard::onLeaseReady);
    connect(m_lease, &CatalogLease::released, this, &CatalogGuard::end);
    m_waitTimer.setSingleShot(true);
    // Rechecks while another vault collects: often enough for short test leases, seldom enough
    // for real ones.
    m_waitTimer.setInterval(
        int(qBound<qint64>(qint64(500), m_lease->ttlSecs() * 100, qint64(5000))));
    connect(&m_waitTimer, &QTimer::timeout, m_lease, &CatalogLease::recheck);
}

CatalogGuard::~CatalogGuard() = default;

void CatalogGuard::doStart()
{
    m_lease->acquire();
}

void CatalogGuard::onLeaseReady()
{
    if (isAborting() || m_innerStarted)
        return;
    if (!m_lease->conflicts().isEmpty()) {
        if (!m_toldWaiting) {
            QStringList who;
            for (const QStringList& c : m_lease->conflicts())
                who += c;
            who.removeDuplicates();
            addWarning(tr("Waiting for %1 to end before floating").arg(who.join(tr(", "))));
            m_toldWaiting = true;
        }
        m_waitTimer.start();
        return;
    }
    sync();
}

void CatalogGuard::sync()
{
    auto* job = new CatalogSyncJob(m_vault, this);
    m_step = job;
    connect(job, &TransferJob::warning, this, &CatalogGuard::addWarning);
    connect(job, &TransferJob::finished, this, [this, job] {
        job->deleteLater();
        if (isAborting())
            return;
        if (!job->error().ok())
            addWarning(
                tr("The catalog could not be read before floating: %1").arg(job->error().message));
        runInner();
    });
    job->start();
}

void CatalogGuard::runInner()
{
    m_modelsBefore = m_vault->registry().modelRows().modelIds();
    m_innerStarted = true;
    m_inner->start();
    Q_EMIT innerStarted();
}

void CatalogGuard::publish()
{
    // A degraded float stays one through its guard (the engine shows "Degraded", never "Done").
    if (m_inner->degraded())
        markDegraded();
    // Whatever the inner job did (a failed float may still have completed files of a model
    // another run finishes): the catalog gets what is complete, then the lease goes.
    auto* job = new CatalogPublishJob(m_vault, this);
    // Models made while this lease was live: no other vault collected their chunks. A model
    // that existed before (a resumed float) may have lost some while it had no lease.
    QSet<qint64> made = m_vault->registry().modelRows().modelIds();
    made.subtract(m_modelsBefore);
    job->setTrusted(made);
    // What this publish is to carry: if it does not get there, these are checked again.
    QSet<qint64> carried = made;
    for (const CatalogRows::CatalogChange& c : m_vault->registry().catalogRows().catalogChanges())
        carried.insert(c.modelId);
    m_step = job;
    connect(job, &TransferJob::warning, this, &CatalogGuard::addWarning);
    connect(job, &TransferJob::finished, this, [this, job, made, carried] {
        job->deleteLater();
        if (!job->error().ok() && job->error().kind != Error::Kind::Cancelled)
            addWarning(job->error().message);
        if (published(*job, made)) {
            m_lease->release();
            return;
        }
        // Released now, the lease would let another vault's collection delete chunks that only
        // this vault's unpublished catalog names (a laptop that went offline before its publish
        // reached the providers). It stays and runs out by itself; the next publish (`vault
        // sync`, the app's catalog sync, the next float) tries again and, since it cannot tell
        // how long the lease outlived it, checks every chunk of these models first.
        CatalogPublishJob::addToRecheck(m_vault, carried);
        m_publishFailed = true;
        addWarning(tr("The catalog could not be published: the float's lease stays on the "
                      "providers, and the next sync publishes it"));
        m_lease->keep();
    });
    job->start();
}

bool CatalogGuard::published(const CatalogPublishJob& job, const QSet<qint64>& made) const
{
    if (!job.error().ok())
        return false;
    if (job.seq() == 0)
        return true; // nothing was ever published: nothing to carry
    // Every provider the lease holds has the state, and nothing this job made is left out.
    Registry& registry = m_vault->registry();
    const QList<qint64> current = job.providersCurrent();
    for (const qint64 id : m_lease->held())
        if (!current.contains(id))
            return false;
    for (const CatalogRows::CatalogChange& c : registry.catalogRows().catalogChanges())
        if (made.contains(c.modelId))
            return false;
    return true;
}

void CatalogGuard::doAbort()
{
    if (m_innerStarted) {
        // The inner job ends with Cancelled; the catalog still gets what it completed.
        m_inner->abort();
        return;
    }
    m_waitTimer.stop();
    if (m_step)
        m_step->abort();
    m_lease->release();
}

void CatalogGuard::end()
{
    // The inner job's end once it ran (it never starts after an abort); before, the guard's own.
    if (m_innerStarted)
        finish(m_inner->error());
    else
        finish(isAborting() ? Error::make(Error::Kind::Cancelled, tr("Cancelled")) : Error::none());
}

} // namespace mf
