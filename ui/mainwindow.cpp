#include "mainwindow.h"

#include "appstoreoffer.h"
#include "damagedmodels.h"
#include "dropoverlay.h"
#include "droppedfiles.h"
#include "emptystate.h"
#include "engine/engine.h"
#include "floatdialog.h"
#include "hub/hubclient.h"
#include "hub/hubsettings.h"
#include "icons.h"
#include "incompletemodels.h"
#include "keeponscreen.h"
#include "modelbrowser.h"
#include "modellistmodel.h"
#include "providerspage.h"
#include "quitquestion.h"
#include "restoreconflictprompt.h"
#include "transfersmodel.h"
#include "transfersview.h"
#include "util/units.h"
#include "vault/vault.h"
#include "vaultreader.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMetaMethod>
#include <QMimeData>
#include <QNetworkAccessManager>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>

namespace mf::ui {

namespace {

const QLatin1String GeometryKey("mainWindow/geometry");
const QLatin1String StateKey("mainWindow/state");
const QLatin1String LastFolderKey("mainWindow/lastFloatFolder");
constexpr int RefusalMessageMs = 8000;

// A cheap look at a drag while it hovers (no folder walk): the first reason it cannot be
// dropped, or empty.
QString quickRefusal(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls())
        return MainWindow::tr("Only files and folders can be floated.");
    const QList<QUrl> urls = mime->urls();
    for (const QUrl& url : urls)
        if (!url.isLocalFile())
            return DroppedFiles::fromUrls({url}).problem;
    return {};
}

} // namespace

