#include "uploadjob.h"

#include "registry/modelname.h"
#include "registry/modelpath.h"
#include "registry/registry.h"
#include "vault/vault.h"

#include <QSet>

#include <algorithm>

namespace mf {

UploadJob::UploadJob(Vault* vault, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_request(std::move(request))
{
    // A writer of its own, even beside another float in this process.
    m_request.options.leaseOwner = leaseowner::newLeaseOwner();
    for (const File& f : std::as_const(m_request.files))
        m_totalBytes += f.size;
}

UploadJob::~UploadJob()
{
    if (m_leased && !isFinished())
        m_vault->registry().modelRows().releaseModelLease(m_modelId, m_request.options.leaseOwner);
}

TransferProgress UploadJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_placedBefore + (m_current ? m_current->stats().bytesPlaced : 0);
    if (m_current)
        p.retryWait = m_current->retryWait();
    return p;
}

namespace {
QString takenMessage(const QString& name)
{
    return UploadJob::tr(
               "A model named “%1” exists already; upload under another name, or remove it first")
        .arg(name);
}

QString busyMessage(const QString& name, const QString& holder)
{
    return UploadJob::tr("“%1” is being floated right now by process %2").arg(name, holder);
}

// An unfinished model of the name may only be an earlier upload of these files (its stored
// chunks are found, not sent again); one with any other file is not the upload's to take.
bool holdsOnly(Registry& registry, qint64 modelId, const QSet<QString>& paths)
{
    const QList<FileRecord> files = registry.modelRows().files(modelId);
    return std::all_of(files.cbegin(), files.cend(),
                       [&](const FileRecord& f) { return paths.contains(f.path); });
}

QSet<QString> pathsOf(const UploadJob::Request& request)
{
    QSet<QString> paths;
    for (const UploadJob::File& f : request.files)
        paths.insert(f.path);
    return paths;
}
} // namespace

UploadJob::Refusal UploadJob::refusal(Registry& registry, const Request& request)
{
    if (const QString bad = modelname::problem(request.modelName); !bad.isEmpty())
        return {Failure::BadName, bad};
    // The path rule the catalog holds every other vault's manifests to: a path it refuses there
    // would make this model damaged for them. Each path once.
    if (request.files.isEmpty())
        return {Failure::BadName, tr("An upload needs at least one file")};
    QSet<QString> paths;
    for (const File& f : request.files) {
        if (const QString bad = modelpath::problem(f.path); !bad.isEmpty())
            return {Failure::BadName, bad};
        if (f.size < 0 || paths.contains(f.path))
            return {Failure::BadName, f.size < 0 ? tr("“%1” has no size").arg(f.path)
                                                 : tr("“%1” comes twice").arg(f.path)};
        paths.insert(f.path);
    }
    const auto model = registry.modelRows().modelByName(request.modelName);
    if (!model)
        return {};
    if (model->state == ModelRecord::State::Complete)
        return {Failure::ModelExists, takenMessage(request.modelName)};
    if (const QString holder = registry.modelRows().modelWriter(model->id); !holder.isEmpty())
        return {Failure::ModelExists, busyMessage(request.modelName, holder)};
    if (!holdsOnly(registry, model->id, paths))
        return {Failure::ModelExists, takenMessage(request.modelName)};
    return {};
}

void UploadJob::doStart()
{
    Registry& registry = m_vault->registry();
    if (const Refusal refused = refusal(registry, m_request); refused.failure != Failure::None)
        return finish(refused.failure, Error::make(Error::Kind::Fatal, refused.why));
    // The claim decides: the name may have been taken since refusal() looked.
    const ModelRows::ModelClaim claim = registry.modelRows().claimModel(
        m_request.modelName, QStringLiteral("api:upload"), m_request.options.leaseOwner, false);
    const QString taken = takenMessage(m_request.modelName);
    switch (claim.status) {
    case ModelRows::ModelClaim::Status::Failed:
        return finish(Failure::Transfer, Error::make(Error::Kind::Fatal, registry.lastError()));
    case ModelRows::ModelClaim::Status::Complete:
        return finish(Failure::ModelExists, Error::make(Error::Kind::Fatal, taken));
    case ModelRows::ModelClaim::Status::Busy:
        return finish(
            Failure::ModelExists,
            Error::make(Error::Kind::Fatal, busyMessage(m_request.modelName, claim.holderPid)));
    case ModelRows::ModelClaim::Status::Created:
    case ModelRows::ModelClaim::Status::Resumed:
        m_modelId = claim.modelId;
        m_leased = true;
        break;
    }
    if (!holdsOnly(registry, m_modelId, pathsOf(m_request))) {
        registry.modelRows().releaseModelLease(m_modelId, m_request.options.leaseOwner);
        m_leased = false;
        return finish(Failure::ModelExists, Error::make(Error::Kind::Fatal, taken));
    }
    m_ownsModel = true;
    m_leaseTimer.setInterval(ModelRows::ModelLeaseSecs * 1000 / 3);
    connect(&m_leaseTimer, &QTimer::timeout, this, [this] {
        if (!m_vault->registry().modelRows().renewModelLease(m_modelId,
                                                             m_request.options.leaseOwner))
            abort();
    });
    m_leaseTimer.start();
    startFile();
}

void UploadJob::startFile()
{
    const File& file = m_request.files.at(m_index);
    auto source =
        std::make_unique<StreamChunkSource>(file.path, file.size, m_request.options.chunker);
    m_source = source.get();
    m_current = std::make_unique<FileDistributor>(m_vault, m_modelId, std::move(source), file.path,
                                                  m_request.options);
    connect(m_source, &StreamChunkSource::metadataReady, m_current.get(),
            &FileDistributor::setMetadata);
    connect(m_current.get(), &FileDistributor::progress, this, &UploadJob::progress);
    connect(m_current.get(), &FileDistributor::warning, this, &UploadJob::addWarning);
    connect(m_current.get(), &FileDistributor::finished, this, &UploadJob::onFileFinished);
    m_current->start();
    if (!isFinished() && m_current && !m_current->isFinished())
        Q_EMIT readyForBytes();
}

void UploadJob::doAbort()
{
    if (m_current && !m_current->isFinished())
        m_current->abort(); // its finished() ends the job as cancelled
    else
        finish(Failure::Cancelled, Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void UploadJob::onFileFinished()
{
    std::unique_ptr<FileDistributor> done = std::move(m_current);
    m_source = nullptr; // went with it
    m_stats = done->stats();
    const Error error = done->error();
    done.release()->deleteLater();
    if (!error.ok())
        return finish(error.kind == Error::Kind::Cancelled ? Failure::Cancelled : Failure::Transfer,
                      error);
    m_sha256s.append(m_stats.sha256);
    m_placedBefore += m_request.files.at(m_index).size;
    if (++m_index < m_request.files.size())
        return startFile();
    Registry& registry = m_vault->registry();
    if (!registry.modelRows().completeModel(m_modelId, m_request.options.leaseOwner))
        return finish(Failure::Transfer, Error::make(Error::Kind::Fatal, registry.lastError()));
    noteDegraded(registry, m_modelId);
    finish(Failure::None, Error::none());
}

void UploadJob::finish(Failure failure, const Error& error)
{
    if (!isFinished())
        m_failure = failure;
    TransferJob::finish(error);
}

void UploadJob::ending(Error& /*error*/)
{
    m_leaseTimer.stop();
    if (m_leased && m_failure != Failure::None)
        m_vault->registry().modelRows().releaseModelLease(m_modelId, m_request.options.leaseOwner);
    m_leased = false;
}

} // namespace mf
