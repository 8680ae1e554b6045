#include "modelbrowser.h"

#include "appstoreoffer.h"
#include "appuseactions.h"
#include "columnsfitcontent.h"
#include "convertdialog.h"
#include "engine/engine.h"
#include "hub/appuses.h"
#include "icons.h"
#include "incompletemodels.h"
#include "modeldetails.h"
#include "modelfilterproxy.h"
#include "modellistmodel.h"
#include "nextcheck.h"
#include "nomatchesnote.h"
#include "registry/filedags.h"
#include "util/units.h"
#include "vaultreader.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QFocusEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSet>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <utility>

namespace mf::ui {

namespace {
// Typing re-filters the loaded rows at once; the catalogue query for the rest waits until the
// typing pauses.
constexpr int SearchDelayMs = 250;
constexpr int ChangeDelayMs = 200;
} // namespace

ModelBrowser::ModelBrowser(Engine* engine, QWidget* parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_model(new ModelListModel(this))
    , m_proxy(new ModelFilterProxy(this))
    , m_search(new QLineEdit(this))
    , m_searchDelay(new QTimer(this))
    , m_changeDelay(new QTimer(this))
    , m_view(new QTableView(this))
    , m_details(new ModelDetails(this))
    , m_splitter(new QSplitter(Qt::Vertical, this))
{
    m_proxy->setSourceModel(m_model);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    m_search->setPlaceholderText(tr("Search by name, source, format or quantization"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search models"));
    // The search, and beside it the background check of the copies: when it runs next, and
    // running it at once.
    auto* top = new QHBoxLayout;
    top->addWidget(m_search, 1);
    m_nextCheck = new QLabel(this);
    top->addWidget(m_nextCheck);
    m_checkNow = new QPushButton(checkNowText(), this);
    m_checkNow->setToolTip(tr("Check at once that every copy of every chunk is there"));
    top->addWidget(m_checkNow);
    layout->addLayout(top);
    m_appUse = new AppUseActions(
        m_engine, [this] { return selectedModelIds(); },
        [this](qint64 id) {
            const ModelRow* r = m_model->rowData(m_model->rowOf(id));
            return r ? r->summary.model.name : QString();
        },
        this);
    layout->addWidget(m_appUse->notice());
    // Placed by the window above the whole Models page (withPage()): it is meant for a new
    // vault, whose page shows the empty state instead of the browser.
    m_storeOffer = new AppStoreOffer(m_engine, this);
    if (m_engine) {
        connect(m_checkNow, &QPushButton::clicked, m_engine, &Engine::checkNow);
        auto showNextCheck = [this] {
            const SyncStatus s = m_engine->syncStatus();
            m_nextCheck->setText(nextCheckText(s, QDateTime::currentDateTimeUtc()));
            m_checkNow->setEnabled(!s.paused);
        };
        connect(m_engine, &Engine::syncStatusChanged, this, showNextCheck);
        // "in 5 min" goes stale by itself.
        auto* minute = new QTimer(this);
        minute->setInterval(60'000);
        connect(minute, &QTimer::timeout, this, showNextCheck);
        minute->start();
        showNextCheck();
    } else {
        m_checkNow->setEnabled(false);
    }
    m_changeDelay->setSingleShot(true);
    m_changeDelay->setInterval(ChangeDelayMs);
    connect(m_changeDelay, &QTimer::timeout, this, &ModelBrowser::applyChanges);
    m_searchDelay->setSingleShot(true);
    m_searchDelay->setInterval(SearchDelayMs);
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setSearchText(text);
        m_searchDelay->start();
    });
    connect(m_searchDelay, &QTimer::timeout, this,
            [this] { m_model->setSearch(m_search->text()); });

    m_view->setModel(m_proxy);
    new NoMatchesNote(m_view, m_search);
    m_view->setAccessibleName(tr("Models"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(ModelListModel::NameColumn, Qt::AscendingOrder);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->resizeSection(ModelListModel::NameColumn, 220);
    m_view->horizontalHeader()->resizeSection(ModelListModel::FormatColumn, 80);
    m_view->horizontalHeader()->resizeSection(ModelListModel::ReplicasColumn, 250);
    m_view->horizontalHeader()->resizeSection(ModelListModel::ProvidersColumn, 130);
    m_view->horizontalHeader()->resizeSection(ModelListModel::SourceColumn, 160);
    // The date and time whole ("23 Nov 2026 17:55"), then when it was last verified.
    m_view->horizontalHeader()->resizeSection(ModelListModel::AddedColumn, 150);
    // No header shorter than its title ("Quantizatio", "ize on disk" were seen): the widths
    // above are for the values, the title's own width depends on the font and the language.
    QHeaderView* header = m_view->horizontalHeader();
    for (int column = 0; column < header->count(); ++column)
        header->resizeSection(column,
                              qMax(header->sectionSize(column), header->sectionSizeHint(column)));
    // The values' widths depend on the font, its scale and the values: the columns of short
    // values grow to the widest one shown ("SAFETEN…" and "checked just n…" were seen).
    new ColumnsFitContent(m_view, {ModelListModel::FormatColumn, ModelListModel::QuantizationColumn,
                                   ModelListModel::ParametersColumn, ModelListModel::SizeColumn,
                                   ModelListModel::FloatingColumn, ModelListModel::ReplicasColumn,
                                   ModelListModel::AddedColumn, ModelListModel::VerifiedColumn,
                                   ModelListModel::HereColumn});
    // The health beside the name: it is what a user looks for first, and as the seventh column
    // it was cut at the edge of a 900 px window.
    header->moveSection(header->visualIndex(ModelListModel::ReplicasColumn), 1);
    // Reached by the keyboard (Tab from the search box), the list selects the row it focuses:
    // the model actions act on the selection, and a focused row that is not selected left
    // Delete and Ctrl+R doing nothing.
    m_view->installEventFilter(this);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, &ModelBrowser::showContextMenu);

    m_splitter->addWidget(m_view);
    m_splitter->addWidget(m_details);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
    m_splitter->setSizes({300, 500}); // in proportion: the details pane gets the larger part
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_splitter, 1);

    m_restore = new QAction(icon(QStringLiteral("restore")), tr("&Restore to…"), this);
    m_restore->setShortcut(QKeySequence(tr("Ctrl+R")));
    m_restore->setToolTip(tr("Restore the selected models' files into a folder"));
    m_verify = new QAction(icon(QStringLiteral("verify")), tr("&Verify"), this);
    m_verify->setShortcut(QKeySequence(tr("Ctrl+Shift+V")));
    m_verify->setToolTip(tr("Check that every chunk is still on its providers, intact"));
    m_repair = new QAction(icon(QStringLiteral("retry")), tr("Re&pair now"), this);
    m_repair->setToolTip(tr("Make the missing copies of the selected models' chunks now (the "
                            "app also does it by itself in the background)"));
    m_convert = new QAction(tr("Change re&dundancy…"), this);
    m_convert->setToolTip(tr("Keep the selected model as whole copies or as shards (erasure "
                             "coding), changed in place"));
    m_remove = new QAction(icon(QStringLiteral("remove")), tr("Re&move…"), this);
    m_remove->setShortcut(QKeySequence::Delete);
    m_remove->setToolTip(tr("Remove the selected models from the vault"));
    m_offload = new QAction(tr("&Free up space…"), this);
    m_offload->setToolTip(tr("Remove the selected models' copies from this computer; they stay "
                             "available from the providers"));
    m_pin = new QAction(tr("&Keep on this computer"), this);
    m_pin->setToolTip(tr("Bring the selected models' copies back to this computer and keep them "
                         "here"));
    m_copyCid = new QAction(tr("Copy &CID"), this);
    m_copyCid->setToolTip(tr("Copy the selected models' IPFS CIDs: one identifier per model "
                             "that anyone can check the files against"));
    m_copyChunkCids = new QAction(tr("Copy c&hunk CIDs"), this);
    m_copyChunkCids->setToolTip(tr("Copy the content identifiers of the selected models' chunks"));
    m_copySource = new QAction(tr("Copy &source"), this);
    m_showInProviders =
        new QAction(icon(QStringLiteral("providers")), tr("Show in &providers"), this);
    m_copyCid->setShortcut(QKeySequence::Copy);
    m_resume = new QAction(icon(QStringLiteral("resume")), tr("Resume &float"), this);
    m_resume->setToolTip(tr("Finish floating the selected unfinished models; chunks already "
                            "stored are not sent again"));
    m_discard = new QAction(icon(QStringLiteral("remove")), tr("&Discard…"), this);
    m_discard->setToolTip(tr("Remove the selected unfinished models and the chunks only they "
                             "use"));
    // The shortcuts act while the Models page has the focus: Delete on another page must not
    // remove the model still selected here. Menus and toolbar trigger them from anywhere.
    for (QAction* a : {m_restore, m_verify, m_repair, m_remove, m_copyCid, m_copyChunkCids,
                       m_copySource, m_showInProviders}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
    }

    connect(m_restore, &QAction::triggered, this, &ModelBrowser::askRestore);
    connect(m_verify, &QAction::triggered, this, &ModelBrowser::verifySelected);
    connect(m_offload, &QAction::triggered, this, &ModelBrowser::askOffload);
    connect(m_pin, &QAction::triggered, this, &ModelBrowser::pinSelected);
    connect(m_repair, &QAction::triggered, this, &ModelBrowser::repairSelected);
    connect(m_convert, &QAction::triggered, this, &ModelBrowser::askConvert);
    connect(m_remove, &QAction::triggered, this, [this] { askRemove(); });
    connect(m_resume, &QAction::triggered, this, &ModelBrowser::resumeSelected);
    connect(m_discard, &QAction::triggered, this, [this] { askRemove(true); });
    if (m_engine) {
        // Whether a selected unfinished model is being floated decides Resume and Discard.
        connect(m_engine, &Engine::transferAdded, this, &ModelBrowser::updateIncompleteActions);
        connect(m_engine, &Engine::transferChanged, this, [this](const TransferInfo& t) {
            if (t.modelId && selectedModelIds().contains(t.modelId))
                updateIncompleteActions();
        });
        connect(m_engine, &Engine::transferRemoved, this, &ModelBrowser::updateIncompleteActions);
    }
    // A model's state (complete or not) arrives with its row.
    connect(m_model, &ModelListModel::rowsLoaded, this, &ModelBrowser::updateIncompleteActions);
    m_details->setIncompleteActions(m_resume, m_discard);
    connect(m_details, &ModelDetails::removeFromAppRequested, m_appUse,
            &AppUseActions::removeFromApp);
    connect(m_copyCid, &QAction::triggered, this, &ModelBrowser::copyModelCids);
    connect(m_copyChunkCids, &QAction::triggered, this, &ModelBrowser::copyChunkCids);
    connect(m_copySource, &QAction::triggered, this, &ModelBrowser::copySources);
    connect(m_showInProviders, &QAction::triggered, this, &ModelBrowser::showInProviders);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ModelBrowser::showSelection);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &ModelBrowser::showSelection);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &ModelBrowser::showSelection);
    updateActions();
}

