#include "streamchunksource.h"

#include "chunking/cid.h"
#include "chunking/unixfs.h"

#include <QBuffer>

namespace mf {

namespace {
constexpr qint64 StallAfterMs = 5000; // no byte for this long shows as "stalled"
}

StreamChunkSource::StreamChunkSource(const QString& name, qint64 size, const ChunkerParams& params,
                                     const Resume& resume, QObject* parent)
    : ChunkSource(parent)
    , m_name(name)
    , m_size(size)
    , m_params(params)
    , m_resume(resume)
    , m_finder(params)
{
    qRegisterMetaType<mf::ScannedChunk>();
    // One hashing thread, so chunks are hashed in file order.
    m_hasher.setMaxThreadCount(1);
}

StreamChunkSource::~StreamChunkSource()
{
    m_hasher.waitForDone(); // at most the chunks in flight, bounded by maxPendingChunks
}

QString StreamChunkSource::feedName() const
{
    return tr("Receiving “%1”").arg(m_name);
}

void StreamChunkSource::start()
{
    if (m_started)
        return;
    m_started = true;
    if (keepsHashStates() && !m_resume.placed.isEmpty() &&
        m_fileHash.restoreState(m_resume.hashState) &&
        m_fileHash.bytesHashed() == m_resume.placed.last().offset + m_resume.placed.last().size) {
        m_resumedFrom = m_offset = m_fileHash.bytesHashed();
        m_fileDigest = m_fileHash.result();
        for (const ScannedChunk& chunk : std::as_const(m_resume.placed))
            report(chunk);
    } else {
        m_fileHash.reset();
        m_fileDigest = m_fileHash.result();
        QString why;
        if (!beginFresh(&why)) {
            finish(why);
            return;
        }
    }
    m_current.reserve(int(m_params.avgSize));
    m_lastByte.start();
    m_feeding = true;
    startFeed(m_offset);
}

void StreamChunkSource::abort()
{
    if (m_finished || m_cancelled)
        return;
    m_cancelled = true;
    if (m_feeding)
        abortFeed(); // its endFeed() ends us
    else
        finish(tr("%1 was cancelled").arg(feedName()), true);
}

void StreamChunkSource::abortFeed()
{
    endFeed(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

// Reported from the event loop, in order, so that a receiver may abort us from its slot.
void StreamChunkSource::report(const ScannedChunk& chunk)
{
    ++m_unacknowledged;
    QMetaObject::invokeMethod(
        this,
        [this, chunk] {
            if (!m_cancelled)
                Q_EMIT chunkScanned(chunk);
        },
        Qt::QueuedConnection);
}

bool StreamChunkSource::write(const char* data, qint64 size)
{
    if (m_finished || m_cancelled || !m_feeding) {
        if (m_errorString.isEmpty())
            m_errorString = tr("%1: bytes came after the stream ended").arg(feedName());
        return false;
    }
    if (m_offset + size > m_size) {
        m_errorString = tr("%1: more than its %2 bytes came").arg(feedName()).arg(m_size);
        return false;
    }
    m_lastByte.restart();
    sniff(data, size, false);
    tap(data, size);
    const auto* p = reinterpret_cast<const uchar*>(data);
    qint64 left = size;
    while (left > 0) {
        bool boundary = false;
        const qsizetype n = m_finder.feed(p, left, &boundary);
        m_current.append(reinterpret_cast<const char*>(p), n);
        m_offset += n;
        p += n;
        left -= n;
        if (boundary)
            endChunk();
    }
    updatePause();
    return true;
}

// A chunk is cut: its bytes go to the hashing thread (the chunk's SHA-256, its CID, its UnixFS
// DAG and the whole file's running SHA-256), which hands them back in order to onChunkHashed(). The
// engine thread meanwhile receives and cuts the next bytes. The chunk counts as pending from
// now on, so back-pressure covers chunks being hashed too.
void StreamChunkSource::endChunk()
{
    const QByteArray bytes = m_current;
    const qint64 offset = m_offset - bytes.size();
    m_current = QByteArray();
    m_current.reserve(int(m_params.avgSize));
    m_finder.reset();
    ++m_unacknowledged;
    ++m_hashing;
    const bool saveState = keepsHashStates();
    m_hasher.start([this, bytes, offset, saveState] {
        ScannedChunk chunk;
        chunk.offset = offset;
        chunk.size = bytes.size();
        // The chunk and its leaves in one pass (never empty: a cut follows at least a byte).
        chunk.dag = unixfs::chunkDag(bytes, {}, &chunk.sha256);
        chunk.cid = cid::fromSha256(chunk.sha256);
        m_fileHash.addData(bytes.constData(), bytes.size()); // only this thread touches it now
        const QByteArray state = saveState ? m_fileHash.saveState() : QByteArray();
        const QByteArray digest = m_fileHash.result();
        QMetaObject::invokeMethod(
            this,
            [this, chunk, bytes, state, digest] { onChunkHashed(chunk, bytes, state, digest); },
            Qt::QueuedConnection);
    });
}

void StreamChunkSource::onChunkHashed(const ScannedChunk& chunk, const QByteArray& bytes,
                                      const QByteArray& state, const QByteArray& fileDigest)
{
    --m_hashing;
    m_fileDigest = fileDigest;
    if (m_cancelled || m_finished)
        return;
    Held& held = m_held[chunk.cid];
    if (held.bytes.isEmpty())
        held.bytes = bytes;
    ++held.references;
    // Before the chunk reaches the manifest: a boundary in the manifest has its state saved.
    // (A failed write only costs a later resume some bytes, never correctness.)
    if (!state.isEmpty())
        checkpoint(chunk.offset + chunk.size, state);
    Q_EMIT chunkScanned(chunk);
    if (m_feedDone && m_hashing == 0)
        verify();
}

void StreamChunkSource::updatePause()
{
    const bool paused = m_feeding && isFull();
    if (paused == m_paused)
        return;
    m_paused = paused;
    pauseFeed(paused);
    Q_EMIT feedPaused(paused);
}

void StreamChunkSource::acknowledge(const ScannedChunk& chunk, int count)
{
    m_unacknowledged -= count;
    const auto it = m_held.find(chunk.cid);
    if (it != m_held.end()) {
        it->references -= count;
        if (it->references <= 0)
            m_held.erase(it);
    }
    updatePause();
}

std::unique_ptr<QIODevice> StreamChunkSource::openChunk(const ScannedChunk& chunk, QString* error)
{
    const auto it = m_held.constFind(chunk.cid);
    if (it == m_held.constEnd() || it->bytes.size() != chunk.size) {
        m_resumeBroken = true;
        *error = tr("Chunk %1 of “%2”, placed before the transfer was interrupted, is no longer "
                    "stored on enough providers; the file is fetched again from its start")
                     .arg(chunk.cid, m_name);
        return nullptr;
    }
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(it->bytes); // shared, not copied
    buffer->open(QIODevice::ReadOnly);
    return buffer;
}

bool StreamChunkSource::isStalled() const
{
    return m_started && !m_finished && m_feeding && !isFull() && m_lastByte.isValid() &&
           m_lastByte.elapsed() > StallAfterMs;
}

void StreamChunkSource::sniff(const char* data, qint64 size, bool ended)
{
    if (m_sniffed)
        return;
    if (!m_sniffer) {
        if (m_offset != 0 || ended)
            return; // resumed past the header: its metadata stays unknown
        m_sniffer.emplace(m_name, m_size);
    }
    if (size > 0)
        m_sniffer->feed(data, size);
    if (ended && !m_sniffer->isDone())
        m_sniffer->finish();
    if (!m_sniffer->isDone())
        return;
    m_sniffed = true;
    const QJsonObject metadata =
        m_sniffer->error().isEmpty()
            ? m_sniffer->metadata()
            : QJsonObject{{QStringLiteral("formatError"), m_sniffer->error()}};
    m_sniffer.reset();
    Q_EMIT metadataReady(metadata);
}

void StreamChunkSource::endFeed(const Error& error)
{
    if (!m_feeding)
        return;
    m_feeding = false;
    if (m_cancelled || error.kind == Error::Kind::Cancelled) {
        finish(tr("%1 was cancelled").arg(feedName()), true);
        return;
    }
    if (!error.ok()) {
        finish(m_errorString.isEmpty() ? error.message : m_errorString);
        return;
    }
    sniff(nullptr, 0, true);
    if (m_offset != m_size) {
        finish(tr("%1: got %2 of %3 bytes").arg(feedName()).arg(m_offset).arg(m_size));
        return;
    }
    if (!m_current.isEmpty())
        endChunk();
    m_feedDone = true;
    if (m_hashing == 0)
        verify();
}

// Every byte is hashed: the file is what was expected, or it is refused.
void StreamChunkSource::verify()
{
    m_fileSha256 = m_fileDigest;
    finish(verifyStream(m_fileSha256));
}

void StreamChunkSource::finish(const QString& error, bool cancelled)
{
    if (m_finished)
        return;
    m_finished = true;
    m_feeding = false;
    m_errorString = error;
    m_cancelled = m_cancelled || cancelled;
    // After every chunk already queued.
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_reportedFinished = true;
            Q_EMIT finished();
        },
        Qt::QueuedConnection);
}

} // namespace mf
