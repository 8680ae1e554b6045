#include "mountsession.h"

#include "fusemount.h"
#include "mountreads.h"

namespace mf {

MountSession* MountSession::start(Vault* vault, const QString& directory, QString* error)
{
    std::unique_ptr<MountSession> session(new MountSession);
    session->m_reads = std::make_unique<MountReads>(vault);
    session->m_mount = std::make_unique<FuseMount>(session->m_reads.get());
    if (!session->m_mount->mount(directory, error))
        return nullptr;
    session->m_refresh.setInterval(RefreshMs);
    connect(&session->m_refresh, &QTimer::timeout, session->m_reads.get(),
            &MountReads::rebuildTree);
    // Unmounted from outside (the app's MountDetach, fusermount3 -u): nothing to refresh.
    connect(session->m_mount.get(), &FuseMount::ended, &session->m_refresh, &QTimer::stop);
    session->m_refresh.start();
    return session.release();
}

MountSession::~MountSession()
{
    m_refresh.stop();
    m_mount.reset(); // unmounts before the reads it calls go
    m_reads.reset();
}

} // namespace mf
