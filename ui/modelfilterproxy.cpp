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

void ModelFilterProxy::setSourceModel(QAbstractItemModel* model)
{
    m_models = qobject_cast<const ModelListModel*>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

bool ModelFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (m_text.isEmpty() || !m_models || sourceParent.isValid())
        return true;
    return m_models->rowContains(sourceRow, m_text);
}

} // namespace mf::ui
