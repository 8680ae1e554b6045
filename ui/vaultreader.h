#pragma once

#include "registry/catalogqueries.h"
#include "registry/modelsummary.h"
#include "registry/registry.h"
#include "vault/thiscomputer.h"

#include <QHash>

#include <memory>
#include <optional>

namespace mf::ui {

// What the browser shows of one model: the core's ModelSummary plus what the files' format
// metadata says and which providers hold it, by name.
struct ModelRow
{
    ModelSummary summary;
    int wantedReplicas = 0;
    QString format;       // "gguf", "safetensors"; empty when unknown
    QString quantization; // "Q4_K_M", "BF16"; empty when unknown
    qint64 parameters = -1;
    qint64 storedBytes = 0; // bytes on providers, all replicas counted
    QStringList providers;  // names of the providers holding chunks of it
    QString health;         // ModelSummary::health()
    // Its copies on this computer's own disk, and what "Free up space" frees.
    thiscomputer::LocalState here;
    // False while only `summary.model` is known (the rest is being computed off the GUI thread).
    bool loaded = false;

    // A row of which only the model record is known yet.
    static ModelRow pending(const ModelRecord& model)
    {
        ModelRow r;
        r.summary.model = model;
        return r;
    }
};

// The GUI's read side of a vault: its own Registry connection and a read-only catalogue
// connection, both on the GUI thread, used only to read (every write goes through the
// Engine). SQLite's WAL lets them read beside the engine thread's writes.
class VaultReader final
{
    Q_DISABLE_COPY_MOVE(VaultReader)

public:
    static std::unique_ptr<VaultReader> open(const QString& vaultDirectory, QString* error);
    ~VaultReader();

    Registry& registry() { return *m_registry; }
    QString directory() const { return m_directory; }
    CatalogQueries& catalog() { return *m_catalog; }

    ModelRow row(const ModelRecord& model);
    std::optional<ModelRow> row(qint64 modelId);

    // Provider names, cached; refreshProviders() after Engine::providersChanged.
    QString providerName(qint64 id);
    void refreshProviders();

private:
    VaultReader() = default;

    QString m_directory;
    std::unique_ptr<Registry> m_registry;
    std::unique_ptr<CatalogQueries> m_catalog;
    QHash<qint64, QString> m_providerNames;
};

} // namespace mf::ui
