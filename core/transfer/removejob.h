#pragma once

#include "registry/registry.h"
#include "transferjob.h"
#include "util/error.h"

#include <QObject>
#include <QSet>

#include <functional>
#include <optional>

namespace mf {

class Vault;
class ProviderJob;
class TemporarySweep;

// Removes a model and frees the chunks no other file refers to. Without a model (`collect`), it
// also sweeps what killed processes left behind (TemporarySweep). The registry is changed first
// (in one transaction per step), then the objects are deleted from the providers, so a crash
// in between leaves only unreferenced objects behind, never a registry that points at nothing.
// Objects a provider could not delete stay recorded as pending deletions, and the next removal
// or collect tries again.
class RemoveJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoveJob)

public:
    // modelName empty: only collect chunks that no file refers to.
    RemoveJob(Vault* vault, const QString& modelName, QObject* parent = nullptr);

    // Deletes objects only on these providers; deletions on the others stay queued for a later
    // run (a collection across vaults leaves a provider alone while another vault floats to it).
    void setAllowedProviders(const QSet<qint64>& providerIds) { m_allowed = providerIds; }
    // Stores other vaults share (or that could not be told): there an object a file of this
    // vault still uses is never deleted (PlacementRows::Store::Shared).
    void setSharedProviders(const QSet<qint64>& providerIds) { m_shared = providerIds; }

    // Collect only: a chunk no file refers to is forgotten (and its objects queued for deletion)
    // only once this vault has seen it unreferenced for `secs` on `clock` (seconds since the
    // epoch); until then it waits (chunksWaiting()). 0, the default: at once.
    void setGrace(qint64 secs, std::function<qint64()> clock)
    {
        m_graceSecs = secs;
        m_clock = std::move(clock);
    }

    // Why ModelRows::removeModel() refused to remove `modelName`: `writer` is the process floating
    // it (then the error is a conflict the user can wait out), or empty for a registry failure.
    static Error removalRefused(const QString& modelName, const QString& writer,
                                const QString& registryError);

    int chunksFreed() const { return m_chunksFreed; }
    // Chunks no file refers to that wait for their grace period, their bytes, and when the last
    // of them may be freed (seconds since the epoch; 0 when none waits).
    int chunksWaiting() const { return m_chunksWaiting; }
    qint64 bytesWaiting() const { return m_bytesWaiting; }
    qint64 freeAfter() const { return m_freeAfter; }
    // Refused: another job or process is floating the model right now (error() names it).
    bool modelBusy() const { return m_modelBusy; }
    qint64 bytesFreed() const { return m_bytesFreed; }
    // Collect only: leftovers of killed processes removed (TemporarySweep).
    int leftoversRemoved() const { return m_leftovers; }
    qint64 leftoverBytesRemoved() const { return m_leftoverBytes; }

Q_SIGNALS:
    // One object deleted from a provider (its deletion forgotten): a caller that queued
    // deletions of its own (a collection's sweep) counts what was really freed.
    void objectDeleted(qint64 providerId, const QString& locator);

private:
    void removeNext();
    void sweepLeftovers();
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    QString m_modelName;
    const QString m_owner = leaseowner::newLeaseOwner(); // of the deletions this job claims
    QList<PendingDeletion> m_toDelete;
    std::optional<QSet<qint64>> m_allowed;
    QSet<qint64> m_shared;
    int m_next = 0;
    int m_running = 0;
    TemporarySweep* m_sweep = nullptr; // child
    int m_leftovers = 0;
    qint64 m_leftoverBytes = 0;
    qint64 m_graceSecs = 0;
    std::function<qint64()> m_clock;
    int m_chunksWaiting = 0;
    qint64 m_bytesWaiting = 0;
    qint64 m_freeAfter = 0;
    int m_chunksFreed = 0;
    qint64 m_bytesFreed = 0;
    bool m_modelBusy = false;
};

} // namespace mf
