#include "recoverjob.h"

#include "vault/vault.h"

namespace mf {

RecoverJob::RecoverJob(Vault* vault, const QList<qint64>& providerIds, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_only(providerIds)
{}

RecoverJob::~RecoverJob() = default;

void RecoverJob::doStart()
{
    const CatalogProviders providers = CatalogProviders::of(m_vault, m_only);
    for (const QString& w : providers.unusable)
        addWarning(tr("Provider %1 cannot be used").arg(w));
    for (const CatalogProviders::Entry& p : providers.withoutCatalog)
        m_report.noCatalog.append(p.name);
    if (providers.usable.isEmpty()) {
        finish(Error::make(Error::Kind::NotFound,
                           tr("There is no provider to recover from; add the providers that "
                              "hold the models first (modelfloat-cli provider add …)")));
        return;
    }
    findStores(providers.usable);
}

void RecoverJob::findStores(QList<CatalogProviders::Entry> left)
{
    if (left.isEmpty()) {
        pull();
        return;
    }
    const CatalogProviders::Entry p = left.takeFirst();
    m_calls.call(p.provider->listCatalogObjects(QStringLiteral("states")), [this, p, left](
                                                                               ProviderJob& job) {
        if (!job.error().ok() || !job.catalogObjects().isEmpty()) {
            findStores(left); // the sync reports what cannot be read
            return;
        }
        // No catalog where this provider points: another store of the same account may be the
        // one (an S3 prefix named after the vault that wrote it).
        m_calls.call(p.provider->findStores(), [this, p, left](ProviderJob& found) {
            const QList<QJsonObject> stores = found.stores();
            if (stores.size() == 1) {
                auto record = m_vault->registry().providerRows().provider(p.id);
                if (record) {
                    for (auto it = stores.first().begin(); it != stores.first().end(); ++it)
                        record->settings.insert(it.key(), it.value());
                    if (m_vault->registry().providerRows().updateProvider(*record)) {
                        m_vault->dropProvider(p.id);
                        const QString where = QStringList(stores.first().keys()).join(tr(", "));
                        m_report.storesFound.append(
                            tr("provider “%1” now points at the store it holds (%2 %3)")
                                .arg(p.name, where,
                                     stores.first()
                                         .value(stores.first().keys().value(0))
                                         .toString()));
                    }
                }
            } else if (stores.size() > 1) {
                QStringList names;
                for (const QJsonObject& s : stores)
                    for (auto it = s.begin(); it != s.end(); ++it)
                        names.append(QStringLiteral("%1=%2").arg(it.key(), it.value().toString()));
                addWarning(tr("Provider “%1” holds several ModelFloat stores; choose one in its "
                              "settings (%2) and recover again")
                               .arg(p.name, names.join(tr("; "))));
            } else {
                m_report.noCatalog.append(p.name);
            }
            findStores(left);
        });
    });
}

void RecoverJob::pull()
{
    CatalogSyncJob::Options options;
    options.fullScan = true;
    options.providers = m_only;
    m_sync = new CatalogSyncJob(m_vault, options, this);
    connect(m_sync, &TransferJob::warning, this, &RecoverJob::addWarning);
    connect(m_sync, &TransferJob::finished, this, [this] {
        m_sync->deleteLater();
        m_report.sync = m_sync->report();
        if (!m_sync->error().ok()) {
            finish(m_sync->error());
            return;
        }
        Registry& registry = m_vault->registry();
        const VaultStats stats = registry.healthRows().stats();
        m_report.models = stats.models;
        m_report.files = stats.files;
        m_report.chunks = stats.chunks;
        m_report.bytes = stats.logicalBytes;
        m_report.missingChunks = registry.placementRows().chunksWithoutPlacement();
        m_report.damagedModels = registry.placementRows().modelsMissingChunks();
        // Health as found on the providers, not as the catalog remembered it.
        if (!registry.healthRows().refreshDegraded()) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
        for (const qint64 id : registry.healthRows().degradedModels()) {
            const auto model = registry.modelRows().model(id);
            if (model && !m_report.damagedModels.contains(model->name))
                m_report.underReplicatedModels.append(model->name);
        }
        m_report.underReplicatedModels.sort();
        finish(Error::none());
    });
    m_sync->start();
}

void RecoverJob::doAbort()
{
    m_calls.abort();
    if (m_sync)
        m_sync->abort();
    finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

} // namespace mf
