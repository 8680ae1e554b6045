#pragma once

#include "console.h"
#include "exitcodes.h"

#include <QCommandLineParser>
#include <QObject>

#include <functional>
#include <memory>

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
    // Opens the vault; on failure prints why and returns nullptr.
    Vault* openVault();
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
    // Sets up `parser` with the options every command takes, parses `args`, handles --help and
    // argument errors. Returns false when the command must stop (finish() already called).
    bool parse(QCommandLineParser& parser, const QStringList& args, const QString& syntax,
               int minPositional, int maxPositional);
    Console& console() { return m_ctx.console; }

    Context& m_ctx;

private:
    bool m_done = false;
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
Command* makeVerifyCommand(Context&);
Command* makeRemoveCommand(Context&);
Command* makeCollectCommand(Context&);

} // namespace mf::cli
