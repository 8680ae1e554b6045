#include "temporarysweep.h"

#include "fileassembler.h"
#include "providers/provider.h"
#include "vault/vault.h"

namespace mf {

TemporarySweep::TemporarySweep(Vault* vault, const QList<qint64>& providerIds, bool scratchAreas,
                               QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_providerIds(providerIds)
    , m_scratchAreas(scratchAreas)
{}

TemporarySweep::~TemporarySweep()
{
    for (ProviderJob* job : std::as_const(m_running)) {
        job->disconnect(this);
        job->abort();
        job->deleteLater();
    }
}

void TemporarySweep::start()
{
    if (m_started)
        return;
    m_started = true;
    if (m_scratchAreas)
        sweepScratchAreas();
    for (const ProviderRecord& record : m_vault->registry().providerRows().providers()) {
        if (!record.enabled || (!m_providerIds.isEmpty() && !m_providerIds.contains(record.id)))
            continue;
        QString why;
        const std::shared_ptr<Provider> provider = m_vault->provider(record.id, &why);
        if (!provider)
            continue; // its put fails too, and says why
        ProviderJob* job = provider->sweepTemporaries();
        job->setParent(this);
        m_running.append(job);
        const QString name = record.name;
        connect(job, &ProviderJob::finished, this,
                [this, job, name] { onProviderSwept(job, name); });
        job->start();
    }
    maybeFinish();
}

void TemporarySweep::abort()
{
    for (ProviderJob* job : std::as_const(m_running))
        job->abort();
    maybeFinish();
}

void TemporarySweep::sweepScratchAreas()
{
    Registry& registry = m_vault->registry();
    QList<qint64> done;
    for (const ScratchArea& area : registry.queueRows().scratchAreas()) {
        // Only this host's folders, and only once their writer is gone; what a running restore
        // writes there is its own, and a sweep never removes it anyway.
        if (!leaseowner::isProcessGone(area.owner, area.createdSecs))
            continue;
        m_result += temporaries::sweepFolder(area.folder, FileAssembler::temporaryNames(),
                                             FileAssembler::legacyTemporaryNames());
        done.append(area.id);
    }
    registry.queueRows().removeScratchAreas(done);
}

void TemporarySweep::onProviderSwept(ProviderJob* job, const QString& providerName)
{
    m_running.removeOne(job);
    job->deleteLater();
    for (const StoredObject& o : job->objects())
        m_result.removed.append({o.locator, o.size});
    if (!job->error().ok() && job->error().kind != Error::Kind::Cancelled)
        m_result.errors.append(tr("Leftovers of interrupted uploads stay on provider “%1” for "
                                  "now: %2")
                                   .arg(providerName, job->error().message));
    maybeFinish();
}

void TemporarySweep::maybeFinish()
{
    if (m_finished || !m_started || !m_running.isEmpty())
        return;
    m_finished = true;
    QMetaObject::invokeMethod(this, &TemporarySweep::finished, Qt::QueuedConnection);
}

} // namespace mf
