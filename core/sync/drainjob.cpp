#include "drainjob.h"

#include "catalogformat.h"
#include "repairjob.h"
#include "transfer/deletionrun.h"
#include "util/units.h"
#include "vault/providersetup.h"
#include "vault/vault.h"

namespace mf {

DrainJob::DrainJob(Vault* vault, qint64 providerId, Options options, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_providerId(providerId)
    , m_options(options)
{}

DrainJob::~DrainJob()
{
    if (m_deletions)
        m_deletions->disconnect(this);
    if (m_setup)
        m_setup->disconnect(this);
}

TransferProgress DrainJob::progressNow() const
{
    if (m_repair)
        return m_repair->progressNow();
    TransferProgress p;
    p.totalBytes = m_repairTotal;
    p.bytesDone = m_repairDone;
    return p;
}

void DrainJob::doStart()
{
    Registry& registry = m_vault->registry();
    const auto record = registry.providerRows().provider(m_providerId);
    if (!record) {
        finish(Error::make(Error::Kind::NotFound,
                           tr("There is no provider with id %1").arg(m_providerId)));
        return;
    }
    m_name = record->name;
    const ProviderRows::DrainStart started =
        registry.providerRows().startDrain(m_providerId, m_options.force, m_options.removeAfter);
    switch (started.status) {
    case ProviderRows::DrainStart::Status::Started:
    case ProviderRows::DrainStart::Status::Resumed:
        break;
    case ProviderRows::DrainStart::Status::NotFound:
        finish(Error::make(Error::Kind::NotFound,
                           tr("There is no provider with id %1").arg(m_providerId)));
        return;
    case ProviderRows::DrainStart::Status::TooFewProviders:
        finish(Error::make(
            Error::Kind::Fatal,
            tr("Draining “%1” would leave chunks with fewer copies than the vault wants (%2): "
               "%3 can hold them. Add a provider, lower the replication (modelfloat-cli config "
               "replication N), or use --force")
                .arg(m_name)
                .arg(started.wanted)
                .arg(units::counted(started.otherProviders, tr("only 1 other provider"),
                                    tr("only %1 other providers")))));
        return;
    case ProviderRows::DrainStart::Status::Failed:
        finish(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    // Its chunks get their copies elsewhere; each of its copies becomes a deletion once they do.
    RepairJob::Options options;
    options.drainProvider = m_providerId;
    m_repair = std::make_unique<RepairJob>(m_vault, options);
    connect(m_repair.get(), &RepairJob::progress, this, &DrainJob::progress);
    connect(m_repair.get(), &RepairJob::warning, this, &DrainJob::addWarning);
    connect(m_repair.get(), &RepairJob::finished, this, &DrainJob::onRepaired);
    m_repair->start();
}

void DrainJob::doAbort()
{
    // Whatever runs ends this job by its finished().
    if (m_repair)
        m_repair->abort();
    else if (m_listing) {
        m_calls.abort();
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
    } else if (m_deletions)
        m_deletions->abort();
    else if (!m_setup)
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void DrainJob::onRepaired()
{
    std::unique_ptr<RepairJob> repair = std::move(m_repair);
    const TransferProgress last = repair->progressNow();
    m_repairTotal = last.totalBytes;
    m_repairDone = last.bytesDone;
    const RepairJob::Report& r = repair->report();
    m_report.copiesMade = r.copiesMade + r.shardsRebuilt; // (a shard unreadable there: rebuilt)
    m_report.bytesCopied = r.bytesCopied;
    m_report.problems = r.problems;
    const Error e = repair->error();
    repair.release()->deleteLater();
    if (isAborting() || e.kind == Error::Kind::Cancelled) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (e.kind == Error::Kind::Fatal) {
        finish(e);
        return;
    }
    // A chunk with no good copy anywhere (Corrupt) stays where it is; the rest goes on.
    findSharing();
}

void DrainJob::findSharing()
{
    if (m_vault->registry().providerRows().providerContents(m_providerId).deletions == 0) {
        deleteObjects(PlacementRows::Store::Own, QString()); // nothing to delete
        return;
    }
    // Objects are named by their content, so a vault that floated the same bytes onto this
    // store, or took this vault's models in, relies on the very objects this drain would delete.
    // Whether one does is told by the names of the catalog states there, as
    // CatalogSyncJob::sharedProviders() tells it; a sync would also take in the models it found
    // and record their copies on the provider being emptied.
    const CatalogProviders providers = CatalogProviders::of(m_vault, {m_providerId});
    if (providers.usable.isEmpty()) {
        deleteObjects(PlacementRows::Store::Shared,
                      providers.withoutCatalog.isEmpty()
                          ? tr("its catalog could not be read, so other vaults may keep their "
                               "models on it")
                          : tr("its kind keeps no catalog, so other vaults may keep their models "
                               "on it"));
        return;
    }
    m_listing = true;
    m_calls.call(providers.usable.first().provider->listCatalogObjects(QStringLiteral("states")),
                 [this](ProviderJob& job) {
                     m_listing = false;
                     if (!job.error().ok()) {
                         deleteObjects(PlacementRows::Store::Shared,
                                       tr("its catalog could not be read (%1), so other vaults "
                                          "may keep their models on it")
                                           .arg(job.error().message));
                         return;
                     }
                     for (const CatalogObject& o : job.catalogObjects()) {
                         QString vault;
                         qint64 seq = 0;
                         if (catalog::parseStateName(o.name, &vault, &seq) &&
                             vault != m_vault->id()) {
                             deleteObjects(PlacementRows::Store::Shared,
                                           tr("other vaults keep their models on it (their "
                                              "catalogs are there)"));
                             return;
                         }
                     }
                     deleteObjects(PlacementRows::Store::Own, QString());
                 });
}

void DrainJob::deleteObjects(PlacementRows::Store store, const QString& sharedWhy)
{
    // Its objects: the copies just retired, and any deletion a removal left there before.
    m_deletions = new DeletionRun(m_vault, m_providerId, this);
    m_deletions->setStore(store);
    connect(m_deletions, &DeletionRun::objectDeleted, this, [this] {
        ++m_report.objectsDeleted;
        Q_EMIT progress();
    });
    connect(m_deletions, &DeletionRun::objectKept, this,
            [this](const PendingDeletion& d, const QString& why) {
                m_report.problems.append(
                    tr("chunk %1 stays on “%2” for now: %3").arg(d.cid, m_name, why));
            });
    connect(m_deletions, &DeletionRun::objectLeftShared, this,
            [this] { ++m_report.objectsLeftShared; });
    connect(m_deletions, &DeletionRun::finished, this, [this, sharedWhy] {
        if (m_report.objectsLeftShared > 0)
            addWarning(tr("“%1” keeps %2 of chunks this vault uses: %3, and may rely on "
                          "them. This vault no longer counts them as its copies")
                           .arg(m_name,
                                units::counted(m_report.objectsLeftShared, tr("1 object"),
                                               tr("%1 objects")),
                                sharedWhy));
        onDeleted();
    });
    m_deletions->start();
}

void DrainJob::onDeleted()
{
    m_deletions->deleteLater();
    m_deletions = nullptr;
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    checkEmpty();
}

void DrainJob::checkEmpty()
{
    Registry& registry = m_vault->registry();
    const ProviderRows::ProviderContents left =
        registry.providerRows().providerContents(m_providerId);
    m_report.chunksLeft = left.placements;
    m_report.deletionsLeft = left.deletions;
    if (left.placements > 0 || left.deletions > 0) {
        // Still recorded as draining: the next run (or the scheduler) continues.
        markDegraded();
        addWarning(tr("“%1” still holds %2 of the vault (the warnings above say why); it takes "
                      "no new ones, and the drain goes on when it is run again")
                       .arg(m_name, units::counted(left.placements + left.deletions, tr("1 chunk"),
                                                   tr("%1 chunks"))));
        finish(Error::none());
        return;
    }
    bool removeAfter = m_options.removeAfter;
    for (const ProviderRows::Drain& d : registry.providerRows().drains())
        if (d.providerId == m_providerId)
            removeAfter = removeAfter || d.removeAfter;
    if (!removeAfter) {
        finish(Error::none()); // drained, and retired: it stays, taking no new copies
        return;
    }
    m_setup = ProviderSetup::remove(*m_vault, m_providerId, false, this);
    connect(m_setup, &ProviderSetup::finished, this, [this] {
        ProviderSetup* setup = m_setup;
        setup->deleteLater();
        m_vault->dropProvider(m_providerId);
        if (!setup->warning().isEmpty())
            addWarning(setup->warning());
        if (!setup->error().ok()) {
            finish(setup->error());
            return;
        }
        m_report.removed = true;
        finish(Error::none());
    });
    m_setup->start();
}

} // namespace mf
