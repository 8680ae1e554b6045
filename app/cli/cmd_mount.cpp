// mount / unmount: the vault's complete models as a read-only folder (docs/mount.md).
#include "command.h"

#include "mount/fusemount.h"
#include "mount/mountreads.h"
#include "mount/mountsession.h"
#include "util/units.h"
#include "vault/chunkcache.h"
#include "vault/vault.h"

#include <QDir>

#include <memory>

namespace mf::cli {

namespace {

class MountCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("dir"),
                                QStringLiteral("An existing folder to show the models in."));
        if (!parse(p, args, QStringLiteral("mount DIR"), 1, 1))
            return;
        const QString dir =
            QDir::cleanPath(QDir::current().absoluteFilePath(p.positionalArguments().at(0)));
        Vault* vault = openVault();
        if (!vault)
            return;
        // The same mount the app keeps (MountSession: the reads, FUSE, and the refresh that
        // shows models floated or removed by any process within seconds).
        m_session.reset(MountSession::start(vault, dir));
        connect(m_session.get(), &MountSession::ready, this,
                [this, vault, dir](const QString& why) {
                    if (!why.isEmpty()) {
                        console().error(why);
                        return finish(Failed);
                    }
                    const ChunkCache& cache = vault->chunkCache();
                    console().print(
                        QStringLiteral("Mounted %1 model files read-only at %2 (chunk cache "
                                       "%3, within the %4 this disk's cache may hold with the "
                                       "materialized models). Ctrl-C or `modelfloat-cli "
                                       "unmount %2` ends it.")
                            .arg(m_session->reads()->tree()->fileCount())
                            .arg(dir, cache.directory(), units::formatBytes(cache.capBytes())));
                });
        connect(m_session->reads(), &MountReads::warning, this,
                [this](const QString& w) { console().warning(w); });
        connect(m_session->mount(), &FuseMount::ended, this, [this] { finish(Success); });
    }

    void interrupt() override
    {
        if (m_session)
            m_session->mount()->unmount();
        finish(Success);
    }

private:
    std::unique_ptr<MountSession> m_session;
};

class UnmountCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("dir"), QStringLiteral("The mounted folder."));
        if (!parse(p, args, QStringLiteral("unmount DIR"), 1, 1))
            return;
        const QString dir =
            QDir::cleanPath(QDir::current().absoluteFilePath(p.positionalArguments().at(0)));
        auto* detach = new MountDetach(dir, this);
        connect(detach, &MountDetach::finished, this, [this, detach] {
            detach->deleteLater();
            if (!detach->ok()) {
                console().error(detach->error());
                return finish(detach->notAMount() ? NotFound : Failed);
            }
            finish(Success);
        });
        detach->start();
    }
};

} // namespace

Command* makeMountCommand(Context& c)
{
    return new MountCommand(c);
}
Command* makeUnmountCommand(Context& c)
{
    return new UnmountCommand(c);
}

} // namespace mf::cli
