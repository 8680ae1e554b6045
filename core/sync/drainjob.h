#pragma once

#include "providercalls.h"
#include "providers/providerjob.h"
#include "registry/registry.h"
#include "transfer/transferjob.h"

#include <QPointer>

#include <memory>

namespace mf {

class DeletionRun;
class ProviderSetup;
class RepairJob;
class Vault;

// Empties a provider of the vault before it is retired or removed:
//  1. marks it draining, in the registry (ProviderRows::startDrain): it takes no new copies, and a
//     drain interrupted by a crash or kill -9 goes on where it stopped when run again (or by the
//     scheduler). Refused, unless forced, when the other providers cannot hold the copies the
//     vault wants (git-annex's numcopies: nothing is taken below N without --force);
//  2. gives each chunk it holds the wanted copies elsewhere (a RepairJob scoped to it), and
//     turns its copy into a deletion only once they exist, checked in that same transaction;
//  3. deletes its objects, each claimed first as a removal claims it. On a store other vaults
//     share (their catalog states are there), or where that cannot be told, an object a model
//     here still uses is left: it may be another vault's copy too;
//  4. with removeAfter, removes the provider once it holds nothing (ProviderSetup).
// It ends degraded when chunks stay on the provider (no copy could be read or placed elsewhere
// now); the drain is still recorded and a later run continues it.
class DrainJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DrainJob)

public:
    struct Options
    {
        bool force = false;       // drain even if chunks then keep fewer copies than wanted
        bool removeAfter = false; // remove the provider once it is empty
    };

    struct Report
    {
        int copiesMade = 0; // copies of its chunks made on other providers
        qint64 bytesCopied = 0;
        int objectsDeleted = 0;    // objects deleted from it
        int objectsLeftShared = 0; // left on it, a store other vaults may rely on (step 3)
        int chunksLeft = 0;        // copies still on it at the end
        int deletionsLeft = 0;     // objects it still holds for the vault (deletions not done)
        bool removed = false;      // the provider was removed
        QStringList problems;
    };

    DrainJob(Vault* vault, qint64 providerId, Options options, QObject* parent = nullptr);
    ~DrainJob() override;

    TransferProgress progressNow() const override;
    const Report& report() const { return m_report; }
    qint64 providerId() const { return m_providerId; }

private:
    void onRepaired();
    void findSharing();
    void deleteObjects(PlacementRows::Store store, const QString& sharedWhy);
    void onDeleted();
    void checkEmpty();
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    qint64 m_providerId;
    Options m_options;
    QString m_name;
    std::unique_ptr<RepairJob> m_repair;
    ProviderCalls m_calls;              // listing its catalog states: whether other vaults share it
    bool m_listing = false;             // while it does
    DeletionRun* m_deletions = nullptr; // its objects, once the repair retired its copies
    QPointer<ProviderSetup> m_setup;
    qint64 m_repairTotal = 0;
    qint64 m_repairDone = 0;
    Report m_report;
};

} // namespace mf
