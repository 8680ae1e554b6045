#pragma once
// Every model file the apps keep, each listed once with every place it lives, the disk spent on
// duplicate copies, and (when asked to read them) whether each copy's bytes are the bytes its
// app's digest names. Blocking: run it on a worker thread.

#include "appstore.h"

#include <atomic>
#include <optional>

namespace mf::appstores {

struct Place
{
    FoundCopy copy;
    QString canonicalPath; // the file itself, links followed
    // Whether its bytes hash to the model's SHA-256; nullopt when not read (no --verify) or
    // when there is nothing to compare with.
    std::optional<bool> intact;
    bool sharesDisk = false; // the same file (a link) as an earlier place: no extra disk
};

struct CensusModel
{
    QString name;         // a file name the apps use, else an app's label
    QByteArray sha256;    // hex; what an app's digest says, or what was read; empty: unknown
    bool shaRead = false; // sha256 comes from reading the bytes, not only from a digest
    qint64 size = 0;
    QList<Place> places;
    qint64 duplicateBytes = 0; // disk beyond one copy
};

struct Census
{
    QList<CensusModel> models;
    qint64 bytesOnDisk = 0;    // each file counted once
    qint64 duplicateBytes = 0; // of them, beyond one copy of each model
    QStringList warnings;
    bool cancelled = false;
};

// Reads the stores; `verify` also hashes every distinct file once.
Census takeCensus(const QList<StoreRoot>& roots, bool verify,
                  const std::atomic_bool* cancelled = nullptr);

} // namespace mf::appstores
