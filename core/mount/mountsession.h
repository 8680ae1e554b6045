#pragma once

#include <QObject>
#include <QTimer>

#include <memory>

namespace mf {

class FuseMount;
class MountReads;
class Vault;

// One running mount of a vault, as the app keeps it while it runs (engine/mounthost.h): the
// reads (MountReads), the FUSE file system (FuseMount), and the look at the registry every few
// seconds that makes a model floated or removed by any process appear or go. Deleting it ends
// the mount (after the app's MountDetach, only what is left of it).
class MountSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MountSession)

public:
    static constexpr int RefreshMs = 5000;

    // Starts mounting `vault` at `directory` (an existing folder) -> ready(), queued.
    static MountSession* start(Vault* vault, const QString& directory);
    ~MountSession() override;

    MountReads* reads() const { return m_reads.get(); }
    FuseMount* mount() const { return m_mount.get(); }

Q_SIGNALS:
    // Mounted when `error` is empty (FuseMount::mounted); otherwise nothing is left to end.
    void ready(const QString& error);

private:
    MountSession() = default;

    std::unique_ptr<MountReads> m_reads;
    std::unique_ptr<FuseMount> m_mount;
    QTimer m_refresh;
};

} // namespace mf
