#pragma once
// One file's bytes in a second place without a second copy where the file system allows it:
// a hard link (same file system), else a reflink (ioctl FICLONE: btrfs, XFS, ...), else a copy.
// Nothing already at the target is ever replaced, and no partial file is ever visible there:
// a reflink or copy is written under a temporary name in the target's folder and published
// with link(2), which fails rather than replace what appeared meanwhile.

#include <QString>

#include <optional>

namespace mf::appstores {

// A file's identity on its file system.
struct FileIdentity
{
    quint64 device = 0;
    quint64 inode = 0;
    qint64 bytes = 0;
    bool operator==(const FileIdentity& o) const
    {
        return device == o.device && inode == o.inode && bytes == o.bytes;
    }
};

// The identity of the file at `path` itself (a symlink's own, not its target's); nullopt when
// there is none.
std::optional<FileIdentity> identityOf(const QString& path);

struct SharedCopy
{
    enum class Method { HardLink, Reflink, Copy };
    Method method = Method::HardLink;
    FileIdentity identity;     // of the file at the target
    bool alreadyThere = false; // the target was already this very file (a hard link to source)
};
QString methodName(SharedCopy::Method method); // "hard link", "reflink", "copy"

// Puts `source`'s bytes at `target` (making its folder). False with *error when the target
// exists and is another file, or when the folder cannot be written (a read-only file system is
// said so).
bool shareFile(const QString& source, const QString& target, SharedCopy* result, QString* error);

// Replaces the app's own file `target` by a hard link to `shared` (the same bytes, which the
// caller has made sure of: the app names the file by the SHA-256 of `shared`'s verified bytes),
// freeing the disk the app's copy took. Atomic: a link under a temporary name beside it, renamed
// over it. *freedBytes is what that frees (0 when it was already the same file, or when another
// name still holds the old file). False with *error on another file system (a link cannot cross
// it) or when the folder cannot be written; the app's file is then left as it was.
bool replaceByLink(const QString& shared, const QString& target, qint64* freedBytes,
                   QString* error);

// Writes `bytes` as a new file at `target` (temporary + link, as above). A target that already
// holds exactly these bytes is left as it is (*created false); one with other bytes is refused.
bool writeNewFile(const QString& target, const QByteArray& bytes, bool* created, QString* error);

} // namespace mf::appstores