void ModelBrowser::setReader(VaultReader* reader)
{
    m_reader = reader;
    m_model->setReader(reader);
    m_details->setReader(reader);
    updateActions(); // "Change redundancy…" reads the vault
    // Load the first page now rather than waiting for the view to lay out.
    if (m_model->canFetchMore({}))
        m_model->fetchMore({});
}

void ModelBrowser::modelChanged(qint64 modelId)
{
    // A float in progress reports its model often; its row and details are read again at most
    // a few times a second.
    m_changed.insert(modelId);
    if (!m_changeDelay->isActive())
        m_changeDelay->start();
}

void ModelBrowser::applyChanges()
{
    const QSet<qint64> changed = std::exchange(m_changed, {});
    for (qint64 id : changed)
        m_model->refreshModel(id);
    if (changed.contains(m_details->modelId()))
        m_details->refresh();
}

void ModelBrowser::modelRemoved(qint64 modelId)
{
    m_changed.remove(modelId);
    m_model->removeModel(modelId);
    if (m_details->modelId() == modelId)
        showSelection();
}

void ModelBrowser::providersChanged()
{
    m_model->refreshAll();
    m_details->refresh();
}

QList<qint64> ModelBrowser::selectedModelIds() const
{
    QList<qint64> ids;
    for (const QModelIndex& i : m_view->selectionModel()->selectedRows())
        ids.append(i.data(ModelListModel::ModelIdRole).toLongLong());
    return ids;
}

