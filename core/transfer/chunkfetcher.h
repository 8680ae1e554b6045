#pragma once

#include "chunkwriter.h"
#include "registry/records.h"
#include "util/error.h"

#include <QObject>
#include <QPointer>

namespace mf {

class Vault;
class ProviderJob;

// Fetches one chunk from any of its replicas into a ChunkWriter and checks it against its CID.
// A replica that is missing or whose bytes do not match is marked in the registry (missing,
// corrupt) and the next replica is tried; the fetch fails only when no replica is good. It fails
// with Error::Kind::Corrupt when the chunk is known to be lost (every replica was found missing
// or corrupt, or it has none), and with the last provider error when some replica could not be
// read (the chunk may still be there).
class ChunkFetcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChunkFetcher)

public:
    ChunkFetcher(Vault* vault, const FileChunk& chunk, QList<Placement> placements,
                 ChunkWriter* writer, QObject* parent = nullptr);
    ~ChunkFetcher() override;

    void start();
    void abort();
    const Error& error() const { return m_error; }
    const FileChunk& chunk() const { return m_chunk; }
    // Replicas found bad during this fetch, for the caller's report.
    const QStringList& problems() const { return m_problems; }
    // The provider whose copy was read, once it succeeded.
    qint64 sourceProvider() const { return m_error.ok() && m_finished ? m_currentProvider : 0; }

Q_SIGNALS:
    void progress(qint64 bytes);
    void finished();

private:
    void tryNext();
    void onJobFinished();
    void finish(const Error& error);

    Vault* m_vault;
    FileChunk m_chunk;
    QList<Placement> m_placements;
    ChunkWriter* m_writer;
    int m_next = 0;
    QPointer<ProviderJob> m_job;
    qint64 m_currentProvider = 0;
    qint64 m_pausedUntil = -1; // a replica's provider serves no downloads before then
    bool m_aborted = false;
    bool m_finished = false;
    bool m_unsure = false; // a replica could not be read: its state is unknown
    Error m_error;
    Error m_lastFailure;
    QStringList m_problems;
};

} // namespace mf
