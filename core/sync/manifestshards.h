#pragma once

#include "catalogformat.h"

namespace mf {

class Registry;

// The shards of a model's chunks between the registry and its manifest (docs/erasure.md, "In the
// catalog"), so that another computer can find and read a model stored as shards.
namespace manifestshards {

// A file of model `modelId`'s shards for its manifest: each chunk's K+M shard CIDs under one
// scheme (the model's, or while it is converted from copies the one its chunks are being given),
// none for a chunk without them (read as copies); empty when no chunk of it has shards.
catalog::ManifestShards ofFile(Registry& registry, const QList<FileChunk>& chunks, qint64 modelId);

// Records what a manifest taken in says of its model's shards: each chunk's shards (their sizes
// derived from the chunk's, never read) and the model's scheme: its shards when every chunk has
// them, else copies (a model taken in before and since converted back to copies is so again). Run
// in the transaction that takes the model in; false with the registry's error set (a chunk with
// other shards recorded here).
bool record(Registry& registry, qint64 modelId, const QList<catalog::ManifestFile>& files);

} // namespace manifestshards
} // namespace mf
