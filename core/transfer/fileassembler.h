#pragma once

#include "registry/records.h"
#include "util/error.h"

#include <QObject>
#include <QRegularExpression>

#include <map>
#include <memory>

namespace mf {

class Vault;
class ChunkFetcher;
class OffsetChunkWriter;
class FollowingHasher;

// Restores one file of the vault to a path: fetches its chunks in parallel from any replica,
// verifies every chunk against its CID and the whole file against its SHA-256, and writes to a
// temporary file in the destination folder that is renamed into place only when whole and
// verified. On any failure (a chunk with no good replica, a full disk, cancel) the temporary
// file is removed and nothing appears at the destination. The temporary is hidden and named
// after this process (".NAME.modelfloat-<owner>-XXXXXX", util/temporaries.h), so that one a
// killed process left is swept by the next restore into the folder or by `collect`.
// Unless the vault is in fast mode (Vault::flushWrites()), the file is flushed before the
// rename and its folder after it, so that "done" means it survives a power cut.
class FileAssembler final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FileAssembler)

public:
    struct Options
    {
        bool overwrite = false; // replace an existing destination
        // Chunks in flight for each provider that holds copies of the file (swarming spreads
        // them by speed), up to MaxParallelFetches in all.
        int parallelFetches = 4;
        // False: the verified (and flushed) temporary is left for the caller to move into
        // place (takeTemporary()), for a destination named after the content.
        bool publish = true;
        // False: the caller syncs the destination's folder (once for many files) before it
        // reports them restored.
        bool syncFolder = true;
    };

    static constexpr int MaxParallelFetches = 16;
    // A link slower than this (measured: ProviderSpeeds) takes more than an eighth of a second
    // for a chunk of the default average, while the hash goes through the first window in a
    // few tens of milliseconds: the window grows (widenWindow()).
    static constexpr double SlowLinkBytesPerSecond = 64.0 * 1024 * 1024;

    FileAssembler(Vault* vault, const FileRecord& file, const QString& destinationPath,
                  const Options& options, QObject* parent = nullptr);
    ~FileAssembler() override;

    void start();
    void abort();
    const Error& error() const { return m_error; }
    qint64 bytesDone() const { return m_bytesDone; }
    qint64 totalBytes() const { return m_file.size; }
    const QStringList& problems() const { return m_problems; }
    // The file was removed from the registry (its model by rm, in any process) while this was
    // restoring it: error() says so, and no chunk it could not fetch is reported lost.
    bool removedMeanwhile() const { return m_removed; }
    // With publish = false, after success: the verified temporary, now the caller's.
    QString takeTemporary();
    // The pattern (whole name) of the temporaries restores leave in a folder, with or without an
    // owner (util/temporaries.h: the second is what older versions named them).
    static const QRegularExpression& temporaryNames();
    static const QRegularExpression& legacyTemporaryNames();

Q_SIGNALS:
    void progress();
    void finished();

private:
    void fetchMore();
    // Doubles the hash's offer limit, and so how far ahead chunks are fetched, when the links
    // are slower than the hash; false when it stays.
    bool widenWindow();
    void onFetched(ChunkFetcher* fetcher);
    void onHashed();
    void finish(const Error& error);
    bool fileRemoved();
    void finishRemoved();
    void settle();
    void cleanUp();
    void closeDirect();

    Vault* m_vault;
    FileRecord m_file;
    QString m_destination;
    Options m_options;
    QList<FileChunk> m_chunks;
    QHash<QString, QList<Placement>> m_placements;
    int m_nextChunk = 0;
    int m_parallel = 1;   // chunks in flight at most
    int m_contiguous = 0; // chunks [0, m_contiguous) are written and verified
    QList<bool> m_done;
    std::map<ChunkFetcher*, std::unique_ptr<OffsetChunkWriter>> m_fetches;
    std::unique_ptr<FollowingHasher> m_hasher;
    QByteArray m_tempPath;
    int m_fd = -1;
    int m_directFd = -1;     // the same file, opened for O_DIRECT writes (-1: unsupported)
    int m_directReadFd = -1; // and for O_DIRECT reads by the hasher
    qint64 m_bytesDone = 0;
    bool m_finished = false;
    bool m_settled = false;
    bool m_flush = true; // the vault's durability, read at start
    bool m_removed = false;
    Error m_error;
    QStringList m_problems;
};

} // namespace mf
