#pragma once

#include <QString>
#include <QVariant>

// Who writes: the owner strings that name one job of one process on the vault, in model leases,
// deletion claims, queued jobs and scratch areas, and whether what they name still counts. An
// owner reads "host|pid|nonce|serial"; the nonce tells a later process that got the same pid
// from the one that wrote it.
namespace mf::leaseowner {

// A new owner, unique to one job of this process.
QString newLeaseOwner();
// The owner used by calls that do not name one: this process as a whole.
QString processLeaseOwner();
// Whether the process named in an owner string is known to be gone: it ran on this host, and
// no process with its pid has run since `sinceSecs` (-1: unknown). A process of another host
// is never known to be gone.
bool isProcessGone(const QString& owner, qint64 sinceSecs = -1);
// Whether a lease (or claim) of `owner` running `until` (seconds since the epoch) counts: while
// it is unexpired and its process may still be running. On this host a dead pid frees it at
// once, so a float killed a moment ago can be resumed right away.
bool isLive(const QString& owner, const QVariant& until);
// The owner's process as a person reads it: "1234", or "1234 on host".
QString describeHolder(const QString& owner);

} // namespace mf::leaseowner
