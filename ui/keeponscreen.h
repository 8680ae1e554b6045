#pragma once

#include <QMargins>

class QSize;
class QWidget;

namespace mf::ui {

// The room kept around a window for the window manager's frame (title bar and borders), which is
// not known before the window is shown: generous rather than measured.
inline constexpr QMargins FrameAllowance(8, 40, 8, 8);

// Sizes and places a top-level window so that all of it, frame included, is on the screen it
// opens on: `wanted` (the default size, or the one a saved geometry restored) is shrunk to the
// screen's available area less the frame's allowance, and the window is moved inside it. A size
// chosen at 100 % is larger than the screen at 200 % (a 1200×780 window on a 1920×1080 screen
// that Qt sees as 960×540), and a window larger than its screen hides its status bar and
// buttons where no one can reach them.
void keepOnScreen(QWidget* window, const QSize& wanted);

// `wanted` shrunk to what the screen `window` is on can show of a window, frame included (not
// under its minimum size). For a dialog not shown yet: sized only, so that it still opens
// centred on its parent.
QSize fitOnScreen(const QWidget* window, const QSize& wanted);

} // namespace mf::ui
