#pragma once

#include <QByteArray>
#include <QObject>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace mf {

// Computes the SHA-256 of a file that is being written out of order (a restore fetching chunks
// in parallel), on its own thread, following the end of the completed prefix as it grows. The
// whole-file hash then costs no extra wall time after the last chunk lands.
class FollowingHasher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FollowingHasher)

public:
    FollowingHasher(int fd, qint64 size, QObject* parent = nullptr);
    ~FollowingHasher() override; // stops and joins the thread

    void start();
    // Bytes [0, end) are final and may be hashed.
    void advanceTo(qint64 end);

    QByteArray digest() const { return m_digest; }
    QString errorString() const { return m_error; }

Q_SIGNALS:
    void finished(); // digest() or errorString() is set

private:
    void run();

    int m_fd;
    qint64 m_size;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    qint64 m_available = 0;
    bool m_stop = false;
    QByteArray m_digest;
    QString m_error;
};

} // namespace mf
