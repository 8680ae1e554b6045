#include "materializejob.h"

#include "hfcachelayout.h"
#include "hubrepo.h"
#include "variants.h"

#include "vault/vault.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace mf {

namespace {
constexpr qint64 LfsThreshold = 10 * 1024 * 1024;
}

MaterializeJob::MaterializeJob(Vault* vault, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_request(std::move(request))
{}

MaterializeJob::~MaterializeJob() = default;

qint64 MaterializeJob::bytesDone() const
{
    return m_bytesBefore + (m_current ? m_current->bytesDone() : 0);
}

void MaterializeJob::start()
{
    QMetaObject::invokeMethod(
        this,
        [this] {
            Registry& registry = m_vault->registry();
            const auto model = registry.modelByName(m_request.modelName);
            if (!model) {
                finish(Error::make(Error::Kind::NotFound,
                                   tr("There is no model named “%1” (see “modelfloat-cli list”)")
                                       .arg(m_request.modelName)));
                return;
            }
            if (model->state != ModelRecord::State::Complete) {
                finish(Error::make(Error::Kind::Fatal,
                                   tr("“%1” is not completely floated yet; finish its float or "
                                      "import first")
                                       .arg(m_request.modelName)));
                return;
            }
            m_files = registry.files(model->id);
            for (const FileRecord& f : std::as_const(m_files)) {
                if (!hubrepo::isSafePath(f.path)) {
                    finish(Error::make(Error::Kind::Fatal,
                                       tr("“%1” has a file path that is not safe to write: “%2”")
                                           .arg(m_request.modelName, f.path)));
                    return;
                }
                m_totalBytes += f.size;
            }
            const QString root = QDir(m_request.destination).absolutePath();
            if (m_request.layout == Layout::HfCache) {
                if (!hfcache::parseSource(model->source, &m_repoId, &m_commit)) {
                    finish(Error::make(
                        Error::Kind::Fatal,
                        tr("“%1” was not imported from the Hugging Face Hub (its source is "
                           "“%2”), so it has no commit for the cache layout; use the plain "
                           "layout")
                            .arg(m_request.modelName, model->source)));
                    return;
                }
                m_repoFolder = root + QLatin1Char('/') + hfcache::repoFolderName(m_repoId);
                m_modelPath = m_repoFolder + QStringLiteral("/snapshots/") + m_commit;
                QDir().mkpath(m_repoFolder + QStringLiteral("/blobs"));
            } else {
                m_modelPath = root;
                // Every destination is checked first: "exists" never leaves half a model.
                if (!m_request.overwrite) {
                    for (const FileRecord& f : std::as_const(m_files)) {
                        if (QFileInfo::exists(root + QLatin1Char('/') + f.path)) {
                            finish(Error::make(
                                Error::Kind::Fatal,
                                tr("“%1” already exists; choose another folder or pass --force")
                                    .arg(root + QLatin1Char('/') + f.path)));
                            return;
                        }
                    }
                }
            }
            next();
        },
        Qt::QueuedConnection);
}

void MaterializeJob::abort()
{
    if (m_finished || m_aborted)
        return;
    m_aborted = true;
    if (m_current)
        m_current->abort();
    else
        QMetaObject::invokeMethod(
            this, [this] { finish(Error::make(Error::Kind::Cancelled, tr("Cancelled"))); },
            Qt::QueuedConnection);
}

QString MaterializeJob::blobName(const FileRecord& f) const
{
    return QString::fromLatin1(f.sha256);
}

void MaterializeJob::next()
{
    if (m_current) {
        m_current.release()->deleteLater();
    }
    if (m_aborted) {
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    ++m_index;
    while (m_index < m_files.size()) {
        const FileRecord& f = m_files.at(m_index);
        if (m_request.layout == Layout::Plain) {
            m_currentTarget = m_modelPath + QLatin1Char('/') + f.path;
            break;
        }
        // A blob already in the cache (this model at another commit, or an earlier run).
        const bool lfs = variants::isWeightFile(f.path) || f.size > LfsThreshold;
        if (lfs) {
            const QString blob = m_repoFolder + QStringLiteral("/blobs/") + blobName(f);
            if (QFileInfo(blob).size() == f.size && QFileInfo(blob).isFile()) {
                QString why;
                if (!hfcache::linkSnapshot(m_repoFolder, m_commit, f.path, blobName(f), &why)) {
                    finish(Error::make(Error::Kind::Fatal, why));
                    return;
                }
                ++m_reused;
                m_bytesBefore += f.size;
                ++m_index;
                continue;
            }
        }
        m_currentTarget = m_repoFolder + QStringLiteral("/blobs/") + blobName(f) +
                          QStringLiteral(".materializing");
        break;
    }
    if (m_index >= m_files.size()) {
        if (m_request.layout == Layout::HfCache) {
            QString why;
            if (!hfcache::writeRef(m_repoFolder, QStringLiteral("main"), m_commit, &why)) {
                finish(Error::make(Error::Kind::Fatal, why));
                return;
            }
        }
        finish(Error::none());
        return;
    }
    const FileRecord& f = m_files.at(m_index);
    QDir().mkpath(QFileInfo(m_currentTarget).absolutePath());
    FileAssembler::Options options;
    options.overwrite = m_request.overwrite || m_request.layout == Layout::HfCache;
    m_current = std::make_unique<FileAssembler>(m_vault, f, m_currentTarget, options);
    connect(m_current.get(), &FileAssembler::progress, this, &MaterializeJob::progress);
    connect(m_current.get(), &FileAssembler::finished, this, &MaterializeJob::onFileDone);
    m_current->start();
}

bool MaterializeJob::placeInCache(const FileRecord& f, const QString& assembled, QString* error)
{
    const bool lfs = variants::isWeightFile(f.path) || f.size > LfsThreshold;
    const QString etag = lfs ? blobName(f) : QString::fromLatin1(hfcache::gitBlobSha1(assembled));
    if (etag.isEmpty()) {
        *error = tr("Cannot read back “%1”").arg(assembled);
        return false;
    }
    const QString blob = m_repoFolder + QStringLiteral("/blobs/") + etag;
    QFile::remove(blob);
    if (!QFile::rename(assembled, blob)) {
        *error = tr("Cannot move “%1” into place").arg(blob);
        QFile::remove(assembled);
        return false;
    }
    return hfcache::linkSnapshot(m_repoFolder, m_commit, f.path, etag, error);
}

void MaterializeJob::onFileDone()
{
    const Error error = m_current->error();
    const FileRecord f = m_files.at(m_index);
    if (!error.ok()) {
        finish(m_aborted ? Error::make(Error::Kind::Cancelled, tr("Cancelled")) : error);
        return;
    }
    m_bytesBefore += f.size;
    if (m_request.layout == Layout::HfCache) {
        QString why;
        if (!placeInCache(f, m_currentTarget, &why)) {
            finish(Error::make(Error::Kind::Fatal, why));
            return;
        }
    }
    Q_EMIT progress();
    next();
}

void MaterializeJob::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    finishQueued();
}

} // namespace mf
