#pragma once

#include <QString>

namespace mf {

// The Hugging Face cache layout (as huggingface_hub writes and reads it, section 6 of
// /work/shared/protocols/huggingface.md):
//   <root>/models--org--name/refs/main            the commit, 40 hex, no newline
//   <root>/models--org--name/blobs/<etag>          the content (sha256 for LFS, git sha1 else)
//   <root>/models--org--name/snapshots/<commit>/<path>  relative symlink to ../../blobs/<etag>
namespace hfcache {

// "models--org--name" ("/" becomes "--").
QString repoFolderName(const QString& repoId);
// Parses a model source "hf:org/name@<commit>"; false when it is not one.
bool parseSource(const QString& source, QString* repoId, QString* commit);
// The symlink target from snapshots/<commit>/<path> to blobs/<etag>: "../../blobs/<etag>" with
// one more "../" per folder level of `path`.
QString blobLinkTarget(const QString& path, const QString& etag);
// Writes refs/<ref> = commit atomically (temporary file + rename).
bool writeRef(const QString& repoFolder, const QString& ref, const QString& commit, QString* error);
// Creates (or replaces) the snapshot symlink of `path` to the blob.
bool linkSnapshot(const QString& repoFolder, const QString& commit, const QString& path,
                  const QString& etag, QString* error);
// Whether the Hub keeps `path` in Git LFS, so that its ETag (and a cache's blob name) is the
// SHA-256 of its content rather than its git blob sha1: weight files by their extension (the
// patterns of the .gitattributes the Hub gives every new repo) and any file over 10 MiB (the
// Hub refuses a larger file in plain git). One rule for materialize and the local API, so what
// a client caches from the API is what `materialize --layout hf` writes.
bool storedInLfs(const QString& path, qint64 size);
// The most a file outside LFS may have (storedInLfs()).
constexpr qint64 MaxGitFileBytes = 10 * 1024 * 1024;
// The git blob sha1 of a file ("blob <size>\0" + content), hex; empty when unreadable.
QByteArray gitBlobSha1(const QString& filePath);

} // namespace hfcache
} // namespace mf
