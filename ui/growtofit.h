#pragma once

class QWidget;

namespace mf::ui {

// A window whose content just grew (a message shown, a longer description) grows with it, so
// that nothing in it is squashed or clipped: a top-level layout keeps only its minimum size,
// which does not follow the height that wrapped text needs at the window's width. It never
// shrinks the window under the user.
void growToFit(QWidget* window);

} // namespace mf::ui