bool ModelBrowser::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_view && event->type() == QEvent::FocusIn) {
        const auto reason = static_cast<QFocusEvent*>(event)->reason();
        // Only a move by the keyboard: a click selects by itself (and a click on empty space
        // clears the selection on purpose).
        if ((reason == Qt::TabFocusReason || reason == Qt::BacktabFocusReason ||
             reason == Qt::ShortcutFocusReason) &&
            !m_view->selectionModel()->hasSelection() && m_proxy->rowCount() > 0) {
            QModelIndex current = m_view->currentIndex();
            if (!current.isValid())
                current = m_proxy->index(0, ModelListModel::NameColumn);
            m_view->selectionModel()->setCurrentIndex(current, QItemSelectionModel::ClearAndSelect |
                                                                   QItemSelectionModel::Rows);
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ModelBrowser::selectModel(qint64 modelId)
{
    const int row = m_model->rowOf(modelId);
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid())
        return;
    m_view->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect |
                                                QItemSelectionModel::Rows);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
}

void ModelBrowser::updateActions()
{
    const int n = int(m_view->selectionModel()->selectedRows().size());
    for (QAction* a : {m_restore, m_verify, m_repair, m_remove, m_offload, m_pin, m_copyCid,
                       m_copyChunkCids, m_copySource, m_showInProviders})
        a->setEnabled(n > 0 && m_engine);
    for (QAction* a : std::as_const(m_modelActions))
        a->setEnabled(n > 0 && m_engine);
    m_appUse->menu()->setEnabled(n > 0 && m_engine);
    m_convert->setEnabled(n == 1 && m_engine && m_reader);
    updateIncompleteActions();
    Q_EMIT selectionCountChanged(n);
}

