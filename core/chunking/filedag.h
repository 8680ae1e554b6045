#pragma once

#include "chunkerparams.h"
#include "unixfs.h"

#include <QString>

#include <atomic>
#include <optional>

namespace mf {

// A local file's UnixFS DAG (unixfs.h) as a float with `params` would chunk it, read once from
// start to end. Blocking: for worker threads. nullopt with `error` set when the file cannot be
// read, or when `cancelled` turned true. `sink` is given the dag-pb blocks (for an IPFS node).
std::optional<unixfs::Node> fileDagOf(const QString& path, const ChunkerParams& params,
                                      QString* error, const std::atomic_bool* cancelled = nullptr,
                                      const unixfs::BlockSink& sink = {});

} // namespace mf
