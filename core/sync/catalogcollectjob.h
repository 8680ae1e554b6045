#pragma once

#include "providercalls.h"
#include "transfer/transferjob.h"

#include <QHash>
#include <QPair>
#include <QPointer>
#include <QSet>
#include <QTimer>

namespace mf {

class CatalogLease;
class RemoveJob;
class Vault;

// Removes a model (optionally) and frees what no vault's catalog refers to (docs/catalog.md,
// "Leases and collection claims"): this vault's changes are published first, a collection
// claim is written on every provider, a provider where another vault's float holds a live lease
// is left alone this time, every vault's catalog is pulled, and then — on the others — the
// objects of chunks nothing refers to are deleted: those this registry freed, and (the sweep)
// chunk objects a provider lists that no catalog of any vault names, such as the chunks of a
// float killed on another computer whose lease ran out. Deletions go through the registry's
// deletion claims, so floats of this vault in other processes stay safe too.
class CatalogCollectJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogCollectJob)

public:
    // `modelName` empty: only collect.
    CatalogCollectJob(Vault* vault, const QString& modelName, QObject* parent = nullptr);
    ~CatalogCollectJob() override;

    void start() override;
    void abort() override;
    const Error& error() const override { return m_error; }

    // What was freed: the chunks this registry forgot, plus the distinct chunks whose swept
    // objects were deleted; the bytes of the objects really deleted from the providers (a
    // deletion left queued for a provider left alone, or that failed, frees nothing yet).
    int chunksFreed() const;
    qint64 bytesFreed() const;
    // Leftovers of killed processes removed (RemoveJob's TemporarySweep).
    int leftoversRemoved() const;
    qint64 leftoverBytesRemoved() const;
    // Chunk objects no catalog refers to, found by listing the providers, and deleted.
    int objectsSwept() const { return m_swept; }
    // Providers left alone this time, and why.
    const QStringList& deferred() const { return m_deferredWhy; }
    // The model was not removed: another process is floating it right now (error() says which).
    bool modelBusy() const { return m_modelBusy; }

private:
    void publish();
    void claim();
    void sync();
    void sweep();
    void deleteObjects();
    void release(const Error& error);
    void finish();

    Vault* m_vault;
    QString m_modelName;
    ProviderCalls m_calls;
    CatalogProviders m_providers;
    CatalogLease* m_lease = nullptr;
    QPointer<TransferJob> m_step;
    RemoveJob* m_remove = nullptr;
    QSet<qint64> m_deferred;
    QStringList m_deferredWhy;
    bool m_modelBusy = false;
    QTimer m_lapseTimer;
    // Swept objects queued for deletion: (provider, locator) -> (cid, size as listed).
    QHash<QPair<qint64, QString>, QPair<QString, qint64>> m_sweepQueued;
    QSet<QString> m_sweptChunks; // of the swept objects deleted
    int m_swept = 0;
    qint64 m_sweptBytes = 0;
    Error m_error;
    bool m_started = false;
    bool m_aborted = false;
    bool m_finished = false;
};

} // namespace mf