void ModelBrowser::updateIncompleteActions()
{
    const qsizetype n = m_view->selectionModel()->selectedRows().size();
    const bool stopped = n > 0 && stoppedIncompleteSelection().size() == n;
    m_resume->setEnabled(stopped);
    m_discard->setEnabled(stopped);
}

QMenu* ModelBrowser::useInMenu() const
{
    return m_appUse->menu();
}

QLabel* ModelBrowser::appUseNotice() const
{
    return m_appUse->notice();
}

void ModelBrowser::addModelAction(QAction* action)
{
    m_modelActions.append(action);
    updateActions();
}

void ModelBrowser::showSelection()
{
    const QList<qint64> ids = selectedModelIds();
    const QModelIndex current = m_view->currentIndex();
    qint64 shown = ids.isEmpty() ? 0 : ids.first();
    if (current.isValid() && m_view->selectionModel()->isRowSelected(current.row(), {}))
        shown = current.data(ModelListModel::ModelIdRole).toLongLong();
    if (shown != m_details->modelId() || ids.size() > 1)
        m_details->showModel(shown, int(ids.size()));
    updateActions();
}

void ModelBrowser::showContextMenu(const QPoint& pos)
{
    if (selectedModelIds().isEmpty())
        return;
    QMenu* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    if (m_resume->isEnabled()) {
        menu->addAction(m_resume);
        menu->addAction(m_discard);
        menu->addSeparator();
    }
    menu->addAction(m_restore);
    menu->addActions(m_modelActions);
    menu->addAction(m_verify);
    menu->addAction(m_repair);
    menu->addAction(m_convert);
    menu->addSeparator();
    menu->addAction(m_offload);
    menu->addAction(m_pin);
    menu->addMenu(m_appUse->menu());
    menu->addSeparator();
    menu->addAction(m_copyCid);
    menu->addAction(m_copyChunkCids);
    menu->addAction(m_copySource);
    menu->addAction(m_showInProviders);
    menu->addSeparator();
    menu->addAction(m_remove);
    menu->popup(m_view->viewport()->mapToGlobal(pos));
}

