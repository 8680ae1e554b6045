#pragma once

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
// first byte moves, so "already exists" never leaves half a model behind.
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
        FileAssembler::Options options;
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

    void start() override;
    void abort() override;
    Failure failure() const { return m_failure; }
    const Error& error() const override { return m_error; }
    qint64 totalBytes() const override { return m_totalBytes; }
    qint64 bytesDone() const override;
    QStringList restoredPaths() const { return m_restored; }
    const QStringList& problems() const { return m_problems; }
    // What killed restores into the same folders had left, removed at the start.
    const temporaries::SweepResult& swept() const { return m_swept; }

private:
    void next();
    void finish(Failure failure, const Error& error);

    Vault* m_vault;
    Request m_request;
    QList<FileRecord> m_files;
    int m_index = -1;
    qint64 m_totalBytes = 0;
    qint64 m_bytesBefore = 0;
    std::unique_ptr<FileAssembler> m_current;
    QSet<QString> m_folders; // where the files go
    temporaries::SweepResult m_swept;
    QList<qint64> m_scratchAreas; // registry rows naming m_folders while this runs
    QStringList m_restored;
    QStringList m_problems;
    Failure m_failure = Failure::None;
    Error m_error;
    bool m_finished = false;
};

} // namespace mf
