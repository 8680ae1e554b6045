#pragma once

#include "chunking/redundancyscheme.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;
class QLabel;
class QPushButton;

namespace mf {
struct ApiServerStatus;
class Engine;
class Registry;
} // namespace mf

namespace mf::ui {

class MountSwitch;
class RedundancyBox;

// Settings: the vault's replication factor, chunker and durability (kept in the vault, changed
// through the Engine), and this computer's preferences (kept in QSettings): transfers at once,
// bandwidth limits, tray and login behaviour, where the vault lives.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    struct Values
    {
        RedundancyScheme redundancy; // the vault's (Vault::redundancy())
        int providers = 0;           // the vault's that take new copies
        QString chunker;             // ChunkerParams::toString()
        bool flushWrites = true;     // the vault's durability (Vault::flushWrites())
        int concurrency = 2;
        qint64 uploadLimit = 0; // bytes per second, 0: none
        qint64 downloadLimit = 0;
        bool startMinimized = false;
        bool startAtLogin = false;
        // Background sync: paused from the tray; heavy work on a metered network or battery.
        bool syncPaused = false;
        bool syncOnMetered = false;
        bool syncOnBattery = false;
        QString vaultDirectory; // empty: the default
        // The local HTTP API (docs/api.md): off until the user turns it on.
        bool apiEnabled = false;
        int apiPort = 8765;
        // Its Hugging Face endpoints answer without the token (an explicit choice).
        bool apiHubWithoutToken = false;
        // What it listens on: 127.0.0.1 (this computer only) unless the user chose another.
        QString apiAddress = QStringLiteral("127.0.0.1");
    };

    // The current values: this computer's from QSettings, the vault's from `registry` (a
    // read-only connection; null leaves the defaults).
    static Values load(Registry* registry);
    // Hands this computer's transfer settings to a newly opened Engine.
    static void applyStored(Engine* engine);
    // Background sync paused or resumed (the tray's one click): saved, and told to the Engine.
    static void setSyncPaused(Engine* engine, bool paused);
    // The vault folder to open: --vault, else the setting, else Vault::defaultDirectory().
    static QString storedVaultDirectory();

    // `mount`: the file manager switch's row (MountBox), when the app has one.
    SettingsDialog(Engine* engine, const Values& current, QWidget* parent = nullptr,
                   MountSwitch* mount = nullptr);
    Values values() const;

    // Saves, and tells the Engine what changed; stays open with a message on bad input.
    void accept() override;

Q_SIGNALS:
    void vaultDirectoryChanged(const QString& directory); // takes effect on the next start

private:
    void browseVault();
    void showApiStatus(const ApiServerStatus& status);

    Engine* m_engine;
    Values m_initial;
    RedundancyBox* m_redundancy;
    QComboBox* m_chunker;
    QSpinBox* m_concurrency;
    QSpinBox* m_upload;   // MiB/s
    QSpinBox* m_download; // MiB/s
    QCheckBox* m_startMinimized;
    QCheckBox* m_startAtLogin;
    QCheckBox* m_flushWrites;
    QCheckBox* m_syncOnMetered;
    QCheckBox* m_syncOnBattery;
    QLineEdit* m_vault;
    QLabel* m_message;
    QCheckBox* m_api;
    QSpinBox* m_apiPort;
    QLineEdit* m_apiAddress;
    QLabel* m_apiAddressWarning; // shown while the address reaches beyond this computer
    QCheckBox* m_apiHubOpen;
    QLabel* m_apiStatus;
    QPushButton* m_copyToken;
    QString m_apiToken; // the running server's, for "Copy token"
    // The web page: a one-time sign-in link (copied, and shown to open), every browser out.
    QPushButton* m_webSignIn;
    QPushButton* m_webSignOut;
    QLabel* m_webLink;
    QLabel* m_webQr; // the link as a QR code, for a phone's camera
};

} // namespace mf::ui