MainWindow::MainWindow(Engine* engine, QWidget* parent)
    : QMainWindow(parent)
    , m_engine(engine)
    , m_transfersModel(new TransfersModel(engine, this))
    , m_tabs(new QTabWidget(this))
    , m_modelsStack(new QStackedWidget(this))
    , m_empty(new EmptyState(this))
    , m_browser(new ModelBrowser(engine, this))
    , m_transfersView(new TransfersView(engine, m_transfersModel, this))
    , m_restoreConflicts(new RestoreConflictPrompt(engine, this))
    , m_providers(new ProvidersPage(engine, this))
    , m_overlay(nullptr)
    , m_quitQuestion(new QuitQuestion(engine, this))
    , m_statsLabel(new QLabel(this))
    , m_progress(new QProgressBar(this))
{
    setWindowTitle(tr("ModelFloat"));
    setWindowIcon(icon(QStringLiteral("modelfloat")));
    setAcceptDrops(true);
    // The search box would take a dropped file as text; drops belong to the window.
    m_browser->searchBox()->setAcceptDrops(false);

    m_modelsStack->addWidget(m_empty);
    m_modelsStack->addWidget(m_browser);
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_browser->storeOffer()->withPage(m_modelsStack), icon(QStringLiteral("models")),
                   tr("&Models"));
    m_tabs->addTab(m_transfersView, icon(QStringLiteral("transfers")), tr("&Transfers"));
    m_tabs->addTab(m_providers, icon(QStringLiteral("providers")), tr("&Providers"));
    m_tabs->setAccessibleName(tr("Pages"));
    setCentralWidget(m_tabs);

    m_statsLabel->setAccessibleName(tr("Vault totals"));
    m_statsLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Clipped rather than pushing the progress bar out when the window is narrow.
    m_statsLabel->setMinimumWidth(100);
    m_statsLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    statusBar()->addPermanentWidget(m_statsLabel, 1);
    m_progress->setAccessibleName(tr("Overall progress"));
    m_progress->setRange(0, 1000);
    m_progress->setMinimumWidth(200);
    m_progress->setMaximumWidth(320);
    m_progress->setTextVisible(true);
    m_progress->hide();
    statusBar()->addPermanentWidget(m_progress);

    createActions();
    createMenus();
    m_browser->addModelAction(m_materialize);
    m_overlay = new DropOverlay(this);

    connect(m_empty, &EmptyState::chooseFilesRequested, this, &MainWindow::chooseFiles);
    connect(m_empty, &EmptyState::chooseFolderRequested, this, &MainWindow::chooseFolder);
    connect(m_empty, &EmptyState::connectStorageRequested, this, [this] {
        showPage(ProvidersPageIndex);
        m_providers->openAttachDialog();
    });
    connect(m_empty, &EmptyState::addProviderRequested, this, [this] {
        showPage(ProvidersPageIndex);
        m_providers->openAddDialog();
    });
    connect(m_providers, &ProvidersPage::storageAttached, this, [this](const QString& name) {
        statusBar()->showMessage(tr("Looking for the models kept on “%1”…").arg(name));
    });
    connect(m_engine, &Engine::catalogRecovered, this, &MainWindow::showRecoveryReport);
    connect(m_providers, &ProvidersPage::recoveryKeyRefused, this, [this](const QString& why) {
        showRecoveryReport(tr("The storage is saved; run Attach again with the recovery key, or "
                              "enter it in Settings › Recovery key."),
                           tr("The recovery key was not taken: %1").arg(why));
    });
    connect(m_browser, &ModelBrowser::showProvidersRequested, this,
            [this](const QStringList& names) {
                showPage(ProvidersPageIndex);
                m_providers->highlight(names);
            });
    connect(m_engine, &Engine::opened, this, &MainWindow::vaultOpened);
    connect(m_engine, &Engine::modelChanged, this, [this](qint64 id) {
        m_browser->modelChanged(id);
        updateEmptyState();
    });
    connect(m_engine, &Engine::modelRemoved, this, [this](qint64 id) {
        m_browser->modelRemoved(id);
        updateEmptyState();
    });
    // A repair or a drain ended: every loaded row's health is read again.
    connect(m_engine, &Engine::modelsHealthChanged, this,
            [this] { m_browser->providersChanged(); });
    connect(m_engine, &Engine::providersChanged, this, [this] {
        m_providers->refresh();
        updateEmptyState();
        m_browser->providersChanged();
        updateStats(m_lastStats);
    });
    connect(m_engine, &Engine::providerError, this, [this](const QString& message) {
        statusBar()->showMessage(message, RefusalMessageMs);
    });
    // The catalog on the providers, synced when the vault opens and then every few minutes:
    // what other computers changed is said each time it happens; a problem is said once while
    // it lasts (offline, the vault works from this computer's registry), and again only after
    // a sync that went well.
    connect(m_engine, &Engine::catalogSynced, this,
            [this](const QString& summary, const QString& problems) {
                if (problems.isEmpty()) {
                    m_lastCatalogProblem.clear();
                    if (!summary.isEmpty())
                        statusBar()->showMessage(summary);
                    return;
                }
                const QString problem = problems.section(QLatin1Char('\n'), 0, 0);
                if (problem == m_lastCatalogProblem)
                    return;
                m_lastCatalogProblem = problem;
                statusBar()->showMessage(
                    tr("The catalog on the providers is not synced (this computer's models stay "
                       "usable; the next float or sync catches up): %1")
                        .arg(problem));
            });
    connect(m_engine, &Engine::statsChanged, this, [this](const VaultStats& stats) {
        updateStats(stats);
        m_providers->refresh();
    });
    connect(m_transfersModel, &TransfersModel::overallChanged, this, &MainWindow::updateProgress);

    QSettings settings;
    // A saved size, else a roomy default: either kept on the screen the window opens on.
    const bool restored = restoreGeometry(settings.value(GeometryKey).toByteArray());
    keepOnScreen(this, restored ? size() : QSize(1200, 780));
    restoreState(settings.value(StateKey).toByteArray());
    updateEmptyState();
    updateProgress();
}

MainWindow::~MainWindow()
{
    // Views first: they hold pointers into the reader.
    m_browser->setReader(nullptr);
    m_providers->setReader(nullptr);
}

