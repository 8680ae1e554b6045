#pragma once

class QLineEdit;
class QWidget;

namespace mf::ui {

// A dialog at least as wide as its title needs in a window manager's title bar (bold, with
// the icon and the buttons beside it): a narrower one shows "Free disk us… apps' copies".
// Never wider than most of its screen.
void makeRoomForTitle(QWidget* window);

// A line edit at least as wide as the text it shows now (a path, a name), up to about
// `maxChars` average characters, so that a prefilled value is read whole instead of scrolled.
void makeRoomForText(QLineEdit* edit, int maxChars = 64);

} // namespace mf::ui
