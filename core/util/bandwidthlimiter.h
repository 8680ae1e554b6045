#pragma once

#include <QMutex>
#include <QtGlobal>

#include <atomic>
#include <functional>

namespace mf {

// The bandwidth limits of a vault: one token bucket for the bytes sent to providers (Upload)
// and one for the bytes received from them or from the Hub (Download), shared by every transfer
// of the vault (float, restore, verify, import, scrub, ...) and by every provider kind. Each
// bucket fills at its rate and holds at most a tenth of a second of it, so a configured rate is
// held closely once a transfer runs for more than a second. Limits can change at any time; a
// change applies within MaxWaitMs. Thread-safe: the network adapters ask from the engine thread,
// the local provider's workers from their own threads.
//
// The clock and the sleep are injectable, so the arithmetic is tested without waiting.
class BandwidthLimiter final
{
    Q_DISABLE_COPY_MOVE(BandwidthLimiter)

public:
    enum class Direction { Upload, Download };
    // Milliseconds from any fixed origin, never going back.
    using Clock = std::function<qint64()>;
    using Sleep = std::function<void(int ms)>;

    // The longest a caller is told to wait before asking again.
    static constexpr int MaxWaitMs = 100;

    // Without a clock: a monotonic one. Without a sleep: QThread::msleep.
    explicit BandwidthLimiter(Clock clock = {}, Sleep sleep = {});
    ~BandwidthLimiter();

    // Bytes per second; 0 (or less): no limit.
    void setLimits(qint64 uploadBytesPerSecond, qint64 downloadBytesPerSecond);
    void setLimit(Direction direction, qint64 bytesPerSecond);
    qint64 limit(Direction direction) const;

    // Non-blocking: how many of `wanted` bytes may move now (all of them without a limit). When
    // none may, returns 0 and sets *retryMs (1..MaxWaitMs) to when to ask again. Small grants
    // are held back until a reasonable piece is available, so callers are not woken per byte.
    qint64 take(Direction direction, qint64 wanted, int* retryMs = nullptr);
    // Bytes that moved without asking (the rest of a reply that has ended): they still count,
    // and later callers wait for them.
    void charge(Direction direction, qint64 bytes);
    // Blocking, for worker threads that have no event loop to return to: returns true once all
    // `bytes` were granted, false as soon as `stop` (checked between waits) says so.
    bool acquire(Direction direction, qint64 bytes, const std::function<bool()>& stop = {});

    // The limiter's own accounting, limited or not: every byte granted or charged so far, and
    // how many times a caller was told to wait. Tests read them to see that bytes went through
    // the limiter, and no faster than it allowed.
    qint64 moved(Direction direction) const;
    qint64 waits(Direction direction) const;

private:
    struct Bucket
    {
        qint64 rate = 0; // bytes per second; 0: unlimited
        double tokens = 0;
        qint64 lastMs = 0;
        std::atomic<qint64> moved{0};
        std::atomic<qint64> waits{0};
    };
    Bucket& bucket(Direction direction);
    static double capacity(qint64 rate);
    void refill(Bucket& b, qint64 nowMs) const;

    Clock m_clock;
    Sleep m_sleep;
    mutable QMutex m_mutex;
    Bucket m_upload;
    Bucket m_download;
};

} // namespace mf
