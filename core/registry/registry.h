#pragma once

#include "chunking/unixfs.h"
#include "records.h"

#include <QHash>
#include <QMap>
#include <QSet>
#include <QSqlDatabase>

#include <memory>
#include <optional>

namespace mf {

// The vault's index: one SQLite database (WAL, foreign keys on), owned by the thread that opened
// it. Every other thread that needs the registry opens its own Registry on the same file.
// Every change that touches several rows runs in one transaction, so a crash never leaves a
// half-written state. Methods return false / nullopt on failure and set lastError().
class Registry final
{
    Q_DISABLE_COPY_MOVE(Registry)

public:
    ~Registry();
    // What open() does with a database that has no registry schema yet (a new or empty file).
    enum class Schema {
        Create,    // give it the registry's schema: a new registry
        MustExist, // refuse it, untouched: a registry that existed must not be reset
    };
    static std::unique_ptr<Registry> open(const QString& path, QString* error,
                                          Schema schema = Schema::Create);

    QString path() const { return m_path; }
    QString lastError() const { return m_lastError; }
    int schemaVersion();

    // Vault-wide settings (replication factor, default chunker, ...).
    QString setting(const QString& key, const QString& fallback = {});
    bool setSetting(const QString& key, const QString& value);

    // Providers
    std::optional<qint64> addProvider(const ProviderRecord& record);
    QList<ProviderRecord> providers();
    std::optional<ProviderRecord> provider(qint64 id);
    std::optional<ProviderRecord> providerByName(const QString& name);
    bool setProviderHealth(qint64 id, const QString& health);
    // Changes a provider's name, settings and quota (kind, usage and health stay).
    bool updateProvider(const ProviderRecord& record);
    bool addProviderUsage(qint64 id, qint64 deltaBytes);
    // Removes the provider and its placements (in one transaction).
    bool removeProvider(qint64 id);

    // Models
    std::optional<ModelRecord> modelByName(const QString& name);
    std::optional<ModelRecord> model(qint64 id);
    QList<ModelRecord> models();
    // Every model's id, without reading the models (a float notes which ones it made).
    QSet<qint64> modelIds();
    // A new model, leased to `owner` (claimModel() is what writers use).
    std::optional<qint64> createModel(const QString& name, const QString& source,
                                      const QString& owner = processLeaseOwner());
    bool setModelState(qint64 id, ModelRecord::State state);

    // Whether providers answer (reachability.cpp). A check of a copy that got any answer
    // (there, gone, damaged) clears the provider's unreachable_since; one that got none sets it
    // unless it is set. False on a registry error.
    bool recordProviderAnswer(qint64 providerId, bool answered);
    // How long a provider may stay silent before the copies it holds count as lost: the
    // setting health.unreachable_after, in seconds (default a day).
    qint64 unreachableAfterSecs();
    bool setUnreachableAfterSecs(qint64 secs);
    // Silent for longer than that: the next check counts its copies missing, so that repair
    // makes them elsewhere, and it takes no new copies.
    bool providerLost(const ProviderRecord& provider);

