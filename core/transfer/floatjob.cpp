#include "floatjob.h"

#include "chunking/sha256.h"
#include "registry/modelname.h"
#include "registry/modelpath.h"
#include "temporarysweep.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QThreadPool>

#include <openssl/crypto.h>

#include <algorithm>

namespace mf {

FloatJob::FloatJob(Vault* vault, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_request(std::move(request))
{
    // Each float is a writer of its own, even beside another float in this process.
    m_request.options.leaseOwner = leaseowner::newLeaseOwner();
}

FloatJob::~FloatJob()
{
    if (m_hashPool) {
        *m_hashCancelled = true;
        m_hashPool->waitForDone(); // a block of file at most: it checks the flag per block
    }
    // Destroyed mid-float (the app quitting): the model is free for a resume at once.
    if (m_leased && !isFinished())
        m_vault->registry().modelRows().releaseModelLease(m_modelId, m_request.options.leaseOwner);
}

QString FloatJob::defaultModelName(const QStringList& paths)
{
    if (paths.isEmpty())
        return {};
    const QFileInfo info(paths.first());
    // "llama-3-8b.Q4_K_M.gguf" -> "llama-3-8b.Q4_K_M"; a folder keeps its name.
    return info.isDir() ? QDir(info.absoluteFilePath()).dirName() : info.completeBaseName();
}

std::optional<QList<FloatJob::SourceFile>>
FloatJob::collectFiles(const QStringList& paths, QString* error, const QStringList& names)
{
    QList<SourceFile> files;
    QSet<QString> seen;
    auto add = [&](const QFileInfo& info, const QString& pathInModel) {
        if (!info.isReadable()) {
            *error = tr("“%1” cannot be read (permission denied)").arg(info.filePath());
            return false;
        }
        // What the catalog would refuse in this model's manifest (modelpath.h).
        if (const QString bad = modelpath::problem(pathInModel); !bad.isEmpty()) {
            *error = tr("%1; rename the file, or float the files around it").arg(bad);
            return false;
        }
        if (seen.contains(pathInModel)) {
            *error = tr("Two files would both be “%1” in the model; float them separately")
                         .arg(pathInModel);
            return false;
        }
        seen.insert(pathInModel);
        files.append({info.absoluteFilePath(), pathInModel, info.size()});
        return true;
    };
    if (paths.isEmpty()) {
        *error = tr("Nothing to float: name at least one file or folder");
        return std::nullopt;
    }
    for (qsizetype i = 0; i < paths.size(); ++i) {
        const QString& path = paths.at(i);
        const QFileInfo info(path);
        if (!info.exists()) {
            *error = tr("“%1” does not exist").arg(path);
            return std::nullopt;
        }
        if (info.isFile()) {
            const QString name = names.value(i);
            if (!add(info, name.isEmpty() ? info.fileName() : name))
                return std::nullopt;
            continue;
        }
        if (!info.isDir()) {
            *error = tr("“%1” is neither a file nor a folder").arg(path);
            return std::nullopt;
        }
        if (!info.isReadable() || !info.isExecutable()) {
            *error = tr("The folder “%1” cannot be read (permission denied)").arg(path);
            return std::nullopt;
        }
        const QDir root(info.absoluteFilePath());
        QList<QFileInfo> found;
        QDirIterator it(root.path(), QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            it.next();
            found.append(it.fileInfo());
        }
        if (found.isEmpty()) {
            *error = tr("The folder “%1” contains no files to float").arg(path);
            return std::nullopt;
        }
        std::sort(found.begin(), found.end(), [](const QFileInfo& a, const QFileInfo& b) {
            return a.filePath() < b.filePath();
        });
        const bool prefix = paths.size() > 1; // several inputs: keep each folder's name
        for (const QFileInfo& f : std::as_const(found)) {
            const QString rel = root.relativeFilePath(f.absoluteFilePath());
            if (!add(f, prefix ? root.dirName() + QLatin1Char('/') + rel : rel))
                return std::nullopt;
        }
    }
    return files;
}

void FloatJob::doStart()
{
    m_files.clear();
    m_totalBytes = 0;
    const bool derivedName = m_request.modelName.isEmpty();
    if (derivedName)
        m_request.modelName = defaultModelName(m_request.paths);
    if (const QString bad = modelname::problem(m_request.modelName); !bad.isEmpty()) {
        finish(Failure::BadName,
               Error::make(Error::Kind::Fatal,
                           derivedName ? tr("%1. It comes from the name of “%2”: give the model "
                                            "a name of its own")
                                             .arg(bad, modelname::escaped(m_request.paths.value(0)))
                                       : bad));
        return;
    }
    QString why;
    const auto files = collectFiles(m_request.paths, &why, m_request.names);
    if (!files) {
        finish(Failure::BadInput, Error::make(Error::Kind::Fatal, why));
        return;
    }
    m_files = *files;
    for (const SourceFile& f : std::as_const(m_files))
        m_totalBytes += f.size;
    if (m_request.source.isEmpty())
        m_request.source =
            QStringLiteral("local:") + QFileInfo(m_request.paths.first()).absoluteFilePath();

    Registry& registry = m_vault->registry();
    // Claimed in one transaction: of two floats of one name (in this process or another) one
    // writes, and the other is told who does instead of merging its files into the model.
    const ModelRows::ModelClaim claim = registry.modelRows().claimModel(
        m_request.modelName, m_request.source, m_request.options.leaseOwner, m_request.topUp);
    switch (claim.status) {
    case ModelRows::ModelClaim::Status::Failed:
        finish(Failure::Transfer, Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    case ModelRows::ModelClaim::Status::Complete:
        m_modelId = claim.modelId;
        checkAlreadyFloated(claim.modelId);
        return;
    case ModelRows::ModelClaim::Status::Busy:
        finish(Failure::ModelExists,
               Error::make(Error::Kind::Fatal,
                           tr("“%1” is being floated right now by process %2; wait for it to "
                              "finish, or stop it and run this float again to resume it")
                               .arg(m_request.modelName, claim.holderPid)));
        return;
    case ModelRows::ModelClaim::Status::Created:
        m_modelId = claim.modelId;
        m_leased = true;
        break;
    case ModelRows::ModelClaim::Status::Resumed: {
        m_modelId = claim.modelId;
        m_leased = true;
        m_resumed = true;
        // A file an earlier, unfinished float began and this one does not include would stay
        // incomplete in a model marked complete, which then cannot be restored.
        QSet<QString> now;
        for (const SourceFile& f : std::as_const(m_files))
            now.insert(f.pathInModel);
        for (const FileRecord& f : registry.modelRows().files(m_modelId)) {
            if (f.state != FileRecord::State::Complete && !now.contains(f.path)) {
                finish(Failure::BadInput,
                       Error::make(Error::Kind::Fatal,
                                   tr("The unfinished model “%1” also has “%2”, which is not "
                                      "among the paths given now; float the same paths again "
                                      "to finish it, or remove the model first")
                                       .arg(m_request.modelName, f.path)));
                return;
            }
        }
        break;
    }
    }
    // Renewed while the float runs; a float that cannot renew it (taken over after this process
    // stalled for longer than the lease) stops instead of writing beside the new writer.
    m_leaseTimer.setInterval(ModelRows::ModelLeaseSecs * 1000 / 3);
    connect(&m_leaseTimer, &QTimer::timeout, this, [this] {
        if (m_vault->registry().modelRows().renewModelLease(m_modelId,
                                                            m_request.options.leaseOwner))
            return;
        m_leased = false;
        m_lostLease = true;
        abort();
    });
    m_leaseTimer.start();
    // Beside the float: what floats killed before left in the providers' temporary areas.
    m_sweep = new TemporarySweep(m_vault, m_request.options.providerIds, false, this);
    m_sweep->start();
    next();
}

// The same name again: nothing to do when the model holds exactly these files with these
// bytes (hashed off this thread, like a float would), else the name is taken.
void FloatJob::checkAlreadyFloated(qint64 modelId)
{
    const QString taken = tr("A model named “%1” already exists with other files; choose another "
                             "name with --name, or remove it first")
                              .arg(m_request.modelName);
    QHash<QString, QByteArray> want; // source path -> recorded SHA-256
    QHash<QString, FileRecord> recorded;
    for (const FileRecord& f : m_vault->registry().modelRows().files(modelId))
        recorded.insert(f.path, f);
    for (const SourceFile& f : std::as_const(m_files)) {
        const auto r = recorded.constFind(f.pathInModel);
        if (r == recorded.constEnd() || r->size != f.size)
            break;
        want.insert(f.sourcePath, r->sha256);
    }
    if (want.size() != m_files.size() || recorded.size() != m_files.size()) {
        finish(Failure::ModelExists, Error::make(Error::Kind::Fatal, taken));
        return;
    }
    m_checkingExisting = true;
    auto cancelled = m_hashCancelled;
    // A pool of this job's own, waited for by the destructor: the task never outlives the job
    // (so `this` is safe to use from it), and its thread ends with the job, taking OpenSSL's
    // per-thread state with it (the global pool's threads may outlive everything, which
    // LeakSanitizer reports as a leak).
    m_hashPool = std::make_unique<QThreadPool>();
    m_hashPool->setMaxThreadCount(1);
    m_hashPool->start([this, want, taken, cancelled, modelId] {
        bool same = true;
        for (auto it = want.cbegin(); same && it != want.cend(); ++it) {
            const auto digest = Sha256::hashFile(it.key(), cancelled.get());
            same = digest && digest->toHex() == it.value();
        }
        // OpenSSL keeps per-thread state (its error queue) until the thread ends; a pool thread
        // may outlive the process's leak check, so it is freed here, where the hashing ends.
        OPENSSL_thread_stop();
        // Queued to this job's thread; dropped if the job is destroyed first.
        QMetaObject::invokeMethod(
            this,
            [this, same, taken, modelId] {
                if (isFinished())
                    return; // aborted meanwhile
                m_checkingExisting = false;
                if (same && !m_request.topUp && anyShortChunks(m_modelId)) {
                    // The same bytes again, but copies are missing (a provider was paused):
                    // making them is what this float has left to do.
                    m_request.topUp = true;
                    doStart(); // the same job again, as a top-up (start() runs a job once)
                    return;
                }
                if (same) {
                    // Nothing to send, but a model still short of copies says so.
                    noteDegraded(m_vault->registry(), modelId);
                    m_alreadyFloated = true;
                    m_filesSkipped = int(m_files.size());
                    m_bytesBefore = m_totalBytes;
                    finish(Failure::None, Error::none());
                } else {
                    finish(Failure::ModelExists, Error::make(Error::Kind::Fatal, taken));
                }
            },
            Qt::QueuedConnection);
    });
}

void FloatJob::doAbort()
{
    if (m_current)
        m_current->abort(); // its finished() ends the job as cancelled
    else if (m_checkingExisting) {
        *m_hashCancelled = true;
        finish(Failure::Cancelled, Error::make(Error::Kind::Cancelled, tr("Cancelled")));
    } else
        finish(Failure::Cancelled, Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

TransferProgress FloatJob::progressNow() const
{
    TransferProgress p;
    const FileDistributor::Stats* current = m_current ? &m_current->stats() : nullptr;
    p.totalBytes = m_totalBytes;
    p.bytesDone = m_bytesBefore + qMax(m_currentFloor, current ? current->bytesPlaced : 0);
    p.chunksDone = m_totals.chunksSent + m_totals.chunksDeduplicated +
                   (current ? current->chunksSent + current->chunksDeduplicated : 0);
    p.retries = m_totals.retries + (current ? current->retries : 0);
    if (m_checkingExisting)
        p.stage = tr("Checking whether these files are already stored");
    else if (current && current->bytesScanned < m_currentFloor)
        // A resume reads again what an earlier run stored before it sends anything new (for
        // seconds on a large file): said, so that it is not taken for silence or a restart.
        p.stage = tr("Checking what is already stored of “%1”… %2 of %3")
                      .arg(currentFile(), units::formatBytes(current->bytesScanned),
                           units::formatBytes(m_currentFloor));
    else if (current)
        p.stage = tr("Reading, hashing and sending “%1”").arg(currentFile());
    if (m_current)
        p.retryWait = m_current->retryWait();
    // Each file's progress, for a list that shows them: those before the current one are
    // stored (or were already), the current one as far as its distributor got.
    if (m_files.size() > 1 && m_files.size() <= MaxListedFiles) {
        p.files.reserve(m_files.size());
        for (qsizetype i = 0; i < m_files.size(); ++i) {
            const SourceFile& f = m_files.at(i);
            qint64 done = 0;
            if (i < m_index)
                done = f.size;
            else if (i == m_index)
                done = qMin(f.size, qMax(m_currentFloor, current ? current->bytesPlaced : 0));
            p.files.append({f.pathInModel, done, f.size});
        }
    }
    return p;
}

QString FloatJob::currentFile() const
{
    return m_index >= 0 && m_index < m_files.size() ? m_files.at(m_index).pathInModel : QString();
}

void FloatJob::next()
{
    Registry& registry = m_vault->registry();
    while (++m_index < m_files.size()) {
        const SourceFile& f = m_files.at(m_index);
        const auto existing = registry.modelRows().file(m_modelId, f.pathInModel);
        if (existing && existing->state == FileRecord::State::Complete) {
            if (existing->size != f.size) {
                finish(Failure::BadInput,
                       Error::make(Error::Kind::Fatal,
                                   tr("“%1” is already in model “%2” with a different size; "
                                      "float the new version under another name")
                                       .arg(f.pathInModel, m_request.modelName)));
                return;
            }
            if (!hasExpectedBytes(*existing))
                return;
            if (!m_request.topUp || !hasShortChunks(existing->id)) {
                m_filesSkipped++;
                m_bytesBefore += f.size;
                continue;
            }
        }
        if (isAborting()) {
            // Aborted as the file before ended well: nothing new is begun.
            finish(Failure::Cancelled, Error::make(Error::Kind::Cancelled, tr("Cancelled")));
            return;
        }
        FileDistributor::Options options = m_request.options;
        options.topUp = existing && existing->state == FileRecord::State::Complete;
        options.expectedSha256 = m_request.expectedSha256.value(f.pathInModel);
        m_currentFloor = existing && !options.topUp ? storedBytesOfFile(existing->id) : 0;
        m_current = std::make_unique<FileDistributor>(m_vault, m_modelId, f.sourcePath,
                                                      f.pathInModel, options);
        connect(m_current.get(), &FileDistributor::progress, this, &FloatJob::progress);
        connect(m_current.get(), &FileDistributor::warning, this, &FloatJob::addWarning);
        connect(m_current.get(), &FileDistributor::finished, this, &FloatJob::onFileFinished);
        m_current->start();
        return;
    }
    if (!registry.modelRows().completeModel(m_modelId, m_request.options.leaseOwner)) {
        finish(Failure::Transfer, Error::make(Error::Kind::Fatal, registry.lastError()));
        return;
    }
    // A copy (or shard) known missing or corrupt that this float stored again elsewhere is
    // forgotten and its object's deletion queued, as a repair does: the registry would otherwise
    // keep it, and verify call the model damaged over a copy it no longer needs (found by
    // tst_cli_crash's 4+2 rounds: a shard lost on one provider, put back on another).
    if (registry.scrubRows().retireReplacedCopies(m_request.options.replication, {m_modelId}) < 0)
        addWarning(
            tr("Copies found missing before could not be forgotten: %1").arg(registry.lastError()));
    noteDegraded(registry, m_modelId);
    finish(Failure::None, Error::none());
}

bool FloatJob::anyShortChunks(qint64 modelId)
{
    for (const FileRecord& f : m_vault->registry().modelRows().files(modelId))
        if (hasShortChunks(f.id))
            return true;
    return false;
}

qint64 FloatJob::storedBytesOfFile(qint64 fileId)
{
    Registry& registry = m_vault->registry();
    const QHash<QString, QList<Placement>> placements =
        registry.placementRows().placementsOfFile(fileId);
    qint64 bytes = 0;
    for (const FileChunk& c : registry.modelRows().fileChunks(fileId)) {
        const QList<Placement> copies = placements.value(c.cid);
        if (std::any_of(copies.cbegin(), copies.cend(),
                        [](const Placement& p) { return p.state == PlacementState::Stored; }))
            bytes += c.size;
    }
    return bytes;
}

bool FloatJob::hasShortChunks(qint64 fileId)
{
    Registry& registry = m_vault->registry();
    QSet<qint64> usable;
    for (const ProviderRecord& p : registry.providerRows().providers())
        if (p.enabled && (m_request.options.providerIds.isEmpty() ||
                          m_request.options.providerIds.contains(p.id)))
            usable.insert(p.id);
    const int wanted = qMin(m_request.options.replication, int(usable.size()));
    const QHash<QString, QList<Placement>> placements =
        registry.placementRows().placementsOfFile(fileId);
    for (const FileChunk& c : registry.modelRows().fileChunks(fileId)) {
        int copies = 0;
        for (const Placement& p : placements.value(c.cid))
            copies += p.state == PlacementState::Stored && usable.contains(p.providerId) ? 1 : 0;
        if (copies < wanted)
            return true;
    }
    return false;
}

void FloatJob::onFileFinished()
{
    std::unique_ptr<FileDistributor> done = std::move(m_current);
    const auto& s = done->stats();
    m_totals.fileSize += s.fileSize;
    m_totals.bytesScanned += s.bytesScanned;
    m_totals.bytesPlaced += s.bytesPlaced;
    m_totals.bytesSent += s.bytesSent;
    m_totals.bytesDeduplicated += s.bytesDeduplicated;
    m_totals.chunks += s.chunks;
    m_totals.chunksSent += s.chunksSent;
    m_totals.chunksDeduplicated += s.chunksDeduplicated;
    m_totals.underReplicatedChunks += s.underReplicatedChunks;
    m_totals.retries += s.retries;
    m_totals.copiesFoundGone += s.copiesFoundGone;
    m_totals.chunksEncoded += s.chunksEncoded;
    const qint64 reset = done->budgetResetMs();
    if (reset > 0)
        m_budgetResetMs = m_budgetResetMs < 0 ? reset : qMin(m_budgetResetMs, reset);
    if (!done->error().ok()) {
        // Stopped (a pause, a cancel): what it placed stays placed and stays counted.
        m_currentFloor = qMax(m_currentFloor, s.bytesPlaced);
        finish(done->error().kind == Error::Kind::Cancelled ? Failure::Cancelled
               : done->sourceFailed()                       ? Failure::BadInput
                                                            : Failure::Transfer,
               done->error());
        done.release()->deleteLater();
        return;
    }
    m_bytesBefore += m_files.at(m_index).size;
    m_currentFloor = 0;
    done.release()->deleteLater();
    Q_EMIT progress();
    next();
}

bool FloatJob::hasExpectedBytes(const FileRecord& file)
{
    // A file completed before (floated without the digest to check): checked now.
    const QByteArray expected = m_request.expectedSha256.value(file.path);
    if (expected.isEmpty() || file.sha256 == expected)
        return true;
    finish(Failure::BadInput,
           Error::make(Error::Kind::Fatal,
                       FileDistributor::damagedCopyMessage(file.path, file.sha256, expected)));
    return false;
}

void FloatJob::finish(Failure failure, const Error& error)
{
    if (!isFinished())
        m_failure = failure;
    TransferJob::finish(error);
}

void FloatJob::ending(Error& error)
{
    m_leaseTimer.stop();
    if (m_sweep)
        m_sweep->abort(); // what is left of it, the next float or collect does
    if (m_lostLease) {
        m_failure = Failure::Transfer;
        error = Error::make(Error::Kind::Fatal,
                            tr("Another process took over “%1” while this float was stalled; "
                               "it goes on there")
                                .arg(m_request.modelName));
    } else if (m_leased && m_failure != Failure::None) {
        // Free at once for a resume, instead of when the lease would have expired.
        m_vault->registry().modelRows().releaseModelLease(m_modelId, m_request.options.leaseOwner);
    }
}

} // namespace mf
