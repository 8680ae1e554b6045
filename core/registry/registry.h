#pragma once

#include "records.h"

#include <QHash>
#include <QSqlDatabase>

#include <memory>
#include <optional>

namespace mf {

// The vault's index: one SQLite database (WAL, foreign keys on), owned by the thread that opened
// it. Every other thread that needs the registry opens its own Registry on the same file.
// Every change that touches several rows runs in one transaction, so a crash never leaves a
// half-written state. Methods return false / nullopt on failure and set lastError().
class Registry final
{
    Q_DISABLE_COPY_MOVE(Registry)

public:
    ~Registry();
    static std::unique_ptr<Registry> open(const QString& path, QString* error);

    QString path() const { return m_path; }
    QString lastError() const { return m_lastError; }
    int schemaVersion();

    // Vault-wide settings (replication factor, default chunker, ...).
    QString setting(const QString& key, const QString& fallback = {});
    bool setSetting(const QString& key, const QString& value);

    // Providers
    std::optional<qint64> addProvider(const ProviderRecord& record);
    QList<ProviderRecord> providers();
    std::optional<ProviderRecord> provider(qint64 id);
    std::optional<ProviderRecord> providerByName(const QString& name);
    bool setProviderHealth(qint64 id, const QString& health);
    // Changes a provider's name, settings and quota (kind, usage and health stay).
    bool updateProvider(const ProviderRecord& record);
    bool addProviderUsage(qint64 id, qint64 deltaBytes);
    // Removes the provider and its placements (in one transaction).
    bool removeProvider(qint64 id);

    // Models
    std::optional<ModelRecord> modelByName(const QString& name);
    std::optional<ModelRecord> model(qint64 id);
    QList<ModelRecord> models();
    std::optional<qint64> createModel(const QString& name, const QString& source);
    bool setModelState(qint64 id, ModelRecord::State state);
    // Deletes the model, its files and manifests. Chunks stay (see orphanChunks()).
    bool removeModel(qint64 id);

    // Files
    // Creates the file, or resets an existing incomplete one to an empty manifest (the scan that
    // follows rewrites it). Refuses a complete file.
    std::optional<qint64> beginFile(qint64 modelId, const QString& path, qint64 size,
                                    const QString& chunker);
    // Appends scanned chunks to a file's manifest, inserting unknown chunks, in one transaction.
    bool appendChunks(qint64 fileId, const QList<FileChunk>& chunks);
    // Marks the file complete with its whole-file hash, checking that its manifest tiles it.
    bool completeFile(qint64 fileId, const QByteArray& sha256Hex, const QJsonObject& metadata);
    QList<FileRecord> files(qint64 modelId);
    std::optional<FileRecord> file(qint64 modelId, const QString& path);
    QList<FileChunk> fileChunks(qint64 fileId);

    // Placements
    QList<Placement> placements(const QString& cid);
    // All placements of the chunks of one model, by CID.
    QHash<QString, QList<Placement>> placementsOfModel(qint64 modelId);
    bool recordPlacement(const Placement& placement);
    bool setPlacementState(const QString& cid, qint64 providerId, PlacementState state,
                           bool verifiedNow = false);
    bool removePlacement(const QString& cid, qint64 providerId);
    // For each chunk of the model: how many models (this one included) use it.
    QHash<QString, int> chunkModelCounts(qint64 modelId);
    // Chunks no file refers to any more, with their placements (to remove from providers).
    QList<QPair<QString, qint64>> orphanChunks(); // CID and size
    // Forgets a chunk nothing refers to, and in the same transaction records each of its
    // placements as an object to delete from its provider (pendingDeletions()).
    bool removeChunk(const QString& cid);
    QList<PendingDeletion> pendingDeletions();
    // The provider deleted the object (or no longer has it).
    bool forgetDeletion(qint64 id);

    // Durable job queue (float, restore, ...): survives a crash so work can be resumed.
    std::optional<qint64> addJob(const QString& kind, const QJsonObject& payload);
    bool setJobState(qint64 id, const QString& state, const QString& error = {});
    bool setJobPayload(qint64 id, const QJsonObject& payload);
    QList<QPair<qint64, QJsonObject>> jobs(const QString& kind, const QString& state);

    VaultStats stats();
    // Stored bytes per provider id (after dedup, counting stored placements).
    QHash<qint64, qint64> storedBytesByProvider();

    // Runs `work` in one transaction; commits when it returns true, rolls back otherwise. A
    // nested call joins the outer transaction, and its failure rolls the whole one back.
    bool transaction(const std::function<bool()>& work);

private:
    Registry() = default;
    bool fail(const QString& what, const QString& detail);
    class Query;

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_path;
    QString m_lastError;
    int m_transactionDepth = 0;
    bool m_rollbackOnly = false; // a nested transaction failed
};

} // namespace mf
