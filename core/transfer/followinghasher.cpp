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
{
}

FollowingHasher::~FollowingHasher() { stop(); }

void FollowingHasher::start() { m_thread = std::thread([this] { run(); }); }

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
        if (size <= 0 || offset != m_expectOffset || m_queuedBytes + size > MaxQueuedBytes)
            return; // not next in line, or no room: it is read back once verified
        m_queue.push_back({offset, QByteArray(data, size)});
        m_queuedBytes += size;
        m_expectOffset += size;
    }
    m_wake.notify_all();
}

void FollowingHasher::rollback(qint64 chunkOffset)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        while (!m_queue.empty() && m_queue.back().offset >= chunkOffset) {
            m_queuedBytes -= m_queue.back().bytes.size();
            m_queue.pop_back();
        }
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
    auto nextBoundary = [&](qint64 p) {
        const auto it = std::upper_bound(m_chunkOffsets.cbegin(), m_chunkOffsets.cend(), p);
        return it == m_chunkOffsets.cend() ? m_size : *it;
    };
    auto advance = [&](qint64 n) {
        pos += n;
        if (atBoundary(pos) || pos == m_size)
            checkpoints.insert_or_assign(pos, hash.clone());
    };
    checkpoints.insert_or_assign(0, hash.clone());

    while (true) {
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
                // it lies past the verified prefix, where every chunk start is kept.
                const auto it = checkpoints.find(m_rollbackTo);
                if (m_rollbackTo < pos && it != checkpoints.end()) {
                    pos = m_rollbackTo;
                    hash = it->second.clone();
                    checkpoints.erase(checkpoints.upper_bound(pos), checkpoints.end());
                }
                m_rollbackTo = -1;
                m_expectOffset = qMin(m_expectOffset, pos + m_queuedBytes);
                continue;
            }
            if (!m_queue.empty() && m_queue.front().offset == pos) {
                block = std::move(m_queue.front());
                m_queue.pop_front();
                m_queuedBytes -= block.bytes.size();
            } else {
                // Offers that fell behind the hash position are stale: drop them.
                while (!m_queue.empty() && m_queue.front().offset < pos) {
                    m_queuedBytes -= m_queue.front().bytes.size();
                    m_queue.pop_front();
                }
                readTo = qMin(readableLocked(), nextBoundary(pos));
            }
            // Checkpoints before the verified prefix can never be rolled back to.
            checkpoints.erase(checkpoints.begin(), checkpoints.lower_bound(m_available));
        }

        if (block.offset >= 0) {
            hash.addData(block.bytes.constData(), block.bytes.size());
            advance(block.bytes.size());
        } else {
            while (pos < readTo) {
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
        // Offers continue where the hash now stands (a read-back may have moved it on).
        if (m_queue.empty())
            m_expectOffset = qMax(m_expectOffset, pos);
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
