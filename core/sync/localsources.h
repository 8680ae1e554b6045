#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <atomic>
#include <optional>

namespace mf::localsources {

// Files a person still has, used to heal a model whose chunks were lost on the providers
// (`modelfloat-cli repair MODEL --from PATH`, "Use these files to repair it" in the app). A file
// of the model is matched by its size and name first (cheap: a listing), then by SHA-256 of the
// whole file, which must equal the one the registry recorded: only then are its bytes used, and
// each chunk read from it is checked against its CID once more before it is put anywhere.

struct WantedFile
{
    qint64 fileId = 0;
    QString path; // inside the model
    qint64 size = 0;
    QByteArray sha256; // lower-case hex, as the registry keeps it
};

struct Matches
{
    QHash<qint64, QString> byFile; // file id -> the local file with its bytes
    int filesSeen = 0;             // files found under the roots
    int hashed = 0;                // of them, hashed (those of a wanted size)
    QStringList problems;          // roots that are not there, files that could not be read
};

// Blocking (reads and hashes whole files): for a worker thread. `roots` are files or folders
// (walked recursively). Each local file is hashed at most once; a candidate with the model
// file's name is tried before others of its size. Stops early when `cancelled` turns true.
Matches match(const QList<WantedFile>& wanted, const QStringList& roots,
              const std::atomic_bool* cancelled = nullptr);

// The `size` bytes at `offset` of `path`, if they have the chunk CID `cid` (the file may have
// changed since it was matched). Blocking: for a worker thread.
std::optional<QByteArray> readChunk(const QString& path, qint64 offset, qint64 size,
                                    const QString& cid);

} // namespace mf::localsources
