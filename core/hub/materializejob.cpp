#include "materializejob.h"

#include "hfcachelayout.h"
#include "hubrepo.h"

#include "registry/modelpath.h"
#include "util/fileio.h"
#include "vault/vault.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdio>

namespace mf {

MaterializeJob::MaterializeJob(Vault* vault, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_request(std::move(request))
{}

MaterializeJob::~MaterializeJob()
{
    m_current.reset(); // removes its temporary
    if (!m_scratchAreas.isEmpty())
        m_vault->registry().queueRows().removeScratchAreas(m_scratchAreas);
}

TransferProgress MaterializeJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesBefore + (m_current ? m_current->bytesDone() : 0);
    return p;
}

void MaterializeJob::doStart()
{
    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(m_request.modelName);
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
    m_files = registry.modelRows().files(model->id);
    for (const FileRecord& f : std::as_const(m_files)) {
        if (!modelpath::isValid(f.path)) {
            finish(Error::make(Error::Kind::Fatal,
                               tr("“%1” has a file path that is not safe to write: “%2”")
                                   .arg(m_request.modelName, f.path)));
            return;
        }
        m_totalBytes += f.size;
    }
    const QString root = QDir(m_request.destination).absolutePath();
    if (m_request.layout == Layout::HfCache) {
        if (!hfcache::parseSource(model->source, &m_repoId, &m_commit) &&
            !m_request.localRepoId.isEmpty()) {
            // Not from the Hub: a repo of our own, at a "commit" that names the model's content
            // (its files' paths and digests), so the same content always lands in one snapshot.
            QCryptographicHash content(QCryptographicHash::Sha1);
            for (const FileRecord& f : std::as_const(m_files))
                content.addData(QByteArray(f.path.toUtf8() + '\0' + f.sha256 + '\n'));
            m_repoId = m_request.localRepoId;
            m_commit = QString::fromLatin1(content.result().toHex());
        }
        if (m_repoId.isEmpty()) {
            finish(Error::make(Error::Kind::Fatal,
                               tr("“%1” was not imported from the Hugging Face Hub (its source is "
                                  "“%2”), so it has no commit for the cache layout; use the plain "
                                  "layout")
                                   .arg(m_request.modelName, model->source)));
            return;
        }
        m_repoFolder = root + QLatin1Char('/') + hfcache::repoFolderName(m_repoId);
        m_modelPath = m_repoFolder + QStringLiteral("/snapshots/") + m_commit;
        const QString blobs = m_repoFolder + QStringLiteral("/blobs");
        if (!makeFolders(blobs, m_vault->flushWrites())) {
            finish(
                Error::make(Error::Kind::Fatal,
                            tr("Cannot create the folder “%1”: %2").arg(blobs, errnoText(errno))));
            return;
        }
        // Blobs are assembled in blobs/ and renamed to their ETag when verified.
        m_folders.insert(blobs);
    } else {
        m_modelPath = root;
        // Every destination is checked first: "exists" never leaves half a model.
        for (const FileRecord& f : std::as_const(m_files)) {
            const QString target = root + QLatin1Char('/') + f.path;
            if (!m_request.overwrite && QFileInfo::exists(target)) {
                finish(Error::make(
                    Error::Kind::Fatal,
                    tr("“%1” already exists; choose another folder or pass --force").arg(target)));
                return;
            }
            m_folders.insert(QFileInfo(target).absolutePath());
        }
    }
    // What materializations killed in these folders left goes first (never a running
    // one's temporaries), so a rerun leaves them as clean as a first run.
    for (const QString& folder : std::as_const(m_folders))
        m_swept += temporaries::sweepFolder(folder, leftoverNames(), legacyLeftoverNames());
    // Recorded until the job ends, for `collect` to sweep if it is killed.
    m_scratchAreas = registry.queueRows().addScratchAreas(m_folders.values());
    next();
}

void MaterializeJob::doAbort()
{
    if (m_current)
        m_current->abort(); // its finished() ends the job
    else
        finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
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
    if (isAborting()) {
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
        const bool lfs = hfcache::storedInLfs(f.path, f.size);
        if (lfs) {
            const QString blob = m_repoFolder + QStringLiteral("/blobs/") + blobName(f);
            if (QFileInfo(blob).size() == f.size && QFileInfo(blob).isFile()) {
                QString why;
                if (!linkInSnapshot(f, blobName(f), &why)) {
                    finish(Error::make(Error::Kind::Fatal, why));
                    return;
                }
                ++m_reused;
                m_bytesBefore += f.size;
                ++m_index;
                continue;
            }
        }
        // Assembled beside the blobs under a temporary name, and renamed to its ETag (known
        // only then for a small file: its git blob sha1) when verified (placeInCache()).
        m_currentTarget = m_repoFolder + QStringLiteral("/blobs/") + blobName(f);
        break;
    }
    if (m_index >= m_files.size()) {
        if (m_request.layout == Layout::HfCache) {
            QString why;
            if (!hfcache::writeRef(m_repoFolder, QStringLiteral("main"), m_commit, &why)) {
                finish(Error::make(Error::Kind::Fatal, why));
                return;
            }
            m_folders.insert(m_repoFolder + QStringLiteral("/refs"));
            m_folders.insert(m_repoFolder); // refs/ may be new
        }
        // Each file was flushed before its rename; the folders that hold the new names (and
        // links) are synced once each, before the job says done.
        if (m_vault->flushWrites()) {
            for (const QString& folder : std::as_const(m_folders)) {
                if (!syncFolder(folder)) {
                    finish(
                        Error::make(Error::Kind::Fatal,
                                    tr("Cannot write in “%1”: %2").arg(folder, errnoText(errno))));
                    return;
                }
            }
        }
        finish(Error::none());
        return;
    }
    const FileRecord& f = m_files.at(m_index);
    FileAssembler::Options options;
    options.overwrite = m_request.overwrite || m_request.layout == Layout::HfCache;
    options.publish = m_request.layout == Layout::Plain;
    options.syncFolder = false; // once per folder, at the end
    m_current = std::make_unique<FileAssembler>(m_vault, f, m_currentTarget, options);
    connect(m_current.get(), &FileAssembler::progress, this, &MaterializeJob::progress);
    connect(m_current.get(), &FileAssembler::finished, this, &MaterializeJob::onFileDone);
    m_current->start();
}

bool MaterializeJob::placeInCache(const FileRecord& f, const QString& assembled, QString* error)
{
    const bool lfs = hfcache::storedInLfs(f.path, f.size);
    const QString etag = lfs ? blobName(f) : QString::fromLatin1(hfcache::gitBlobSha1(assembled));
    if (etag.isEmpty()) {
        *error = tr("Cannot read back “%1”").arg(assembled);
        QFile::remove(assembled);
        return false;
    }
    const QString blob = m_repoFolder + QStringLiteral("/blobs/") + etag;
    // rename() replaces an older blob of that name in one step.
    if (::rename(QFile::encodeName(assembled).constData(), QFile::encodeName(blob).constData()) !=
        0) {
        *error = tr("Cannot move “%1” into place: %2").arg(blob, errnoText(errno));
        QFile::remove(assembled);
        return false;
    }
    return linkInSnapshot(f, etag, error);
}

bool MaterializeJob::linkInSnapshot(const FileRecord& f, const QString& etag, QString* error)
{
    const QString link =
        m_repoFolder + QStringLiteral("/snapshots/") + m_commit + QLatin1Char('/') + f.path;
    const QString folder = QFileInfo(link).absolutePath();
    if (!makeFolders(folder, m_vault->flushWrites())) {
        *error = tr("Cannot create the folder “%1”: %2").arg(folder, errnoText(errno));
        return false;
    }
    m_folders.insert(folder);
    return hfcache::linkSnapshot(m_repoFolder, m_commit, f.path, etag, error);
}

const QRegularExpression& MaterializeJob::leftoverNames()
{
    // The assembler's temporaries, and blobs an older version assembled as "<etag>.materializing".
    static const QRegularExpression re(
        QStringLiteral("^(\\..+\\.modelfloat-.+|[0-9a-f]{40,64}\\.materializing)$"));
    return re;
}

const QRegularExpression& MaterializeJob::legacyLeftoverNames()
{
    static const QRegularExpression re(
        QStringLiteral("^(\\..+\\.modelfloat-[A-Za-z0-9]{6}|[0-9a-f]{40,64}\\.materializing)$"));
    return re;
}

void MaterializeJob::onFileDone()
{
    const Error error = m_current->error();
    const FileRecord f = m_files.at(m_index);
    if (!error.ok()) {
        finish(isAborting() ? Error::make(Error::Kind::Cancelled, tr("Cancelled")) : error);
        return;
    }
    m_bytesBefore += f.size;
    if (m_request.layout == Layout::HfCache) {
        QString why;
        if (!placeInCache(f, m_current->takeTemporary(), &why)) {
            finish(Error::make(Error::Kind::Fatal, why));
            return;
        }
    }
    Q_EMIT progress();
    next();
}

void MaterializeJob::ending(Error& /*error*/)
{
    if (!m_scratchAreas.isEmpty() &&
        m_vault->registry().queueRows().removeScratchAreas(m_scratchAreas))
        m_scratchAreas.clear();
}

} // namespace mf
