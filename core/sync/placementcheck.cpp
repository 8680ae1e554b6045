#include "placementcheck.h"

#include "vault/vault.h"

#include <memory>

namespace mf {

namespace {
constexpr int MaxStats = 256;
constexpr int ParallelStats = 8;
} // namespace

PlacementCheck::PlacementCheck(Vault* vault, const QList<qint64>& modelIds, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_models(modelIds)
{}

void PlacementCheck::run(std::function<void()> done)
{
    m_done = std::move(done);
    Registry& registry = m_vault->registry();
    QHash<qint64, QList<Placement>> byProvider;
    QSet<QString> seen;
    auto check = [&byProvider](const QList<Placement>& placements) {
        for (const Placement& p : placements)
            if (p.state == PlacementState::Stored)
                byProvider[p.providerId].append(p);
    };
    for (const qint64 modelId : std::as_const(m_models)) {
        const QHash<QString, QList<Placement>> placements =
            registry.placementRows().placementsOfModel(modelId);
        for (const FileRecord& f : registry.modelRows().files(modelId)) {
            for (const FileChunk& c : registry.modelRows().fileChunks(f.id)) {
                m_modelsOfChunk[c.cid].insert(modelId);
                if (seen.contains(c.cid))
                    continue;
                seen.insert(c.cid);
                const QList<Placement> copies = placements.value(c.cid);
                check(copies);
                // A chunk stored as shards has no copy of its own: its shards' are checked.
                const auto scheme =
                    copies.isEmpty() ? registry.shardRows().shardScheme(c.cid) : std::nullopt;
                if (!scheme)
                    continue;
                for (const ShardRows::Shard& shard :
                     registry.shardRows().shards(c.cid, scheme->k, scheme->m)) {
                    m_modelsOfChunk[shard.cid].insert(modelId);
                    if (!seen.contains(shard.cid)) {
                        seen.insert(shard.cid);
                        check(registry.placementRows().placements(shard.cid));
                    }
                }
            }
        }
    }
    m_left = int(byProvider.size()) + 1;
    for (auto it = byProvider.begin(); it != byProvider.end(); ++it)
        checkProvider(it.key(), it.value());
    providerDone();
}

void PlacementCheck::checkProvider(qint64 providerId, QList<Placement> placements)
{
    const std::shared_ptr<Provider> provider = m_vault->provider(providerId);
    auto cannotAsk = [this, placements] {
        for (const Placement& p : placements)
            m_unchecked += m_modelsOfChunk.value(p.cid);
        providerDone();
    };
    if (!provider) {
        cannotAsk();
        return;
    }
    auto forget = [this](const Placement& p) {
        if (m_vault->registry().placementRows().removePlacement(p.cid, p.providerId))
            ++m_forgotten;
    };
    if (placements.size() > MaxStats) {
        m_calls.call(provider->list(), [placements, cannotAsk, this](ProviderJob& job) {
            if (!job.error().ok()) {
                cannotAsk();
                return;
            }
            QSet<QString> there;
            for (const StoredObject& o : job.objects())
                there.insert(o.locator);
            // One transaction for them all: a provider that lost its objects may leave
            // hundreds of thousands to forget, and a commit each kept the registry busy for
            // minutes.
            Registry& registry = m_vault->registry();
            int forgotten = 0;
            const bool ok = registry.transaction([&] {
                for (const Placement& p : placements) {
                    if (there.contains(p.locator))
                        continue;
                    if (!registry.placementRows().removePlacement(p.cid, p.providerId))
                        return false;
                    ++forgotten;
                }
                return true;
            });
            if (ok)
                m_forgotten += forgotten;
            providerDone();
        });
        return;
    }
    struct Shared
    {
        QList<Placement> todo;
        int running = 0;
        bool failed = false;
        std::function<void()> pump;
    };
    auto shared = std::make_shared<Shared>();
    shared->todo = placements;
    std::weak_ptr<Shared> weak = shared;
    shared->pump = [this, provider, weak, forget, placements] {
        const std::shared_ptr<Shared> s = weak.lock();
        while (s->running < ParallelStats && !s->todo.isEmpty()) {
            const Placement p = s->todo.takeFirst();
            ++s->running;
            m_calls.call(provider->stat(p.locator), [s, p, forget](ProviderJob& job) {
                --s->running;
                if (job.error().kind == Error::Kind::NotFound)
                    forget(p);
                else if (!job.error().ok())
                    s->failed = true;
                s->pump();
            });
        }
        if (s->running == 0 && s->todo.isEmpty()) {
            if (s->failed)
                for (const Placement& p : placements)
                    m_unchecked += m_modelsOfChunk.value(p.cid);
            providerDone();
        }
    };
    shared->pump();
}

void PlacementCheck::providerDone()
{
    if (--m_left > 0)
        return;
    Registry& registry = m_vault->registry();
    const QStringList lost = registry.placementRows().chunksWithoutPlacement();
    for (const QString& cid : lost)
        m_broken += m_modelsOfChunk.value(cid);
    if (m_done)
        m_done();
}

} // namespace mf