    // Health (health.cpp). The copies every chunk should have: the vault's replication factor,
    // capped by the providers that take new copies (a vault with one provider wants one; one
    // being drained does not count).
    int wantedCopies();
    // Recomputes the degraded flag of these models (all models when empty) from their
    // placements: set when a chunk of a complete file has fewer than wantedCopies() stored
    // copies, cleared otherwise. One transaction.
    bool refreshDegraded(const QList<qint64>& modelIds = {});
    QList<qint64> degradedModels();
    // Chunks of the model's complete files with fewer than wantedCopies() stored copies.
    int underReplicatedChunks(qint64 modelId);
    // What the registry keeps counted for each model (schema 14, migrations.cpp), read without
    // touching its chunks: its files and their bytes, and how many of its distinct chunks have
    // each number of stored copies (only counts with chunks). summarizeModels() reads these.
    struct ModelCounts
    {
        int files = 0;
        qint64 bytes = 0;
        QMap<int, int> chunksByCopies; // stored copies -> distinct chunks with that many
    };
    // Of these models; of every model when `modelIds` is empty (two reads of small tables).
    QHash<qint64, ModelCounts> modelCounts(const QList<qint64>& modelIds = {});
    // The models whose files use any of these chunks.
    QList<qint64> modelsUsingChunks(const QStringList& cids);
    // The models a complete file of which uses a chunk with no stored copy known here (taken
    // in from the catalog by a sync that was stopped before it found the copies, or lost).
    QList<qint64> modelsWithUncopiedChunks();
    // The other models whose files use any chunk of this model's files: a copy of a chunk made,
    // found bad or found again changes their health too.
    QList<qint64> modelsSharingChunksWith(qint64 modelId);
    // For a transfer's details (transferqueries.cpp): the providers holding stored copies of the
    // model's chunks, by name, and the chunks its files are made of (a chunk used twice counts
    // twice, as a restore reads it twice).
    QStringList providerNamesOfModel(qint64 modelId);
    int chunkCountOfModel(qint64 modelId);

    // Repair's work (repairqueries.cpp): chunks of complete files (of `modelIds`; all models
    // when empty) with fewer than `wanted` stored copies, after `afterCid` in CID order.
    // Stored copies count only on providers not being drained. With `drainProvider`: instead,
    // every chunk with a copy (any state) on that provider, used or not.
    struct ChunkToRepair
    {
        QString cid;
        qint64 size = 0;
        int goodCopies = 0;
        bool used = true; // a file (complete or not) refers to it
    };
    QList<ChunkToRepair> chunksToRepair(const QString& afterCid, int limit, int wanted,
                                        const QList<qint64>& modelIds = {},
                                        qint64 drainProvider = 0);
    struct RepairWork
    {
        int chunks = 0;
        qint64 bytes = 0; // to copy: each chunk's size times the copies it lacks
    };
    RepairWork repairWork(int wanted, const QList<qint64>& modelIds = {}, qint64 drainProvider = 0);
    // Copies known missing or corrupt of chunks (of complete files of these models; empty: all)
    // that have `wanted` good copies again: each becomes a deletion (as retirePlacement() does)
    // and is forgotten, so that verify, scrub and repair no longer count a copy that was
    // replaced elsewhere. One transaction. The number retired, -1 on failure.
    int retireReplacedCopies(int wanted, const QList<qint64>& modelIds = {});

    // Scrub's work (scrubqueries.cpp). The cheap pass checks that each stored copy is there
    // with the right size (placements.checked_at), the full pass reads it back and hashes it
    // (verified_at). A copy is due when neither its pass looked at it nor was it stored since
    // `dueBefore` (seconds since the epoch); copies on disabled providers wait, and so, for the
    // full pass, do copies on providers paused for downloads (a transfer quota: providerBudget()).
    enum class ScrubPass { Check, Read };
    struct ScrubItem
    {
        QString cid;
        qint64 providerId = 0;
        QString locator;
        qint64 size = 0;
    };
    using ScrubScope = mf::ScrubScope;
    // Due copies after (afterCid, afterProvider), in (CID, provider) order, at most `limit`.
    QList<ScrubItem> placementsToScrub(ScrubPass pass, qint64 dueBefore, const QString& afterCid,
                                       qint64 afterProvider, int limit,
                                       const ScrubScope& scope = {});
    struct ScrubDue
    {
        int placements = 0; // due and can be looked at now
        qint64 bytes = 0;
        int paused = 0; // due, but held back until their provider serves downloads again
    };
    ScrubDue scrubDue(ScrubPass pass, qint64 dueBefore, const ScrubScope& scope = {});
    // What the pass found of a copy still recorded stored: Stored (there, and intact when read),
    // Missing or Corrupt. Stamps the pass's time (a read also counts as a check). A copy that
    // changed meanwhile (deleted, replaced, found bad by another reader) is left as it is.
    bool recordScrub(const QString& cid, qint64 providerId, ScrubPass pass, PlacementState found);
    // Forgets the copies of orphan chunks that a check found missing (another vault's collect
    // deleted them): they are no copies, and no model counts on them. How many.
    int forgetMissingOrphanCopies();
    // A provider that answers again after its copies were counted lost (reachability.cpp): the
    // copies on it recorded missing, after `afterCid` in CID order, at most `limit`, which a check
    // asks again; and what that found of one (Stored or Corrupt; a copy no longer recorded
    // missing is left as it is).
    QList<ScrubItem> missingCopiesOn(qint64 providerId, const QString& afterCid, int limit);
    bool recordFoundAgain(const QString& cid, qint64 providerId, ScrubPass pass,
                          PlacementState found);

