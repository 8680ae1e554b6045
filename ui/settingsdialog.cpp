#include "settingsdialog.h"

#include "autostart.h"
#include "chunking/chunkerparams.h"
#include "engine/engine.h"
#include "recoverykeybox.h"
#include "redundancybox.h"
#include "registry/registry.h"
#include "vault/vault.h"
#include "watchedfoldersbox.h"

#include "keeponscreen.h"
#include "mountbox.h"
#include "qrimage.h"
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>

#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include <optional>

namespace mf::ui {

namespace {

const QString ConcurrencyKey = QStringLiteral("transfers/concurrency");
const QString UploadKey = QStringLiteral("transfers/uploadLimit");
const QString DownloadKey = QStringLiteral("transfers/downloadLimit");
const QString MinimizedKey = QStringLiteral("tray/startMinimized");
const QString VaultKey = QStringLiteral("vault/directory");
const QString SyncPausedKey = QStringLiteral("sync/paused");
const QString SyncMeteredKey = QStringLiteral("sync/onMeteredNetwork");
const QString SyncBatteryKey = QStringLiteral("sync/onBattery");
const QString ApiEnabledKey = QStringLiteral("api/enabled");
const QString ApiPortKey = QStringLiteral("api/port");
const QString ApiHubOpenKey = QStringLiteral("api/hubWithoutToken");
const QString ApiAddressKey = QStringLiteral("api/address");

// The listen address the user typed, if it is an IP address.
std::optional<QHostAddress> listenAddress(const QString& text)
{
    QHostAddress address;
    if (!address.setAddress(text.trimmed()))
        return std::nullopt;
    return address;
}
// The vault's own settings, as core/vault/vault.cpp names them in the registry.
const QString ChunkerSetting = QStringLiteral("chunker");
constexpr qint64 MiBps = 1024 * 1024;

} // namespace

SettingsDialog::Values SettingsDialog::load(Registry* registry)
{
    Values v;
    QSettings s;
    v.concurrency = qBound(1, s.value(ConcurrencyKey, 2).toInt(), 16);
    v.uploadLimit = qMax<qint64>(0, s.value(UploadKey, 0).toLongLong());
    v.downloadLimit = qMax<qint64>(0, s.value(DownloadKey, 0).toLongLong());
    v.startMinimized = s.value(MinimizedKey, false).toBool();
    v.startAtLogin = autostart::isEnabled();
    v.vaultDirectory = s.value(VaultKey).toString();
    v.syncPaused = s.value(SyncPausedKey, false).toBool();
    v.syncOnMetered = s.value(SyncMeteredKey, false).toBool();
    v.syncOnBattery = s.value(SyncBatteryKey, false).toBool();
    v.apiEnabled = s.value(ApiEnabledKey, false).toBool();
    v.apiPort = qBound(1, s.value(ApiPortKey, 8765).toInt(), 65535);
    v.apiHubWithoutToken = s.value(ApiHubOpenKey, false).toBool();
    // An address stored by hand that is none is not listened on: this computer only, then.
    v.apiAddress = s.value(ApiAddressKey, v.apiAddress).toString();
    if (!listenAddress(v.apiAddress))
        v.apiAddress = QStringLiteral("127.0.0.1");
    v.chunker = ChunkerParams::defaults().toString();
    if (registry) {
        v.redundancy = Vault::redundancyIn(*registry);
        v.providers = Vault::providersTakingCopiesIn(*registry);
        if (const auto params =
                ChunkerParams::fromString(registry->settings().setting(ChunkerSetting)))
            v.chunker = params->toString();
        v.flushWrites = registry->settings().setting(QLatin1String(Vault::DurabilitySetting)) !=
                        QLatin1String("fast");
    }
    return v;
}

void SettingsDialog::applyStored(Engine* engine)
{
    const Values v = load(nullptr);
    engine->setConcurrency(v.concurrency);
    engine->setBandwidthLimits(v.uploadLimit, v.downloadLimit);
    engine->setSyncPaused(v.syncPaused);
    engine->setSyncPolicy(v.syncOnMetered, v.syncOnBattery);
    engine->setApiServer(v.apiEnabled, quint16(v.apiPort), v.apiHubWithoutToken,
                         *listenAddress(v.apiAddress));
}

void SettingsDialog::setSyncPaused(Engine* engine, bool paused)
{
    QSettings().setValue(SyncPausedKey, paused);
    if (engine)
        engine->setSyncPaused(paused);
}

QString SettingsDialog::storedVaultDirectory()
{
    const QString stored = QSettings().value(VaultKey).toString();
    return stored.isEmpty() ? Vault::defaultDirectory() : stored;
}

SettingsDialog::SettingsDialog(Engine* engine, const Values& current, QWidget* parent,
                               MountSwitch* mount)
    : QDialog(parent)
    , m_engine(engine)
    , m_initial(current)
    , m_redundancy(new RedundancyBox(current.redundancy, current.providers, this))
    , m_chunker(new QComboBox(this))
    , m_concurrency(new QSpinBox(this))
    , m_upload(new QSpinBox(this))
    , m_download(new QSpinBox(this))
    , m_startMinimized(new QCheckBox(tr("Start &minimized to the tray"), this))
    , m_startAtLogin(new QCheckBox(tr("Start at &login"), this))
    , m_flushWrites(new QCheckBox(tr("&Flush to disk before a transfer is done"), this))
    , m_syncOnMetered(new QCheckBox(tr("Repair and scrub on a &metered network"), this))
    , m_syncOnBattery(new QCheckBox(tr("Repair and scrub on &battery"), this))
    , m_vault(new QLineEdit(this))
    , m_message(new QLabel(this))
    , m_api(new QCheckBox(tr("Serve models over &HTTP to programs on this computer"), this))
    , m_apiPort(new QSpinBox(this))
    , m_apiAddress(new QLineEdit(this))
    , m_apiAddressWarning(new QLabel(this))
    , m_apiHubOpen(
          new QCheckBox(tr("Hugging Face tools and Ollama may download &without the token"), this))
    , m_apiStatus(new QLabel(this))
    , m_copyToken(new QPushButton(tr("Copy &token"), this))
    , m_webSignIn(new QPushButton(tr("&Web page sign-in link"), this))
    , m_webSignOut(new QPushButton(tr("Sign out every &browser"), this))
    , m_webLink(new QLabel(this))
    , m_webQr(new QLabel(this))
{
    setWindowTitle(tr("Settings"));
    setAccessibleName(tr("Settings"));

    const struct
    {
        QString label;
        ChunkerParams params;
    } presets[] = {
        {tr("Content-defined, default sizes (recommended)"), ChunkerParams::defaults()},
        {tr("Content-defined, 4 MiB average"),
         ChunkerParams::contentDefined(2 * 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024)},
        {tr("Content-defined, 16 MiB average"),
         ChunkerParams::contentDefined(8 * 1024 * 1024, 16 * 1024 * 1024, 64 * 1024 * 1024)},
        {tr("Fixed, 8 MiB"), ChunkerParams::fixed(8 * 1024 * 1024)},
    };
    for (const auto& p : presets)
        m_chunker->addItem(p.label, p.params.toString());
    if (m_chunker->findData(current.chunker) < 0)
        m_chunker->addItem(tr("Current: %1").arg(current.chunker), current.chunker);
    m_chunker->setCurrentIndex(m_chunker->findData(current.chunker));
    m_chunker->setToolTip(tr("How new floats cut files into chunks; models already floated keep "
                             "theirs"));

    m_chunker->setObjectName(QStringLiteral("chunker"));
    m_startAtLogin->setObjectName(QStringLiteral("startAtLogin"));
    m_flushWrites->setObjectName(QStringLiteral("flushWrites"));
    m_concurrency->setObjectName(QStringLiteral("concurrency"));
    m_concurrency->setRange(1, 16);
    m_concurrency->setValue(current.concurrency);
    for (QSpinBox* box : {m_upload, m_download}) {
        box->setRange(0, 100000);
        box->setSuffix(tr(" MiB/s"));
        box->setSpecialValueText(tr("No limit"));
    }
    m_upload->setToolTip(tr("The most every transfer together sends to the providers; applies "
                            "at once, also to transfers that are running"));
    m_download->setToolTip(tr("The most every transfer together receives from the providers and "
                              "from Hugging Face; applies at once, also to transfers that are "
                              "running"));
    m_upload->setValue(int(current.uploadLimit / MiBps));
    m_download->setValue(int(current.downloadLimit / MiBps));
    m_startMinimized->setChecked(current.startMinimized);
    m_startAtLogin->setChecked(current.startAtLogin);
    m_flushWrites->setChecked(current.flushWrites);
    m_flushWrites->setToolTip(
        tr("Stored chunks and restored files reach the disk before the vault records them or a "
           "restore says done. Off (fast mode): quicker with many small files, but a power cut "
           "soon after can lose chunks and files that were reported done."));
    m_syncOnMetered->setChecked(current.syncOnMetered);
    m_syncOnBattery->setChecked(current.syncOnBattery);
    for (QCheckBox* box : {m_syncOnMetered, m_syncOnBattery})
        box->setToolTip(tr("Background work that moves many bytes (repair, drains, full scrubs) "
                           "otherwise waits until it is not"));
    m_vault->setText(QDir::toNativeSeparators(
        current.vaultDirectory.isEmpty() ? Vault::defaultDirectory() : current.vaultDirectory));
    m_vault->setAccessibleName(tr("Vault folder"));
    auto* browse = new QPushButton(tr("&Browse…"), this);
    connect(browse, &QPushButton::clicked, this, &SettingsDialog::browseVault);
    auto* vaultRow = new QHBoxLayout;
    vaultRow->addWidget(m_vault, 1);
    vaultRow->addWidget(browse);

    m_api->setObjectName(QStringLiteral("apiEnabled"));
    m_api->setChecked(current.apiEnabled);
    m_api->setToolTip(tr("Other programs on this computer (curl, download tools, Hugging Face "
                         "libraries with HF_ENDPOINT) read floating models from 127.0.0.1, "
                         "each byte verified; every request needs the token"));
    m_apiPort->setObjectName(QStringLiteral("apiPort"));
    m_apiPort->setRange(1, 65535);
    m_apiPort->setValue(current.apiPort);
    m_apiPort->setAccessibleName(tr("HTTP port"));
    m_apiPort->setEnabled(current.apiEnabled);
    connect(m_api, &QCheckBox::toggled, m_apiPort, &QSpinBox::setEnabled);
    m_apiAddress->setObjectName(QStringLiteral("apiAddress"));
    m_apiAddress->setText(current.apiAddress);
    m_apiAddress->setAccessibleName(tr("Listen address"));
    m_apiAddress->setEnabled(current.apiEnabled);
    m_apiAddress->setToolTip(tr("127.0.0.1: programs on this computer only. 0.0.0.0 (or one of "
                                "this computer's addresses): other computers too, with the "
                                "token"));
    connect(m_api, &QCheckBox::toggled, m_apiAddress, &QLineEdit::setEnabled);
    m_apiAddressWarning->setObjectName(QStringLiteral("apiAddressWarning"));
    m_apiAddressWarning->setWordWrap(true);
    m_apiAddressWarning->setText(
        tr("Other computers can reach the API: anyone who reaches it with the token can read "
           "and upload models, and plain HTTP carries the token unencrypted. Local folders are "
           "still read and written only for programs on this computer."));
    const auto updateWarning = [this] {
        const auto address = listenAddress(m_apiAddress->text());
        m_apiAddressWarning->setVisible(m_api->isChecked() && address && !address->isLoopback());
    };
    connect(m_apiAddress, &QLineEdit::textChanged, this, updateWarning);
    connect(m_api, &QCheckBox::toggled, this, updateWarning);
    updateWarning();
    m_apiHubOpen->setObjectName(QStringLiteral("apiHubWithoutToken"));
    m_apiHubOpen->setChecked(current.apiHubWithoutToken);
    m_apiHubOpen->setEnabled(current.apiEnabled);
    m_apiHubOpen->setToolTip(tr("Only the read-only Hugging Face endpoints: any program on this "
                                "computer may then read your models through them without "
                                "HF_TOKEN. The rest of the API still needs the token."));
    connect(m_api, &QCheckBox::toggled, m_apiHubOpen, &QCheckBox::setEnabled);
    m_apiStatus->setObjectName(QStringLiteral("apiStatus"));
    m_apiStatus->setWordWrap(true);
    m_apiStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_copyToken->setObjectName(QStringLiteral("copyApiToken"));
    m_copyToken->setToolTip(tr("Requests carry it as “Authorization: Bearer TOKEN” (Hugging "
                               "Face tools: HF_TOKEN)"));
    connect(m_copyToken, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(m_apiToken); });
    auto* apiRow = new QHBoxLayout;
    apiRow->addWidget(m_apiPort);
    apiRow->addWidget(m_copyToken);
    apiRow->addStretch(1);
    // The web page at the API's address: a person signs a browser in with a one-time link
    // instead of the token (docs/api.md, "The web page").
    m_webSignIn->setObjectName(QStringLiteral("webSignInLink"));
    m_webSignIn->setToolTip(tr("Copies a link that signs one browser in to the web page, once, "
                               "within 5 minutes"));
    m_webSignOut->setObjectName(QStringLiteral("webSignOutAll"));
    m_webLink->setObjectName(QStringLiteral("webLink"));
    m_webLink->setWordWrap(true);
    m_webLink->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_webLink->setVisible(false);
    m_webQr->setObjectName(QStringLiteral("webSignInQr"));
    m_webQr->setVisible(false);
    auto* webRow = new QHBoxLayout;
    webRow->addWidget(m_webSignIn);
    webRow->addWidget(m_webSignOut);
    webRow->addStretch(1);
    if (m_engine) {
        connect(m_webSignIn, &QPushButton::clicked, m_engine, &Engine::requestWebSignInLink);
        connect(m_webSignOut, &QPushButton::clicked, m_engine, &Engine::endWebSessions);
        connect(m_engine, &Engine::webSignInLink, this, [this](const QString& link) {
            m_webLink->setVisible(true);
            m_webQr->setVisible(false);
            if (link.isEmpty()) {
                m_webLink->setText(tr("The web page needs the local API on: turn it on first"));
                return;
            }
            QGuiApplication::clipboard()->setText(link);
            m_webLink->setText(tr("Copied: open %1 in a browser (once, within 5 minutes), or "
                                  "scan the code with a phone that reaches this address.")
                                   .arg(link));
            // Four pixels a module: some 200 px square, which a phone reads off a screen.
            const QImage qr = qrImage(qrcode::encode(link), 4);
            m_webQr->setPixmap(QPixmap::fromImage(qr));
            m_webQr->setAccessibleName(tr("QR code of the sign-in link"));
            m_webQr->setVisible(!qr.isNull());
        });
        connect(m_engine, &Engine::webSessionsEnded, this, [this](const QString& error) {
            m_webLink->setVisible(true);
            m_webQr->setVisible(false); // the news takes the link's place
            m_webLink->setText(error.isEmpty()
                                   ? tr("Every browser is signed out.")
                                   : tr("Could not sign the browsers out: %1").arg(error));
        });
        showApiStatus(m_engine->apiServerStatus());
        connect(m_engine, &Engine::apiServerChanged, this, &SettingsDialog::showApiStatus);
    } else {
        showApiStatus({});
    }

