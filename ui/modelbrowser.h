#pragma once

#include <QMessageBox>
#include <QPointer>
#include <QSet>
#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QMenu;
class QPushButton;
class QSplitter;
class QTableView;
class QTimer;

namespace mf {
class Engine;
}

namespace mf::ui {

class AppStoreOffer;
class AppUseActions;
class ModelDetails;
class ModelFilterProxy;
class ModelListModel;
class VaultReader;

// The Models page: a search box, the table of models (sorted and filtered by a proxy) and the
// details pane of the selection. Its actions (restore to…, verify, remove, copy, show in
// providers) act on every selected model and are shared with the window's menus and toolbar.
// Questions are asked with window-modal dialogs opened asynchronously, never exec().
class ModelBrowser final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelBrowser)

public:
    ModelBrowser(Engine* engine, QWidget* parent = nullptr);

    void setReader(VaultReader* reader);
    // The engine said so: re-read one model (changes are gathered for a moment first).
    void modelChanged(qint64 modelId);
    void modelRemoved(qint64 modelId);
    void providersChanged();
    // An action of the window's that acts on the selected models (e.g. Materialize): shown in
    // the context menu after Restore and enabled with the selection like the browser's own.
    void addModelAction(QAction* action);

    QList<qint64> selectedModelIds() const;
    // The low-disk notice's "Free up space…": the models with copies on this computer
    // selected, and the Free up space question asked about them.
    void freeUpSpace();
    void selectModel(qint64 modelId);

    ModelListModel* model() const { return m_model; }
    ModelFilterProxy* proxy() const { return m_proxy; }
    QTableView* view() const { return m_view; }
    QLineEdit* searchBox() const { return m_search; }
    QPushButton* checkNowButton() const { return m_checkNow; }
    QLabel* nextCheckLabel() const { return m_nextCheck; }
    ModelDetails* details() const { return m_details; }
    // The open "remove?" question, if any (tests answer it).
    QMessageBox* pendingQuestion() const { return m_question; }

    QAction* restoreAction() const { return m_restore; }
    QAction* verifyAction() const { return m_verify; }
    QAction* repairAction() const { return m_repair; }
    // "Change redundancy…": one model from copies to shards or back (ConvertDialog).
    QAction* convertAction() const { return m_convert; }
    QAction* removeAction() const { return m_remove; }
    // "Free up space…" (with a question) and "Keep on this computer" (core/offload).
    QAction* offloadAction() const { return m_offload; }
    QAction* pinAction() const { return m_pin; }
    // "Use in ▸" (Ollama, LM Studio, ...), and the line that says what the last one did.
    QMenu* useInMenu() const;
    QLabel* appUseNotice() const;
    // The banner offering to float the models other apps keep (issue 38's first-run offer).
    AppStoreOffer* storeOffer() const { return m_storeOffer; }
    QAction* copyCidAction() const { return m_copyCid; } // the models' IPFS CIDs
    QAction* copyChunkCidsAction() const { return m_copyChunkCids; }
    QAction* copySourceAction() const { return m_copySource; }
    QAction* showInProvidersAction() const { return m_showInProviders; }
    // For models a float left incomplete: go on from the chunks already stored, or remove
    // the model (as Remove does: chunks other models share stay).
    QAction* resumeAction() const { return m_resume; }
    QAction* discardAction() const { return m_discard; }

Q_SIGNALS:
    // "Show in providers": the providers holding chunks of the selection, by name.
    void showProvidersRequested(const QStringList& providerNames);
    void selectionCountChanged(int count);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void applyChanges();
    void updateActions();
    void updateIncompleteActions();
    void showSelection();
    void showContextMenu(const QPoint& pos);
    void askRestore();
    // `discard`: the selection is unfinished models (the question says so).
    void askRemove(bool discard = false);
    void askOffload();
    void pinSelected();
    void resumeSelected();
    // The selected models a float left incomplete and nothing writes now.
    QList<qint64> stoppedIncompleteSelection() const;
    void verifySelected();
    void repairSelected();
    void askConvert();
    void copyModelCids();
    void copyChunkCids();
    void copySources();
    void showInProviders();

    Engine* m_engine;
    VaultReader* m_reader = nullptr;
    ModelListModel* m_model;
    ModelFilterProxy* m_proxy;
    QLineEdit* m_search;
    QPushButton* m_checkNow = nullptr; // "Check everything now"
    QLabel* m_nextCheck = nullptr;     // when the background check runs next
    QTimer* m_searchDelay;
    QTimer* m_changeDelay;
    QSet<qint64> m_changed; // models to read again when m_changeDelay fires
    QTableView* m_view;
    ModelDetails* m_details;
    QSplitter* m_splitter;
    QPointer<QMessageBox> m_question; // clears itself when the question closes
    QAction* m_restore;
    QAction* m_verify;
    QAction* m_repair;
    QAction* m_convert;
    QAction* m_remove;
    QAction* m_offload;
    QAction* m_pin;
    AppUseActions* m_appUse;
    AppStoreOffer* m_storeOffer;
    QAction* m_copyCid;
    QAction* m_copyChunkCids;
    QAction* m_copySource;
    QAction* m_showInProviders;
    QAction* m_resume;
    QAction* m_discard;
    QList<QAction*> m_modelActions; // added by the window
};

} // namespace mf::ui
