#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>

namespace mf {

class Vault;

// The app's mount of the vault ("Show floating models in the file manager", docs/mount.md) for
// as long as the vault is open, on the engine thread where the vault and the mount's reads
// live. The mount itself is core/mount's (the only code that links libfuse3, which the core
// does not): the app hands in a factory that makes it (ui/mountswitch.cpp). The mount is
// unmounted from the GUI thread first, without blocking it (MountDetach); dropping it here then
// only ends what is left.
class MountHost final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MountHost)

public:
    // Starts mounting `vault` at `directory`: the object that holds the mount (deleted to end
    // it), which calls `ready` once, later, with an empty error when mounted (mounting may wait
    // on fusermount3, never on the engine thread); or null with *error at once.
    using Ready = std::function<void(const QString& error)>;
    using Factory = std::function<QObject*(Vault* vault, const QString& directory, Ready ready,
                                           QString* error)>;

    explicit MountHost(QObject* parent = nullptr);
    ~MountHost() override;

    void setFactory(Factory factory) { m_factory = std::move(factory); }
    // Mounted at `directory` while `enabled` and a vault is open -> changed.
    void set(bool enabled, const QString& directory);
    void start(Vault* vault);
    void close();

Q_SIGNALS:
    void changed(bool mounted, const QString& directory, const QString& error);

private:
    void apply();
    void onReady(const QString& error);
    void drop();

    Factory m_factory;
    Vault* m_vault = nullptr;
    bool m_wanted = false;
    QString m_directory;
    QPointer<QObject> m_mount;
};

} // namespace mf
