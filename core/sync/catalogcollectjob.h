#pragma once

#include "providercalls.h"
#include "transfer/transferjob.h"

#include <QHash>
#include <QPair>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <functional>

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
//
// Nothing is deleted the first time it is found unreferenced: a chunk (one this registry holds
// that no file uses, or a swept object) becomes deletable only once this vault has seen it
// unreferenced for the grace period (docs/coordination.md, "Collecting across vaults"), so a
// computer that floated and went offline before its publish reached the providers finds its
// chunks still there when it comes back.
class CatalogCollectJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogCollectJob)

public:
    // `modelName` empty: only collect.
    CatalogCollectJob(Vault* vault, const QString& modelName, QObject* parent = nullptr);
    ~CatalogCollectJob() override;

    // Seconds since the epoch; injectable for tests (a hand-moved clock for the grace period).
    using Clock = std::function<qint64()>;
    void setClock(Clock clock) { m_clock = std::move(clock); }

    // The catalog's sync interval (setting catalog.sync_secs; the engine syncs this often).
    static constexpr qint64 DefaultSyncSecs = 900;
    static qint64 syncSecs(Vault* vault);
    // The grace period: setting catalog.grace_secs, 24 h by default. `modelfloat-cli config
    // collect-grace` refuses less than minGraceSecs() unless told --expert (0 is for a vault
    // whose stores no other computer uses, and for tests).
    static constexpr qint64 DefaultGraceSecs = 24 * 3600;
    static qint64 graceSecs(Vault* vault);
    static qint64 minGraceSecs(Vault* vault) { return 2 * syncSecs(vault); }
    static const QString GraceSetting;

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
    // Chunks found unreferenced that wait for their grace period (distinct chunks), the bytes
    // their objects take, and when the last of them may be freed (seconds since the epoch; 0
    // when none waits).
    int chunksWaiting() const;
    qint64 bytesWaiting() const;
    qint64 freeAfter() const;
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
    void doStart() override;
    void doAbort() override;
    // Ends the job with the first error it met, once its lease is released.
    void release(const Error& error);
    void end();

    Vault* m_vault;
    QString m_modelName;
    ProviderCalls m_calls;
    CatalogProviders m_providers;
    CatalogLease* m_lease = nullptr;
    QPointer<TransferJob> m_step;
    RemoveJob* m_remove = nullptr;
    QSet<qint64> m_deferred;
    QSet<qint64> m_shared; // stores other vaults may keep copies on (RemoveJob::setSharedProviders)
    QStringList m_deferredWhy;
    bool m_modelBusy = false;
    QTimer m_lapseTimer;
    // Swept objects queued for deletion: (provider, locator) -> (cid, size as listed).
    QHash<QPair<qint64, QString>, QPair<QString, qint64>> m_sweepQueued;
    QSet<QString> m_sweptChunks; // of the swept objects deleted
    Clock m_clock;
    qint64 m_graceSecs = 0;
    QSet<QString> m_waitingChunks;  // swept objects' chunks within their grace period
    QSet<QString> m_seenUnknown;    // every chunk the sweep found unreferenced
    bool m_sweptEverywhere = false; // every provider that can be swept was listed
    qint64 m_waitingBytes = 0;
    qint64 m_freeAfter = 0;
    int m_swept = 0;
    qint64 m_sweptBytes = 0;
    Error m_firstError; // what it ends with once the lease is released
};

} // namespace mf
