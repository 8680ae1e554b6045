#pragma once

#include "records.h"
#include "registryrows.h"

#include <QHash>
#include <QMap>

namespace mf {

// How well the models' chunks are copied (health.cpp): the copies wanted, each model's
// degraded flag and the counts kept for it (tables models, model_copies), and the vault's
// figures (vaultstats.cpp, table vault_counts).
class HealthRows final : public RegistryRows
{
public:
    HealthRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    // The copies every chunk should have: the vault's replication factor (SettingsRows),
    // capped by the providers that take new copies (a vault with one provider wants one; one
    // being drained does not count).
    int wantedCopies();
    // Recomputes the degraded flag of these models (all models when empty) from their
    // placements: set when a chunk of a complete file has fewer than wantedCopies() stored
    // copies, cleared otherwise. One transaction.
    bool refreshDegraded(const QList<qint64>& modelIds = {});
    QList<qint64> degradedModels();
    // Of degradedModels(), how many are stored as shards (models.redundancy), in one query.
    int degradedModelsStoredAsShards();
    // Chunks of the model's complete files with fewer than wantedCopies() stored copies.
    int underReplicatedChunks(qint64 modelId);
    // What the registry keeps counted for each model (schema 14, migrations.cpp), read without
    // touching its chunks: its files and their bytes, and how many of its distinct chunks have
    // each number of stored copies (only counts with chunks). summarizeModels() reads these.
    struct ModelCounts
    {
        int files = 0;
        qint64 bytes = 0;
        QMap<int, int> chunksByCopies; // stored copies -> distinct chunks with that many
    };
    // Of these models; of every model when `modelIds` is empty (two reads of small tables).
    QHash<qint64, ModelCounts> modelCounts(const QList<qint64>& modelIds = {});
    // The models whose files use any of these chunks, or the chunks these are shards of.
    QList<qint64> modelsUsingChunks(const QStringList& cids);
    // The models a complete file of which uses a chunk with no stored copy known here (taken
    // in from the catalog by a sync that was stopped before it found the copies, or lost).
    QList<qint64> modelsWithUncopiedChunks();
    // The other models whose files use any chunk of this model's files: a copy of a chunk made,
    // found bad or found again changes their health too.
    QList<qint64> modelsSharingChunksWith(qint64 modelId);

    VaultStats stats();
    // Stored bytes per provider id (after dedup, counting stored placements).
    QHash<qint64, qint64> storedBytesByProvider();

    // SQL, inside an UPDATE of `models`: whether the row's model has a chunk with fewer stored
    // copies than its one placeholder (bound to wantedCopies()); ModelRows completes a model
    // with it.
    static QString underReplicatedCondition();
};

} // namespace mf
