#pragma once

#include <QList>
#include <QString>

namespace mf::test {

// A test's own view of what a vault stored, read without ModelFloat's code: the registry with
// SQLite itself, the provider folders as files.

struct ChunkRow
{
    qint64 offset = 0;
    qint64 size = 0;
    QString cid;
};

// The chunks of the file at `path` (in any model of the vault in folder `vault`), in order.
QList<ChunkRow> fileManifest(const QString& vault, const QString& path);

// The object of chunk `cid` below a local-folder provider's `root`; empty when there is none.
QString chunkObjectBelow(const QString& root, const QString& cid);

// Every chunk object below a local-folder provider's `root` (not its temporaries, nor the
// catalog's manifests, which are named by CIDs too), sorted.
QStringList chunkObjects(const QString& root);

// Flips one byte of a chunk object, keeping its size.
bool flipOneByte(const QString& objectPath);

} // namespace mf::test
