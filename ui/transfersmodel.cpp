#include "transfersmodel.h"

#include "engine/engine.h"
#include "util/units.h"

#include <QDateTime>
#include <QLocale>

namespace mf::ui {

using State = TransferInfo::State;

namespace {

// A time in a row: the clock alone today, with its date on another day.
QString clockTime(const QDateTime& time)
{
    return time.date() == QDate::currentDate() ? time.toString(QStringLiteral("HH:mm"))
                                               : time.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

} // namespace

TransfersModel::TransfersModel(Engine* engine, QObject* parent)
    : QAbstractItemModel(parent)
{
    if (!engine)
        return;
    for (const TransferInfo& info : engine->transfers())
        m_rows.append(info);
    connect(engine, &Engine::transferAdded, this, &TransfersModel::add);
    connect(engine, &Engine::transferChanged, this, &TransfersModel::change);
    connect(engine, &Engine::transferRemoved, this, &TransfersModel::remove);
    // Paused to ask what to do with files already there: the answer resumes it, not Resume all.
    connect(engine, &Engine::restoreConflict, this, [this](qint64 id) {
        if (rowOf(id) >= 0 && m_rows.at(rowOf(id)).state == State::Paused) {
            m_asking.insert(id);
            Q_EMIT overallChanged();
        }
    });
    // A retry's countdown ticks in its row.
    m_countdown.setInterval(1000);
    connect(&m_countdown, &QTimer::timeout, this, [this] {
        bool any = false;
        for (int row = 0; row < m_rows.size(); ++row)
            if (m_rows.at(row).state == State::Running && m_rows.at(row).nextTry.isValid()) {
                any = true;
                const QModelIndex i = index(row, StateColumn);
                Q_EMIT dataChanged(i, i, {Qt::DisplayRole, Qt::AccessibleTextRole});
            }
        if (!any)
            m_countdown.stop();
    });
}

// A top-level row's internal id is 0; a file's row carries its transfer's id, by which its
// parent is found again however the rows above it moved.
QModelIndex TransfersModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid())
        return row < m_rows.size() ? createIndex(row, column, quintptr(0)) : QModelIndex();
    if (parent.internalId() != 0 || parent.column() != 0)
        return {};
    const TransferInfo* t = transfer(parent.row());
    if (!t || row >= t->files.size())
        return {};
    return createIndex(row, column, quintptr(t->id));
}

QModelIndex TransfersModel::parent(const QModelIndex& child) const
{
    if (!child.isValid() || child.internalId() == 0)
        return {};
    const int row = rowOf(qint64(child.internalId()));
    return row < 0 ? QModelIndex() : createIndex(row, 0, quintptr(0));
}

int TransfersModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return int(m_rows.size());
    if (parent.internalId() != 0 || parent.column() != 0)
        return 0;
    const TransferInfo* t = transfer(parent.row());
    return t ? int(t->files.size()) : 0;
}

int TransfersModel::columnCount(const QModelIndex& /*parent*/) const
{
    return ColumnCount;
}

const TransferInfo* TransfersModel::transferAt(const QModelIndex& index) const
{
    if (!index.isValid())
        return nullptr;
    return index.internalId() == 0 ? transfer(index.row())
                                   : transfer(rowOf(qint64(index.internalId())));
}

