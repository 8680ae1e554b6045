#pragma once

#include "floatdialog.h"
#include "hubimportdialog.h"
#include "materializedialog.h"
#include "registry/records.h"

#include <QMainWindow>
#include <QMessageBox>
#include <QPointer>

#include <memory>

class QAction;
class QLabel;
class QNetworkAccessManager;
class QProgressBar;
class QStackedWidget;
class QTabWidget;

namespace mf {
class Engine;
class HubClient;
} // namespace mf

namespace mf::ui {

class DropOverlay;
class EmptyState;

class ModelBrowser;
class ProvidersPage;
class QuitQuestion;
class RestoreConflictPrompt;
class TransfersModel;
class TransfersView;
class VaultReader;

// The main window: Models (browser and details, or the first-run empty state), Transfers and
// Providers pages; menus, toolbar and shortcuts; vault totals and overall progress in the status
// bar and the title. Files dropped anywhere on it, passed on the command line or handed over by
// a second instance go through floatPaths(). It reads the vault through its own read-only
// connections (VaultReader), opened when the Engine reports the vault open; every change goes
// through the Engine.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(Engine* engine, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Float these local files or folders: asks with the float dialog, or explains in place why
    // they cannot be floated. Before the vault is open, they wait for it.
    void floatPaths(const QStringList& paths);

    // Reads the Engine's vault now. Only needed when the Engine reported opened() before this
    // window existed; otherwise the window follows Engine::opened by itself.
    void attachOpenVault();

    enum Page { ModelsPage, TransfersPage, ProvidersPageIndex };
    void showPage(Page page);

    Engine* engine() const { return m_engine; }
    TransfersModel* transfersModel() const { return m_transfersModel; }
    ModelBrowser* browser() const { return m_browser; }
    ProvidersPage* providersPage() const { return m_providers; }
    TransfersView* transfersView() const { return m_transfersView; }
    RestoreConflictPrompt* restoreConflictPrompt() const { return m_restoreConflicts; }
    DropOverlay* dropOverlay() const { return m_overlay; }
    EmptyState* emptyState() const { return m_empty; }
    FloatDialog* floatDialog() const { return m_floatDialog; }
    QProgressBar* overallProgress() const { return m_progress; } // the status bar's
    VaultReader* reader() const { return m_reader.get(); }
    bool isShowingEmptyState() const;
    QString statusText() const;

    QAction* floatFilesAction() const { return m_floatFiles; }
    QAction* importHubAction() const { return m_importHub; }
    QAction* materializeAction() const { return m_materialize; }
    HubImportDialog* hubImportDialog() const { return m_hubImportDialog; }
    MaterializeDialog* materializeDialog() const { return m_materializeDialog; }
    // What attaching storage found (Engine::catalogRecovered), while it is shown.
    QMessageBox* recoveryReport() const { return m_recoveryReport; }
    // "Resume the float this drop repeats?", while it is asked.
    QMessageBox* resumeOffer() const { return m_resumeOffer; }
    // The offer to repair a model short of copies from the files dropped (they look like its).
    QMessageBox* repairOffer() const { return m_repairOffer; }
    QAction* settingsAction() const { return m_settings; }
    QAction* quitAction() const { return m_quit; }
    // File > Quit, and the tray's: asks first while transfers run, then quitRequested().
    void requestQuit();
    // The open "quit while transfers run?" question, if any (tests answer it).
    QMessageBox* quitQuestion() const;

Q_SIGNALS:
    void settingsRequested(); // File > Settings…: the app shows its settings dialog
    // Quit was asked for and, if transfers run, confirmed (when connected; otherwise the
    // application quits)
    void quitRequested();

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenus();
    void vaultOpened(const QString& error);
    void openReader();
    void updateEmptyState();
    void updateStats(const VaultStats& stats);
    void updateProgress();
    void chooseFiles();
    void chooseFolder();
    void openFloatDialog(const QStringList& paths);
    void showFloatDialog(const DroppedFiles& dropped);
    // The drop repeats a float that stopped before the end: resume it rather than refuse the
    // name (or float it as a new model).
    void offerResume(const ModelRecord& model, const DroppedFiles& dropped);
    void offerRepair(const ModelRecord& model, const DroppedFiles& dropped);
    void openHubImportDialog();
    void openMaterializeDialog();
    void explainRefusal(const QString& reason);
    void showRecoveryReport(const QString& summary, const QString& problems);

    Engine* m_engine;
    std::unique_ptr<VaultReader> m_reader;
    TransfersModel* m_transfersModel;
    QTabWidget* m_tabs;
    QStackedWidget* m_modelsStack;
    EmptyState* m_empty;
    ModelBrowser* m_browser;
    TransfersView* m_transfersView;
    RestoreConflictPrompt* m_restoreConflicts; // asks what to do with files already there
    ProvidersPage* m_providers;
    DropOverlay* m_overlay;
    QPointer<FloatDialog> m_floatDialog; // clears itself when the dialog closes (deletes itself)
    QPointer<HubImportDialog> m_hubImportDialog;
    QPointer<MaterializeDialog> m_materializeDialog;
    QPointer<QMessageBox> m_recoveryReport;
    QPointer<QMessageBox> m_resumeOffer;
    QPointer<QMessageBox> m_repairOffer;
    QuitQuestion* m_quitQuestion;
    QString m_lastCatalogProblem; // a catalog sync problem is said once while it lasts
    // The import dialog's view of the Hub (anonymous or $HF_TOKEN; the import itself runs in
    // the Engine with the vault's token): made on first use for the open vault's endpoint.
    QNetworkAccessManager* m_hubNetwork = nullptr;
    HubClient* m_hubClient = nullptr;
    QLabel* m_statsLabel;
    QProgressBar* m_progress;
    QStringList m_pendingPaths; // dropped before the vault was open
    VaultStats m_lastStats;

    QAction* m_floatFiles = nullptr;
    QAction* m_floatFolder = nullptr;
    QAction* m_importHub = nullptr;
    QAction* m_materialize = nullptr;
    QAction* m_settings = nullptr;
    QAction* m_quit = nullptr;
    QAction* m_find = nullptr;
    QAction* m_about = nullptr;
    QList<QAction*> m_pageActions;
};

} // namespace mf::ui
