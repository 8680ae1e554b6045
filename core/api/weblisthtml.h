#pragma once

#include <QJsonObject>
#include <QString>

namespace mf::api {

// How many models the page asks for first (models.js's FirstBatch, and the preload in
// index.html): the server renders the list from the same batch.
constexpr int WebFirstBatch = 100;

// The model list as the page's models.js draws it when the first batch of models has come, as
// HTML: the heading, the search and filter controls, the count, the table with its first page
// of rows (sorted by name as the page sorts them), and the pager. `batch` is what GET
// /api/v1/models?limit=100&offset=0 answers. Every text from the registry (names, sources,
// formats: hostile input) goes through QString::toHtmlEscaped(), and only into a text or a
// double-quoted attribute.
QString modelListHtml(const QJsonObject& batch);

} // namespace mf::api
