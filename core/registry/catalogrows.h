#pragma once

#include "records.h"
#include "registryrows.h"

#include <optional>

namespace mf {

// The catalog on the providers (catalogrows.cpp, docs/catalog.md): the merged entries and
// tombstones of every vault (tables catalog_*), this vault's own state and what each provider
// holds of it, and the models that the merged catalog creates, changes or removes here.
class CatalogRows final : public RegistryRows
{
public:
    CatalogRows(Registry& registry, RegistryConnection& connection)
        : RegistryRows(registry, connection)
    {}

    // A complete model with changes not yet published, and its change counter as read.
    struct CatalogChange
    {
        qint64 modelId = 0;
        qint64 dirty = 0;
        QString uid;            // empty until first published
        bool published = false; // some version of it was published (or taken in) before
    };
    QList<CatalogChange> catalogChanges();
    // The model's manifest changes by what the registry says of its chunks (a conversion names
    // a chunk's new shards, and retires its old objects): published again at the next publish,
    // which collect runs before it deletes anything.
    bool markChanged(qint64 modelId);
    // Models removed here (their uids) whose entries are not tombstoned yet.
    QStringList catalogRemovals();
    struct CatalogPublication
    {
        CatalogChange change;
        CatalogEntry entry; // entry.uid: the model's uid (given to it now if it had none)
        QByteArray manifest;
    };
    // Records one publish of `vault` in one transaction: the new entries (each model takes its
    // uid and is clean unless it changed since it was read), tombstones for the entries they
    // replace and for every entry of the removed uids, own entries that are tombstoned anywhere
    // dropped. Bumps and returns the vault's catalog seq; 0 on failure.
    qint64 recordCatalogPublish(const QString& vault, const QList<CatalogPublication>& published,
                                const QStringList& removedUids);
    qint64 catalogSeq();
    // Moves this vault's seq above one found on a provider (a second writer of the same id).
    bool raiseCatalogSeq(qint64 above);
    // This vault's own live entries and the tombstones it wrote: its state.
    bool catalogOwnState(const QString& vault, QList<CatalogEntry>* entries,
                         QStringList* tombstones);
    // The manifest of an own entry; empty when unknown.
    QByteArray catalogManifest(const QString& cid);
    qint64 catalogPublishedSeq(qint64 providerId);
    bool setCatalogPublishedSeq(qint64 providerId, qint64 seq);
    // The seq of another vault's state merged last (0: none).
    qint64 catalogVaultSeq(const QString& vault);
    // The models importCatalogModel() created since this was last called (a sync that was
    // killed left its count here), set back to 0.
    int takeCatalogModelsAdded();
    // The model uid of a merged catalog entry (empty: no such entry).
    QString catalogEntryUid(const QString& eid);
    // Replaces what is known of another vault's state, in one transaction.
    bool storeCatalogState(const QString& vault, qint64 seq, const QList<CatalogEntry>& entries,
                           const QStringList& tombstones);
    // A model whose local row differs from the merged catalog.
    struct CatalogDifference
    {
        QString uid;
        qint64 modelId = 0;                // 0: no local model yet
        std::optional<CatalogEntry> shown; // none: no live entry is left (removed elsewhere)
    };
    // Every uid whose live entry is not what its local (clean, complete) model holds.
    QList<CatalogDifference> catalogDifferences();
    // Creates, or replaces the files of, the model of `entry.uid` from its manifest, complete
    // and clean, in one transaction. A local model without uid of the same name and the same
    // files is adopted instead; another model of that name keeps it (the new one is shown as
    // "name~<uid>"). Refused while the local model has unpublished changes or a live writer.
    std::optional<qint64>
    importCatalogModel(const CatalogEntry& entry, const ModelRecord& model,
                       const QList<QPair<FileRecord, QList<FileChunk>>>& files);
    // A model some of whose chunks are on no provider any more: the files that use them, and the
    // model, become incomplete again (a float of the same files resumes it and sends them).
    bool reopenModelWithLostChunks(qint64 modelId);
    // What removeCatalogModel() did.
    enum class CatalogRemoval { Removed, Shown, Failed };
    // Removes a model whose entries were all removed elsewhere, unless it changed here since or
    // a live entry shows it again (Shown): both are checked in the removal's own transaction,
    // since the sync that found the difference read it earlier and a publish may have come in
    // between. Failed: lastError() says why it stays.
    CatalogRemoval removeCatalogModel(qint64 modelId);
};

} // namespace mf