    auto* form = new QFormLayout;
    form->addRow(tr("&Redundancy:"), m_redundancy);
    form->addRow(tr("C&hunker:"), m_chunker);
    form->addRow(tr("&Transfers at once:"), m_concurrency);
    form->addRow(tr("&Upload limit:"), m_upload);
    form->addRow(tr("&Download limit:"), m_download);
    form->addRow(QString(), m_flushWrites);
    form->addRow(QString(), m_startMinimized);
    form->addRow(QString(), m_startAtLogin);
    form->addRow(tr("Background sync:"), m_syncOnMetered);
    form->addRow(QString(), m_syncOnBattery);
    // A row that is a layout gets no buddy from addRow, and its "&" would show as is.
    auto* vaultLabel = new QLabel(tr("&Vault folder:"));
    vaultLabel->setBuddy(m_vault);
    form->addRow(vaultLabel, vaultRow);
    form->addRow(tr("Local API:"), m_api);
    auto* portLabel = new QLabel(tr("HTTP &port:"));
    portLabel->setBuddy(m_apiPort);
    form->addRow(portLabel, apiRow);
    auto* addressLabel = new QLabel(tr("Listen on &address:"));
    addressLabel->setBuddy(m_apiAddress);
    form->addRow(addressLabel, m_apiAddress);
    form->addRow(QString(), m_apiAddressWarning);
    form->addRow(QString(), m_apiHubOpen);
    form->addRow(QString(), m_apiStatus);
    form->addRow(tr("Web page:"), webRow);
    form->addRow(QString(), m_webLink);
    form->addRow(QString(), m_webQr);
    form->addRow(tr("Recovery key:"), new RecoveryKeyBox(m_engine, this));
    form->addRow(tr("Watched folders:"), new WatchedFoldersBox(m_engine, this));
    if (mount)
        form->addRow(tr("File manager:"), new MountBox(mount, this));

