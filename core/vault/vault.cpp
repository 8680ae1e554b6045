#include "vault.h"

#include "chunkcache.h"
#include "credentials/credentialstore.h"
#include "credentials/vaultcredentials.h"
#include "providerspeeds.h"
#include "thiscomputer.h"
#include "util/fileio.h"
#include "util/units.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QUuid>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mf {

namespace {
const QString ReplicationKey = QStringLiteral("replication");
const QString ChunkerKey = QStringLiteral("chunker");
const QString VaultIdKey = QStringLiteral("vault_id");
const QString InitializedKey = QStringLiteral("initialized");

using thiscomputer::localStoreOf;

// What is wrong with a registry file that exists, judged from the file alone (it is only read);
// empty when it looks like an SQLite database.
QString registryFileProblem(const QString& path)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return QStringLiteral("it cannot be read (%1)").arg(errnoText(errno));
    struct stat st
    {
    };
    QString problem;
    char header[16] = {};
    if (::fstat(fd, &st) != 0)
        problem = QStringLiteral("it cannot be read (%1)").arg(errnoText(errno));
    else if (!S_ISREG(st.st_mode))
        problem = QStringLiteral("it is not a file");
    else if (st.st_size == 0)
        problem = QStringLiteral("it is empty (0 bytes)");
    else if (::pread(fd, header, sizeof header, 0) != ssize_t(sizeof header) ||
             std::memcmp(header, "SQLite format 3", sizeof header) != 0)
        problem = QStringLiteral("it is not an SQLite database");
    ::close(fd);
    return problem;
}

QString unusableText(const QString& path, const QString& problem)
{
    return QStringLiteral("The vault's registry “%1” cannot be used: %2. It was left as it is: "
                          "a vault that existed is never reset. Put back a good copy of "
                          "registry.sqlite, or move the folder away to make a new vault there.")
        .arg(path, problem);
}

// A registry that is gone leaves its vault's objects behind: a new registry here would forget
// every model they belong to.
bool holdsLostVault(const QString& dir)
{
    if (QFileInfo::exists(dir + QStringLiteral("/registry.sqlite-wal")))
        return true;
    QDirIterator it(localStoreOf(dir), QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    return it.hasNext();
}

// The settings and the embedded local-folder provider of a new vault, so a first run needs no
// account and no server.
bool initialize(Registry& r, const QString& dir, QString* error)
{
    const bool ok = r.transaction([&] {
        if (r.providerRows().providers().isEmpty()) {
            ProviderRecord local;
            local.kind = QStringLiteral("local");
            local.name = QStringLiteral("local");
            local.settings.insert(QStringLiteral("path"), localStoreOf(dir));
            local.health = QStringLiteral("ok");
            if (!r.providerRows().addProvider(local))
                return false;
        }
        return r.settings().setSetting(ReplicationKey, QStringLiteral("2")) &&
               r.settings().setSetting(ChunkerKey, ChunkerParams::defaults().toString()) &&
               (!r.settings().setting(VaultIdKey).isEmpty() ||
                r.settings().setSetting(VaultIdKey,
                                        QUuid::createUuid().toString(QUuid::WithoutBraces))) &&
               r.settings().setSetting(InitializedKey, QStringLiteral("1"));
    });
    if (!ok)
        *error = QStringLiteral("Cannot initialize the vault “%1”: %2").arg(dir, r.lastError());
    return ok;
}

void removeDatabaseFiles(const QString& path)
{
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        QFile::remove(path + QLatin1String(suffix));
}

// Makes the registry of a new vault in `dir`. It is built and initialized under a temporary
// name, closed (which folds its write-ahead log into the file), then moved to registry.sqlite
// only if nothing is there: a creation killed half-way leaves no registry that looks like a
// vault, and of two processes creating the same vault at once one wins and the other opens it.
bool createRegistry(const QString& dir, QString* error)
{
    const QString path = dir + QLatin1Char('/') + Vault::registryFileName();
    if (!QDir().mkpath(localStoreOf(dir))) {
        *error = QStringLiteral("Cannot create the folder “%1”").arg(localStoreOf(dir));
        return false;
    }
    const QString temp = dir + QStringLiteral("/.registry-new-") +
                         QUuid::createUuid().toString(QUuid::WithoutBraces) +
                         QStringLiteral(".sqlite");
    bool ok = false;
    {
        const auto registry = Registry::open(temp, error, Registry::Schema::Create);
        ok = registry && initialize(*registry, dir, error);
    }
    if (ok && QFileInfo::exists(temp + QStringLiteral("-wal"))) {
        *error = QStringLiteral("Cannot create the vault “%1”: its new registry kept a "
                                "write-ahead log")
                     .arg(dir);
        ok = false;
    }
    if (ok &&
        renameNoReplace(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData()) !=
            0 &&
        errno != EEXIST) {
        *error = QStringLiteral("Cannot create “%1”: %2").arg(path, errnoText(errno));
        ok = false;
    }
    removeDatabaseFiles(temp); // gone already when it was moved, or lost the race
    if (ok) {
        // The new name must survive a power loss as surely as the registry's contents.
        const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY);
        if (fd >= 0) {
            ::fsync(fd);
            ::close(fd);
        }
    }
    return ok;
}
} // namespace

