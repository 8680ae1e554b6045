#pragma once

#include "catalogformat.h"
#include "providercalls.h"
#include "registry/registry.h"
#include "transfer/transferjob.h"

#include <QHash>
#include <QSet>

namespace mf {

class Vault;

// Pulls every other vault's catalog from this vault's providers and applies the merged catalog
// to the registry (docs/catalog.md, "Pulling"): the latest state of each vault is read (from
// the first provider whose copy is whole; a damaged copy is reported and another used), models
// that appeared are created from their manifests, changed ones updated, removed ones removed,
// and the objects of the new models' chunks are looked for on the providers (stat where the
// adapter can name them, a listing otherwise) and recorded as placements.
class CatalogSyncJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CatalogSyncJob)

public:
    struct Options
    {
        // Recovery: look for every chunk that lacks a placement, on every provider, by listing.
        bool fullScan = false;
        // Only these providers (empty: every enabled one).
        QList<qint64> providers;
    };
    struct Report
    {
        int vaults = 0;     // other vaults whose state was found
        int statesRead = 0; // of those, read now (newer than last time)
        int modelsAdded = 0;
        int modelsChanged = 0;
        int modelsRemoved = 0;
        int placementsFound = 0;
        // Copies of orphan chunks found gone (another vault collected them) and forgotten.
        int orphanCopiesForgotten = 0;
        QList<qint64> changedModels; // added or changed here (registry ids)
        QList<qint64> removedModels;
        // Of each model removed here: who removed it, as far as the catalog tells.
        struct Removal
        {
            qint64 modelId = 0;
            QString name;
            QString vault;           // the vault whose tombstone removed it (empty: unknown)
            qint64 stateWritten = 0; // when that vault wrote the state that says so (0: unknown)
        };
        QList<Removal> removals;
        QStringList damaged; // catalog objects that failed their check, and where
        // Catalog objects not written with this vault's key, said the first time they are seen.
        QStringList untrusted;
        QStringList unresolved; // models of the catalog this registry could not take in
        // Providers whose kind keeps no catalog ("“name” (kind), …"; empty: none): their chunks
        // are looked for, but no vault's catalog is kept there.
        QString withoutCatalog;
    };

    CatalogSyncJob(Vault* vault, const Options& options, QObject* parent = nullptr);
    explicit CatalogSyncJob(Vault* vault, QObject* parent = nullptr);
    ~CatalogSyncJob() override;

    const Report& report() const { return m_report; }
    // For people: "“m” was removed on another computer (vault 1a2b3c4d, in its catalog of
    // 2026-11-25 21:19 UTC) that shares these providers…".
    static QString describe(const Report::Removal& removal);
    // Every live entry of the merged catalog is a model here, as published: the registry knows
    // every chunk any vault's catalog refers to (what a collection's sweep needs).
    bool inSync() const { return m_inSync; }
    // Providers whose states could be listed.
    QList<qint64> providersRead() const { return m_listed; }
    // Providers holding another vault's catalog: stores this vault shares.
    QSet<qint64> sharedProviders() const;

private:
    struct Copy
    {
        qint64 seq = 0;
        CatalogProviders::Entry provider;
    };
    // A provider's place in the vault's order of providers.
    int rank(qint64 providerId) const;
    void listProviders();
    void listStates();
    void checkOwnNewer();
    void compareOthers();
    void readNextState();
    void readCopy(QString vault, QList<Copy> copies);
    void noteRemovals(const catalog::VaultState& state);
    void applyNext();
    void importEntry(const CatalogRows::CatalogDifference& d, QList<CatalogProviders::Entry> from);
    // The copies the registry lists of the models taken in or changed are checked, then
    // findCopies() looks for theirs on every provider.
    void findPlacements();
    void findCopies();
    void checkOrphans();
    void findOn(const CatalogProviders::Entry& p);
    void readLocators(const CatalogProviders::Entry& p, QStringList states,
                      QHash<QString, qint64> missing);
    void listOn(const CatalogProviders::Entry& p, QHash<QString, qint64> missing,
                QHash<QString, QString> locators);
    void statOn(const CatalogProviders::Entry& p, QList<QPair<QString, qint64>> todo,
                QList<Placement> found);
    void placementsDone(const CatalogProviders::Entry& p, const QList<Placement>& found,
                        const Error& error);
    void damaged(const QString& object, const CatalogProviders::Entry& p, const QString& why);
    void ignored(const QString& object, const CatalogProviders::Entry& p, const QString& why);
    void untrusted(const QString& object, const CatalogProviders::Entry& p,
                   const catalog::SignedBy& signedBy);
    void doStart() override;
    void doAbort() override;
    void ending(Error& error) override;

    Vault* m_vault;
    Options m_options;
    ProviderCalls m_calls;
    CatalogProviders m_providers;
    QList<qint64> m_listed;
    // Other vaults' states: every copy found, best first.
    QHash<QString, QList<Copy>> m_copies;
    // This vault's own states newer than its registry, newest first, while they are checked.
    QList<Copy> m_ownNewer;
    QStringList m_toRead;
    QList<CatalogRows::CatalogDifference> m_differences;
    QList<qint64> m_touchedModels;
    int m_placementsLeft = 0;
    Report m_report;
    class PlacementCheck* m_placementCheck = nullptr; // findPlacements(), while it runs
    class ScrubJob* m_orphanCheck = nullptr;          // checkOrphans(), while it runs
    // Model uid -> the vault whose newer state read in this run removes it, and that state's time.
    QHash<QString, QPair<QString, qint64>> m_removedBy;
    bool m_inSync = false;
    bool m_readsUnsigned = false;    // CatalogKeyLoader::readsUnsignedSetting()
    QSet<QString> m_untrustedVaults; // vaults with a newer state not written with our key
};

} // namespace mf
