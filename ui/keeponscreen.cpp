#include "keeponscreen.h"

#include <QGuiApplication>
#include <QScreen>
#include <QWidget>

namespace mf::ui {

void keepOnScreen(QWidget* window, const QSize& wanted)
{
    QScreen* screen = window->screen();
    if (!screen)
        screen = QGuiApplication::primaryScreen();
    if (!screen) {
        window->resize(wanted);
        return;
    }
    const QRect area = screen->availableGeometry();
    // The frame is not known before the window is shown: keep a margin for a title bar and
    // borders rather than measure a frame that does not exist yet.
    const QMargins frame(8, 40, 8, 8);
    const QRect usable = area.marginsRemoved(frame);
    const QSize size = wanted.boundedTo(usable.size()).expandedTo(window->minimumSize());
    window->resize(size);
    QPoint at = window->pos();
    if (!usable.contains(QRect(at, size))) {
        at.setX(qBound(usable.left(), at.x(), qMax(usable.left(), usable.right() - size.width())));
        at.setY(qBound(usable.top(), at.y(), qMax(usable.top(), usable.bottom() - size.height())));
        window->move(at);
    }
}

} // namespace mf::ui
