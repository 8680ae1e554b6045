#include "filedistributor.h"

#include "chunking/shardspread.h"
#include "chunking/unixfs.h"
#include "filechunksource.h"
#include "filedistributortask.h"
#include "formats/headerinspection.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QThreadPool>
#include <QTimer>

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
    // An encode still running ends first: its result, posted to us, dies with us.
    m_cancelled->store(true);
    if (m_pool)
        m_pool->waitForDone();
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
    for (const ProviderRecord& p : registry.providerRows().providers()) {
        if (!p.takesNewCopies())
            continue;
        if (!m_options.providerIds.isEmpty() && !m_options.providerIds.contains(p.id))
            continue;
        // Silent for longer than the vault allows: its copies count as lost, so none is placed
        // there (unless it was named for this float).
        if (m_options.providerIds.isEmpty() && registry.providerRows().providerLost(p)) {
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
        Q_EMIT warning(
            tr("Only %1 available: chunks get %2 instead of %3")
                .arg(units::counted(m_providers.size(), tr("1 provider"), tr("%1 providers")),
                     units::counted(m_replication, tr("1 replica"), tr("%1 replicas")))
                .arg(m_options.replication));
    if (!chooseScheme())
        return;

    m_stats.fileSize = m_scanner->expectedSize();
    if (m_options.topUp) {
        const auto file = m_vault->registry().modelRows().file(m_modelId, m_pathInModel);
        if (!file || file->state != FileRecord::State::Complete) {
            finishBeforeScanning(
                Error::make(Error::Kind::Fatal,
                            tr("“%1” is not a complete file of the model").arg(m_pathInModel)));
            return;
        }
        m_fileId = file->id;
        m_manifest = m_vault->registry().modelRows().fileChunks(m_fileId);
        m_metadataGiven = true; // recorded already
    } else {
        const auto fileId = m_vault->registry().modelRows().beginFile(
            m_modelId, m_pathInModel, m_stats.fileSize, m_options.chunker.toString(),
            m_options.leaseOwner);
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
    } else if (!registry.modelRows().appendChunks(m_fileId, {manifestEntry(chunk, m_nextIndex++)},
                                                  m_options.leaseOwner)) {
        fail(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    // A chunk this float is placing, or has placed, is not sent again: the later occurrences
    // count as deduplicated however the first one is doing, so the counts do not depend on
    // timing.
    const auto existing = m_tasks.find(chunk.cid);
    const auto existingGroup = m_groups.find(chunk.cid);
    if (existing != m_tasks.end() || existingGroup != m_groups.end()) {
        if (existing != m_tasks.end())
            existing->second->duplicates++;
        else
            existingGroup->second->duplicates++;
        m_stats.bytesDeduplicated += chunk.size;
        m_stats.chunksDeduplicated++;
        return; // acknowledged with the first occurrence, once it is placed
    }
    if (m_placedCids.contains(chunk.cid)) {
        countAlreadyPlaced(chunk);
        return;
    }
    if (m_codec) {
        placeShards(chunk);
        return;
    }
    auto task = std::make_unique<ChunkTask>();
    task->chunk = chunk;
    task->key = chunk.cid;
    task->wanted = m_replication;
    std::vector<std::unique_ptr<ChunkTask>> one;
    one.push_back(std::move(task));
    admit(std::move(one));
}

int FileDistributor::wanted(const ChunkTask& task) const
{
    return task.isShard() ? task.wanted : m_replication;
}

int FileDistributor::copiesCounted(const ChunkTask& task, bool withInFlight) const
{
    const QSet<qint64> mine = withInFlight ? task.holders | task.inFlight : task.holders;
    if (!task.isShard())
        return int(mine.size());
    // What its copies add to the shards that can each keep a provider of their own.
    std::vector<QSet<qint64>> holdings = siblingHoldings(task);
    const int without = shardsKeptApart(holdings);
    for (int i = 0; i < task.wanted; ++i)
        holdings.push_back(mine);
    return shardsKeptApart(holdings) - without;
}

void FileDistributor::admit(std::vector<std::unique_ptr<ChunkTask>> tasks)
{
    // All of them first, then their answers: the shards of a chunk learn where each other's
    // copies are before any of them is put anywhere.
    Registry& registry = m_vault->registry();
    std::vector<std::pair<ChunkTask*, QHash<qint64, QString>>> admitted;
    for (std::unique_ptr<ChunkTask>& task : tasks) {
        QHash<qint64, QString> remembered; // stored placements, by provider: their locators
        for (const Placement& p : registry.placementRows().placements(task->chunk.cid)) {
            if (!m_providers.contains(p.providerId))
                continue;
            if (p.state == PlacementState::Stored)
                remembered.insert(p.providerId, p.locator);
            else if (p.state == PlacementState::Corrupt)
                task->badCopies.insert(p.providerId, p.locator);
        }
        for (qint64 id : registry.placementRows().putsBegun(task->chunk.cid))
            if (m_providers.contains(id))
                task->begunOn.insert(id);
        // A copy the registry remembers may be gone: another computer's collect deletes a chunk
        // that no catalog names any more, which this registry may still list (a model that
        // computer removed, an orphan kept for later floats). Counted as stored only once the
        // provider says it holds the object with the chunk's size; asked now, while this
        // float's lease keeps any later collect away from the providers it writes to
        // (docs/catalog.md, "Leases and collection claims").
        for (auto it = remembered.constBegin(); it != remembered.constEnd(); ++it)
            task->confirming.insert(it.key());
        ChunkTask* added = task.get();
        const QString key = task->key;
        m_tasks.emplace(key, std::move(task));
        admitted.emplace_back(added, std::move(remembered));
    }
    for (auto& [task, remembered] : admitted) {
        if (remembered.isEmpty()) {
            task->waiting = true;
            m_ready.push_back(task->key);
            continue;
        }
        // Answered from the event loop, never under this call: the task stays whole here.
        for (auto it = remembered.constBegin(); it != remembered.constEnd(); ++it)
            confirmCopy(*task, it.key(), it.value());
    }
    schedule();
}

void FileDistributor::confirmCopy(ChunkTask& task, qint64 providerId, const QString& locator)
{
    const QString cid = task.key;
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

void FileDistributor::confirmed(const QString& key, qint64 providerId, Copy copy)
{
    const auto it = m_tasks.find(key);
    if (it == m_tasks.end()) {
        maybeComplete();
        return;
    }
    ChunkTask& task = *it->second;
    const QString cid = task.chunk.cid;
    task.confirming.remove(providerId);
    if (!m_error.ok()) {
        maybeComplete();
        return;
    }
    if (copy == Copy::Held) {
        task.holders.insert(providerId);
    } else if (copy == Copy::Gone) {
        // Gone: forgotten, so that the put below stores it again and nothing else counts it.
        if (!m_vault->registry().placementRows().removePlacement(cid, providerId)) {
            fail(Error::make(Error::Kind::Fatal, m_vault->registry().lastError()));
            return;
        }
        m_stats.copiesFoundGone++;
    } else if (copy == Copy::Damaged) {
        // There with another size: a damaged object, which a put must replace.
        const auto placements = m_vault->registry().placementRows().placements(cid);
        for (const Placement& p : placements)
            if (p.providerId == providerId)
                task.badCopies.insert(providerId, p.locator);
        m_vault->registry().placementRows().setPlacementState(cid, providerId,
                                                              PlacementState::Corrupt);
        m_stats.copiesFoundGone++;
    }
    // Could not be asked (the provider is unusable or failing): not counted here; the puts
    // decide whether the chunk can go there or elsewhere.
    if (!task.confirming.isEmpty())
        return;
    if (copiesCounted(task, false) >= wanted(task)) {
        if (!task.isShard()) {
            m_stats.bytesDeduplicated += task.chunk.size;
            m_stats.chunksDeduplicated++;
        }
        chunkDone(task);
        return;
    }
    task.waiting = true;
    m_ready.push_back(key);
    // A sibling shard may have waited for this answer to know where it may go.
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

void FileDistributor::chunkDone(ChunkTask& task)
{
    if (task.isShard()) {
        shardDone(task);
        return;
    }
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
    if (m_finished || !m_jobs.isEmpty() || (!m_error.ok() && m_encoding > 0))
        return;
    if (!m_error.ok()) {
        if (m_scanner && !m_scanner->isFinished())
            return; // its finished() brings us back here
        m_finished = true;
        QMetaObject::invokeMethod(this, &FileDistributor::finished, Qt::QueuedConnection);
        return;
    }
    if (m_encoding > 0)
        return; // the encode's end brings us back here
    if (!m_scanDone || !m_tasks.empty() || !m_groups.empty())
        return;
    const QString changed = m_scanner->changedError();
    if (!changed.isEmpty()) {
        failSource(changed);
        return;
    }
    if (m_inspection && !m_inspection->isFinished())
        return; // its finished() brings us back here
    if (m_stats.underReplicatedChunks > 0)
        Q_EMIT warning(units::counted(m_stats.underReplicatedChunks,
                                      tr("1 chunk of “%2” has fewer than %3 replicas"),
                                      tr("%1 chunks of “%2” have fewer than %3 replicas"))
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
    if (!m_options.expectedSha256.isEmpty() && m_stats.sha256.toHex() != m_options.expectedSha256) {
        failSource(
            damagedCopyMessage(m_pathInModel, m_stats.sha256.toHex(), m_options.expectedSha256));
        return;
    }
    if (!registry.modelRows().completeFile(m_fileId, m_stats.sha256.toHex(), m_metadata,
                                           m_options.leaseOwner)) {
        fail(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    m_finished = true;
    QMetaObject::invokeMethod(this, &FileDistributor::finished, Qt::QueuedConnection);
}

QString FileDistributor::damagedCopyMessage(const QString& pathInModel, const QByteArray& actual,
                                            const QByteArray& expected)
{
    return tr("The copy of “%1” is damaged: its bytes hash to %2, not to %3, the digest the app "
              "that keeps it named them by. It was not kept as complete; get it again in that app "
              "and float it again")
        .arg(pathInModel, QString::fromLatin1(actual), QString::fromLatin1(expected));
}

} // namespace mf
