#include "repairjob.h"
#include "repairjobtask.h"

#include "chunking/redundancyscheme.h"
#include "providers/chunkwriter.h"
#include "providers/replacejob.h"
#include "scrubjob.h"
#include "transfer/chunkfetcher.h"
#include "transfer/temporarysweep.h"
#include "transfer/verifyingchunkdevice.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QBuffer>
#include <QThreadPool>
#include <QTimer>

#include <algorithm>
#include <limits>
#include <utility>

namespace mf {

namespace {
constexpr int BatchSize = 256;
constexpr int DeletionPollMs = 500; // as the distributor: a running deletion ends in seconds
constexpr int MaxProblems = 200;    // a report, not a log of every chunk of a dead provider
} // namespace

RepairJob::RepairJob(Vault* vault, Options options, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_options(std::move(options))
{}

RepairJob::~RepairJob()
{
    if (m_pool) {
        *m_poolCancelled = true;
        m_pool->waitForDone(); // a block of a file at most: hashing checks the flag per block
    }
    for (auto& [id, task] : m_tasks) {
        if (task->put) {
            task->put->disconnect(this);
            task->put->abort();
            task->put->deleteLater();
            // Its announcement goes with it, or it would hold quota for a put that never ends.
            m_vault->registry().placementRows().abandonPlacement(task->objectCid(),
                                                                 task->putProvider);
        }
        if (task->fetcher)
            task->fetcher->disconnect(this);
    }
}

void RepairJob::doStart()
{
    if (!m_options.fromPaths.isEmpty())
        matchLocalFiles(); // then look (if asked) and begin
    else if (m_options.checkFirst)
        look();
    else
        begin();
}

void RepairJob::look()
{
    ScrubJob::Options every;
    every.pass = ScrubRows::ScrubPass::Check;
    every.intervalSecs = 0;                    // every copy: one deleted a minute ago must be found
    every.scope.modelIds = m_options.modelIds; // of the models asked for (all if none)
    m_check = new ScrubJob(m_vault, every, this);
    connect(m_check, &TransferJob::finished, this, [this] {
        ScrubJob* check = std::exchange(m_check, nullptr);
        check->deleteLater();
        const ScrubJob::Report& r = check->report();
        m_report.copiesChecked = r.checked;
        m_report.copiesFoundBad = r.bad();
        m_report.copiesUnchecked = r.unreachable;
        for (const QString& p : r.problems)
            problem(p);
        for (const QString& w : r.lostProviders)
            addWarning(w);
        if (isAborting() || check->error().kind == Error::Kind::Cancelled) {
            finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
            return;
        }
        if (!check->error().ok()) {
            finish(check->error());
            return;
        }
        if (r.unreachable > 0)
            addWarning(units::counted(r.unreachable,
                                      tr("1 stored copy could not be checked: its provider did "
                                         "not answer. It still counts as a copy; run repair "
                                         "again once it does"),
                                      tr("%1 stored copies could not be checked: their provider "
                                         "did not answer. They still count as copies; run "
                                         "repair again once it does")));
        begin();
    });
    m_check->start();
}

void RepairJob::begin()
{
    // Beside the repair, as beside a float: what repairs (and floats) killed before left in the
    // providers' temporary areas. The repair ends after it, so a rerun leaves none behind.
    m_sweep = new TemporarySweep(m_vault, {}, false, this);
    connect(m_sweep, &TemporarySweep::finished, this, [this] {
        for (const QString& w : m_sweep->warnings())
            addWarning(w);
        if (m_tasks.empty() && (m_exhausted || isAborting()))
            finishAll();
    });
    m_sweep->start();
    Registry& registry = m_vault->registry();
    m_wanted = registry.healthRows().wantedCopies();
    if (m_options.convertTo && !m_options.convertTo->isShards())
        m_wanted = m_options.convertTo->copies; // the copies each chunk is converted to
    if (m_options.drainProvider > 0)
        m_draining.insert(m_options.drainProvider);
    for (const ProviderRecord& p : registry.providerRows().providers()) {
        if (p.draining)
            m_draining.insert(p.id);
        if (p.id == m_options.drainProvider || !p.takesNewCopies() ||
            registry.providerRows().providerLost(p))
            continue; // (a lost provider's copies count as missing; new ones go elsewhere)
        m_targets.append(p.id);
        m_room.insert(p.id, p.quotaBytes < 0 ? -1 : qMax<qint64>(0, p.quotaBytes - p.usedBytes));
    }
    const ScrubRows::RepairWork work =
        m_options.convertTo ? registry.scrubRows().modelsWork(m_options.modelIds)
                            : registry.scrubRows().repairWork(m_wanted, m_options.modelIds,
                                                              m_options.drainProvider);
    m_totalBytes = work.bytes;
    fill();
}

void RepairJob::doAbort()
{
    if (m_matching) {
        *m_poolCancelled = true;
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (m_check) {
        m_check->abort(); // its finished() ends this job
        return;
    }
    m_batch.clear();
    m_exhausted = true;
    QList<quint64> idle;
    for (auto& [id, task] : m_tasks) {
        if (task->put)
            task->put->abort();
        else if (task->fetcher)
            task->fetcher->abort(); // nothing if it ended: its finished() is on its way
        if (task->waiting)
            idle.append(id);
    }
    for (quint64 id : std::as_const(idle))
        endTask(id);
    if (m_tasks.empty())
        finishAll();
}

void RepairJob::fill()
{
    if (isFinished())
        return;
    Registry& registry = m_vault->registry();
    while (!isAborting() && int(m_tasks.size()) < qMax(1, m_options.parallelChunks) &&
           (m_tasks.empty() || m_bytesInFlight < m_options.maxBytesInFlight)) {
        if (m_batch.empty() && !m_exhausted) {
            const auto next =
                m_options.convertTo
                    ? registry.scrubRows().chunksOfModels(m_lastCid, BatchSize, m_options.modelIds)
                    : registry.scrubRows().chunksToRepair(m_lastCid, BatchSize, m_wanted,
                                                          m_options.modelIds,
                                                          m_options.drainProvider);
            if (next.isEmpty())
                m_exhausted = true;
            m_batch.assign(next.cbegin(), next.cend());
        }
        if (m_batch.empty())
            break;
        const ScrubRows::ChunkToRepair chunk = m_batch.front();
        m_batch.pop_front();
        m_lastCid = chunk.cid;
        startTask(chunk);
    }
    if (m_tasks.empty() && (m_exhausted || isAborting()))
        finishAll();
}

void RepairJob::startTask(const ScrubRows::ChunkToRepair& chunk)
{
    if (m_options.convertTo)
        return startConvert(chunk); // repairjob_convert.cpp
    if (m_options.drainProvider > 0 && m_options.keepOnDrained.contains(chunk.cid))
        return; // stays where it is: another model still wants it there
    const QList<Placement> placements = m_vault->registry().placementRows().placements(chunk.cid);
    int good = 0;
    for (const Placement& p : placements)
        good += p.state == PlacementState::Stored && !m_draining.contains(p.providerId) ? 1 : 0;
    if (m_options.drainProvider > 0 && !chunk.used &&
        m_vault->registry().shardRows().isShard(chunk.cid))
        return drainShard(chunk); // repairjob_shards.cpp
    if (m_options.drainProvider > 0 && (!chunk.used || good >= m_wanted)) {
        // Nothing to copy: the drained provider's copy can go (a chunk no file uses needs no
        // copy at all; collect deletes the others).
        retire(chunk.cid, chunk.used ? m_wanted : 0);
        return;
    }
    if (good >= m_wanted)
        return; // repaired meanwhile (a float placed it again)
    // A sharded chunk whose shards each have a provider of their own (chosen because one of
    // them has copies on several) is not short: nothing to read.
    if (m_options.drainProvider <= 0 && m_vault->registry().shardRows().wholeApart(chunk.cid))
        return;
    m_report.chunksShort++;
    const quint64 id = ++m_nextTaskId;
    auto task = std::make_unique<Task>();
    task->chunk = chunk;
    // Stored as shards: its lost shards are rebuilt, never copies made (which would change its
    // scheme). A drain moves copies only (docs/erasure.md).
    if (m_options.drainProvider <= 0)
        task->scheme = m_vault->registry().shardRows().shardScheme(chunk.cid);
    m_bytesInFlight += chunk.size;
    m_tasks.emplace(id, std::move(task));
    // A file at hand has it: read from there, even when no provider has a copy left.
    const auto local = m_localChunks.constFind(chunk.cid);
    if (local != m_localChunks.constEnd())
        readLocal(id, *local);
    else
        fetch(id);
}

void RepairJob::fetch(quint64 taskId)
{
    Task& task = *m_tasks.at(taskId);
    FileChunk fc;
    fc.cid = task.chunk.cid;
    fc.size = task.chunk.size;
    // The fetcher checks the bytes against the CID, marks bad replicas and tries the next one.
    task.fetcher = std::make_unique<ChunkFetcher>(
        m_vault, fc, m_vault->registry().placementRows().placements(fc.cid), &task.writer);
    connect(task.fetcher.get(), &ChunkFetcher::finished, this,
            [this, taskId] { onFetched(taskId); });
    task.fetcher->start();
}

void RepairJob::onFetched(quint64 taskId)
{
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    Task& task = *it->second;
    const QString& cid = task.chunk.cid;
    const Error fetchError = endFetch(task);
    if (isAborting())
        return endTask(taskId);

    // What the registry says now: the fetch may have marked copies missing or corrupt.
    collectHolders(taskId);
    if (!fetchError.ok()) {
        // Stored as shards, ShardGather says which: lost (fewer than K good shards) or not read.
        // A conversion's scheme is where the chunk goes, not how it is stored now.
        const bool asShards = task.converting
                                  ? m_vault->registry().shardRows().shardScheme(cid).has_value()
                                  : task.scheme.has_value();
        if (asShards && fetchError.kind == Error::Kind::Corrupt && task.holders.isEmpty()) {
            m_report.lost++;
            QStringList models;
            Registry& registry = m_vault->registry();
            for (qint64 id : registry.healthRows().modelsUsingChunks({cid}))
                if (const auto model = registry.modelRows().model(id))
                    models.append(QStringLiteral("“%1”").arg(model->name));
            problem(tr("%1. The models using it (%2) cannot be rebuilt until enough of its "
                       "shards are found")
                        .arg(fetchError.message, models.join(QStringLiteral(", "))));
        } else if (!asShards && task.holders.isEmpty() &&
                   fetchError.kind != Error::Kind::Retryable) {
            m_report.lost++;
            problem(tr("chunk %1 has no good copy left: the models using it cannot be rebuilt "
                       "until one is found (%2)")
                        .arg(cid, fetchError.message));
        } else {
            m_report.stillShort++;
            problem(tr("chunk %1: no copy could be read now (%2)").arg(cid, fetchError.message));
        }
        return endTask(taskId);
    }
    haveBytes(taskId);
}

Error RepairJob::endFetch(Task& task)
{
    const Error fetchError = task.fetcher->error();
    for (const QString& p : task.fetcher->problems()) {
        m_report.badCopies++;
        problem(p);
    }
    task.fetcher.release()->deleteLater();
    return fetchError;
}

void RepairJob::haveBytes(quint64 taskId)
{
    if (m_tasks.at(taskId)->scheme)
        return rebuildShards(taskId);
    placeCopies(taskId);
}

QThreadPool& RepairJob::pool()
{
    if (!m_pool) {
        m_pool = std::make_unique<QThreadPool>();
        m_pool->setMaxThreadCount(1); // one disk read, or one encode, at a time
    }
    return *m_pool;
}

void RepairJob::collectHolders(quint64 taskId)
{
    Task& task = *m_tasks.at(taskId);
    task.holders.clear();
    task.badCopies.clear();
    task.lostOn.clear();
    for (const Placement& p : m_vault->registry().placementRows().placements(task.objectCid())) {
        if (p.state == PlacementState::Stored && !m_draining.contains(p.providerId))
            task.holders.insert(p.providerId);
        else if (p.state == PlacementState::Missing || p.state == PlacementState::Corrupt)
            task.lostOn.insert(p.providerId);
        if (p.state == PlacementState::Corrupt)
            task.badCopies.insert(p.providerId, p.locator);
    }
}

void RepairJob::placeCopies(quint64 taskId)
{
    collectHolders(taskId);
    Task& task = *m_tasks.at(taskId);
    // Where the copies go: providers without a good one, by free room (the most first), like
    // the distributor places a new chunk.
    const QString cid = task.objectCid();
    // A provider where a put of another shard of the chunk began and never ended (a run killed
    // mid-put) may hold that shard: this one goes elsewhere.
    auto anotherShardBegun = [&task, &cid](qint64 id) {
        const auto begun = task.shardPutsBegun.constFind(id);
        return begun != task.shardPutsBegun.constEnd() &&
               (begun->size() > 1 || !begun->contains(cid));
    };
    QList<qint64> candidates;
    for (qint64 id : std::as_const(m_targets))
        if (!task.holders.contains(id) && !m_excluded.contains(id) &&
            !task.shardProviders.contains(id) && !anotherShardBegun(id))
            candidates.append(id);
    auto room = [this](qint64 id) {
        const qint64 r = m_room.value(id, -1);
        return r < 0 ? std::numeric_limits<qint64>::max() : r;
    };
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&room](qint64 a, qint64 b) { return room(a) > room(b); });
    // A shard goes back where it was lost first, replacing the bad object in place, so that
    // each provider keeps the shard it had.
    if (task.puttingShard())
        std::stable_partition(candidates.begin(), candidates.end(),
                              [&task](qint64 id) { return task.lostOn.contains(id); });
    // A shard (or a conversion's object) goes before all where a put of it began and never
    // ended (a run killed mid-put): the object may be there, and put there again it leaves no
    // orphan behind.
    if (task.puttingShard() || task.converting) {
        const QSet<qint64> begun = m_vault->registry().placementRows().putsBegun(cid);
        std::stable_partition(candidates.begin(), candidates.end(),
                              [&begun](qint64 id) { return begun.contains(id); });
    }
    task.candidates.assign(candidates.cbegin(), candidates.cend());
    putNext(taskId);
}

void RepairJob::putNext(quint64 taskId)
{
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    Task& task = *it->second;
    task.waiting = false;
    const QString cid = task.objectCid();
    if (isAborting() || isFinished())
        return endTask(taskId);
    if (task.puttingShard() && task.copiesCounted() >= task.wanted(m_wanted)) {
        task.shardProviders |= task.holders;
        task.lostShards.pop_front();
        return nextShard(taskId);
    }
    // (A shard is done above, by its own count: a shard of zeros is wanted once per index.)
    if (!task.puttingShard() && int(task.holders.size()) >= m_wanted) {
        m_report.chunksRepaired++;
        if (m_options.drainProvider > 0)
            retire(cid, m_wanted);
        if (task.converting)
            convertedChunk(cid); // its copies are all there: the shards can go
        return endTask(taskId);
    }
    Registry& registry = m_vault->registry();
    while (!task.candidates.empty()) {
        const qint64 providerId = task.candidates.front();
        task.candidates.pop_front();
        if (m_excluded.contains(providerId))
            continue;
        const PlacementRows::PlacementIntent intent =
            registry.placementRows().beginPlacement(cid, providerId);
        if (intent == PlacementRows::PlacementIntent::Busy) {
            // A deletion of this very object is running: ask again shortly.
            task.candidates.push_front(providerId);
            return retryLater(taskId, DeletionPollMs);
        }
        if (intent == PlacementRows::PlacementIntent::QuotaFull) {
            exclude(providerId, tr("Provider “%1” is full: its quota is reached")
                                    .arg(m_vault->providerName(providerId)));
            continue;
        }
        if (intent == PlacementRows::PlacementIntent::Paused) {
            // Its budget is spent until later (ProviderRows::pauseProvider): copies go elsewhere,
            // and the scheduler's next repair tries it again.
            exclude(providerId, tr("Provider “%1” takes no more copies for now (paused)")
                                    .arg(m_vault->providerName(providerId)));
            continue;
        }
        if (intent == PlacementRows::PlacementIntent::Failed) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
        QString why;
        const std::shared_ptr<Provider> provider = m_vault->provider(providerId, &why);
        if (!provider) {
            registry.placementRows().abandonPlacement(cid, providerId);
            exclude(providerId, why);
            continue;
        }
        const qint64 size = task.objectSize();
        auto copy = std::make_unique<QBuffer>();
        copy->setData(task.bytes());
        copy->open(QIODevice::ReadOnly);
        // The fetch checked these bytes; the put checks what it sends once more, since they came
        // from another provider: a copy can never publish bytes that do not hash to the
        // chunk's name. (A repair is rare and small; a float, which is neither, sends the bytes
        // it hashed itself unchecked, ChunkSource::holdsHashedBytes().)
        auto source = std::make_unique<VerifyingChunkDevice>(
            std::move(copy), cid, size, tr("The copy of chunk %1 does not hash to it").arg(cid),
            task.mismatched);
        source->open(QIODevice::ReadOnly);
        const auto bad = task.badCopies.constFind(providerId);
        // A copy known to be corrupt is replaced, never found by the put and counted.
        ProviderJob* job = bad == task.badCopies.constEnd()
                               ? provider->put(cid, std::move(source), size)
                               : new ReplaceJob(provider, *bad, cid, std::move(source), size);
        job->setParent(this);
        task.put = job;
        task.putProvider = providerId;
        connect(job, &ProviderJob::finished, this,
                [this, taskId, providerId, job] { onPut(taskId, providerId, job); });
        job->start();
        return;
    }
    // Nowhere left to put it.
    m_report.stillShort++;
    QStringList reasons;
    for (auto e = m_excluded.cbegin(); e != m_excluded.cend(); ++e)
        reasons.append(e.value());
    if (task.puttingShard()) {
        const QString why =
            reasons.isEmpty()
                ? QString()
                : QStringLiteral(" (") + reasons.join(QStringLiteral("; ")) + QLatin1Char(')');
        const QString scheme =
            RedundancyScheme::makeShards(task.scheme->k, task.scheme->m).toString();
        const QString index = QString::number(task.lostShards.front().indices.value(0));
        m_shardsShort++;
        if (task.lostShards.front().cid == task.drainedShard) {
            if (!m_schemesLeftOnDrained.contains(*task.scheme))
                m_schemesLeftOnDrained.append(*task.scheme);
            problem(tr("shard %1 of chunk %2 (%3) stays on “%4”: every other provider holds a "
                       "shard of the chunk or could not take one%5")
                        .arg(index, task.chunk.cid, scheme,
                             m_vault->providerName(m_options.drainProvider), why));
        } else {
            problem(tr("shard %1 of chunk %2 (%3) was not rebuilt: every other provider holds a "
                       "shard of the chunk or could not take one%4")
                        .arg(index, task.chunk.cid, scheme, why));
        }
        return endTask(taskId);
    }
    problem(tr("chunk %1 keeps %2 of %3 copies: no other provider could take one%4")
                .arg(cid)
                .arg(task.holders.size())
                .arg(m_wanted)
                .arg(reasons.isEmpty() ? QString()
                                       : QStringLiteral(" (") + reasons.join(QStringLiteral("; ")) +
                                             QLatin1Char(')')));
    endTask(taskId);
}

void RepairJob::onPut(quint64 taskId, qint64 providerId, ProviderJob* job)
{
    job->deleteLater();
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    Task& task = *it->second;
    task.put = nullptr;
    Registry& registry = m_vault->registry();
    const QString cid = task.objectCid();
    const qint64 size = task.objectSize();
    const Error& e = job->error();
    if (e.ok()) {
        if (!registry.placementRows().recordStored(cid, providerId, job->locator(), size)) {
            // The chunk was collected meanwhile (its last model removed): nothing refers to the
            // copy just made, so it goes again rather than stay unaccounted for.
            const std::shared_ptr<Provider> provider = m_vault->provider(providerId);
            if (provider && !job->alreadyStored()) {
                ProviderJob* undo = provider->remove(job->locator());
                undo->setParent(this);
                connect(undo, &ProviderJob::finished, undo, &QObject::deleteLater);
                undo->start();
            }
            return endTask(taskId);
        }
        task.holders.insert(providerId);
        task.badCopies.remove(providerId);
        (task.puttingShard() && !task.movingShard ? m_report.shardsRebuilt : m_report.copiesMade)++;
        m_report.bytesCopied += size;
        m_bytesDone += size;
        if (m_room.value(providerId, -1) >= 0)
            m_room[providerId] = qMax<qint64>(0, m_room[providerId] - size);
        Q_EMIT progress();
        return putNext(taskId);
    }
    registry.placementRows().abandonPlacement(cid, providerId);
    if (isAborting() || e.kind == Error::Kind::Cancelled)
        return endTask(taskId);
    if (task.mismatched->load()) {
        // The bytes, not the provider, are at fault: no copy is made of them anywhere.
        m_report.stillShort++;
        problem(tr("chunk %1 was not copied: %2").arg(cid, e.message));
        return endTask(taskId);
    }
    // Retries live where a request fails (the adapter's RetryPolicy): a put that still failed
    // is not sent there again; the copy goes to the next candidate.
    const QString name = m_vault->providerName(providerId);
    if (e.kind != Error::Kind::Retryable && e.kind != Error::Kind::Corrupt)
        // Full, refusing our credentials, or broken: no more copies go there in this run.
        exclude(providerId, tr("provider “%1”: %2").arg(name, e.message));
    else
        problem(tr("chunk %1 could not be copied to provider “%2”: %3").arg(cid, name, e.message));
    putNext(taskId);
}

void RepairJob::retryLater(quint64 taskId, int delayMs)
{
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    it->second->waiting = true;
    QTimer::singleShot(delayMs, this, [this, taskId] {
        const auto t = m_tasks.find(taskId);
        if (t != m_tasks.end() && t->second->waiting)
            putNext(taskId);
    });
}

void RepairJob::exclude(qint64 providerId, const QString& why)
{
    if (m_excluded.contains(providerId))
        return;
    m_excluded.insert(providerId, why);
    addWarning(tr("%1; repairing onto other providers").arg(why));
}

void RepairJob::retire(const QString& cid, int minOtherCopies)
{
    Registry& registry = m_vault->registry();
    const QString name = m_vault->providerName(m_options.drainProvider);
    switch (
        registry.placementRows().retirePlacement(cid, m_options.drainProvider, minOtherCopies)) {
    case PlacementRows::RetireResult::Retired:
        m_report.retired++;
        return;
    case PlacementRows::RetireResult::Gone:
        return;
    case PlacementRows::RetireResult::TooFewCopies:
        m_report.stillShort++;
        problem(tr("chunk %1 stays on “%2”: it has fewer than %3 copies elsewhere")
                    .arg(cid, name)
                    .arg(minOtherCopies));
        return;
    case PlacementRows::RetireResult::Busy:
        m_report.stillShort++;
        problem(
            tr("chunk %1 stays on “%2” for now: a float is still putting it there").arg(cid, name));
        return;
    case PlacementRows::RetireResult::Failed:
        finish(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
}

void RepairJob::problem(const QString& text)
{
    if (m_report.problems.size() < MaxProblems)
        m_report.problems.append(text);
}

void RepairJob::endTask(quint64 taskId)
{
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    m_bytesInFlight -= it->second->chunk.size;
    if (it->second->fetcher) {
        it->second->fetcher->disconnect(this);
        it->second->fetcher.release()->deleteLater();
    }
    m_tasks.erase(it);
    if (isFinished())
        return;
    // Not from inside a provider's or a fetcher's signal: the next chunk starts from the loop.
    QMetaObject::invokeMethod(this, &RepairJob::fill, Qt::QueuedConnection);
}

void RepairJob::finishAll()
{
    if (isFinished())
        return;
    if (m_sweep && !m_sweep->isFinished()) {
        if (isAborting())
            m_sweep->abort(); // its finished() comes back here
        return;
    }
    Registry& registry = m_vault->registry();
    if (!isAborting() && m_options.convertTo && !finishConvert())
        return; // finishConvert() finished the job (a registry failure)
    if (!isAborting() && m_options.drainProvider <= 0) {
        // The bad copies of chunks that have their copies again (made by this run, or before)
        // are forgotten and their objects deleted later, so that verify and scrub say what
        // this repair says.
        const int retired = registry.scrubRows().retireReplacedCopies(m_wanted, m_options.modelIds);
        if (retired < 0) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
        m_report.badCopiesForgotten = retired;
    }
    // Models whose chunks got their copies back are healthy again; those where copies were found
    // bad are degraded. Recomputed from the placements.
    registry.healthRows().refreshDegraded(m_options.modelIds);
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (m_report.lost > 0) {
        finish(Error::make(
            Error::Kind::Corrupt,
            units::counted(m_report.lost,
                           tr("1 chunk has no good copy left on any provider (or, stored as "
                              "shards, fewer good shards than it takes to read it); the "
                              "models using it cannot be restored until one is found"),
                           tr("%1 chunks have no good copy left on any provider (or, stored "
                              "as shards, fewer good shards than it takes to read them); the "
                              "models using them cannot be restored until one is found"))));
        return;
    }
    if (m_report.stillShort > 0) {
        markDegraded();
        warnStillShort();
    }
    finish(Error::none());
}

void RepairJob::warnStillShort()
{
    const int copies = m_report.stillShort - m_shardsShort;
    if (copies > 0)
        addWarning(units::counted(copies,
                                  tr("1 chunk still has fewer than %2 copies: no provider could "
                                     "take it now; repair runs again later"),
                                  tr("%1 chunks still have fewer than %2 copies: no provider "
                                     "could take them now; repair runs again later"))
                       .arg(m_wanted));
    if (m_shardsShort > 0)
        addWarning(units::counted(m_shardsShort,
                                  tr("1 shard has no provider of its own yet: every provider "
                                     "that could take it holds a shard of the same chunk"),
                                  tr("%1 shards have no provider of their own yet: every "
                                     "provider that could take them holds a shard of the same "
                                     "chunk")));
    // A drain of one of K+M providers: the others cannot take its shards until there are K+M
    // of them again, or the models keep fewer data shards per chunk (as many parity shards:
    // they survive losing as many providers).
    const int providers = Vault::providersTakingCopiesIn(m_vault->registry());
    const QString drained = m_vault->providerName(m_options.drainProvider);
    for (const ShardRows::Scheme& left : std::as_const(m_schemesLeftOnDrained)) {
        const RedundancyScheme scheme = RedundancyScheme::makeShards(left.k, left.m);
        if (providers >= scheme.providersNeeded())
            continue;
        const QString words = scheme.toString();
        const auto fitting = scheme.fittingOn(providers);
        addWarning(
            !fitting
                ? tr("“%1” keeps the shards of the models stored as %2: the other providers "
                     "that take new objects are %3, and %2 needs %4. Add a provider, then drain "
                     "again")
                      .arg(drained, words)
                      .arg(providers)
                      .arg(scheme.providersNeeded())
                : tr("“%1” keeps the shards of the models stored as %2: the other providers "
                     "that take new objects are %3, and %2 needs %4. Add a provider, or convert "
                     "those models to %5 on the %3 (`modelfloat-cli convert MODEL %5`), then "
                     "drain again")
                      .arg(drained, words)
                      .arg(providers)
                      .arg(scheme.providersNeeded())
                      .arg(fitting->toString()));
    }
}

void RepairJob::ending(Error& /*error*/)
{
    for (auto& [id, task] : m_tasks) {
        if (task->put)
            task->put->abort();
        if (task->fetcher)
            task->fetcher->abort();
    }
}

TransferProgress RepairJob::progressNow() const
{
    if (m_matching) {
        TransferProgress matching;
        matching.stage = tr("Comparing the files at hand with the model's (size, then SHA-256)");
        return matching;
    }
    if (m_check) {
        // Looking first: what it has looked at so far, not "0 B" as if nothing happened.
        TransferProgress looking = m_check->progressNow();
        looking.stage = tr("Checking that the stored copies are there");
        return looking;
    }
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesDone;
    return p;
}

} // namespace mf
