#pragma once

#include "registry/registry.h"

#include <QObject>

namespace mf {

class Vault;

// Carries out pending deletions (PlacementRows::pendingDeletions()), a few at a time: each is
// claimed first as a removal claims it (docs/coordination.md: a float that places the object
// again meanwhile cancels it, another deleter holding it is left to it), then deleted from its
// provider and forgotten; one that fails is released for the next run. The one way a drain and
// an offload delete the copies they retired. Ends with exactly one finished(), queued.
class DeletionRun final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DeletionRun)

public:
    // Every deletion pending on provider `providerId` when it is made: the copies just retired
    // there, and any an earlier removal, drain or offload could not delete yet.
    DeletionRun(Vault* vault, qint64 providerId, QObject* parent = nullptr);
    ~DeletionRun() override;

    // Shared: other vaults keep their models on the provider too, or it cannot be told; an
    // object a file here still uses is then left there (see PlacementRows::claimDeletion()).
    void setStore(PlacementRows::Store store) { m_store = store; }

    void start();
    // Starts no more and stops the deletes under way (released); finished() follows.
    void abort();

Q_SIGNALS:
    void objectDeleted(const mf::PendingDeletion& deletion);
    // Not deleted now (the provider could not be reached or refused): `why`.
    void objectKept(const mf::PendingDeletion& deletion, const QString& why);
    // Forgotten without deleting it, on a shared store: what is there may be another vault's.
    void objectLeftShared(const mf::PendingDeletion& deletion);
    void finished();

private:
    void next();

    Vault* m_vault;
    QList<PendingDeletion> m_deletions;
    PlacementRows::Store m_store = PlacementRows::Store::Own;
    const QString m_owner = leaseowner::newLeaseOwner(); // of the deletions this run claims
    int m_next = 0;
    int m_running = 0;
    bool m_aborting = false;
    bool m_finished = false;
};

} // namespace mf
