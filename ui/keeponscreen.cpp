#include "keeponscreen.h"

#include <QGuiApplication>
#include <QScreen>
#include <QWidget>

namespace mf::ui {

namespace {

// Where a window can be on its screen, frame included (null: no screen).
QRect usableArea(const QWidget* window)
{
    QScreen* screen = window->screen();
    if (!screen)
        screen = QGuiApplication::primaryScreen();
    if (!screen)
        return {};
    // The frame is not known before the window is shown: keep a margin for a title bar and
    // borders rather than measure a frame that does not exist yet.
    const QMargins frame(8, 40, 8, 8);
    return screen->availableGeometry().marginsRemoved(frame);
}

} // namespace

QSize fitOnScreen(const QWidget* window, const QSize& wanted)
{
    const QRect usable = usableArea(window);
    return usable.isNull() ? wanted
                           : wanted.boundedTo(usable.size()).expandedTo(window->minimumSize());
}

void keepOnScreen(QWidget* window, const QSize& wanted)
{
    const QRect usable = usableArea(window);
    if (usable.isNull()) {
        window->resize(wanted);
        return;
    }
    const QSize size = fitOnScreen(window, wanted);
    window->resize(size);
    QPoint at = window->pos();
    if (!usable.contains(QRect(at, size))) {
        at.setX(qBound(usable.left(), at.x(), qMax(usable.left(), usable.right() - size.width())));
        at.setY(qBound(usable.top(), at.y(), qMax(usable.top(), usable.bottom() - size.height())));
        window->move(at);
    }
}

} // namespace mf::ui
