#pragma once

#include "registry/records.h"
#include "util/error.h"

#include <QObject>
#include <QStringList>

#include <memory>

namespace mf {

class Vault;
class ChunkFetcher;
class ChunkWriter;

// One chunk for reading, verified: the one step every read of a floating model takes (`cat`,
// the local API's byte ranges through RangeJob, the mount through its reads). A chunk in the
// vault's chunk cache (vault/chunkcache.h) is read from there; any other is fetched by a
// ChunkFetcher (the fastest replica, another one when a copy is missing or corrupt) into room
// reserved in the cache, checked against its CID, and kept there. When the cache has no room
// (a chunk larger than its cap), it is fetched into a nameless file in the vault's temporary
// folder instead, which nothing outlives. Either way the caller gets a descriptor on verified
// bytes, or an error and no descriptor.
class ChunkLoad final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChunkLoad)

public:
    // `placements`: the chunk's replicas, as the registry lists them.
    ChunkLoad(Vault* vault, const FileChunk& chunk, QList<Placement> placements,
              QObject* parent = nullptr);
    ~ChunkLoad() override;

    void start();
    // Safe twice and after the end; finished() follows (queued) if it had not come yet.
    void abort();
    const Error& error() const { return m_error; }
    const FileChunk& chunk() const { return m_chunk; }
    // Replicas found bad on the way (another one was used if error() is none).
    const QStringList& problems() const { return m_problems; }
    // Whether the chunk came from the cache, with no fetch.
    bool wasCached() const { return m_wasCached; }
    // After a successful end: a read-only use descriptor on the chunk's bytes at offset 0. The
    // caller owns it (and closes it); -1 after the first call or when the load failed.
    int takeDescriptor();

Q_SIGNALS:
    void progress(qint64 bytes);
    void finished();

private:
    void onFetched();
    void finish(const Error& error);

    Vault* m_vault;
    FileChunk m_chunk;
    QList<Placement> m_placements;
    int m_fd = -1;
    QString m_reservedPath; // the cache's room for this fetch, until adopted or released
    std::unique_ptr<ChunkWriter> m_writer;
    std::unique_ptr<ChunkFetcher> m_fetcher;
    QStringList m_problems;
    bool m_wasCached = false;
    bool m_finished = false;
    Error m_error;
};

} // namespace mf
