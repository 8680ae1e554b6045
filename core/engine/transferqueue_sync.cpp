// How the background sync's kinds of transfer run in the queue: repair (and a model's change of
// redundancy scheme, which is the repair's job with a target), drain and scrub (the scheduler
// that starts them in the background is SyncService's).
#include "transferqueue.h"

#include "sync/drainjob.h"
#include "sync/repairjob.h"
#include "sync/scrubjob.h"
#include "syncservice.h"
#include "util/units.h"
#include "vault/vault.h"

namespace mf {

bool TransferQueue::startRepair(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<RepairJob*>(made.work);
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
    connect(job, &RepairJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &RepairJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &RepairJob::finished, this, [this, id, job] {
        const Error& e = job->error();
        for (const QString& p : job->report().problems.mid(0, 5))
            addWarning(id, p);
        // A shard rebuilt is a lost object made again, as a copy is: the tray says so too.
        const qint64 copies = job->report().copiesMade + job->report().shardsRebuilt;
        QString failure = e.ok() ? QString() : e.message;
        // A conversion that could not make every chunk whole under the new scheme leaves the
        // model as it was: not done, and run again it goes on (docs/erasure.md).
        if (failure.isEmpty() && job->options().convertTo && !job->report().schemeChanged)
            failure = units::counted(qMax(1, job->report().stillShort + job->report().lost),
                                     tr("Not converted yet: 1 chunk could not be stored as %2 "
                                        "now. Retry once the providers can take the rest; what "
                                        "is done is kept."),
                                     tr("Not converted yet: %1 chunks could not be stored as %2 "
                                        "now. Retry once the providers can take the rest; what "
                                        "is done is kept."))
                          .arg(job->options().convertTo->toString());
        onJobFinished(id, failure, e.kind == Error::Kind::Cancelled);
        if (Transfer* x = find(id))
            m_sync->noteBackgroundResult(x->info, copies);
        // Models whose copies came back (or were found lost) show it.
        for (qint64 model : m_vault->registry().healthRows().degradedModels())
            Q_EMIT modelChanged(model);
        Q_EMIT modelsHealthChanged();
    });
    job->start();
    t.info.totalBytes = job->progressNow().totalBytes;
    return true;
}

bool TransferQueue::startScrub(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<ScrubJob*>(made.work);
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
    connect(job, &ScrubJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &ScrubJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &ScrubJob::finished, this, [this, id, job] {
        const Error& e = job->error();
        const ScrubJob::Report r = job->report();
        for (const QString& p : r.problems.mid(0, 5))
            addWarning(id, p);
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
        m_sync->noteScrub(r.bad());
    });
    job->start();
    t.info.totalBytes = job->progressNow().totalBytes;
    return true;
}

bool TransferQueue::startDrain(Transfer& t, QString* error)
{
    const MadeJob made = makeJob(t.request, *m_vault, jobContext(t));
    if (!made.job) {
        *error = made.error;
        return false;
    }
    auto* job = qobject_cast<DrainJob*>(made.work);
    const qint64 providerId = job->providerId();
    const qint64 id = t.info.id;
    t.job = job;
    t.progress = [job] { return job->progressNow(); };
    connect(job, &DrainJob::progress, this, [this, id] {
        if (Transfer* x = find(id))
            x->dirty = true;
    });
    connect(job, &DrainJob::warning, this,
            [this, id](const QString& message) { addWarning(id, message); });
    connect(job, &DrainJob::finished, this, [this, id, job, providerId] {
        const Error& e = job->error();
        const qint64 copies = job->report().copiesMade;
        onJobFinished(id, e.ok() ? QString() : e.message, e.kind == Error::Kind::Cancelled);
        if (Transfer* x = find(id))
            m_sync->noteBackgroundResult(x->info, copies);
        m_vault->dropProvider(providerId);
        Q_EMIT providersChanged();
        Q_EMIT modelsHealthChanged();
        emitStats();
    });
    job->start();
    return true;
}

} // namespace mf
