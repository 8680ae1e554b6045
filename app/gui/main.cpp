// modelfloat: the desktop app.
#include "appcontroller.h"
#include "icons.h"
#include "providers/gdrive/gdriveauth.h"
#include "settingsdialog.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>

#include <memory>

namespace {

// --help and --version only print: they answer on a terminal without a display (over ssh, in
// a container, and for help2man, which makes the manual page from them at build time).
bool onlyPrints(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--")
            break;
        if (arg == "-h" || arg == "-?" || arg == "--help" || arg == "--help-all" || arg == "-v" ||
            arg == "--version")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    std::unique_ptr<QCoreApplication> app;
    if (onlyPrints(argc, argv))
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ModelFloat"));
    QCoreApplication::setOrganizationName(QStringLiteral("ModelFloat"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MODELFLOAT_VERSION));

    // Signing in to Google Drive (the Providers page's Sign in…): the consent page opens in the
    // user's browser, which is sent back to ModelFloat's listener on 127.0.0.1. The sign-in runs
    // on the engine's thread; the browser is asked for from the GUI thread.
    mf::gdrive::setConsentPageOpener([context = app.get()](const QUrl& url) {
        QMetaObject::invokeMethod(
            context, [url] { QDesktopServices::openUrl(url); }, Qt::QueuedConnection);
    });

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Keep large AI models floating across storage providers."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("files"),
                                 QStringLiteral("Model files or folders to float."),
                                 QStringLiteral("[FILE...]"));
    const QCommandLineOption minimized(QStringLiteral("minimized"),
                                       QStringLiteral("Start in the system tray."));
    const QCommandLineOption vault(QStringLiteral("vault"),
                                   QStringLiteral("The vault folder to open (default: the one "
                                                  "in Settings, or $MODELFLOAT_VAULT)."),
                                   QStringLiteral("DIR"));
    parser.addOptions({minimized, vault});
    parser.process(*app); // --help and --version print and exit here
    if (!qobject_cast<QApplication*>(app.get()))
        return 2; // not reached: process() has printed and exited

    // The desktop entry's id (resources/io.modelfloat.ModelFloat.desktop), so shells match the
    // window to its launcher and icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("io.modelfloat.ModelFloat"));
    QGuiApplication::setWindowIcon(mf::ui::icon(QStringLiteral("modelfloat")));

    mf::app::LaunchOptions options;
    options.minimized = parser.isSet(minimized);
    if (parser.isSet(vault))
        options.vaultDirectory = parser.value(vault);
    else if (qEnvironmentVariableIsSet("MODELFLOAT_VAULT"))
        options.vaultDirectory = qEnvironmentVariable("MODELFLOAT_VAULT");
    else
        options.vaultDirectory = mf::ui::SettingsDialog::storedVaultDirectory();
    options.vaultDirectory = QDir::cleanPath(QDir(options.vaultDirectory).absolutePath());
    // Absolute now: a running instance resolves nothing against this launch's folder.
    for (const QString& file : parser.positionalArguments())
        options.files.append(QFileInfo(file).absoluteFilePath());

    mf::app::AppController controller(options);
    controller.start();
    return QCoreApplication::exec();
}
