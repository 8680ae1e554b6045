#include "bandwidthlimiter.h"

#include "monotonicclock.h"

#include <QThread>

#include <cmath>

namespace mf {

namespace {
// A bucket never holds less than this, so that a low limit still moves pieces worth waking for.
constexpr double MinCapacityBytes = 4096;
// How far below zero charged bytes may take a bucket (in seconds of its rate): a large
// uncounted tail is paid back, but a rate lowered afterwards does not leave a debt of minutes.
constexpr double MaxDebtSeconds = 2.0;
} // namespace

BandwidthLimiter::BandwidthLimiter(Clock clock, Sleep sleep)
    : m_clock(monotonicClockOr(std::move(clock)))
    , m_sleep(std::move(sleep))
{
    if (!m_sleep)
        m_sleep = [](int ms) { QThread::msleep(ulong(ms)); };
}

BandwidthLimiter::~BandwidthLimiter() = default;

BandwidthLimiter::Bucket& BandwidthLimiter::bucket(Direction direction)
{
    return direction == Direction::Upload ? m_upload : m_download;
}

double BandwidthLimiter::capacity(qint64 rate)
{
    return qMax(MinCapacityBytes, double(rate) / 10.0);
}

void BandwidthLimiter::refill(Bucket& b, qint64 nowMs) const
{
    if (b.rate > 0 && nowMs > b.lastMs)
        b.tokens =
            qMin(capacity(b.rate), b.tokens + double(nowMs - b.lastMs) * double(b.rate) / 1000.0);
    b.lastMs = qMax(b.lastMs, nowMs);
}

void BandwidthLimiter::setLimits(qint64 uploadBytesPerSecond, qint64 downloadBytesPerSecond)
{
    setLimit(Direction::Upload, uploadBytesPerSecond);
    setLimit(Direction::Download, downloadBytesPerSecond);
}

void BandwidthLimiter::setLimit(Direction direction, qint64 bytesPerSecond)
{
    QMutexLocker lock(&m_mutex);
    Bucket& b = bucket(direction);
    const qint64 now = m_clock();
    const qint64 rate = qMax<qint64>(0, bytesPerSecond);
    if (rate == b.rate)
        return;
    if (b.rate <= 0) {
        // From no limit: a full bucket, as if the limit had always been there.
        b.tokens = capacity(rate);
        b.lastMs = now;
    } else {
        refill(b, now); // what accrued at the old rate is kept
    }
    b.rate = rate;
    if (rate > 0)
        b.tokens =
            qBound(-capacity(rate) - double(rate) * MaxDebtSeconds, b.tokens, capacity(rate));
}

qint64 BandwidthLimiter::limit(Direction direction) const
{
    QMutexLocker lock(&m_mutex);
    return direction == Direction::Upload ? m_upload.rate : m_download.rate;
}

qint64 BandwidthLimiter::take(Direction direction, qint64 wanted, int* retryMs)
{
    if (wanted <= 0)
        return 0;
    QMutexLocker lock(&m_mutex);
    Bucket& b = bucket(direction);
    if (b.rate <= 0) {
        b.moved += wanted;
        return wanted;
    }
    refill(b, m_clock());
    // A piece worth moving: the whole request, or half a bucket of it.
    const double piece = qMin(double(wanted), capacity(b.rate) / 2.0);
    if (b.tokens >= piece) {
        const qint64 granted = qMin(wanted, qint64(std::floor(b.tokens)));
        b.tokens -= double(granted);
        b.moved += granted;
        return granted;
    }
    ++b.waits;
    if (retryMs) {
        const double ms = std::ceil((piece - b.tokens) * 1000.0 / double(b.rate));
        *retryMs = int(qBound(1.0, ms, double(MaxWaitMs)));
    }
    return 0;
}

void BandwidthLimiter::charge(Direction direction, qint64 bytes)
{
    if (bytes <= 0)
        return;
    QMutexLocker lock(&m_mutex);
    Bucket& b = bucket(direction);
    b.moved += bytes;
    if (b.rate <= 0)
        return;
    refill(b, m_clock());
    b.tokens = qMax(-capacity(b.rate) - double(b.rate) * MaxDebtSeconds, b.tokens - double(bytes));
}

bool BandwidthLimiter::acquire(Direction direction, qint64 bytes, const std::function<bool()>& stop)
{
    qint64 left = bytes;
    while (left > 0) {
        if (stop && stop())
            return false;
        int waitMs = MaxWaitMs;
        const qint64 granted = take(direction, left, &waitMs);
        if (granted > 0)
            left -= granted;
        else
            m_sleep(waitMs);
    }
    return true;
}

qint64 BandwidthLimiter::moved(Direction direction) const
{
    return (direction == Direction::Upload ? m_upload : m_download).moved.load();
}

qint64 BandwidthLimiter::waits(Direction direction) const
{
    return (direction == Direction::Upload ? m_upload : m_download).waits.load();
}

} // namespace mf
