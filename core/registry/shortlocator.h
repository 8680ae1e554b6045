#pragma once

#include <QString>
#include <QVariant>

namespace mf {

// How a placement's locator is kept (schema 15, registry/migrations.cpp), so that the chunk's CID
// is not written out a second time: SQL NULL when the locator is the CID, the prefix when it is a
// prefix ending in '/' followed by the CID, otherwise the locator itself. The registry reads it
// back through the `locator` column computed from it. A locator ending in '/' would read back as
// another object's name; no provider makes one, and it is refused (false) rather than kept wrong.
bool shortLocator(const QString& cid, const QString& locator, QVariant* kept);
// The error for a locator shortLocator() refused.
QString unkeptLocator(const QString& locator);

} // namespace mf
