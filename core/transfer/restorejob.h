#pragma once

#include "existingfile.h"
#include "fileassembler.h"
#include "transferjob.h"
#include "util/temporaries.h"

#include <QObject>
#include <QSet>

#include <memory>

namespace mf {

class Vault;

// Restores a whole model, or one file of it, into a folder: each file through a FileAssembler,
// so each appears whole and verified or not at all. Every destination is checked before the
// first byte moves, so "already exists" never leaves half a model behind. A file already at its
// destination is refused unless an answer says otherwise (existingfile.h); refused, the job
// names every such file (conflicts()) so that one question can cover them all.
class RestoreJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestoreJob)

public:
    struct Request
    {
        QString modelName;
        QString filePath; // empty: every file of the model
        QString destinationDir;
        // options.overwrite: as whenExists = Replace (each file's own answer still wins).
        FileAssembler::Options options;
        // For a file already at its destination and not in `answers` (by path in the model).
        ExistingFile whenExists = ExistingFile::Refuse;
        ExistingFileAnswers answers;
        // Files an earlier run of this same restore finished (path in the model -> where it
        // wrote it): still there, they are done, whatever `answers` say; they are never asked
        // about, replaced, or given another name again.
        QHash<QString, QString> restoredBefore;
    };
    enum class Failure {
        None,
        NotFound,
        Incomplete,
        DestinationExists,
        Integrity,
        Transfer,
        Cancelled
    };

    RestoreJob(Vault* vault, Request request, QObject* parent = nullptr);
    ~RestoreJob() override;

    Failure failure() const { return m_failure; }
    TransferProgress progressNow() const override;
    QStringList restoredPaths() const { return m_restored; }
    // Path in the model -> where it is now, for every file restored (this run or before).
    const QHash<QString, QString>& restoredFiles() const { return m_restoredFiles; }
    // With Failure::DestinationExists: the files (paths in the model) whose destination exists
    // and that no answer covered.
    const QStringList& conflicts() const { return m_conflicts; }
    const QStringList& problems() const { return m_problems; }
    // What killed restores into the same folders had left, removed at the start.
    const temporaries::SweepResult& swept() const { return m_swept; }

private:
    void next();
    void doStart() override;
    void doAbort() override;
    // finish(), recording why (the first end counts, as for the error).
    void finish(Failure failure, const Error& error);
    void ending(Error& error) override;

    Vault* m_vault;
    Request m_request;
    struct Target
    {
        FileRecord file;
        QString destination;
        bool replace = false;
    };
    QList<FileRecord> m_files; // every file asked for
    QList<Target> m_targets;   // those to write
    int m_index = -1;
    qint64 m_totalBytes = 0;
    qint64 m_bytesBefore = 0;
    std::unique_ptr<FileAssembler> m_current;
    QSet<QString> m_folders; // where the files go
    temporaries::SweepResult m_swept;
    QList<qint64> m_scratchAreas; // registry rows naming m_folders while this runs
    QStringList m_restored;
    QHash<QString, QString> m_restoredFiles;
    QStringList m_conflicts;
    QStringList m_problems;
    Failure m_failure = Failure::None;
};

} // namespace mf
