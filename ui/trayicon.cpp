#include "trayicon.h"

#include "engine/engine.h"
#include "icons.h"
#include "nextcheck.h"
#include "settingsdialog.h"
#include "transfersmodel.h"
#include "util/units.h"

#include <QAction>
#include <QCoreApplication>
#include <QLocale>
#include <QMenu>

namespace mf::ui {

using State = TransferInfo::State;

TrayIcon::TrayIcon(Engine* engine, TransfersModel* transfers, QObject* parent)
    : QObject(parent)
    , m_engine(engine)
    , m_transfers(transfers)
    , m_tray(new QSystemTrayIcon(this))
    , m_menu(new QMenu())
{
    m_open = m_menu->addAction(icon(QStringLiteral("modelfloat")), tr("&Open ModelFloat"));
    m_menu->addSeparator();
    m_pauseAll = m_menu->addAction(icon(QStringLiteral("pause")), tr("&Pause all"));
    m_resumeAll = m_menu->addAction(icon(QStringLiteral("resume")), tr("&Resume all"));
    m_pauseSync = m_menu->addAction(tr("Pause &background sync"));
    m_pauseSync->setCheckable(true);
    m_pauseSync->setChecked(SettingsDialog::load(nullptr).syncPaused);
    m_pauseSync->setToolTip(tr("Scrub, repair and drains wait until it is unchecked"));
    m_checkNow = m_menu->addAction(checkNowText());
    m_checkNow->setToolTip(tr("Check at once that every copy of every chunk is there"));
    m_nextCheck = m_menu->addAction(QString());
    m_nextCheck->setEnabled(false);
    // Shown once the engine said the vault's disk runs low: the way to what frees it.
    m_freeUpSpace = m_menu->addAction(tr("&Free up space…"));
    m_freeUpSpace->setVisible(false);
    m_mountSeparator = m_menu->addSeparator();
    m_quit = m_menu->addAction(tr("&Quit"));
    m_tray->setContextMenu(m_menu);

    connect(m_freeUpSpace, &QAction::triggered, this, &TrayIcon::freeUpSpaceRequested);
    connect(m_open, &QAction::triggered, this, [this] {
        acknowledgeErrors();
        Q_EMIT openRequested();
    });
    connect(m_pauseAll, &QAction::triggered, this, [this] { m_engine->pauseAll(); });
    connect(m_resumeAll, &QAction::triggered, this, [this] { m_engine->resumeAll(); });
    connect(m_pauseSync, &QAction::toggled, this, [this](bool paused) {
        SettingsDialog::setSyncPaused(m_engine, paused);
        update();
    });
    connect(m_checkNow, &QAction::triggered, this, [this] {
        if (m_engine)
            m_engine->checkNow();
    });
    connect(m_quit, &QAction::triggered, this, &TrayIcon::quitRequested);
    connect(m_tray, &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick) {
                    acknowledgeErrors();
                    Q_EMIT openRequested();
                }
            });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, &TrayIcon::openRequested);
    connect(transfers, &TransfersModel::overallChanged, this, &TrayIcon::update);
    if (engine) {
        // A transfer with bad input arrives already failed.
        connect(engine, &Engine::transferAdded, this, &TrayIcon::onTransferChanged);
        connect(engine, &Engine::transferChanged, this, &TrayIcon::onTransferChanged);
        connect(engine, &Engine::transferRemoved, this, [this](qint64 id) {
            m_lastState.remove(id);
            forgetFailure(id);
        });
        // Core decides what deserves a notification: a repair made copies, or cannot.
        connect(engine, &Engine::syncNotice, this,
                [this](const QString& title, const QString& text, bool isProblem) {
                    notify(title, text, isProblem);
                });
        connect(engine, &Engine::syncStatusChanged, this, &TrayIcon::update);
        connect(engine, &Engine::diskSpaceLow, this, [this] { m_freeUpSpace->setVisible(true); });
    }
    update();
}

