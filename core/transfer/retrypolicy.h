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

} // namespace mf
