#pragma once

#include <QMetaType>
#include <QString>

namespace mf {

// The one result type of every remote or disk operation. `kind` tells the scheduler what to do
// next; `message` is a sentence for a person and never contains a secret.
struct Error
{
    enum class Kind {
        None,           // success
        Retryable,      // timeouts, 5xx, 429: try again later (retryAfterMs when the server said)
        Authentication, // credentials missing, expired or revoked: retrying will not help
        QuotaExceeded,  // the provider is full: place elsewhere
        NotFound,       // the object or path does not exist
        Corrupt,        // bytes do not match their identity
        Cancelled,      // abort() was called
        Fatal,          // anything else that will not go away by retrying
    };

    Kind kind = Kind::None;
    QString message;
    int retryAfterMs = -1;
    // A budget that runs out and comes back (a daily upload cap, a transfer quota): the provider
    // takes no more of this operation until then, in ms since the epoch (UTC). Set only with
    // Kind::QuotaExceeded; -1 otherwise. The distributor places elsewhere meanwhile and the queue
    // resumes the provider's work then (docs/providers.md, "Provider budgets").
    qint64 budgetResetMs = -1;
    // The server said it is overloaded (with Kind::Retryable): the provider runs fewer requests
    // at once for a while (ConcurrencyGovernor). HTTP 429 and 503 count without it.
    bool serverBusy = false;

    bool ok() const { return kind == Kind::None; }
    explicit operator bool() const { return !ok(); } // true when there is an error
    bool isOutOfBudget() const { return kind == Kind::QuotaExceeded && budgetResetMs > 0; }

    static Error none() { return {}; }
    static Error make(Kind kind, const QString& message, int retryAfterMs = -1)
    {
        return Error{kind, message, retryAfterMs, -1, false};
    }
    static Error outOfBudget(const QString& message, qint64 resetMs)
    {
        return Error{Kind::QuotaExceeded, message, -1, resetMs, false};
    }
    static QString kindName(Kind kind);
};

} // namespace mf

Q_DECLARE_METATYPE(mf::Error)
