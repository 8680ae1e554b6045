#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace mf {

struct RedundancyScheme;

struct ProviderRecord
{
    qint64 id = 0;
    QString kind;
    QString name;
    QJsonObject settings; // non-secret settings only; secrets live in the OS keychain
    qint64 quotaBytes = -1;
    qint64 usedBytes = 0;
    // "unknown" until tested, then "ok" or "error: <why the last test failed>" (healthAfterTest).
    QString health;
    bool enabled = true;
    bool draining = false; // being emptied (ProviderRows::startDrain): takes no new copies
    // Seconds since the epoch since which it has not answered a check (0: it answered when last
    // asked). ProviderRows::providerLost() says when that is too long.
    qint64 unreachableSince = 0;
    // Where new copies may go: enabled and not being drained.
    bool takesNewCopies() const { return enabled && !draining; }
    // The health to record after a connection test that failed with `error` (empty: passed).
    // The cause is kept, so the app shows it after a restart, not just "error".
    static QString healthAfterTest(const QString& error)
    {
        return error.isEmpty() ? QStringLiteral("ok")
                               : QStringLiteral("error: ") + error.section(QLatin1Char('\n'), 0, 0);
    }
    // The cause a failed test recorded; empty when the last test passed or none ran.
    QString testFailure() const
    {
        return health.startsWith(QLatin1String("error: ")) ? health.mid(7) : QString();
    }
};

// Which copies a scrub looks at (ScrubRows::placementsToScrub()): of chunks these models use
// (empty: all), or of orphans only (chunks no file uses: kept for later floats, and maybe
// collected by another vault).
struct ScrubScope
{
    QList<qint64> modelIds;
    bool orphansOnly = false;
};

struct ModelRecord
{
    enum class State { Incomplete, Complete };
    qint64 id = 0;
    QString name;
    QString source;
    QDateTime created;
    QStringList tags;
    State state = State::Incomplete;
    // Complete (restorable) but some chunk has fewer good copies than the vault wants: not
    // healthy until repaired. Only a complete model is ever degraded.
    bool degraded = false;
    // The scheme it is kept as, RedundancyScheme's words ("copies 2", "shards 4+2"); empty for a
    // model floated before schemes were recorded (copies, as many as the vault wants).
    QString redundancy;
    // That scheme, read: for a model with none recorded, the `wantedCopies` the vault wants
    // (HealthRows::wantedCopies()).
    RedundancyScheme scheme(int wantedCopies) const;
};

struct FileRecord
{
    enum class State { Incomplete, Complete };
    qint64 id = 0;
    qint64 modelId = 0;
    QString path; // inside the model, '/'-separated
    qint64 size = 0;
    QByteArray sha256; // lower-case hex; empty until complete
    QString chunker;   // ChunkerParams::toString()
    QJsonObject metadata;
    State state = State::Incomplete;
    // The file's IPFS CID (docs/cids.md) and its DAG's cumulative size (a directory link's
    // Tsize), set when it completes; empty when a chunk's DAG was not known (floated before the
    // registry kept CIDs, schema 10).
    QString cid;
    qint64 dagSize = 0;
};

struct FileChunk
{
    int index = 0;
    qint64 offset = 0;
    qint64 size = 0;
    QString cid;
    // The chunk's UnixFS DAG (docs/cids.md) when it is larger than one 1 MiB leaf: its root's
    // CID and cumulative size. Empty for a chunk of one leaf (its own CID is its DAG) and
    // where it is not known.
    QString dagCid = {};
    qint64 dagSize = 0;
};

enum class PlacementState { Pending, Stored, Missing, Corrupt };
QString placementStateName(PlacementState state);

struct Placement
{
    QString cid;
    qint64 providerId = 0;
    QString locator;
    PlacementState state = PlacementState::Pending;
    QDateTime verifiedAt;
    // The last time this copy was known to be there or not: stored, checked (a stat) or read
    // back, whichever is latest. Read only by PlacementRows::placementsOfModel(); invalid when
    // never (and elsewhere).
    QDateTime lastSeen = {};
};

// Where a provider stands with its budgets (ProviderRows::providerBudget()). Pauses are only those
// still running: a pause whose time has passed reads as -1.
struct ProviderBudget
{
    qint64 uploadPausedUntilMs = -1; // no uploads before then (a cap, a full daily budget)
    QString uploadPauseReason;
    qint64 downloadPausedUntilMs = -1; // no downloads before then (a transfer quota)
    QString downloadPauseReason;
    qint64 dailyUploadBytes = -1;  // the user's daily upload budget (setting "dailyUpload")
    qint64 uploadedTodayBytes = 0; // counted since the current day started
    qint64 dayEndsMs = -1;         // when the current day ends (its count starts again)

    bool uploadPaused() const { return uploadPausedUntilMs > 0; }
    bool downloadPaused() const { return downloadPausedUntilMs > 0; }
};

enum class BudgetDirection { Upload, Download };

// An object a provider still holds for a chunk nothing uses any more.
struct PendingDeletion
{
    qint64 id = 0;
    qint64 providerId = 0;
    QString locator;
    QString cid;
    qint64 size = 0;
};

// A folder a restore or materialization writes its temporaries into, recorded while it runs.
struct ScratchArea
{
    qint64 id = 0;
    QString owner; // leaseowner::processLeaseOwner() of the writing process
    QString folder;
    qint64 createdSecs = 0;
};

// A row of the durable job queue.
struct JobRow
{
    qint64 id = 0;
    QJsonObject payload;
    QString owner; // the process that runs or queued it (leaseowner::processLeaseOwner())
    qint64 updatedSecs = 0;
};

// One published version of a model in a vault's catalog (docs/catalog.md).
struct CatalogEntry
{
    QString eid;      // this version's own id, never reused
    QString uid;      // the model's id across vaults
    QString vault;    // the vault whose state holds it
    QString manifest; // CID of its manifest object
    QString name;
    qint64 time = 0; // when it was published, seconds since the epoch (writer's clock)
};

struct VaultStats
{
    int models = 0;
    int files = 0;
    qint64 logicalBytes = 0; // sum of file sizes (an incomplete file counts its whole size)
    qint64 uniqueBytes = 0;  // sum of distinct chunk sizes (after dedup)
    // What dedup saves is measured on complete models only, and on chunks that have a stored
    // copy: the chunk bytes their files reference (a chunk used twice counts twice), and the
    // same chunks counted once. The part of an unfinished float never chunked, and chunks stored
    // nowhere, are not savings.
    qint64 referencedBytes = 0;
    qint64 referencedUniqueBytes = 0;
    qint64 dedupSavedBytes() const
    {
        return qMax<qint64>(0, referencedBytes - referencedUniqueBytes);
    }
    qint64 storedBytes = 0; // sum over stored placements (after replication)
    int chunks = 0; // counting the shards of chunks kept as shards, each an object of its own
    int shards = 0; // of those, distinct shards (docs/erasure.md)
    int placements = 0;
    // Copies found missing or corrupt whose chunk has not got its wanted copies back: once
    // repair made them elsewhere, the record of the bad one is no longer a problem.
    int unhealthyPlacements = 0;
};

} // namespace mf
