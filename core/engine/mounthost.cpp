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
    QObject* mount = m_factory ? m_factory(m_vault, m_directory, &error) : nullptr;
    if (!mount && error.isEmpty())
        error = tr("This build of ModelFloat cannot mount folders");
    if (mount) {
        mount->setParent(this);
        m_mount = mount;
    } else {
        m_wanted = false; // asked again by the switch, not retried by itself
    }
    Q_EMIT changed(mount != nullptr, m_directory, error);
}

void MountHost::drop()
{
    delete m_mount.data();
}

} // namespace mf
