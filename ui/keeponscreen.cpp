#include "keeponscreen.h"

#include <QGuiApplication>
#include <QScreen>
#include <QWidget>

namespace mf::ui {

namespace {

// Where a window, frame included, can be on its screen (null: no screen).
QRect availableArea(const QWidget* window)
{
    QScreen* screen = window->screen();
    if (!screen)
        screen = QGuiApplication::primaryScreen();
    return screen ? screen->availableGeometry() : QRect();
}

} // namespace

QSize fitOnScreen(const QWidget* window, const QSize& wanted)
{
    const QRect area = availableArea(window);
    return area.isNull() ? wanted
                         : wanted.boundedTo(area.size().shrunkBy(FrameAllowance))
                               .expandedTo(window->minimumSize());
}

void keepOnScreen(QWidget* window, const QSize& wanted)
{
    const QRect area = availableArea(window);
    if (area.isNull()) {
        window->resize(wanted);
        return;
    }
    const QSize size = fitOnScreen(window, wanted);
    window->resize(size);
    // move() places the frame's top-left corner, and the frame takes at most the allowance
    // around the window: that whole rectangle goes inside the area. (Placing the frame at the
    // allowance's corner instead pushed a window as large as its screen 40 px past its bottom.)
    const QSize framed = size.grownBy(FrameAllowance);
    QPoint at = window->pos();
    if (!area.contains(QRect(at, framed))) {
        at.setX(qBound(area.left(), at.x(),
                       qMax(area.left(), area.x() + area.width() - framed.width())));
        at.setY(qBound(area.top(), at.y(),
                       qMax(area.top(), area.y() + area.height() - framed.height())));
        window->move(at);
    }
}

} // namespace mf::ui