void MainWindow::createActions()
{
    m_floatFiles = new QAction(icon(QStringLiteral("float")), tr("&Float files…"), this);
    m_floatFiles->setShortcut(QKeySequence::Open);
    m_floatFiles->setToolTip(tr("Choose model files to float (or drop them on the window)"));
    m_floatFiles->setIconText(tr("Float"));
    connect(m_floatFiles, &QAction::triggered, this, &MainWindow::chooseFiles);
    m_floatFolder = new QAction(tr("Float a f&older…"), this);
    m_floatFolder->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    connect(m_floatFolder, &QAction::triggered, this, &MainWindow::chooseFolder);
    m_importHub = new QAction(icon(QStringLiteral("add")), tr("&Import from Hugging Face…"), this);
    m_importHub->setShortcut(QKeySequence(tr("Ctrl+I")));
    m_importHub->setToolTip(tr("Import a model (or chosen variants of it) from the Hugging Face "
                               "Hub straight into the vault"));
    connect(m_importHub, &QAction::triggered, this, &MainWindow::openHubImportDialog);
    m_materialize = new QAction(icon(QStringLiteral("restore")), tr("&Materialize…"), this);
    m_materialize->setToolTip(tr("Write the selected model out as a folder, or into the Hugging "
                                 "Face cache where runtimes find it"));
    connect(m_materialize, &QAction::triggered, this, &MainWindow::openMaterializeDialog);
    m_settings = new QAction(icon(QStringLiteral("settings")), tr("&Settings…"), this);
    m_settings->setShortcut(QKeySequence(tr("Ctrl+,")));
    m_settings->setMenuRole(QAction::PreferencesRole);
    connect(m_settings, &QAction::triggered, this, &MainWindow::settingsRequested);
    m_quit = new QAction(tr("&Quit"), this);
    m_quit->setShortcut(QKeySequence(tr("Ctrl+Q")));
    m_quit->setMenuRole(QAction::QuitRole);
    connect(m_quit, &QAction::triggered, this, &MainWindow::requestQuit);
    connect(m_quitQuestion, &QuitQuestion::confirmed, this, [this] {
        if (isSignalConnected(QMetaMethod::fromSignal(&MainWindow::quitRequested)))
            Q_EMIT quitRequested();
        else
            QApplication::quit();
    });
    m_find = new QAction(tr("&Find models"), this);
    m_find->setShortcut(QKeySequence::Find);
    connect(m_find, &QAction::triggered, this, [this] {
        showPage(ModelsPage);
        m_browser->searchBox()->setFocus(Qt::ShortcutFocusReason);
        m_browser->searchBox()->selectAll();
    });
    const QStringList pageNames = {tr("&Models"), tr("&Transfers"), tr("&Providers")};
    for (int i = 0; i < pageNames.size(); ++i) {
        auto* a = new QAction(pageNames.at(i), this);
        a->setShortcut(QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)));
        connect(a, &QAction::triggered, this, [this, i] { showPage(Page(i)); });
        m_pageActions.append(a);
    }
    m_about = new QAction(tr("&About ModelFloat"), this);
    m_about->setMenuRole(QAction::AboutRole);
    connect(m_about, &QAction::triggered, this, [this] {
        auto* box = new QMessageBox(
            QMessageBox::NoIcon, tr("About ModelFloat"),
            tr("<h3>ModelFloat %1</h3><p>Keeps large AI models floating across storage "
               "providers: content-defined chunks, each kept on several providers, restored "
               "byte for byte.</p>")
                .arg(QApplication::applicationVersion()),
            QMessageBox::Ok, this);
        box->setIconPixmap(icon(QStringLiteral("modelfloat")).pixmap(64, 64));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_floatFiles);
    file->addAction(m_floatFolder);
    file->addAction(m_importHub);
    file->addSeparator();
    file->addAction(m_settings);
    file->addSeparator();
    file->addAction(m_quit);

    QMenu* model = menuBar()->addMenu(tr("M&odel"));
    model->addAction(m_browser->restoreAction());
    model->addAction(m_materialize);
    model->addAction(m_browser->verifyAction());
    model->addAction(m_browser->repairAction());
    model->addAction(m_browser->convertAction());
    model->addSeparator();
    model->addAction(m_browser->offloadAction());
    model->addAction(m_browser->pinAction());
    model->addMenu(m_browser->useInMenu());
    model->addSeparator();
    model->addAction(m_browser->copyCidAction());
    model->addAction(m_browser->copyChunkCidsAction());
    model->addAction(m_browser->copySourceAction());
    model->addAction(m_browser->showInProvidersAction());
    model->addSeparator();
    model->addAction(m_browser->removeAction());

    QMenu* transfers = menuBar()->addMenu(tr("&Transfers"));
    transfers->addAction(m_transfersView->pauseAllAction());
    transfers->addAction(m_transfersView->resumeAllAction());
    transfers->addSeparator();
    transfers->addAction(m_transfersView->clearFinishedAction());

    QMenu* providers = menuBar()->addMenu(tr("&Providers"));
    providers->addAction(m_providers->addAction());
    providers->addAction(m_providers->attachAction());
    providers->addAction(m_providers->editAction());
    providers->addAction(m_providers->testAction());
    providers->addAction(m_providers->removeAction());

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_find);
    view->addSeparator();
    view->addActions(m_pageActions);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_about);

    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setMovable(false);
    bar->addAction(m_floatFiles);
    bar->addAction(m_browser->restoreAction());
    bar->addAction(m_browser->verifyAction());
    bar->addAction(m_browser->removeAction());
    bar->addSeparator();
    bar->addAction(m_transfersView->pauseAllAction());
    bar->addAction(m_transfersView->resumeAllAction());
    bar->addSeparator();
    bar->addAction(m_settings);
}

