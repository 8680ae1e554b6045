#pragma once

#include <QMessageBox>
#include <QPointer>
#include <QStyledItemDelegate>
#include <QUrl>
#include <QWidget>

class QAction;
class QSplitter;
class QTreeView;
class QToolBar;

namespace mf {
class Engine;
}

namespace mf::ui {

class SpeedGraph;
class TransferDetails;
class TransfersModel;

// Draws a transfer's progress as a bar with its bytes, rate and ETA written on it, on one line:
// a text wider than the bar is elided (the row's tooltip has it whole), never wrapped or cut.
class TransferProgressDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransferProgressDelegate)

public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    // The text written on a bar of `barWidth` pixels: `text`, elided to fit.
    static QString fittedText(const QString& text, const QFontMetrics& metrics, int barWidth);
    // A width that holds a running transfer's whole text in `metrics` ("1023.9 MiB of …"), and
    // a transfer's that finished today.
    static int typicalWidth(const QFontMetrics& metrics);
};

// The transfers page: a speed graph of the last minutes; one row per transfer with its progress
// bar and state, and the actions pause, resume, cancel and retry for the selected transfers or
// for all, and clear finished; a finished restore's folder opens in the file manager; the
// selected transfer's details below the list.
class TransfersView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransfersView)

public:
    TransfersView(Engine* engine, TransfersModel* model, QWidget* parent = nullptr);

    QTreeView* view() const { return m_view; }
    QAction* pauseAction() const { return m_pause; }
    QAction* resumeAction() const { return m_resume; }
    QAction* cancelAction() const { return m_cancel; }
    QAction* retryAction() const { return m_retry; }
    QAction* openFolderAction() const { return m_openFolder; }
    // The folder "Open folder" opens: the selected finished restore's destination (empty: none).
    QUrl folderToOpen() const;
    // What "Open folder" shows when no file manager opened the folder (null: nothing shown).
    QMessageBox* folderNote() const { return m_folderNote; }
    // The question Cancel asks before ending a big float (null: none open).
    QMessageBox* cancelQuestion() const { return m_cancelQuestion; }
    QAction* pauseAllAction() const { return m_pauseAll; }
    QAction* resumeAllAction() const { return m_resumeAll; }
    QAction* clearFinishedAction() const { return m_clear; }
    TransferDetails* details() const { return m_details; }
    SpeedGraph* speedGraph() const { return m_speed; }
    // Adds the rates of now to the speed graph (a timer does, once a second).
    void sampleSpeed();

private:
    QList<qint64> selectedIds(int state) const; // state: TransferInfo::State as int
    void updateActions();
    void showContextMenu(const QPoint& pos);
    // The details panel follows the selected transfer (one selected row, or none).
    void updateDetails();
    void showFolderPath(const QString& path);
    void cancelSelected();

    Engine* m_engine;
    TransfersModel* m_model;
    QTreeView* m_view;
    QToolBar* m_toolBar;
    SpeedGraph* m_speed;
    TransferDetails* m_details;
    QSplitter* m_splitter;
    QAction* m_pause;
    QAction* m_resume;
    QAction* m_cancel;
    QAction* m_retry;
    QAction* m_openFolder;
    QAction* m_pauseAll;
    QAction* m_resumeAll;
    QAction* m_clear;
    QPointer<QMessageBox> m_folderNote;
    QPointer<QMessageBox> m_cancelQuestion;
};

} // namespace mf::ui
