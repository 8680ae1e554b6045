#include "mountswitch.h"

#include "engine/engine.h"
#include "mount/fusemount.h"
#include "mount/mountsession.h"

#include <QAction>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>
#include <QUrl>

#include <unistd.h>

namespace mf::ui {

MountSwitch::MountSwitch(Engine* engine, QObject* parent)
    : QObject(parent)
    , m_engine(engine)
    , m_toggle(new QAction(tr("Show floating models in the file manager"), this))
    , m_open(new QAction(tr("Open in file manager"), this))
{
    m_toggle->setCheckable(true);
    m_toggle->setToolTip(tr("Every model of the vault as a read-only folder; its bytes are "
                            "fetched and checked only when a program reads them"));
    m_folder = QSettings().value(QLatin1String(FolderKey), defaultFolder()).toString();
    connect(m_toggle, &QAction::triggered, this, &MountSwitch::setOn);
    connect(m_open, &QAction::triggered, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(m_folder)); });
    if (m_engine) {
        // Runs on the engine thread; the folder is made first (~/ModelFloat is new).
        m_engine->setMountFactory([](Vault* vault, const QString& dir, MountHost::Ready ready,
                                     QString* error) -> QObject* {
            if (!QDir().mkpath(dir)) {
                *error = tr("Cannot make the folder “%1”").arg(dir);
                return nullptr;
            }
            MountSession* session = MountSession::start(vault, dir);
            connect(session, &MountSession::ready, session, std::move(ready));
            return session;
        });
        connect(m_engine, &Engine::mountChanged, this, &MountSwitch::onMountChanged);
    }
    update();
    if (QSettings().value(QLatin1String(EnabledKey)).toBool())
        setOn(true); // mounted once the vault is open
}

QString MountSwitch::defaultFolder()
{
    return QDir::home().filePath(QStringLiteral("ModelFloat"));
}

void MountSwitch::setFolder(const QString& folder)
{
    m_folder = QDir::cleanPath(folder);
    QSettings().setValue(QLatin1String(FolderKey), m_folder);
}

QString MountSwitch::fuseProblem(const QString& device)
{
    if (!QFileInfo::exists(device))
        return tr("FUSE is not available on this computer (there is no %1): install the fuse3 "
                  "package, or load the fuse kernel module, to show the models in the file "
                  "manager.")
            .arg(device);
    if (::geteuid() != 0 && QStandardPaths::findExecutable(QStringLiteral("fusermount3")).isEmpty())
        return tr("FUSE's fusermount3 is missing: install the fuse3 package to show the models in "
                  "the file manager.");
    return {};
}

void MountSwitch::setOn(bool on)
{
    QSettings().setValue(QLatin1String(EnabledKey), on);
    m_wanted = on;
    m_problem.clear();
    if (on) {
        m_problem = fuseProblem();
        if (!m_problem.isEmpty())
            m_wanted = false;
        else if (m_engine)
            m_engine->setMount(true, m_folder);
    } else if (m_mounted) {
        detach({});
    } else if (m_engine) {
        m_engine->setMount(false, m_folder);
    }
    update();
}

void MountSwitch::detachThen(std::function<void()> then)
{
    if (!m_mounted) {
        QTimer::singleShot(0, this, [then = std::move(then)] {
            if (then)
                then();
        });
        return;
    }
    detach(std::move(then));
}

void MountSwitch::detach(std::function<void()> then)
{
    // Unmounted from this thread without waiting (MountDetach runs fusermount3 and signals its
    // end); the engine then drops what is left of the mount, whose loop has ended.
    auto* detach = new MountDetach(m_folder, this);
    m_detaching = true;
    connect(detach, &MountDetach::finished, this, [this, detach, then = std::move(then)] {
        detach->deleteLater();
        m_detaching = false;
        if (!detach->ok() && !detach->notAMount())
            m_problem = detach->error();
        m_mounted = false;
        if (m_engine)
            m_engine->setMount(false, m_folder);
        update();
        if (then)
            then();
    });
    detach->start();
}

void MountSwitch::onMountChanged(bool mounted, const QString& directory, const QString& error)
{
    Q_UNUSED(directory)
    m_mounted = mounted;
    if (!error.isEmpty()) {
        m_problem = error;
        m_wanted = false;
    }
    update();
}

void MountSwitch::update()
{
    m_toggle->setChecked(m_wanted);
    m_open->setEnabled(m_mounted);
    Q_EMIT changed();
}

} // namespace mf::ui
