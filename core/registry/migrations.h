#pragma once

#include <QSqlDatabase>
#include <QString>

namespace mf::migrations {

// The schema version this build writes.
int latestVersion();
// Brings `db` forward to latestVersion(), one step per transaction. Never goes backward: a
// database from a newer ModelFloat is refused with a clear error instead of being damaged.
bool migrate(QSqlDatabase& db, QString* error);

} // namespace mf::migrations
