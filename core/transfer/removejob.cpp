#include "removejob.h"

#include "vault/vault.h"

namespace mf {

namespace {
constexpr int ParallelRemovals = 4;
}

RemoveJob::RemoveJob(Vault* vault, const QString& modelName, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_modelName(modelName)
{}

void RemoveJob::start()
{
    Registry& registry = m_vault->registry();
    if (!m_modelName.isEmpty()) {
        const auto model = registry.modelByName(m_modelName);
        if (!model) {
            finish(Error::make(Error::Kind::NotFound,
                               tr("There is no model named “%1”").arg(m_modelName)));
            return;
        }
        if (!registry.removeModel(model->id)) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
    }
    // Forget every chunk nothing refers to any more, remembering where its copies were.
    for (const auto& [cid, size] : registry.orphanChunks()) {
        const QList<Placement> placements = registry.placements(cid);
        if (!registry.removeChunk(cid))
            continue; // referenced again meanwhile by a concurrent float: keep it
        m_chunksFreed++;
        m_sizes.insert(cid, size);
        m_toDelete.append(placements);
    }
    removeNext();
}

void RemoveJob::removeNext()
{
    while (m_running < ParallelRemovals && m_next < m_toDelete.size()) {
        const Placement p = m_toDelete.at(m_next++);
        QString why;
        Provider* provider = m_vault->provider(p.providerId, &why);
        if (!provider) {
            m_warnings.append(tr("Chunk %1 stays on provider “%2”: %3")
                                  .arg(p.cid, m_vault->providerName(p.providerId), why));
            continue;
        }
        ProviderJob* job = provider->remove(p.locator);
        job->setParent(this);
        m_running++;
        connect(job, &ProviderJob::finished, this, [this, job, p] {
            job->deleteLater();
            m_running--;
            if (job->error().ok()) {
                const qint64 size = m_sizes.value(p.cid);
                m_bytesFreed += size;
                m_vault->registry().addProviderUsage(p.providerId, -size);
            } else {
                m_warnings.append(
                    tr("Chunk %1 stays on provider “%2”: %3")
                        .arg(p.cid, m_vault->providerName(p.providerId), job->error().message));
            }
            removeNext();
        });
        job->start();
    }
    if (m_running == 0 && m_next >= m_toDelete.size())
        finish(Error::none());
}

void RemoveJob::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    QMetaObject::invokeMethod(this, &RemoveJob::finished, Qt::QueuedConnection);
}

} // namespace mf
