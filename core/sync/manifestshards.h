#pragma once

#include "catalogformat.h"

namespace mf {

class Registry;

// The shards of a model's chunks between the registry and its manifest (docs/erasure.md, "In the
// catalog"), so that another computer can find and read a model stored as shards.
namespace manifestshards {

// A file of model `modelId`'s shards for its manifest: every chunk's K+M shard CIDs, when all its
// chunks are stored as shards under one scheme (the model's, where a chunk has two); empty
// otherwise (its chunks are read as copies).
catalog::ManifestShards ofFile(Registry& registry, const QList<FileChunk>& chunks, qint64 modelId);

// Records what a manifest taken in says of its model's shards: each chunk's shards (their sizes
// derived from the chunk's, never read) and the model's scheme. Run in the transaction that takes
// the model in; false with the registry's error set (a chunk with other shards recorded here).
bool record(Registry& registry, qint64 modelId, const QList<catalog::ManifestFile>& files);

} // namespace manifestshards
} // namespace mf
