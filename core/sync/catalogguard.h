#pragma once

#include "transfer/transferjob.h"

#include <QPointer>
#include <QSet>
#include <QTimer>

namespace mf {

class CatalogLease;
class CatalogPublishJob;
class CatalogSyncJob;
class Vault;

// Runs a job that writes models (a float, an import) inside the catalog's rules (docs/catalog.md,
// "Leases and collection claims"): before it starts, a lease on every provider, a wait while
// another vault collects, and a pull of the catalog (so that a model removed elsewhere does not
// count as stored here); after it ends, this vault's catalog is published and only then the
// lease removed. A provider that cannot be reached for the catalog is a warning, not a failure:
// the job runs anyway and the next publish catches up. A publish that did not reach every
// provider the lease holds keeps the lease there (it is not removed, and runs out by itself).
class CatalogGuard final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogGuard)

public:
    // Takes `inner` (it becomes the guard's child).
    CatalogGuard(Vault* vault, TransferJob* inner, const QString& what, QObject* parent = nullptr);
    ~CatalogGuard() override;

    TransferProgress progressNow() const override { return m_inner->progressNow(); }
    TransferJob* inner() const { return m_inner; }
    // The publish after the inner job did not reach every provider the lease holds: the lease
    // was kept there (it runs out by itself) and the next publish retries.
    bool publishFailed() const { return m_publishFailed; }

Q_SIGNALS:
    // The inner job was started (the catalog steps before it are done).
    void innerStarted();

private:
    void doStart() override;
    void doAbort() override;
    void onLeaseReady();
    void sync();
    void runInner();
    void publish();
    void end();
    bool published(const CatalogPublishJob& job, const QSet<qint64>& made) const;

    Vault* m_vault;
    TransferJob* m_inner;
    CatalogLease* m_lease;
    QPointer<TransferJob> m_step; // the catalog job running now
    QTimer m_waitTimer;
    QSet<qint64> m_modelsBefore; // the models there were when the inner job started
    bool m_innerStarted = false;
    bool m_toldWaiting = false;
    bool m_publishFailed = false;
};

} // namespace mf
