#pragma once

#include "bytesink.h"
#include "providerjob.h"

#include <QIODevice>
#include <QObject>

#include <memory>

namespace mf {

// One block of a DAG given to Provider::putDag: its CID (text form) and its bytes.
struct DagBlock
{
    QString cid;
    QByteArray bytes;
};

// A place that stores chunk objects: a local folder, an IPFS node, an S3 bucket, a WebDAV
// share, a cloud drive. Every operation is asynchronous and returns a ProviderJob that the
// caller starts; adapters never block the thread they run on. Credentials come from the
// credential store, never from settings, and never appear in messages.
//
// Who owns an adapter (docs/providers.md, "Who owns an adapter"): everyone who uses it. The
// vault's adapters are shared (share(), Vault::provider()): the vault holds one reference, and
// every job, reader or stream that calls the adapter holds another for as long as it does; each
// job an adapter makes holds one too (ProviderJob). Editing or removing the provider only drops
// the vault's reference, so the adapter goes when its last user lets go.
class Provider : public QObject, public std::enable_shared_from_this<Provider>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Provider)

public:
    ~Provider() override;

    // Puts a new adapter under shared ownership. The last holder to let go deletes it from the
    // event loop of the adapter's thread (deleteLater()), never from inside a call or a signal
    // of the adapter itself, which may be on the stack when a job's end drops a lease.
    static std::shared_ptr<Provider> share(std::unique_ptr<Provider> adapter);
    // Drops `adapter`, deleting it at once when no one else holds it: for an owner that ends
    // where no event loop may run again (a vault closing). Others' leases are left as they are.
    static void releaseNow(std::shared_ptr<Provider>& adapter);
    // Another reference to this adapter when it is shared; null when one owner holds it alone
    // (a test's std::unique_ptr), who then keeps it alive longer than the jobs it made.
    std::shared_ptr<Provider> lease() { return weak_from_this().lock(); }

    // "local", "ipfs", "s3", "webdav", "gdrive", "mega".
    virtual QString kind() const = 0;
    // The name people gave it ("laptop disk"), for messages.
    QString displayName() const { return m_displayName; }

    // Stores the `size` bytes read from `source` (opened, positioned at the chunk's first byte)
    // as the object for chunk `cid`; the job owns the source. The result is the locator: the
    // provider's own name for the object. Storing an object that already exists succeeds and
    // sends nothing (alreadyStored()). The same for every kind (PutJob): findStored(), a torn
    // object of another size removed, then save().
    ProviderJob* put(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size);
    // The protocol steps put() is made of (callers use put()):
    // The object the provider holds for chunk `cid`, as locator() and objectSize(); NotFound
    // when there is none. By default stat(locatorFor(cid, size)) where the adapter names its
    // objects itself, and NotFound where it does not. A kind with a native answer of its own
    // overrides it (a Drive query by CID, MEGA's node map, IPFS's pins); one that can tell only
    // an object of the right size reports only such one.
    virtual ProviderJob* findStored(const QString& cid, qint64 size);
    // Writes the chunk's bytes as its object, whatever is there (put() has looked).
    virtual ProviderJob* save(const QString& cid, std::unique_ptr<QIODevice> source,
                              qint64 size) = 0;
    // Writes bytes [offset, offset + length) of the object to `sink` (length -1: to the end).
    // The sink must outlive the job.
    virtual ProviderJob* get(const QString& locator, ByteSink* sink, qint64 offset = 0,
                             qint64 length = -1) = 0;
    // Size of the object (objectSize()), or Error::Kind::NotFound.
    virtual ProviderJob* stat(const QString& locator) = 0;
    // Removes the object; removing a missing object succeeds.
    virtual ProviderJob* remove(const QString& locator) = 0;
    // Every object this provider stores for the vault (StoredObject::cid set where the object's
    // name says which chunk it holds).
    virtual ProviderJob* list() = 0;
    virtual ProviderJob* usage() = 0;
    // Removes what interrupted puts of processes that are gone left on the provider (temporary
    // files, partial uploads; named as util/temporaries.h says); objects() lists what went.
    // Never touches a temporary of a process that may still run. Kinds whose puts leave
    // nothing behind finish at once with nothing.
    virtual ProviderJob* sweepTemporaries();
    // Whether every object list() returns is ModelFloat's, so that one no catalog refers to may
    // be deleted (false for an IPFS node, which lists every pin on the node).
    virtual bool listsOnlyOwnObjects() const { return true; }
    // The locator put() would return for a chunk of `size` bytes when the adapter knows it
    // without asking the provider; empty when it does not (list() then tells).
    virtual QString locatorFor(const QString& cid, qint64 size) const;

    // --- Catalog objects (docs/catalog.md, docs/providers.md) ---
    // Small named objects beside the chunks: manifests, vault states, leases. Names are
    // '/'-separated relative paths (isValidCatalogName) under the store's catalog root. A reader
    // never finds a half-written object under its name: the adapter writes under a temporary
    // name and renames, or uses a write that is atomic on its provider. Writing a name that
    // exists replaces the object. Every adapter implements these four; the defaults only fail
    // (with a message saying the kind keeps no catalog yet), so that a kind added before it
    // implements them builds and works for chunks.
    // Whether this kind implements them (the catalog's jobs leave the others out, and say so
    // once rather than failing on each).
    virtual bool keepsCatalog() const { return false; }
    virtual ProviderJob* writeCatalogObject(const QString& name, const QByteArray& bytes);
    // The whole object (data()); Error::Kind::NotFound when there is none.
    virtual ProviderJob* readCatalogObject(const QString& name);
    // The objects directly in `folder` ("states", "locks", "manifests"); none, and success, when
    // the folder does not exist. serverTime() is set when the provider tells its clock.
    virtual ProviderJob* listCatalogObjects(const QString& folder);
    // Removing a missing object succeeds.
    virtual ProviderJob* removeCatalogObject(const QString& name);
    // --- DAG roots (docs/cids.md, "On an IPFS node") ---
    // Whether the provider is a content-addressed store that can also keep a model's own DAG
    // (an IPFS node): then putDag() stores `blocks` (the file and directory nodes above the
    // chunks' DAGs) and pins `root` with everything under it, which must all be stored there
    // already, and remove(root) unpins it again. Kinds that cannot fail putDag().
    virtual bool storesDags() const { return false; }
    virtual ProviderJob* putDag(const QString& root, const QList<DagBlock>& blocks);

    // How many puts a float keeps going to this provider at once: enough to keep it busy, and
    // no more, so that the chunks a slow provider would only hold in its queue go to the others.
    virtual int putsAtOnce() const { return 4; }

    // Other ModelFloat stores the same account holds (an S3 bucket's other key prefixes with a
    // catalog), as settings that point this provider at each (stores()). By default: none.
    virtual ProviderJob* findStores();

    static bool isValidCatalogName(const QString& name);
    // The folder a catalog name is in ("states" of "states/<id>.000000000042"; empty for none).
    static QString catalogFolderOf(const QString& name);
    // Catalog objects are read whole into memory; none is larger than this, and no manifest
    // larger than MaxManifestBytes (docs/catalog.md, "Limits"): a bigger one is refused before
    // it is read where the provider tells its size, and its read stops past the limit anyway.
    static constexpr qint64 MaxCatalogObjectBytes = 64LL << 20;
    static constexpr qint64 MaxManifestBytes = 32LL << 20;
    // The limit for the catalog object `name` ("manifests/…", "states/…").
    static qint64 catalogObjectLimit(const QString& name);
    // The Corrupt error for the catalog object `name` that a provider says is `size` bytes,
    // past its limit; `what` says what was being done ("Reading catalog object X on “p”").
    static Error catalogObjectTooLarge(const QString& what, const QString& name, qint64 size);

    // The error for a locator that is not one of the provider's object names (a NotFound that
    // names both), the same from every adapter.
    static Error notAnObjectName(const QString& locator, const QString& providerName);

protected:
    explicit Provider(const QString& displayName, QObject* parent = nullptr);

private:
    ProviderJob* noCatalog();

    QString m_displayName;
};

} // namespace mf