void TrayIcon::addMountActions(QAction* toggle, QAction* open)
{
    m_menu->insertAction(m_mountSeparator, toggle);
    m_menu->insertAction(m_mountSeparator, open);
}

TrayIcon::~TrayIcon()
{
    delete m_menu; // a menu has no QObject parent here: QSystemTrayIcon does not own it
}

void TrayIcon::show()
{
    m_tray->show();
}

void TrayIcon::hide()
{
    m_tray->hide();
}

bool TrayIcon::isVisible() const
{
    return m_tray->isVisible();
}

void TrayIcon::acknowledgeErrors()
{
    m_unseenFailures.clear();
    update();
}

void TrayIcon::forgetFailure(qint64 transferId)
{
    if (m_unseenFailures.remove(transferId))
        update();
}

QString TrayIcon::shortOf(const SyncStatus& s)
{
    // A model stored as shards has no copies to be short of (docs/erasure.md).
    const qint64 n = s.degradedModels;
    if (s.degradedSharded == 0)
        return units::counted(n, tr("1 model short of copies"), tr("%1 models short of copies"));
    if (s.degradedSharded == s.degradedModels)
        return units::counted(n, tr("1 model short of shards"), tr("%1 models short of shards"));
    return units::counted(n, tr("1 model short of copies or shards"),
                          tr("%1 models short of copies or shards"));
}

QString TrayIcon::toolTip() const
{
    const TransfersModel::Overall o = m_transfers->overall();
    QString text = QCoreApplication::applicationName();
    if (text.isEmpty())
        text = QStringLiteral("ModelFloat");
    if (o.running + o.queued + o.paused == 0) {
        text += QStringLiteral("\n") + tr("Idle");
    } else {
        QStringList parts;
        if (o.running)
            parts << tr("%n running", nullptr, o.running);
        if (o.queued)
            parts << tr("%n queued", nullptr, o.queued);
        if (o.paused)
            parts << tr("%n paused", nullptr, o.paused);
        text += QStringLiteral("\n") + parts.join(QStringLiteral(", "));
        if (o.permille() >= 0)
            text += QStringLiteral("\n") +
                    tr("%1% · %2 of %3")
                        .arg(o.permille() / 10)
                        .arg(units::formatBytes(o.doneBytes), units::formatBytes(o.totalBytes));
        if (o.bytesPerSecond > 0)
            text += QStringLiteral(" · ") + units::formatRate(o.bytesPerSecond);
    }
    if (!m_unseenFailures.isEmpty())
        text += QStringLiteral("\n") + tr("A transfer failed: open the window to see why");
    if (m_engine) {
        const SyncStatus s = m_engine->syncStatus();
        QString sync;
        if (s.paused)
            sync = tr("Background sync paused");
        else if (!s.running.isEmpty())
            sync = tr("Background sync: %1").arg(s.running);
        else if (!s.deferReason.isEmpty() && s.degradedModels > 0)
            sync = tr("Repair waits: %1").arg(s.deferReason);
        if (s.degradedModels > 0)
            sync += (sync.isEmpty() ? QString() : QStringLiteral(" · ")) + shortOf(s);
        else if (s.lastRepair.isValid())
            sync += (sync.isEmpty() ? QString() : QStringLiteral(" · ")) +
                    tr("last repair %1: %2 made")
                        .arg(QLocale().toString(s.lastRepair.toLocalTime(), QLocale::ShortFormat),
                             units::counted(s.lastRepairCopies, tr("1 copy or shard"),
                                            tr("%1 copies or shards")));
        if (s.lastScrub.isValid())
            sync += (sync.isEmpty() ? QString() : QStringLiteral(" · ")) +
                    tr("copies last checked %1")
                        .arg(QLocale().toString(s.lastScrub.toLocalTime(), QLocale::ShortFormat));
        if (!s.problem.isEmpty())
            sync += QStringLiteral("\n") + tr("Cannot repair now: %1").arg(s.problem);
        if (!sync.isEmpty())
            text += QStringLiteral("\n") + sync;
    }
    return text;
}

