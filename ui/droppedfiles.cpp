#include "droppedfiles.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

namespace mf::ui {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("DroppedFiles", text);
}

} // namespace

DroppedFiles DroppedFiles::fromUrls(const QList<QUrl>& urls)
{
    DroppedFiles d;
    if (urls.isEmpty()) {
        d.problem = tr("Only files and folders can be floated.");
        return d;
    }
    QStringList paths;
    for (const QUrl& url : urls) {
        if (!url.isLocalFile()) {
            d.problem = tr("“%1” is not a local file. Download it first, then drop the file.")
                            .arg(url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery));
            return d;
        }
        paths.append(url.toLocalFile());
    }
    return fromPaths(paths);
}

DroppedFiles DroppedFiles::fromPaths(const QStringList& paths)
{
    DroppedFiles d;
    for (const QString& p : paths) {
        const QFileInfo info(p);
        if (!info.exists()) {
            d.problem = tr("“%1” does not exist.").arg(QDir::toNativeSeparators(p));
            return d;
        }
        if (!info.isReadable() || (info.isDir() && !info.isExecutable())) {
            d.problem = tr("“%1” cannot be read: permission denied.")
                            .arg(QDir::toNativeSeparators(info.absoluteFilePath()));
            return d;
        }
        if (!info.isDir() && !info.isFile()) {
            d.problem = tr("“%1” is not a regular file or folder.")
                            .arg(QDir::toNativeSeparators(info.absoluteFilePath()));
            return d;
        }
        d.paths.append(info.absoluteFilePath());
    }
    for (const QString& f : expand(d.paths)) {
        const QFileInfo info(f);
        if (!info.isReadable()) {
            d.problem =
                tr("“%1” cannot be read: permission denied.").arg(QDir::toNativeSeparators(f));
            return d;
        }
        d.fileCount++;
        d.totalBytes += info.size();
    }
    if (d.problem.isEmpty() && d.fileCount == 0)
        d.problem = paths.isEmpty() ? tr("Nothing to float.")
                                    : tr("There is no file to float in what was dropped.");
    return d;
}

QStringList DroppedFiles::expand(const QStringList& paths)
{
    QStringList files;
    for (const QString& p : paths) {
        const QFileInfo info(p);
        if (info.isFile()) {
            files.append(info.absoluteFilePath());
            continue;
        }
        if (!info.isDir())
            continue;
        QDirIterator it(info.absoluteFilePath(), QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                        QDirIterator::Subdirectories);
        while (it.hasNext())
            files.append(it.next());
    }
    files.sort();
    return files;
}

} // namespace mf::ui
