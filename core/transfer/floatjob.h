#pragma once

#include "filedistributor.h"
#include "transferjob.h"

#include <QHash>
#include <QObject>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <memory>
#include <optional>

namespace mf {

class TemporarySweep;
class Vault;

// Floats files and folders into one model of the vault, one file after another (each file's
// chunks in parallel). Running the same float again after an interruption resumes it: files
// already complete are skipped and chunks already stored are not sent again.
class FloatJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FloatJob)

public:
    struct Request
    {
        QStringList paths; // files and folders
        QString modelName; // empty: from the first path
        QString source;    // e.g. "local:/home/me/models/x", or "hf:org/name@commit"
        FileDistributor::Options options;
        // Also make the copies that the chunks of complete files lack (the model may be
        // complete): what the queue runs when a paused provider takes uploads again.
        bool topUp = false;
        // For each path that is a file, its path in the model (empty, or none: its name). A
        // file another app keeps under a name of its own (Ollama's blobs/sha256-<hex>).
        QStringList names;
        // By path in the model: the SHA-256 (hex) a file's bytes must have, as the app that kept
        // it named them (FileDistributor::Options::expectedSha256). A file whose bytes hash
        // otherwise fails the float, and is never kept as complete.
        QHash<QString, QByteArray> expectedSha256;
    };

    struct SourceFile
    {
        QString sourcePath;
        QString pathInModel;
        qint64 size = 0;
    };

    // BadName: the model name breaks the rules of modelname::problem() (given, or made from
    // the first path's name).
    enum class Failure { None, BadInput, BadName, ModelExists, Transfer, Cancelled };

    FloatJob(Vault* vault, Request request, QObject* parent = nullptr);
    ~FloatJob() override;

    // The files the paths name, each with its path inside the model. Fails with a specific
    // message for a missing or unreadable path, a folder with no files, or two files that would
    // have the same path in the model.
    static std::optional<QList<SourceFile>> collectFiles(const QStringList& paths, QString* error,
                                                         const QStringList& names = {});
    static QString defaultModelName(const QStringList& paths);

    Failure failure() const { return m_failure; }
    QString modelName() const { return m_request.modelName; }
    bool resumed() const { return m_resumed; }
    // The model already held exactly these files: nothing was done.
    bool alreadyFloated() const { return m_alreadyFloated; }
    QString currentFile() const;
    // Bytes of the files and placed; chunks placed (sent, or found already stored), with no
    // total (chunked as read); puts retried; the stage in words ("Reading, hashing and sending
    // “x.gguf”"); what a provider's retried put waits on.
    TransferProgress progressNow() const override;
    // Up to this many files, progressNow() lists each one's progress; a float of more (a
    // folder of thousands) says only which file is at work.
    static constexpr int MaxListedFiles = 256;
    // Sums over the files floated so far.
    const FileDistributor::Stats& totals() const { return m_totals; }
    int filesSkipped() const { return m_filesSkipped; }
    // When a provider this float wanted takes uploads again, if chunks wait for it (they have
    // fewer copies than wanted, or none); -1 when nothing waits. Running the float again then
    // with Request::topUp makes the missing copies.
    qint64 budgetResetMs() const { return m_budgetResetMs; }

private:
    void checkAlreadyFloated(qint64 modelId);
    // Some chunk of the file has fewer stored copies than the float wants (on the providers it
    // may use).
    bool hasShortChunks(qint64 fileId);
    bool anyShortChunks(qint64 modelId);
    // Bytes of the file's recorded chunks that have a stored copy: what an earlier, interrupted
    // float of it already did.
    qint64 storedBytesOfFile(qint64 fileId);
    void next();
    void onFileFinished();
    // Whether `file` (complete) has the bytes the request expects of it; if not, the job fails.
    bool hasExpectedBytes(const FileRecord& file);
    void doStart() override;
    void doAbort() override;
    // finish(), recording why (the first end counts, as for the error).
    void finish(Failure failure, const Error& error);
    void ending(Error& error) override;

    Vault* m_vault;
    Request m_request;
    QList<SourceFile> m_files;
    int m_index = -1;
    qint64 m_modelId = 0;
    qint64 m_totalBytes = 0;
    qint64 m_bytesBefore = 0; // of files finished before the current one
    // Of the current file, done for sure: what an earlier run stored, or what this run placed
    // before it stopped. Progress never goes below it when a resume re-reads the file.
    qint64 m_currentFloor = 0;
    bool m_resumed = false;
    bool m_alreadyFloated = false;
    bool m_checkingExisting = false;
    std::shared_ptr<std::atomic_bool> m_hashCancelled = std::make_shared<std::atomic_bool>(false);
    std::unique_ptr<QThreadPool> m_hashPool; // hashes the files of an existing model
    int m_filesSkipped = 0;
    qint64 m_budgetResetMs = -1;
    std::unique_ptr<FileDistributor> m_current;
    FileDistributor::Stats m_totals;
    Failure m_failure = Failure::None;
    QTimer m_leaseTimer;
    TemporarySweep* m_sweep = nullptr; // child
    bool m_leased = false;             // this job holds the model's lease
    bool m_lostLease = false;          // and could not renew it
};

} // namespace mf
