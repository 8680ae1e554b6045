#include "columnsfitcontent.h"

#include <QHeaderView>
#include <QTableView>
#include <QTimer>

namespace mf::ui {

ColumnsFitContent::ColumnsFitContent(QTableView* view, QList<int> columns)
    : QObject(view)
    , m_view(view)
    , m_columns(std::move(columns))
{
    QAbstractItemModel* model = view->model();
    if (!model)
        return;
    // Rows come a page at a time and their sums later; a batch of changes is fitted once.
    connect(model, &QAbstractItemModel::rowsInserted, this, &ColumnsFitContent::schedule);
    connect(model, &QAbstractItemModel::dataChanged, this, &ColumnsFitContent::schedule);
    connect(model, &QAbstractItemModel::modelReset, this, &ColumnsFitContent::schedule);
    connect(model, &QAbstractItemModel::layoutChanged, this, &ColumnsFitContent::schedule);
}

void ColumnsFitContent::schedule()
{
    if (m_scheduled)
        return;
    m_scheduled = true;
    QTimer::singleShot(0, this, &ColumnsFitContent::fit);
}

void ColumnsFitContent::fit()
{
    m_scheduled = false;
    QHeaderView* header = m_view->horizontalHeader();
    while (m_fitted.size() < header->count())
        m_fitted.append(0);
    for (const int column : m_columns) {
        if (column < 0 || column >= header->count() || header->isSectionHidden(column))
            continue;
        // The values in the rows shown (the view measures those it can see), and the title.
        // (QTableView hides the measure that QAbstractItemView makes public.)
        const QAbstractItemView* view = m_view;
        const int wanted = qMax(view->sizeHintForColumn(column), header->sectionSizeHint(column));
        if (wanted <= m_fitted.at(column))
            continue;
        m_fitted[column] = wanted;
        if (header->sectionSize(column) < wanted)
            header->resizeSection(column, wanted);
    }
}

} // namespace mf::ui
