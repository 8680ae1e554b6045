#pragma once

#include "records.h"
#include "registryrows.h"

namespace mf {

// The work of scrub and repair over the placements: the copies a scrub pass is due to look
// at and what it found (scrubqueries.cpp), those a provider that answers again is asked for
// (foundagain.cpp), and the chunks repair copies (repairqueries.cpp).
class ScrubRows final : public RegistryRows
{
public:
    ScrubRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    // Repair's work (repairqueries.cpp): chunks of complete files (of `modelIds`; all models
    // when empty) with fewer than `wanted` stored copies and, when stored as shards, fewer than
    // all their shards stored (the health's verdict), after `afterCid` in CID order.
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
        // To put: each chunk's size times the copies it lacks, or (stored as shards) the sizes
        // of the shards it lost.
        qint64 bytes = 0;
    };
    RepairWork repairWork(int wanted, const QList<qint64>& modelIds = {}, qint64 drainProvider = 0);
    // A conversion's work (RepairJob::Options::convertTo): every chunk of the complete files of
    // `modelIds`, short or not, after `afterCid` in CID order; and their number and bytes.
    QList<ChunkToRepair> chunksOfModels(const QString& afterCid, int limit,
                                        const QList<qint64>& modelIds);
    RepairWork modelsWork(const QList<qint64>& modelIds);
    // Copies known missing or corrupt of chunks (of complete files of these models; empty: all)
    // that have `wanted` good copies again, and of shards of such chunks that have a good copy
    // again (one per index they are): each becomes a deletion (as retirePlacement() does)
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
};

} // namespace mf