const TransferInfo* TransfersModel::transfer(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int TransfersModel::rowOf(qint64 id) const
{
    // Rows are in id order: a binary search keeps busy queues cheap to update.
    const auto it = std::lower_bound(m_rows.cbegin(), m_rows.cend(), id,
                                     [](const TransferInfo& t, qint64 v) { return t.id < v; });
    return it != m_rows.cend() && it->id == id ? int(it - m_rows.cbegin()) : -1;
}

QString TransfersModel::historyText(const TransferInfo& info)
{
    // What it did: its bytes, that it finished and when, how long it took, at what rate on
    // average, and for a float what it did not have to send. ("0:01 running" read as if it
    // still ran.)
    QStringList parts{units::formatBytes(info.doneBytes)};
    const QString took =
        info.activeMs > 0 ? units::formatDuration(info.activeMs / 1000) : QString();
    if (info.finished.isValid())
        parts.append(took.isEmpty()
                         ? tr("finished %1").arg(clockTime(info.finished))
                         : tr("finished %1 after %2").arg(clockTime(info.finished), took));
    else if (!took.isEmpty())
        parts.append(tr("took %1").arg(took));
    const double rate = info.averageBytesPerSecond();
    if (rate > 0)
        parts.append(tr("%1 on average").arg(units::formatRate(rate)));
    if (info.deduplicatedBytes > 0)
        parts.append(tr("%1 already stored").arg(units::formatBytes(info.deduplicatedBytes)));
    return parts.join(QStringLiteral(" · "));
}

QString TransfersModel::progressText(const TransferInfo& info)
{
    // A finished one that did its work; one that failed or was cancelled says how far it got.
    if (info.state == State::Done || info.state == State::Degraded)
        return historyText(info);
    QString text = info.totalBytes > 0 ? tr("%1 of %2")
                                             .arg(units::formatBytes(info.doneBytes),
                                                  units::formatBytes(info.totalBytes))
                                       : units::formatBytes(info.doneBytes);
    if (info.state == State::Running) {
        const QString rate = units::formatRate(info.bytesPerSecond);
        if (info.bytesPerSecond > 0 && !rate.isEmpty())
            text += QStringLiteral(" · ") + rate;
        if (info.etaSeconds >= 0)
            text +=
                QStringLiteral(" · ") + tr("%1 left").arg(units::formatDuration(info.etaSeconds));
    }
    return text;
}

QString TransfersModel::stateText(const TransferInfo& info)
{
    // Waiting for a provider whose budget ran out: a wait with an end, not a failure.
    if (info.state == State::Queued && info.waitingUntil.isValid()) {
        return tr("Waiting until %1 for a paused provider").arg(clockTime(info.waitingUntil));
    }
    // Nothing moves because a provider's work is being retried: say which, why, and when the
    // next try is, not just "Running 0.0 B/s".
    if (info.state == State::Running && !info.retrying.isEmpty()) {
        const qint64 in = QDateTime::currentDateTime().secsTo(info.nextTry);
        return in > 0 ? tr("Retrying %1 · next try in %2 s").arg(info.retrying).arg(in)
                      : tr("Retrying %1 · trying again now").arg(info.retrying);
    }
    // The reason a transfer failed belongs in its row, not only in a tooltip.
    if (info.state == State::Failed && !info.error.isEmpty())
        return tr("%1: %2").arg(TransferInfo::stateName(info.state),
                                info.error.section(QLatin1Char('\n'), 0, 0));
    // "Done" alone would hide a provider that was skipped or a copy that is missing: the first
    // warning is in the row, all of them in the tooltip.
    if (info.warnings.isEmpty())
        return info.state == State::Done && !info.summary.isEmpty()
                   ? tr("%1: %2").arg(TransferInfo::stateName(info.state), info.summary)
                   : TransferInfo::stateName(info.state);
    const QString first = tr("%1: %2").arg(TransferInfo::stateName(info.state),
                                           info.warnings.first().section(QLatin1Char('\n'), 0, 0));
    return info.warnings.size() == 1
               ? first
               : tr("%1 (+%n more)", nullptr, int(info.warnings.size() - 1)).arg(first);
}

QVariant TransfersModel::fileData(const TransferInfo& t, const TransferFileProgress& f, int column,
                                  int role) const
{
    const bool stored = t.state == State::Done || t.state == State::Degraded ||
                        (f.totalBytes > 0 && f.doneBytes >= f.totalBytes);
    const QString progress = tr("%1 of %2")
                                 .arg(units::formatBytes(stored ? f.totalBytes : f.doneBytes),
                                      units::formatBytes(f.totalBytes));
    const QString state = stored                      ? tr("Stored")
                          : f.doneBytes == 0          ? tr("Waiting")
                          : t.state == State::Running ? tr("Storing")
                                                      : TransferInfo::stateName(t.state);
    switch (role) {
    case TransferIdRole:
        return t.id; // what a file's row is selected for acts on its transfer
    case StateRole:
        return int(t.state);
    case PermilleRole:
        if (stored)
            return 1000;
        return f.totalBytes > 0
                   ? int(qBound(qint64(0), f.doneBytes * 1000 / f.totalBytes, qint64(1000)))
                   : -1;
    case ProgressTextRole:
        return progress;
    case Qt::DisplayRole:
        return column == TitleColumn ? f.path : column == ProgressColumn ? progress : state;
    case Qt::ToolTipRole:
        return f.path;
    case Qt::AccessibleTextRole:
        return tr("%1: %2, %3").arg(f.path, state, progress);
    }
    return {};
}

QVariant TransfersModel::data(const QModelIndex& index, int role) const
{
    const TransferInfo* t = transferAt(index);
    if (!t)
        return {};
    if (index.internalId() != 0)
        return index.row() < t->files.size()
                   ? fileData(*t, t->files.at(index.row()), index.column(), role)
                   : QVariant();
    switch (role) {
    case TransferIdRole:
        return t->id;
    case StateRole:
        return int(t->state);
    case PermilleRole:
        if (t->state == State::Done || t->state == State::Degraded)
            return 1000;
        return t->totalBytes > 0
                   ? int(qBound(qint64(0), t->doneBytes * 1000 / t->totalBytes, qint64(1000)))
                   : -1;
    case ProgressTextRole:
        return progressText(*t);
    case Qt::DisplayRole:
        switch (index.column()) {
        case TitleColumn:
            return t->title;
        case ProgressColumn:
            return progressText(*t);
        case StateColumn:
            return stateText(*t);
        }
        break;
    case WarningsRole:
        return t->warnings;
    case Qt::ToolTipRole:
        // The progress cell may be elided: its tooltip is the whole text.
        if (index.column() == ProgressColumn)
            return progressText(*t);
        if (!t->error.isEmpty())
            return t->error;
        if (!t->warnings.isEmpty())
            return t->warnings.join(QLatin1Char('\n'));
        if (t->finished.isValid()) {
            // A cancelled or failed transfer did not finish: it ended then.
            const QString at = QLocale().toString(t->finished, QLocale::ShortFormat);
            return t->state == TransferInfo::State::Cancelled ? tr("Cancelled at %1").arg(at)
                   : t->state == TransferInfo::State::Failed  ? tr("Failed at %1").arg(at)
                                                              : tr("Finished at %1").arg(at);
        }
        return tr("Added %1").arg(QLocale().toString(t->created, QLocale::ShortFormat));
    case Qt::AccessibleTextRole:
        return tr("%1: %2, %3").arg(t->title, stateText(*t), progressText(*t));
    }
    return {};
}

QVariant TransfersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TitleColumn:
        return tr("Transfer");
    case ProgressColumn:
        return tr("Progress");
    case StateColumn:
        return tr("State");
    }
    return {};
}

