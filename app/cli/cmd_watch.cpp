// watch: the folders whose new and changed models float by themselves (docs/watch.md): add,
// list and remove them, and run the watchers without the desktop app until Ctrl-C.
#include "command.h"

#include "engine/engineworker.h"
#include "vault/vault.h"
#include "watch/folderwatcher.h"
#include "watch/watchlist.h"

#include <QDir>
#include <QJsonArray>
#include <QSet>

#include <atomic>

namespace mf::cli {

namespace {

int exitCodeFor(watchlist::Change::Refused refused)
{
    using R = watchlist::Change::Refused;
    switch (refused) {
    case R::No:
        return Success;
    case R::Missing:
    case R::NotWatched:
        return NotFound;
    case R::NotFolder:
    case R::Vault:
        return BadInput;
    case R::AlreadyWatched:
        return AlreadyExists;
    case R::NotSaved:
        return VaultUnusable;
    }
    return Failed;
}

class WatchCommand final : public Command
{
public:
    using Command::Command;
    ~WatchCommand() override { delete m_worker; }

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("action"),
                                QStringLiteral("add DIR, list, remove DIR or run."),
                                QStringLiteral("ACTION"));
        if (!parse(p, args, QStringLiteral("watch add DIR | list | remove DIR | run"), 1, 2))
            return;
        const QStringList pos = p.positionalArguments();
        const QString action = pos.first();
        const bool takesDir = action == QLatin1String("add") || action == QLatin1String("remove");
        const bool takesNothing = action == QLatin1String("list") || action == QLatin1String("run");
        if ((takesDir && pos.size() != 2) || (takesNothing && pos.size() != 1) ||
            (!takesDir && !takesNothing)) {
            console().error(QStringLiteral("watch takes add DIR, list, remove DIR or run"));
            return finish(Usage);
        }
        Vault* vault = openVault();
        if (!vault)
            return;
        if (action == QLatin1String("list"))
            return list(vault);
        if (action == QLatin1String("run"))
            return runWatchers(vault);
        const QString dir = QDir::cleanPath(QDir::current().absoluteFilePath(pos.at(1)));
        const watchlist::Change change =
            action == QLatin1String("add")
                ? watchlist::add(vault->registry(), vault->directory(), dir)
                : watchlist::remove(vault->registry(), dir);
        if (!change.ok()) {
            console().error(change.error);
            return finish(exitCodeFor(change.refused));
        }
        if (action == QLatin1String("add"))
            console().print(QStringLiteral("Watching %1: its new and changed models float by "
                                           "themselves while the app or “modelfloat-cli watch "
                                           "run” runs")
                                .arg(change.path));
        else
            console().print(QStringLiteral("No longer watching %1 (what floated from it stays "
                                           "in the vault)")
                                .arg(change.path));
        console().printJson({{QStringLiteral("folder"), change.path}});
        finish(Success);
    }

    void interrupt() override
    {
        // Floats running stay queued in the vault: the next queue that opens it resumes them.
        delete m_worker;
        m_worker = nullptr;
        finish(Success);
    }

private:
    void list(Vault* vault)
    {
        const QStringList folders = watchlist::folders(vault->registry());
        if (folders.isEmpty())
            console().print(QStringLiteral("No folder is watched (add one with “modelfloat-cli "
                                           "watch add DIR”)"));
        for (const QString& f : folders)
            console().print(f);
        console().printJson({{QStringLiteral("folders"), QJsonArray::fromStringList(folders)}});
        finish(Success);
    }

    void runWatchers(Vault* vault)
    {
        const QStringList folders = watchlist::folders(vault->registry());
        if (folders.isEmpty()) {
            console().error(QStringLiteral("No folder is watched: add one first with "
                                           "“modelfloat-cli watch add DIR”"));
            return finish(Usage);
        }
        // The vault's queue and background sync, as the app runs them: what the watchers float
        // is a transfer like the app's, resumed after a restart.
        m_worker = new EngineWorker(&m_transferIds, this);
        FolderWatcher* watcher = m_worker->folderWatcher();
        // Only to shorten the wait in tests (and for the impatient): milliseconds a model must
        // stay unchanged before it floats.
        bool ok = false;
        const int stableMs = qEnvironmentVariableIntValue("MODELFLOAT_WATCH_STABLE_MS", &ok);
        if (ok && stableMs > 0)
            watcher->setStableMs(stableMs);
        connect(watcher, &FolderWatcher::floatQueued, this,
                [this](const QString& path, const QString& model, qint64 id) {
                    m_floats.insert(id);
                    console().print(QStringLiteral("Floating %1 as “%2”").arg(path, model));
                });
        connect(
            m_worker, &EngineWorker::transferUpdated, this, [this](const TransferInfo& info, bool) {
                if (!m_floats.contains(info.id) || !info.isFinished())
                    return;
                m_floats.remove(info.id);
                if (info.state == TransferInfo::State::Failed)
                    console().warning(QStringLiteral("%1 failed: %2").arg(info.title, info.error));
                else
                    console().print(QStringLiteral("%1: %2").arg(
                        info.title, TransferInfo::stateName(info.state)));
            });
        m_worker->adopt(std::move(m_ctx.vault));
        console().print(QStringLiteral("Watching %1 (Ctrl-C stops):")
                            .arg(folders.size() == 1
                                     ? QStringLiteral("1 folder")
                                     : QStringLiteral("%1 folders").arg(folders.size())));
        for (const QString& f : folders)
            console().print(QStringLiteral("  ") + f);
    }

    EngineWorker* m_worker = nullptr; // owns the vault once running
    std::atomic<qint64> m_transferIds{0};
    QSet<qint64> m_floats; // transfers the watchers queued, until they end
};

} // namespace

Command* makeWatchCommand(Context& c)
{
    return new WatchCommand(c);
}

} // namespace mf::cli
