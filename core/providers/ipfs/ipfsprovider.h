#pragma once

#include "providers/network/networkprovider.h"

#include <QUrl>

namespace mf {

class ProviderFactory;
class IpfsProvider;
template <class Adapter> class StepsJob;
using IpfsJob = StepsJob<IpfsProvider>;

// Chunk objects on an IPFS node through its HTTP RPC API (Kubo; js-ipfs serves the same API
// with a few differences handled here). Every call is a POST (a GET gets 405).
//
// A chunk that fits in one block (maxBlockPutBytes) is stored with block/put as a raw block
// hashed with sha2-256, so its locator is the chunk's own CID; the CID the node returns is
// checked against ours. Larger chunks (ModelFloat's default chunks are 5-32 MiB, above every
// node's block limit) are imported with `add` as a UnixFS file of raw 1 MiB leaves: the locator
// is the DAG's root CID, reads use `cat` with offset/length, and the chunk's identity is still
// its raw CID, checked by whoever reassembles the file. Everything stored is pinned; remove
// unpins (the node's garbage collector frees the space later).
class IpfsProvider final : public NetworkProvider
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpfsProvider)

public:
    struct Options
    {
        QString apiUrl;     // "http://127.0.0.1:5001" (with or without /api/v0)
        QString gatewayUrl; // optional read-only gateway for get: "http://127.0.0.1:8080"
        int concurrency = 8;
        // js-ipfs refuses block/put bodies above 1 MiB including the multipart envelope; Kubo
        // before 0.40 refuses blocks above 1 MiB. Blocks up to this size go through block/put.
        qint64 maxBlockPutBytes = 1024 * 1024 - 4096;
        // Leaf size of `add` for larger chunks (1 MiB is within every node's block limit).
        qint64 leafBytes = 1024 * 1024;
        // How long a node may look for an object before it counts as missing (an offline
        // js-ipfs node otherwise waits for ever), and how long one read may take at most.
        int lookupTimeoutMs = 10000;
        int readTimeoutMs = 600000;
    };

    static std::unique_ptr<IpfsProvider> create(const QString& displayName,
                                                const ProviderContext& context,
                                                const QString& secretsKey, Options options,
                                                QString* error);
    ~IpfsProvider() override;

    QString kind() const override { return QStringLiteral("ipfs"); }
    static bool normalize(Options* options, QString* error);

    ProviderJob* findStored(const QString& cid, qint64 size) override;
    ProviderJob* save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size) override;
    ProviderJob* get(const QString& locator, ByteSink* sink, qint64 offset = 0,
                     qint64 length = -1) override;
    ProviderJob* stat(const QString& locator) override;
    ProviderJob* remove(const QString& locator) override;
    ProviderJob* list() override;
    ProviderJob* usage() override;
    // The node lists every pin, ModelFloat's or not.
    bool listsOnlyOwnObjects() const override { return false; }
    QString locatorFor(const QString& cid, qint64 size) const override;
    bool keepsCatalog() const override { return true; }

    // Catalog objects live in the node's MFS under /modelfloat/catalog/ (ipfscatalog.cpp).
    ProviderJob* writeCatalogObject(const QString& name, const QByteArray& bytes) override;
    ProviderJob* readCatalogObject(const QString& name) override;
    ProviderJob* listCatalogObjects(const QString& folder) override;
    ProviderJob* removeCatalogObject(const QString& name) override;
    static QString catalogPath(const QString& name);
    // Removes the catalog temporaries (MFS /modelfloat/catalog/.tmp) of processes of this host
    // that are gone; chunk writes leave none (block/put and add are whole or nothing).
    ProviderJob* sweepTemporaries() override;

    // A model's file and directory nodes go in with block/put, its root is pinned recursively
    // (ipfsdags.cpp); remove() of the root unpins it.
    bool storesDags() const override { return true; }
    ProviderJob* putDag(const QString& root, const QList<DagBlock>& blocks) override;
    // One block as the node stores it (data()), whatever its codec, asking the node's peers when
    // it does not hold it: for reading a DAG someone shared. The caller checks it against its
    // CID. Blocks above MaxBlockBytes are refused (no IPFS implementation makes them).
    ProviderJob* getBlock(const QString& cid);
    static constexpr qint64 MaxBlockBytes = 4 << 20;

private:
    IpfsProvider(const QString& displayName, const ProviderContext& context,
                 const QString& secretsKey, const Options& options);

    // POST <api>/<command>?<query>, with the node's authorization if one is configured.
    HttpExchange::Request rpc(const QString& command, const QList<QPair<QString, QString>>& query,
                              const QString& what) const;
    HttpExchange::Request gatewayGet(const QString& cid, const QString& what) const;
    QString timeoutArg(int ms) const;
    // Makes `r` send `size` bytes of `source` from `start` (or `bytes`) as the one file of a
    // multipart/form-data body, as the RPC API's commands that take data (add, block/put,
    // files/write) want it; every attempt reads them again.
    static void setFormBody(HttpExchange::Request* r, const QByteArray& filename,
                            std::shared_ptr<QIODevice> source, qint64 start, qint64 size);
    static void setFormBody(HttpExchange::Request* r, const QByteArray& filename,
                            const QByteArray& bytes);
    // putDag()'s steps: block `i` of `blocks`, and after the last the pin of `root`.
    struct DagUpload
    {
        QString root;
        QList<DagBlock> blocks;
        QString subject;
    };
    void putDagBlock(IpfsJob* j, const std::shared_ptr<const DagUpload>& upload, qsizetype i);

    QUrl m_api; // ends with "/api/v0/"
    QUrl m_gateway;
    Options m_options;
};

void registerIpfsKind(ProviderFactory& factory);

} // namespace mf
