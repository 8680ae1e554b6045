#pragma once

#include "engine/syncstatus.h"

#include <QString>
#include <QTime>

namespace mf::ui {

// "Check everything now" and when the background check of the copies runs next, as the tray and
// the Models page say it: "Next check at 15:40", "Next check in 2 h", ...
QString checkNowText();
QString nextCheckText(const SyncStatus& status, const QDateTime& now);
// `time` in the locale's short form, to the minute ("16:00", "4:00 PM").
QString clockTime(const QTime& time);

} // namespace mf::ui
