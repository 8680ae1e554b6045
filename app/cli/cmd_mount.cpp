// mount / unmount: the vault's complete models as a read-only folder (docs/mount.md).
#include "command.h"

#include "mount/fusemount.h"
#include "mount/mountreads.h"
#include "util/units.h"
#include "vault/chunkcache.h"
#include "vault/vault.h"

#include <QDir>
#include <QTimer>

#include <memory>

namespace mf::cli {

namespace {

class MountCommand final : public Command
{
public:
    using Command::Command;
    ~MountCommand() override
    {
        m_mount.reset(); // unmounts before the reads it calls go
        m_reads.reset();
    }

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
        m_reads = std::make_unique<MountReads>(vault);
        connect(m_reads.get(), &MountReads::warning, this,
                [this](const QString& w) { console().warning(w); });
        m_mount = std::make_unique<FuseMount>(m_reads.get());
        connect(m_mount.get(), &FuseMount::ended, this, [this] { finish(Success); });
        QString why;
        if (!m_mount->mount(dir, &why)) {
            console().error(why);
            return finish(Failed);
        }
        // Models floated or removed by any process show within seconds even where no one lists
        // the top folder (which looks at once).
        m_refresh.setInterval(RefreshMs);
        connect(&m_refresh, &QTimer::timeout, m_reads.get(), &MountReads::rebuildTree);
        m_refresh.start();
        const ChunkCache& cache = vault->chunkCache();
        console().print(QStringLiteral("Mounted %1 model files read-only at %2 (chunk cache %3, "
                                       "at most %4). Ctrl-C or `modelfloat-cli unmount %2` ends "
                                       "it.")
                            .arg(m_reads->tree()->fileCount())
                            .arg(dir, cache.directory(), units::formatBytes(cache.capBytes())));
    }

    void interrupt() override
    {
        m_refresh.stop();
        if (m_mount)
            m_mount->unmount();
        finish(Success);
    }

private:
    static constexpr int RefreshMs = 5000;
    std::unique_ptr<MountReads> m_reads;
    std::unique_ptr<FuseMount> m_mount;
    QTimer m_refresh;
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
