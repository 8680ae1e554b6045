#include "autostart.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace mf::ui::autostart {

QString entryPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/autostart/io.modelfloat.ModelFloat.desktop");
}

bool isEnabled()
{
    return QFileInfo::exists(entryPath());
}

bool setEnabled(bool enabled, QString* error)
{
    const QString path = entryPath();
    if (!enabled) {
        if (!QFileInfo::exists(path) || QFile::remove(path))
            return true;
        if (error)
            *error = QCoreApplication::translate("mf::ui::autostart", "Cannot remove “%1”")
                         .arg(QDir::toNativeSeparators(path));
        return false;
    }
    QDir().mkpath(QFileInfo(path).path());
    // The Exec key quotes the program path as the Desktop Entry spec asks.
    QString program = QCoreApplication::applicationFilePath();
    program.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
        .replace(QLatin1Char('"'), QStringLiteral("\\\""));
    const QString entry =
        QStringLiteral("[Desktop Entry]\nType=Application\nName=ModelFloat\n"
                       "Comment=Keep large AI models floating across storage providers\n"
                       "Exec=\"%1\" --minimized\nIcon=io.modelfloat.ModelFloat\nTerminal=false\n"
                       "X-GNOME-Autostart-enabled=true\n")
            .arg(program);
    QSaveFile file(path);
    if (file.open(QIODevice::WriteOnly) && file.write(entry.toUtf8()) >= 0 && file.commit())
        return true;
    if (error)
        *error = QCoreApplication::translate("mf::ui::autostart", "Cannot write “%1”: %2")
                     .arg(QDir::toNativeSeparators(path), file.errorString());
    return false;
}

} // namespace mf::ui::autostart
