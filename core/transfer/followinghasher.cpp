#include "followinghasher.h"
#include "util/fileio.h"

#include "chunking/sha256.h"
#include "util/directreader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mf {

FollowingHasher::FollowingHasher(int fd, int directFd, qint64 size, QList<qint64> chunkOffsets,
                                 QObject* parent)
    : QObject(parent)
    , m_fd(fd)
    , m_directFd(directFd)
    , m_size(size)
    , m_chunkOffsets(std::move(chunkOffsets))
{}

FollowingHasher::~FollowingHasher()
{
    stop();
}

void FollowingHasher::start()
{
    m_thread = std::thread([this] { run(); });
}

void FollowingHasher::stop()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void FollowingHasher::advanceTo(qint64 end)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_available = qMax(m_available, end);
    }
    m_wake.notify_all();
}

void FollowingHasher::setOfferLimit(qint64 bytes)
{
    m_offerLimit.store(qBound(MaxOfferedBytes, bytes, MaxGrownOfferedBytes),
                       std::memory_order_relaxed);
}

bool FollowingHasher::fitsLocked(qint64 offset, qint64 size) const
{
    // Behind the hash, or no room: it is read back once verified.
    return size > 0 && offset >= m_position && offset + size <= m_size &&
           m_queuedBytes + size <= offerLimit();
}

void FollowingHasher::insertLocked(qint64 offset, const SharedBytes& data, qint64 size)
{
    // One block per chunk. A block running over a chunk start would be hashed past the
    // checkpoint there without making it, so a rollback of that chunk would find no checkpoint;
    // nor could rollback() tell by the block's offset that part of it belongs to the chunk
    // starting over. The blocks share `data` (aliasing pointers into it).
    for (qint64 done = 0; done < size;) {
        const qint64 n = qMin(size - done, nextBoundary(offset + done) - (offset + done));
        Bytes block{SharedBytes(data, data.get() + done), n};
        auto [it, inserted] = m_offered.try_emplace(offset + done, block);
        if (!inserted) { // cannot happen within one attempt; the newest bytes win
            m_queuedBytes -= it->second.size;
            it->second = std::move(block);
        }
        m_queuedBytes += n;
        done += n;
    }
}

void FollowingHasher::offer(qint64 offset, const char* data, qint64 size)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!fitsLocked(offset, size))
            return;
        // Only the few bytes of partial pages come this way (restore writes whole pages from
        // buffers it shares), so a fresh allocation costs little.
        std::shared_ptr<char> copy(new char[size_t(size)], std::default_delete<char[]>());
        std::memcpy(copy.get(), data, size_t(size));
        insertLocked(offset, copy, size);
    }
    m_wake.notify_all();
}

void FollowingHasher::offer(qint64 offset, SharedBytes data, qint64 size)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!data || !fitsLocked(offset, size))
            return;
        insertLocked(offset, data, size);
    }
    m_wake.notify_all();
}

void FollowingHasher::rollback(qint64 chunkOffset)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        // The chunk's waiting blocks go; other chunks' blocks are their own replicas' and stay.
        const qint64 end = nextBoundary(chunkOffset);
        for (auto it = m_offered.lower_bound(chunkOffset);
             it != m_offered.end() && it->first < end;) {
            m_queuedBytes -= it->second.size;
            it = m_offered.erase(it);
        }
        // Recorded even when the hash has not got there: a block of that chunk may be being
        // hashed right now, outside the lock. The hashing thread undoes what it hashed.
        m_rollbackTo = m_rollbackTo < 0 ? chunkOffset : qMin(m_rollbackTo, chunkOffset);
        // The hash is going back there: the good replica's offers are welcome from there on.
        m_position = qMin(m_position, chunkOffset);
    }
    m_wake.notify_all();
}

void FollowingHasher::dropOfferedBefore(qint64 position)
{
    // Blocks the hash has passed by reading the file back; one it cut keeps its rest.
    while (!m_offered.empty() && m_offered.begin()->first < position) {
        auto node = m_offered.extract(m_offered.begin());
        const qint64 behind = position - node.key();
        const Bytes& block = node.mapped();
        m_queuedBytes -= block.size;
        if (behind < block.size) {
            Bytes rest{SharedBytes(block.data, block.data.get() + behind), block.size - behind};
            m_queuedBytes += rest.size;
            m_offered.insert_or_assign(position, std::move(rest));
            break;
        }
    }
}

qint64 FollowingHasher::readableLocked() const
{
    // Stay on page boundaries until the end, so that every read-back can go direct.
    constexpr qint64 A = DirectReader::Alignment;
    return m_available >= m_size ? m_size : m_available / A * A;
}