void ModelBrowser::askRestore()
{
    const QList<qint64> ids = selectedModelIds();
    if (ids.isEmpty() || !m_engine)
        return;
    auto* dialog = new QFileDialog(this, tr("Restore into folder"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setDirectory(QStandardPaths::writableLocation(QStandardPaths::HomeLocation));
    connect(dialog, &QFileDialog::fileSelected, this, [this, ids](const QString& dir) {
        if (dir.isEmpty())
            return;
        for (qint64 id : ids)
            m_engine->restoreModel(id, dir, Engine::RestoreConflicts::Ask);
    });
    dialog->open();
}

void ModelBrowser::verifySelected()
{
    if (!m_engine)
        return;
    for (qint64 id : selectedModelIds())
        m_engine->verifyModel(id);
}

void ModelBrowser::repairSelected()
{
    if (!m_engine)
        return;
    for (qint64 id : selectedModelIds())
        m_engine->repairModel(id);
}

void ModelBrowser::askConvert()
{
    const QList<qint64> ids = selectedModelIds();
    if (ids.size() != 1 || !m_engine || !m_reader)
        return;
    auto* dialog = new ConvertDialog(m_engine, *m_reader, ids.first(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    dialog->open();
}

void ModelBrowser::askRemove(bool discard)
{
    const QList<qint64> ids = discard ? stoppedIncompleteSelection() : selectedModelIds();
    if (ids.isEmpty() || !m_engine || m_question)
        return;
    // The engine refuses to remove a model an app uses (core/hub/appuses.h); say so at once,
    // naming the apps, rather than let the removal fail on the Transfers page.
    if (!discard && m_reader) {
        const AppUses uses = AppUses::ofVault(m_reader->directory());
        for (qint64 id : ids) {
            const ModelRow* r = m_model->rowData(m_model->rowOf(id));
            const QStringList apps = r ? uses.appsUsing(r->summary.model.name) : QStringList();
            if (apps.isEmpty())
                continue;
            m_question = new QMessageBox(
                QMessageBox::Information, tr("Remove models"),
                tr("“%1” is in use by %2.").arg(r->summary.model.name, apps.join(tr(", "))),
                QMessageBox::Ok, this);
            m_question->setInformativeText(
                tr("%1 read the model from the vault's one shared copy. Take it out of them "
                   "first: select it and click “Remove from %2” in its details.")
                    .arg(apps.join(tr(", ")), apps.first()));
            m_question->setAttribute(Qt::WA_DeleteOnClose);
            m_question->setWindowModality(Qt::WindowModal);
            m_question->open();
            return;
        }
    }
    QString what;
    if (ids.size() == 1) {
        const int row = m_model->rowOf(ids.first());
        const ModelRow* r = m_model->rowData(row);
        const QString name = r ? r->summary.model.name : QString();
        what = discard ? tr("Discard the unfinished “%1”?").arg(name)
                       : tr("Remove “%1” from the vault?").arg(name);
    } else {
        what = discard ? tr("Discard %1 unfinished models?").arg(ids.size())
                       : tr("Remove %1 models from the vault?").arg(ids.size());
    }
    m_question =
        new QMessageBox(QMessageBox::Warning, discard ? tr("Discard models") : tr("Remove models"),
                        what, QMessageBox::NoButton, this);
    m_question->setAttribute(Qt::WA_DeleteOnClose);
    m_question->setInformativeText(
        tr("Their chunks are deleted from the providers, except chunks other models share. "
           "Files on your disk are not touched."));
    QPushButton* remove =
        m_question->addButton(discard ? tr("Discard") : tr("Remove"), QMessageBox::DestructiveRole);
    remove->setIcon(icon(QStringLiteral("remove")));
    m_question->addButton(QMessageBox::Cancel);
    m_question->setDefaultButton(QMessageBox::Cancel);
    m_question->setWindowModality(Qt::WindowModal);
    connect(m_question, &QMessageBox::buttonClicked, this, [this, ids, remove](auto* button) {
        if (button != remove)
            return;
        for (qint64 id : ids) {
            // A paused float of it ends first, so that it cannot write the model again.
            const auto t = incompletemodels::transferOf(*m_engine, id);
            if (t && t->state == TransferInfo::State::Paused)
                m_engine->cancel(t->id);
            m_engine->removeModel(id);
        }
    });
    m_question->open();
}

void ModelBrowser::askOffload()
{
    const QList<qint64> ids = selectedModelIds();
    if (ids.isEmpty() || !m_engine || m_question)
        return;
    qint64 frees = 0;
    QString name;
    for (qint64 id : ids)
        if (const ModelRow* r = m_model->rowData(m_model->rowOf(id))) {
            frees += r->here.bytesFreeable;
            name = r->summary.model.name;
        }
    const QString what =
        ids.size() == 1 ? tr("Free up the space “%1” takes on this computer?").arg(name)
                        : tr("Free up the space %1 models take on this computer?").arg(ids.size());
    m_question = new QMessageBox(QMessageBox::Question, tr("Free up space"), what,
                                 QMessageBox::NoButton, this);
    m_question->setAttribute(Qt::WA_DeleteOnClose);
    const int count = int(ids.size());
    m_question->setInformativeText(
        (count == 1
             ? tr("This frees %1 on this computer. The model stays available from the providers: "
                  "it can still be read, mounted and restored. Its copies here go only once the "
                  "copies the vault wants are on the providers; chunks of models kept on this "
                  "computer stay.")
             : tr("This frees %1 on this computer. The %n models stay available from the "
                  "providers: they can still be read, mounted and restored. Their copies here go "
                  "only once the copies the vault wants are on the providers; chunks of models "
                  "kept on this computer stay.",
                  nullptr, count))
            .arg(units::formatBytes(frees)));
    QPushButton* offload = m_question->addButton(tr("Free up space"), QMessageBox::AcceptRole);
    m_question->addButton(QMessageBox::Cancel);
    m_question->setDefaultButton(QMessageBox::Cancel);
    m_question->setWindowModality(Qt::WindowModal);
    connect(m_question, &QMessageBox::buttonClicked, this, [this, ids, offload](auto* button) {
        if (button != offload)
            return;
        for (qint64 id : ids)
            m_engine->offloadModel(id);
    });
    m_question->open();
}

void ModelBrowser::freeUpSpace()
{
    QItemSelection rows;
    for (int i = 0; i < m_proxy->rowCount(); ++i) {
        const QModelIndex index = m_proxy->index(i, 0);
        const ModelRow* r = m_model->rowData(m_proxy->mapToSource(index).row());
        if (r && r->here.bytesFreeable > 0)
            rows.select(index, index);
    }
    m_view->selectionModel()->select(rows, QItemSelectionModel::ClearAndSelect |
                                               QItemSelectionModel::Rows);
    askOffload();
}

void ModelBrowser::pinSelected()
{
    if (!m_engine)
        return;
    for (qint64 id : selectedModelIds())
        m_engine->pinModel(id);
}

QList<qint64> ModelBrowser::stoppedIncompleteSelection() const
{
    QList<qint64> ids;
    if (!m_engine)
        return ids;
    for (qint64 id : selectedModelIds()) {
        const ModelRow* r = m_model->rowData(m_model->rowOf(id));
        if (r && r->summary.model.state == ModelRecord::State::Incomplete &&
            !incompletemodels::isBeingFloated(*m_engine, id))
            ids.append(id);
    }
    return ids;
}

void ModelBrowser::resumeSelected()
{
    QStringList problems;
    for (qint64 id : stoppedIncompleteSelection())
        if (const ModelRow* r = m_model->rowData(m_model->rowOf(id)))
            if (const QString why = incompletemodels::resume(*m_engine, r->summary.model);
                !why.isEmpty())
                problems.append(why);
    if (problems.isEmpty() || m_question)
        return;
    m_question = new QMessageBox(QMessageBox::Information, tr("Resume float"),
                                 problems.join(QLatin1Char('\n')), QMessageBox::Ok, this);
    m_question->setAttribute(Qt::WA_DeleteOnClose);
    m_question->setWindowModality(Qt::WindowModal);
    m_question->open();
}

void ModelBrowser::copyModelCids()
{
    if (!m_reader)
        return;
    // A model floated before the vault kept CIDs has none to copy (`modelfloat-cli cid`
    // computes it from its files): it adds no line rather than a wrong one.
    QStringList lines;
    for (qint64 id : selectedModelIds())
        if (const QString cid = filedags::modelCid(m_reader->registry().modelRows().files(id));
            !cid.isEmpty())
            lines.append(cid);
    QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

void ModelBrowser::copyChunkCids()
{
    if (!m_reader)
        return;
    QStringList lines;
    QSet<QString> seen;
    for (qint64 id : selectedModelIds())
        for (const FileRecord& f : m_reader->registry().modelRows().files(id))
            for (const FileChunk& c : m_reader->registry().modelRows().fileChunks(f.id))
                if (!seen.contains(c.cid)) {
                    seen.insert(c.cid);
                    lines.append(c.cid);
                }
    QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

void ModelBrowser::copySources()
{
    QStringList lines;
    for (qint64 id : selectedModelIds()) {
        const ModelRow* r = m_model->rowData(m_model->rowOf(id));
        if (r && !r->summary.model.source.isEmpty())
            lines.append(r->summary.model.source);
    }
    QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

void ModelBrowser::showInProviders()
{
    QStringList names;
    for (qint64 id : selectedModelIds())
        if (const ModelRow* r = m_model->rowData(m_model->rowOf(id)))
            for (const QString& n : r->providers)
                if (!names.contains(n))
                    names.append(n);
    Q_EMIT showProvidersRequested(names);
}

} // namespace mf::ui
