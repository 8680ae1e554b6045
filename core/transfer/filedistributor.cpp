#include "filedistributor.h"

#include "chunking/unixfs.h"
#include "filechunksource.h"
#include "formats/headerinspection.h"
#include "providers/replacejob.h"
#include "vault/providerspeeds.h"
#include "vault/vault.h"
#include "verifyingchunkdevice.h"

#include <QDateTime>
#include <QTimer>

#include "util/units.h"

#include <algorithm>
#include <limits>

namespace mf {

namespace {

// The manifest's row for a scanned chunk. A chunk of one leaf is its own DAG: nothing to add.
FileChunk manifestEntry(const ScannedChunk& chunk, int index)
{
    FileChunk entry{index, chunk.offset, chunk.size, chunk.cid, {}, 0};
    if (chunk.size > unixfs::LeafBytes && chunk.dag.isValid()) {
        entry.dagCid = unixfs::toText(chunk.dag.cid);
        entry.dagSize = qint64(chunk.dag.cumulativeSize);
    }
    return entry;
}

} // namespace

struct FileDistributor::ChunkTask
{
    ScannedChunk chunk;
    int duplicates = 0;   // further occurrences of this chunk in the file, placed with it
    QSet<qint64> holders; // providers that store it
    // Providers the registry says store it, being asked whether they still do (stat) before
    // the chunk counts as stored there: the registry remembers, the providers decide.
    QSet<qint64> confirming;
    QSet<qint64> inFlight; // providers a put is running on
    QSet<qint64> givenUp;  // providers not to try again for this chunk
    // Providers with a copy known to be missing or corrupt, by its locator: a put there must
    // replace it, or it would find the bad object and count it as stored.
    QHash<qint64, QString> badCopies;
    QHash<qint64, int> attempts;
    bool counted = false; // counted in chunksSent
    bool waiting = false; // in m_ready or waiting for a retry timer
    Error lastError;
    // Set by a put's device when the bytes it read do not hash to the CID: the source changed.
    std::shared_ptr<std::atomic_bool> mismatched = std::make_shared<std::atomic_bool>(false);
};

FileDistributor::FileDistributor(Vault* vault, qint64 modelId, const QString& sourcePath,
                                 const QString& pathInModel, const Options& options,
                                 QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_modelId(modelId)
    , m_sourcePath(sourcePath)
    , m_pathInModel(pathInModel)
    , m_options(options)
{}

FileDistributor::FileDistributor(Vault* vault, qint64 modelId, std::unique_ptr<ChunkSource> source,
                                 const QString& pathInModel, const Options& options,
                                 QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_modelId(modelId)
    , m_pathInModel(pathInModel)
    , m_options(options)
    , m_scanner(std::move(source))
{}

FileDistributor::~FileDistributor()
{
    for (ProviderJob* job : std::as_const(m_jobs)) {
        job->disconnect(this);
        job->abort();
        job->deleteLater();
    }
}

QList<qint64> FileDistributor::usableProviders()
{
    QList<qint64> ids;
    Registry& registry = m_vault->registry();
    for (const ProviderRecord& p : registry.providers()) {
        if (!p.takesNewCopies())
            continue;
        if (!m_options.providerIds.isEmpty() && !m_options.providerIds.contains(p.id))
            continue;
        // Silent for longer than the vault allows: its copies count as lost, so none is placed
        // there (unless it was named for this float).
        if (m_options.providerIds.isEmpty() && registry.providerLost(p)) {
            Q_EMIT warning(tr("Provider “%1” has not answered for too long: no copies are placed "
                              "there")
                               .arg(p.name));
            continue;
        }
        ids.append(p.id);
        m_quotas.insert(p.id, p.quotaBytes);
        m_usedAtStart.insert(p.id, p.usedBytes);
    }
    return ids;
}

void FileDistributor::start()
{
    // A file's snapshot is taken now, when the float starts, not when it was set up.
    if (!m_scanner)
        m_scanner = std::make_unique<FileChunkSource>(m_sourcePath, m_options.chunker);
    m_providers = usableProviders();
    if (m_providers.isEmpty()) {
        finishBeforeScanning(
            Error::make(Error::Kind::Fatal, tr("No provider is available to store chunks; add one "
                                               "with “modelfloat-cli provider add”")));
        return;
    }
    m_replication = qBound(1, m_options.replication, int(m_providers.size()));
    if (m_replication < m_options.replication && m_options.warnIfCapped)
        Q_EMIT warning(tr("Only %n provider(s) available: chunks get %1 replica(s) instead of %2",
                          nullptr, int(m_providers.size()))
                           .arg(m_replication)
                           .arg(m_options.replication));

    m_stats.fileSize = m_scanner->expectedSize();
    if (m_options.topUp) {
        const auto file = m_vault->registry().file(m_modelId, m_pathInModel);
        if (!file || file->state != FileRecord::State::Complete) {
            finishBeforeScanning(
                Error::make(Error::Kind::Fatal,
                            tr("“%1” is not a complete file of the model").arg(m_pathInModel)));
            return;
        }
        m_fileId = file->id;
        m_manifest = m_vault->registry().fileChunks(m_fileId);
        m_metadataGiven = true; // recorded already
    } else {
        const auto fileId =
            m_vault->registry().beginFile(m_modelId, m_pathInModel, m_stats.fileSize,
                                          m_options.chunker.toString(), m_options.leaseOwner);
        if (!fileId) {
            finishBeforeScanning(Error::make(Error::Kind::Fatal, m_vault->registry().lastError()));
            return;
        }
        m_fileId = *fileId;
    }

    if (!m_sourcePath.isEmpty() && !m_metadataGiven) {
        m_inspection = new formats::HeaderInspection(this);
        connect(m_inspection, &formats::HeaderInspection::finished, this, [this] {
            if (!m_inspection->error().isEmpty())
                Q_EMIT warning(tr("%1; floated as a plain file").arg(m_inspection->error()));
            if (!m_metadataGiven)
                m_metadata = m_inspection->metadata();
            maybeComplete();
        });
        m_inspection->start(m_sourcePath);
    }
    m_scanner->setMaxPendingChunks(m_options.maxPendingChunks);
    connect(m_scanner.get(), &ChunkSource::chunkScanned, this, &FileDistributor::onChunkScanned);
    connect(m_scanner.get(), &ChunkSource::finished, this, &FileDistributor::onScannerFinished);
    connect(m_scanner.get(), &ChunkSource::progress, this, [this](qint64 read, qint64 total) {
        m_stats.bytesScanned = read;
        if (total > 0)
            m_stats.fileSize = total;
        Q_EMIT progress();
    });
    m_scanner->start();
}

// Nothing was started yet, so nothing has to settle: finished() follows from the event loop.
void FileDistributor::finishBeforeScanning(const Error& error)
{
    m_error = error;
    m_finished = true;
    QMetaObject::invokeMethod(this, &FileDistributor::finished, Qt::QueuedConnection);
}

void FileDistributor::setMetadata(const QJsonObject& metadata)
{
    m_metadata = metadata;
    m_metadataGiven = true;
}

void FileDistributor::abort()
{
    fail(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void FileDistributor::fail(const Error& error)
{
    if (m_finished)
        return;
    if (m_error.ok())
        m_error = error;
    if (m_scanner)
        m_scanner->abort();
    for (ProviderJob* job : std::as_const(m_jobs))
        job->abort();
    m_ready.clear();
    maybeComplete();
}

void FileDistributor::failSource(const QString& message)
{
    if (m_error.ok())
        m_sourceFailed = true;
    fail(Error::make(Error::Kind::Fatal, message));
}

// A chunk that needs no put: stored on enough providers already (dedup).
void FileDistributor::countAlreadyPlaced(const ScannedChunk& chunk)
{
    m_stats.bytesDeduplicated += chunk.size;
    m_stats.bytesPlaced += chunk.size;
    m_stats.chunksDeduplicated++;
    m_scanner->acknowledge(chunk, 1);
    Q_EMIT progress();
}

void FileDistributor::onChunkScanned(const ScannedChunk& chunk)
{
    if (!m_error.ok())
        return;
    m_stats.chunks++;
    m_stats.bytesScanned = chunk.offset + chunk.size;
    Registry& registry = m_vault->registry();
    if (m_options.topUp) {
        const int index = m_nextIndex++;
        if (index >= m_manifest.size() || m_manifest.at(index).cid != chunk.cid ||
            m_manifest.at(index).offset != chunk.offset) {
            failSource(tr("“%1” changed since it was floated; the copies its chunks lack cannot "
                          "be made from it")
                           .arg(m_sourcePath.isEmpty() ? m_pathInModel : m_sourcePath));
            return;
        }
    } else if (!registry.appendChunks(m_fileId, {manifestEntry(chunk, m_nextIndex++)},
                                      m_options.leaseOwner)) {
        fail(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    // A chunk this float is placing, or has placed, is not sent again: the later occurrences
    // count as deduplicated however the first one is doing, so the counts do not depend on
    // timing.
    const auto existing = m_tasks.find(chunk.cid);
    if (existing != m_tasks.end()) {
        existing->second->duplicates++;
        m_stats.bytesDeduplicated += chunk.size;
        m_stats.chunksDeduplicated++;
        return; // acknowledged with the first occurrence, once it is placed
    }
    if (m_placedCids.contains(chunk.cid)) {
        countAlreadyPlaced(chunk);
        return;
    }
    auto task = std::make_unique<ChunkTask>();
    task->chunk = chunk;
    QHash<qint64, QString> remembered; // stored placements, by provider: their locators
    for (const Placement& p : registry.placements(chunk.cid)) {
        if (!m_providers.contains(p.providerId))
            continue;
        if (p.state == PlacementState::Stored)
            remembered.insert(p.providerId, p.locator);
        else if (p.state == PlacementState::Missing || p.state == PlacementState::Corrupt)
            task->badCopies.insert(p.providerId, p.locator);
    }
    ChunkTask& added = *task;
    m_tasks.emplace(chunk.cid, std::move(task));
    if (remembered.isEmpty()) {
        added.waiting = true;
        m_ready.push_back(chunk.cid);
        schedule();
        return;
    }
    // A copy the registry remembers may be gone: another computer's collect deletes a chunk
    // that no catalog names any more, which this registry may still list (a model that computer
    // removed, an orphan kept for later floats). Counted as stored only once the provider says
    // it holds the object with the chunk's size; asked now, while this float's lease keeps any
    // later collect away from the providers it writes to (docs/catalog.md, "Leases and
    // collection claims").
    for (auto it = remembered.constBegin(); it != remembered.constEnd(); ++it)
        added.confirming.insert(it.key());
    for (auto it = remembered.constBegin(); it != remembered.constEnd(); ++it)
        confirmCopy(added, it.key(), it.value());
}

void FileDistributor::confirmCopy(ChunkTask& task, qint64 providerId, const QString& locator)
{
    const QString cid = task.chunk.cid;
    const std::shared_ptr<Provider> provider = m_vault->provider(providerId);
    if (!provider) {
        // Answered from the event loop, as a job would be: the task is not ended under the
        // caller, which asks its other providers next.
        QTimer::singleShot(0, this,
                           [this, cid, providerId] { confirmed(cid, providerId, Copy::Unknown); });
        return;
    }
    ProviderJob* job = provider->stat(locator);
    job->setParent(this);
    connect(job, &ProviderJob::finished, this,
            [this, cid, providerId, job, size = task.chunk.size] {
                m_jobs.remove(job);
                job->deleteLater();
                const Error& error = job->error();
                // A size the provider does not tell (-1) is taken as right, as the scrub's check
                // does.
                const qint64 held = job->objectSize();
                confirmed(cid, providerId,
                          error.ok() ? (held < 0 || held == size ? Copy::Held : Copy::Damaged)
                          : error.kind == Error::Kind::NotFound ? Copy::Gone
                                                                : Copy::Unknown);
            });
    m_jobs.insert(job);
    job->start();
}

void FileDistributor::confirmed(const QString& cid, qint64 providerId, Copy copy)
{
    const auto it = m_tasks.find(cid);
    if (it == m_tasks.end()) {
        maybeComplete();
        return;
    }
    ChunkTask& task = *it->second;
    task.confirming.remove(providerId);
    if (!m_error.ok()) {
        maybeComplete();
        return;
    }
    if (copy == Copy::Held) {
        task.holders.insert(providerId);
    } else if (copy == Copy::Gone) {
        // Gone: forgotten, so that the put below stores it again and nothing else counts it.
        if (!m_vault->registry().removePlacement(cid, providerId)) {
            fail(Error::make(Error::Kind::Fatal, m_vault->registry().lastError()));
            return;
        }
        m_stats.copiesFoundGone++;
    } else if (copy == Copy::Damaged) {
        // There with another size: a damaged object, which a put must replace.
        const auto placements = m_vault->registry().placements(cid);
        for (const Placement& p : placements)
            if (p.providerId == providerId)
                task.badCopies.insert(providerId, p.locator);
        m_vault->registry().setPlacementState(cid, providerId, PlacementState::Corrupt);
        m_stats.copiesFoundGone++;
    }
    // Could not be asked (the provider is unusable or failing): not counted here; the puts
    // decide whether the chunk can go there or elsewhere.
    if (!task.confirming.isEmpty())
        return;
    if (task.holders.size() >= m_replication) {
        m_stats.bytesDeduplicated += task.chunk.size;
        m_stats.chunksDeduplicated++;
        chunkDone(task);
        return;
    }
    task.waiting = true;
    m_ready.push_back(cid);
    schedule();
}

void FileDistributor::onScannerFinished()
{
    if (!m_scanner->errorString().isEmpty() && !m_scanner->wasCancelled()) {
        failSource(m_scanner->errorString());
        return;
    }
    m_scanDone = !m_scanner->wasCancelled();
    m_stats.sha256 = m_scanner->fileSha256();
    m_stats.bytesScanned = m_scanner->fileSize();
    maybeComplete();
}

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
    while (m_error.ok() && !m_ready.empty() && !allProvidersFull()) {
        const QString cid = m_ready.front();
        m_ready.pop_front();
        const auto it = m_tasks.find(cid);
        if (it == m_tasks.end())
            continue;
        ChunkTask& task = *it->second;
        task.waiting = false;
        if (task.holders.size() + task.inFlight.size() >= m_replication)
            continue;
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
            if (task.holders.isEmpty()) {
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
                    why.message = reasons.isEmpty() ? tr("no provider left to try")
                                                    : reasons.join(QStringLiteral("; "));
                }
                Error failure =
                    Error::make(why.kind == Error::Kind::None ? Error::Kind::Fatal : why.kind,
                                tr("Chunk %1 (bytes %2–%3 of “%4”) could not be stored on any "
                                   "provider: %5")
                                    .arg(cid)
                                    .arg(task.chunk.offset)
                                    .arg(task.chunk.offset + task.chunk.size)
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
        if (task.holders.size() + task.inFlight.size() < m_replication) {
            task.waiting = true;
            m_ready.push_front(cid);
        }
    }
    m_ready.insert(m_ready.begin(), waitingForRoom.begin(), waitingForRoom.end());
}

FileDistributor::PutStart FileDistributor::startPut(ChunkTask& task)
{
    QList<qint64> candidates;
    for (qint64 id : std::as_const(m_providers))
        if (!m_excluded.contains(id) && !task.holders.contains(id) && !task.inFlight.contains(id) &&
            !task.givenUp.contains(id))
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
        const Registry::PlacementIntent intent =
            registry.beginPlacement(task.chunk.cid, providerId);
        if (intent == Registry::PlacementIntent::Busy) {
            deletionRunning = true;
            continue;
        }
        if (intent == Registry::PlacementIntent::Paused) {
            const ProviderBudget budget = registry.providerBudget(providerId);
            pauseProvider(providerId, budget.uploadPausedUntilMs, budget.uploadPauseReason);
            task.lastError = m_excluded.value(providerId);
            continue;
        }
        if (intent == Registry::PlacementIntent::QuotaFull) {
            task.lastError = Error::make(Error::Kind::QuotaExceeded,
                                         tr("Provider “%1” is full: its quota is %2")
                                             .arg(m_vault->providerName(providerId),
                                                  units::formatBytes(m_quotas.value(providerId))));
            exclude(providerId, task.lastError);
            continue;
        }
        if (intent == Registry::PlacementIntent::Failed) {
            fail(Error::make(Error::Kind::Fatal, registry.lastError()));
            return PutStart::None;
        }
        QString unreadable;
        std::unique_ptr<QIODevice> chunkBytes = m_scanner->openChunk(task.chunk, &unreadable);
        std::unique_ptr<QIODevice> source;
        if (chunkBytes && m_scanner->holdsHashedBytes()) {
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
            registry.abandonPlacement(task.chunk.cid, providerId);
            failSource(unreadable);
            return PutStart::None;
        }
        const auto bad = task.badCopies.constFind(providerId);
        ProviderJob* job = bad == task.badCopies.constEnd()
                               ? provider->put(task.chunk.cid, std::move(source), task.chunk.size)
                               : new ReplaceJob(provider, *bad, task.chunk.cid, std::move(source),
                                                task.chunk.size);
        job->setParent(this);
        const QString cid = task.chunk.cid;
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
        const QString cid = task.chunk.cid;
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
        m_vault->registry().abandonPlacement(cid, providerId);
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
        if (task.holders.size() >= m_replication) {
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
            m_vault->registry().pauseProvider(providerId, BudgetDirection::Upload,
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
        const int attempts = ++task.attempts[providerId];
        const QString name = m_vault->providerName(providerId);
        if (m_options.retry.shouldRetry(error, attempts)) {
            task.waiting = true;
            const int delay = m_options.retry.delayMs(error, attempts);
            noteRetrying(providerId, error.message, delay);
            QTimer::singleShot(delay, this, [this, cid] {
                m_ready.push_back(cid);
                schedule();
            });
            schedule(); // its provider has room for another chunk meanwhile
            return;
        }
        m_retrying.remove(providerId); // given up on: its warning says so from here
        if (error.kind == Error::Kind::Retryable || error.kind == Error::Kind::Corrupt) {
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
    if (!m_vault->registry().recordStored(task.chunk.cid, providerId, locator, task.chunk.size))
        return false;
    task.holders.insert(providerId);
    // An object the provider already had (put before a crash, not yet recorded) cost nothing.
    if (alreadyStored)
        return true;
    m_stats.bytesSent += task.chunk.size;
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
        untilMs = QDateTime::currentMSecsSinceEpoch() + Registry::BudgetDayMs;
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

void FileDistributor::chunkDone(ChunkTask& task)
{
    m_stats.bytesPlaced += task.chunk.size * (1 + task.duplicates);
    m_scanner->acknowledge(task.chunk, 1 + task.duplicates);
    // Copied: erasing the task destroys the string a by-reference key would point into.
    const QString cid = task.chunk.cid;
    m_placedCids.insert(cid);
    m_tasks.erase(cid);
    Q_EMIT progress();
    maybeComplete();
    schedule();
}

void FileDistributor::maybeComplete()
{
    if (m_finished || !m_jobs.isEmpty())
        return;
    if (!m_error.ok()) {
        if (m_scanner && !m_scanner->isFinished())
            return; // its finished() brings us back here
        m_finished = true;
        QMetaObject::invokeMethod(this, &FileDistributor::finished, Qt::QueuedConnection);
        return;
    }
    if (!m_scanDone || !m_tasks.empty())
        return;
    const QString changed = m_scanner->changedError();
    if (!changed.isEmpty()) {
        failSource(changed);
        return;
    }
    if (m_inspection && !m_inspection->isFinished())
        return; // its finished() brings us back here
    if (m_stats.underReplicatedChunks > 0)
        Q_EMIT warning(tr("%n chunk(s) of “%1” have fewer than %2 replicas", nullptr,
                          m_stats.underReplicatedChunks)
                           .arg(m_pathInModel)
                           .arg(m_replication));
    Registry& registry = m_vault->registry();
    if (m_options.topUp) {
        if (m_nextIndex != m_manifest.size()) {
            failSource(tr("“%1” changed since it was floated; the copies its chunks lack cannot "
                          "be made from it")
                           .arg(m_sourcePath.isEmpty() ? m_pathInModel : m_sourcePath));
            return;
        }
        m_finished = true;
        QMetaObject::invokeMethod(this, &FileDistributor::finished, Qt::QueuedConnection);
        return;
    }
    if (!registry.completeFile(m_fileId, m_stats.sha256.toHex(), m_metadata,
                               m_options.leaseOwner)) {
        fail(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    m_finished = true;
    QMetaObject::invokeMethod(this, &FileDistributor::finished, Qt::QueuedConnection);
}

} // namespace mf
