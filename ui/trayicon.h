#pragma once

#include "engine/syncstatus.h"
#include "transfer/transferinfo.h"

#include <QObject>
#include <QSystemTrayIcon>

class QAction;
class QMenu;

namespace mf {
class Engine;
}

namespace mf::ui {

class TransfersModel;

// The app's presence in the system tray: an icon for its state (idle, working, error), a
// tooltip with the overall progress, a menu (Open, Pause all, Resume all, Quit) and a
// notification when a float, restore or verify finishes or fails.
class TrayIcon final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayIcon)

public:
    enum class Status { Idle, Working, Error };

    TrayIcon(Engine* engine, TransfersModel* transfers, QObject* parent = nullptr);
    ~TrayIcon() override;

    static bool isAvailable() { return QSystemTrayIcon::isSystemTrayAvailable(); }
    void show();
    void hide();
    bool isVisible() const;

    Status status() const { return m_status; }
    QString toolTip() const;
    QSystemTrayIcon* systemTrayIcon() const { return m_tray; }
    QMenu* menu() const { return m_menu; }
    QAction* openAction() const { return m_open; }
    QAction* pauseAllAction() const { return m_pauseAll; }
    QAction* resumeAllAction() const { return m_resumeAll; }
    // Checked: background sync (scrub, repair, drains) is paused.
    QAction* pauseSyncAction() const { return m_pauseSync; }
    QAction* checkNowAction() const { return m_checkNow; }
    QAction* nextCheckAction() const { return m_nextCheck; } // says when; not clickable
    QAction* quitAction() const { return m_quit; }
    // "Free up space…", shown after the low-disk notice -> freeUpSpaceRequested.
    QAction* freeUpSpaceAction() const { return m_freeUpSpace; }
    // The mount's switch and "Open in file manager" (MountSwitch), before Quit.
    void addMountActions(QAction* toggle, QAction* open);
    // A failed transfer marks the icon until the user has looked (opened the window), or until
    // the problem is gone: the transfer retried or removed, or a later repair or verify of the
    // same model (of the vault, for one of no model) succeeded.
    void acknowledgeErrors();

    // Shows a notification (also emitted as messageShown, which tests and logs can follow).
    void notify(const QString& title, const QString& text, bool isError);

Q_SIGNALS:
    void openRequested();
    void quitRequested();
    void freeUpSpaceRequested();
    void messageShown(const QString& title, const QString& text);

private:
    // What the degraded models are short of, in the words of their schemes.
    static QString shortOf(const mf::SyncStatus& s);
    void update();
    void onTransferChanged(const mf::TransferInfo& info);
    void notifyVerified(const mf::TransferInfo& info);

    Engine* m_engine;
    TransfersModel* m_transfers;
    QSystemTrayIcon* m_tray;
    QMenu* m_menu;
    QAction* m_open;
    QAction* m_pauseAll;
    QAction* m_resumeAll;
    QAction* m_pauseSync;
    QAction* m_checkNow;
    QAction* m_nextCheck;
    QAction* m_quit;
    QAction* m_freeUpSpace;
    QAction* m_mountSeparator;
    Status m_status = Status::Idle;
    void forgetFailure(qint64 transferId);
    // The failures not seen yet: transfer id -> the model it was about (0: none, or the vault).
    QHash<qint64, qint64> m_unseenFailures;
    QHash<qint64, TransferInfo::State> m_lastState; // to notify once per finish
};

} // namespace mf::ui
