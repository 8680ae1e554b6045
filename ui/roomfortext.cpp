#include "roomfortext.h"

#include <QFontMetrics>
#include <QLineEdit>
#include <QScreen>
#include <QWidget>

namespace mf::ui {

namespace {

// Most of the screen `w` is on, or no limit when it has none (yet).
int screenLimit(const QWidget* w)
{
    const QScreen* screen = w->screen();
    return screen ? screen->availableGeometry().width() * 9 / 10 : 1 << 16;
}

} // namespace

void makeRoomForTitle(QWidget* window)
{
    QFont bold = window->font();
    bold.setBold(true); // what most window managers draw titles in
    const QFontMetrics fm(bold);
    // The icon on one side, three buttons on the other, and a margin at each end.
    const int wanted = fm.horizontalAdvance(window->windowTitle()) + 6 * fm.height();
    window->setMinimumWidth(qMax(window->minimumWidth(), qMin(wanted, screenLimit(window))));
}

void makeRoomForText(QLineEdit* edit, int maxChars)
{
    const QFontMetrics fm(edit->font());
    const int text = qMin(fm.horizontalAdvance(edit->text()), maxChars * fm.averageCharWidth());
    // The frame, the text margins and a character of slack, so that the end is not scrolled.
    const int wanted = text + 2 * fm.averageCharWidth() + 12;
    edit->setMinimumWidth(qMax(edit->minimumWidth(), qMin(wanted, screenLimit(edit))));
}

} // namespace mf::ui
