#pragma once

#include "chunking/chunkerparams.h"
#include "chunking/redundancyscheme.h"
#include "credentials/catalogkey.h"
#include "providers/provider.h"
#include "providers/providerfactory.h"
#include "registry/registry.h"
#include "util/bandwidthlimiter.h"

#include <QHash>
#include <QObject>

#include <atomic>

#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace mf {

class ChunkCache;
class CredentialStore;
class ProviderSpeeds;

// A vault: a folder holding the registry (registry.sqlite), a temporary area, and — for a new
// vault — the embedded local-folder provider, so a first run needs no account and no server.
// The Vault lives on the engine's thread and owns that thread's Registry connection and the
// provider adapters.
class Vault final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Vault)

public:
    ~Vault() override;

    // The vault folder to use: $MODELFLOAT_VAULT if set, else <data dir>/modelfloat/vault.
    static QString defaultDirectory();

    // Whether open() may make a new vault. Creating is always the caller's explicit choice (an
    // `init`, the default location, the app's own "create here"), never a side effect of a
    // mistyped path.
    enum class OpenMode {
        Existing,        // the folder must hold a vault already
        CreateIfMissing, // make a new vault (with one local provider) if there is none
    };
    // Why open() failed.
    enum class OpenFailure {
        None,
        NoVault,  // Existing: the folder has no registry.sqlite (or does not exist)
        Unusable, // registry.sqlite is there but cannot be used: empty, not SQLite, not a
                  // ModelFloat registry, unreadable, or from a newer ModelFloat; or (creating) the
                  // folder still holds the objects of a vault whose registry is gone. Untouched.
        Other,    // anything else (a folder that cannot be made, no credential store, ...)
    };
    // Opens the vault in `directory`. A registry.sqlite that exists is never treated as new: if
    // it cannot be used as a registry, open() fails with Unusable and changes nothing. A new
    // vault's registry is built under a temporary name and appears whole, so a vault is either
    // there or not, even when its creation is killed.
    static std::unique_ptr<Vault> open(const QString& directory, OpenMode mode, QString* error,
                                       OpenFailure* failure = nullptr);
    static QString registryFileName() { return QStringLiteral("registry.sqlite"); }

    QString directory() const { return m_directory; }
    // Stable UUID of this vault (keychain entry names, key prefixes on shared stores).
    QString id() const { return m_id; }
    QString tempDirectory() const;
    Registry& registry() { return *m_registry; }
    ProviderFactory& providerFactory() { return m_factory; }

    int replicationFactor();
    // The scheme "copies `replicas`" (setRedundancy()).
    bool setReplicationFactor(int replicas);
    // The vault's redundancy scheme (docs/erasure.md). "copies N" is the replication setting
    // above; "shards K+M" is kept in the setting RedundancySetting. A model keeps the scheme it
    // was first floated with, so under shards the replication setting is what the models
    // floated as copies still want.
    static constexpr const char* RedundancySetting = "redundancy";
    RedundancyScheme redundancy();
    // The same, read from a vault's registry (a read-only connection, as the app's Settings).
    static RedundancyScheme redundancyIn(Registry& registry);
    // Providers that take new copies: what a scheme is measured against (RedundancyScheme).
    int providersTakingCopies();
    static int providersTakingCopiesIn(Registry& registry);
    // Copies set the replication factor too; both settings change in one transaction.
    bool setRedundancy(const RedundancyScheme& scheme);
    ChunkerParams defaultChunker();
    bool setDefaultChunker(const ChunkerParams& params);

    // Durability. By default every object a local-folder provider stores and every file a
    // restore or materialize writes is flushed to the device — its bytes, then the folder entry
    // that names it — before the registry records it stored or the job reports done. The fast
    // mode (vault setting "durability" = "fast", or --no-sync for one command) leaves that to
    // the kernel's write-back: quicker with many small files, but a power cut or a kernel crash
    // soon after can lose objects the registry lists as stored, or a restored file.
    static constexpr const char* DurabilitySetting = "durability";
    bool flushWrites() const { return m_flushWrites->load(); }
    // The vault's setting (every process that opens the vault later follows it).
    bool setFlushWrites(bool flush);
    // This process only (--no-sync, --sync); the setting stays as it is.
    void overrideFlushWrites(bool flush) { m_flushWrites->store(flush); }

    // A lease on the adapter of an enabled provider, made on first use; null (and *error) if it
    // cannot be made. Hold it for as long as you call the adapter (a member of the job, reader
    // or stream; a local for a synchronous use): the adapter lives until its last lease goes.
    std::shared_ptr<Provider> provider(qint64 id, QString* error = nullptr);
    // Forgets the vault's own lease on an adapter (after the provider's settings changed or it
    // was removed): the next provider(id) makes a new one, while whatever still runs on the old
    // one (a transfer, a stream of the local API, a "Test connection") keeps it until it ends.
    void dropProvider(qint64 id);
    QString providerName(qint64 id);

    // The upload and download limits every transfer of this vault obeys (all providers, the
    // Hub): set them here, at any time.
    const std::shared_ptr<BandwidthLimiter>& bandwidth() const { return m_bandwidth; }

    // How fast each provider delivers right now, measured by this process's fetches: restores
    // read each chunk from the replica that will deliver it soonest (transfer/chunkfetcher.h).
    ProviderSpeeds& speeds() { return *m_speeds; }
    // The same for sending, measured by this process's puts (a link is often faster one way):
    // a float gives each chunk to the provider that will have it stored soonest
    // (transfer/filedistributor.h).
    ProviderSpeeds& uploadSpeeds() { return *m_uploadSpeeds; }
    // Tests measure speeds of their own (on a clock they move by hand).
    void setUploadSpeeds(std::unique_ptr<ProviderSpeeds> speeds);

    // The chunks this computer read lately (vault/chunkcache.h), in <vault>/chunk-cache, within
    // the cache budget; made on first use, so a vault never read from has none. Thread-safe,
    // unlike the rest of the vault.
    ChunkCache& chunkCache();
    // The budget on this computer's disk that the chunk cache and the materialized cache share:
    // the setting CacheBudgetSetting (a size, "200G" or bytes), else what an older version's
    // `config read-cache` set (OldReadCacheSetting, then the chunk cache's alone), else 100 GiB.
    qint64 cacheBudgetBytes();
    // Sets it, and the chunk cache keeps within it at once; false when it cannot be saved.
    bool setCacheBudgetBytes(qint64 bytes);
    static constexpr const char* CacheBudgetSetting = "cache.max_bytes";
    static constexpr const char* OldReadCacheSetting = "read.cache_max_bytes";
    static constexpr qint64 DefaultCacheBudget = qint64(100) << 30;

    // Where provider secrets are read and written; null until one is set.
    CredentialStore* credentials() const { return m_credentials.get(); }
    // Replaces the store; adapters made before keep the old one for as long as they live.
    void setCredentialStore(std::unique_ptr<CredentialStore> store);
    ProviderContext providerContext() const;

    // The key that signs and checks this vault's catalog objects, once a catalog job loaded
    // it from the credential store (sync/catalogkeyloader.h); null before.
    const CatalogKey* catalogKey() const { return m_catalogKey ? &*m_catalogKey : nullptr; }
    void setCatalogKey(const CatalogKey& key) { m_catalogKey = key; }

private:
    explicit Vault(const QString& directory);

    QString m_directory;
    QString m_id;
    // Shared with the adapters made while it was the vault's store (ProviderContext).
    std::shared_ptr<CredentialStore> m_credentials;
    // Stores replaced by setCredentialStore(): kept to the vault's end, as other jobs than the
    // adapters' (the API token, the catalog key) may still run on them.
    std::vector<std::shared_ptr<CredentialStore>> m_retiredCredentials;
    std::optional<CatalogKey> m_catalogKey;
    // Shared with the adapters, which may outlive the vault by the jobs still holding them.
    std::shared_ptr<BandwidthLimiter> m_bandwidth = std::make_shared<BandwidthLimiter>();
    std::unique_ptr<Registry> m_registry;
    ProviderFactory m_factory;
    std::map<qint64, std::shared_ptr<Provider>> m_providers; // the vault's own leases
    std::unique_ptr<ProviderSpeeds> m_speeds;
    std::unique_ptr<ProviderSpeeds> m_uploadSpeeds;
    std::unique_ptr<ChunkCache> m_chunkCache;
    std::shared_ptr<std::atomic_bool> m_flushWrites = std::make_shared<std::atomic_bool>(true);
};

} // namespace mf
