// RepairJob with files at hand (Options::fromPaths): which of the model's files they are, and
// reading its chunks from them. The hashing and the reads run on a thread of the job's own; the
// job's thread only hears the results.
#include "repairjob.h"
#include "repairjobtask.h"

#include "util/units.h"
#include "vault/vault.h"

#include <QDir>
#include <QThreadPool>

#include <openssl/crypto.h>

namespace mf {

void RepairJob::matchLocalFiles()
{
    Registry& registry = m_vault->registry();
    QList<qint64> models = m_options.modelIds;
    if (models.isEmpty())
        for (const ModelRecord& m : registry.modelRows().models())
            models.append(m.id);
    for (qint64 modelId : std::as_const(models)) {
        // Repair mends complete models; one a float left unfinished is finished by its float,
        // which reads the same files (and would have found nothing to do here: "Done", healed
        // nothing).
        const auto model = registry.modelRows().model(modelId);
        if (model && model->state != ModelRecord::State::Complete) {
            finish(Error::make(Error::Kind::Fatal,
                               tr("“%1” was not floated to the end: resume its float with these "
                                  "files instead (float them again under the same name, or "
                                  "Resume float in the app)")
                                   .arg(model->name)));
            return;
        }
    }
    QList<localsources::WantedFile> wanted;
    for (qint64 modelId : std::as_const(models))
        for (const FileRecord& f : registry.modelRows().files(modelId))
            if (f.state == FileRecord::State::Complete)
                wanted.append({f.id, f.path, f.size, f.sha256});
    m_report.filesWanted = int(wanted.size());
    m_matching = true;
    const QStringList roots = m_options.fromPaths;
    auto cancelled = m_poolCancelled;
    pool().start([this, wanted, roots, cancelled] {
        const localsources::Matches matches = localsources::match(wanted, roots, cancelled.get());
        OPENSSL_thread_stop(); // its per-thread state goes with the hashing (as FloatJob's)
        QMetaObject::invokeMethod(
            this, [this, matches] { onLocalFilesMatched(matches); }, Qt::QueuedConnection);
    });
}

void RepairJob::onLocalFilesMatched(const localsources::Matches& matches)
{
    m_matching = false;
    if (isFinished())
        return; // aborted meanwhile
    for (const QString& p : matches.problems)
        addWarning(p);
    m_report.filesMatched = int(matches.byFile.size());
    if (matches.byFile.isEmpty()) {
        const QString where = m_options.fromPaths.join(QStringLiteral("”, “"));
        finish(Error::make(
            Error::Kind::Fatal,
            m_report.filesWanted == 0
                ? tr("The model has no complete file to compare with “%1”").arg(where)
                : units::counted(matches.filesSeen,
                                 tr("The file at “%2” is not a file of the model (compared by "
                                    "size, then by SHA-256): nothing to repair from. Choose "
                                    "the model's original files."),
                                 tr("None of the %1 files at “%2” is a file of the model "
                                    "(compared by size, then by SHA-256): nothing to repair "
                                    "from. Choose the model's original files."))
                      .arg(where)));
        return;
    }
    Registry& registry = m_vault->registry();
    for (auto it = matches.byFile.cbegin(); it != matches.byFile.cend(); ++it)
        for (const FileChunk& c : registry.modelRows().fileChunks(it.key()))
            m_localChunks.insert(c.cid, {it.value(), c.offset});
    if (m_report.filesMatched < m_report.filesWanted)
        addWarning(tr("%1 of the model's %2 files are at hand; the others' chunks come from the "
                      "providers")
                       .arg(m_report.filesMatched)
                       .arg(m_report.filesWanted));
    if (m_options.checkFirst)
        look();
    else
        begin();
}

void RepairJob::readLocal(quint64 taskId, const LocalChunk& local)
{
    const QString cid = m_tasks.at(taskId)->chunk.cid;
    const qint64 size = m_tasks.at(taskId)->chunk.size;
    pool().start([this, taskId, local, cid, size] {
        const auto bytes = localsources::readChunk(local.path, local.offset, size, cid);
        OPENSSL_thread_stop();
        QMetaObject::invokeMethod(
            this, [this, taskId, b = bytes.value_or(QByteArray())] { onLocalRead(taskId, b); },
            Qt::QueuedConnection);
    });
}

void RepairJob::onLocalRead(quint64 taskId, const QByteArray& bytes)
{
    const auto it = m_tasks.find(taskId);
    if (it == m_tasks.end())
        return;
    if (isAborting() || isFinished())
        return endTask(taskId);
    Task& task = *it->second;
    if (bytes.isEmpty()) {
        // Changed since it was matched (or gone): the providers' copies, as without it.
        problem(tr("chunk %1 could not be read from “%2” as it was: read from the providers")
                    .arg(task.chunk.cid, m_localChunks.value(task.chunk.cid).path));
        return fetch(taskId);
    }
    task.localBytes = bytes;
    m_report.chunksFromFiles++;
    haveBytes(taskId);
}

} // namespace mf