void TransfersModel::add(const TransferInfo& info)
{
    if (rowOf(info.id) >= 0)
        return change(info);
    const auto it = std::lower_bound(m_rows.begin(), m_rows.end(), info.id,
                                     [](const TransferInfo& t, qint64 v) { return t.id < v; });
    const int row = int(it - m_rows.begin());
    beginInsertRows({}, row, row);
    m_rows.insert(row, info);
    endInsertRows();
    Q_EMIT overallChanged();
}

void TransfersModel::change(const TransferInfo& info)
{
    const int row = rowOf(info.id);
    if (row < 0)
        return add(info);
    if (info.state != State::Paused)
        m_asking.remove(info.id); // answered, cancelled or resumed: no longer waiting
    // The files' rows: the same ones updated in place, else replaced (a float lists its files
    // once it has read the folder, and a finished one keeps them).
    const QModelIndex parentIndex = index(row, 0);
    const qsizetype before = m_rows.at(row).files.size(), after = info.files.size();
    if (before != after && before > 0) {
        beginRemoveRows(parentIndex, 0, int(before - 1));
        m_rows[row].files.clear();
        endRemoveRows();
    }
    if (before != after && after > 0) {
        beginInsertRows(parentIndex, 0, int(after - 1));
        m_rows[row] = info;
        endInsertRows();
    } else {
        m_rows[row] = info;
        if (after > 0)
            Q_EMIT dataChanged(index(0, 0, parentIndex),
                               index(int(after - 1), ColumnCount - 1, parentIndex));
    }
    if (info.nextTry.isValid() && !m_countdown.isActive())
        m_countdown.start();
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    Q_EMIT overallChanged();
}

void TransfersModel::remove(qint64 id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    m_asking.remove(id);
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
    Q_EMIT overallChanged();
}

int TransfersModel::Overall::permille() const
{
    if (totalBytes <= 0)
        return -1;
    return int(qBound(qint64(0), doneBytes * 1000 / totalBytes, qint64(1000)));
}

bool TransfersModel::sends(TransferInfo::Kind kind)
{
    using Kind = TransferInfo::Kind;
    // (An offload makes the copies elsewhere it needs before removing those here.)
    return kind == Kind::Float || kind == Kind::Import || kind == Kind::Repair ||
           kind == Kind::Drain || kind == Kind::Offload || kind == Kind::Convert;
}

TransfersModel::Rates TransfersModel::rates() const
{
    Rates r;
    for (const TransferInfo& t : m_rows)
        if (t.state == State::Running && t.bytesPerSecond > 0)
            (sends(t.kind) ? r.upload : r.download) += t.bytesPerSecond;
    return r;
}

TransfersModel::Overall TransfersModel::overall() const
{
    Overall o;
    for (const TransferInfo& t : m_rows) {
        switch (t.state) {
        case State::Running:
            o.running++;
            o.bytesPerSecond += t.bytesPerSecond;
            break;
        case State::Queued:
            o.queued++;
            break;
        case State::Paused:
            o.paused++;
            o.asking += m_asking.contains(t.id) ? 1 : 0;
            break;
        case State::Failed:
            o.failed++;
            continue;
        default:
            continue;
        }
        o.doneBytes += t.doneBytes;
        o.totalBytes += qMax(t.totalBytes, t.doneBytes);
    }
    return o;
}

} // namespace mf::ui
