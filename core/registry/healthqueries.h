#pragma once

#include <QString>

namespace mf::healthqueries {

// The chunks stored as shards and with no copy of their own, one row per model and chunk: the
// model's id, whether all the chunk's shards are stored, whether at least K are. Of every model,
// found through the index of chunks with no copy (chunks_lost), which are few; with `oneModel`,
// of the model bound to the query's one parameter, found through that model's own files (a page
// of 100 models read every chunk of the vault 100 times when the plan started from the chunks).
// Apart from HealthRows so that a test can check the plan SQLite makes of it.
QString shardedChunks(bool oneModel);

} // namespace mf::healthqueries
