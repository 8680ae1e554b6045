#pragma once

#include "util/error.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace mf {

// One file of a Hub repo at a commit, as the tree API lists it.
struct HubFile
{
    QString path; // inside the repo, '/'-separated
    qint64 size = 0;
    QByteArray gitOid; // git blob sha1 (hex)
    QByteArray sha256; // LFS oid (hex, lower case); empty for regular git files
    bool isLfs() const { return !sha256.isEmpty(); }
};

// A repo pinned to one commit: what an import reads and what "hf:org/name@commit" names.
struct HubRepo
{
    QString id;     // "org/name" (or a legacy "name")
    QString commit; // 40 hex
    QString gated;  // "", "auto" or "manual"
    bool isPrivate = false;
    QList<HubFile> files;

    // "hf:org/name@<commit>", the source recorded on the model.
    QString source() const;
    const HubFile* file(const QString& path) const;
};

namespace hubrepo {

// A repo id from "org/name", "hf:org/name", "hf:org/name@rev" or a pasted URL
// "https://huggingface.co/org/name/tree/main"; *revision gets the revision when one is named.
// Returns an empty string (and *error) when the text is not a repo id.
QString parseRepoId(const QString& text, QString* revision, QString* error);

// GET /api/models/{repo}[/revision/{rev}]: fills id, commit, gated, private. Files from
// siblings when the answer has them (blobs=true).
bool parseInfo(const QByteArray& json, HubRepo* repo, QString* error);
// One page of GET /api/models/{repo}/tree/{rev}?recursive=true: appends the files (directories
// are skipped).
bool parseTreePage(const QByteArray& json, QList<HubFile>* files, QString* error);
// The "next" target of a Link header, or an empty string.
QString nextLink(const QByteArray& linkHeader);

} // namespace hubrepo
} // namespace mf
