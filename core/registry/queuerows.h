#pragma once

#include "leaseowner.h"
#include "records.h"
#include "registryrows.h"

#include <QJsonObject>
#include <optional>

namespace mf {

// The durable job queue (table jobs, jobs.cpp) and the scratch folders its restores and
// materializations write into (table scratch_areas, scratchareas.cpp).
class QueueRows final : public RegistryRows
{
public:
    QueueRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    // Durable job queue (float, restore, ...): survives a crash so work can be resumed. Each row
    // names the process that queued or runs it, so that another process takes over only the
    // rows of one that is gone (isProcessGone()).
    std::optional<qint64> addJob(const QString& kind, const QJsonObject& payload,
                                 const QString& owner = leaseowner::processLeaseOwner());
    bool setJobState(qint64 id, const QString& state, const QString& error = {});
    bool setJobPayload(qint64 id, const QJsonObject& payload);
    // Takes the row over for `owner` if it is still `expectedOwner`'s (one statement, so two
    // processes cannot both take it).
    bool takeOverJob(qint64 id, const QString& expectedOwner,
                     const QString& owner = leaseowner::processLeaseOwner());
    QList<QPair<qint64, QJsonObject>> jobs(const QString& kind, const QString& state);
    QList<JobRow> jobRows(const QString& kind, const QString& state);
    // The row's state ("queued", "cancelled", ...; empty when there is none), and into `reason`
    // the error its payload holds, which is what the transfer's row shows.
    QString jobState(qint64 id, QString* reason = nullptr);
    // Cancels the unfinished jobs (queued, paused, or left running by a killed process) of a
    // model being removed, except removals, giving `reason`; run in the removal's transaction.
    // A job names its model by "modelId" in its payload, or, a float or import that has not
    // made it yet, by "model".
    bool cancelJobsOfModel(qint64 modelId, const QString& modelName, const QString& reason);
    // Forgets a job row (a finished transfer the user cleared).
    bool removeJob(qint64 id);
    // Forgets finished rows (done, failed, cancelled) last changed before `beforeSecs`, and,
    // when `keepNewest` >= 0, all but the `keepNewest` last changed: the transfer history stays
    // bounded however busy the vault is.
    bool pruneFinishedJobs(qint64 beforeSecs, int keepNewest = -1);

    // Folders that restores and materializations write temporaries into, recorded while they
    // run (scratchareas.cpp), so that `collect` can sweep what a killed one left there.
    QList<qint64> addScratchAreas(const QStringList& folders,
                                  const QString& owner = leaseowner::processLeaseOwner());
    bool removeScratchAreas(const QList<qint64>& ids);
    QList<ScratchArea> scratchAreas();
};

} // namespace mf
