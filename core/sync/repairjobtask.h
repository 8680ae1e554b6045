#pragma once
// What RepairJob keeps of a chunk it is repairing, shared by repairjob.cpp and
// repairjob_local.cpp.

#include "providers/chunkwriter.h"
#include "repairjob.h"
#include "transfer/chunkfetcher.h"

#include <QHash>
#include <QSet>

#include <atomic>
#include <deque>
#include <memory>

namespace mf {

struct RepairJob::Task
{
    ScrubRows::ChunkToRepair chunk;
    MemoryChunkWriter writer;
    std::unique_ptr<ChunkFetcher> fetcher;
    QSet<qint64> holders;             // providers with a good copy
    QHash<qint64, QString> badCopies; // provider -> locator of a copy known missing or corrupt
    std::deque<qint64> candidates;    // where to put copies, best first
    QByteArray localBytes;            // read from a file at hand (fromPaths) instead of a provider
    const QByteArray& bytes() const { return localBytes.isEmpty() ? writer.bytes() : localBytes; }
    ProviderJob* put = nullptr;
    qint64 putProvider = 0;
    bool waiting = false; // for a deletion to end
    // Set by a put's device when the bytes it sent would not hash to the CID.
    std::shared_ptr<std::atomic_bool> mismatched = std::make_shared<std::atomic_bool>(false);
};

} // namespace mf
