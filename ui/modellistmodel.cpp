#include "modellistmodel.h"

#include "chunking/redundancyscheme.h"
#include "util/units.h"
#include "verifiedtext.h"

#include <QFileInfo>
#include <QLocale>

#include <algorithm>
#include <limits>
#include <utility>

namespace mf::ui {

namespace {

const QString Unknown = QStringLiteral("—");
const QString Pending = QStringLiteral("…");

// "8.0B", "135M": parameter counts as model cards write them.
QString formatParameters(qint64 n)
{
    if (n < 0)
        return Unknown;
    if (n >= 1000000000LL)
        return QString::number(double(n) / 1e9, 'f', n >= 10000000000LL ? 0 : 1) + QLatin1Char('B');
    if (n >= 1000000LL)
        return QString::number(double(n) / 1e6, 'f', 0) + QLatin1Char('M');
    if (n >= 1000LL)
        return QString::number(double(n) / 1e3, 'f', 0) + QLatin1Char('K');
    return QString::number(n);
}

QString orUnknown(const QString& s)
{
    return s.isEmpty() ? Unknown : s;
}

} // namespace

ModelListModel::ModelListModel(QObject* parent)
    : QAbstractTableModel(parent)
{}

ModelListModel::~ModelListModel() = default;

void ModelListModel::setReader(VaultReader* reader)
{
    m_reader = reader;
    m_loader.reset();
    if (reader) {
        m_loader = std::make_unique<RowLoader>(QFileInfo(reader->registry().path()).absolutePath());
        connect(m_loader.get(), &RowLoader::pageReady, this, &ModelListModel::onPageReady);
        connect(m_loader.get(), &RowLoader::rowsReady, this, &ModelListModel::onRowsReady);
    }
    reset();
}

void ModelListModel::onRowsReady(const QList<ModelRow>& rows, const QList<qint64>& gone)
{
    // Rows of a search or vault since left, or of models removed meanwhile, find no row here.
    int first = -1;
    int last = -1;
    for (const ModelRow& fresh : rows) {
        const int row = rowOf(fresh.summary.model.id);
        if (row < 0)
            continue;
        m_rows[row] = fresh;
        first = first < 0 ? row : qMin(first, row);
        last = qMax(last, row);
    }
    if (first >= 0)
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1));
    for (qint64 id : gone)
        removeModel(id);
    if (!rows.isEmpty() || !gone.isEmpty())
        Q_EMIT rowsLoaded();
}

void ModelListModel::setSearch(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_search)
        return;
    m_search = trimmed;
    reset();
}

void ModelListModel::reset()
{
    // Nothing is fetched while the reset is being announced: a listener that asks for more rows
    // from its modelReset slot would otherwise get rows inserted inside the reset. Views ask
    // again once they lay out.
    m_resetting = true;
    beginResetModel();
    QList<ModelRow> gone = std::exchange(m_rows, {});
    if (m_loader)
        m_loader->dispose(std::move(gone));
    m_lastId = 0;
    m_exhausted = m_reader == nullptr;
    m_pageTicket = 0; // a page on its way belongs to what was shown before
    m_changedDuringPage.clear();
    endResetModel();
    m_resetting = false;
}

bool ModelListModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && !m_exhausted && !m_resetting && !isFetching();
}

void ModelListModel::fetchMore(const QModelIndex& parent)
{
    if (parent.isValid() || m_exhausted || m_resetting || isFetching() || !m_loader)
        return;
    m_pageTicket = ++m_lastTicket;
    m_loader->requestPage(m_pageTicket, m_lastId, PageSize, m_search);
}

void ModelListModel::onPageReady(quint64 ticket, const QList<ModelRow>& rows, bool last)
{
    if (ticket != m_pageTicket)
        return; // asked before a new search or vault
    m_pageTicket = 0;
    m_exhausted = last;
    // Rows are kept in id order, and a page holds only ids above those asked after; a model
    // refreshModel() inserted meanwhile is not inserted twice.
    QList<ModelRow> fresh;
    fresh.reserve(rows.size());
    for (const ModelRow& row : rows)
        if (row.summary.model.id > m_lastId)
            fresh.append(row);
    if (!fresh.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(fresh.size()) - 1);
        m_rows.append(fresh);
        m_lastId = fresh.last().summary.model.id;
        endInsertRows();
    }
    for (qint64 id : std::exchange(m_changedDuringPage, {}))
        refreshModel(id);
    Q_EMIT pageLoaded();
}

