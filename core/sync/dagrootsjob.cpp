#include "dagrootsjob.h"

#include "providers/provider.h"
#include "vault/vault.h"

namespace mf {

// What one node needs: roots to put and pin (with their blocks), roots to unpin.
struct DagRootsJob::Plan
{
    CatalogProviders::Entry provider;
    QList<QPair<QString, QList<DagBlock>>> toPin;
    QStringList toUnpin;
};

DagRootsJob::DagRootsJob(Vault* vault, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
{}

DagRootsJob::~DagRootsJob() = default;

void DagRootsJob::doStart()
{
    const CatalogProviders providers = CatalogProviders::of(m_vault);
    Registry& registry = m_vault->registry();
    QList<std::shared_ptr<Plan>> plans;
    for (const CatalogProviders::Entry& p : providers.usable + providers.withoutCatalog) {
        if (!p.provider->storesDags())
            continue;
        auto plan = std::make_shared<Plan>();
        plan->provider = p;
        QSet<QString> wanted;
        // Root -> confirmed; an unconfirmed one was being pinned when a run stopped.
        const QHash<QString, bool> pinned = registry.modelRows().dagPins(p.id);
        for (const qint64 modelId : registry.modelRows().modelsWholeOn(p.id)) {
            QList<DagBlock> blocks;
            const auto root = registry.modelRows().modelDag(
                modelId, [&blocks](const unixfs::Node& node, const QByteArray& block) {
                    blocks.append({unixfs::toText(node.cid), block});
                });
            if (!root)
                continue;
            const QString cid = unixfs::toText(root->cid);
            if (wanted.contains(cid))
                continue; // two models with the same files: one root
            wanted.insert(cid);
            if (!pinned.value(cid, false))
                plan->toPin.append({cid, blocks});
        }
        for (auto it = pinned.begin(); it != pinned.end(); ++it)
            if (!wanted.contains(it.key()))
                plan->toUnpin.append(it.key());
        if (!plan->toPin.isEmpty() || !plan->toUnpin.isEmpty())
            plans.append(plan);
    }
    m_left = int(plans.size());
    if (plans.isEmpty()) {
        finish(Error::none());
        return;
    }
    // Nodes side by side, one root at a time on each.
    for (const auto& plan : std::as_const(plans))
        step(plan);
}

void DagRootsJob::step(const std::shared_ptr<Plan>& plan)
{
    Registry& registry = m_vault->registry();
    const qint64 id = plan->provider.id;
    const QString name = plan->provider.name;
    if (!plan->toUnpin.isEmpty()) {
        // Unpinned first: a model removed frees its root before anything else happens.
        const QString cid = plan->toUnpin.takeFirst();
        m_calls.call(
            plan->provider.provider->remove(cid), [this, plan, id, name, cid](ProviderJob& job) {
                if (!job.error().ok()) {
                    addWarning(tr("Model root %1 could not be unpinned from “%2” (the next sync "
                                  "tries again): %3")
                                   .arg(cid, name, job.error().message));
                    providerDone();
                    return;
                }
                m_vault->registry().modelRows().setDagPin(id, cid, ModelRows::DagPin::Removed);
                ++m_unpinned;
                step(plan);
            });
        return;
    }
    if (plan->toPin.isEmpty()) {
        providerDone();
        return;
    }
    const auto [cid, blocks] = plan->toPin.takeFirst();
    // Recorded before the pin is made and confirmed after, so a crash at any point leaves a row
    // that the next run pins again or unpins: never a pin of ours that nothing records.
    if (!registry.modelRows().setDagPin(id, cid, ModelRows::DagPin::Pinning)) {
        addWarning(
            tr("Model root %1 was not pinned on “%2”: %3").arg(cid, name, registry.lastError()));
        providerDone();
        return;
    }
    m_calls.call(plan->provider.provider->putDag(cid, blocks),
                 [this, plan, id, name, cid](ProviderJob& job) {
                     if (!job.error().ok()) {
                         // Left as "being pinned": the next run tries again, or unpins it
                         // should the node have made the pin after all.
                         addWarning(tr("Model root %1 could not be pinned on “%2” (the next "
                                       "sync tries again): %3")
                                        .arg(cid, name, job.error().message));
                         providerDone();
                         return;
                     }
                     m_vault->registry().modelRows().setDagPin(id, cid, ModelRows::DagPin::Pinned);
                     ++m_pinned;
                     step(plan);
                 });
}

void DagRootsJob::providerDone()
{
    if (--m_left == 0)
        finish(Error::none());
}

void DagRootsJob::doAbort()
{
    m_calls.abort();
    finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

} // namespace mf
