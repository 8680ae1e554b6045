#pragma once

#include "registry/records.h"
#include "util/error.h"

#include <QObject>

#include <memory>

class QIODevice;

namespace mf {

class Vault;
class ChunkFetcher;
class OffsetChunkWriter;

// Writes bytes [begin, end) of one file of the vault to a device (a terminal, a pipe) in order.
// Each chunk is fetched into a small spool file in the vault's temporary folder and verified
// against its CID before any of its bytes are written out, so only verified bytes leave.
class RangeJob final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RangeJob)

public:
    RangeJob(Vault* vault, const FileRecord& file, qint64 begin, qint64 end, QIODevice* output,
             QObject* parent = nullptr);
    ~RangeJob() override;

    void start();
    void abort();
    const Error& error() const { return m_error; }
    qint64 bytesWritten() const { return m_written; }

Q_SIGNALS:
    void progress();
    void finished();

private:
    void fetchNext();
    void onFetched();
    void finish(const Error& error);

    Vault* m_vault;
    FileRecord m_file;
    qint64 m_begin;
    qint64 m_end;
    QIODevice* m_output;
    QList<FileChunk> m_chunks;
    QHash<QString, QList<Placement>> m_placements;
    int m_next = 0;
    int m_spoolFd = -1;
    QByteArray m_spoolPath;
    std::unique_ptr<OffsetChunkWriter> m_writer;
    std::unique_ptr<ChunkFetcher> m_fetcher;
    qint64 m_written = 0;
    bool m_finished = false;
    Error m_error;
};

} // namespace mf