void MainWindow::showPage(Page page)
{
    m_tabs->setCurrentIndex(int(page));
}

void MainWindow::vaultOpened(const QString& error)
{
    if (!error.isEmpty()) {
        statusBar()->showMessage(tr("The vault could not be opened: %1").arg(error));
        return;
    }
    openReader();
}

void MainWindow::attachOpenVault()
{
    openReader();
}

void MainWindow::openReader()
{
    QString error;
    // Views let go of the old reader before it goes.
    m_browser->setReader(nullptr);
    m_providers->setReader(nullptr);
    m_reader = VaultReader::open(m_engine->vaultDirectory(), &error);
    if (!m_reader) {
        statusBar()->showMessage(tr("The vault could not be read: %1").arg(error));
        return;
    }
    m_browser->setReader(m_reader.get());
    m_providers->setReader(m_reader.get());
    VaultStats stats = m_reader->registry().healthRows().stats();
    updateStats(stats);
    updateEmptyState();
    if (!m_pendingPaths.isEmpty()) {
        const QStringList paths = m_pendingPaths;
        m_pendingPaths.clear();
        floatPaths(paths);
    }
}

bool MainWindow::isShowingEmptyState() const
{
    return m_modelsStack->currentWidget() == m_empty;
}

void MainWindow::updateEmptyState()
{
    const bool empty = !m_reader || m_reader->catalog().modelCount() == 0;
    m_modelsStack->setCurrentWidget(empty ? static_cast<QWidget*>(m_empty) : m_browser);
    if (empty && m_reader)
        m_empty->setProviders(int(m_reader->registry().providerRows().providers().size()),
                              m_reader->registry().healthRows().wantedCopies());
}

void MainWindow::updateStats(const VaultStats& stats)
{
    m_lastStats = stats;
    if (!m_reader) {
        m_statsLabel->clear();
        return;
    }
    QStringList parts;
    parts.append(units::counted(stats.models, tr("1 model"), tr("%1 models")));
    parts.append(tr("%1 in files").arg(units::formatBytes(stats.logicalBytes)));
    parts.append(tr("%1 stored").arg(units::formatBytes(stats.storedBytes)));
    const qint64 saved = stats.dedupSavedBytes();
    if (saved > 0)
        parts.append(tr("dedup saved %1").arg(units::formatBytes(saved)));
    QStringList usage;
    const QHash<qint64, qint64> stored = m_reader->registry().healthRows().storedBytesByProvider();
    for (const ProviderRecord& p : m_reader->registry().providerRows().providers()) {
        const qint64 used = qMax(p.usedBytes, stored.value(p.id));
        usage.append(p.quotaBytes > 0 ? tr("%1 %2/%3")
                                            .arg(p.name, units::formatBytes(used),
                                                 units::formatBytes(p.quotaBytes))
                                      : tr("%1 %2").arg(p.name, units::formatBytes(used)));
    }
    if (!usage.isEmpty())
        parts.append(usage.join(QLatin1String(", ")));
    if (stats.unhealthyPlacements > 0)
        parts.append(
            units::counted(stats.unhealthyPlacements, tr("1 bad copy"), tr("%1 bad copies")));
    m_statsLabel->setText(parts.join(QStringLiteral("  ·  ")));
    // The long form, for when the bar is too narrow and for screen readers.
    m_statsLabel->setToolTip(
        tr("%1, %2 in their files, %3 after deduplication, %4 stored on providers counting "
           "every replica. Provider usage: %5. Missing or corrupt copies: %6.")
            .arg(units::counted(stats.models, tr("1 model"), tr("%1 models")),
                 units::formatBytes(stats.logicalBytes), units::formatBytes(stats.uniqueBytes),
                 units::formatBytes(stats.storedBytes), usage.join(QLatin1String(", ")))
            .arg(stats.unhealthyPlacements));
    m_statsLabel->setAccessibleDescription(m_statsLabel->toolTip());
}

