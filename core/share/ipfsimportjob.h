#pragma once

#include "shareddagfetch.h"
#include "transfer/floatjob.h"
#include "transfer/transferjob.h"

#include <QPointer>

#include <memory>

namespace mf {

class IpfsProvider;
class SharedDagFetch;
class Vault;

// Floats a model someone shared by its CID (docs/cids.md, "Importing by CID"): the directory or
// file the CID names is read from an IPFS node block by block, each block checked against its
// CID (SharedDagFetch), into a folder in the vault's temporary area; then it is floated like
// any folder, and the folder removed. With the chunking the sharer used (ModelFloat's default,
// or what `--chunker` says) the model gets the same CID here; sameCid() tells. A block that does
// not match its CID, or any failure while reading, leaves no model and no temporary folder (a
// failure while floating leaves what a failed float leaves: running the import again resumes
// it); one killed midway leaves a folder named for its process, which the next import removes.
// What the DAG may declare and deliver is bounded (SharedDagLimits, docs/cids.md "Limits").
class IpfsImportJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpfsImportJob)

public:
    struct Request
    {
        QString cid;
        QString apiUrl; // the node's RPC API, "http://127.0.0.1:5001"
        QString modelName;
        FileDistributor::Options options;
        // How far the DAG may expand; maxBytes 0: the vault's import-limit setting.
        SharedDagLimits limits{0};
    };

    IpfsImportJob(Vault* vault, Request request, QObject* parent = nullptr);
    ~IpfsImportJob() override;

    TransferProgress progressNow() const override;

    // The model's name in the vault (the request's, or one made from the CID).
    QString modelName() const { return m_request.modelName; }
    // What the float did, once it ran (null before).
    const FloatJob* floatJob() const { return m_float; }
    // The CID the vault now records for the model (the file's, for a file root).
    QString vaultCid() const { return m_vaultCid; }
    bool sameCid() const { return !m_vaultCid.isEmpty() && m_vaultCid == m_requestedCid; }
    // The shared DAG's size as read, and how many blocks.
    qint64 bytesRead() const;
    int blocksRead() const;
    // "ipfs-" and the CID's last 8 characters: a model name when none is given.
    static QString defaultModelName(const QString& cid);
    // The vault's import-limit setting (bytes an import by CID may declare and write), or
    // SharedDagLimits::DefaultMaxBytes; setImportLimit(0) goes back to the default.
    static constexpr const char* ImportLimitSetting = "import_limit";
    static quint64 importLimit(Vault* vault);
    static bool setImportLimit(Vault* vault, quint64 bytes);

private:
    void sweepAbandonedFolders();
    void onFetched();
    void onFloated();
    void doStart() override;
    void doAbort() override;
    void ending(Error& error) override;

    Vault* m_vault;
    Request m_request;
    QString m_requestedCid; // base32
    QString m_folder;
    std::unique_ptr<IpfsProvider> m_node;
    SharedDagFetch* m_fetch = nullptr;
    FloatJob* m_float = nullptr;
    QString m_vaultCid;
};

} // namespace mf
