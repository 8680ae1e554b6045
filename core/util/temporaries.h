#pragma once

#include <QList>
#include <QRegularExpression>
#include <QString>

namespace mf::temporaries {

// Every temporary file or upload ModelFloat makes carries its owner in its name:
//   <base>.modelfloat-<host key>-<pid>-<nonce>-<unique>
// (processidentity.h), so that a later run, or `collect`, can remove the temporaries that a
// killed process left (kill -9, a crash, a power cut) without ever touching those of a process
// that still runs.

// "<base>.modelfloat-<host key>-<pid>-<nonce>-" : append a unique part (mkstemp's XXXXXX).
QString prefix(const QString& base);
// prefix(base) + 16 random hex digits.
QString uniqueName(const QString& base);

// A temporary whose owner cannot be checked from here — made on another host, or named by a
// version of ModelFloat that did not name owners — is taken to be abandoned only once nothing
// has written to it for this long.
constexpr qint64 UnknownOwnerAgeSecs = 24 * 3600;

enum class Owner {
    NotATemporary, // not a name this scheme (or `legacy`) gives
    ThisProcess,
    Running, // another process of this host that may still run
    Dead,    // its process is gone
    Unknown, // another host's, or an older version's (see UnknownOwnerAgeSecs)
};

// Whose temporary `fileName` is. `lastModifiedSecs` (since the epoch, -1: unknown) tells a dead
// owner from a live process that reused its pid. `legacy` matches names older versions gave.
Owner ownerOf(const QString& fileName, qint64 lastModifiedSecs = -1,
              const QRegularExpression& legacy = {});
// Whether a temporary of that owner, last written `ageSecs` ago, may be removed.
bool isAbandoned(Owner owner, qint64 ageSecs);

struct SweepResult
{
    struct Removed
    {
        QString name;
        qint64 bytes = 0;
    };
    QList<Removed> removed;
    QStringList errors; // what could not be removed, and why
    qint64 bytes() const;
    SweepResult& operator+=(const SweepResult& other);
};

// Removes the abandoned temporaries in `folder` (not below it) whose names match `pattern`
// (anchored: the whole name) and carry an owner, or match `legacy`. Never follows links, never
// removes a folder.
SweepResult sweepFolder(const QString& folder, const QRegularExpression& pattern,
                        const QRegularExpression& legacy = {});

} // namespace mf::temporaries