    // Drains (drains.cpp): a provider being emptied before it is retired or removed.
    struct DrainStart
    {
        enum class Status { Started, Resumed, NotFound, TooFewProviders, Failed };
        Status status = Status::Failed;
        int wanted = 0;         // the copies each chunk must keep
        int otherProviders = 0; // that can hold them
    };
    // Marks the provider draining, unless that would leave chunks with fewer copies than the
    // vault wants (the other providers cannot hold them) and `force` is not set. Resumed when
    // it is draining already. One transaction.
    DrainStart startDrain(qint64 providerId, bool force, bool removeAfter);
    bool stopDrain(qint64 providerId);
    struct Drain
    {
        qint64 providerId = 0;
        qint64 startedAt = 0;
        bool removeAfter = false;
    };
    QList<Drain> drains();
    bool isDraining(qint64 providerId);
    enum class RetireResult { Retired, TooFewCopies, Busy, Gone, Failed };
    // Turns the provider's copy of `cid` into a pending deletion (as removing a model does),
    // if the chunk keeps at least `minOtherCopies` stored copies on providers not being drained
    // (stored copies only; a copy known bad goes regardless). Busy while a put to it is under
    // way. One transaction, so the count holds for the change it guards.
    RetireResult retirePlacement(const QString& cid, qint64 providerId, int minOtherCopies);
    struct ProviderContents
    {
        int placements = 0; // copies recorded there, any state
        int deletions = 0;  // objects still to delete there
    };
    ProviderContents providerContents(qint64 providerId);
    // Deletes the model, its files and manifests. Chunks stay (see orphanChunks()).
    // Refused while another owner holds a live lease on the model (a float writing it): then
    // `writer`, if given, names its process ("1234", or "1234 on host").
    bool removeModel(qint64 id, const QString& owner = processLeaseOwner(),
                     QString* writer = nullptr);

    // Files
    // Creates the file, or resets an existing incomplete one to an empty manifest (the scan that
    // follows rewrites it). Refuses a complete file. The chunks the interrupted scan recorded
    // stay referenced (not orphans: a concurrent rm or collect keeps them) until completeFile();
    // their rows sit below index 0, where no manifest reader looks.
    // Writing a file's manifest requires the model's lease (checked in the same transaction).
    std::optional<qint64> beginFile(qint64 modelId, const QString& path, qint64 size,
                                    const QString& chunker,
                                    const QString& owner = processLeaseOwner());
    // Appends scanned chunks to a file's manifest, inserting unknown chunks, in one transaction.
    bool appendChunks(qint64 fileId, const QList<FileChunk>& chunks,
                      const QString& owner = processLeaseOwner());
    // Marks the file complete with its whole-file hash, checking that its manifest tiles it.
    bool completeFile(qint64 fileId, const QByteArray& sha256Hex, const QJsonObject& metadata,
                      const QString& owner = processLeaseOwner());
    QList<FileRecord> files(qint64 modelId);
    std::optional<FileRecord> file(qint64 modelId, const QString& path);
    QList<FileChunk> fileChunks(qint64 fileId);
    // The size of a chunk the vault knows, by CID; none for a CID it does not know.
    std::optional<qint64> chunkSize(const QString& cid);

