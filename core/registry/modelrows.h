#pragma once

#include "chunking/unixfs.h"
#include "leaseowner.h"
#include "records.h"
#include "registryrows.h"

#include <QHash>
#include <QSet>
#include <optional>

namespace mf {

// Models, their files and manifests (tables models, files, file_chunks, chunks) with the
// leases of their writers (modelleases.cpp), their DAGs and pins on IPFS nodes (dagpins.cpp,
// filedags.cpp, table dag_pins) and the little a transfer's details read of them
// (transferqueries.cpp). models.cpp has the rest.
class ModelRows final : public RegistryRows
{
public:
    ModelRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    // Models
    std::optional<ModelRecord> modelByName(const QString& name);
    std::optional<ModelRecord> model(qint64 id);
    QList<ModelRecord> models();
    // A page of the models whose name contains `search` (any case, as QString::contains() with
    // Qt::CaseInsensitive; every model when empty), by name, `limit` from `offset`; *total: how
    // many match. Reads only the page's models (and, for a search, every name): an API's first
    // page of ten thousand models costs no more than of a hundred.
    QList<ModelRecord> modelPage(const QString& search, int offset, int limit, int* total);
    // Every model's id, without reading the models (a float notes which ones it made).
    QSet<qint64> modelIds();
    // A new model, leased to `owner` (claimModel() is what writers use).
    std::optional<qint64> createModel(const QString& name, const QString& source,
                                      const QString& owner = leaseowner::processLeaseOwner());
    bool setModelState(qint64 id, ModelRecord::State state);
    // Deletes the model, its files and manifests. Chunks stay (see orphanChunks()).
    // Refused while another owner holds a live lease on the model (a float writing it): then
    // `writer`, if given, names its process ("1234", or "1234 on host").
    bool removeModel(qint64 id, const QString& owner = leaseowner::processLeaseOwner(),
                     QString* writer = nullptr);

    // Files
    // Creates the file, or resets an existing incomplete one to an empty manifest (the scan that
    // follows rewrites it). Refuses a complete file. The chunks the interrupted scan recorded
    // stay referenced (not orphans: a concurrent rm or collect keeps them) until completeFile();
    // their rows sit below index 0, where no manifest reader looks.
    // Writing a file's manifest requires the model's lease (checked in the same transaction).
    std::optional<qint64> beginFile(qint64 modelId, const QString& path, qint64 size,
                                    const QString& chunker,
                                    const QString& owner = leaseowner::processLeaseOwner());
    // Appends scanned chunks to a file's manifest, inserting unknown chunks, in one transaction.
    bool appendChunks(qint64 fileId, const QList<FileChunk>& chunks,
                      const QString& owner = leaseowner::processLeaseOwner());
    // Marks the file complete with its whole-file hash, checking that its manifest tiles it.
    bool completeFile(qint64 fileId, const QByteArray& sha256Hex, const QJsonObject& metadata,
                      const QString& owner = leaseowner::processLeaseOwner());
    QList<FileRecord> files(qint64 modelId);
    std::optional<FileRecord> file(qint64 modelId, const QString& path);
    QList<FileChunk> fileChunks(qint64 fileId);

    // Writers hold a lease on the model they write (modelleases.cpp, leaseowner.h).
    static constexpr int ModelLeaseSecs = 90; // renewed by its writer every third of it
    struct ModelClaim
    {
        enum class Status { Created, Resumed, Complete, Busy, Failed };
        Status status = Status::Failed;
        qint64 modelId = 0;
        QString source;    // Complete: the source the model was floated from
        QString holderPid; // Busy: the process writing it ("1234", or "1234 on host")
    };
    // Creates the model with a lease for `owner`, or takes over an incomplete one whose lease
    // is free or stale; one transaction, so two writers of one name never both get it.
    // `reopenComplete`: a complete model is claimed too (an import adding variants to it).
    ModelClaim claimModel(const QString& name, const QString& source, const QString& owner,
                          bool reopenComplete = false);
    bool renewModelLease(qint64 modelId, const QString& owner);
    void releaseModelLease(qint64 modelId, const QString& owner);
    // Marks the model complete (and degraded when a chunk has fewer copies than wanted) and
    // ends the lease, if `owner` still holds it.
    bool completeModel(qint64 modelId, const QString& owner);
    // The live writer of a model other than `except`, if any ("" when none holds a live lease).
    QString modelWriter(qint64 modelId, const QString& except = {});

    // For a transfer's details (transferqueries.cpp): the providers holding stored copies of the
    // model's chunks, by name, and the chunks its files are made of (a chunk used twice counts
    // twice, as a restore reads it twice).
    QStringList providerNamesOfModel(qint64 modelId);
    int chunkCountOfModel(qint64 modelId);

    // --- Model DAGs on IPFS nodes (dagpins.cpp, docs/cids.md) ---
    // Complete models whose files all have a CID and whose every chunk is stored on the
    // provider as its DAG (a chunk of one leaf under its own CID, a larger one under its DAG's
    // root): the node holds every block under the model's root.
    QList<qint64> modelsWholeOn(qint64 providerId);
    // The model's root, its dag-pb blocks above the chunks' DAGs given to `sink` (the files'
    // upper nodes, then the directories); nullopt when a file's DAG is not known or its
    // manifest no longer gives its recorded CID.
    std::optional<unixfs::Node> modelDag(qint64 modelId, const unixfs::BlockSink& sink);
    // The model roots this vault pinned on the provider, or was pinning (root -> whether the
    // node confirmed the pin), and recording a pin about to be made, made, or removed.
    enum class DagPin { Removed, Pinning, Pinned };
    QHash<QString, bool> dagPins(qint64 providerId);
    bool setDagPin(qint64 providerId, const QString& cid, DagPin state);

private:
    // Inside a transaction: fails unless `owner` holds the lease of the model (or of the file's
    // model), so a writer whose lease was taken over cannot write any more.
    bool checkModelLease(qint64 modelId, const QString& owner);
    bool checkFileLease(qint64 fileId, const QString& owner);
    // Inside a transaction (filedags.cpp): the file's UnixFS DAG from its manifest's chunk DAGs;
    // *dag stays empty when a chunk's DAG is not known. False on a query error.
    bool fileDagFromManifest(qint64 fileId, std::optional<unixfs::Node>* dag,
                             const unixfs::BlockSink& sink = {});
};

} // namespace mf
