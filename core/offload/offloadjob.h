#pragma once

#include "registry/registry.h"
#include "sync/scrubjob.h"
#include "transfer/transferjob.h"

#include <QSet>

#include <memory>

namespace mf {

class DeletionRun;
class RepairJob;
class Vault;

// Frees this computer of a model ("Free up space"): its copies on the vault's embedded
// provider (vault/thiscomputer.h), its chunks in the chunk cache and its materialized copy go,
// and the model stays available, read and restored from the other providers. A copy here goes
// only once the copies the vault wants (its replication) are stored elsewhere:
//  1. the model's copies not looked at for a day are checked (the scrub's check pass, a stat
//     each), so the counts below rest on what the providers hold now;
//  2. refused, removing nothing, when a chunk has no copy on another provider (repair makes it
//     again) or a copy could not be checked;
//  3. a RepairJob drains the embedded provider of this model's chunks only: each chunk gets the
//     wanted copies elsewhere, and its copy here becomes a pending deletion in the transaction
//     that counts them (PlacementRows::retirePlacement, as a drain does), so a crash anywhere
//     leaves either the copy or its recorded deletion, which the next offload, rm or collect
//     carries out. Chunks a pinned model uses stay;
//  4. the deletions on the embedded provider are carried out, each claimed first;
//  5. the chunk cache and the materialized cache drop the model.
// The model is no longer pinned afterwards.
class OffloadJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OffloadJob)

public:
    // Copies checked longer ago than this are checked again first.
    static constexpr qint64 FreshSecs = ScrubJob::FreshSecs;

    struct Report
    {
        int chunks = 0;        // the model's chunks
        int copiesMade = 0;    // elsewhere, to reach the wanted copies
        int copiesRemoved = 0; // objects deleted from the embedded provider
        int chunksKept = 0;    // left here: a pinned model uses them, or too few copies elsewhere
        int chunksUnsafe = 0;  // refused: chunks with no copy on another provider
        qint64 bytesFreed = 0; // local store, chunk cache and materialized copy
        QStringList problems;
    };

    OffloadJob(Vault* vault, const QString& modelName, QObject* parent = nullptr);
    ~OffloadJob() override;

    const Report& report() const { return m_report; }
    TransferProgress progressNow() const override;

private:
    void onChecked();
    void onRepaired();
    void onDeleted();
    void dropCaches();
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    QString m_modelName;
    qint64 m_modelId = 0;
    qint64 m_localId = 0;
    std::unique_ptr<ScrubJob> m_check;
    std::unique_ptr<RepairJob> m_repair;
    QSet<QString> m_keep; // chunks of pinned models
    DeletionRun* m_deletions = nullptr;
    Report m_report;
};

} // namespace mf
