#pragma once

#include "filedistributor.h"
#include "streamchunksource.h"
#include "transferjob.h"

#include <QTimer>

#include <memory>

namespace mf {

class Registry;
class Vault;

// Floats files whose bytes arrive as one stream, one file after another (the local API's
// upload: a request body), as a new model of those files (a folder's, by their relative paths).
// The bytes go through a StreamChunkSource straight to the providers: never held whole in
// memory, never staged on disk. Once started (and the model claimed), source() takes the bytes
// of file fileIndex(); its feedPaused() says when to stop reading them. Ending its feed ends
// that file; readyForBytes() comes again for each next file.
//
// The model is complete only when every byte came and every chunk is placed. A stream that
// ends early fails the job and leaves the model incomplete, never complete: whoever ran it
// removes it (the API runs the same collection as `rm`, so nothing of it stays).
class UploadJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UploadJob)

public:
    struct File
    {
        QString path; // in the model
        qint64 size = 0;
    };
    struct Request
    {
        QString modelName;
        QList<File> files; // in the order their bytes come
        FileDistributor::Options options;
    };
    // ModelExists: the name is taken (or being floated); nothing was written.
    enum class Failure { None, BadName, ModelExists, Transfer, Cancelled }; // BadName: or path

    // Why the vault refuses `request` as it stands now, before a byte is written: a name or
    // path it does not take (BadName), or a name another model has or another writer is writing
    // (ModelExists); Failure::None when it would take it. The API asks before it lists an upload
    // as a transfer, so that an upload refused leaves no transfer behind; the job asks again
    // when it starts, and its claim of the model decides.
    struct Refusal
    {
        Failure failure = Failure::None;
        QString why;
    };
    static Refusal refusal(Registry& registry, const Request& request);

    UploadJob(Vault* vault, Request request, QObject* parent = nullptr);
    ~UploadJob() override;

    Failure failure() const { return m_failure; }
    TransferProgress progressNow() const override;

    // Where the bytes go, from readyForBytes() until the job finishes; null otherwise.
    StreamChunkSource* source() const { return isFinished() ? nullptr : m_source; }
    qint64 modelId() const { return m_modelId; }
    // This job made the model (or resumed one an earlier upload of this file left): a failed
    // upload's model is its own to remove.
    bool ownsModel() const { return m_ownsModel; }
    // The file source() takes the bytes of (an index into the request's files).
    int fileIndex() const { return m_index; }
    QList<QByteArray> sha256s() const { return m_sha256s; } // of each file, once it succeeded
    const FileDistributor::Stats* stats() const
    {
        return m_current ? &m_current->stats() : nullptr;
    }

Q_SIGNALS:
    void readyForBytes();

private:
    void startFile();
    void onFileFinished();
    void doStart() override;
    void doAbort() override;
    // finish(), recording why (the first end counts, as for the error).
    void finish(Failure failure, const Error& error);
    void ending(Error& error) override;

    Vault* m_vault;
    Request m_request;
    qint64 m_modelId = 0;
    bool m_ownsModel = false;
    bool m_leased = false;
    std::unique_ptr<FileDistributor> m_current;
    StreamChunkSource* m_source = nullptr; // owned by m_current
    QTimer m_leaseTimer;
    int m_index = 0;
    qint64 m_placedBefore = 0; // bytes of the files before m_index
    qint64 m_totalBytes = 0;
    FileDistributor::Stats m_stats; // of the last finished distributor
    QList<QByteArray> m_sha256s;
    Failure m_failure = Failure::None;
};

} // namespace mf
