#include "followinghasher.h"

#include "chunking/sha256.h"
#include "util/directreader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mf {

namespace {
constexpr qint64 MaxQueuedBytes = 16 << 20;
}

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

void FollowingHasher::offer(qint64 offset, const char* data, qint64 size)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (size <= 0 || offset != m_expectOffset || offset + size > m_size ||
            m_queuedBytes + size > MaxQueuedBytes)
            return; // not next in line, or no room: it is read back once verified
        // One block per chunk. A block running over a chunk start would be hashed past the
        // checkpoint there without making it, so a rollback of that chunk would find no
        // checkpoint and be ignored, its bad bytes staying in the hash; nor could rollback()
        // tell by the block's offset that part of it belongs to the chunk starting over.
        while (size > 0) {
            const qint64 n = qMin(size, nextBoundary(offset) - offset);
            m_queue.push_back({offset, QByteArray(data, n)});
            m_queuedBytes += n;
            offset += n;
            data += n;
            size -= n;
        }
        m_expectOffset = offset;
    }
    m_wake.notify_all();
}

void FollowingHasher::rollback(qint64 chunkOffset)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        // Every queued block of the chunk and after it goes, wherever it sits in the queue: the
        // queue is kept in file order (see settleQueue in run()), but a block of a replica that
        // starts over must never survive, or it is hashed once the hash gets to its offset.
        const auto stale = std::remove_if(m_queue.begin(), m_queue.end(),
                                          [&](const Block& b) { return b.offset >= chunkOffset; });
        for (auto it = stale; it != m_queue.end(); ++it)
            m_queuedBytes -= it->bytes.size();
        m_queue.erase(stale, m_queue.end());
        if (m_expectOffset > chunkOffset)
            m_expectOffset = chunkOffset;
        // Recorded even when the hash has not got there: a block of that chunk may be being
        // hashed right now, outside the lock.
        m_rollbackTo = m_rollbackTo < 0 ? chunkOffset : qMin(m_rollbackTo, chunkOffset);
    }
    m_wake.notify_all();
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
        if (atBoundary(pos) || pos == m_size)
            checkpoints.insert_or_assign(pos, hash.clone());
    };
    // With the lock held, no block being hashed and no rollback pending, so that `pos` is where
    // the hash goes on from: makes the queue start exactly there again and offers continue
    // where it ends. Blocks wholly behind `pos` were read back meanwhile; one that `pos` cuts
    // keeps its rest. Offers continuing anywhere else would be queued out of file order, and
    // neither hashed (they are not at `pos` when the hash gets there) nor reliably undone.
    auto settleQueue = [&] {
        while (!m_queue.empty() && m_queue.front().offset < pos) {
            Block& front = m_queue.front();
            const qint64 behind = pos - front.offset;
            if (behind < front.bytes.size()) {
                front.bytes.remove(0, behind);
                front.offset = pos;
                m_queuedBytes -= behind;
                break;
            }
            m_queuedBytes -= front.bytes.size();
            m_queue.pop_front();
        }
        if (!m_queue.empty() && m_queue.front().offset != pos) {
            m_queue.clear(); // cannot happen; were it to, reading back is always right
            m_queuedBytes = 0;
        }
        m_expectOffset =
            m_queue.empty() ? pos : m_queue.back().offset + m_queue.back().bytes.size();
    };
    checkpoints.insert_or_assign(0, hash.clone());

    while (true) {
        if (m_testHook)
            m_testHook(TestPoint::Waiting, pos);
        Block block{-1, {}};
        qint64 readTo = -1;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            const auto done = [&] { return pos == m_size && m_available >= m_size; };
            m_wake.wait(lock, [&] {
                return m_stop || m_rollbackTo >= 0 || done() ||
                       (!m_queue.empty() && m_queue.front().offset == pos) ||
                       readableLocked() > pos;
            });
            if (m_stop)
                return;
            if (m_rollbackTo < 0 && done())
                break; // every hashed byte is verified: the digest is final
            if (m_rollbackTo >= 0) {
                // Back to the start of the chunk that starts over; its checkpoint exists because
                // it lies past the verified prefix, where every chunk start is kept. (Should a
                // caller roll back a verified chunk, whose checkpoint is gone, the first one kept
                // after it still undoes any other rollback merged into this one.)
                const auto it = checkpoints.lower_bound(m_rollbackTo);
                if (it != checkpoints.end() && it->first < pos) {
                    pos = it->first;
                    hash = it->second.clone();
                    checkpoints.erase(checkpoints.upper_bound(pos), checkpoints.end());
                }
                m_rollbackTo = -1;
                settleQueue();
                continue;
            }
            if (!m_queue.empty() && m_queue.front().offset == pos) {
                block = std::move(m_queue.front());
                m_queue.pop_front();
                m_queuedBytes -= block.bytes.size();
            } else {
                readTo = qMin(readableLocked(), nextBoundary(pos));
            }
            // Checkpoints before the verified prefix can never be rolled back to.
            checkpoints.erase(checkpoints.begin(), checkpoints.lower_bound(m_available));
        }

        if (block.offset >= 0) {
            if (m_testHook)
                m_testHook(TestPoint::BlockTaken, block.offset);
            hash.addData(block.bytes.constData(), block.bytes.size());
            advance(block.bytes.size());
        } else {
            while (pos < readTo) {
                if (m_stop.load(std::memory_order_relaxed))
                    return;
                const qint64 n = reader.read(pos, qMin(DirectReader::BlockSize, readTo - pos));
                if (n <= 0) {
                    error = QStringLiteral("Cannot read back the restored file: %1")
                                .arg(n < 0 ? QString::fromLocal8Bit(std::strerror(errno))
                                           : QStringLiteral("unexpected end"));
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
        // Not while a rollback waits: `pos` is about to move back to its chunk, and offers must
        // go on from where rollback() left them. Moving them on to `pos` let the next chunk's
        // offers in ahead of the hash's real position, so the queue fell out of file order, and
        // a later rollback of that next chunk could leave its bad bytes queued, to be hashed
        // (replayed by tst_followinghasher's staleOfferAfterRaceWithRollback).
        if (m_rollbackTo < 0)
            settleQueue();
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
