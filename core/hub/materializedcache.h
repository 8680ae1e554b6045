#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

namespace mf {

class Vault;

// The local cache of materialized models: a Hugging Face cache root (so runtimes can point
// HF_HUB_CACHE at it) with an index of which model lives in which models--org--name folder,
// its size and when it was last materialized or used. It shares one budget on this computer's
// disk with the vault's chunk cache (Vault::cacheBudgetBytes, docs/mount.md): the chunks' room
// is what its files leave (shareBudget), and after a materialization chunks are evicted first,
// then the least recently used models (fitBudget). The index is a small JSON file written
// atomically; a folder not in the index is never touched.
class MaterializedCache final
{
public:
    struct Entry
    {
        QString model;
        QString folder; // "models--org--name", relative to the root
        qint64 bytes = 0;
        QDateTime lastUsed;
    };

    explicit MaterializedCache(const QString& root)
        : m_root(root)
    {}

    // $MODELFLOAT_CACHE, else <vault dir>/materialized.
    static QString defaultRoot(const QString& vaultDirectory);
    // The vault's chunk cache counts this cache's bytes (as its index says, read each time it
    // makes room: another process may have materialized) against the budget they share.
    static void shareBudget(Vault* vault);

    QString root() const { return m_root; }
    QList<Entry> entries() const;
    qint64 totalBytes() const;
    // The model is (again) in the cache: now is its last use.
    bool record(const QString& model, const QString& folder, qint64 bytes, QString* error);
    // Evicts least recently used models (never `keepModel`, never one an app uses: AppUses) until
    // the total fits `capBytes`. Returns the evicted model names.
    QStringList evictToFit(qint64 capBytes, const QString& keepModel, QString* error);
    // After `keepModel` was recorded: the vault's cached chunks are evicted (least recently used
    // first) until they and this cache fit `budgetBytes`, then models as evictToFit does. The
    // evicted models; *chunkBytesEvicted the chunks' bytes.
    QStringList fitBudget(Vault* vault, qint64 budgetBytes, const QString& keepModel,
                          qint64* chunkBytesEvicted, QString* error);
    // Removes one model's folder and entry; false (and *error) when it is not in the cache or
    // an app uses it.
    bool evict(const QString& model, QString* error);

private:
    bool save(const QList<Entry>& entries, QString* error) const;
    QString indexPath() const;
    QString m_root;
};

} // namespace mf