int ModelListModel::rowOf(qint64 modelId) const
{
    const auto it =
        std::lower_bound(m_rows.cbegin(), m_rows.cend(), modelId,
                         [](const ModelRow& r, qint64 id) { return r.summary.model.id < id; });
    if (it == m_rows.cend() || it->summary.model.id != modelId)
        return -1;
    return int(it - m_rows.cbegin());
}

void ModelListModel::refreshModel(qint64 modelId)
{
    if (!m_reader)
        return;
    if (isFetching() && modelId > m_lastId) {
        m_changedDuringPage.insert(modelId);
        return;
    }
    const int existing = rowOf(modelId);
    const bool matches = m_reader->catalog().modelMatches(modelId, m_search);
    if (existing >= 0) {
        if (!matches) {
            removeModel(modelId);
            return;
        }
        m_loader->request({modelId}); // the row shows what it knows until then
        return;
    }
    // Not loaded: a model beyond the pages fetched so far arrives with them; one inside them
    // (or any, once everything is loaded) is inserted in id order.
    if (!matches || (!m_exhausted && modelId > m_lastId))
        return;
    const auto model = m_reader->registry().modelRows().model(modelId);
    if (!model)
        return;
    const auto at =
        std::lower_bound(m_rows.cbegin(), m_rows.cend(), modelId,
                         [](const ModelRow& r, qint64 id) { return r.summary.model.id < id; });
    const int position = int(at - m_rows.cbegin());
    beginInsertRows({}, position, position);
    m_rows.insert(position, ModelRow::pending(*model));
    m_lastId = qMax(m_lastId, modelId);
    endInsertRows();
    m_loader->request({modelId});
}

void ModelListModel::removeModel(qint64 modelId)
{
    const int row = rowOf(modelId);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

void ModelListModel::refreshAll()
{
    if (!m_reader || m_rows.isEmpty())
        return;
    m_reader->refreshProviders();
    m_loader->refreshProviders();
    QList<qint64> ids;
    ids.reserve(m_rows.size());
    for (const ModelRow& r : std::as_const(m_rows))
        ids.append(r.summary.model.id);
    m_loader->request(ids);
}

bool ModelListModel::rowContains(int row, const QString& text) const
{
    if (row < 0 || row >= m_rows.size())
        return false;
    const ModelRow& r = m_rows.at(row);
    for (const QString* field :
         {&r.summary.model.name, &r.summary.model.source, &r.format, &r.quantization})
        if (field->contains(text, Qt::CaseInsensitive))
            return true;
    return false;
}

qint64 ModelListModel::modelId(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).summary.model.id : 0;
}

