#include "vault.h"

#include "credentials/credentialstore.h"
#include "credentials/vaultcredentials.h"

#include <QDir>
#include <QStandardPaths>
#include <QUuid>

namespace mf {

namespace {
const QString ReplicationKey = QStringLiteral("replication");
const QString ChunkerKey = QStringLiteral("chunker");
const QString VaultIdKey = QStringLiteral("vault_id");
} // namespace

Vault::Vault(const QString& directory)
    : m_directory(directory)
{}

Vault::~Vault()
{
    // Adapters wait for their own workers; destroy them before the registry they may report to.
    m_providers.clear();
    m_credentials.reset();
}

QString Vault::defaultDirectory()
{
    const QString env = qEnvironmentVariable("MODELFLOAT_VAULT");
    if (!env.isEmpty())
        return QDir(env).absolutePath();
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/modelfloat/vault");
}

std::unique_ptr<Vault> Vault::open(const QString& directory, QString* error)
{
    const QString dir = QDir::cleanPath(QDir(directory).absolutePath());
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("Cannot create the vault folder “%1”").arg(dir);
        return nullptr;
    }
    std::unique_ptr<Vault> vault(new Vault(dir));
    vault->m_registry = Registry::open(dir + QStringLiteral("/registry.sqlite"), error);
    if (!vault->m_registry)
        return nullptr;
    QDir().mkpath(vault->tempDirectory());

    // First use: the embedded local-folder provider, so nothing has to be configured.
    Registry& r = *vault->m_registry;
    if (r.setting(QStringLiteral("initialized")).isEmpty()) {
        const bool ok = r.transaction([&] {
            if (r.providers().isEmpty()) {
                const QString store = dir + QStringLiteral("/local-store");
                if (!QDir().mkpath(store))
                    return false;
                ProviderRecord local;
                local.kind = QStringLiteral("local");
                local.name = QStringLiteral("local");
                local.settings.insert(QStringLiteral("path"), store);
                local.health = QStringLiteral("ok");
                if (!r.addProvider(local))
                    return false;
            }
            return r.setSetting(ReplicationKey, QStringLiteral("2")) &&
                   r.setSetting(ChunkerKey, ChunkerParams::defaults().toString()) &&
                   r.setSetting(QStringLiteral("initialized"), QStringLiteral("1"));
        });
        if (!ok) {
            *error = QStringLiteral("Cannot initialize the vault “%1”: %2").arg(dir, r.lastError());
            return nullptr;
        }
    }
    // Vaults made before ids existed get theirs on first open.
    if (r.setting(VaultIdKey).isEmpty() &&
        !r.setSetting(VaultIdKey, QUuid::createUuid().toString(QUuid::WithoutBraces))) {
        *error = QStringLiteral("Cannot initialize the vault “%1”: %2").arg(dir, r.lastError());
        return nullptr;
    }
    vault->m_id = r.setting(VaultIdKey);
    // Every vault has its credential store: the keychain unless the user opted in to plaintext.
    vault->m_credentials =
        vaultcredentials::make(r.setting(vaultcredentials::settingKey()), dir, error);
    if (!vault->m_credentials)
        return nullptr;
    return vault;
}

QString Vault::tempDirectory() const
{
    return m_directory + QStringLiteral("/tmp");
}

int Vault::replicationFactor()
{
    return qMax(1, m_registry->setting(ReplicationKey, QStringLiteral("2")).toInt());
}

bool Vault::setReplicationFactor(int replicas)
{
    return m_registry->setSetting(ReplicationKey, QString::number(replicas));
}

ChunkerParams Vault::defaultChunker()
{
    const auto params = ChunkerParams::fromString(m_registry->setting(ChunkerKey));
    return params ? *params : ChunkerParams::defaults();
}

bool Vault::setDefaultChunker(const ChunkerParams& params)
{
    return m_registry->setSetting(ChunkerKey, params.toString());
}

Provider* Vault::provider(qint64 id, QString* error)
{
    const auto it = m_providers.find(id);
    if (it != m_providers.end())
        return it->second.get();
    QString localError;
    const auto record = m_registry->provider(id);
    if (!record) {
        localError = QStringLiteral("No provider with id %1").arg(id);
    } else if (auto made = m_factory.create(*record, providerContext(), &localError)) {
        made->setParent(nullptr);
        return m_providers.emplace(id, std::move(made)).first->second.get();
    }
    if (error)
        *error = localError;
    return nullptr;
}

ProviderContext Vault::providerContext() const
{
    return ProviderContext{m_credentials.get(), m_id, tempDirectory()};
}

void Vault::setCredentialStore(std::unique_ptr<CredentialStore> store)
{
    m_providers.clear(); // adapters hold the old store
    m_credentials = std::move(store);
}

void Vault::dropProvider(qint64 id)
{
    m_providers.erase(id);
}

QString Vault::providerName(qint64 id)
{
    const auto r = m_registry->provider(id);
    return r ? r->name : QStringLiteral("#%1").arg(id);
}

} // namespace mf
