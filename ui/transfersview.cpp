#include "transfersview.h"

#include "engine/engine.h"
#include "icons.h"
#include "speedgraph.h"
#include "transferdetails.h"
#include "transfersmodel.h"
#include "util/units.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QDir>
#include <QHeaderView>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QTimer>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace mf::ui {

using State = TransferInfo::State;

void TransferProgressDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                                     const QModelIndex& index) const
{
    QStyleOptionViewItem item = option;
    initStyleOption(&item, index);
    item.text.clear();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &item, painter, widget); // selection background

    const int permille = index.data(TransfersModel::PermilleRole).toInt();
    const auto state = State(index.data(TransfersModel::StateRole).toInt());
    QStyleOptionProgressBar bar;
    bar.rect = option.rect.adjusted(2, 3, -2, -3);
    bar.state = option.state | QStyle::State_Horizontal;
    if (state != State::Running)
        bar.state &= ~QStyle::State_Enabled; // a resting bar is drawn greyed
    bar.direction = option.direction;
    bar.fontMetrics = option.fontMetrics;
    bar.palette = option.palette;
    bar.minimum = 0;
    bar.maximum = permille < 0 && state == State::Running ? 0 : 1000; // 0..0: busy indicator
    bar.progress = qMax(0, permille);
    bar.text = fittedText(index.data(TransfersModel::ProgressTextRole).toString(),
                          option.fontMetrics, bar.rect.width());
    bar.textVisible = true;
    bar.textAlignment = Qt::AlignCenter;
    style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
}

QSize TransferProgressDelegate::sizeHint(const QStyleOptionViewItem& option,
                                         const QModelIndex& index) const
{
    const QSize base = QStyledItemDelegate::sizeHint(option, index);
    const int text = option.fontMetrics.horizontalAdvance(
        index.data(TransfersModel::ProgressTextRole).toString());
    return {qMax(base.width(), text + 24), qMax(base.height(), option.fontMetrics.height() + 10)};
}

QString TransferProgressDelegate::fittedText(const QString& text, const QFontMetrics& metrics,
                                             int barWidth)
{
    // A style draws the text inside the bar's frame: keep clear of it on both sides.
    constexpr int FrameMargin = 8;
    return metrics.elidedText(text, Qt::ElideRight, qMax(0, barWidth - FrameMargin));
}

int TransferProgressDelegate::typicalWidth(const QFontMetrics& metrics)
{
    // The widest a running row and a row finished today commonly get, as the model words them:
    // a running one's bytes, rate and time left; a finished one's bytes, when it finished, how
    // long it took and its average rate (what it did not have to send may be elided).
    constexpr qint64 K = 1024;
    TransferInfo running;
    running.state = State::Running;
    running.doneBytes = 1023 * K * K + 900 * K;          // "1023.9 MiB"
    running.totalBytes = 1023 * K * K * K + 900 * K * K; // "1023.9 GiB"
    running.bytesPerSecond = 1023.0 * K * K;             // "1023 MiB/s"
    running.etaSeconds = 59 * 60 + 59;
    TransferInfo finished = running;
    finished.state = State::Done;
    finished.doneBytes = running.totalBytes;
    finished.activeMs = (59 * 60 + 59) * 1000;
    finished.finished = QDateTime(QDate::currentDate(), QTime(23, 59));
    return qMax(metrics.horizontalAdvance(TransfersModel::progressText(running)),
                metrics.horizontalAdvance(TransfersModel::progressText(finished))) +
           24;
}

