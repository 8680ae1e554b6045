#include "ipfsimportjob.h"

#include "providers/ipfs/ipfscid.h"
#include "providers/ipfs/ipfsprovider.h"
#include "registry/filedags.h"
#include "util/temporaries.h"
#include "vault/vault.h"

#include <QDir>

namespace mf {

namespace {

QString importsFolder(Vault* vault)
{
    return vault->tempDirectory() + QStringLiteral("/ipfs-import");
}

} // namespace

IpfsImportJob::IpfsImportJob(Vault* vault, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_request(std::move(request))
{
    if (m_request.modelName.isEmpty())
        m_request.modelName = defaultModelName(m_request.cid);
}

IpfsImportJob::~IpfsImportJob()
{
    // Children (the fetch, the float) go before the node they use.
    delete m_fetch;
    delete m_float;
    if (!m_folder.isEmpty())
        QDir(m_folder).removeRecursively();
}

quint64 IpfsImportJob::importLimit(Vault* vault)
{
    bool ok = false;
    const quint64 bytes =
        vault->registry().settings().setting(QLatin1String(ImportLimitSetting)).toULongLong(&ok);
    return ok && bytes > 0 ? bytes : SharedDagLimits::DefaultMaxBytes;
}

bool IpfsImportJob::setImportLimit(Vault* vault, quint64 bytes)
{
    return vault->registry().settings().setSetting(QLatin1String(ImportLimitSetting),
                                                   bytes > 0 ? QString::number(bytes) : QString());
}

QString IpfsImportJob::defaultModelName(const QString& cid)
{
    return QStringLiteral("ipfs-") + cid.right(8);
}

TransferProgress IpfsImportJob::progressNow() const
{
    if (m_float)
        return m_float->progressNow();
    TransferProgress p;
    // While the DAG is read: what its root declares (checked against the limits already).
    p.totalBytes = m_fetch ? qint64(m_fetch->declaredBytes()) : 0;
    p.bytesDone = bytesRead();
    return p;
}

qint64 IpfsImportJob::bytesRead() const
{
    return m_fetch ? m_fetch->bytesWritten() : 0;
}

int IpfsImportJob::blocksRead() const
{
    return m_fetch ? m_fetch->blocksRead() : 0;
}

void IpfsImportJob::sweepAbandonedFolders()
{
    // A folder left by an import whose process was killed: its name says whose it was.
    const QDir dir(importsFolder(m_vault));
    for (const QFileInfo& info : dir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const auto owner =
            temporaries::ownerOf(info.fileName(), info.lastModified().toSecsSinceEpoch());
        if (temporaries::isAbandoned(owner,
                                     info.lastModified().secsTo(QDateTime::currentDateTime())))
            QDir(info.absoluteFilePath()).removeRecursively();
    }
}

void IpfsImportJob::doStart()
{
    m_requestedCid = ipfscid::normalize(m_request.cid);
    if (m_requestedCid.isEmpty()) {
        finish(Error::make(Error::Kind::NotFound,
                           tr("“%1” is not a CID (expected the form bafy…, bafk…, z… or Qm…)")
                               .arg(m_request.cid.left(100))));
        return;
    }
    IpfsProvider::Options options;
    options.apiUrl = m_request.apiUrl;
    QString why;
    m_node = IpfsProvider::create(tr("IPFS node %1").arg(m_request.apiUrl),
                                  m_vault->providerContext(), QString(), options, &why);
    if (!m_node) {
        finish(Error::make(Error::Kind::Fatal, why));
        return;
    }
    sweepAbandonedFolders();
    m_folder = importsFolder(m_vault) + QLatin1Char('/') +
               temporaries::uniqueName(QStringLiteral("import"));
    if (!QDir().mkpath(m_folder)) {
        const QString folder = m_folder;
        m_folder.clear();
        finish(Error::make(Error::Kind::Fatal,
                           tr("The folder “%1” could not be made for the import").arg(folder)));
        return;
    }
    SharedDagLimits limits = m_request.limits;
    if (limits.maxBytes == 0)
        limits.maxBytes = importLimit(m_vault);
    m_fetch =
        new SharedDagFetch(m_node.get(), m_requestedCid, m_folder, m_request.modelName, limits);
    connect(m_fetch, &SharedDagFetch::progress, this, &TransferJob::progress);
    connect(m_fetch, &SharedDagFetch::finished, this, &IpfsImportJob::onFetched);
    m_fetch->start();
}

void IpfsImportJob::onFetched()
{
    if (isFinished())
        return;
    if (!m_fetch->error().ok()) {
        finish(m_fetch->error());
        return;
    }
    FloatJob::Request request;
    request.paths = {
        m_fetch->rootIsDirectory() ? m_folder : m_folder + QLatin1Char('/') + m_request.modelName};
    request.modelName = m_request.modelName;
    request.source = QStringLiteral("ipfs:") + m_requestedCid;
    request.options = m_request.options;
    m_float = new FloatJob(m_vault, request);
    connect(m_float, &TransferJob::progress, this, &TransferJob::progress);
    connect(m_float, &TransferJob::warning, this, &IpfsImportJob::addWarning);
    connect(m_float, &TransferJob::finished, this, &IpfsImportJob::onFloated);
    m_float->start();
}

void IpfsImportJob::onFloated()
{
    if (m_float->degraded())
        markDegraded();
    if (!m_float->error().ok()) {
        finish(m_float->error());
        return;
    }
    Registry& registry = m_vault->registry();
    if (const auto model = registry.modelRows().modelByName(m_request.modelName)) {
        const QList<FileRecord> files = registry.modelRows().files(model->id);
        m_vaultCid = m_fetch->rootIsDirectory() ? filedags::modelCid(files)
                     : files.size() == 1        ? files.first().cid
                                                : QString();
    }
    if (!sameCid())
        addWarning(tr("“%1” was floated with this vault's chunking, so its CID here is %2, not "
                      "the %3 it was shared as; the same --chunker and --chunk-size as the "
                      "sharer's give the same CID")
                       .arg(m_request.modelName, m_vaultCid, m_requestedCid));
    finish(Error::none());
}

void IpfsImportJob::doAbort()
{
    if (m_float) {
        m_float->abort(); // its finished() ends this job, Cancelled
        return;
    }
    if (m_fetch)
        m_fetch->abort(); // likewise
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void IpfsImportJob::ending(Error& /*error*/)
{
    // The bytes are in the vault now, or not wanted: the folder goes either way.
    if (!m_folder.isEmpty()) {
        QDir(m_folder).removeRecursively();
        m_folder.clear();
    }
}

} // namespace mf
