#include "rangejob.h"
#include "util/fileio.h"

#include "chunkfetcher.h"
#include "chunkwriter.h"
#include "vault/vault.h"

#include <QIODevice>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mf {

RangeJob::RangeJob(Vault* vault, const FileRecord& file, qint64 begin, qint64 end,
                   QIODevice* output, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_file(file)
    , m_begin(begin)
    , m_end(end)
    , m_output(output)
{}

RangeJob::~RangeJob()
{
    m_fetcher.reset(); // its job ends before the spool goes
    if (m_spoolFd >= 0)
        ::close(m_spoolFd);
    if (!m_spoolPath.isEmpty())
        ::unlink(m_spoolPath.constData());
}

void RangeJob::start()
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
    for (const FileChunk& c : registry.fileChunks(m_file.id))
        if (c.offset < m_end && c.offset + c.size > m_begin)
            m_chunks.append(c);
    m_placements = registry.placementsOfModel(m_file.modelId);
    m_spoolPath = (m_vault->tempDirectory() + QStringLiteral("/range-XXXXXX")).toLocal8Bit();
    m_spoolFd = ::mkstemp(m_spoolPath.data());
    if (m_spoolFd < 0) {
        m_spoolPath.clear();
        finish(
            Error::make(Error::Kind::Fatal, tr("Cannot create a temporary file in “%1”: %2")
                                                .arg(m_vault->tempDirectory(), errnoText(errno))));
        return;
    }
    fetchNext();
}

void RangeJob::abort()
{
    if (m_finished)
        return;
    if (m_fetcher)
        m_fetcher->abort();
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void RangeJob::fetchNext()
{
    if (m_next >= m_chunks.size()) {
        finish(Error::none());
        return;
    }
    const FileChunk& chunk = m_chunks.at(m_next++);
    // The spool is read back at once: keep it in the page cache (no direct descriptor).
    m_writer = std::make_unique<OffsetChunkWriter>(m_spoolFd, -1, 0, chunk.size,
                                                   QString::fromLocal8Bit(m_spoolPath));
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
    fetcher.release()->deleteLater();
    if (!e.ok()) {
        finish(e);
        return;
    }
    const qint64 from = qMax(m_begin, chunk.offset) - chunk.offset;
    const qint64 to = qMin(m_end, chunk.offset + chunk.size) - chunk.offset;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    for (qint64 pos = from; pos < to;) {
        const ssize_t n =
            ::pread(m_spoolFd, buffer.data(), size_t(qMin<qint64>(buffer.size(), to - pos)), pos);
        if (n <= 0) {
            finish(
                Error::make(Error::Kind::Fatal, tr("Cannot read the temporary copy of a chunk")));
            return;
        }
        if (m_output->write(buffer.constData(), n) != n) {
            finish(Error::make(Error::Kind::Fatal,
                               tr("Cannot write the output: %1").arg(m_output->errorString())));
            return;
        }
        pos += n;
        m_written += n;
    }
    Q_EMIT progress();
    fetchNext();
}

void RangeJob::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    QMetaObject::invokeMethod(this, &RangeJob::finished, Qt::QueuedConnection);
}

} // namespace mf
