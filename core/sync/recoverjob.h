#pragma once

#include "catalogsyncjob.h"
#include "providercalls.h"
#include "transfer/transferjob.h"

#include <QPointer>

namespace mf {

class Vault;

// Rebuilds the registry from the catalogs on the providers (docs/catalog.md, "Recovery"): an
// S3 provider left at its default key prefix is pointed at the bucket's ModelFloat store when
// there is exactly one; then every vault's catalog is pulled, every provider is listed for the
// objects of every chunk that lacks a placement, and the report says what was found and what is
// missing. Running it again, or on a vault that has models, merges: nothing is created twice.
class RecoverJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RecoverJob)

public:
    struct Report
    {
        CatalogSyncJob::Report sync;
        QStringList storesFound; // "provider “x”: the store modelfloat/<id>/"
        QStringList noCatalog;   // providers with no catalog at all
        int models = 0;          // in the vault after recovery
        int files = 0;
        int chunks = 0;
        qint64 bytes = 0;          // sum of file sizes
        QStringList missingChunks; // found on no provider
        QStringList damagedModels; // models that cannot be restored whole
        // Models that can be restored whole but have chunks with fewer copies than the vault
        // wants (copies lost with the computer's providers, or never made): repair makes them.
        QStringList underReplicatedModels;
    };

    // `providerIds` empty: every enabled provider.
    RecoverJob(Vault* vault, const QList<qint64>& providerIds, QObject* parent = nullptr);
    ~RecoverJob() override;

    const Report& report() const { return m_report; }

private:
    void findStores(QList<CatalogProviders::Entry> left);
    void pull();
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    QList<qint64> m_only;
    ProviderCalls m_calls;
    QPointer<CatalogSyncJob> m_sync;
    Report m_report;
};

} // namespace mf
