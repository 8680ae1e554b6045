#pragma once

#include <QSortFilterProxyModel>

namespace mf::ui {

class ModelListModel;

// Sorting and as-you-type filtering of the model browser: a row stays when its name, source,
// format or quantization contains the text typed (case-insensitive), as the SQL search of
// ModelListModel::setSearch() does over the models not loaded yet.
class ModelFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelFilterProxy)

public:
    explicit ModelFilterProxy(QObject* parent = nullptr);
    // Filters only a ModelListModel; any other source shows every row.
    void setSourceModel(QAbstractItemModel* model) override;
    void setSearchText(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    const ModelListModel* m_models = nullptr;
    QString m_text;
};

} // namespace mf::ui
