#pragma once

// The request helpers shared by the files that implement WebDavProvider (its jobs are
// StepsJob<WebDavProvider>, providers/network/stepsjob.h).

#include "providers/network/stepsjob.h"
#include "webdavprovider.h"

namespace mf {

// `r` as a PROPFIND of `depth` (never the default "infinity") asking for `body`'s properties.
HttpExchange::Request withPropfind(HttpExchange::Request r, int depth, const QByteArray& body);

} // namespace mf
