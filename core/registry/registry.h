#pragma once

#include "catalogrows.h"
#include "healthrows.h"
#include "leaseowner.h"
#include "modelrows.h"
#include "placementrows.h"
#include "providerrows.h"
#include "queuerows.h"
#include "records.h"
#include "registryconnection.h"
#include "scrubrows.h"
#include "settingsrows.h"
#include "shardrows.h"

#include <functional>
#include <memory>

namespace mf {

// The vault's index: one SQLite database (WAL, foreign keys on), owned by the thread that opened
// it. Every other thread that needs the registry opens its own Registry on the same file.
// Its rows are read and written through one small class per concern, all over the registry's
// one connection (docs/architecture.md, "The registry"): modelRows(), placementRows(),
// providerRows(), healthRows(), scrubRows(), catalogRows(), queueRows(), settings(),
// shardRows().
// Every change that touches several rows runs in one transaction, so a crash never leaves a
// half-written state. Methods return false / nullopt on failure and set lastError().
class Registry final
{
    Q_DISABLE_COPY_MOVE(Registry)

public:
    ~Registry();
    // What open() does with a database that has no registry schema yet (a new or empty file).
    enum class Schema {
        Create,    // give it the registry's schema: a new registry
        MustExist, // refuse it, untouched: a registry that existed must not be reset
    };
    static std::unique_ptr<Registry> open(const QString& path, QString* error,
                                          Schema schema = Schema::Create);

    QString path() const { return m_connection.path(); }
    // The error of the last call that failed, whichever class of rows made it.
    QString lastError() const { return m_connection.lastError(); }
    int schemaVersion();

    ModelRows& modelRows() { return m_models; }
    PlacementRows& placementRows() { return m_placements; }
    ProviderRows& providerRows() { return m_providers; }
    HealthRows& healthRows() { return m_health; }
    ScrubRows& scrubRows() { return m_scrub; }
    CatalogRows& catalogRows() { return m_catalog; }
    QueueRows& queueRows() { return m_queue; }
    SettingsRows& settings() { return m_settings; }
    ShardRows& shardRows() { return m_shards; }

    // Runs `work` in one transaction; commits when it returns true, rolls back otherwise. A
    // nested call joins the outer transaction, and its failure rolls the whole one back.
    bool transaction(const std::function<bool()>& work) { return m_connection.transaction(work); }
    // Runs `work`, which only reads, on one snapshot of the registry: what other connections
    // commit meanwhile is not seen, and, unlike transaction(), no writer is kept waiting.
    // Inside a transaction it joins it; a write inside a snapshot fails.
    bool readSnapshot(const std::function<bool()>& work) { return m_connection.readSnapshot(work); }

private:
    Registry() = default;

    // First: the classes of rows below use it, and it closes after them.
    RegistryConnection m_connection;
    ModelRows m_models{*this, m_connection};
    PlacementRows m_placements{*this, m_connection};
    ProviderRows m_providers{*this, m_connection};
    HealthRows m_health{*this, m_connection};
    ScrubRows m_scrub{*this, m_connection};
    CatalogRows m_catalog{*this, m_connection};
    QueueRows m_queue{*this, m_connection};
    SettingsRows m_settings{*this, m_connection};
    ShardRows m_shards{*this, m_connection};
};

} // namespace mf
