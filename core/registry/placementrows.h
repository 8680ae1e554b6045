#pragma once

#include "records.h"
#include "registryrows.h"

#include <QHash>
#include <QSet>
#include <optional>

namespace mf {

// Where chunks are: copies on providers (table placements) and the objects to delete from
// them (table deletions), with the claims that keep a put and a delete of one object apart
// (placementclaims.cpp), what recovery and the collection's sweep find on the providers
// (foundplacements.cpp, unreferenced.cpp, table chunk_unreferenced) and a drain's retiring of a
// copy (retireplacement.cpp). placements.cpp has the rest.
class PlacementRows final : public RegistryRows
{
public:
    PlacementRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    // The size of a chunk the vault knows, by CID; none for a CID it does not know.
    std::optional<qint64> chunkSize(const QString& cid);
    QList<Placement> placements(const QString& cid);
    // The providers where a put of `cid` was begun (beginPlacement) and has not ended: under way
    // in some process, or left by one that was killed, so the object may be there.
    QSet<qint64> putsBegun(const QString& cid);
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

    static constexpr int DeletionClaimSecs = 300; // one provider delete, retries included
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

    enum class DeletionClaim { Claimed, Cancelled, KeptShared, Busy, Failed };
    // Whether other vaults keep their chunks on the deletion's store too (their catalogs are
    // there, CatalogSyncJob::sharedProviders()), or it could not be told.
    enum class Store { Own, Shared };
    // Before deleting a pending deletion's object: Cancelled (and forgotten) when the chunk is
    // placed there again; KeptShared (and forgotten) when the store is shared and a file here
    // still uses the object as a chunk kept whole or as a shard (a copy found missing or
    // corrupt and made again elsewhere, or moved off by a drain: what is there now may be
    // another vault's copy, which it relies on); Busy while another live deleter holds it; else
    // Claimed for `owner`. One transaction.
    DeletionClaim claimDeletion(qint64 id, const QString& owner, Store store = Store::Own);
    // The delete failed: the next rm or collect may try again.
    void releaseDeletion(qint64 id);

    enum class RetireResult { Retired, TooFewCopies, Busy, Gone, Failed };
    // Turns the provider's copy of `cid` into a pending deletion (as removing a model does),
    // if the chunk keeps at least `minOtherCopies` stored copies on providers not being drained
    // (stored copies only; a copy known bad goes regardless). Busy while a put to it is under
    // way. One transaction, so the count holds for the change it guards.
    RetireResult retirePlacement(const QString& cid, qint64 providerId, int minOtherCopies);

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
};

} // namespace mf