const ModelRow* ModelListModel::rowData(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int ModelListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ModelListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ModelListModel::display(const ModelRow& r, int column) const
{
    const ModelSummary& s = r.summary;
    // Known at once: what the model record says. The rest is being summed off the GUI thread.
    if (!r.loaded && column != NameColumn && column != SourceColumn && column != AddedColumn)
        return Pending;
    switch (column) {
    case NameColumn:
        return s.model.name;
    case FormatColumn:
        return r.format.isEmpty() ? Unknown : r.format.toUpper();
    case QuantizationColumn:
        return orUnknown(r.quantization);
    case ParametersColumn:
        return formatParameters(r.parameters);
    case SizeColumn:
        return units::formatBytes(s.bytes);
    case FloatingColumn:
        return units::formatBytes(r.storedBytes);
    case ReplicasColumn:
        // The health, and how fresh it is: what a check found an hour ago may be gone now. A
        // model kept as shards has no copies to count: its scheme.
        if (const RedundancyScheme kept = s.model.scheme(r.wantedReplicas); kept.isShards())
            return tr("%1 · %2 · %3").arg(kept.toString(), r.health, checkedText(s.lastChecked));
        return tr("%1 of %2 · %3 · %4")
            .arg(s.minReplicas)
            .arg(r.wantedReplicas)
            .arg(r.health, checkedText(s.lastChecked));
    case ProvidersColumn:
        return r.providers.isEmpty() ? Unknown : r.providers.join(QLatin1String(", "));
    case SourceColumn:
        return s.model.source.isEmpty() ? tr("local files") : s.model.source;
    case AddedColumn:
        return QLocale().toString(s.model.created.toLocalTime(), QLocale::ShortFormat);
    case VerifiedColumn:
        return verifiedText(s.lastVerified, QDateTime::currentDateTime());
    case HereColumn:
        return hereText(r.here);
    }
    return {};
}

QString ModelListModel::hereText(const thiscomputer::LocalState& here)
{
    QString text;
    switch (here.where()) {
    case thiscomputer::LocalState::Where::OnThisComputer:
        text = tr("Yes");
        break;
    case thiscomputer::LocalState::Where::Partly:
        text = tr("Partly");
        break;
    case thiscomputer::LocalState::Where::FloatingOnly:
        text = tr("Floating only");
        break;
    }
    return here.pinned ? tr("%1 · kept").arg(text) : text;
}

QString ModelListModel::checkedText(const QDateTime& lastChecked)
{
    return lastChecked.isValid()
               ? tr("checked %1")
                     .arg(units::formatAge(lastChecked, QDateTime::currentDateTimeUtc()))
               : tr("not checked yet");
}

QVariant ModelListModel::sortValue(const ModelRow& r, int column) const
{
    const ModelSummary& s = r.summary;
    switch (column) {
    case ParametersColumn:
        return r.parameters;
    case SizeColumn:
        return s.bytes;
    case FloatingColumn:
        return r.storedBytes;
    case ReplicasColumn:
        return s.minReplicas;
    case AddedColumn:
        return s.model.created.toSecsSinceEpoch();
    case VerifiedColumn:
        // "never" before the oldest check; a row still being summed after every other.
        return !r.loaded                  ? std::numeric_limits<qint64>::max()
               : s.lastVerified.isValid() ? s.lastVerified.toMSecsSinceEpoch()
                                          : std::numeric_limits<qint64>::min();
    case HereColumn:
        return r.here.bytesHere;
    case NameColumn:
    case FormatColumn:
    case QuantizationColumn:
    case ProvidersColumn:
    case SourceColumn:
        return display(r, column).toString().toLower();
    }
    return {};
}

QVariant ModelListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ModelRow& r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return display(r, index.column());
    case Qt::ToolTipRole:
        if (index.column() == ReplicasColumn)
            return tr("%1 unique chunks; %2 with fewer copies than wanted, %3 without any good "
                      "copy (%4). The vault wants %5 copies. Providers: %6. %7")
                .arg(r.summary.uniqueChunks)
                .arg(r.summary.underReplicated)
                .arg(r.summary.lost)
                .arg(r.summary.lost > 0 ? tr("cannot be rebuilt") : tr("can be rebuilt"))
                .arg(r.wantedReplicas)
                .arg(r.providers.isEmpty() ? tr("none") : r.providers.join(QLatin1String(", ")))
                .arg(r.summary.lastVerified.isValid()
                         ? tr("Every copy checked by %1.")
                               .arg(QLocale().toString(r.summary.lastVerified.toLocalTime(),
                                                       QLocale::ShortFormat))
                         : tr("Not every copy checked yet."));
        if (index.column() == VerifiedColumn && r.loaded)
            return r.summary.lastVerified.isValid()
                       ? tr("Every copy of its chunks was last read back and checked by %1 "
                            "(verify, a restore or the background scrub).")
                             .arg(QLocale().toString(r.summary.lastVerified.toLocalTime(),
                                                     QLocale::LongFormat))
                       : tr("Some copy of its chunks has not been read back and checked yet: "
                            "Verify does it now, the background scrub in time.");
        if (index.column() == HereColumn && r.loaded)
            return r.here.bytesFreeable > 0
                       ? tr("%1 of it is on this computer; Free up space removes %2 and keeps "
                            "it available from the providers.")
                             .arg(units::formatBytes(r.here.bytesHere),
                                  units::formatBytes(r.here.bytesFreeable))
                       : tr("%1 of it is on this computer.")
                             .arg(units::formatBytes(r.here.bytesHere));
        if (index.column() == FloatingColumn)
            return tr("%1 unique after deduplication, %2 stored with replicas")
                .arg(units::formatBytes(r.summary.uniqueBytes), units::formatBytes(r.storedBytes));
        return display(r, index.column());
    case Qt::TextAlignmentRole:
        switch (index.column()) {
        case ParametersColumn:
        case SizeColumn:
        case FloatingColumn:
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case ModelIdRole:
        return r.summary.model.id;
    case SortRole:
        return sortValue(r, index.column());
    case HealthRole:
        return r.health;
    }
    return {};
}

QVariant ModelListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Name");
    case FormatColumn:
        return tr("Format");
    case QuantizationColumn:
        return tr("Quantization");
    case ParametersColumn:
        return tr("Parameters");
    case SizeColumn:
        return tr("Size on disk");
    case FloatingColumn:
        return tr("Floating");
    case ReplicasColumn:
        return tr("Replicas");
    case ProvidersColumn:
        return tr("Providers");
    case SourceColumn:
        return tr("Source");
    case AddedColumn:
        return tr("Added");
    case VerifiedColumn:
        return tr("Last verified");
    case HereColumn:
        return tr("On this computer");
    }
    return {};
}

} // namespace mf::ui
