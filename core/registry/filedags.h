#pragma once

#include "chunking/unixfs.h"
#include "records.h"

#include <optional>

// Files and models as IPFS DAGs (docs/cids.md), from what the registry records: a complete file
// keeps its DAG's root (FileRecord::cid, dagSize), computed from its chunks' DAGs when it
// completed (ModelRows::completeFile); a model's DAG is the directory of its files, cheap enough
// to build whenever it is asked for.
namespace mf::filedags {

// The file's root as a directory links to it; nullopt when the file is not complete or its CID
// is not known.
std::optional<unixfs::Node> fileNode(const FileRecord& file);

// The model's directory over its files; nullopt when a file has no CID. `sink` is given the
// directory blocks (for an IPFS node).
std::optional<unixfs::Node> modelNode(const QList<FileRecord>& files,
                                      const unixfs::BlockSink& sink = {});

// The text form of modelNode()'s CID, or empty.
QString modelCid(const QList<FileRecord>& files);

} // namespace mf::filedags
