#pragma once

#include <QByteArray>

namespace mf::api {

// The OpenAPI 3.0 description of every endpoint this server answers, served at
// GET /api/v1/openapi.json (docs/api.md says the same in prose).
QByteArray openApiDocument();

} // namespace mf::api
