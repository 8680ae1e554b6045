#include "filedistributor.h"

// The shards side of a float (docs/erasure.md): a model under `shards K+M` has each new chunk cut
// into K+M shards on a worker pool, each shard then placed once, as a chunk is, on a provider that
// holds no other shard of the chunk. The chunk counts as placed when all its shards are stored.
// A shard's CID comes from its bytes, and the same chunk always gives the same shards, so a float
// run again after a kill finds the shards it stored and sends only the others; a chunk whose
// shards are recorded is not even encoded again unless one of them must be put.

#include "chunking/cid.h"
#include "chunking/shardspread.h"
#include "filedistributortask.h"
#include "vault/vault.h"

#include <QThread>
#include <QThreadPool>

namespace mf {

bool FileDistributor::chooseScheme()
{
    Registry& registry = m_vault->registry();
    // The model keeps the scheme it was first floated with; a model new to schemes takes the
    // vault's (copies: as many as this float asks for).
    std::optional<RedundancyScheme> scheme =
        RedundancyScheme::parse(registry.shardRows().modelRedundancy(m_modelId));
    if (!scheme) {
        scheme = m_vault->redundancy();
        if (!scheme->isShards())
            scheme = RedundancyScheme::makeCopies(m_options.replication);
        if (!registry.shardRows().setModelRedundancy(m_modelId, scheme->toString())) {
            finishBeforeScanning(Error::make(Error::Kind::Fatal, registry.lastError()));
            return false;
        }
    }
    m_scheme = *scheme;
    if (!m_scheme.isShards())
        return true;
    ShardCodec::Error error;
    m_codec = ShardCodec::make(m_scheme.dataShards, m_scheme.parityShards, &error);
    if (!m_codec) {
        finishBeforeScanning(Error::make(Error::Kind::Fatal, error.message));
        return false;
    }
    if (m_providers.size() < m_scheme.providersNeeded()) {
        finishBeforeScanning(Error::make(
            Error::Kind::Fatal,
            tr("The model's redundancy is %1: it needs %2 providers that take new copies, one for "
               "each shard of a chunk, and %3 can take them now")
                .arg(m_scheme.toString())
                .arg(m_scheme.providersNeeded())
                .arg(m_providers.size())));
        return false;
    }
    m_pool = std::make_unique<QThreadPool>();
    m_pool->setMaxThreadCount(qMax(1, QThread::idealThreadCount()));
    return true;
}

void FileDistributor::placeShards(const ScannedChunk& chunk)
{
    auto made = std::make_unique<ShardGroup>();
    made->chunk = chunk;
    ShardGroup& group = *made;
    m_groups.emplace(chunk.cid, std::move(made));
    // Recorded shards name their CIDs and sizes: enough to look for them. Making them again
    // (an encode and a SHA-256 of K+M shards) is for a shard that must be put.
    const QList<ShardRows::Shard> recorded = m_vault->registry().shardRows().shards(
        chunk.cid, m_scheme.dataShards, m_scheme.parityShards);
    if (recorded.size() == m_scheme.providersNeeded())
        admit(shardTasks(group, recorded, nullptr));
    else
        encodeShards(group);
}

void FileDistributor::encodeShards(ShardGroup& group)
{
    group.encoding = true;
    const ScannedChunk& chunk = group.chunk;
    // The bytes the scanner holds are shared with the pool as they are (immutable); a source
    // that does not hold them is read here, and what it gave is checked against the CID there.
    const bool held = chunk.bytes.size() == chunk.size;
    QByteArray read;
    if (!held) {
        QString unreadable;
        std::unique_ptr<QIODevice> device = m_scanner->openChunk(chunk, &unreadable);
        if (!device) {
            group.encoding = false;
            failSource(unreadable);
            return;
        }
        read = device->read(chunk.size);
    }
    const bool check = !held || !m_scanner->holdsHashedBytes();
    const QString mismatch = m_scanner->mismatchError(chunk);
    ++m_encoding;
    ++m_stats.chunksEncoded;
    m_pool->start([this, codec = &*m_codec, bytes = chunk.bytes, read, held, check, mismatch,
                   cid = chunk.cid, cancelled = m_cancelled] {
        std::vector<ShardCodec::Shard> shards;
        QString error;
        if (!cancelled->load()) {
            // The scanner's pieces are copied once, straight into their shards.
            if (check && (held ? cid::fromSha256(bytes.sha256()) : cid::ofData(read)) != cid) {
                error = mismatch;
            } else {
                ShardCodec::Error e;
                shards = held ? codec->encode(bytes, &e) : codec->encode(read, &e);
                if (shards.empty())
                    error = e.message;
            }
        }
        // Queued to our thread; dropped if we are destroyed first (the destructor waits for
        // this task, so `this` is still whole here).
        QMetaObject::invokeMethod(
            this,
            [this, cid, shards = std::move(shards), error] { onShardsMade(cid, shards, error); },
            Qt::QueuedConnection);
    });
}

void FileDistributor::onShardsMade(const QString& chunkCid,
                                   const std::vector<ShardCodec::Shard>& shards,
                                   const QString& error)
{
    --m_encoding;
    const auto found = m_groups.find(chunkCid);
    if (found == m_groups.end() || !m_error.ok()) {
        if (found != m_groups.end())
            m_groups.erase(found);
        maybeComplete();
        return;
    }
    ShardGroup& group = *found->second;
    group.encoding = false;
    if (!error.isEmpty()) {
        failSource(error);
        return;
    }
    Registry& registry = m_vault->registry();
    QList<ShardRows::Shard> rows;
    for (const ShardCodec::Shard& s : shards)
        rows.append(ShardRows::Shard{s.index, s.cid, s.bytes.size()});
    // Recorded before any is put; made again for a chunk whose shards were recorded, the same
    // shards must come out (recordShards() refuses others).
    if (!registry.shardRows().recordShards(chunkCid, m_scheme.dataShards, m_scheme.parityShards,
                                           rows)) {
        fail(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    if (!group.admitted) {
        admit(shardTasks(group, rows, &shards));
        return;
    }
    // Made for shards admitted without their bytes: each gets them, and those waiting go on.
    for (const QString& key : std::as_const(group.keys)) {
        const auto task = m_tasks.find(key);
        if (task == m_tasks.end() || task->second->chunk.bytes.size() > 0)
            continue;
        for (const ShardCodec::Shard& s : shards)
            if (s.cid == task->second->chunk.cid && task->second->chunk.bytes.size() == 0)
                task->second->chunk.bytes.append(s.bytes, 0, s.bytes.size());
    }
    for (const QString& key : std::as_const(group.waitingForBytes))
        m_ready.push_back(key);
    group.waitingForBytes.clear();
    schedule();
    maybeComplete();
}

bool FileDistributor::hasBytes(ChunkTask& task)
{
    if (!task.isShard() || task.chunk.bytes.size() == task.chunk.size)
        return true;
    const auto group = m_groups.find(task.group);
    if (group == m_groups.end())
        return false;
    task.waiting = true;
    group->second->waitingForBytes.append(task.key);
    if (!group->second->encoding)
        encodeShards(*group->second);
    return false;
}

std::vector<std::unique_ptr<FileDistributor::ChunkTask>>
FileDistributor::shardTasks(ShardGroup& group, const QList<ShardRows::Shard>& shards,
                            const std::vector<ShardCodec::Shard>* bytes)
{
    // One task per distinct shard: the shards of a run of zeros are all the same bytes, one
    // object wanted on as many providers as it has indices.
    group.admitted = true;
    std::vector<std::unique_ptr<ChunkTask>> tasks;
    QHash<QString, ChunkTask*> byCid;
    for (int i = 0; i < shards.size(); ++i) {
        const ShardRows::Shard& s = shards.at(i);
        if (ChunkTask* same = byCid.value(s.cid)) {
            same->wanted++;
            same->indices.append(s.index);
            continue;
        }
        auto task = std::make_unique<ChunkTask>();
        task->chunk.offset = group.chunk.offset;
        task->chunk.size = s.size;
        task->chunk.cid = s.cid;
        if (bytes)
            task->chunk.bytes.append(bytes->at(size_t(i)).bytes, 0, s.size);
        task->key = group.chunk.cid + QLatin1Char('/') + s.cid;
        task->group = group.chunk.cid;
        task->wanted = 1;
        task->indices = {s.index};
        group.keys.append(task->key);
        byCid.insert(s.cid, task.get());
        tasks.push_back(std::move(task));
    }
    return tasks;
}

QSet<qint64> FileDistributor::siblingProviders(const ChunkTask& task) const
{
    // Where a put of another shard runs or was begun, that shard's object is or may be: those
    // providers are never given this one. A shard already stored is kept apart too, but a shard
    // stored on several providers (two vaults that placed the chunk each their own way, sharing
    // the providers) needs only one of them: a provider is kept from this shard only when the
    // stored shards could not each keep a provider of their own without it. Taking the union of
    // them all instead left no provider at all for a shard in such a store.
    QSet<qint64> out;
    const auto group = m_groups.find(task.group);
    if (group == m_groups.end())
        return out;
    std::vector<QSet<qint64>> holdings = group->second->placedShards;
    for (const QString& key : std::as_const(group->second->keys)) {
        if (key == task.key)
            continue;
        const auto sibling = m_tasks.find(key);
        if (sibling == m_tasks.end())
            continue;
        const ChunkTask& s = *sibling->second;
        out |= s.inFlight;
        out |= s.begunOn;
        const QSet<qint64> stored = s.holders | s.confirming;
        if (!stored.isEmpty())
            for (int i = 0; i < s.wanted; ++i)
                holdings.push_back(stored);
    }
    QSet<qint64> all;
    for (const QSet<qint64>& piece : holdings)
        all |= piece;
    // Fixed before the loop: `out` grows in it.
    const QSet<qint64> taken = out | task.holders | task.inFlight;
    const int most = shardsKeptApart(holdings, taken);
    for (qint64 p : std::as_const(all))
        if (!taken.contains(p) && shardsKeptApart(holdings, taken | QSet<qint64>{p}) < most)
            out.insert(p);
    return out;
}

std::vector<QSet<qint64>> FileDistributor::siblingHoldings(const ChunkTask& task) const
{
    std::vector<QSet<qint64>> holdings;
    const auto group = m_groups.find(task.group);
    if (group == m_groups.end())
        return holdings;
    holdings = group->second->placedShards;
    for (const QString& key : std::as_const(group->second->keys)) {
        const auto sibling = m_tasks.find(key);
        if (key == task.key || sibling == m_tasks.end())
            continue;
        // A sibling's put under way counts as its copy there: otherwise two shards crowded on
        // one provider would each be put again, where one of them is enough.
        const ChunkTask& s = *sibling->second;
        const QSet<qint64> where = s.holders | s.confirming | s.inFlight;
        for (int i = 0; i < s.wanted; ++i)
            holdings.push_back(where);
    }
    return holdings;
}

bool FileDistributor::siblingsConfirming(const ChunkTask& task) const
{
    const auto group = m_groups.find(task.group);
    if (group == m_groups.end())
        return false;
    for (const QString& key : std::as_const(group->second->keys)) {
        const auto sibling = m_tasks.find(key);
        if (key != task.key && sibling != m_tasks.end() && !sibling->second->confirming.isEmpty())
            return true;
    }
    return false;
}

void FileDistributor::shardDone(ChunkTask& task)
{
    // Copied: erasing the task destroys what a reference would point into.
    const QString key = task.key;
    const QString groupCid = task.group;
    const QSet<qint64> holders = task.holders;
    const qsizetype indices = qMax<qsizetype>(1, task.indices.size());
    m_tasks.erase(key);
    const auto found = m_groups.find(groupCid);
    if (found == m_groups.end()) {
        maybeComplete();
        return;
    }
    ShardGroup& group = *found->second;
    group.keys.removeAll(key);
    // One slot per index the shard has (a shard of zeros has several).
    for (int i = 0; i < int(indices); ++i)
        group.placedShards.push_back(holders);
    if (!group.keys.isEmpty() || group.encoding) {
        Q_EMIT progress();
        schedule();
        return;
    }
    // Every shard is stored: the chunk is placed.
    const ScannedChunk chunk = group.chunk;
    const int occurrences = 1 + group.duplicates;
    if (!group.sent) {
        m_stats.bytesDeduplicated += chunk.size;
        m_stats.chunksDeduplicated++;
    }
    m_groups.erase(found);
    m_stats.bytesPlaced += chunk.size * occurrences;
    m_scanner->acknowledge(chunk, occurrences);
    m_placedCids.insert(chunk.cid);
    Q_EMIT progress();
    maybeComplete();
    schedule();
}

} // namespace mf
