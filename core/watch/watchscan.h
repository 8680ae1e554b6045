#pragma once
// One look at a watched folder: which models it holds, grouped as a float groups them, and a
// signature of each (its files' paths, sizes and modification times) to tell whether it is
// still growing. Blocking file-system reads only: run it off the GUI and engine threads.

#include <QList>
#include <QString>
#include <QStringList>

namespace mf::watchscan {

// One model in a watched folder, floated as one. A folder that holds a *.safetensors file is
// one model with every file below it (what floating that folder takes, FloatJob::collectFiles,
// e.g. its config.json and tokenizer); elsewhere each *.gguf file is a model of its own.
struct Unit
{
    QString path; // the .gguf file, or the folder of a safetensors model
    bool isFolder = false;
    // "relative path, size, mtime" of every file it holds, one a line, sorted: equal at two
    // looks some seconds apart means nothing is writing it.
    QString signature;
    qint64 bytes = 0;
    // A file being downloaded sits in it (*.part, *.incomplete, *.crdownload, *.tmp, ...):
    // never floated half-way, whatever the signature says.
    bool downloading = false;
};

struct Result
{
    QList<Unit> units;
    // What the file-system watcher follows: the folders looked in (a file created, renamed or
    // removed) and the models' files (a file rewritten in place).
    QStringList watchPaths;
    int files = 0; // files looked at
};

// The name of a file a browser or a downloader is still writing.
bool isPartialName(const QString& fileName);

// Looks at `root` and below (symbolic links to folders are not followed; hidden folders and
// `skip`, the vault, are left out).
Result scan(const QString& root, const QString& skip = {});

} // namespace mf::watchscan
