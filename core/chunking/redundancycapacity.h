#pragma once

#include "redundancyscheme.h"

#include <QtGlobal>

#include <vector>

namespace mf {

// How many bytes of models fit in providers with these free spaces under a redundancy scheme:
// the largest total T such that every chunk can have its N copies, or its K+M shards of 1/K of
// its size, each on a distinct provider, with no provider over its free space. Chunks are small
// beside the providers, so the model is divided finely: a provider holds at most one piece of
// each chunk, so at most T (copies) or T/K (shards) bytes, and with P = T or T/K and n = N or
// K+M the condition is n·P ≤ Σ min(freeᵢ, P). Its largest P is the smallest, over j < n, of
// (the free space of all but the j largest providers) / (n − j).
//
// Negative free spaces count as 0; sums saturate at the largest qint64 rather than overflow.
// Fewer providers than the scheme needs: 0.
qint64 modelBytesThatFit(const std::vector<qint64>& freeBytes, const RedundancyScheme& scheme);

} // namespace mf
