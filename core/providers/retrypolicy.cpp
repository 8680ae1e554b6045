#include "retrypolicy.h"

#include <QRandomGenerator>

namespace mf {

int RetryPolicy::delayMs(const Error& error, int attemptsSoFar) const
{
    // 64-bit and clamped: a large maxDelayMs or a negative attempt count must not overflow or
    // shift by a negative amount.
    if (error.retryAfterMs >= 0)
        return int(qMin<qint64>(error.retryAfterMs, qint64(maxDelayMs) * 4));
    const qint64 ceiling = qMax<qint64>(
        0, qMin<qint64>(maxDelayMs, qint64(qMax(0, baseDelayMs)) << qBound(0, attemptsSoFar, 16)));
    // Jitter in [ceiling/2, ceiling]: spreads clients that failed together so they do not retry
    // together, while still backing off at least half the ceiling.
    return int(QRandomGenerator::global()->bounded(ceiling / 2, ceiling + 1));
}

} // namespace mf
