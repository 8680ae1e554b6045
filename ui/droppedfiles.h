#pragma once

#include <QList>
#include <QStringList>
#include <QUrl>

namespace mf::ui {

// What was dropped (or passed on the command line), checked before anything is floated: the
// local paths, or the first reason it cannot be floated, written for the person who dropped it.
struct DroppedFiles
{
    QStringList paths; // absolute local files and folders
    QString problem;   // empty when `paths` can be floated
    int fileCount = 0; // regular files, folders counted recursively
    qint64 totalBytes = 0;

    bool ok() const { return problem.isEmpty() && !paths.isEmpty(); }

    static DroppedFiles fromUrls(const QList<QUrl>& urls);
    static DroppedFiles fromPaths(const QStringList& paths);
    // The regular files of `paths`, folders walked recursively (what a float will read).
    static QStringList expand(const QStringList& paths);
};

} // namespace mf::ui
