#pragma once

#include "transfer/fileassembler.h"
#include "transfer/transferjob.h"
#include "util/temporaries.h"

#include <QObject>
#include <QRegularExpression>
#include <QSet>

#include <memory>

namespace mf {

class Vault;

// Puts a model back where a runtime can load it, each file restored and verified by a
// FileAssembler (nothing half-written appears):
// - Plain: <destination>/<path in model> for every file.
// Files are flushed before their rename and the folders after (unless the vault is in fast
// mode), and what a killed materialization left in these folders is swept by the next one.
// - HfCache: <destination> is a Hugging Face cache root (e.g. ~/.cache/huggingface/hub); the
//   model is written as models--org--name/{blobs/<etag>, snapshots/<commit>/<path> -> blob,
//   refs/main = <commit>}, so huggingface_hub, transformers or llama.cpp find it offline. It
//   needs a model imported from the Hub (source "hf:org/name@commit"). Blob names follow the
//   Hub's ETags: the SHA-256 for weight files and files over 10 MiB (stored in LFS on the Hub),
//   the git blob sha1 for the small others. Blobs already present with the right size are
//   reused, as huggingface_hub does.
class MaterializeJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MaterializeJob)

public:
    enum class Layout { Plain, HfCache };
    struct Request
    {
        QString modelName;
        QString destination;
        Layout layout = Layout::Plain;
        bool overwrite = false; // plain layout: replace existing files
        // HfCache, for a model not imported from the Hub: the repo ("org/name") to write it as,
        // at a commit named by its content. Empty: such a model is refused.
        QString localRepoId = {};
    };

    MaterializeJob(Vault* vault, Request request, QObject* parent = nullptr);
    ~MaterializeJob() override;

    TransferProgress progressNow() const override;
    // Where the model is: the plain folder, or snapshots/<commit> in the cache.
    QString modelPath() const { return m_modelPath; }
    // HfCache: models--org--name under the destination.
    QString repoFolder() const { return m_repoFolder; }
    int filesReused() const { return m_reused; }
    // What killed materializations into the same folders had left, removed at the start.
    const temporaries::SweepResult& swept() const { return m_swept; }
    // Names of what a killed materialization may leave in a folder it writes to (its
    // temporaries; see util/temporaries.h), and the names older versions left.
    static const QRegularExpression& leftoverNames();
    static const QRegularExpression& legacyLeftoverNames();

private:
    void next();
    void onFileDone();
    bool placeInCache(const FileRecord& file, const QString& assembled, QString* error);
    bool linkInSnapshot(const FileRecord& file, const QString& etag, QString* error);
    QString blobName(const FileRecord& file) const;
    void doStart() override;
    void doAbort() override;
    void ending(Error& error) override;

    Vault* m_vault;
    Request m_request;
    QList<FileRecord> m_files;
    QString m_repoId;
    QString m_commit;
    QString m_repoFolder;
    QString m_modelPath;
    int m_index = -1;
    qint64 m_totalBytes = 0;
    qint64 m_bytesBefore = 0;
    int m_reused = 0;
    std::unique_ptr<FileAssembler> m_current;
    QString m_currentTarget;
    QSet<QString> m_folders; // written to: synced at the end, swept at the start
    temporaries::SweepResult m_swept;
    QList<qint64> m_scratchAreas; // registry rows naming m_folders while this runs
};

} // namespace mf
