#pragma once

#include "provider.h"
#include "util/bandwidthlimiter.h"

#include <QThreadPool>

#include <atomic>
#include <memory>

namespace mf {

// The embedded default provider: chunk objects as files in a folder, sharded like IPFS's flatfs
// by the next-to-last two characters of the CID (1024 folders). Every object is written under
// a temporary name in <root>/.tmp/ that names its process, and renamed into place when whole, so
// a crash never leaves a torn object under a real name, and the temporaries of a process that
// died are known and swept (sweepTemporaries()). File I/O runs on the provider's own thread
// pool, never on the caller's thread.
class LocalProvider final : public Provider
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalProvider)

public:
    struct Options
    {
        qint64 quotaBytes = -1; // -1: limited only by the disk
        // Whether every object (its bytes, then the folder entry that names it) is flushed
        // before its put reports it stored, so that what the registry records survives a power
        // cut. Read at each put; null: always. False is the vault's fast mode, which leaves
        // that to the kernel's write-back.
        std::shared_ptr<const std::atomic_bool> flush;
        int maxThreads = 4;
        // The vault's limits: writes count as uploads, reads as downloads. Null: none.
        std::shared_ptr<BandwidthLimiter> bandwidth = nullptr;
    };

    LocalProvider(const QString& displayName, const QString& rootPath, const Options& options,
                  QObject* parent = nullptr);
    ~LocalProvider() override;

    QString kind() const override { return QStringLiteral("local"); }
    QString rootPath() const { return m_root; }
    // Where the object of `cid` lives under `root`.
    static QString objectPath(const QString& root, const QString& cid);

    // The object of `cid` and its size; one of the chunk's size is flushed first (fast mode).
    ProviderJob* findStored(const QString& cid, qint64 size) override;
    ProviderJob* save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size) override;
    ProviderJob* get(const QString& locator, ByteSink* sink, qint64 offset = 0,
                     qint64 length = -1) override;
    ProviderJob* stat(const QString& locator) override;
    ProviderJob* remove(const QString& locator) override;
    ProviderJob* list() override;
    ProviderJob* usage() override;
    ProviderJob* sweepTemporaries() override;
    QString locatorFor(const QString& cid, qint64 size) const override;
    bool keepsCatalog() const override { return true; }

    // Catalog objects are files under <root>/catalog/, written to .tmp and renamed into place.
    ProviderJob* writeCatalogObject(const QString& name, const QByteArray& bytes) override;
    ProviderJob* readCatalogObject(const QString& name) override;
    ProviderJob* listCatalogObjects(const QString& folder) override;
    ProviderJob* removeCatalogObject(const QString& name) override;

private:
    struct Shared;
    std::shared_ptr<Shared> m_shared; // state the worker tasks may outlive us with
    QString m_root;
    Options m_options;
    QThreadPool m_pool;
};

} // namespace mf