    // Placements
    QList<Placement> placements(const QString& cid);
    // All placements of the chunks of one model, by CID.
    QHash<QString, QList<Placement>> placementsOfModel(qint64 modelId);
    // All placements of the chunks of one file, by CID: what restoring that file needs.
    QHash<QString, QList<Placement>> placementsOfFile(qint64 fileId);
    bool recordPlacement(const Placement& placement);
    bool setPlacementState(const QString& cid, qint64 providerId, PlacementState state,
                           bool verifiedNow = false);
    bool removePlacement(const QString& cid, qint64 providerId);
    // For each chunk of the model: how many models (this one included) use it.
    QHash<QString, int> chunkModelCounts(qint64 modelId);
    // Chunks no file refers to any more, with their placements (to remove from providers).
    QList<QPair<QString, qint64>> orphanChunks(); // CID and size
    // Forgets a chunk nothing refers to, and in the same transaction records each of its
    // placements as an object to delete from its provider (pendingDeletions()).
    bool removeChunk(const QString& cid);
    QList<PendingDeletion> pendingDeletions();
    // The provider deleted the object (or no longer has it).
    bool forgetDeletion(qint64 id);

    // Coordination between the processes and jobs that share a vault (leases.cpp). A writer is
    // named by an owner string, unique to one job of one process (newLeaseOwner()); a lease
    // whose owner process is gone, or that was not renewed in time, is stale and may be taken.
    static QString newLeaseOwner();
    // The owner used by calls that do not name one: this process as a whole.
    static QString processLeaseOwner();
    static constexpr int ModelLeaseSecs = 90;     // renewed by its writer every third of it
    static constexpr int DeletionClaimSecs = 300; // one provider delete, retries included

    struct ModelClaim
    {
        enum class Status { Created, Resumed, Complete, Busy, Failed };
        Status status = Status::Failed;
        qint64 modelId = 0;
        QString source;    // Complete: the source the model was floated from
        QString holderPid; // Busy: the process writing it ("1234", or "1234 on host")
    };
    // Creates the model with a lease for `owner`, or takes over an incomplete one whose lease
    // is free or stale; one transaction, so two writers of one name never both get it.
    // `reopenComplete`: a complete model is claimed too (an import adding variants to it).
    ModelClaim claimModel(const QString& name, const QString& source, const QString& owner,
                          bool reopenComplete = false);
    bool renewModelLease(qint64 modelId, const QString& owner);
    void releaseModelLease(qint64 modelId, const QString& owner);
    // Marks the model complete (and degraded when a chunk has fewer copies than wanted) and
    // ends the lease, if `owner` still holds it.
    bool completeModel(qint64 modelId, const QString& owner);
    // The live writer of a model other than `except`, if any ("" when none holds a live lease).
    QString modelWriter(qint64 modelId, const QString& except = {});

    enum class PlacementIntent { Go, Busy, QuotaFull, Paused, Failed };
    // Before a put of `cid` to a provider: Busy while a deletion of that object is being
    // carried out (the put must wait for it); otherwise forgets deletions of the object still
    // queued (it is wanted again) and records a pending placement, which keeps any later
    // deletion away until the placement is gone, and reserves its bytes against the provider's
    // quota (QuotaFull when they do not fit) and its daily upload budget (Paused while the
    // provider takes no uploads: providerBudget() says until when and why). One transaction.
    PlacementIntent beginPlacement(const QString& cid, qint64 providerId);
    // A put succeeded: the placement is stored (not verified: nothing was read back), and the
    // provider's usage (and the bytes uploaded today) grow by `size` unless this placement was
    // already counted; one transaction.
    bool recordStored(const QString& cid, qint64 providerId, const QString& locator, qint64 size);
    // A put failed: forgets the pending placement beginPlacement() made (not a real one).
    void abandonPlacement(const QString& cid, qint64 providerId);

