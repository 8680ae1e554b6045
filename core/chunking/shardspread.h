#pragma once

#include <QList>
#include <QSet>
#include <QtGlobal>

#include <vector>

namespace mf {

// Whether a chunk's shards can each be read from a provider of their own (docs/erasure.md). A
// chunk kept as K+M survives the loss of any M providers only when every shard has a provider
// that no other shard of the chunk needs: two shards whose only copies are on one provider are
// both lost with it. Two vaults sharing providers place one chunk each their own way, and their
// deletions can leave exactly that, with every shard stored and every copy intact.
//
// `holdings` has one entry per shard index (a shard of zeros, the same object at several
// indices, has one entry per index): the providers holding a good copy of it. A maximum matching
// of indices to distinct providers (Kuhn's augmenting paths: a chunk has at most 32 shards and
// a vault a handful of providers), taken in index order, so the same holdings always give the
// same answer.

// For each index, the provider it keeps as its own, or -1 for an index left without one (its
// providers are all kept by other indices: copies of it elsewhere make the chunk whole again).
// No provider in `without` is kept.
std::vector<qint64> keepShardsApart(const std::vector<QSet<qint64>>& holdings,
                                    const QSet<qint64>& without = {});

// How many of the indices can each keep a provider of their own, none of them in `without`.
int shardsKeptApart(const std::vector<QSet<qint64>>& holdings, const QSet<qint64>& without = {});

} // namespace mf
