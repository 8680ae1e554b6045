// ProviderRows: the providers table (kind, name, settings, quota and usage, health). Their secrets
// are never here: they live in the credential store.
#include "registry.h"
#include "registryquery.h"

namespace mf {

using registrycolumns::fromJson;
using registrycolumns::nowSecs;
using registrycolumns::toJson;

namespace {

ProviderRecord providerFrom(const QSqlQuery& q)
{
    ProviderRecord r;
    r.id = q.value(0).toLongLong();
    r.kind = q.value(1).toString();
    r.name = q.value(2).toString();
    r.settings = fromJson(q.value(3).toString());
    r.quotaBytes = q.value(4).toLongLong();
    r.usedBytes = q.value(5).toLongLong();
    r.health = q.value(6).toString();
    r.enabled = q.value(7).toBool();
    r.draining = q.value(8).toBool();
    r.unreachableSince = q.value(9).toLongLong();
    return r;
}
const char* const ProviderColumns =
    "SELECT id, kind, name, settings, quota_bytes, used_bytes, health, enabled, EXISTS (SELECT 1 "
    "FROM provider_drains d WHERE d.provider_id = providers.id), unreachable_since FROM "
    "providers ";

} // namespace

std::optional<qint64> ProviderRows::addProvider(const ProviderRecord& r)
{
    // A new id is above every id ever given, to providers removed since too (SQLite alone would
    // give the highest one again): secrets are kept under a provider's id, and a new provider
    // must never find a removed one's. The highest id given is kept in the vault's settings.
    const QString lastIdKey = QStringLiteral("providers.lastId");
    qint64 id = 0;
    const bool ok = transaction([&] {
        Query last(this, QStringLiteral("SELECT MAX(COALESCE((SELECT MAX(id) FROM providers), 0), "
                                        "COALESCE((SELECT CAST(value AS INTEGER) FROM "
                                        "vault_settings WHERE key = ?), 0))"));
        if (!last.bind(lastIdKey).exec() || !last.q().next())
            return false;
        id = last.q().value(0).toLongLong() + 1;
        Query q(this, QStringLiteral("INSERT INTO providers (id, kind, name, settings, "
                                     "quota_bytes, health, enabled, created_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        q.bind(id).bind(r.kind).bind(r.name).bind(toJson(r.settings)).bind(r.quotaBytes);
        q.bind(r.health.isEmpty() ? QStringLiteral("unknown") : r.health)
            .bind(r.enabled)
            .bind(nowSecs());
        // A vault from before ids were kept may give a removed provider's id once more: what
        // is still kept under that id (settings) is not the new provider's.
        Query stale(this, QStringLiteral("DELETE FROM vault_settings WHERE key LIKE ?"));
        return q.exec() && m_registry.settings().setSetting(lastIdKey, QString::number(id)) &&
               stale.bind(QStringLiteral("provider.%1.%").arg(id)).exec();
    });
    if (!ok)
        return std::nullopt;
    return id;
}

QList<ProviderRecord> ProviderRows::providers()
{
    QList<ProviderRecord> out;
    Query q(this, QLatin1String(ProviderColumns) + QStringLiteral("ORDER BY id"));
    if (q.exec())
        while (q.q().next())
            out.append(providerFrom(q.q()));
    return out;
}

std::optional<ProviderRecord> ProviderRows::provider(qint64 id)
{
    Query q(this, QLatin1String(ProviderColumns) + QStringLiteral("WHERE id = ?"));
    q.bind(id);
    if (q.exec() && q.q().next())
        return providerFrom(q.q());
    return std::nullopt;
}

std::optional<ProviderRecord> ProviderRows::providerByName(const QString& name)
{
    Query q(this, QLatin1String(ProviderColumns) + QStringLiteral("WHERE name = ?"));
    q.bind(name);
    if (q.exec() && q.q().next())
        return providerFrom(q.q());
    return std::nullopt;
}

bool ProviderRows::setProviderHealth(qint64 id, const QString& health)
{
    Query q(this, QStringLiteral("UPDATE providers SET health = ? WHERE id = ?"));
    // A test that passed is an answer (reachability.cpp).
    return q.bind(health).bind(id).exec() &&
           (health != ProviderRecord::healthAfterTest({}) || recordProviderAnswer(id, true));
}

bool ProviderRows::updateProvider(const ProviderRecord& r)
{
    Query q(this, QStringLiteral(
                      "UPDATE providers SET name = ?, settings = ?, quota_bytes = ? WHERE id = ?"));
    return q.bind(r.name).bind(toJson(r.settings)).bind(r.quotaBytes).bind(r.id).exec();
}

bool ProviderRows::addProviderUsage(qint64 id, qint64 deltaBytes)
{
    Query q(this, QStringLiteral(
                      "UPDATE providers SET used_bytes = MAX(0, used_bytes + ?) WHERE id = ?"));
    return q.bind(deltaBytes).bind(id).exec();
}

bool ProviderRows::removeProvider(qint64 id)
{
    // Its settings ("provider.<id>.*") go with it.
    return transaction([&] {
        Query placements(this, QStringLiteral("DELETE FROM placements WHERE provider_id = ?"));
        Query settings(this, QStringLiteral("DELETE FROM vault_settings WHERE key LIKE ?"));
        Query provider(this, QStringLiteral("DELETE FROM providers WHERE id = ?"));
        return placements.bind(id).exec() &&
               settings.bind(QStringLiteral("provider.%1.%").arg(id)).exec() &&
               provider.bind(id).exec();
    });
}

} // namespace mf
