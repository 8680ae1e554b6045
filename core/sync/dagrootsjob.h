#pragma once

#include "providercalls.h"
#include "transfer/transferjob.h"

namespace mf {

class Vault;

// Keeps the model roots pinned on IPFS nodes in step with the registry (docs/cids.md, "On an
// IPFS node"): a complete model whose every chunk a node holds gets its file and directory
// nodes put there and its root pinned, so that `ipfs get <model CID>` and `ipfs cat <file CID>`
// work on that node; a root this vault pinned whose model is gone, or no longer whole there, is
// unpinned. Pins made are recorded (ModelRows::dagPins), so a pin another program made is never
// removed, and the node keeps a chunk two models share while either is pinned. Safe to run
// again at any point (putting a block or pinning twice changes nothing, unpinning what is not
// pinned succeeds): a crash between a float and its pin is mended by the next run. The catalog's
// publish runs it (CatalogPublishJob), so every float, removal and periodic sync does. A node
// that fails is a warning; the next run tries again.
class DagRootsJob final : public TransferJob
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DagRootsJob)

public:
    explicit DagRootsJob(Vault* vault, QObject* parent = nullptr);
    ~DagRootsJob() override;

    int rootsPinned() const { return m_pinned; }
    int rootsUnpinned() const { return m_unpinned; }

private:
    struct Plan;
    void step(const std::shared_ptr<Plan>& plan);
    void providerDone();
    void doStart() override;
    void doAbort() override;

    Vault* m_vault;
    ProviderCalls m_calls;
    int m_left = 0;
    int m_pinned = 0;
    int m_unpinned = 0;
};

} // namespace mf
