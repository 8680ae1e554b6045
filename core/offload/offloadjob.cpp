#include "offloadjob.h"

#include "hub/materializedcache.h"
#include "sync/repairjob.h"
#include "sync/scrubjob.h"
#include "transfer/deletionrun.h"
#include "vault/chunkcache.h"
#include "vault/thiscomputer.h"
#include "vault/vault.h"

namespace mf {

OffloadJob::OffloadJob(Vault* vault, const QString& modelName, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_modelName(modelName)
{}

OffloadJob::~OffloadJob()
{
    if (m_deletions)
        m_deletions->disconnect(this);
}

TransferProgress OffloadJob::progressNow() const
{
    if (m_repair)
        return m_repair->progressNow();
    if (m_check)
        return m_check->progressNow();
    return {};
}

void OffloadJob::doStart()
{
    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(m_modelName);
    if (!model) {
        finish(Error::make(Error::Kind::NotFound,
                           tr("There is no model named “%1”").arg(m_modelName)));
        return;
    }
    m_modelId = model->id;
    const auto local = thiscomputer::embeddedProviderId(*m_vault);
    if (!local) {
        finish(Error::make(Error::Kind::NotFound,
                           tr("This vault keeps no copies on this computer (its own local "
                              "provider was removed), so there is nothing to free")));
        return;
    }
    m_localId = *local;
    m_report.chunks = int(registry.placementRows().placementsOfModel(m_modelId).size());
    ScrubJob::Options options;
    options.intervalSecs = FreshSecs;
    options.scope.modelIds = {m_modelId};
    m_check = std::make_unique<ScrubJob>(m_vault, options);
    connect(m_check.get(), &ScrubJob::progress, this, &OffloadJob::progress);
    connect(m_check.get(), &ScrubJob::finished, this, &OffloadJob::onChecked);
    m_check->start();
}

void OffloadJob::doAbort()
{
    // Whatever runs ends this job by its finished().
    if (m_check)
        m_check->abort();
    else if (m_repair)
        m_repair->abort();
    else if (m_deletions)
        m_deletions->abort();
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void OffloadJob::onChecked()
{
    std::unique_ptr<ScrubJob> check = std::move(m_check);
    const Error e = check->error();
    const int unchecked = check->report().unreachable;
    check.release()->deleteLater();
    if (isAborting() || e.kind == Error::Kind::Cancelled) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (!e.ok()) {
        finish(e);
        return;
    }
    if (unchecked > 0) {
        finish(Error::make(
            Error::Kind::Retryable,
            tr("%1 copies of “%2” could not be checked (a provider did not answer), so nothing "
               "was removed from this computer. Try again once the providers can be reached")
                .arg(unchecked)
                .arg(m_modelName)));
        return;
    }
    // What the check left: a chunk whose only stored copy is here cannot leave.
    Registry& registry = m_vault->registry();
    const QHash<QString, QList<Placement>> chunks =
        registry.placementRows().placementsOfModel(m_modelId);
    for (auto it = chunks.cbegin(); it != chunks.cend(); ++it) {
        bool elsewhere = false;
        for (const Placement& p : it.value())
            elsewhere =
                elsewhere || (p.providerId != m_localId && p.state == PlacementState::Stored);
        m_report.chunksUnsafe += elsewhere ? 0 : 1;
    }
    if (m_report.chunksUnsafe > 0) {
        const QString which =
            m_report.chunksUnsafe == 1
                ? tr("1 of the %1 chunks of “%2” has").arg(m_report.chunks).arg(m_modelName)
                : tr("%1 of the %2 chunks of “%3” have")
                      .arg(m_report.chunksUnsafe)
                      .arg(m_report.chunks)
                      .arg(m_modelName);
        finish(Error::make(Error::Kind::Fatal,
                           tr("%1 no copy on another provider, so nothing was removed from this "
                              "computer. Run `modelfloat-cli repair %2` to make the missing "
                              "copies, then free up space again")
                               .arg(which, m_modelName)));
        return;
    }
    // Asked for: it is no longer kept here. Its chunks that other pinned models use stay.
    if (!thiscomputer::setPinned(registry, m_modelName, false)) {
        finish(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    m_keep = thiscomputer::pinnedChunks(m_vault->registry(), m_modelName);
    RepairJob::Options options;
    options.modelIds = {m_modelId};
    options.drainProvider = m_localId;
    options.keepOnDrained = m_keep;
    m_repair = std::make_unique<RepairJob>(m_vault, options);
    connect(m_repair.get(), &RepairJob::progress, this, &OffloadJob::progress);
    connect(m_repair.get(), &RepairJob::warning, this, &OffloadJob::addWarning);
    connect(m_repair.get(), &RepairJob::finished, this, &OffloadJob::onRepaired);
    m_repair->start();
}

void OffloadJob::onRepaired()
{
    std::unique_ptr<RepairJob> repair = std::move(m_repair);
    const Error e = repair->error();
    m_report.copiesMade = repair->report().copiesMade;
    m_report.problems = repair->report().problems;
    repair.release()->deleteLater();
    if (isAborting() || e.kind == Error::Kind::Cancelled) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (e.kind == Error::Kind::Fatal) {
        finish(e);
        return;
    }
    // The copies just retired here, and any an earlier offload or removal left to delete.
    m_deletions = new DeletionRun(m_vault, m_localId, this);
    connect(m_deletions, &DeletionRun::objectDeleted, this, [this](const PendingDeletion& d) {
        m_report.copiesRemoved++;
        m_report.bytesFreed += d.size;
        Q_EMIT progress();
    });
    connect(m_deletions, &DeletionRun::objectKept, this,
            [this](const PendingDeletion& d, const QString& why) {
                m_report.problems.append(
                    tr("chunk %1 stays on this computer for now: %2").arg(d.cid, why));
            });
    connect(m_deletions, &DeletionRun::finished, this, &OffloadJob::onDeleted);
    m_deletions->start();
}

void OffloadJob::onDeleted()
{
    m_deletions->deleteLater();
    m_deletions = nullptr;
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    dropCaches();
}

void OffloadJob::dropCaches()
{
    Registry& registry = m_vault->registry();
    const QHash<QString, QList<Placement>> chunks =
        registry.placementRows().placementsOfModel(m_modelId);
    for (auto it = chunks.cbegin(); it != chunks.cend(); ++it) {
        for (const Placement& p : it.value())
            m_report.chunksKept += p.providerId == m_localId ? 1 : 0;
        if (!m_keep.contains(it.key()))
            m_report.bytesFreed += m_vault->chunkCache().remove(it.key());
    }
    MaterializedCache materialized(MaterializedCache::defaultRoot(m_vault->directory()));
    for (const MaterializedCache::Entry& entry : materialized.entries()) {
        if (entry.model != m_modelName)
            continue;
        QString error;
        if (materialized.evict(m_modelName, &error))
            m_report.bytesFreed += entry.bytes;
        else
            m_report.problems.append(error);
    }
    for (const QString& p : std::as_const(m_report.problems))
        addWarning(p);
    if (!m_report.problems.isEmpty())
        markDegraded(); // some copies stay here for now; offloading again goes on

    finish(Error::none());
}

} // namespace mf