    m_message->setWordWrap(true);
    m_message->setVisible(false);
    m_message->setForegroundRole(QPalette::BrightText);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);

    // The form scrolls where the screen is shorter than it (200 % on a laptop): a window
    // manager keeps a window on its screen, and a layout squeezed under its minimum clips its
    // wrapped text.
    auto* content = new QWidget;
    form->setContentsMargins(0, 0, 0, 0);
    content->setLayout(form);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    const int scrollBar = scroll->verticalScrollBar()->sizeHint().width();
    scroll->setMinimumWidth(content->minimumSizeHint().width() + scrollBar);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    // All of the form where the screen has room for it (a scroll area's own size hint is a
    // few lines), else as much as the screen holds.
    const QMargins margins = layout->contentsMargins();
    const int width = content->sizeHint().width() + scrollBar;
    const int height = (content->hasHeightForWidth() ? content->heightForWidth(width - scrollBar)
                                                     : content->sizeHint().height()) +
                       layout->spacing() + buttons->sizeHint().height();
    resize(fitOnScreen(this, QSize(width, height).grownBy(margins)));
}

SettingsDialog::Values SettingsDialog::values() const
{
    Values v;
    v.redundancy = m_redundancy->scheme();
    v.providers = m_initial.providers;
    v.chunker = m_chunker->currentData().toString();
    v.concurrency = m_concurrency->value();
    v.uploadLimit = qint64(m_upload->value()) * MiBps;
    v.downloadLimit = qint64(m_download->value()) * MiBps;
    v.startMinimized = m_startMinimized->isChecked();
    v.startAtLogin = m_startAtLogin->isChecked();
    v.flushWrites = m_flushWrites->isChecked();
    v.syncPaused = m_initial.syncPaused;
    v.syncOnMetered = m_syncOnMetered->isChecked();
    v.syncOnBattery = m_syncOnBattery->isChecked();
    v.vaultDirectory = QDir::fromNativeSeparators(m_vault->text().trimmed());
    v.apiEnabled = m_api->isChecked();
    v.apiPort = m_apiPort->value();
    v.apiHubWithoutToken = m_apiHubOpen->isChecked();
    v.apiAddress = m_apiAddress->text().trimmed();
    return v;
}

