#pragma once

#include "apiresponse.h"

#include <QJsonObject>
#include <QUrlQuery>

namespace mf {
class Vault;
}

namespace mf::api {

// GET /api/v1/models: the models whose name contains ?q= (any case), ?limit= of them (default
// 100, at most 1000) from ?offset=, and how many match in all.
ApiResponse listModels(Vault* vault, const QUrlQuery& query);
// Its answer's body: {"models", "total", "offset", "limit"}.
QJsonObject modelPageJson(Vault* vault, const QString& search, int offset, int limit);

// GET /api/v1/models/{model}: what `modelfloat-cli info --json` says of it.
ApiResponse modelInfo(Vault* vault, const QString& name);

} // namespace mf::api