    enum class DeletionClaim { Claimed, Cancelled, Busy, Failed };
    // Before deleting a pending deletion's object: Cancelled (and forgotten) when the chunk is
    // placed there again, Busy while another live deleter holds it, else Claimed for `owner`.
    DeletionClaim claimDeletion(qint64 id, const QString& owner);
    // The delete failed: the next rm or collect may try again.
    void releaseDeletion(qint64 id);

    // Provider budgets (budgets.cpp): a provider that answered "no more until T" (a daily
    // upload cap, a transfer quota) is paused in that direction until then, for every process
    // on the vault. A later answer replaces an earlier one.
    bool pauseProvider(qint64 id, BudgetDirection direction, qint64 untilMs, const QString& reason);
    void clearProviderPause(qint64 id, BudgetDirection direction);
    // Its pauses still running (a full daily budget counts as an upload pause) and its day.
    ProviderBudget providerBudget(qint64 id);
    static constexpr qint64 BudgetDayMs = 24 * 3600 * 1000;

    // Durable job queue (float, restore, ...): survives a crash so work can be resumed. Each row
    // names the process that queued or runs it, so that another process takes over only the
    // rows of one that is gone (isProcessGone()).
    std::optional<qint64> addJob(const QString& kind, const QJsonObject& payload,
                                 const QString& owner = processLeaseOwner());
    bool setJobState(qint64 id, const QString& state, const QString& error = {});
    bool setJobPayload(qint64 id, const QJsonObject& payload);
    // Takes the row over for `owner` if it is still `expectedOwner`'s (one statement, so two
    // processes cannot both take it).
    bool takeOverJob(qint64 id, const QString& expectedOwner,
                     const QString& owner = processLeaseOwner());
    QList<QPair<qint64, QJsonObject>> jobs(const QString& kind, const QString& state);
    QList<JobRow> jobRows(const QString& kind, const QString& state);
    // Forgets a job row (a finished transfer the user cleared).
    bool removeJob(qint64 id);
    // Forgets finished rows (done, failed, cancelled) last changed before `beforeSecs`, and,
    // when `keepNewest` >= 0, all but the `keepNewest` last changed: the transfer history stays
    // bounded however busy the vault is.
    bool pruneFinishedJobs(qint64 beforeSecs, int keepNewest = -1);

    // Folders that restores and materializations write temporaries into, recorded while they
    // run (scratchareas.cpp), so that `collect` can sweep what a killed one left there.
    QList<qint64> addScratchAreas(const QStringList& folders,
                                  const QString& owner = processLeaseOwner());
    bool removeScratchAreas(const QList<qint64>& ids);
    QList<ScratchArea> scratchAreas();
    // Whether the process named in an owner string (processLeaseOwner(), newLeaseOwner()) is
    // known to be gone: it ran on this host, and no process with its pid has run since
    // `sinceSecs` (-1: unknown). A process of another host is never known to be gone.
    static bool isProcessGone(const QString& owner, qint64 sinceSecs = -1);

