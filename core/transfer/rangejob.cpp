#include "rangejob.h"
#include "util/fileio.h"

#include "chunkfetcher.h"
#include "offsetchunkwriter.h"
#include "vault/vault.h"

#include <QFile>
#include <QIODevice>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace mf {

namespace {
// A file with no name in `dir`: O_TMPFILE where the file system has it, else a named one that is
// unlinked at once. Either way no crash or kill can leave it behind.
int openAnonymousFile(const QString& dir)
{
    const QByteArray native = QFile::encodeName(dir);
#ifdef O_TMPFILE
    const int fd = ::open(native.constData(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
#endif
    QByteArray pattern = native + "/range-XXXXXX";
    const int named = ::mkstemp(pattern.data());
    if (named >= 0)
        ::unlink(pattern.constData());
    return named;
}

// A chunk whose replicas are all known to be bad (or that has none) may well fail: it is read
// before any byte is written, so that the reason comes first.
bool isSuspect(const QList<Placement>& placements)
{
    return std::none_of(placements.begin(), placements.end(), [](const Placement& p) {
        return p.state == PlacementState::Stored || p.state == PlacementState::Pending;
    });
}
} // namespace

RangeJob::RangeJob(Vault* vault, const FileRecord& file, qint64 begin, qint64 end,
                   QIODevice* output, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_file(file)
    , m_begin(begin)
    , m_end(end)
    , m_output(output)
{}

RangeJob::RangeJob(Vault* vault, const FileChunk& chunk, QIODevice* output, QObject* parent)
    : RangeJob(vault, FileRecord{}, 0, chunk.size, output, parent)
{
    m_file.path = chunk.cid;
    m_file.size = chunk.size;
    m_file.state = FileRecord::State::Complete;
    FileChunk whole = chunk;
    whole.offset = 0;
    whole.index = 0;
    m_chunks = {whole};
    m_oneChunk = true;
}

RangeJob::~RangeJob()
{
    m_fetcher.reset(); // its job ends before the writer and the spool go
    m_writer.reset();
    if (m_spoolFd >= 0)
        ::close(m_spoolFd);
}

void RangeJob::doStart()
{
    if (m_begin < 0 || m_end > m_file.size || m_begin > m_end) {
        finish(Error::make(Error::Kind::Fatal,
                           tr("The range %1–%2 is outside “%3”, which has %4 bytes")
                               .arg(m_begin)
                               .arg(m_end)
                               .arg(m_file.path)
                               .arg(m_file.size)));
        return;
    }
    if (m_file.state != FileRecord::State::Complete) {
        finish(Error::make(
            Error::Kind::NotFound,
            tr("“%1” was never completely floated; float it again to finish it").arg(m_file.path)));
        return;
    }
    Registry& registry = m_vault->registry();
    if (m_oneChunk) {
        m_placements.insert(m_chunks.first().cid,
                            registry.placementRows().placements(m_chunks.first().cid));
    } else {
        for (const FileChunk& c : registry.modelRows().fileChunks(m_file.id))
            if (c.offset < m_end && c.offset + c.size > m_begin)
                m_chunks.append(c);
        m_placements = registry.placementRows().placementsOfFile(m_file.id);
    }
    for (const FileChunk& c : std::as_const(m_chunks))
        if (isSuspect(m_placements.value(c.cid)))
            m_suspects.append(c);
    if (!m_chunks.isEmpty()) {
        m_spoolFd = openAnonymousFile(m_vault->tempDirectory());
        if (m_spoolFd < 0) {
            finish(Error::make(Error::Kind::Fatal,
                               tr("Cannot create a temporary file in “%1”: %2")
                                   .arg(m_vault->tempDirectory(), errnoText(errno))));
            return;
        }
    }
    next();
}

void RangeJob::doAbort()
{
    if (m_fetcher)
        m_fetcher->abort(); // its finished() ends the job
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void RangeJob::next()
{
    if (m_nextSuspect < m_suspects.size()) {
        m_checking = true;
        fetch(m_suspects.at(m_nextSuspect++), new HashingChunkWriter);
        return;
    }
    if (m_next < m_chunks.size()) {
        m_checking = false;
        const FileChunk& chunk = m_chunks.at(m_next++);
        // The spool is read back at once: keep it in the page cache (no direct descriptor).
        fetch(chunk, new OffsetChunkWriter(m_spoolFd, -1, 0, chunk.size,
                                           tr("the temporary copy of a chunk")));
        return;
    }
    finish(Error::none());
}

void RangeJob::fetch(const FileChunk& chunk, ChunkWriter* writer)
{
    m_fetcher.reset();
    m_writer.reset(writer);
    m_fetcher = std::make_unique<ChunkFetcher>(m_vault, chunk, m_placements.value(chunk.cid),
                                               m_writer.get());
    connect(m_fetcher.get(), &ChunkFetcher::finished, this, &RangeJob::onFetched);
    m_fetcher->start();
}

void RangeJob::onFetched()
{
    std::unique_ptr<ChunkFetcher> fetcher = std::move(m_fetcher);
    const Error e = fetcher->error();
    const FileChunk chunk = fetcher->chunk();
    // "Another replica was used" only when one was: with no good copy, the problems are the error.
    for (const QString& problem : fetcher->problems())
        addWarning(e.ok() ? problem + tr(" (another replica was used)") : problem);
    fetcher.release()->deleteLater();
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (!e.ok()) {
        finish(e);
        return;
    }
    if (!m_checking) {
        writeOut(chunk);
        return;
    }
    Q_EMIT progress();
    next();
}

void RangeJob::writeOut(const FileChunk& chunk)
{
    m_outPos = qMax(m_begin, chunk.offset) - chunk.offset;
    m_outTo = qMin(m_end, chunk.offset + chunk.size) - chunk.offset;
    if (m_outBuffer.isEmpty())
        m_outBuffer.resize(1 << 20);
    writeMore();
}

void RangeJob::writeMore()
{
    while (m_outPos < m_outTo) {
        if (m_output->bytesToWrite() > MaxOutputBacklog) {
            // A slow reader: write more only once it has taken what waits for it.
            if (!m_drain)
                m_drain =
                    connect(m_output, &QIODevice::bytesWritten, this, &RangeJob::onOutputDrained);
            return;
        }
        const ssize_t n =
            ::pread(m_spoolFd, m_outBuffer.data(),
                    size_t(qMin<qint64>(m_outBuffer.size(), m_outTo - m_outPos)), m_outPos);
        if (n <= 0) {
            finish(Error::make(
                Error::Kind::Fatal,
                tr("Cannot read the temporary copy of a chunk: %1")
                    .arg(n == 0 ? tr("it is shorter than the chunk") : errnoText(errno))));
            return;
        }
        if (m_output->write(m_outBuffer.constData(), n) != n) {
            m_outputFailed = true;
            finish(Error::make(Error::Kind::Fatal,
                               tr("Cannot write the output: %1 (%2 of %3 bytes were written)")
                                   .arg(m_output->errorString())
                                   .arg(m_written)
                                   .arg(m_end - m_begin)));
            return;
        }
        m_outPos += n;
        m_written += n;
    }
    Q_EMIT progress();
    next();
}

void RangeJob::onOutputDrained()
{
    if (!isFinished() && m_output->bytesToWrite() > MaxOutputBacklog)
        return;
    disconnect(m_drain);
    m_drain = {};
    if (!isFinished()) // aborted while waiting: abort() finished it, as no fetch was running
        writeMore();
}

TransferProgress RangeJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_end - m_begin;
    p.bytesDone = m_written;
    return p;
}

} // namespace mf
