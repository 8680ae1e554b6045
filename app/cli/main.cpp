// modelfloat-cli: the command-line face of the engine. It links only modelfloat_core, which is
// the proof that the engine needs no display.

#include "command.h"
#include "interrupt.h"
#include "providers/gdrive/gdriveauth.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTextStream>

#include <csignal>

using namespace mf::cli;

namespace {

QString globalHelp()
{
    QString text = QStringLiteral(
        "Usage: modelfloat-cli [--vault DIR] [--json] [--quiet] COMMAND [options] [arguments]\n\n"
        "Keeps large model files floating: split into content-addressed chunks, stored on\n"
        "several providers, restored bit-exact and verified.\n\nCommands:\n");
    // The summaries line up after the longest command name, with at least two spaces.
    qsizetype width = 0;
    for (const CommandInfo& c : allCommands())
        width = qMax(width, c.name.size());
    for (const CommandInfo& c : allCommands())
        text += QStringLiteral("  %1  %2\n").arg(c.name, -int(width)).arg(c.summary);
    text += QStringLiteral(
        "\nOptions every command takes (before or after its name):\n"
        "  --vault DIR   the vault folder (default: $MODELFLOAT_VAULT, else\n"
        "                ~/.local/share/modelfloat/vault). The default folder becomes a vault\n"
        "                on first use; any other must hold one already (see `init`)\n"
        "  --json        print the result as one JSON document\n"
        "  --quiet       no progress line\n"
        "  --limit-upload RATE, --limit-download RATE\n"
        "                send to / receive from the providers (and the Hub) at most RATE\n"
        "                bytes per second, e.g. 20M; every transfer of the command shares it\n"
        "  --help        help for the command\n"
        "\nExit codes:\n"
        "  0 success, 1 a transfer or provider failed, 2 bad arguments, 3 no such model/file/\n"
        "  provider/vault, 4 missing or corrupt data found, 5 model or destination already\n"
        "  exists, or the model is being floated by another process, 6 a path is missing,\n"
        "  unreadable, empty or changed while read, 7 some chunks have fewer copies than\n"
        "  wanted (none lost; verify, repair, provider drain), 8 the vault's registry\n"
        "  cannot be used (empty, damaged, unreadable or newer; left untouched), 130\n"
        "  interrupted, 141 the output's reader went away (`cat … | head`).\n");
    return text;
}

// The options every command takes may also come before the command's name
// ("modelfloat-cli --vault DIR list"): they are moved to just after it, where every command reads
// them. Empty `error` unless one is malformed.
QStringList globalOptionsAfterCommand(QStringList args, QString* error)
{
    QStringList globals;
    while (!args.isEmpty()) {
        const QString a = args.first();
        const bool takesValue = a == QLatin1String("--vault") ||
                                a == QLatin1String("--limit-upload") ||
                                a == QLatin1String("--limit-download");
        if (a == QLatin1String("--json") || a == QLatin1String("--quiet") ||
            a.startsWith(QLatin1String("--vault=")) ||
            a.startsWith(QLatin1String("--limit-upload=")) ||
            a.startsWith(QLatin1String("--limit-download="))) {
            globals << args.takeFirst();
        } else if (takesValue) {
            if (args.size() < 2) {
                *error = a == QLatin1String("--vault")
                             ? QStringLiteral("--vault needs a folder")
                             : QStringLiteral("%1 needs a rate such as 20M").arg(a);
                return {};
            }
            globals << args.takeFirst() << args.takeFirst();
        } else {
            break;
        }
    }
    if (globals.isEmpty())
        return args;
    if (args.isEmpty()) {
        *error = QStringLiteral("no command given");
        return {};
    }
    return QStringList{args.first()} + globals + args.mid(1);
}

} // namespace

int main(int argc, char* argv[])
{
    // A reader that goes away (`modelfloat-cli cat … | head`) is seen as EPIPE by the write, so
    // the command ends cleanly, instead of the process being killed mid-way by SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("modelfloat-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MODELFLOAT_VERSION));

    // Signing in to Google Drive (`provider add gdrive`, `provider auth`): the consent page's
    // address is printed, so it can be opened anywhere on this computer, and given to the
    // desktop's browser when there is a desktop.
    mf::gdrive::setConsentPageOpener([](const QUrl& url) {
        const QString address = url.toString(QUrl::FullyEncoded);
        QTextStream(stderr) << "Open this address in a browser to sign in to Google Drive:\n  "
                            << address << "\n";
        if (!qEnvironmentVariableIsSet("MODELFLOAT_NO_BROWSER") &&
            (qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")))
            QProcess::startDetached(QStringLiteral("xdg-open"), {address});
    });

    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    QString malformed;
    args = globalOptionsAfterCommand(args, &malformed);
    if (!malformed.isEmpty()) {
        QTextStream(stderr) << "modelfloat-cli: " << malformed
                            << " (see “modelfloat-cli --help”)\n";
        return Usage;
    }
    if (args.isEmpty() || args.first() == QLatin1String("--help") ||
        args.first() == QLatin1String("-h") || args.first() == QLatin1String("help")) {
        QTextStream(stdout) << globalHelp();
        return args.isEmpty() ? Usage : Success;
    }
    if (args.first() == QLatin1String("--version")) {
        QTextStream(stdout) << "modelfloat-cli " << QCoreApplication::applicationVersion() << '\n';
        return Success;
    }

    Context context;
    Command* command = nullptr;
    for (const CommandInfo& c : allCommands())
        if (c.name == args.first())
            command = c.make(context);
    if (!command) {
        QTextStream(stderr) << "modelfloat-cli: unknown command “" << args.first()
                            << "” (see “modelfloat-cli --help”)\n";
        return Usage;
    }
    Interrupt interrupt;
    QObject::connect(&interrupt, &Interrupt::interrupted, command, &Command::interrupt);
    QObject::connect(command, &Command::done, &app, [](int code) { QCoreApplication::exit(code); });
    QMetaObject::invokeMethod(
        command, [command, args] { command->run(args); }, Qt::QueuedConnection);
    const int code = app.exec();
    delete command;
    // Jobs handed to deleteLater() in the loop's last turn go before the vault: they hold leases
    // on its adapters (docs/providers.md, "Who owns an adapter"), which go with the last of them.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    context.vault.reset();
    return code;
}