    // --- The catalog on the providers (catalogrows.cpp, docs/catalog.md) ---
    // A complete model with changes not yet published, and its change counter as read.
    struct CatalogChange
    {
        qint64 modelId = 0;
        qint64 dirty = 0;
        QString uid;            // empty until first published
        bool published = false; // some version of it was published (or taken in) before
    };
    QList<CatalogChange> catalogChanges();
    // Models removed here (their uids) whose entries are not tombstoned yet.
    QStringList catalogRemovals();
    struct CatalogPublication
    {
        CatalogChange change;
        CatalogEntry entry; // entry.uid: the model's uid (given to it now if it had none)
        QByteArray manifest;
    };
    // Records one publish of `vault` in one transaction: the new entries (each model takes its
    // uid and is clean unless it changed since it was read), tombstones for the entries they
    // replace and for every entry of the removed uids, own entries that are tombstoned anywhere
    // dropped. Bumps and returns the vault's catalog seq; 0 on failure.
    qint64 recordCatalogPublish(const QString& vault, const QList<CatalogPublication>& published,
                                const QStringList& removedUids);
    qint64 catalogSeq();
    // Moves this vault's seq above one found on a provider (a second writer of the same id).
    bool raiseCatalogSeq(qint64 above);
    // This vault's own live entries and the tombstones it wrote: its state.
    bool catalogOwnState(const QString& vault, QList<CatalogEntry>* entries,
                         QStringList* tombstones);
    // The manifest of an own entry; empty when unknown.
    QByteArray catalogManifest(const QString& cid);
    qint64 catalogPublishedSeq(qint64 providerId);
    bool setCatalogPublishedSeq(qint64 providerId, qint64 seq);
    // The seq of another vault's state merged last (0: none).
    qint64 catalogVaultSeq(const QString& vault);
    // The models importCatalogModel() created since this was last called (a sync that was
    // killed left its count here), set back to 0.
    int takeCatalogModelsAdded();
    // The model uid of a merged catalog entry (empty: no such entry).
    QString catalogEntryUid(const QString& eid);
    // Replaces what is known of another vault's state, in one transaction.
    bool storeCatalogState(const QString& vault, qint64 seq, const QList<CatalogEntry>& entries,
                           const QStringList& tombstones);
    // A model whose local row differs from the merged catalog.
    struct CatalogDifference
    {
        QString uid;
        qint64 modelId = 0;                // 0: no local model yet
        std::optional<CatalogEntry> shown; // none: no live entry is left (removed elsewhere)
    };
    // Every uid whose live entry is not what its local (clean, complete) model holds.
    QList<CatalogDifference> catalogDifferences();
    // Creates, or replaces the files of, the model of `entry.uid` from its manifest, complete
    // and clean, in one transaction. A local model without uid of the same name and the same
    // files is adopted instead; another model of that name keeps it (the new one is shown as
    // "name~<uid>"). Refused while the local model has unpublished changes or a live writer.
    std::optional<qint64>
    importCatalogModel(const CatalogEntry& entry, const ModelRecord& model,
                       const QList<QPair<FileRecord, QList<FileChunk>>>& files);
    // A model some of whose chunks are on no provider any more: the files that use them, and the
    // model, become incomplete again (a float of the same files resumes it and sends them).
    bool reopenModelWithLostChunks(qint64 modelId);
    // What removeCatalogModel() did.
    enum class CatalogRemoval { Removed, Shown, Failed };
    // Removes a model whose entries were all removed elsewhere, unless it changed here since or
    // a live entry shows it again (Shown): both are checked in the removal's own transaction,
    // since the sync that found the difference read it earlier and a publish may have come in
    // between. Failed: lastError() says why it stays.
    CatalogRemoval removeCatalogModel(qint64 modelId);
    // Objects found on a provider for chunks the registry knows: recorded as stored (not
    // verified) unless a deletion of the object is being carried out; a queued deletion of it
    // is forgotten (it is wanted). Returns how many placements were new.
    int recordFoundPlacements(qint64 providerId, const QList<Placement>& found);
    // Stored placements on a provider whose locator does not end in the chunk's CID: a listing
    // of the provider cannot tell which chunk they hold (IPFS DAG roots).
    QList<Placement> placementsNotNamedByCid(qint64 providerId);
    // Chunks (CID -> size) with no stored placement on a provider; of the given models only,
    // or of every model when `modelIds` is empty.
    QHash<QString, qint64> chunksMissingOn(qint64 providerId, const QList<qint64>& modelIds = {});
    // Complete models with a chunk that has no stored placement anywhere (cannot be restored).
    QStringList modelsMissingChunks();
    // Chunks with no stored placement on any provider.
    QStringList chunksWithoutPlacement();
    // Since when this vault has seen `cid` unreferenced (unreferenced.cpp): a chunk the registry
    // holds that no file uses, or an object a provider lists that no catalog names. The first
    // call stamps `now`; the stamp goes once the chunk is known or used again. None on error.
    std::optional<qint64> unreferencedSince(const QString& cid, qint64 now);
    // After a sweep that listed every provider: the stamps of objects no provider lists any more
    // (another vault deleted them) go, so that if one comes back its period starts over. How
    // many; -1 on error.
    int forgetUnreferencedExcept(const QSet<QString>& seen);
    // A deletion of an object found on a provider that nothing here refers to (the collection's
    // sweep); false when the chunk is known or placed there meanwhile.
    bool queueSweepDeletion(qint64 providerId, const QString& cid, const QString& locator,
                            qint64 size);

