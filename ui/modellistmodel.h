#pragma once

#include "rowloader.h"
#include "vaultreader.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QSet>

namespace mf::ui {

// The browser's item model: the vault's models as a table, read a page at a time
// (canFetchMore/fetchMore, keyset paging in SQL) so 10,000 models cost what the visible ones
// cost. A change re-reads one row (refreshModel) and a removal removes one; nothing reloads
// the whole table except a new search or a new vault. Rows are kept in model id order.
// fetchMore() only asks: a RowLoader reads the page off the GUI thread, and its rows are
// inserted when it arrives, with what the model records say (name, source, date). The sums over
// chunks and placements follow from the same thread and fill the rows when ready.
class ModelListModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelListModel)

public:
    enum Column {
        NameColumn,
        FormatColumn,
        QuantizationColumn,
        ParametersColumn,
        SizeColumn,     // logical bytes (what the files take on a disk)
        FloatingColumn, // bytes stored on providers, replicas included
        ReplicasColumn, // replicas of the worst-off chunk, and health
        ProvidersColumn,
        SourceColumn,
        AddedColumn,
        VerifiedColumn, // when every copy was last read back and checked ("never" until then)
        HereColumn,     // on this computer, partly, or floating only (thiscomputer::LocalState)
        ColumnCount
    };
    enum Role {
        ModelIdRole = Qt::UserRole + 1,
        SortRole,   // the raw value (bytes, counts, time) for sorting
        HealthRole, // "healthy", "degraded", "damaged", "incomplete"
    };
    static constexpr int PageSize = 100;

    explicit ModelListModel(QObject* parent = nullptr);
    ~ModelListModel() override;

    // The vault to show (nullptr: none). Not owned; must outlive this model or be reset.
    void setReader(VaultReader* reader);
    // Keeps only models matching `text` (see CatalogQueries::modelPage); empty: all.
    void setSearch(const QString& text);
    QString search() const { return m_search; }

    // A model was added or changed: re-read its row (or add it where it belongs).
    void refreshModel(qint64 modelId);
    void removeModel(qint64 modelId);
    // Every loaded row again (after a provider was renamed or the replication factor changed).
    void refreshAll();

    // Whether the row's name, source, format or quantization contains `text` (any case): the
    // filter as the user types, over the rows loaded, as setSearch() is over the rest. Read
    // straight from the row, with nothing built per row: it runs over every row per keystroke.
    bool rowContains(int row, const QString& text) const;
    qint64 modelId(int row) const;
    int rowOf(qint64 modelId) const; // -1 when not loaded
    const ModelRow* rowData(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    // A page asked by fetchMore() has not arrived yet (canFetchMore() is false meanwhile).
    bool isFetching() const { return m_pageTicket != 0; }
    // How fresh a model's health is, as its row and its details say: "checked 3 min ago", or
    // "not checked yet" when some copy was only heard of (from the catalog), never looked at.
    static QString checkedText(const QDateTime& lastChecked);
    // "Yes", "Partly", "Floating only", with " · kept" when the model is pinned.
    static QString hereText(const thiscomputer::LocalState& here);

Q_SIGNALS:
    // A page asked by fetchMore() has arrived, and its rows (if any) are inserted.
    void pageLoaded();
    // Rows asked of the loader have arrived (for tests and for views that wait on a row).
    void rowsLoaded();

private:
    QVariant display(const ModelRow& row, int column) const;
    QVariant sortValue(const ModelRow& row, int column) const;
    void reset();
    void onPageReady(quint64 ticket, const QList<ModelRow>& rows, bool last);
    void onRowsReady(const QList<ModelRow>& rows, const QList<qint64>& gone);

    VaultReader* m_reader = nullptr;
    std::unique_ptr<RowLoader> m_loader;
    QString m_search;
    QList<ModelRow> m_rows; // by model id
    qint64 m_lastId = 0;    // keyset: the highest id fetched so far
    bool m_exhausted = true;
    quint64 m_pageTicket = 0; // of the page asked and not arrived yet; 0: none
    quint64 m_lastTicket = 0; // tickets are never reused, so a page of a past search is ignored
    // Models changed beyond the rows loaded while a page was on its way, which the page may have
    // been read too early to hold: looked at again once it arrives.
    QSet<qint64> m_changedDuringPage;
    bool m_resetting = false;
};

} // namespace mf::ui