void TrayIcon::update()
{
    const TransfersModel::Overall o = m_transfers->overall();
    const Status status = !m_unseenFailures.isEmpty() ? Status::Error
                          : o.running                 ? Status::Working
                                                      : Status::Idle;
    if (status != m_status || m_tray->icon().isNull()) {
        m_status = status;
        m_tray->setIcon(icon(status == Status::Error     ? QStringLiteral("tray-error")
                             : status == Status::Working ? QStringLiteral("tray-working")
                                                         : QStringLiteral("tray-idle")));
    }
    m_tray->setToolTip(toolTip());
    m_pauseAll->setEnabled(o.running + o.queued > 0);
    m_resumeAll->setEnabled(o.paused > o.asking);
    const SyncStatus sync = m_engine ? m_engine->syncStatus() : SyncStatus();
    m_checkNow->setEnabled(m_engine && !sync.paused);
    m_nextCheck->setText(nextCheckText(sync, QDateTime::currentDateTimeUtc()));
}

void TrayIcon::onTransferChanged(const TransferInfo& info)
{
    const State before = m_lastState.value(info.id, State::Queued);
    m_lastState.insert(info.id, info.state);
    // A failed transfer tried again is no longer a failure to point at (if it fails again, it
    // says so again).
    if (!info.isFinished())
        forgetFailure(info.id);
    // The history an earlier run left was announced then.
    if (before == info.state || !info.isFinished() || info.fromHistory)
        return;
    if (info.state == State::Failed) {
        m_unseenFailures.insert(info.id, info.modelId);
        update();
    } else if (info.state == State::Done && (info.kind == TransferInfo::Kind::Repair ||
                                             info.kind == TransferInfo::Kind::Verify)) {
        // The problem is gone: a repair or verify of the model (a repair of the whole vault,
        // for every model) found it whole. Failures of other models still stand.
        const bool wholeVault = info.kind == TransferInfo::Kind::Repair && info.modelId == 0;
        bool forgotten = false;
        for (auto it = m_unseenFailures.begin(); it != m_unseenFailures.end();) {
            if (wholeVault || (it.value() != 0 && it.value() == info.modelId)) {
                it = m_unseenFailures.erase(it);
                forgotten = true;
            } else {
                ++it;
            }
        }
        if (forgotten)
            update();
    }
    if (info.kind == TransferInfo::Kind::Verify)
        return notifyVerified(info);
    if (info.kind != TransferInfo::Kind::Float && info.kind != TransferInfo::Kind::Restore)
        return;
    if (info.state == State::Done)
        notify(tr("Finished"), info.title, false);
    else if (info.state == State::Degraded)
        notify(tr("Finished with fewer copies than wanted"),
               info.title + QStringLiteral("\n") + info.warnings.value(0), true);
    else if (info.state == State::Failed)
        notify(tr("Failed"), info.title + QStringLiteral("\n") + info.error, true);
}

void TrayIcon::notifyVerified(const TransferInfo& info)
{
    // A verify reads every copy back: its end says whether the model is healthy, and if not,
    // what is wrong (the engine's summary: how many copies are missing, corrupt or cannot be
    // reached, and chunks lost).
    if (info.state == State::Done)
        notify(tr("Verified: healthy"),
               tr("%1\nEvery copy was read back and is intact.").arg(info.title), false);
    else if (info.state == State::Degraded)
        notify(tr("Verified, with problems"),
               info.title + QStringLiteral("\n") + info.warnings.join(QLatin1Char('\n')), true);
    else if (info.state == State::Failed)
        notify(tr("Verify: not healthy"), info.title + QStringLiteral("\n") + info.error, true);
}

void TrayIcon::notify(const QString& title, const QString& text, bool isError)
{
    if (m_tray->isVisible() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, text,
                            isError ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information,
                            isError ? 15000 : 6000);
    Q_EMIT messageShown(title, text);
}

} // namespace mf::ui
