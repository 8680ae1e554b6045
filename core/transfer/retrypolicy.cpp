#include "retrypolicy.h"

#include <QRandomGenerator>

namespace mf {

int RetryPolicy::delayMs(const Error& error, int attemptsSoFar) const
{
    if (error.retryAfterMs >= 0)
        return qMin(error.retryAfterMs, maxDelayMs * 4);
    const qint64 ceiling = qMin<qint64>(maxDelayMs, qint64(baseDelayMs) << qMin(attemptsSoFar, 16));
    // Full jitter: spreads clients that failed together so they do not retry together.
    return int(QRandomGenerator::global()->bounded(ceiling / 2, ceiling + 1));
}

} // namespace mf
