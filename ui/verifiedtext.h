#pragma once

#include <QDateTime>
#include <QString>

namespace mf::ui {

// When a model was last checked, as the model list says it: "today 14:05", "yesterday 09:12",
// "3 days ago", "2026-03-01" (after a month), "never" (some copy was never read back).
// `now` is passed in so that the words do not depend on when a test runs.
QString verifiedText(const QDateTime& when, const QDateTime& now);

} // namespace mf::ui
