#pragma once

#include <QSqlError>
#include <QString>

namespace mf {

// An SQLite error in words a person can act on ("the file is damaged", "the disk is full"), by
// its primary result code, with SQLite's own text after it for a bug report; the driver's text
// alone ("database disk image is malformed Unable to execute statement") says neither what
// happened nor what to do.
QString describeSqlError(const QSqlError& error);

} // namespace mf
