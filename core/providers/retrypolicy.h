#pragma once

#include "util/error.h"

namespace mf {

// How the scheduler retries: exponential backoff with jitter, a server's Retry-After
// honoured, and a bounded number of attempts so a broken provider never causes a retry storm.
struct RetryPolicy
{
    int maxAttempts = 4;
    int baseDelayMs = 500;
    int maxDelayMs = 30000;

    bool shouldRetry(const Error& error, int attemptsSoFar) const
    {
        return error.kind == Error::Kind::Retryable && attemptsSoFar < maxAttempts;
    }
    // Delay before attempt number `attemptsSoFar + 1`.
    int delayMs(const Error& error, int attemptsSoFar) const;
};

// What a transfer waits on while a provider's work is retried, for the person watching it
// ("“nextcloud”: … refused the connection", next try at …). Empty: nothing is being retried.
struct RetryWait
{
    QString reason;
    qint64 nextTryMs = 0; // ms since the epoch
    bool isEmpty() const { return reason.isEmpty(); }
    bool operator==(const RetryWait& o) const
    {
        return reason == o.reason && nextTryMs == o.nextTryMs;
    }
};

} // namespace mf