void MainWindow::updateProgress()
{
    const TransfersModel::Overall o = m_transfersModel->overall();
    const int active = o.running + o.queued + o.paused;
    const int permille = o.permille();
    if (active == 0 || permille < 0) {
        m_progress->hide();
        setWindowTitle(tr("ModelFloat"));
        return;
    }
    m_progress->setValue(permille);
    // No speed until one is measured (ProgressMeter): not "0% · 0.0 B/s".
    const QString rate = o.bytesPerSecond > 0 ? units::formatRate(o.bytesPerSecond) : QString();
    m_progress->setFormat(rate.isEmpty() ? QStringLiteral("%p%") : QStringLiteral("%p% · ") + rate);
    m_progress->setToolTip(tr("%1 of %2 in %3")
                               .arg(units::formatBytes(o.doneBytes),
                                    units::formatBytes(o.totalBytes),
                                    units::counted(active, tr("1 transfer"), tr("%1 transfers"))));
    m_progress->show();
    setWindowTitle(tr("%1% — ModelFloat").arg(permille / 10));
}

QString MainWindow::statusText() const
{
    return m_statsLabel->text();
}

void MainWindow::chooseFiles()
{
    auto* dialog = new QFileDialog(this, tr("Float files"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::ExistingFiles);
    dialog->setNameFilters({tr("Model files (*.gguf *.safetensors *.bin *.pt *.pth *.onnx "
                               "*.json *.model)"),
                            tr("All files (*)")});
    dialog->setDirectory(
        QSettings()
            .value(LastFolderKey, QStandardPaths::writableLocation(QStandardPaths::HomeLocation))
            .toString());
    connect(dialog, &QFileDialog::filesSelected, this, [this](const QStringList& files) {
        if (!files.isEmpty())
            QSettings().setValue(LastFolderKey, QFileInfo(files.first()).absolutePath());
        floatPaths(files);
    });
    dialog->open();
}

void MainWindow::chooseFolder()
{
    auto* dialog = new QFileDialog(this, tr("Float a folder"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setDirectory(
        QSettings()
            .value(LastFolderKey, QStandardPaths::writableLocation(QStandardPaths::HomeLocation))
            .toString());
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString& folder) {
        if (folder.isEmpty())
            return;
        QSettings().setValue(LastFolderKey, folder);
        floatPaths({folder});
    });
    dialog->open();
}

void MainWindow::requestQuit()
{
    m_quitQuestion->ask();
}

QMessageBox* MainWindow::quitQuestion() const
{
    return m_quitQuestion->pending();
}

void MainWindow::floatPaths(const QStringList& paths)
{
    if (paths.isEmpty())
        return;
    if (!m_reader) {
        m_pendingPaths.append(paths);
        statusBar()->showMessage(tr("Waiting for the vault to open…"));
        return;
    }
    openFloatDialog(paths);
}

void MainWindow::openFloatDialog(const QStringList& paths)
{
    const DroppedFiles dropped = DroppedFiles::fromPaths(paths);
    if (!dropped.ok()) {
        explainRefusal(dropped.problem);
        return;
    }
    if (m_floatDialog) {
        explainRefusal(tr("Finish the open float dialog first."));
        m_floatDialog->raise();
        return;
    }
    showPage(ModelsPage);
    if (isMinimized() || !isVisible())
        showNormal();
    raise();
    activateWindow();
    if (const auto stopped = incompletemodels::matching(m_reader->registry(), dropped)) {
        offerResume(*stopped, dropped);
        return;
    }
    if (const auto damaged = damagedmodels::matching(m_reader->registry(), dropped)) {
        offerRepair(*damaged, dropped);
        return;
    }
    showFloatDialog(dropped);
}

void MainWindow::offerRepair(const ModelRecord& model, const DroppedFiles& dropped)
{
    // Not "already in the vault, choose another name": these look like the files of a model
    // short of copies, and its lost chunks can be read from them.
    if (m_repairOffer)
        return;
    m_repairOffer = new QMessageBox(
        QMessageBox::Question, tr("Repair from these files"),
        tr("“%1” is in the vault but short of copies, and these look like its files.")
            .arg(model.name),
        QMessageBox::NoButton, this);
    m_repairOffer->setInformativeText(
        tr("Their SHA-256 is compared with the model's first; only matching files are read. "
           "Or float them as a new model under another name."));
    QPushButton* repair =
        m_repairOffer->addButton(tr("Use these files to repair it"), QMessageBox::AcceptRole);
    QPushButton* asNew = m_repairOffer->addButton(tr("Float as new…"), QMessageBox::ActionRole);
    m_repairOffer->addButton(QMessageBox::Cancel);
    m_repairOffer->setDefaultButton(repair);
    m_repairOffer->setAttribute(Qt::WA_DeleteOnClose);
    m_repairOffer->setWindowModality(Qt::WindowModal);
    connect(m_repairOffer, &QMessageBox::buttonClicked, this,
            [this, model, dropped, repair, asNew](auto* button) {
                if (button == asNew)
                    QMetaObject::invokeMethod(
                        this, [this, dropped] { showFloatDialog(dropped); }, Qt::QueuedConnection);
                if (button != repair)
                    return;
                m_engine->repairModelFrom(model.id, dropped.paths);
                statusBar()->showMessage(tr("Repairing “%1” from the files…").arg(model.name),
                                         RefusalMessageMs);
            });
    m_repairOffer->open();
}

void MainWindow::offerResume(const ModelRecord& model, const DroppedFiles& dropped)
{
    if (incompletemodels::isBeingFloated(*m_engine, model.id)) {
        explainRefusal(tr("“%1” is being floated right now.").arg(model.name));
        return;
    }
    if (m_resumeOffer)
        return;
    m_resumeOffer =
        new QMessageBox(QMessageBox::Question, tr("Resume float"),
                        tr("“%1” was not floated to the end. Resume it?").arg(model.name),
                        QMessageBox::NoButton, this);
    m_resumeOffer->setInformativeText(
        tr("Chunks already stored are not sent again. Or float it as a new model under "
           "another name."));
    QPushButton* resume = m_resumeOffer->addButton(tr("Resume"), QMessageBox::AcceptRole);
    resume->setIcon(icon(QStringLiteral("resume")));
    QPushButton* asNew = m_resumeOffer->addButton(tr("Float as new…"), QMessageBox::ActionRole);
    m_resumeOffer->addButton(QMessageBox::Cancel);
    m_resumeOffer->setDefaultButton(resume);
    m_resumeOffer->setAttribute(Qt::WA_DeleteOnClose);
    m_resumeOffer->setWindowModality(Qt::WindowModal);
    connect(m_resumeOffer, &QMessageBox::buttonClicked, this,
            [this, model, dropped, resume, asNew](auto* button) {
                if (button == asNew) {
                    // After this question has closed, so that the dialog is the one shown.
                    QMetaObject::invokeMethod(
                        this, [this, dropped] { showFloatDialog(dropped); }, Qt::QueuedConnection);
                    return;
                }
                if (button != resume)
                    return;
                const QString why = incompletemodels::resume(*m_engine, model, dropped.paths);
                if (!why.isEmpty())
                    explainRefusal(why);
                else
                    statusBar()->showMessage(tr("Resuming “%1”…").arg(model.name),
                                             RefusalMessageMs);
            });
    m_resumeOffer->open();
}

void MainWindow::showFloatDialog(const DroppedFiles& dropped)
{
    if (!m_reader || m_floatDialog)
        return;
    VaultReader* reader = m_reader.get();
    RedundancyScheme wanted = Vault::redundancyIn(reader->registry());
    if (!wanted.isShards())
        wanted = RedundancyScheme::makeCopies(reader->registry().healthRows().wantedCopies());
    m_floatDialog = new FloatDialog(
        dropped, reader->registry().providerRows().providers(), wanted,
        [reader](const QString& name) {
            return reader->registry().modelRows().modelByName(name).has_value();
        },
        this);
    m_floatDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_floatDialog, &QDialog::accepted, this, [this] {
        const FloatRequest request = m_floatDialog->request();
        m_engine->floatFiles(request);
        statusBar()->showMessage(tr("Floating “%1”…").arg(request.modelName), RefusalMessageMs);
    });
    m_floatDialog->open();
}

