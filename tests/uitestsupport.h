#pragma once
// Checks shared by the widget tests.
#include "transfersmodel.h"

#include <QLabel>
#include <QStringList>
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

} // namespace mf::test
