#include "restorejob.h"

#include "util/fileio.h"
#include "vault/vault.h"

#include <QDir>
#include <QFileInfo>

namespace mf {

namespace {
// A path inside a model must stay inside the folder it is restored to: relative, and with no
// ".." that climbs out. Floats only record such paths, but a registry can be rebuilt from
// manifests found on providers, which other people may write to.
bool isSafePathInModel(const QString& path)
{
    if (path.isEmpty() || QDir::isAbsolutePath(path))
        return false;
    const QString clean = QDir::cleanPath(path);
    return clean != QLatin1String("..") && !clean.startsWith(QLatin1String("../")) &&
           clean != QLatin1String(".");
}
} // namespace

RestoreJob::RestoreJob(Vault* vault, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_request(std::move(request))
{}

RestoreJob::~RestoreJob()
{
    m_current.reset(); // removes its temporary
    if (!m_scratchAreas.isEmpty())
        m_vault->registry().queueRows().removeScratchAreas(m_scratchAreas);
}

TransferProgress RestoreJob::progressNow() const
{
    TransferProgress p;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesBefore + (m_current ? m_current->bytesDone() : 0);
    return p;
}

void RestoreJob::doStart()
{
    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(m_request.modelName);
    if (!model) {
        finish(Failure::NotFound,
               Error::make(Error::Kind::NotFound,
                           tr("There is no model named “%1”").arg(m_request.modelName)));
        return;
    }
    const QList<FileRecord> all = registry.modelRows().files(model->id);
    for (const FileRecord& f : all)
        if (m_request.filePath.isEmpty() || f.path == m_request.filePath)
            m_files.append(f);
    if (m_files.isEmpty()) {
        finish(Failure::NotFound,
               Error::make(
                   Error::Kind::NotFound,
                   m_request.filePath.isEmpty()
                       ? tr("Model “%1” has no files").arg(model->name)
                       : tr("Model “%1” has no file “%2”").arg(model->name, m_request.filePath)));
        return;
    }
    const QDir dir(m_request.destinationDir);
    QStringList existing; // destinations refused, for the message
    for (const FileRecord& f : std::as_const(m_files)) {
        if (!isSafePathInModel(f.path)) {
            finish(Failure::Integrity,
                   Error::make(Error::Kind::Corrupt,
                               tr("Model “%1” names a file “%2” that would be written outside "
                                  "“%3”; its registry entry is damaged")
                                   .arg(model->name, f.path, m_request.destinationDir)));
            return;
        }
        if (f.state != FileRecord::State::Complete) {
            finish(Failure::Incomplete,
                   Error::make(Error::Kind::NotFound,
                               tr("“%1” of model “%2” was never completely floated; float it again "
                                  "to finish it")
                                   .arg(f.path, model->name)));
            return;
        }
        const QString before = m_request.restoredBefore.value(f.path);
        if (!before.isEmpty() && QFileInfo::exists(before)) {
            // Done by an earlier run of this restore (it was paused or failed later on).
            m_totalBytes += f.size;
            m_bytesBefore += f.size;
            m_restored.append(before);
            m_restoredFiles.insert(f.path, before);
            continue;
        }
        Target target{f, dir.filePath(f.path), false};
        if (QFileInfo::exists(target.destination)) {
            // options.overwrite: what callers from before per-file answers ask for (= Replace).
            const ExistingFile fallback =
                m_request.options.overwrite ? ExistingFile::Replace : m_request.whenExists;
            switch (m_request.answers.value(f.path, fallback)) {
            case ExistingFile::Refuse:
                m_conflicts.append(f.path);
                existing.append(target.destination);
                continue;
            case ExistingFile::Skip:
                continue;
            case ExistingFile::Replace:
                target.replace = true;
                break;
            case ExistingFile::KeepBoth:
                target.destination = keepBothName(target.destination);
                break;
            }
        }
        m_totalBytes += f.size;
        m_folders.insert(QFileInfo(target.destination).absolutePath());
        m_targets.append(target);
    }
    if (!m_conflicts.isEmpty()) {
        // Plain words: the CLI adds how to choose (--force), the GUI asks.
        finish(Failure::DestinationExists,
               Error::make(Error::Kind::Fatal,
                           existing.size() == 1
                               ? tr("“%1” already exists").arg(existing.first())
                               : tr("%1 files already exist in “%2”: %3")
                                     .arg(existing.size())
                                     .arg(m_request.destinationDir,
                                          m_conflicts.join(QStringLiteral(", ")))));
        return;
    }
    // What restores into these folders left when they were killed goes first (never a running
    // restore's temporaries): a rerun leaves the folder as clean as a first run.
    for (const QString& folder : std::as_const(m_folders))
        m_swept += temporaries::sweepFolder(folder, FileAssembler::temporaryNames(),
                                            FileAssembler::legacyTemporaryNames());
    // And where this one writes is recorded until it ends, for `collect` to sweep if it is
    // killed (and nobody restores into these folders again).
    m_scratchAreas = registry.queueRows().addScratchAreas(m_folders.values());
    next();
}

void RestoreJob::doAbort()
{
    if (m_current)
        m_current->abort();
    else
        finish(Failure::Cancelled, Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void RestoreJob::next()
{
    if (++m_index >= m_targets.size()) {
        // Each file was flushed before its rename; the folders holding the new names are synced
        // once each (not once per file), before the restore says done.
        if (m_vault->flushWrites()) {
            for (const QString& folder : std::as_const(m_folders)) {
                if (!syncFolder(folder)) {
                    finish(
                        Failure::Transfer,
                        Error::make(Error::Kind::Fatal,
                                    tr("Cannot write in “%1”: %2").arg(folder, errnoText(errno))));
                    return;
                }
            }
        }
        finish(Failure::None, Error::none());
        return;
    }
    if (isAborting()) {
        // Aborted as the file before ended well: nothing new is begun.
        finish(Failure::Cancelled, Error::make(Error::Kind::Cancelled, tr("Cancelled")));
        return;
    }
    const Target& target = m_targets.at(m_index);
    const QString dest = target.destination;
    FileAssembler::Options options = m_request.options;
    options.overwrite = target.replace;
    options.syncFolder = false; // once per folder, at the end
    m_current = std::make_unique<FileAssembler>(m_vault, target.file, dest, options);
    connect(m_current.get(), &FileAssembler::progress, this, &RestoreJob::progress);
    connect(m_current.get(), &FileAssembler::finished, this, [this, dest] {
        std::unique_ptr<FileAssembler> done = std::move(m_current);
        m_problems.append(done->problems());
        const Error e = done->error();
        const bool removed = done->removedMeanwhile();
        done.release()->deleteLater();
        if (removed) {
            // An rm, here or in another process: nothing is lost, there is just no model.
            finish(Failure::NotFound,
                   Error::make(Error::Kind::NotFound,
                               tr("Model “%1” was removed while it was being restored")
                                   .arg(m_request.modelName)));
            return;
        }
        if (!e.ok()) {
            const Failure why = e.kind == Error::Kind::Cancelled ? Failure::Cancelled
                                : e.kind == Error::Kind::Corrupt ? Failure::Integrity
                                                                 : Failure::Transfer;
            finish(why, e);
            return;
        }
        m_restored.append(dest);
        m_restoredFiles.insert(m_targets.at(m_index).file.path, dest);
        m_bytesBefore += m_targets.at(m_index).file.size;
        Q_EMIT progress();
        next();
    });
    m_current->start();
}

void RestoreJob::finish(Failure failure, const Error& error)
{
    if (!isFinished())
        m_failure = failure;
    TransferJob::finish(error);
}

void RestoreJob::ending(Error& /*error*/)
{
    if (!m_scratchAreas.isEmpty() &&
        m_vault->registry().queueRows().removeScratchAreas(m_scratchAreas))
        m_scratchAreas.clear();
    // Copies it found missing or corrupt on the way leave the model degraded (repair makes them
    // again); the restore itself used good ones.
    if (!m_problems.isEmpty() && !m_files.isEmpty())
        m_vault->registry().healthRows().refreshDegraded({m_files.first().modelId});
}

} // namespace mf
