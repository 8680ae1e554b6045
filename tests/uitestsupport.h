#pragma once
// Checks shared by the widget tests.
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

} // namespace mf::test
