#include "followinghasher.h"

#include "chunking/sha256.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mf {

FollowingHasher::FollowingHasher(int fd, qint64 size, QObject* parent)
    : QObject(parent)
    , m_fd(fd)
    , m_size(size)
{
}

FollowingHasher::~FollowingHasher()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void FollowingHasher::start() { m_thread = std::thread([this] { run(); }); }

void FollowingHasher::advanceTo(qint64 end)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_available = qMax(m_available, end);
    }
    m_wake.notify_all();
}

void FollowingHasher::run()
{
    constexpr qint64 Block = 1 << 20;
    Sha256 hash;
    QByteArray buffer(Block, Qt::Uninitialized);
    qint64 pos = 0;
    QString error;
    while (pos < m_size) {
        qint64 available;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || m_available > pos; });
            if (m_stop)
                return;
            available = m_available;
        }
        while (pos < available) {
            const ssize_t n = ::pread(m_fd, buffer.data(), size_t(qMin(Block, available - pos)), pos);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                error = QStringLiteral("Cannot read back the restored file: %1")
                            .arg(n < 0 ? QString::fromLocal8Bit(std::strerror(errno))
                                       : QStringLiteral("unexpected end"));
                pos = m_size;
                break;
            }
            hash.addData(buffer.constData(), n);
            pos += n;
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