qint64 FollowingHasher::nextBoundary(qint64 position) const
{
    const auto it = std::upper_bound(m_chunkOffsets.cbegin(), m_chunkOffsets.cend(), position);
    return it == m_chunkOffsets.cend() ? m_size : qMin(*it, m_size);
}

void FollowingHasher::run()
{
    Sha256 hash;
    std::map<qint64, Sha256> checkpoints; // hash state at chunk starts past the verified prefix
    DirectReader reader(m_fd, m_directFd);
    QString error;
    qint64 pos = 0;
    auto atBoundary = [&](qint64 p) {
        return std::binary_search(m_chunkOffsets.cbegin(), m_chunkOffsets.cend(), p);
    };
    auto advance = [&](qint64 n) {
        pos += n;
        m_hashedTo.store(pos, std::memory_order_relaxed);
        if (atBoundary(pos) || pos == m_size) {
            checkpoints.insert_or_assign(pos, hash.clone());
            QMetaObject::invokeMethod(this, &FollowingHasher::advanced, Qt::QueuedConnection);
        }
    };
    checkpoints.insert_or_assign(0, hash.clone());

    while (true) {
        if (m_testHook)
            m_testHook(TestPoint::Waiting, pos);
        qint64 blockOffset = -1; // where `block` goes, when the next step hashes an offer
        Bytes block;
        qint64 readTo = -1;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            const auto done = [&] { return pos == m_size && m_available >= m_size; };
            m_wake.wait(lock, [&] {
                return m_stop || m_rollbackTo >= 0 || done() || m_offered.count(pos) > 0 ||
                       readableLocked() > pos;
            });
            if (m_stop)
                return;
            if (m_rollbackTo >= 0) {
                // Back to the start of the chunk that starts over; its checkpoint exists because
                // it lies past the verified prefix, where every chunk start is kept. (Should a
                // caller roll back a verified chunk, whose checkpoint is gone, the first one kept
                // after it still undoes any other rollback merged into this one.) Blocks of later
                // chunks that were hashed meanwhile are gone: they are read back instead.
                const auto it = checkpoints.lower_bound(m_rollbackTo);
                if (it != checkpoints.end() && it->first < pos) {
                    pos = it->first;
                    m_hashedTo.store(pos, std::memory_order_relaxed);
                    hash = it->second.clone();
                    checkpoints.erase(checkpoints.upper_bound(pos), checkpoints.end());
                }
                m_rollbackTo = -1;
                m_position = pos;
                continue;
            }
            if (done())
                break; // every hashed byte is verified: the digest is final
            if (const auto it = m_offered.find(pos); it != m_offered.end()) {
                blockOffset = it->first;
                block = std::move(it->second);
                m_offered.erase(it);
                m_queuedBytes -= block.size;
            } else {
                // Read back up to the next waiting block, if one lies in the verified range.
                readTo = qMin(readableLocked(), nextBoundary(pos));
                const auto next = m_offered.lower_bound(pos);
                if (next != m_offered.end())
                    readTo = qMin(readTo, next->first);
            }
            // Checkpoints before the verified prefix can never be rolled back to.
            checkpoints.erase(checkpoints.begin(), checkpoints.lower_bound(m_available));
        }

        if (blockOffset >= 0) {
            if (m_testHook)
                m_testHook(TestPoint::BlockTaken, blockOffset);
            hash.addData(block.data.get(), block.size);
            advance(block.size);
            block = {}; // its buffer goes back to its writer's pool now, not at the next block
        } else {
            while (pos < readTo) {
                if (m_stop.load(std::memory_order_relaxed))
                    return;
                const qint64 n = reader.read(pos, qMin(DirectReader::BlockSize, readTo - pos));
                if (n <= 0) {
                    error = QStringLiteral("Cannot read back the restored file: %1")
                                .arg(n < 0 ? errnoText(errno) : QStringLiteral("unexpected end"));
                    break;
                }
                hash.addData(reader.buffer(), n);
                m_bytesReadBack += n;
                advance(n);
            }
            if (!error.isEmpty())
                break;
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        // While a rollback waits, `pos` is about to move back: leave the blocks alone until then.
        if (m_rollbackTo < 0) {
            m_position = pos;
            dropOfferedBefore(pos);
        }
    }
    const QByteArray digest = error.isEmpty() ? hash.result() : QByteArray();
    QMetaObject::invokeMethod(
        this,
        [this, digest, error] {
            m_digest = digest;
            m_error = error;
            Q_EMIT finished();
        },
        Qt::QueuedConnection);
}

} // namespace mf
