// The catalog half of SyncService (docs/catalog.md): publishing this vault's changes, taking
// in other vaults' models, and recovering models from storage another computer filled. Floats,
// imports and removals publish through their own jobs (CatalogGuard, CatalogCollectJob).
#include "syncservice.h"

#include "sync/catalogkeyloader.h"
#include "sync/catalogpublishjob.h"
#include "sync/catalogsyncjob.h"
#include "sync/recoverjob.h"
#include "transfer/transferjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <optional>
#include <utility>

namespace mf {

void SyncService::runCatalogJob(TransferJob* job, std::function<void()> then)
{
    m_catalogJobs.append(job);
    connect(job, &TransferJob::finished, this, [this, job, then = std::move(then)] {
        m_catalogJobs.removeAll(job);
        job->deleteLater();
        if (m_closed)
            return;
        then();
    });
    job->start();
}

QString SyncService::withoutCatalogNote(const QString& providers)
{
    return tr("%1 keeps no catalog: a new computer finds the models it holds only through the "
              "catalog on the other providers.")
        .arg(providers);
}

void SyncService::syncCatalog()
{
    if (!m_vault)
        return;
    auto* publish = new CatalogPublishJob(m_vault, this);
    runCatalogJob(publish, [this, publish] {
        const QString published =
            publish->modelsPublished() + publish->removalsPublished() > 0
                ? tr("Published %1 and %2. ")
                      .arg(units::counted(publish->modelsPublished(), tr("1 changed model"),
                                          tr("%1 changed models")),
                           units::counted(publish->removalsPublished(), tr("1 removal"),
                                          tr("%1 removals")))
                : QString();
        QStringList problems = publish->warnings();
        if (!publish->error().ok())
            problems.prepend(publish->error().message);
        auto* sync = new CatalogSyncJob(m_vault, this);
        runCatalogJob(sync, [this, sync, published, problems]() mutable {
            const CatalogSyncJob::Report& r = sync->report();
            for (const qint64 id : r.changedModels)
                Q_EMIT modelChanged(id);
            if (!r.changedModels.isEmpty() && r.removedModels.isEmpty())
                Q_EMIT statsChanged();
            noteTakenIn(r);
            problems += sync->warnings() + r.unresolved;
            if (!sync->error().ok())
                problems.prepend(sync->error().message);
            // Empty when there is nothing to tell.
            QString summary = published;
            if (r.modelsAdded + r.modelsChanged + r.modelsRemoved > 0)
                summary += tr("From other computers: %1 added, %2 changed, %3 removed.")
                               .arg(units::counted(r.modelsAdded, tr("1 model"), tr("%1 models")))
                               .arg(r.modelsChanged)
                               .arg(r.modelsRemoved);
            // Said once while the set of such providers stays the same: not on every float to
            // one, nor on every periodic sync.
            if (r.withoutCatalog != m_withoutCatalogSaid) {
                m_withoutCatalogSaid = r.withoutCatalog;
                if (!r.withoutCatalog.isEmpty())
                    summary += (summary.isEmpty() ? QString() : QStringLiteral(" ")) +
                               withoutCatalogNote(r.withoutCatalog);
            }
            Q_EMIT catalogSynced(summary, problems.join(QLatin1Char('\n')));
        });
    });
}

void SyncService::recoverCatalog()
{
    if (!m_vault)
        return;
    m_recovery.asked = true;
    if (m_recovery.waiting)
        return; // one recovery is enough for both asks
    m_recovery.waiting = true;
    if (waitForCatalogJobs([this] {
            m_recovery.waiting = false;
            recoverCatalog();
        }))
        return;
    m_recovery.waiting = false;
    auto* job = new RecoverJob(m_vault, {}, this);
    runCatalogJob(job, [this, job] {
        const RecoverJob::Report& r = job->report();
        const PendingRecovery before = std::exchange(m_recovery, {});
        for (const qint64 id : r.sync.changedModels)
            Q_EMIT modelChanged(id);
        for (const qint64 id : r.sync.removedModels)
            Q_EMIT modelRemoved(id);
        Q_EMIT providersChanged(); // a store found may have changed a provider's settings
        Q_EMIT statsChanged();
        QStringList lines;
        lines += r.storesFound;
        lines.append(tr("Found the catalogs of %1: %2 added, %3 changed; %4 found on the "
                        "providers.")
                         .arg(units::counted(r.sync.vaults, tr("1 vault"), tr("%1 vaults")))
                         .arg(units::counted(r.sync.modelsAdded + before.added, tr("1 model"),
                                             tr("%1 models")))
                         .arg(r.sync.modelsChanged + before.changed)
                         .arg(units::counted(r.sync.placementsFound, tr("1 copy of a chunk"),
                                             tr("%1 copies of chunks"))));
        if (!r.noCatalog.isEmpty())
            lines.append(tr("No catalog on: %1.").arg(r.noCatalog.join(tr(", "))));
        QStringList problems = job->warnings() + r.sync.unresolved;
        if (!r.missingChunks.isEmpty())
            problems.append(units::counted(r.missingChunks.size(),
                                           tr("1 chunk is on none of the providers; these "
                                              "models cannot be restored whole: %2"),
                                           tr("%1 chunks are on none of the providers; these "
                                              "models cannot be restored whole: %2"))
                                .arg(r.damagedModels.join(tr(", "))));
        if (!job->error().ok())
            problems.prepend(job->error().message);
        Q_EMIT catalogRecovered(lines.join(QLatin1Char('\n')), problems.join(QLatin1Char('\n')));
    });
}

void SyncService::showCatalogKey()
{
    if (!m_vault) {
        Q_EMIT catalogKeyShown({}, tr("No vault is open"));
        return;
    }
    CatalogKeyLoader::withKey(m_vault, this, [this](const Error& error) {
        if (!error.ok() || !m_vault || !m_vault->catalogKey())
            Q_EMIT catalogKeyShown({}, error.ok() ? tr("No vault is open") : error.message);
        else
            Q_EMIT catalogKeyShown(m_vault->catalogKey()->recoveryText(), {});
    });
}

void SyncService::importCatalogKey(const QString& recoveryText, AfterKeyImport then)
{
    QString why;
    const auto key = CatalogKey::fromRecoveryText(recoveryText, &why);
    if (!key || !m_vault) {
        Q_EMIT catalogKeyImported(key ? tr("No vault is open") : why);
        return;
    }
    // From now on a sync may read the other computer's catalog: what it takes in is the
    // recovery's to report.
    if (then == AfterKeyImport::Recover)
        m_recovery.asked = true;
    CatalogKeyLoader::importKey(m_vault, *key, this, [this, then](const Error& error) {
        Q_EMIT catalogKeyImported(error.ok() ? QString() : error.message);
        if (!error.ok()) {
            if (then == AfterKeyImport::Recover && !m_recovery.waiting)
                m_recovery = {};
            return;
        }
        // What this computer could not read before (another computer's signed catalog) is
        // read now; its own state is signed again under this key. One job does it: a sync
        // started beside the recovery would take the models in first, and the recovery's
        // report would then say it added none.
        if (then == AfterKeyImport::Recover)
            recoverCatalog();
        else
            syncCatalog();
    });
}

void SyncService::checkRemovedElsewhere(const QString& modelName,
                                        std::function<void(const QString& removed)> then)
{
    // A sync under way (the one at open, the scheduler's) may take the removal in first: its
    // report says so once it ends.
    if (waitForCatalogJobs([this, modelName, then] { checkRemovedElsewhere(modelName, then); }))
        return;
    // A removal taken in counts only while no model of that name is here again (one floated
    // since under the same name is another model).
    const auto removed = [this, modelName] {
        const auto it = m_removalsTaken.constFind(modelName);
        return it != m_removalsTaken.cend() &&
                       !m_vault->registry().modelRows().modelByName(modelName)
                   ? std::optional<CatalogSyncJob::Report::Removal>(*it)
                   : std::nullopt;
    };
    const auto said = [then, removed] {
        const auto r = removed();
        then(r ? CatalogSyncJob::describe(*r) : QString());
    };
    if (removed())
        return said();
    auto* sync = new CatalogSyncJob(m_vault, this);
    runCatalogJob(sync, [this, sync, said] {
        noteTakenIn(sync->report());
        said();
    });
}

bool SyncService::waitForCatalogJobs(std::function<void()> again)
{
    if (m_catalogJobs.isEmpty() || !m_catalogJobs.last())
        return false;
    // Queued: a publish job's end starts its sync first, which is then waited for in turn.
    connect(m_catalogJobs.last(), &TransferJob::finished, this, std::move(again),
            Qt::QueuedConnection);
    return true;
}

void SyncService::noteTakenIn(const CatalogSyncJob::Report& report)
{
    if (m_recovery.asked) {
        m_recovery.added += report.modelsAdded;
        m_recovery.changed += report.modelsChanged;
    }
    for (const CatalogSyncJob::Report::Removal& r : report.removals)
        m_removalsTaken.insert(r.name, r);
    for (const qint64 removed : report.removedModels)
        Q_EMIT modelRemoved(removed);
    if (!report.removedModels.isEmpty())
        Q_EMIT statsChanged();
}

} // namespace mf
