#pragma once
// Checks shared by the widget tests.
#include "transfersmodel.h"

#include <QFont>
#include <QFontMetrics>
#include <QLabel>
#include <QLineEdit>
#include <QStringList>
#include <QStyle>
#include <QWidget>

namespace mf::test {

// Labels whose "&" the user would see as is: a mnemonic needs a buddy to go to, and a form row
// added with a layout as its field gets none.
inline QStringList labelsShowingAmpersand(const QWidget& root)
{
    QStringList out;
    for (const QLabel* label : root.findChildren<QLabel*>()) {
        QString text = label->text();
        text.remove(QStringLiteral("&&")); // a literal ampersand, written on purpose
        if (text.contains(QLatin1Char('&')) && label->textFormat() != Qt::RichText &&
            !Qt::mightBeRichText(label->text()) && !label->buddy())
            out.append(label->text());
    }
    return out;
}

// The state of transfer `id` as the Transfers page's model has it; State(-1) while it has no row.
inline TransferInfo::State stateOf(const ui::TransfersModel& model, qint64 id)
{
    const int row = model.rowOf(id);
    return row < 0 ? TransferInfo::State(-1) : model.transfer(row)->state;
}

// The width a window manager's bold title takes, without its icon and buttons.
inline int titleWidth(const QWidget& window)
{
    QFont bold = window.font();
    bold.setBold(true);
    return QFontMetrics(bold).horizontalAdvance(window.windowTitle());
}

// The text of `edit` is shown whole, not scrolled: it fits inside the box.
inline bool showsWhole(const QLineEdit& edit)
{
    const int frame = edit.style()->pixelMetric(QStyle::PM_DefaultFrameWidth, nullptr, &edit);
    const int inside = edit.contentsRect().width() - 2 * frame - edit.textMargins().left() -
                       edit.textMargins().right() - 4; // QLineEdit's own horizontal margins
    return edit.fontMetrics().horizontalAdvance(edit.text()) <= inside;
}

} // namespace mf::test