void SettingsDialog::showApiStatus(const ApiServerStatus& status)
{
    m_apiToken = status.token;
    m_copyToken->setEnabled(!status.token.isEmpty());
    m_webSignIn->setEnabled(!status.url.isEmpty());
    if (!status.url.isEmpty())
        m_apiStatus->setText(
            (status.hubWithoutToken
                 ? tr("Serving at %1/api/v1/ (Hugging Face tools: HF_ENDPOINT=%1, no token "
                      "needed)")
                       .arg(status.url)
                 : tr("Serving at %1/api/v1/ (Hugging Face tools: HF_ENDPOINT=%1)")
                       .arg(status.url)) +
            (status.reachableFromOtherComputers ? tr(", and to other computers") : QString()));
    else if (!status.error.isEmpty())
        m_apiStatus->setText(tr("Not serving: %1").arg(status.error));
    else
        m_apiStatus->setText(tr("Off: nothing listens"));
}

void SettingsDialog::browseVault()
{
    // open(), not a static getter: those run a nested event loop.
    auto* dialog = new QFileDialog(this, tr("Vault folder"), m_vault->text());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    connect(dialog, &QFileDialog::fileSelected, this,
            [this](const QString& dir) { m_vault->setText(QDir::toNativeSeparators(dir)); });
    dialog->open();
}

