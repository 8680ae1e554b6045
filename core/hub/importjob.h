#pragma once

#include "hubfilesource.h"
#include "hubrepo.h"
#include "transfer/transferjob.h"

#include "transfer/filedistributor.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace mf {

class HubClient;
class TemporarySweep;
class HubInfoJob;
class Vault;

// Imports a model from the Hugging Face Hub into the vault: reads the repo at a revision
// (pinned to its commit), chooses files by variant or pattern, and floats each file straight
// from the download (StreamChunkSource into FileDistributor: chunked, hashed and placed on the
// vault's providers in one pass, nothing staged on disk). A file counts only once its SHA-256
// matches the Hub's LFS oid (git sha1 for regular files); the model is marked complete only
// when every chosen file is. The model's source is "hf:org/name@<commit>".
//
// Running the same import again resumes it: complete files are skipped, and a file cut short
// resumes at the end of the longest run of chunks from its start that are placed and have a
// saved hash state (see StreamChunkSource), downloading only the rest.
class ImportJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ImportJob)

public:
    struct Request
    {
        QString repoId;       // "org/name"
        QString revision;     // branch, tag or commit; empty: main
        QStringList variants; // e.g. "Q4_K_M"; see variants::select
        QStringList patterns; // globs on repo paths
        QString modelName;    // empty: the repo id
        FileDistributor::Options options;
    };

    ImportJob(Vault* vault, HubClient* client, Request request, QObject* parent = nullptr);
    ~ImportJob() override;

    const HubRepo& repo() const { return m_repo; }
    const QList<HubFile>& files() const { return m_files; }
    QString modelName() const { return m_request.modelName; }
    // Bytes: of the files, and placed (or found placed).
    TransferProgress progressNow() const override;
    qint64 bytesDownloaded() const;
    qint64 bytesResumed() const { return m_bytesResumed; } // not downloaded again
    QString currentFile() const;
    bool isStalled() const;
    int filesSkipped() const { return m_filesSkipped; }
    bool alreadyComplete() const { return m_alreadyComplete; }

private:
    void onInfo();
    void next();
    void startFile(bool fromScratch);
    void onFileFinished();
    StreamChunkSource::Resume resumePoint(qint64 fileId, const QString& checkpointPath);
    QString checkpointPath(const HubFile& file) const;
    void doStart() override;
    void doAbort() override;
    void ending(Error& error) override;

    Vault* m_vault;
    HubClient* m_client;
    Request m_request;
    HubRepo m_repo;
    QList<HubFile> m_files;
    QPointer<HubInfoJob> m_info;
    qint64 m_modelId = 0;
    int m_index = -1;
    qint64 m_totalBytes = 0;
    qint64 m_bytesBefore = 0;
    qint64 m_downloadedBefore = 0;
    qint64 m_bytesResumed = 0;
    int m_filesSkipped = 0;
    bool m_alreadyComplete = false;
    bool m_retriedFromScratch = false;
    std::unique_ptr<FileDistributor> m_current;
    HubFileSource* m_source = nullptr; // owned by m_current
    QTimer m_leaseTimer;
    TemporarySweep* m_sweep = nullptr; // child
    bool m_leased = false;             // this job holds the model's lease
};

} // namespace mf
