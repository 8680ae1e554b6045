#pragma once

#include <QString>

namespace mf::ui::autostart {

// "Start at login" on Linux desktops: an XDG autostart entry,
// ~/.config/autostart/io.modelfloat.ModelFloat.desktop, that starts the app minimized to the tray.
QString entryPath();
bool isEnabled();
// Writes or removes the entry; false and *error (a sentence) when that fails.
bool setEnabled(bool enabled, QString* error = nullptr);

} // namespace mf::ui::autostart
