#pragma once

#include <QList>
#include <QStringList>

namespace mf::cli {

// Columns of text for a terminal. Each column is as wide as its widest cell, up to its maximum;
// a longer cell is shortened in the middle with "…" (the ends of a model name — its family and
// its quantization — say the most). Widths count what a terminal shows (a CJK character takes
// two columns), and a character that would break the line or move the cursor is shown escaped,
// so one row is always one line, whatever a name holds.
class TextTable final
{
public:
    explicit TextTable(QStringList header, QList<int> maxWidths = {});
    void addRow(const QStringList& cells);
    QStringList lines() const;

    // What a terminal shows of `text`: its width in columns.
    static int displayWidth(const QString& text);
    // `text` made printable on one line, then shortened in the middle to `width` columns.
    static QString fit(const QString& text, int width);

private:
    QStringList m_header;
    QList<int> m_maxWidths;
    QList<QStringList> m_rows;
};

} // namespace mf::cli
