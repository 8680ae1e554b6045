#pragma once

#include "records.h"

#include <QHash>

namespace mf {

class Registry;

// What a person wants to know about a model at a glance: its size, how its chunks are spread,
// how healthy its replicas are, and what deduplication saved. One place computes it, for the
// command line and the GUI alike.
struct ModelSummary
{
    ModelRecord model;
    int files = 0;
    qint64 bytes = 0;  // sum of file sizes
    int chunkRefs = 0; // chunks in manifests, counting repeats
    int uniqueChunks = 0;
    qint64 uniqueBytes = 0;  // after dedup within the model
    qint64 sharedBytes = 0;  // of uniqueBytes, also used by other models
    int minReplicas = 0;     // good replicas of the worst-off chunk
    int underReplicated = 0; // chunks with fewer good replicas than wanted
    int lost = 0;            // chunks with no good replica
    // The oldest time a stored copy of it was last read back and checked (verify, a restore,
    // a scrub); invalid while some copy never was.
    QDateTime lastVerified;
    // How fresh the health above is: the oldest time a copy of it was last known to be there or
    // not (stored by a float or a repair, checked by repair's look or the scrub, read back);
    // invalid while some copy never was. Only summarizeModel() fills it.
    QDateTime lastChecked;
    QHash<qint64, int> chunksByProvider;
    QHash<qint64, qint64> bytesByProvider; // of its chunks' copies and shards
    // Chunks stored as shards (docs/erasure.md), and the shards each provider holds of them
    // (under the scheme each chunk is read by). Only summarizeModel() fills them.
    int shardedChunks = 0;
    QHash<qint64, int> shardsByProvider;

    // "incomplete" (a float has not finished), "damaged" (a chunk has no good copy: the model
    // cannot be rebuilt until one is found), "degraded" (restorable, but some chunk has fewer
    // copies than wanted), or "healthy".
    QString health(int wantedReplicas) const;
};

// Everything above, summed from the model's chunks and their copies: for one model at a time.
ModelSummary summarizeModel(Registry& registry, const ModelRecord& model, int wantedReplicas);

// What a list of models shows (files, bytes, uniqueChunks, minReplicas, underReplicated, lost,
// and so health()), read from the counts the registry keeps (HealthRows::modelCounts()): as fast
// in a vault of a million chunks as in an empty one. The other fields stay empty. In the order
// of `models`. An incomplete model being floated again also counts the chunks its interrupted
// scan kept (ModelRows::beginFile()) until its file completes; its health is "incomplete" either
// way.
QList<ModelSummary> summarizeModels(Registry& registry, const QList<ModelRecord>& models,
                                    int wantedReplicas);

} // namespace mf
