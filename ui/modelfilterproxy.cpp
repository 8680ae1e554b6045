#include "modelfilterproxy.h"

#include "modellistmodel.h"

namespace mf::ui {

ModelFilterProxy::ModelFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(ModelListModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void ModelFilterProxy::setSearchText(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_text)
        return;
    m_text = trimmed;
    invalidateFilter();
}

bool ModelFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (m_text.isEmpty())
        return true;
    const QString text = sourceModel()
                             ->index(sourceRow, 0, sourceParent)
                             .data(ModelListModel::SearchTextRole)
                             .toString();
    return text.contains(m_text, Qt::CaseInsensitive);
}

} // namespace mf::ui
