#pragma once

#include <QString>

namespace mf::processidentity {

// Who this process is, in the words every trace it leaves in a vault uses (registry leases,
// job rows, the names of temporary files): the host, the pid, and a random nonce drawn once at
// start, so that a later process that happens to get the same pid is not taken for this one.
QString hostName();
// 8 hex digits standing for the host name in file names (which a host name may not fit).
QString hostKey();
qint64 pid();
QString nonce(); // hex

// Whether a process `pid` of this host may still be the one that left a trace at
// `traceEpochSecs` (-1: unknown): false when no such process runs, or when the process now
// running under that pid started after the trace was made (the pid was reused).
bool mayBeRunning(qint64 pid, qint64 traceEpochSecs = -1);

} // namespace mf::processidentity
