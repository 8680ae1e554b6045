#include "filedistributor.h"

// The put side of a float: which provider a chunk goes to next, the put itself, and what a
// put's end means (stored, retried, given up on, the provider full or paused).

#include "filedistributortask.h"
#include "providers/replacejob.h"
#include "util/units.h"
#include "vault/providerspeeds.h"
#include "vault/vault.h"
#include "verifyingchunkdevice.h"

#include <QDateTime>
#include <QTimer>

#include <algorithm>
#include <limits>

namespace mf {

bool FileDistributor::isFull(qint64 providerId)
{
    const std::shared_ptr<Provider> provider = m_vault->provider(providerId);
    return m_putsInFlight.value(providerId) >= qMax(1, provider ? provider->putsAtOnce() : 1);
}

// False when no provider is left at all: the chunks must still be taken up, to fail.
bool FileDistributor::allProvidersFull()
{
    bool any = false;
    for (qint64 id : std::as_const(m_providers)) {
        if (m_excluded.contains(id))
            continue;
        if (!isFull(id))
            return false;
        any = true;
    }
    return any;
}

void FileDistributor::schedule()
{
    // A chunk whose providers are all full waits, keeping its place in line, while the chunks
    // behind it go to the providers that have room: each provider is kept busy on its own.
    std::deque<QString> waitingForRoom;
    // Shards whose siblings' copies are still being confirmed: their turn comes when the answers
    // do (confirmed() schedules).
    std::deque<QString> waitingForSiblings;
    while (m_error.ok() && !m_ready.empty() && !allProvidersFull()) {
        const QString cid = m_ready.front();
        m_ready.pop_front();
        const auto it = m_tasks.find(cid);
        if (it == m_tasks.end())
            continue;
        ChunkTask& task = *it->second;
        task.waiting = false;
        if (copiesCounted(task, true) >= wanted(task)) {
            // A shard counted short when it was queued may have enough now: a sibling found a
            // provider of its own meanwhile. A task with a put running ends with that put.
            if (task.isShard() && task.inFlight.isEmpty() &&
                copiesCounted(task, false) >= wanted(task))
                chunkDone(task);
            continue;
        }
        if (task.isShard() && siblingsConfirming(task)) {
            task.waiting = true;
            waitingForSiblings.push_back(cid);
            continue;
        }
        if (!hasBytes(task))
            continue; // queued again once its bytes are made
        const PutStart started = startPut(task);
        if (started == PutStart::Waiting)
            continue; // a deletion of this chunk is running; its timer queues it again
        if (started == PutStart::Full) {
            task.waiting = true;
            waitingForRoom.push_back(cid);
            continue;
        }
        if (started == PutStart::None) {
            if (!m_error.ok())
                return; // the source failed
            if (!task.inFlight.isEmpty())
                continue; // a running put may still succeed; decide when it ends
            // A shard has no "fewer copies": without it the chunk lacks a piece of its scheme.
            if (task.holders.isEmpty() || task.isShard()) {
                // This chunk's own puts may never have failed: the providers were ruled out by
                // other chunks' failures. Say what those were, or the message explains nothing.
                Error why = task.lastError;
                if (why.ok()) {
                    QStringList reasons;
                    for (qint64 id : std::as_const(m_providers)) {
                        const auto excluded = m_excluded.constFind(id);
                        if (excluded != m_excluded.constEnd()) {
                            reasons.append(excluded->message);
                            why.kind = excluded->kind;
                        }
                    }
                    why.message = !reasons.isEmpty() ? reasons.join(QStringLiteral("; "))
                                  : task.isShard()
                                      ? tr("every provider left holds another shard of it")
                                      : tr("no provider left to try");
                }
                const auto group = m_groups.find(task.group);
                const qint64 chunkSize =
                    group == m_groups.end() ? task.chunk.size : group->second->chunk.size;
                const QString what = task.isShard()
                                         ? tr("Shard %1 of chunk %2 (%3)")
                                               .arg(QString::number(task.indices.value(0)),
                                                    task.group, m_scheme.toString())
                                         : tr("Chunk %1").arg(cid);
                Error failure =
                    Error::make(why.kind == Error::Kind::None ? Error::Kind::Fatal : why.kind,
                                tr("%1 (bytes %2–%3 of “%4”) could not be stored on any "
                                   "provider: %5")
                                    .arg(what)
                                    .arg(task.chunk.offset)
                                    .arg(task.chunk.offset + chunkSize)
                                    .arg(m_pathInModel, why.message));
                // A paused provider could take it when its time comes: the float waits.
                qint64 earliest = -1;
                for (const qint64 until : std::as_const(m_pausedUntil))
                    earliest = earliest < 0 ? until : qMin(earliest, until);
                if (earliest > 0)
                    failure = Error::outOfBudget(failure.message, earliest);
                fail(failure);
                return;
            }
            m_stats.underReplicatedChunks++;
            chunkDone(task);
            continue;
        }
        // Needs more replicas than this one put: queue it again for the next free slot.
        if (copiesCounted(task, true) < wanted(task)) {
            task.waiting = true;
            m_ready.push_front(cid);
        }
    }
    m_ready.insert(m_ready.begin(), waitingForRoom.begin(), waitingForRoom.end());
    m_ready.insert(m_ready.end(), waitingForSiblings.begin(), waitingForSiblings.end());
}

FileDistributor::PutStart FileDistributor::startPut(ChunkTask& task)
{
    // Never two shards of one chunk on one provider: losing it would cost two.
    const QSet<qint64> siblings = task.isShard() ? siblingProviders(task) : QSet<qint64>();
    QList<qint64> candidates;
    for (qint64 id : std::as_const(m_providers))
        if (!m_excluded.contains(id) && !task.holders.contains(id) && !task.inFlight.contains(id) &&
            !task.givenUp.contains(id) && !siblings.contains(id))
            candidates.append(id);
    // Free space first: a provider with room for the chunk (the quota set for it, less what it
    // holds and what this float gave it) before one without. Then the provider that would have
    // it stored soonest, behind the bytes already given to it, at the speed its puts are
    // measured to send (Vault::uploadSpeeds()): each provider takes chunks at the pace it
    // keeps, and a slow one never holds a queue the others would finish sooner, which the
    // float's end would wait on. Then the most room.
    auto room = [this](qint64 id) {
        const qint64 quota = m_quotas.value(id, -1);
        return quota < 0 ? std::numeric_limits<qint64>::max() - m_bytesQueued.value(id)
                         : quota - m_usedAtStart.value(id) - m_bytesQueued.value(id);
    };
    const qint64 size = task.chunk.size;
    const ProviderSpeeds& speeds = m_vault->uploadSpeeds();
    QHash<qint64, double> soonest;
    for (qint64 id : std::as_const(candidates))
        soonest.insert(id, speeds.expectedMs(id, size));
    std::stable_sort(candidates.begin(), candidates.end(), [&](qint64 a, qint64 b) {
        const bool fitsA = room(a) >= size;
        const bool fitsB = room(b) >= size;
        if (fitsA != fitsB)
            return fitsA;
        if (soonest.value(a) != soonest.value(b))
            return soonest.value(a) < soonest.value(b);
        return room(a) > room(b);
    });
    // A copy or a shard goes where a put of it was begun before (and the object may be) first:
    // the put finds it there or sends it again, and the intent it left is settled. Elsewhere
    // the intent would stay, counted against that provider's quota, and keep the object there
    // from ever being deleted.
    std::stable_partition(candidates.begin(), candidates.end(),
                          [&task](qint64 id) { return task.begunOn.contains(id); });
    bool deletionRunning = false;
    Registry& registry = m_vault->registry();
    for (qint64 providerId : std::as_const(candidates)) {
        // The provider that would store it soonest runs as many puts as it takes: the chunk
        // waits for one of them to end (which schedules) rather than going where it would be
        // stored later.
        if (isFull(providerId))
            return PutStart::Full;
        QString why;
        const std::shared_ptr<Provider> provider = m_vault->provider(providerId, &why);
        if (!provider) {
            task.lastError = Error::make(Error::Kind::Fatal, why);
            exclude(providerId, task.lastError);
            continue;
        }
        // Recorded before the put, in the registry every process shares: a removal that is
        // deleting this object right now must end first (or the put would count the object
        // that is about to vanish); one queued is cancelled, since the chunk is wanted again.
        const PlacementRows::PlacementIntent intent =
            registry.placementRows().beginPlacement(task.chunk.cid, providerId);
        if (intent == PlacementRows::PlacementIntent::Busy) {
            deletionRunning = true;
            continue;
        }
        if (intent == PlacementRows::PlacementIntent::Paused) {
            const ProviderBudget budget = registry.providerRows().providerBudget(providerId);
            pauseProvider(providerId, budget.uploadPausedUntilMs, budget.uploadPauseReason);
            task.lastError = m_excluded.value(providerId);
            continue;
        }
        if (intent == PlacementRows::PlacementIntent::QuotaFull) {
            task.lastError = Error::make(Error::Kind::QuotaExceeded,
                                         tr("Provider “%1” is full: its quota is %2")
                                             .arg(m_vault->providerName(providerId),
                                                  units::formatBytes(m_quotas.value(providerId))));
            exclude(providerId, task.lastError);
            continue;
        }
        if (intent == PlacementRows::PlacementIntent::Failed) {
            fail(Error::make(Error::Kind::Fatal, registry.lastError()));
            return PutStart::None;
        }
        QString unreadable;
        // A shard's bytes were made here, its CID from them: nothing to check again.
        std::unique_ptr<QIODevice> chunkBytes = task.isShard()
                                                    ? task.chunk.bytes.open()
                                                    : m_scanner->openChunk(task.chunk, &unreadable);
        std::unique_ptr<QIODevice> source;
        if (chunkBytes && (task.isShard() || m_scanner->holdsHashedBytes())) {
            source = std::move(chunkBytes);
        } else if (chunkBytes) {
            // Bytes read again from somewhere go through a check against the CID, so that no
            // provider ever holds an object whose bytes do not hash to its name.
            source = std::make_unique<VerifyingChunkDevice>(
                std::move(chunkBytes), task.chunk.cid, task.chunk.size,
                m_scanner->mismatchError(task.chunk), task.mismatched);
            if (!source->open(QIODevice::ReadOnly)) {
                unreadable = source->errorString();
                source.reset();
            }
        }
        if (!source) {
            registry.placementRows().abandonPlacement(task.chunk.cid, providerId);
            failSource(unreadable);
            return PutStart::None;
        }
        const auto bad = task.badCopies.constFind(providerId);
        ProviderJob* job = bad == task.badCopies.constEnd()
                               ? provider->put(task.chunk.cid, std::move(source), task.chunk.size)
                               : new ReplaceJob(provider, *bad, task.chunk.cid, std::move(source),
                                                task.chunk.size);
        job->setParent(this);
        const QString cid = task.key;
        // The bytes the put has sent, for the provider's measured speed (a retry within the
        // job sends from 0 again: only bytes past those counted are new).
        auto sent = std::make_shared<qint64>(0);
        connect(job, &ProviderJob::progress, this, [this, providerId, sent](qint64 done) {
            if (done > *sent) {
                m_vault->uploadSpeeds().delivered(providerId, done - *sent);
                *sent = done;
            }
        });
        connect(job, &ProviderJob::finished, this,
                [this, cid, providerId, job, sent, size = task.chunk.size] {
                    ProviderSpeeds& upload = m_vault->uploadSpeeds();
                    const Error& error = job->error();
                    if (error.ok() && !job->alreadyStored() && *sent < size) {
                        upload.delivered(providerId, size - *sent);
                        *sent = size;
                    }
                    upload.fetchEnded(providerId, size, *sent,
                                      !error.ok() && error.kind != Error::Kind::Cancelled);
                    m_putsInFlight[providerId]--;
                    onPutFinished(cid, providerId, job);
                });
        connect(job, &ProviderJob::retrying, this,
                [this, providerId](const QString& reason, int delayMs) {
                    noteRetrying(providerId, reason, delayMs);
                });
        m_jobs.insert(job);
        m_putsInFlight[providerId]++;
        task.inFlight.insert(providerId);
        m_bytesQueued[providerId] += task.chunk.size;
        m_vault->uploadSpeeds().fetchStarted(providerId, task.chunk.size);
        job->start();
        return PutStart::Started;
    }
    if (deletionRunning && task.inFlight.isEmpty()) {
        // Asked again shortly: a deletion ends within seconds, and its claim expires if the
        // process carrying it out died.
        task.waiting = true;
        const QString cid = task.key;
        QTimer::singleShot(DeletionPollMs, this, [this, cid] {
            m_ready.push_back(cid);
            schedule();
        });
        return PutStart::Waiting;
    }
    return PutStart::None;
}

void FileDistributor::onPutFinished(const QString& cid, qint64 providerId, ProviderJob* job)
{
    m_jobs.remove(job);
    job->deleteLater();
    const auto it = m_tasks.find(cid);
    if (it == m_tasks.end()) {
        maybeComplete();
        return;
    }
    ChunkTask& task = *it->second;
    task.inFlight.remove(providerId);
    const Error& error = job->error();
    if (!error.ok()) {
        m_vault->registry().placementRows().abandonPlacement(task.chunk.cid, providerId);
    } else {
        task.badCopies.remove(providerId);
        m_retrying.remove(providerId); // it takes puts again
    }
    if (!m_error.ok()) {
        // The float is ending, but a put that completed all the same stored a good object (its
        // source checked on the last read that the file was unchanged). Record it: otherwise
        // the object is on the provider with nothing pointing at it, and a resume sends it
        // again.
        if (error.ok())
            recordStored(task, providerId, job->locator(), job->alreadyStored());
        maybeComplete();
        return;
    }
    if (error.ok()) {
        if (!recordStored(task, providerId, job->locator(), job->alreadyStored())) {
            fail(Error::make(Error::Kind::Fatal, m_vault->registry().lastError()));
            return;
        }
        if (copiesCounted(task, false) >= wanted(task)) {
            chunkDone(task);
            return;
        }
    } else {
        // A put that failed because the source changed is the file's failure, not the
        // provider's: seen by the file's snapshot, or by the put's check of the bytes.
        QString changed = m_scanner->changedError();
        if (changed.isEmpty() && task.mismatched->load())
            changed = m_scanner->mismatchError(task.chunk);
        if (!changed.isEmpty()) {
            failSource(changed);
            return;
        }
        task.lastError = error;
        if (error.isOutOfBudget()) {
            // "No more until T": every process on the vault sees the pause, and this float
            // places its chunks elsewhere meanwhile.
            m_vault->registry().providerRows().pauseProvider(providerId, BudgetDirection::Upload,
                                                             error.budgetResetMs, error.message);
            pauseProvider(providerId, error.budgetResetMs, error.message);
            task.lastError = m_excluded.value(providerId, error);
            if (!task.waiting) {
                task.waiting = true;
                m_ready.push_back(cid);
            }
            schedule();
            return;
        }
        // Retries live in one place, where a request fails (the adapter's RetryPolicy, which
        // the put's retrying() reported): a put that still failed is not sent there again.
        const QString name = m_vault->providerName(providerId);
        m_retrying.remove(providerId); // given up on: its warning says so from here
        if (error.kind == Error::Kind::Retryable || error.kind == Error::Kind::Corrupt) {
            // Only this chunk: the next one may well go through (a connection dropped once).
            task.givenUp.insert(providerId);
        } else {
            // Full, refusing our credentials, or broken: no more chunks go there this float.
            exclude(providerId,
                    Error::make(error.kind, tr("Provider “%1”: %2").arg(name, error.message)));
        }
    }
    if (!task.waiting) {
        task.waiting = true;
        m_ready.push_back(cid);
    }
    schedule();
}

bool FileDistributor::recordStored(ChunkTask& task, qint64 providerId, const QString& locator,
                                   bool alreadyStored)
{
    // Stored, not verified: nothing was read back (a scrub or verify sets that time).
    if (!m_vault->registry().placementRows().recordStored(task.chunk.cid, providerId, locator,
                                                          task.chunk.size))
        return false;
    task.holders.insert(providerId);
    // An object the provider already had (put before a crash, not yet recorded) cost nothing.
    if (alreadyStored)
        return true;
    m_stats.bytesSent += task.chunk.size;
    if (task.isShard()) {
        // Counted once for the chunk, by its group.
        const auto group = m_groups.find(task.group);
        if (group != m_groups.end() && !group->second->sent) {
            group->second->sent = true;
            m_stats.chunksSent++;
        }
        return true;
    }
    if (!task.counted) {
        task.counted = true;
        m_stats.chunksSent++;
    }
    return true;
}

void FileDistributor::noteRetrying(qint64 providerId, const QString& reason, int delayMs)
{
    m_retrying.insert(providerId,
                      RetryWait{tr("“%1”: %2").arg(m_vault->providerName(providerId), reason),
                                QDateTime::currentMSecsSinceEpoch() + delayMs});
    m_stats.retries++;
    Q_EMIT progress();
}

RetryWait FileDistributor::retryWait() const
{
    RetryWait latest;
    for (const RetryWait& w : m_retrying)
        if (latest.isEmpty() || w.nextTryMs > latest.nextTryMs)
            latest = w;
    return latest;
}

void FileDistributor::exclude(qint64 providerId, const Error& why)
{
    m_retrying.remove(providerId);
    // Several puts to a broken provider fail together: one warning is enough.
    if (m_excluded.contains(providerId))
        return;
    m_excluded.insert(providerId, why);
    Q_EMIT warning(tr("%1; placing chunks elsewhere").arg(why.message));
}

void FileDistributor::pauseProvider(qint64 providerId, qint64 untilMs, const QString& reason)
{
    if (untilMs <= 0)
        untilMs = QDateTime::currentMSecsSinceEpoch() + ProviderRows::BudgetDayMs;
    m_pausedUntil.insert(providerId, untilMs);
    const QDateTime until = QDateTime::fromMSecsSinceEpoch(untilMs);
    const QString when = until.date() == QDate::currentDate()
                             ? until.toString(QStringLiteral("HH:mm"))
                             : until.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    Error why = Error::outOfBudget(tr("Provider “%1” takes no uploads until %2 (%3)")
                                       .arg(m_vault->providerName(providerId), when, reason),
                                   untilMs);
    exclude(providerId, why);
}

qint64 FileDistributor::budgetResetMs() const
{
    if (m_pausedUntil.isEmpty() || (m_error.ok() && m_stats.underReplicatedChunks == 0))
        return -1;
    if (!m_error.ok() && !m_error.isOutOfBudget())
        return -1;
    qint64 earliest = -1;
    for (const qint64 until : m_pausedUntil)
        earliest = earliest < 0 ? until : qMin(earliest, until);
    return earliest;
}

} // namespace mf
