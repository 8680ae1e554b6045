#pragma once

#include "records.h"

class QSqlQuery;

namespace mf {

// A models row read from a query whose first columns are, in this order:
// id, name, source, created_at, tags, state, degraded. The registry and the GUI's read-only
// catalogue connection both read models this way.
ModelRecord modelFromRow(const QSqlQuery& query);

} // namespace mf
