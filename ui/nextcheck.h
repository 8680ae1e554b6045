#pragma once

#include "engine/syncstatus.h"

#include <QString>

namespace mf::ui {

// "Check everything now" and when the background check of the copies runs next, as the tray and
// the Models page say it: "Next check at 15:40", "Next check in 2 h", ...
QString checkNowText();
QString nextCheckText(const SyncStatus& status, const QDateTime& now);

} // namespace mf::ui
