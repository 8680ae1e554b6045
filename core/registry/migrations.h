#pragma once

#include <QSqlDatabase>
#include <QString>

namespace mf::migrations {

// The schema version this build writes.
int latestVersion();
// Brings `db` forward to latestVersion(), one step per transaction. Never goes backward: a
// database from a newer ModelFloat is refused with a clear error instead of being damaged.
// With `requireSchema`, a database that has no schema version yet (an empty file, or another
// program's database) is refused, untouched, instead of being given a new schema: the caller
// expects a registry that exists.
bool migrate(QSqlDatabase& db, QString* error, bool requireSchema = false);
// Brings `db` forward to `version` (at most latestVersion()) and no further: the upgrade tests
// make a vault as an older release left it with the steps that release ran.
bool migrateTo(QSqlDatabase& db, int version, QString* error);

} // namespace mf::migrations
