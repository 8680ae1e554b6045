#pragma once

#include <QString>

namespace mf {

// The system's words for an errno value, for messages.
QString errnoText(int err);

// Writes all `size` bytes at `offset`, retrying short and interrupted writes. False with errno
// set on failure.
bool pwriteAll(int fd, const char* data, qint64 size, qint64 offset);

// Moves `from` to `to` only if nothing is at `to`: renameat2 with RENAME_NOREPLACE where the file
// system supports it, else a hard link (which also never replaces), else — on file systems with
// neither, such as FAT — a check then a rename. -1 with errno (EEXIST when `to` exists).
int renameNoReplace(const char* from, const char* to);

// Makes the entries of `folder` durable (fsync on the folder): a file renamed or created in it
// survives a power cut only once this returns true. False with errno set.
bool syncFolder(const QString& folder);

// Creates `folder` and its missing parents like mkdir -p; with `durable`, each new folder's
// entry is synced into its parent, so that a file synced into the folder later can be found
// after a power cut. False with errno set.
bool makeFolders(const QString& folder, bool durable);

} // namespace mf
