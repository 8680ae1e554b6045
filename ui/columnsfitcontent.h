#pragma once

#include <QList>
#include <QObject>

class QTableView;

namespace mf::ui {

// Columns of a table as wide as the widest value shown in them, as rows arrive and change:
// fixed widths cut "SAFETENSORS" and "checked just now" at 100 %, and more at 200 %. A column
// only grows, and only when a wider value arrives, so a width the user chose is kept until
// then. Columns of free text (names, paths) are left out: they elide.
class ColumnsFitContent final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ColumnsFitContent)

public:
    // Watches the view's model as it is now (set it first); `columns` are the ones to fit.
    ColumnsFitContent(QTableView* view, QList<int> columns);

    // Fits the columns now instead of after the current event (for a caller that must know).
    void fit();

private:
    void schedule();

    QTableView* m_view;
    const QList<int> m_columns;
    QList<int> m_fitted; // per column: the widest content it was grown to
    bool m_scheduled = false;
};

} // namespace mf::ui
