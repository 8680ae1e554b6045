#include "mountsession.h"

#include "fusemount.h"
#include "mountreads.h"

namespace mf {

MountSession* MountSession::start(Vault* vault, const QString& directory)
{
    auto* session = new MountSession;
    session->m_reads = std::make_unique<MountReads>(vault);
    session->m_mount = std::make_unique<FuseMount>(session->m_reads.get());
    session->m_refresh.setInterval(RefreshMs);
    connect(&session->m_refresh, &QTimer::timeout, session->m_reads.get(),
            &MountReads::rebuildTree);
    connect(session->m_mount.get(), &FuseMount::mounted, session, [session](const QString& error) {
        if (error.isEmpty())
            session->m_refresh.start();
        Q_EMIT session->ready(error);
    });
    // Unmounted from outside (the app's MountDetach, fusermount3 -u): nothing to refresh.
    connect(session->m_mount.get(), &FuseMount::ended, &session->m_refresh, &QTimer::stop);
    session->m_mount->mount(directory);
    return session;
}

MountSession::~MountSession()
{
    m_refresh.stop();
    m_mount.reset(); // unmounts before the reads it calls go
    m_reads.reset();
}

} // namespace mf
