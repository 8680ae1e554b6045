#pragma once

#include "providercalls.h"
#include "registry/registry.h"
#include "transfer/transferjob.h"

#include <QSet>

namespace mf {

class Vault;

// Publishes this vault's catalog (docs/catalog.md, "Publishing"): first the registry step —
// every complete model changed since the last publish gets a new entry with its manifest, every
// removed model's entries get tombstones, the vault's seq goes up — then every enabled provider
// that does not hold the current seq yet gets the manifests it lacks and the vault's state,
// side by side. Resumable by running it again: a crash or a provider that failed only leaves
// that provider behind, and the next run writes it. Succeeds with a warning when fewer
// providers than wanted (two, or all when there are fewer) hold the state. Last, the model roots
// on IPFS nodes are brought in step (DagRootsJob): publishing is what makes this vault's models
// findable where their chunks are.
class CatalogPublishJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogPublishJob)

public:
    explicit CatalogPublishJob(Vault* vault, QObject* parent = nullptr);
    ~CatalogPublishJob() override;

    // Models published for the first time have their placements checked first: another vault
    // may have collected their chunks after the lease of the float that wrote them ran out. A
    // model with chunks on no provider is not published but reopened. These models are not
    // checked: a float created them under a lease that is still live (CatalogGuard).
    void setTrusted(const QSet<qint64>& modelIds) { m_trusted = modelIds; }
    // Models whose float's publish failed (CatalogGuard kept the lease and it may have run out
    // since): the next publish checks their chunks too, trusted or not, even if some version of
    // them was published before; once published they leave the set (setting catalog.recheck).
    static void addToRecheck(Vault* vault, const QSet<qint64>& modelIds);
    static QSet<qint64> toRecheck(Vault* vault);

    int modelsPublished() const { return m_models; }
    int removalsPublished() const { return m_removals; }
    // Providers that hold the current state (written now, or before).
    QList<qint64> providersCurrent() const { return m_current; }
    // Fewer providers than wanted hold the state.
    bool shortOfCopies() const { return m_short; }
    qint64 seq() const { return m_seq; }

private:
    void checkFirstTime();
    void afterCheck(const QList<CatalogRows::CatalogChange>& changes);
    bool registryStep(const QList<CatalogRows::CatalogChange>& checked, QString* error);
    void publishTo(const CatalogProviders::Entry& p);
    void writeManifests(const CatalogProviders::Entry& p, QStringList missing);
    void writeState(const CatalogProviders::Entry& p);
    void pruneStates(const CatalogProviders::Entry& p);
    void providerDone(const CatalogProviders::Entry& p, const Error& error);
    void pinModelRoots();
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    ProviderCalls m_calls;
    class PlacementCheck* m_check = nullptr;
    class DagRootsJob* m_roots = nullptr;
    QSet<qint64> m_trusted;
    QSet<qint64> m_recheck; // models checked again because their float's publish failed
    CatalogProviders m_providers;
    int m_wanted = 0;
    int m_left = 0;
    qint64 m_seq = 0;
    int m_models = 0;
    int m_removals = 0;
    QList<qint64> m_current;
    bool m_short = false;
};

} // namespace mf