TransfersView::TransfersView(Engine* engine, TransfersModel* model, QWidget* parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_model(model)
    , m_view(new QTreeView(this))
    , m_toolBar(new QToolBar(this))
    , m_speed(new SpeedGraph(this))
    , m_details(new TransferDetails(this))
    , m_splitter(new QSplitter(Qt::Vertical, this))
{
    setAccessibleName(tr("Transfers"));
    m_view->setModel(model);
    m_view->setRootIsDecorated(true); // a float of several files opens to a row per file
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setItemDelegateForColumn(TransfersModel::ProgressColumn,
                                     new TransferProgressDelegate(m_view));
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setAccessibleName(tr("Transfer list"));
    // The title keeps a readable width and the state takes what is left, elided: a state that
    // carries a long warning (shown whole in the details below) must not squeeze the title.
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(TransfersModel::TitleColumn, QHeaderView::Interactive);
    m_view->header()->resizeSection(TransfersModel::TitleColumn,
                                    m_view->fontMetrics().averageCharWidth() * 40);
    m_view->header()->setSectionResizeMode(TransfersModel::ProgressColumn,
                                           QHeaderView::Interactive);
    // Wide enough for a running transfer's bytes, rate and time left in this font (at 200 %
    // a fixed 360 px cut them); a narrower column elides them.
    m_view->header()->resizeSection(TransfersModel::ProgressColumn,
                                    TransferProgressDelegate::typicalWidth(m_view->fontMetrics()));
    m_view->header()->setSectionResizeMode(TransfersModel::StateColumn, QHeaderView::Stretch);

    auto makeAction = [this](const QString& iconName, const QString& text,
                             const QKeySequence& shortcut, auto slot) {
        auto* a = new QAction(icon(iconName), text, this);
        a->setShortcut(shortcut);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
        return a;
    };
    m_pause = makeAction(QStringLiteral("pause"), tr("&Pause"), QKeySequence(Qt::Key_P), [this] {
        for (qint64 id : selectedIds(-1))
            m_engine->pause(id);
    });
    m_resume = makeAction(QStringLiteral("resume"), tr("&Resume"), QKeySequence(Qt::Key_R), [this] {
        for (qint64 id : selectedIds(int(State::Paused)))
            m_engine->resume(id);
    });
    m_cancel = makeAction(QStringLiteral("cancel"), tr("&Cancel"), QKeySequence::Delete,
                          [this] { cancelSelected(); });
    m_retry = makeAction(QStringLiteral("retry"), tr("Re&try"), QKeySequence(Qt::Key_T), [this] {
        for (qint64 id : selectedIds(-1))
            m_engine->retry(id);
    });
    m_openFolder = makeAction(QStringLiteral("folder"), tr("&Open folder"), QKeySequence(), [this] {
        const QUrl folder = folderToOpen();
        if (!folder.isEmpty() && !QDesktopServices::openUrl(folder))
            showFolderPath(folder.toLocalFile());
    });
    m_pauseAll = makeAction(QStringLiteral("pause"), tr("Pause &all"),
                            QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P),
                            [this] { m_engine->pauseAll(); });
    m_resumeAll = makeAction(QStringLiteral("resume"), tr("Resume a&ll"),
                             QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R),
                             [this] { m_engine->resumeAll(); });
    m_clear = makeAction(QStringLiteral("remove"), tr("C&lear finished"), QKeySequence(),
                         [this] { m_engine->clearFinished(); });
    m_pause->setToolTip(tr("Pause the selected transfers; resuming goes on where they stopped"));
    m_cancel->setToolTip(tr("Cancel the selected transfers"));
    m_retry->setToolTip(tr("Try the selected failed or cancelled transfers again"));
    m_openFolder->setToolTip(tr("Show the restored files in the file manager"));

    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setAccessibleName(tr("Transfer actions"));
    m_toolBar->addActions({m_pause, m_resume, m_cancel, m_retry, m_openFolder});
    m_toolBar->addSeparator();
    m_toolBar->addActions({m_pauseAll, m_resumeAll, m_clear});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_toolBar);
    layout->addWidget(m_speed);
    m_splitter->addWidget(m_view);
    m_splitter->addWidget(m_details);
    // Half each: at a quarter, the details of a transfer opened six lines tall, and its
    // dates, rate and warnings were below the fold (issue 37, item 8).
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({m_details->sizeHint().height(), m_details->sizeHint().height()});
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_splitter, 1);

    // One sample a second of the rates the Engine last reported.
    auto* sampler = new QTimer(this);
    sampler->setInterval(1000);
    connect(sampler, &QTimer::timeout, this, &TransfersView::sampleSpeed);
    sampler->start();

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &TransfersView::updateActions);
    connect(model, &TransfersModel::overallChanged, this, &TransfersView::updateActions);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &TransfersView::updateDetails);
    connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& from, const QModelIndex& to) {
                if (from.parent().isValid())
                    return; // a file's row: its transfer's row changes with it
                const int row = m_model->rowOf(m_details->transferId());
                if (row >= from.row() && row <= to.row())
                    updateDetails();
            });
    connect(model, &QAbstractItemModel::rowsRemoved, this, &TransfersView::updateDetails);
    connect(m_view, &QWidget::customContextMenuRequested, this, &TransfersView::showContextMenu);
    updateActions();
}

void TransfersView::sampleSpeed()
{
    const TransfersModel::Rates r = m_model->rates();
    m_speed->addSample(r.upload, r.download);
}

void TransfersView::updateDetails()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    m_details->showTransfer(rows.size() == 1 ? m_model->transferAt(rows.first()) : nullptr);
}

QList<qint64> TransfersView::selectedIds(int state) const
{
    QList<qint64> ids;
    for (const QModelIndex& index : m_view->selectionModel()->selectedRows()) {
        if (state >= 0 && index.data(TransfersModel::StateRole).toInt() != state)
            continue;
        // A file's row stands for its transfer, which is listed once.
        const qint64 id = index.data(TransfersModel::TransferIdRole).toLongLong();
        if (!ids.contains(id))
            ids.append(id);
    }
    return ids;
}