void MainWindow::openHubImportDialog()
{
    if (!m_reader) {
        explainRefusal(tr("The vault is not open yet."));
        return;
    }
    if (m_hubImportDialog) {
        m_hubImportDialog->raise();
        m_hubImportDialog->activateWindow();
        return;
    }
    if (!m_hubClient) {
        m_hubNetwork = new QNetworkAccessManager(this);
        HubSettings settings = HubSettings::forVault(m_reader->registry());
        settings.token = qEnvironmentVariable("HF_TOKEN");
        m_hubClient = new HubClient(m_hubNetwork, settings, this);
    }
    showPage(ModelsPage);
    m_hubImportDialog = new HubImportDialog(m_hubClient, this);
    m_hubImportDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_hubImportDialog, &HubImportDialog::importRequested, this,
            [this](const HubImportDialog::Choice& c) {
                m_engine->importFromHub(c.repoId, c.commit, c.variants, c.modelName, c.totalBytes);
                statusBar()->showMessage(
                    tr("Importing “%1”…").arg(c.modelName.isEmpty() ? c.repoId : c.modelName),
                    RefusalMessageMs);
            });
    m_hubImportDialog->open();
}

void MainWindow::openMaterializeDialog()
{
    const QList<qint64> ids = m_browser->selectedModelIds();
    if (!m_reader || ids.isEmpty())
        return;
    if (m_materializeDialog) {
        m_materializeDialog->raise();
        m_materializeDialog->activateWindow();
        return;
    }
    const qint64 modelId = ids.first();
    const auto model = m_reader->registry().modelRows().model(modelId);
    if (!model)
        return;
    m_materializeDialog = new MaterializeDialog(model->name, model->source, this);
    m_materializeDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_materializeDialog, &MaterializeDialog::materializeRequested, this,
            [this, modelId](const MaterializeDialog::Choice& c) {
                m_engine->materializeModel(modelId, c.destination,
                                           c.layout == MaterializeDialog::Layout::HfCache
                                               ? MaterializeJob::Layout::HfCache
                                               : MaterializeJob::Layout::Plain);
                statusBar()->showMessage(tr("Materializing “%1”…").arg(c.modelName),
                                         RefusalMessageMs);
            });
    m_materializeDialog->open();
}

