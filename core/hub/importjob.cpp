#include "importjob.h"
#include "transfer/temporarysweep.h"

#include "hubclient.h"
#include "variants.h"

#include "registry/modelname.h"
#include "vault/vault.h"

#include <QCryptographicHash>

namespace mf {

ImportJob::ImportJob(Vault* vault, HubClient* client, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_client(client)
    , m_request(std::move(request))
{
    if (m_request.modelName.isEmpty())
        m_request.modelName = m_request.repoId;
    m_request.options.leaseOwner = leaseowner::newLeaseOwner();
    // The Hub's bytes count against the vault's download limit, as the providers' do.
    if (m_client && m_vault)
        m_client->setBandwidth(m_vault->bandwidth());
}

ImportJob::~ImportJob()
{
    delete m_info.data();
}

TransferProgress ImportJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesBefore + (m_current ? m_current->stats().bytesPlaced : 0);
    return p;
}

qint64 ImportJob::bytesDownloaded() const
{
    return m_downloadedBefore + (m_source ? m_source->bytesDownloaded() : 0);
}

QString ImportJob::currentFile() const
{
    return m_index >= 0 && m_index < m_files.size() ? m_files.at(m_index).path : QString();
}

bool ImportJob::isStalled() const
{
    return m_source && m_source->isStalled();
}

void ImportJob::doStart()
{
    if (const QString bad = modelname::problem(m_request.modelName); !bad.isEmpty()) {
        finish(Error::make(Error::Kind::Fatal, bad));
        return;
    }
    m_info = new HubInfoJob(m_client, m_request.repoId, m_request.revision, this);
    connect(m_info, &HubInfoJob::finished, this, &ImportJob::onInfo);
    m_info->start();
}

void ImportJob::doAbort()
{
    if (m_info)
        m_info->abort();
    else if (m_current)
        m_current->abort(); // its finished() ends us
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void ImportJob::onInfo()
{
    HubInfoJob* info = m_info;
    m_info = nullptr;
    info->deleteLater();
    if (!info->error().ok()) {
        finish(info->error());
        return;
    }
    m_repo = info->repo();
    QString why;
    if (!variants::select(m_repo, m_request.variants, m_request.patterns, &m_files, &why)) {
        finish(Error::make(Error::Kind::Fatal, why));
        return;
    }
    if (m_files.isEmpty()) {
        finish(Error::make(Error::Kind::Fatal, tr("%1 has no files to import").arg(m_repo.id)));
        return;
    }
    for (const HubFile& f : std::as_const(m_files))
        m_totalBytes += f.size;

    Registry& registry = m_vault->registry();
    // A complete model of the same repository is reopened: the import adds the variants it
    // does not have yet.
    const QString owner = m_request.options.leaseOwner;
    const ModelRows::ModelClaim claim =
        registry.modelRows().claimModel(m_request.modelName, m_repo.source(), owner, true);
    switch (claim.status) {
    case ModelRows::ModelClaim::Status::Failed:
        finish(Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    case ModelRows::ModelClaim::Status::Busy:
        finish(Error::make(Error::Kind::Fatal,
                           tr("“%1” is being written right now by process %2; wait for it to "
                              "finish, or stop it and run this import again to resume it")
                               .arg(m_request.modelName, claim.holderPid)));
        return;
    case ModelRows::ModelClaim::Status::Complete: // not returned when reopening
    case ModelRows::ModelClaim::Status::Created:
    case ModelRows::ModelClaim::Status::Resumed:
        break;
    }
    m_modelId = claim.modelId;
    if (claim.status != ModelRows::ModelClaim::Status::Created && claim.source != m_repo.source()) {
        registry.modelRows().releaseModelLease(m_modelId, owner);
        finish(Error::make(Error::Kind::Fatal,
                           tr("A model named “%1” already exists, from %2; give this import "
                              "another name with --name")
                               .arg(m_request.modelName,
                                    claim.source.isEmpty() ? tr("another source") : claim.source)));
        return;
    }
    m_leased = true;
    m_leaseTimer.setInterval(ModelRows::ModelLeaseSecs * 1000 / 3);
    connect(&m_leaseTimer, &QTimer::timeout, this, [this] {
        if (m_vault->registry().modelRows().renewModelLease(m_modelId,
                                                            m_request.options.leaseOwner))
            return;
        m_leased = false;
        abort(); // taken over after this process stalled: it goes on there
    });
    m_leaseTimer.start();
    // Beside the import: what imports and floats killed before left in the providers.
    m_sweep = new TemporarySweep(m_vault, m_request.options.providerIds, false, this);
    m_sweep->start();
    next();
}

QString ImportJob::checkpointPath(const HubFile& file) const
{
    const QByteArray id = QByteArray(file.isLfs() ? file.sha256 : file.gitOid) + ' ' +
                          m_request.options.chunker.toString().toUtf8();
    const QByteArray key = QCryptographicHash::hash(id, QCryptographicHash::Sha256);
    return m_vault->tempDirectory() + QStringLiteral("/hub-import/") +
           QString::fromLatin1(key.toHex().left(32)) + QStringLiteral(".checkpoints");
}

StreamChunkSource::Resume ImportJob::resumePoint(qint64 fileId, const QString& checkpointPath)
{
    StreamChunkSource::Resume resume;
    const QMap<qint64, QByteArray> states = ImportCheckpoints(checkpointPath).load();
    if (states.isEmpty())
        return resume;
    Registry& registry = m_vault->registry();
    QList<qint64> usable;
    for (const ProviderRecord& p : registry.providerRows().providers())
        if (p.takesNewCopies() && (m_request.options.providerIds.isEmpty()
                                       ? !registry.providerRows().providerLost(p)
                                       : m_request.options.providerIds.contains(p.id)))
            usable.append(p.id);
    const int replication =
        qBound(1, m_request.options.replication, int(qMax(1, int(usable.size()))));
    QList<ScannedChunk> prefix;
    qint64 end = 0;
    for (const FileChunk& c : registry.modelRows().fileChunks(fileId)) {
        if (c.offset != end)
            break;
        int stored = 0;
        for (const Placement& p : registry.placementRows().placements(c.cid))
            if (p.state == PlacementState::Stored && usable.contains(p.providerId))
                ++stored;
        if (stored < replication)
            break;
        ScannedChunk chunk;
        chunk.offset = c.offset;
        chunk.size = c.size;
        chunk.cid = c.cid;
        prefix.append(chunk);
        end += c.size;
        const auto state = states.constFind(end);
        if (state != states.constEnd()) {
            resume.placed = prefix;
            resume.hashState = *state;
        }
    }
    return resume;
}

void ImportJob::next()
{
    m_current.reset();
    m_source = nullptr;
    if (isAborting()) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    ++m_index;
    m_retriedFromScratch = false;
    Registry& registry = m_vault->registry();
    while (m_index < m_files.size()) {
        const HubFile& f = m_files.at(m_index);
        const auto existing = registry.modelRows().file(m_modelId, f.path);
        const bool done = existing && existing->state == FileRecord::State::Complete &&
                          existing->size == f.size && (!f.isLfs() || existing->sha256 == f.sha256);
        if (!done)
            break;
        ++m_filesSkipped;
        m_bytesBefore += f.size;
        ++m_index;
    }
    if (m_index >= m_files.size()) {
        m_alreadyComplete = m_filesSkipped == m_files.size();
        if (!registry.modelRows().completeModel(m_modelId, m_request.options.leaseOwner)) {
            finish(Error::make(Error::Kind::Fatal, registry.lastError()));
            return;
        }
        noteDegraded(registry, m_modelId);
        finish(Error::none());
        return;
    }
    startFile(false);
}

void ImportJob::startFile(bool fromScratch)
{
    const HubFile& f = m_files.at(m_index);
    Registry& registry = m_vault->registry();
    // A file being (re)imported makes the model incomplete until it is done.
    registry.modelRows().setModelState(m_modelId, ModelRecord::State::Incomplete);
    const QString checkpoints = checkpointPath(f);
    StreamChunkSource::Resume resume;
    const auto existing = registry.modelRows().file(m_modelId, f.path);
    if (!fromScratch && existing && existing->state == FileRecord::State::Incomplete &&
        existing->size == f.size && existing->chunker == m_request.options.chunker.toString())
        resume = resumePoint(existing->id, checkpoints);
    auto source = std::make_unique<HubFileSource>(m_client, m_repo, f, m_request.options.chunker,
                                                  checkpoints, resume);
    m_source = source.get();
    m_current = std::make_unique<FileDistributor>(m_vault, m_modelId, std::move(source), f.path,
                                                  m_request.options);
    connect(m_source, &StreamChunkSource::metadataReady, m_current.get(),
            &FileDistributor::setMetadata);
    connect(m_current.get(), &FileDistributor::progress, this, &ImportJob::progress);
    connect(m_current.get(), &FileDistributor::warning, this, &ImportJob::addWarning);
    connect(m_current.get(), &FileDistributor::finished, this, &ImportJob::onFileFinished);
    m_current->start();
    // The resumed prefix is known once the source started.
    m_bytesResumed += m_source->resumedFrom();
}

void ImportJob::onFileFinished()
{
    const Error error = m_current->error();
    const bool broken = m_source && m_source->resumeBroken();
    const HubFile f = m_files.at(m_index);
    m_downloadedBefore += m_source ? m_source->bytesDownloaded() : 0;
    if (error.ok()) {
        ImportCheckpoints(checkpointPath(f)).remove();
        m_bytesBefore += f.size;
        next();
        return;
    }
    if (broken && !isAborting() && !m_retriedFromScratch) {
        m_retriedFromScratch = true;
        addWarning(error.message);
        m_current.release()->deleteLater();
        m_source = nullptr;
        startFile(true);
        return;
    }
    finish(error.kind == Error::Kind::Cancelled || isAborting()
               ? Error::make(Error::Kind::Cancelled, tr("Cancelled"))
               : error);
}

void ImportJob::ending(Error& error)
{
    m_leaseTimer.stop();
    if (m_sweep)
        m_sweep->abort(); // what is left of it, the next float or collect does
    if (m_leased && !error.ok())
        m_vault->registry().modelRows().releaseModelLease(m_modelId, m_request.options.leaseOwner);
    m_leased = false;
}

} // namespace mf
