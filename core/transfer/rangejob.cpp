#include "rangejob.h"
#include "util/fileio.h"

#include "chunkload.h"
#include "vault/vault.h"

#include <QIODevice>

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace mf {

namespace {
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
    m_load.reset();
    if (m_chunkFd >= 0)
        ::close(m_chunkFd);
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
    next();
}

void RangeJob::doAbort()
{
    bool running = false;
    if (m_load) {
        m_load->abort();
        running = true;
    }
    for (Ahead& a : m_ahead) {
        if (!a.done) {
            a.load->abort();
            running = true;
        }
    }
    // A running load's finished() ends the job; with none (waiting for the output to drain,
    // or between steps), it ends here.
    if (!running)
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void RangeJob::ending(Error& error)
{
    Q_UNUSED(error)
    for (Ahead& a : m_ahead)
        if (!a.done)
            a.load->abort();
}

void RangeJob::next()
{
    if (m_nextSuspect < m_suspects.size()) {
        // Checked, and if it is good cached for when its turn comes.
        fetch(m_suspects.at(m_nextSuspect++));
        return;
    }
    loadAhead();
    if (m_ahead.empty()) {
        finish(Error::none());
        return;
    }
    if (m_ahead.front().done)
        writeOutFirst();
    // else its finished() writes it out
}

void RangeJob::fetch(const FileChunk& chunk)
{
    m_load = std::make_unique<ChunkLoad>(m_vault, chunk, m_placements.value(chunk.cid));
    connect(m_load.get(), &ChunkLoad::finished, this, &RangeJob::onFetched);
    m_load->start();
}

void RangeJob::onFetched()
{
    std::unique_ptr<ChunkLoad> load = std::move(m_load);
    const Error e = load->error();
    for (const QString& problem : load->problems())
        addWarning(e.ok() ? problem + tr(" (another replica was used)") : problem);
    load.release()->deleteLater();
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (!e.ok()) {
        finish(e);
        return;
    }
    Q_EMIT progress();
    next();
}

void RangeJob::loadAhead()
{
    while (int(m_ahead.size()) < ReadAheadChunks && m_nextToLoad < m_chunks.size()) {
        const FileChunk& chunk = m_chunks.at(m_nextToLoad++);
        auto load = std::make_unique<ChunkLoad>(m_vault, chunk, m_placements.value(chunk.cid));
        ChunkLoad* started = load.get();
        connect(started, &ChunkLoad::finished, this, [this, started] { onAheadFinished(started); });
        m_ahead.push_back({std::move(load), false});
        started->start(); // its finished() is queued
    }
}

void RangeJob::onAheadFinished(ChunkLoad* load)
{
    for (Ahead& a : m_ahead)
        if (a.load.get() == load)
            a.done = true;
    if (isFinished())
        return;
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (!m_writing && !m_ahead.empty() && m_ahead.front().load.get() == load)
        writeOutFirst();
}

void RangeJob::writeOutFirst()
{
    Ahead first = std::move(m_ahead.front());
    m_ahead.pop_front();
    const Error e = first.load->error();
    const FileChunk chunk = first.load->chunk();
    // "Another replica was used" only when one was: with no good copy, the problems are the error.
    for (const QString& problem : first.load->problems())
        addWarning(e.ok() ? problem + tr(" (another replica was used)") : problem);
    if (m_chunkFd >= 0)
        ::close(m_chunkFd);
    m_chunkFd = first.load->takeDescriptor();
    first.load.release()->deleteLater();
    if (!e.ok()) {
        finish(e);
        return;
    }
    loadAhead(); // the freed place goes to the next chunk while this one goes out
    writeOut(chunk);
}

void RangeJob::writeOut(const FileChunk& chunk)
{
    m_writing = true;
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
            ::pread(m_chunkFd, m_outBuffer.data(),
                    size_t(qMin<qint64>(m_outBuffer.size(), m_outTo - m_outPos)), m_outPos);
        if (n <= 0) {
            finish(Error::make(
                Error::Kind::Fatal,
                tr("Cannot read the verified copy of a chunk: %1")
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
    m_writing = false;
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