    // --- Model DAGs on IPFS nodes (dagpins.cpp, docs/cids.md) ---
    // Complete models whose files all have a CID and whose every chunk is stored on the
    // provider as its DAG (a chunk of one leaf under its own CID, a larger one under its DAG's
    // root): the node holds every block under the model's root.
    QList<qint64> modelsWholeOn(qint64 providerId);
    // The model's root, its dag-pb blocks above the chunks' DAGs given to `sink` (the files'
    // upper nodes, then the directories); nullopt when a file's DAG is not known or its
    // manifest no longer gives its recorded CID.
    std::optional<unixfs::Node> modelDag(qint64 modelId, const unixfs::BlockSink& sink);
    // The model roots this vault pinned on the provider, or was pinning (root -> whether the
    // node confirmed the pin), and recording a pin about to be made, made, or removed.
    enum class DagPin { Removed, Pinning, Pinned };
    QHash<QString, bool> dagPins(qint64 providerId);
    bool setDagPin(qint64 providerId, const QString& cid, DagPin state);

    VaultStats stats();
    // Stored bytes per provider id (after dedup, counting stored placements).
    QHash<qint64, qint64> storedBytesByProvider();

    // Runs `work` in one transaction; commits when it returns true, rolls back otherwise. A
    // nested call joins the outer transaction, and its failure rolls the whole one back.
    bool transaction(const std::function<bool()>& work);
    // Runs `work`, which only reads, on one snapshot of the registry: what other connections
    // commit meanwhile is not seen, and, unlike transaction(), no writer is kept waiting.
    // Inside a transaction it joins it; a write inside a snapshot fails.
    bool readSnapshot(const std::function<bool()>& work);

private:
    Registry() = default;
    bool fail(const QString& what, const QString& detail);
    // Inside a transaction: fails unless `owner` holds the lease of the model (or of the file's
    // model), so a writer whose lease was taken over cannot write any more.
    bool checkModelLease(qint64 modelId, const QString& owner);
    bool checkFileLease(qint64 fileId, const QString& owner);
    // Inside a transaction (budgets.cpp): until when uploads to the provider are refused (-1:
    // they are not) given `adding` more bytes now, and why.
    qint64 uploadBlockedUntil(qint64 providerId, qint64 adding, QString* reason);
    bool countUpload(qint64 providerId, qint64 bytes);
    // SQL, inside an UPDATE of `models`: whether the row's model has a chunk with fewer stored
    // copies than its one placeholder (health.cpp).
    static QString underReplicatedCondition();
    // Inside a transaction (filedags.cpp): the file's UnixFS DAG from its manifest's chunk DAGs;
    // *dag stays empty when a chunk's DAG is not known. False on a query error.
    bool fileDagFromManifest(qint64 fileId, std::optional<unixfs::Node>* dag,
                             const unixfs::BlockSink& sink = {});
    class Query;
    // Statements prepared once and used again (Query): preparing one costs more than running
    // it for the small statements a float runs per chunk. One per SQL text, unless it is in use
    // (a second at once is prepared on its own). Cleared before the connection closes.
    struct CachedStatement;
    QHash<QString, std::shared_ptr<CachedStatement>> m_statements;

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_path;
    QString m_lastError;
    int m_transactionDepth = 0;
    bool m_rollbackOnly = false; // a nested transaction failed
};

} // namespace mf
