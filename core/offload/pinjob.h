#pragma once

#include "registry/registry.h"
#include "transfer/transferjob.h"

#include <QStringList>

namespace mf {

class ChunkLoad;
class Vault;

// Keeps a model on this computer ("Keep on this computer"): records it pinned (so an offload
// of another model sharing its chunks keeps them, vault/thiscomputer.h), then brings back each
// of its chunks missing from the vault's embedded provider: read through the one read path
// (ChunkLoad: the chunk cache, else the fastest replica, checked against its CID) and put there
// as any copy is put (announced first, PlacementRows::beginPlacement, recorded when stored).
// Interrupted, it is simply run again: what it placed is recorded, the rest is still missing.
class PinJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PinJob)

public:
    PinJob(Vault* vault, const QString& modelName, QObject* parent = nullptr);
    ~PinJob() override;

    int chunksFetched() const { return m_fetched; }
    qint64 bytesFetched() const { return m_bytesDone; }
    TransferProgress progressNow() const override;

private:
    struct Missing
    {
        FileChunk chunk;
        QList<Placement> placements;
    };
    void next();
    void onLoaded();
    void onPut(class ProviderJob* job);
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    QString m_modelName;
    qint64 m_localId = 0;
    QList<Missing> m_missing;
    int m_next = 0;
    ChunkLoad* m_load = nullptr;
    ProviderJob* m_put = nullptr;
    int m_fetched = 0;
    qint64 m_totalBytes = 0;
    qint64 m_bytesDone = 0;
};

} // namespace mf