void TransfersView::updateActions()
{
    bool canPause = false, canResume = false, canCancel = false, canRetry = false;
    for (const QModelIndex& index : m_view->selectionModel()->selectedRows()) {
        const auto state = State(index.data(TransfersModel::StateRole).toInt());
        canPause |= state == State::Queued || state == State::Running;
        canResume |= state == State::Paused;
        canCancel |= state == State::Queued || state == State::Running || state == State::Paused;
        canRetry |= state == State::Failed || state == State::Cancelled;
    }
    m_pause->setEnabled(canPause);
    m_resume->setEnabled(canResume);
    m_cancel->setEnabled(canCancel);
    m_retry->setEnabled(canRetry);
    m_openFolder->setEnabled(!folderToOpen().isEmpty());
    const TransfersModel::Overall o = m_model->overall();
    m_pauseAll->setEnabled(o.running + o.queued > 0);
    m_resumeAll->setEnabled(o.paused > o.asking);
    bool anyFinished = false;
    for (int row = 0; row < m_model->rowCount() && !anyFinished; ++row)
        anyFinished = m_model->transfer(row)->isFinished();
    m_clear->setEnabled(anyFinished);
}

// A float this big took a while to store what it stored: a Delete key pressed by mistake must
// not end it without a word. Smaller transfers are cancelled at once, as before.
constexpr qint64 AskBeforeCancellingBytes = 64 * qint64(1024 * 1024);

void TransfersView::cancelSelected()
{
    const QList<qint64> ids = selectedIds(-1);
    QStringList big;
    bool imports = false;
    qint64 stored = 0, total = 0;
    for (qint64 id : ids) {
        const TransferInfo* t = m_model->transfer(m_model->rowOf(id));
        if (t && !t->isFinished() &&
            (t->kind == TransferInfo::Kind::Float || t->kind == TransferInfo::Kind::Import) &&
            qMax(t->totalBytes, t->doneBytes) >= AskBeforeCancellingBytes) {
            big.append(t->modelName.isEmpty() ? t->title : t->modelName);
            imports = imports || t->kind == TransferInfo::Kind::Import;
            stored += t->doneBytes;
            total += qMax(t->totalBytes, t->doneBytes);
        }
    }
    if (big.isEmpty()) {
        for (qint64 id : ids)
            m_engine->cancel(id);
        return;
    }
    if (m_cancelQuestion)
        m_cancelQuestion->close();
    // The model's name, not the row's title ("Cancel “Float Qwen… (5 files)”?").
    const QString what = big.size() > 1 ? tr("Cancel %1 floats?").arg(big.size())
                         : imports      ? tr("Cancel importing “%1”?").arg(big.first())
                                        : tr("Cancel floating “%1”?").arg(big.first());
    auto* box =
        new QMessageBox(QMessageBox::Question, tr("Cancel"), what, QMessageBox::NoButton, this);
    box->setInformativeText(
        tr("%1 of %2 is stored. The unfinished model stays on the Models page: Resume finishes "
           "it without sending again what is stored, Discard removes it.")
            .arg(units::formatBytes(stored), units::formatBytes(total)));
    QPushButton* cancel = box->addButton(tr("&Cancel it"), QMessageBox::DestructiveRole);
    QPushButton* keep = box->addButton(tr("&Keep going"), QMessageBox::RejectRole);
    box->setDefaultButton(keep);
    box->setEscapeButton(keep);
    connect(box, &QMessageBox::buttonClicked, this, [this, ids, cancel](QAbstractButton* b) {
        if (b == cancel)
            for (qint64 id : ids)
                m_engine->cancel(id);
    });
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_cancelQuestion = box;
    box->open();
}

// Where no file manager opens the folder (none installed, or none registered for folders), the
// path in words with a button that copies it, not a click that silently does nothing.
void TransfersView::showFolderPath(const QString& path)
{
    if (m_folderNote)
        m_folderNote->close();
    auto* box = new QMessageBox(QMessageBox::Information, tr("Open folder"),
                                tr("No file manager opened the folder. The files are in:"),
                                QMessageBox::Close, this);
    box->setInformativeText(QDir::toNativeSeparators(path));
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPushButton* copy = box->addButton(tr("&Copy path"), QMessageBox::ActionRole);
    connect(copy, &QPushButton::clicked, this,
            [path] { QGuiApplication::clipboard()->setText(QDir::toNativeSeparators(path)); });
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_folderNote = box;
    box->open();
}

QUrl TransfersView::folderToOpen() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.size() != 1)
        return {};
    const TransferInfo* info = m_model->transferAt(rows.first());
    // Only once it is done: before, the folder may not exist or hold only a temporary.
    if (!info || info->kind != TransferInfo::Kind::Restore || info->destination.isEmpty() ||
        (info->state != State::Done && info->state != State::Degraded))
        return {};
    return QUrl::fromLocalFile(info->destination);
}

void TransfersView::showContextMenu(const QPoint& pos)
{
    if (!m_view->indexAt(pos).isValid())
        return;
    // popup(), not exec(): no nested event loop on the GUI thread.
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addActions({m_pause, m_resume, m_cancel, m_retry});
    menu->addSeparator();
    menu->addAction(m_openFolder);
    menu->addSeparator();
    menu->addAction(m_clear);
    menu->popup(m_view->viewport()->mapToGlobal(pos));
}

} // namespace mf::ui
