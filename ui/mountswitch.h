#pragma once

#include <QObject>

#include <functional>

class QAction;

namespace mf {
class Engine;
}

namespace mf::ui {

// "Show floating models in the file manager" (issue 39), shared by Settings and the tray: the
// vault mounted read-only at a folder (~/ModelFloat unless changed) while the app runs, by the
// engine (Engine::setMount, the mount made on the engine thread by core/mount's MountSession).
// Turning it off, and quitting, unmount with MountDetach, which never blocks the GUI thread.
// Where FUSE is missing it says so and stays off. The choice and the folder are kept in the
// app's settings and applied at the next start.
class MountSwitch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MountSwitch)

public:
    static constexpr const char* EnabledKey = "mount/enabled";
    static constexpr const char* FolderKey = "mount/folder";

    explicit MountSwitch(Engine* engine, QObject* parent = nullptr);

    // Checkable; toggling it turns the mount on or off.
    QAction* toggleAction() const { return m_toggle; }
    // Opens the folder in the file manager; enabled while mounted.
    QAction* openAction() const { return m_open; }

    static QString defaultFolder(); // ~/ModelFloat
    QString folder() const { return m_folder; }
    void setFolder(const QString& folder); // used from the next time it is turned on
    bool isMounted() const { return m_mounted; }
    // Why it is not mounted, in words (empty: no problem).
    QString problem() const { return m_problem; }
    void setOn(bool on);
    // Unmounts (without blocking) if mounted, then calls `then`: the app's quit.
    void detachThen(std::function<void()> then);

    // Why a FUSE mount cannot work here (no `device`, or no fusermount3 for a user who is not
    // root), in words; empty when it can.
    static QString fuseProblem(const QString& device = QStringLiteral("/dev/fuse"));

Q_SIGNALS:
    void changed();

private:
    void onMountChanged(bool mounted, const QString& directory, const QString& error);
    void detach(std::function<void()> then);
    void update();

    Engine* m_engine;
    QAction* m_toggle;
    QAction* m_open;
    QString m_folder;
    bool m_wanted = false;
    bool m_mounted = false;
    bool m_detaching = false;
    QString m_problem;
};

} // namespace mf::ui
