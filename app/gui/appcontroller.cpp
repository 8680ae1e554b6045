#include "appcontroller.h"

#include "engine/engine.h"
#include "mainwindow.h"
#include "modelbrowser.h"
#include "mountswitch.h"
#include "quitsignals.h"
#include "settingsdialog.h"
#include "singleinstance.h"
#include "transfersmodel.h"
#include "trayicon.h"
#include "vaultreader.h"

#include <QApplication>
#include <QCloseEvent>
#include <QMessageBox>
#include <QSessionManager>
#include <QSettings>

namespace mf::app {

namespace {
const QString CloseHintKey = QStringLiteral("tray/closeHintShown");
}

AppController::AppController(LaunchOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{}

AppController::~AppController()
{
    // The window uses the Engine: it goes first. The Engine then stops its thread.
    m_window.reset();
    delete m_tray;
    m_tray = nullptr;
    m_engine.reset();
}

void AppController::start()
{
    // A signal or the session's end is a Quit: queued work resumes on the next start. Whatever
    // ends the event loop (quit() or another QCoreApplication::quit()), closing the window then
    // quits rather than hiding to the tray or asking.
    m_quitSignals = new QuitSignals(this);
    connect(m_quitSignals, &QuitSignals::quitRequested, this, &AppController::quit);
    // After the session manager has asked us to save, it may end us at any moment (and logind
    // sends SIGTERM): stop now, while the vault can still close cleanly. No dialog: nobody may
    // be there to answer it.
    connect(qApp, &QGuiApplication::commitDataRequest, this, [this](QSessionManager&) { quit(); });
    connect(qApp, &QCoreApplication::aboutToQuit, this, [this] { m_quitting = true; });
    m_instance = new ui::SingleInstance(m_options.vaultDirectory, this);
    connect(m_instance, &ui::SingleInstance::primary, this, &AppController::startPrimary);
    connect(m_instance, &ui::SingleInstance::handedOff, this, [] { QCoreApplication::exit(0); });
    connect(m_instance, &ui::SingleInstance::activated, this, &AppController::activate);
    connect(m_instance, &ui::SingleInstance::failed, this, [this](const QString& error) {
        // Without the hand-off the app still works; it just cannot receive other launches.
        qWarning("%s", qPrintable(error));
        if (!m_engine)
            startPrimary();
    });
    m_instance->start(m_options.files);
}

void AppController::startPrimary()
{
    QApplication::setQuitOnLastWindowClosed(false); // the tray keeps the app alive
    m_engine = std::make_unique<Engine>();
    ui::SettingsDialog::applyStored(m_engine.get());
    m_mount = new ui::MountSwitch(m_engine.get(), this); // mounts once the vault is open
    m_window = std::make_unique<ui::MainWindow>(m_engine.get());
    m_window->installEventFilter(this);
    connect(m_window.get(), &ui::MainWindow::quitRequested, this, &AppController::quit);
    connect(m_window.get(), &ui::MainWindow::settingsRequested, this, &AppController::showSettings);

    if (ui::TrayIcon::isAvailable()) {
        m_trayTransfers = new ui::TransfersModel(m_engine.get(), this);
        m_tray = new ui::TrayIcon(m_engine.get(), m_trayTransfers);
        connect(m_tray, &ui::TrayIcon::openRequested, this, &AppController::showWindow);
        connect(m_tray, &ui::TrayIcon::quitRequested, this, &AppController::requestQuit);
        connect(m_tray, &ui::TrayIcon::freeUpSpaceRequested, this, [this] {
            showWindow();
            m_window->browser()->freeUpSpace();
        });
        m_tray->addMountActions(m_mount->toggleAction(), m_mount->openAction());
        m_tray->show();
    }
    m_engine->open(m_options.vaultDirectory);
    const bool minimized = m_options.minimized || ui::SettingsDialog::load(nullptr).startMinimized;
    if (!minimized || !m_tray)
        showWindow();
    if (!m_options.files.isEmpty())
        activate(m_options.files);
}

void AppController::activate(const QStringList& files)
{
    if (!m_window)
        return;
    showWindow();
    if (!files.isEmpty())
        m_window->floatPaths(files);
}

void AppController::showWindow()
{
    if (!m_window)
        return;
    if (m_window->isMinimized())
        m_window->showNormal();
    else
        m_window->show();
    m_window->raise();
    m_window->activateWindow();
}

void AppController::showSettings()
{
    ui::VaultReader* reader = m_window ? m_window->reader() : nullptr;
    auto* dialog = new ui::SettingsDialog(
        m_engine.get(), ui::SettingsDialog::load(reader ? &reader->registry() : nullptr),
        m_window.get(), m_mount);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ui::SettingsDialog::vaultDirectoryChanged, this, [this] {
        auto* box = new QMessageBox(QMessageBox::Information, tr("Vault folder"),
                                    tr("The new vault folder is used from the next start."),
                                    QMessageBox::Ok, m_window.get());
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    dialog->open(); // not exec(): no nested event loop
}

bool AppController::eventFilter(QObject* watched, QEvent* event)
{
    if (watched != m_window.get() || event->type() != QEvent::Close || m_quitting)
        return QObject::eventFilter(watched, event);
    if (m_tray && m_tray->isVisible()) {
        // The window hides; transfers go on in the tray.
        QSettings settings;
        if (!settings.value(CloseHintKey, false).toBool()) {
            settings.setValue(CloseHintKey, true);
            m_tray->notify(tr("ModelFloat is still running"),
                           tr("Transfers go on in the background. Use Quit in the tray menu to "
                              "end the app."),
                           false);
        }
        return false; // MainWindow::closeEvent saves its layout and hides
    }
    if (m_engine && m_engine->isBusy()) {
        event->ignore();
        requestQuit();
        return true;
    }
    QMetaObject::invokeMethod(this, &AppController::quit, Qt::QueuedConnection);
    return false;
}

void AppController::requestQuit()
{
    if (!m_window) {
        quit();
        return;
    }
    // The question is asked in the window: from the tray, it comes to the front first.
    if (m_engine && m_engine->isBusy())
        showWindow();
    m_window->requestQuit(); // -> quitRequested -> quit(), once confirmed
}

void AppController::quit()
{
    if (m_quitting)
        return;
    m_quitting = true;
    if (m_tray)
        m_tray->hide();
    if (m_window)
        m_window->close();
    // The mount goes first, from this thread without waiting (MountDetach), then the loop ends.
    if (m_mount)
        m_mount->detachThen([] { QCoreApplication::exit(0); });
    else
        QCoreApplication::exit(0);
}

} // namespace mf::app
