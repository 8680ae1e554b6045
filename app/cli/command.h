#pragma once

#include "console.h"
#include "exitcodes.h"

#include "chunking/chunkerparams.h"
#include "sync/catalogsyncjob.h"
#include "transfer/filedistributor.h"
#include "transfer/transferjob.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QObject>

#include <functional>
#include <memory>
#include <optional>

namespace mf {
class Vault;
}

namespace mf::cli {

// What every command shares: the console and the vault, opened on first use.
struct Context
{
    Console console;
    QString vaultDir; // --vault, else $MODELFLOAT_VAULT, else the data dir
    std::unique_ptr<Vault> vault;
    std::optional<bool> flushWrites; // --no-sync / --sync: this command only
    int vaultFailure = Success;      // the exit code once opening the vault failed
    // Opens the vault; on failure prints why (once), sets vaultFailure and returns nullptr.
    // A vault is created only at the default location ($MODELFLOAT_VAULT, else the data dir)
    // or when `create` (the init command): a mistyped --vault must not start a new vault.
    Vault* openVault(bool create = false);
    // --limit-upload / --limit-download, bytes per second (0: none); the vault applies them to
    // every transfer of this run.
    qint64 uploadLimit = 0;
    qint64 downloadLimit = 0;
    // Sets the limits, on the vault too if it is open.
    void setBandwidthLimits(qint64 upload, qint64 download);
};

// One subcommand. run() parses its arguments and starts; done() is emitted exactly once, from
// the event loop, with the exit code.
class Command : public QObject
{
    Q_OBJECT

public:
    explicit Command(Context& context)
        : m_ctx(context)
    {}
    virtual void run(const QStringList& args) = 0;
    // Ctrl-C: cancel what is running (the registry stays consistent) and finish.
    virtual void interrupt() { finish(Interrupted); }

Q_SIGNALS:
    void done(int exitCode);

protected:
    void finish(int code);
    // Says why a job failed and finishes with the exit code its error's kind calls for; a
    // cancelled one says `interrupted` instead (how to resume).
    void finishFailed(const Error& error, const QString& interrupted);
    // The vault, opened on first use; nullptr once finish() was called with why it failed.
    Vault* openVault();
    // Sets up `parser` with the options every command takes, parses `args`, handles --help and
    // argument errors. Returns false when the command must stop (finish() already called).
    bool parse(QCommandLineParser& parser, const QStringList& args, const QString& syntax,
               int minPositional, int maxPositional);
    Console& console() { return m_ctx.console; }
    // --no-sync (and --sync) for commands that write: call before parse().
    void addDurabilityOptions(QCommandLineParser& parser);
    // --chunker and --chunk-size (float, cid): call before parse(); chunkerFrom() reads them
    // after it, `fallback` when neither is given. nullopt once it has said what is wrong.
    static void addChunkerOptions(QCommandLineParser& parser);
    std::optional<ChunkerParams> chunkerFrom(const QCommandLineParser& parser,
                                             const ChunkerParams& fallback);
    // --replicas N (when the parser has it), `fallback` when not given; nullopt once it has
    // said what is wrong.
    std::optional<int> replicasFrom(const QCommandLineParser& parser, int fallback);
    // The ids of the providers named by --provider (repeatable); nullopt once it has said which
    // name has no provider (the command then finishes with NotFound).
    std::optional<QList<qint64>> providersFrom(const QCommandLineParser& parser, Vault* vault);
    // Says each model another computer removed (CatalogSyncJob::describe()), also as JSON
    // ("removed_elsewhere"), and finishes with NotFound.
    void finishRemovedElsewhere(const QList<CatalogSyncJob::Report::Removal>& removals);
    // --replicas, --chunker/--chunk-size and --provider (floats and imports that take them) into
    // `options`; false once it has finished the command with what is wrong.
    bool placementFrom(const QCommandLineParser& parser, Vault* vault,
                       FileDistributor::Options* options);

