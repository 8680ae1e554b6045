#include "mounthost.h"

namespace mf {

MountHost::MountHost(QObject* parent)
    : QObject(parent)
{}

MountHost::~MountHost()
{
    drop();
}

void MountHost::set(bool enabled, const QString& directory)
{
    if (m_mount && (!enabled || directory != m_directory)) {
        drop();
        Q_EMIT changed(false, m_directory, QString());
    }
    m_wanted = enabled;
    m_directory = directory;
    apply();
}

void MountHost::start(Vault* vault)
{
    m_vault = vault;
    apply();
}

void MountHost::close()
{
    drop();
    m_vault = nullptr;
}

void MountHost::apply()
{
    if (!m_wanted || !m_vault || m_mount)
        return;
    QString error;
    // `ready` comes from the mount object's own signal; a mount dropped meanwhile is deleted
    // and reports nothing.
    QObject* mount =
        m_factory ? m_factory(
                        m_vault, m_directory, [this](const QString& why) { onReady(why); }, &error)
                  : nullptr;
    if (!mount) {
        if (error.isEmpty())
            error = tr("This build of ModelFloat cannot mount folders");
        m_wanted = false; // asked again by the switch, not retried by itself
        Q_EMIT changed(false, m_directory, error);
        return;
    }
    mount->setParent(this);
    m_mount = mount; // changed() once it is ready
}

void MountHost::onReady(const QString& error)
{
    if (!m_mount)
        return;
    if (!error.isEmpty()) {
        m_mount->deleteLater(); // from inside its own signal
        m_mount = nullptr;
        m_wanted = false;
    }
    Q_EMIT changed(error.isEmpty(), m_directory, error);
}

void MountHost::drop()
{
    delete m_mount.data();
}

} // namespace mf
