#include "materializedcache.h"

#include "appuses.h"
#include "vault/chunkcache.h"
#include "vault/vault.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>

namespace mf {

QString MaterializedCache::defaultRoot(const QString& vaultDirectory)
{
    const QString env = qEnvironmentVariable("MODELFLOAT_CACHE");
    return env.isEmpty() ? vaultDirectory + QStringLiteral("/materialized") : env;
}

QString MaterializedCache::indexPath() const
{
    return m_root + QStringLiteral("/modelfloat-cache.json");
}

QList<MaterializedCache::Entry> MaterializedCache::entries() const
{
    QList<Entry> result;
    QFile file(indexPath());
    if (!file.open(QIODevice::ReadOnly))
        return result;
    const QJsonArray a =
        QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("entries")).toArray();
    for (const QJsonValue& v : a) {
        const QJsonObject o = v.toObject();
        Entry e;
        e.model = o.value(QStringLiteral("model")).toString();
        e.folder = o.value(QStringLiteral("folder")).toString();
        e.bytes = qint64(o.value(QStringLiteral("bytes")).toDouble());
        e.lastUsed = QDateTime::fromString(o.value(QStringLiteral("last_used")).toString(),
                                           Qt::ISODateWithMs);
        // A folder name from the index is only ever a single "models--…" segment.
        if (e.model.isEmpty() || !e.folder.startsWith(QLatin1String("models--")) ||
            e.folder.contains(QLatin1Char('/')) || e.folder.contains(QLatin1String("..")))
            continue;
        result.append(e);
    }
    return result;
}

qint64 MaterializedCache::totalBytes() const
{
    qint64 total = 0;
    for (const Entry& e : entries())
        total += e.bytes;
    return total;
}

bool MaterializedCache::save(const QList<Entry>& list, QString* error) const
{
    QDir().mkpath(m_root);
    QJsonArray a;
    for (const Entry& e : list)
        a.append(
            QJsonObject{{QStringLiteral("model"), e.model},
                        {QStringLiteral("folder"), e.folder},
                        {QStringLiteral("bytes"), e.bytes},
                        {QStringLiteral("last_used"), e.lastUsed.toString(Qt::ISODateWithMs)}});
    QSaveFile file(indexPath());
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(QJsonObject{{QStringLiteral("entries"), a}}).toJson()) < 0 ||
        !file.commit()) {
        *error = QStringLiteral("Cannot write the cache index “%1”: %2")
                     .arg(indexPath(), file.errorString());
        return false;
    }
    return true;
}

bool MaterializedCache::record(const QString& model, const QString& folder, qint64 bytes,
                               QString* error)
{
    QList<Entry> list = entries();
    list.erase(
        std::remove_if(list.begin(), list.end(), [&](const Entry& e) { return e.model == model; }),
        list.end());
    list.append(Entry{model, folder, bytes, QDateTime::currentDateTimeUtc()});
    return save(list, error);
}

QStringList MaterializedCache::evictToFit(qint64 capBytes, const QString& keepModel, QString* error)
{
    QList<Entry> list = entries();
    std::stable_sort(list.begin(), list.end(),
                     [](const Entry& a, const Entry& b) { return a.lastUsed < b.lastUsed; });
    qint64 total = 0;
    for (const Entry& e : std::as_const(list))
        total += e.bytes;
    QStringList evicted;
    const AppUses uses(m_root);
    for (const Entry& e : std::as_const(list)) {
        if (total <= capBytes)
            break;
        // An app's store links to a model in use: it stays (it costs no second copy there).
        if (e.model == keepModel || !uses.appsUsing(e.model).isEmpty())
            continue;
        if (!evict(e.model, error))
            return evicted;
        total -= e.bytes;
        evicted.append(e.model);
    }
    return evicted;
}

void MaterializedCache::shareBudget(Vault* vault)
{
    vault->chunkCache().shareBudget(
        [root = defaultRoot(vault->directory())] { return MaterializedCache(root).totalBytes(); });
}

QStringList MaterializedCache::fitBudget(Vault* vault, qint64 budgetBytes, const QString& keepModel,
                                         qint64* chunkBytesEvicted, QString* error)
{
    // Chunks are what a read fetches again in a second; a model evicted here is what a runtime
    // was told to find on this disk.
    ChunkCache& chunks = vault->chunkCache();
    const qint64 others = totalBytes();
    *chunkBytesEvicted = chunks.trim(budgetBytes, others);
    return evictToFit(budgetBytes - chunks.usedBytes(), keepModel, error);
}

bool MaterializedCache::evict(const QString& model, QString* error)
{
    if (const QStringList apps = AppUses(m_root).appsUsing(model); !apps.isEmpty()) {
        *error = QStringLiteral("“%1” is in use by %2; take it out first with "
                                "“modelfloat-cli use %1 --remove --in APP”")
                     .arg(model, apps.join(QStringLiteral(", ")));
        return false;
    }
    QList<Entry> list = entries();
    const auto it =
        std::find_if(list.begin(), list.end(), [&](const Entry& e) { return e.model == model; });
    if (it == list.end()) {
        *error = QStringLiteral("“%1” is not in the materialized cache %2").arg(model, m_root);
        return false;
    }
    const QString folder = it->folder;
    list.erase(it);
    // Another model in the same repo folder (another commit) keeps the folder.
    const bool shared =
        std::any_of(list.begin(), list.end(), [&](const Entry& e) { return e.folder == folder; });
    if (!shared && !QDir(m_root + QLatin1Char('/') + folder).removeRecursively()) {
        *error = QStringLiteral("Cannot remove “%1”").arg(m_root + QLatin1Char('/') + folder);
        return false;
    }
    return save(list, error);
}

} // namespace mf