void MainWindow::explainRefusal(const QString& reason)
{
    m_overlay->showRefuse(reason, true);
    statusBar()->showMessage(reason, RefusalMessageMs);
}

void MainWindow::showRecoveryReport(const QString& summary, const QString& problems)
{
    statusBar()->clearMessage();
    delete m_recoveryReport; // an older report is replaced, not stacked
    auto* box = new QMessageBox(
        problems.isEmpty() ? QMessageBox::Information : QMessageBox::Warning,
        tr("Storage attached"),
        problems.isEmpty() ? tr("The models kept on your storage are in this vault now.")
                           : tr("Not everything kept on your storage could be taken in."),
        QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setInformativeText(summary);
    if (!problems.isEmpty())
        box->setDetailedText(problems);
    m_recoveryReport = box;
    box->open();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    // Accepted either way, so that the overlay can say why a drop would be refused and the
    // leave event comes to take it away.
    const QString refusal = quickRefusal(event->mimeData());
    if (refusal.isEmpty()) {
        const int n = int(event->mimeData()->urls().size());
        m_overlay->showAccept(
            units::counted(n, tr("Drop to float it"), tr("Drop to float these %1 items")));
    } else {
        m_overlay->showRefuse(refusal);
    }
    event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent* event)
{
    event->acceptProposedAction();
}

void MainWindow::dragLeaveEvent(QDragLeaveEvent* event)
{
    m_overlay->dismiss();
    event->accept();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QMimeData* mime = event->mimeData();
    event->acceptProposedAction();
    const QString refusal = quickRefusal(mime);
    if (!refusal.isEmpty()) {
        explainRefusal(refusal);
        return;
    }
    const DroppedFiles dropped = DroppedFiles::fromUrls(mime->urls());
    if (!dropped.ok()) {
        explainRefusal(dropped.problem);
        return;
    }
    m_overlay->dismiss();
    floatPaths(dropped.paths);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(GeometryKey, saveGeometry());
    settings.setValue(StateKey, saveState());
    QMainWindow::closeEvent(event);
}

} // namespace mf::ui
