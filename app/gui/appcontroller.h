#pragma once

#include <QObject>
#include <QStringList>

#include <memory>

namespace mf {
class Engine;
}

namespace mf::ui {
class MainWindow;
class MountSwitch;
class SingleInstance;
class TransfersModel;
class TrayIcon;
} // namespace mf::ui

namespace mf::app {

class QuitSignals;

struct LaunchOptions
{
    QStringList files; // absolute paths to float
    bool minimized = false;
    QString vaultDirectory;
};

// The desktop app's life: one instance per user and vault (a later launch hands its files over
// and ends), the Engine, the main window and the tray. Closing the window keeps transfers
// running in the tray (said once); without a tray, closing quits. Quit (the menu, the tray, or
// closing without a tray) asks first if work is running (it resumes on the next start). SIGTERM,
// SIGINT, SIGHUP and the end of the desktop session quit the same way as Quit, without asking.
class AppController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AppController)

public:
    explicit AppController(LaunchOptions options, QObject* parent = nullptr);
    ~AppController() override;

    void start();
    ui::MainWindow* window() const { return m_window.get(); }
    ui::TrayIcon* tray() const { return m_tray; }
    Engine* engine() const { return m_engine.get(); }
    ui::MountSwitch* mountSwitch() const { return m_mount; }

    // Closes everything and ends the event loop. Work in progress stays queued in the vault; the
    // vault itself, the window and the single-instance socket close when this object goes.
    void quit();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void startPrimary();
    void activate(const QStringList& files);
    void showWindow();
    void showSettings();
    // Quit from the menu or the tray: asks first while transfers run (MainWindow::requestQuit).
    void requestQuit();

    LaunchOptions m_options;
    QuitSignals* m_quitSignals = nullptr;
    ui::SingleInstance* m_instance = nullptr;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<ui::MainWindow> m_window;
    ui::TransfersModel* m_trayTransfers = nullptr;
    ui::TrayIcon* m_tray = nullptr;
    ui::MountSwitch* m_mount = nullptr; // "Show floating models in the file manager"
    bool m_quitting = false;
};

} // namespace mf::app