Vault::Vault(const QString& directory)
    : m_directory(directory)
    , m_speeds(std::make_unique<ProviderSpeeds>())
    , m_uploadSpeeds(std::make_unique<ProviderSpeeds>())
{}

Vault::~Vault()
{
    // Adapters wait for their own workers; those only the vault holds go now, before the
    // registry, as no event loop may run after the vault (a command ending). An adapter a job
    // still holds goes with that job's lease, and keeps its credential store until then.
    for (auto& [id, adapter] : m_providers)
        Provider::releaseNow(adapter);
    m_providers.clear();
    m_retiredCredentials.clear();
    m_credentials.reset();
}

QString Vault::defaultDirectory()
{
    const QString env = qEnvironmentVariable("MODELFLOAT_VAULT");
    if (!env.isEmpty())
        return QDir::cleanPath(QDir(env).absolutePath());
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/modelfloat/vault");
}

std::unique_ptr<Vault> Vault::open(const QString& directory, OpenMode mode, QString* error,
                                   OpenFailure* failure)
{
    QString ignoredError;
    if (!error)
        error = &ignoredError;
    OpenFailure ignored;
    OpenFailure& why = failure ? *failure : ignored;
    why = OpenFailure::Other;
    const QString dir = QDir::cleanPath(QDir(directory).absolutePath());
    const QString path = dir + QLatin1Char('/') + registryFileName();
    struct stat st
    {
    };
    const bool exists = ::lstat(QFile::encodeName(path).constData(), &st) == 0;
    if (!exists && mode == OpenMode::Existing) {
        why = OpenFailure::NoVault;
        *error = QFileInfo(dir).isDir()
                     ? QStringLiteral("There is no vault in “%1” (it has no %2)")
                           .arg(dir, registryFileName())
                     : QStringLiteral("There is no vault at “%1” (no such folder)").arg(dir);
        return nullptr;
    }
    if (!exists) {
        if (!QDir().mkpath(dir)) {
            *error = QStringLiteral("Cannot create the vault folder “%1”").arg(dir);
            return nullptr;
        }
        // Looked for before registry.sqlite is looked for again: a vault another process has
        // just created shows its registry before it shows any object.
        if (holdsLostVault(dir) && !QFileInfo::exists(path)) {
            why = OpenFailure::Unusable;
            *error = QStringLiteral("“%1” has no %2, but it still holds the objects of a vault "
                                    "(in %3): its registry was lost. A new vault is not made "
                                    "over them, as it would forget every model they belong "
                                    "to. Put back a good copy of %2, or move the folder away.")
                         .arg(dir, registryFileName(), localStoreOf(dir));
            return nullptr;
        }
        if (!createRegistry(dir, error))
            return nullptr;
    }
    if (const QString problem = registryFileProblem(path); !problem.isEmpty()) {
        why = OpenFailure::Unusable;
        *error = unusableText(path, problem);
        return nullptr;
    }
    std::unique_ptr<Vault> vault(new Vault(dir));
    QString registryError;
    vault->m_registry = Registry::open(path, &registryError, Registry::Schema::MustExist);
    if (!vault->m_registry) {
        why = OpenFailure::Unusable;
        *error = unusableText(path, registryError);
        return nullptr;
    }
    QDir().mkpath(vault->tempDirectory());

    Registry& r = *vault->m_registry;
    // Vaults whose creation was not yet one step (and was interrupted) are finished now; vaults
    // made before ids existed get theirs.
    if (r.settings().setting(InitializedKey).isEmpty() && !initialize(r, dir, error))
        return nullptr;
    if (r.settings().setting(VaultIdKey).isEmpty() &&
        !r.settings().setSetting(VaultIdKey, QUuid::createUuid().toString(QUuid::WithoutBraces))) {
        *error = QStringLiteral("Cannot initialize the vault “%1”: %2").arg(dir, r.lastError());
        return nullptr;
    }
    vault->m_id = r.settings().setting(VaultIdKey);
    vault->m_flushWrites->store(r.settings().setting(QLatin1String(DurabilitySetting)) !=
                                QLatin1String("fast"));
    // Every vault has its credential store: the keychain unless the user opted in to plaintext.
    vault->m_credentials =
        vaultcredentials::make(r.settings().setting(vaultcredentials::settingKey()), dir, error);
    if (!vault->m_credentials)
        return nullptr;
    why = OpenFailure::None;
    return vault;
}

ChunkCache& Vault::chunkCache()
{
    if (!m_chunkCache)
        m_chunkCache = std::make_unique<ChunkCache>(m_directory + QStringLiteral("/chunk-cache"),
                                                    cacheBudgetBytes());
    return *m_chunkCache;
}