void SettingsDialog::accept()
{
    const Values v = values();
    const auto fail = [this](const QString& message) {
        m_message->setText(message);
        m_message->setVisible(true);
    };
    if (v.redundancy != m_initial.redundancy && !m_redundancy->refusal().isEmpty())
        return fail(m_redundancy->refusal());
    if (v.vaultDirectory.isEmpty() || !QDir::isAbsolutePath(v.vaultDirectory))
        return fail(tr("The vault folder must be an absolute path"));
    const auto address = listenAddress(v.apiAddress);
    if (!address)
        return fail(tr("The API's listen address must be an IP address, such as 127.0.0.1 (this "
                       "computer only) or 0.0.0.0 (every network), not “%1”")
                        .arg(v.apiAddress));
    QString why;
    if (v.startAtLogin != m_initial.startAtLogin && !autostart::setEnabled(v.startAtLogin, &why))
        return fail(why);

    QSettings s;
    s.setValue(ConcurrencyKey, v.concurrency);
    s.setValue(UploadKey, v.uploadLimit);
    s.setValue(DownloadKey, v.downloadLimit);
    s.setValue(MinimizedKey, v.startMinimized);
    s.setValue(SyncMeteredKey, v.syncOnMetered);
    s.setValue(SyncBatteryKey, v.syncOnBattery);
    s.setValue(ApiEnabledKey, v.apiEnabled);
    s.setValue(ApiPortKey, v.apiPort);
    s.setValue(ApiHubOpenKey, v.apiHubWithoutToken);
    s.setValue(ApiAddressKey, v.apiAddress);
    if (m_engine) {
        if (v.apiEnabled != m_initial.apiEnabled || v.apiPort != m_initial.apiPort ||
            v.apiHubWithoutToken != m_initial.apiHubWithoutToken ||
            v.apiAddress != m_initial.apiAddress)
            m_engine->setApiServer(v.apiEnabled, quint16(v.apiPort), v.apiHubWithoutToken,
                                   *address);
        if (v.syncOnMetered != m_initial.syncOnMetered ||
            v.syncOnBattery != m_initial.syncOnBattery)
            m_engine->setSyncPolicy(v.syncOnMetered, v.syncOnBattery);
        if (v.redundancy != m_initial.redundancy)
            m_engine->setRedundancy(v.redundancy);
        if (v.chunker != m_initial.chunker)
            m_engine->setChunker(v.chunker);
        if (v.flushWrites != m_initial.flushWrites)
            m_engine->setFlushWrites(v.flushWrites);
        if (v.concurrency != m_initial.concurrency)
            m_engine->setConcurrency(v.concurrency);
        if (v.uploadLimit != m_initial.uploadLimit || v.downloadLimit != m_initial.downloadLimit)
            m_engine->setBandwidthLimits(v.uploadLimit, v.downloadLimit);
    }
    const QString initialVault =
        m_initial.vaultDirectory.isEmpty() ? Vault::defaultDirectory() : m_initial.vaultDirectory;
    if (QDir::cleanPath(v.vaultDirectory) != QDir::cleanPath(initialVault)) {
        s.setValue(VaultKey, v.vaultDirectory);
        Q_EMIT vaultDirectoryChanged(v.vaultDirectory);
    }
    QDialog::accept();
}

} // namespace mf::ui