    Context& m_ctx;

private:
    bool m_done = false;
    bool m_durabilityOptions = false;
};

// A command that runs one engine job: Ctrl-C aborts the job (its finished() then ends the
// command), and the progress line follows the job's bytes.
template <class Job> class JobCommand : public Command
{
public:
    using Command::Command;

    void interrupt() override
    {
        if (m_runner)
            m_runner->abort();
        else
            finish(Interrupted);
    }

protected:
    // Takes `job` (already connected by the caller), draws progress and starts it — or starts
    // `runner`, a job that runs `job` inside it (the catalog's guard around a float).
    void runJob(Job* job, TransferJob* runner = nullptr)
    {
        m_job = job;
        m_runner = runner ? runner : job;
        console().startProgress([this](qint64& done, qint64& total, QString& label) {
            const TransferProgress now = m_job->progressNow();
            done = now.bytesDone;
            total = now.totalBytes;
            label = progressLabel();
        });
        m_clock.start();
        m_runner->start();
    }
    virtual QString progressLabel() const { return {}; }

    // Chunks found gone may mean their model is gone: another computer sharing the providers
    // removed it, and its collection freed them, before this vault synced. Pulls the catalog
    // (Ctrl-C stops it) and calls `then` with the removals among `models` (empty: none of them
    // was removed, or the catalog could not be read; it is data that is missing after all).
    void
    checkRemovedElsewhere(Vault* vault, const QStringList& models,
                          std::function<void(const QList<CatalogSyncJob::Report::Removal>&)> then)
    {
        auto* sync = new CatalogSyncJob(vault, this);
        m_runner = sync;
        connect(sync, &TransferJob::finished, this, [this, sync, models, then] {
            sync->deleteLater();
            m_runner = m_job;
            if (sync->error().kind == Error::Kind::Cancelled)
                return finish(Interrupted);
            QList<CatalogSyncJob::Report::Removal> named;
            if (sync->error().ok())
                for (const auto& r : sync->report().removals)
                    if (models.contains(r.name))
                        named.append(r);
            then(named);
        });
        sync->start();
    }
    double elapsedSeconds() const { return qMax<qint64>(1, m_clock.elapsed()) / 1000.0; }

    Job* m_job = nullptr;
    TransferJob* m_runner = nullptr;
    QElapsedTimer m_clock;
};

struct CommandInfo
{
    QString name;
    QString summary;
    std::function<Command*(Context&)> make;
};
QList<CommandInfo> allCommands();

// Makers, one per command file.
Command* makeInitCommand(Context&);
Command* makeConfigCommand(Context&);
Command* makeProviderCommand(Context&);
Command* makeFloatCommand(Context&);
Command* makeListCommand(Context&);
Command* makeInfoCommand(Context&);
Command* makeStatsCommand(Context&);
Command* makeRestoreCommand(Context&);
Command* makeCatCommand(Context&);
Command* makeServeCommand(Context&);
Command* makeWatchCommand(Context&);
Command* makeMountCommand(Context&);
Command* makeUnmountCommand(Context&);
Command* makeVerifyCommand(Context&);
Command* makeRemoveCommand(Context&);
Command* makeCollectCommand(Context&);
Command* makeImportCommand(Context&);
Command* makeIpfsImportCommand(Context&);
Command* makeHubCommand(Context&);
Command* makeMaterializeCommand(Context&);
Command* makeEvictCommand(Context&);
Command* makeUseCommand(Context&);
Command* makeInspectCommand(Context&);
Command* makeCidCommand(Context&);
Command* makeScanCommand(Context&);
Command* makeRepairCommand(Context&);
Command* makeConvertCommand(Context&);
Command* makeScrubCommand(Context&);
Command* makeOffloadCommand(Context&);
Command* makePinCommand(Context&);
Command* makeVaultCommand(Context&);

} // namespace mf::cli