qint64 Vault::cacheBudgetBytes()
{
    for (const char* key : {CacheBudgetSetting, OldReadCacheSetting}) {
        const QString text = m_registry->settings().setting(QLatin1String(key));
        const auto bytes = text.isEmpty() ? std::nullopt : units::parseBytes(text);
        if (bytes && *bytes >= 0)
            return *bytes;
    }
    return DefaultCacheBudget;
}

bool Vault::setCacheBudgetBytes(qint64 bytes)
{
    if (!m_registry->settings().setSetting(QLatin1String(CacheBudgetSetting),
                                           QString::number(bytes)))
        return false;
    chunkCache().setCapBytes(bytes);
    return true;
}

QString Vault::tempDirectory() const
{
    return m_directory + QStringLiteral("/tmp");
}

int Vault::replicationFactor()
{
    return qMax(1, m_registry->settings().setting(ReplicationKey, QStringLiteral("2")).toInt());
}

bool Vault::setReplicationFactor(int replicas)
{
    // "copies N" is the scheme this setting names: a shards scheme set before gives way to it.
    return setRedundancy(RedundancyScheme::makeCopies(replicas));
}

RedundancyScheme Vault::redundancy()
{
    return redundancyIn(*m_registry);
}

RedundancyScheme Vault::redundancyIn(Registry& registry)
{
    const auto scheme =
        RedundancyScheme::parse(registry.settings().setting(QLatin1String(RedundancySetting)));
    // One data shard (set before RedundancyScheme::refusal() said no) is the chunk whole M+1
    // times under another name: new models go as the vault's copies, plainly.
    if (scheme && scheme->isShards() && scheme->dataShards >= 2)
        return *scheme;
    return RedundancyScheme::makeCopies(
        qMax(1, registry.settings().setting(ReplicationKey, QStringLiteral("2")).toInt()));
}

int Vault::providersTakingCopies()
{
    return providersTakingCopiesIn(*m_registry);
}

int Vault::providersTakingCopiesIn(Registry& registry)
{
    int n = 0;
    for (const ProviderRecord& p : registry.providerRows().providers())
        n += p.takesNewCopies() ? 1 : 0;
    return n;
}

bool Vault::setRedundancy(const RedundancyScheme& scheme)
{
    Registry& r = *m_registry;
    return r.transaction([&] {
        return r.settings().setSetting(QLatin1String(RedundancySetting), scheme.toString()) &&
               (scheme.isShards() ||
                r.settings().setSetting(ReplicationKey, QString::number(scheme.copies)));
    });
}

ChunkerParams Vault::defaultChunker()
{
    const auto params = ChunkerParams::fromString(m_registry->settings().setting(ChunkerKey));
    return params ? *params : ChunkerParams::defaults();
}

bool Vault::setDefaultChunker(const ChunkerParams& params)
{
    return m_registry->settings().setSetting(ChunkerKey, params.toString());
}

bool Vault::setFlushWrites(bool flush)
{
    if (!m_registry->settings().setSetting(QLatin1String(DurabilitySetting),
                                           flush ? QStringLiteral("flush")
                                                 : QStringLiteral("fast")))
        return false;
    m_flushWrites->store(flush);
    return true;
}

std::shared_ptr<Provider> Vault::provider(qint64 id, QString* error)
{
    const auto it = m_providers.find(id);
    if (it != m_providers.end())
        return it->second;
    QString localError;
    const auto record = m_registry->providerRows().provider(id);
    if (!record) {
        localError = QStringLiteral("No provider with id %1").arg(id);
    } else {
        // A provider never given a secret does not ask the credential store (a keychain that
        // may not run): no store, no secrets.
        ProviderContext context = providerContext();
        if (m_registry->settings().setting(vaultcredentials::noSecretsKey(id)) ==
            QLatin1String("none")) {
            context.credentials = nullptr;
            context.credentialsOwner = nullptr;
        }
        if (auto made = m_factory.create(*record, context, &localError))
            return m_providers.emplace(id, Provider::share(std::move(made))).first->second;
    }
    if (error)
        *error = localError;
    return nullptr;
}

void Vault::setUploadSpeeds(std::unique_ptr<ProviderSpeeds> speeds)
{
    m_uploadSpeeds = std::move(speeds);
}

ProviderContext Vault::providerContext() const
{
    return ProviderContext{m_credentials.get(), m_id,        tempDirectory(),
                           m_flushWrites,       m_bandwidth, m_credentials};
}

void Vault::setCredentialStore(std::unique_ptr<CredentialStore> store)
{
    // Adapters hold the old store: they are made again with the new one. The old ones keep it
    // while jobs still run on them.
    m_providers.clear();
    if (m_credentials)
        m_retiredCredentials.push_back(std::move(m_credentials));
    m_credentials = std::move(store);
}

void Vault::dropProvider(qint64 id)
{
    // Only the vault's lease: what runs on the adapter (a transfer, a stream of the local API, a
    // "Test connection", a pause or cancel acting on them later) holds its own.
    m_providers.erase(id);
}

QString Vault::providerName(qint64 id)
{
    const auto r = m_registry->providerRows().provider(id);
    return r ? r->name : QStringLiteral("#%1").arg(id);
}

} // namespace mf
