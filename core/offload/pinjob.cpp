#include "pinjob.h"

#include "providers/providerjob.h"
#include "transfer/chunkload.h"
#include "util/units.h"
#include "vault/chunkcache.h"
#include "vault/thiscomputer.h"
#include "vault/vault.h"

#include <QBuffer>
#include <QFile>
#include <QTimer>

#include <unistd.h>

namespace mf {

namespace {
constexpr int DeletionPollMs = 200; // while a deletion of the same object is carried out
}

PinJob::PinJob(Vault* vault, const QString& modelName, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_modelName(modelName)
{}

PinJob::~PinJob()
{
    if (m_load)
        m_load->disconnect(this);
    if (m_put) {
        m_put->disconnect(this);
        m_put->abort();
    }
}

TransferProgress PinJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesDone;
    return p;
}

void PinJob::doStart()
{
    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(m_modelName);
    if (!model) {
        finish(Error::make(Error::Kind::NotFound,
                           tr("There is no model named “%1”").arg(m_modelName)));
        return;
    }
    const auto local = thiscomputer::embeddedProviderId(*m_vault);
    if (!local) {
        finish(Error::make(Error::Kind::NotFound,
                           tr("This vault has no provider of its own on this computer (it was "
                              "removed), so “%1” cannot be kept here")
                               .arg(m_modelName)));
        return;
    }
    m_localId = *local;
    if (!thiscomputer::setPinned(registry, m_modelName, true)) {
        finish(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    const QHash<QString, QList<Placement>> chunks =
        registry.placementRows().placementsOfModel(model->id);
    for (auto it = chunks.cbegin(); it != chunks.cend(); ++it) {
        bool here = false;
        for (const Placement& p : it.value())
            here = here || (p.providerId == m_localId && p.state == PlacementState::Stored);
        if (here)
            continue;
        Missing m;
        m.chunk.cid = it.key();
        m.chunk.size = registry.placementRows().chunkSize(it.key()).value_or(0);
        m.placements = it.value();
        m_totalBytes += m.chunk.size;
        m_missing.append(m);
    }
    next();
}

void PinJob::doAbort()
{
    m_next = int(m_missing.size());
    if (m_load)
        m_load->abort(); // its finished() ends this job
    else if (m_put)
        m_put->abort();
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void PinJob::next()
{
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (m_next >= m_missing.size()) {
        finish(Error::none());
        return;
    }
    const Missing& m = m_missing.at(m_next);
    m_load = new ChunkLoad(m_vault, m.chunk, m.placements, this);
    connect(m_load, &ChunkLoad::finished, this, &PinJob::onLoaded);
    m_load->start();
}

void PinJob::onLoaded()
{
    ChunkLoad* load = m_load;
    m_load = nullptr;
    load->deleteLater();
    for (const QString& p : load->problems())
        addWarning(p);
    if (isAborting() || load->error().kind == Error::Kind::Cancelled) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    if (!load->error().ok()) {
        finish(load->error());
        return;
    }
    const Missing& m = m_missing.at(m_next);
    const int fd = load->takeDescriptor();
    QFile file;
    QByteArray bytes;
    if (file.open(fd, QIODevice::ReadOnly, QFile::AutoCloseHandle))
        bytes = file.readAll();
    else
        ::close(fd);
    if (bytes.size() != m.chunk.size) {
        finish(
            Error::make(Error::Kind::Fatal,
                        tr("Cannot read chunk %1 to keep it on this computer").arg(m.chunk.cid)));
        return;
    }
    Registry& registry = m_vault->registry();
    switch (registry.placementRows().beginPlacement(m.chunk.cid, m_localId)) {
    case PlacementRows::PlacementIntent::Go:
        break;
    case PlacementRows::PlacementIntent::Busy:
        // An offload is deleting this very object: once it is gone, this load (from the
        // cache, now) starts again.
        QTimer::singleShot(DeletionPollMs, this, &PinJob::next);
        return;
    case PlacementRows::PlacementIntent::QuotaFull:
    case PlacementRows::PlacementIntent::Paused:
        finish(Error::make(Error::Kind::QuotaExceeded,
                           tr("This computer's provider takes no more copies (its quota is "
                              "reached); %1 of “%2” still only elsewhere")
                               .arg(units::counted(int(m_missing.size()) - m_next, tr("1 chunk is"),
                                                   tr("%1 chunks are")),
                                    m_modelName)));
        return;
    case PlacementRows::PlacementIntent::Failed:
        finish(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    QString why;
    const std::shared_ptr<Provider> provider = m_vault->provider(m_localId, &why);
    if (!provider) {
        registry.placementRows().abandonPlacement(m.chunk.cid, m_localId);
        finish(Error::make(Error::Kind::Fatal, why));
        return;
    }
    auto source = std::make_unique<QBuffer>();
    source->setData(bytes);
    source->open(QIODevice::ReadOnly);
    m_put = provider->put(m.chunk.cid, std::move(source), m.chunk.size);
    m_put->setParent(this);
    ProviderJob* put = m_put;
    connect(put, &ProviderJob::finished, this, [this, put] { onPut(put); });
    put->start();
}

void PinJob::onPut(ProviderJob* job)
{
    m_put = nullptr;
    job->deleteLater();
    const Missing& m = m_missing.at(m_next);
    Registry& registry = m_vault->registry();
    if (!job->error().ok()) {
        registry.placementRows().abandonPlacement(m.chunk.cid, m_localId);
        finish(job->error().kind == Error::Kind::Cancelled
                   ? Error::make(Error::Kind::Cancelled, tr("Cancelled"))
                   : job->error());
        return;
    }
    if (!registry.placementRows().recordStored(m.chunk.cid, m_localId, job->locator(),
                                               m.chunk.size)) {
        finish(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    // Kept in the local store now: its copy in the chunk cache would only take the room twice.
    m_vault->chunkCache().remove(m.chunk.cid);
    m_fetched++;
    m_bytesDone += m.chunk.size;
    m_next++;
    Q_EMIT progress();
    next();
}

} // namespace mf
