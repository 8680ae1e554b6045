#pragma once
// The apps' own copies of a floated model's files, as the scan (modelcensus.h) finds them, and
// freeing them: each replaced by a hard link to the one shared copy, or removed outright ("keep
// it floating only"). A copy the app names by the SHA-256 of a file of the model (Ollama's blob
// "sha256-<hex>", the Hugging Face cache's blob "<hex>") is that file's; any other copy of a
// file's size (LM Studio keeps no digest) is read first and kept only when its SHA-256 is the
// file's. The caller makes sure the model's floated copies are verified before freeing any.

#include "hub/appuses.h"
#include "modelcensus.h"
#include "sharedcopy.h"

#include <QByteArray>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <atomic>

namespace mf::appstores {

// A file of a floated model: its path in the model, size and SHA-256 (hex).
struct ModelFile
{
    QString path;
    qint64 size = 0;
    QByteArray sha256;
};

// One file on disk holding a model file's bytes in one app's store, with every name the app
// gives it.
struct AppCopy
{
    App app = App::Ollama;
    QString root;        // the store folder
    QStringList labels;  // how the app names the model: "tiny:latest", "org/repo/x.gguf", ...
    QString file;        // the bytes (links followed)
    QStringList entries; // the app's entries naming it: Ollama's manifests, the cache's links
    qint64 size = 0;
    ModelFile modelFile;  // the model's file it holds
    bool byDigest = true; // the app names it by the SHA-256; false: to be read first
    FileIdentity identity;
};

// The copies in `census` that may hold files of `files`. Files in `skip` (canonical paths:
// what `use` wrote, already the shared copy) are left out. Quick: reads nothing.
QList<AppCopy> appCopiesOf(const Census& census, const QList<ModelFile>& files,
                           const QSet<QString>& skip);

// Reads the copies not named by their digest and keeps those whose SHA-256 is their file's;
// `notes` says which were left and why. Blocking: run it on a worker thread.
QList<AppCopy> confirmedCopies(const QList<AppCopy>& copies, const std::atomic_bool* cancelled,
                               QStringList* notes);

// Every file `use` wrote into an app (canonical paths): ModelFloat's own, never an app's copy.
QSet<QString> writtenByUse(const AppUses& uses);

// Disk the copies take, each file once.
qint64 bytesOf(const QList<AppCopy>& copies);
// What replacing them by one shared copy frees: all but one copy of each of the model's files
// (the shared copy takes its place).
qint64 duplicateBytesOf(const QList<AppCopy>& copies);
// "Ollama (tiny:latest), LM Studio (pub/x/x.gguf)": the apps and how they name the model.
QString placesOf(const QList<AppCopy>& copies);

// Removes a copy from its app outright: the app's entries naming it first (so the app never
// names a missing file), then the file, each only while it is what the scan found. *freedBytes
// is the disk that freed (0 when another name still holds the file). False with *error when
// something was left; what was removed stays removed (the vault holds the bytes).
bool removeCopy(const AppCopy& copy, qint64* freedBytes, QString* error);

} // namespace mf::appstores
