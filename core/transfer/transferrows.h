#pragma once
// How the Engine's transfers are kept in the registry's jobs table (rows of kind RowKind, the
// payload described in core/engine/transferqueue.cpp): shared by the queue (transferqueue.cpp)
// and the history (transferqueue_history.cpp), and by the API, which names kinds as the rows do.
// Here, below both, so that the API needs nothing of the engine.

#include "registry/records.h"
#include "transferinfo.h"

#include <optional>

namespace mf::transferrows {

extern const QString RowKind; // "transfer"

// "float", "restore", ...: the payload's "kind".
QString kindKey(TransferInfo::Kind kind);
std::optional<TransferInfo::Kind> kindFromKey(const QString& key);
// Whether this process may take over a queued or running row another process wrote.
bool mayTakeOver(const JobRow& row);
// Kinds whose resumed run keeps what the stopped one stored (chunks placed are not sent again).
bool resumesFromStoredChunks(TransferInfo::Kind kind);
// A monotonic clock in ms (rates, running time).
qint64 nowMs();

} // namespace mf::transferrows
