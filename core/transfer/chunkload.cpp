#include "chunkload.h"

#include "chunkfetcher.h"
#include "offsetchunkwriter.h"
#include "util/fileio.h"
#include "vault/chunkcache.h"
#include "vault/vault.h"

#include <QFile>

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
    const int named = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (named >= 0)
        ::unlink(pattern.constData());
    return named;
}
} // namespace

ChunkLoad::ChunkLoad(Vault* vault, const FileChunk& chunk, QList<Placement> placements,
                     QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_chunk(chunk)
    , m_placements(std::move(placements))
{}

ChunkLoad::~ChunkLoad()
{
    m_fetcher.reset(); // its job ends before the writer and the file go
    m_writer.reset();
    if (!m_reservedPath.isEmpty())
        m_vault->chunkCache().release(m_reservedPath, m_chunk.size);
    if (m_fd >= 0)
        ::close(m_fd);
}

void ChunkLoad::start()
{
    ChunkCache& cache = m_vault->chunkCache();
    m_fd = cache.open(m_chunk.cid, m_chunk.size);
    if (m_fd >= 0) {
        m_wasCached = true;
        finish(Error::none());
        return;
    }
    QString why;
    if (!cache.reserve(m_chunk.size, &m_fd, &m_reservedPath, &why)) {
        // No room in the cache (or no cache folder): read it through a file nothing outlives.
        m_reservedPath.clear();
        m_fd = openAnonymousFile(m_vault->tempDirectory());
        if (m_fd < 0) {
            finish(Error::make(Error::Kind::Fatal,
                               tr("Cannot create a temporary file in “%1”: %2%3")
                                   .arg(m_vault->tempDirectory(), errnoText(errno),
                                        why.isEmpty()
                                            ? QString()
                                            : QStringLiteral(" (") + why + QStringLiteral(")"))));
            return;
        }
    }
    // The file is read back at once: keep it in the page cache (no direct descriptor).
    m_writer = std::make_unique<OffsetChunkWriter>(m_fd, -1, 0, m_chunk.size,
                                                   tr("the cached copy of a chunk"));
    m_fetcher = std::make_unique<ChunkFetcher>(m_vault, m_chunk, m_placements, m_writer.get());
    connect(m_fetcher.get(), &ChunkFetcher::progress, this, &ChunkLoad::progress);
    connect(m_fetcher.get(), &ChunkFetcher::finished, this, &ChunkLoad::onFetched);
    m_fetcher->start();
}

void ChunkLoad::abort()
{
    if (m_finished)
        return;
    if (m_fetcher)
        m_fetcher->abort(); // its finished() ends the load
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void ChunkLoad::onFetched()
{
    std::unique_ptr<ChunkFetcher> fetcher = std::move(m_fetcher);
    m_problems = fetcher->problems();
    const Error e = fetcher->error();
    fetcher.release()->deleteLater();
    m_writer.reset();
    if (!m_reservedPath.isEmpty()) {
        ChunkCache& cache = m_vault->chunkCache();
        // Verified by the fetcher: into the cache under its CID. A rename that fails only costs
        // the next read a fetch; the descriptor holds the bytes either way.
        if (e.ok())
            cache.adopt(m_reservedPath, m_chunk.cid, m_chunk.size);
        else
            cache.release(m_reservedPath, m_chunk.size);
        m_reservedPath.clear();
    }
    finish(e);
}

void ChunkLoad::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    if (!error.ok() && m_fd >= 0) {
        ::close(m_fd); // never a byte of an unverified chunk
        m_fd = -1;
    }
    QMetaObject::invokeMethod(this, &ChunkLoad::finished, Qt::QueuedConnection);
}

int ChunkLoad::takeDescriptor()
{
    if (!m_error.ok() || !m_finished)
        return -1;
    return std::exchange(m_fd, -1);
}

} // namespace mf
