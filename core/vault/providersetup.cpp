#include "providersetup.h"

#include "credentials/credentialstore.h"
#include "credentials/vaultcredentials.h"
#include "providers/providerfields.h"
#include "util/units.h"
#include "vault.h"

#include <QDir>
#include <QFileInfo>
#include <QMetaObject>

namespace mf {

namespace {
// An error message to go inside a longer sentence: without its final full stop.
QString clause(const QString& message)
{
    return message.endsWith(QLatin1Char('.')) ? message.chopped(1) : message;
}
} // namespace

ProviderSetup::ProviderSetup(Vault& vault, Action action, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_action(action)
{}

ProviderSetup::~ProviderSetup()
{
    if (m_job)
        m_job->deleteLater();
    if (m_signInJob)
        m_signInJob->deleteLater();
}

ProviderSetup* ProviderSetup::add(Vault& vault, const ProviderSpec& spec, QObject* parent)
{
    auto* s = new ProviderSetup(vault, Action::Add, parent);
    s->m_spec = spec;
    return s;
}

ProviderSetup* ProviderSetup::update(Vault& vault, qint64 id, const ProviderSpec& spec,
                                     QObject* parent)
{
    auto* s = new ProviderSetup(vault, Action::Update, parent);
    s->m_spec = spec;
    s->m_id = id;
    return s;
}

ProviderSetup* ProviderSetup::remove(Vault& vault, qint64 id, bool force, QObject* parent)
{
    auto* s = new ProviderSetup(vault, Action::Remove, parent);
    s->m_id = id;
    s->m_force = force;
    return s;
}

void ProviderSetup::start()
{
    if (m_started)
        return;
    m_started = true;
    switch (m_action) {
    case Action::Add:
        return startAdd();
    case Action::Update:
        return startUpdate();
    case Action::Remove:
        return startRemove();
    }
}

void ProviderSetup::fail(Failure failure, const QString& message)
{
    m_failure = failure;
    m_error = Error::make(Error::Kind::Fatal, message);
    m_spec.secrets = {};
    QMetaObject::invokeMethod(this, &ProviderSetup::finished, Qt::QueuedConnection);
}

void ProviderSetup::succeed()
{
    m_spec.secrets = {};
    QMetaObject::invokeMethod(this, &ProviderSetup::finished, Qt::QueuedConnection);
}

QString ProviderSetup::secretsKey() const
{
    return CredentialStore::providerKey(m_vault.id(), m_id);
}

bool ProviderSetup::validate(const QString& kindId, bool secretsRequired)
{
    const ProviderKind* kind = m_vault.providerFactory().kind(kindId);
    if (!kind) {
        fail(Failure::NotFound,
             QStringLiteral("Unknown provider kind “%1”; this version knows: %2")
                 .arg(kindId, m_vault.providerFactory().kinds().join(QStringLiteral(", "))));
        return false;
    }
    m_spec.name = m_spec.name.trimmed();
    if (m_spec.name.isEmpty()) {
        fail(Failure::Invalid, QStringLiteral("The provider needs a name"));
        return false;
    }
    const auto other = m_vault.registry().providerRows().providerByName(m_spec.name);
    if (other && other->id != m_id) {
        fail(Failure::NameTaken,
             QStringLiteral("A provider named “%1” already exists").arg(m_spec.name));
        return false;
    }
    if (m_spec.quotaBytes < -1) {
        fail(Failure::Invalid, QStringLiteral("The quota cannot be negative"));
        return false;
    }
    Error e;
    m_settings = providerfields::normalizeSettings(*kind, m_spec.settings, &e);
    if (e) {
        fail(Failure::Invalid, e.message);
        return false;
    }
    if (!providerfields::checkSecrets(*kind, m_spec.secrets, secretsRequired, &e)) {
        fail(Failure::Invalid, e.message);
        return false;
    }
    if (!m_spec.secrets.isEmpty() && !m_vault.credentials()) {
        fail(Failure::Failed,
             QStringLiteral("This vault has no credential store to keep the secrets of “%1” in")
                 .arg(m_spec.name));
        return false;
    }
    return preparePaths(kindId);
}

// Local folders named in Path fields are created now, so a typo fails here and not mid-float.
bool ProviderSetup::preparePaths(const QString& kindId)
{
    const ProviderKind* kind = m_vault.providerFactory().kind(kindId);
    for (const ProviderField& f : kind->fields) {
        if (f.type != ProviderField::Type::Path || !m_settings.contains(f.key))
            continue;
        const QString path = m_settings.value(f.key).toString();
        const QFileInfo info(path);
        if (info.exists() && !info.isDir()) {
            fail(Failure::BadPath, QStringLiteral("“%1” is a file, not a folder").arg(path));
            return false;
        }
        if (!QDir().mkpath(path)) {
            fail(Failure::BadPath, QStringLiteral("Cannot create the folder “%1”").arg(path));
            return false;
        }
    }
    return true;
}

void ProviderSetup::signIn(const QString& kindId, std::function<void()> then)
{
    const ProviderKind* kind = m_vault.providerFactory().kind(kindId);
    if (!kind || !kind->signIn || m_spec.secrets.isEmpty())
        return then();
    m_signInJob = kind->signIn(m_settings, m_spec.secrets, this);
    m_spec.secrets = {};
    connect(m_signInJob, &CredentialJob::finished, this, [this, then = std::move(then)] {
        CredentialJob* job = m_signInJob;
        job->deleteLater();
        if (job->error())
            return fail(Failure::SignIn, QStringLiteral("Signing in to “%1” failed: %2")
                                             .arg(m_spec.name, job->error().message));
        m_spec.secrets = job->secrets();
        then();
    });
    m_signInJob->start();
}

void ProviderSetup::writeSecrets(std::function<void(const Error&)> then)
{
    if (m_spec.secrets.isEmpty())
        return then(Error::none());
    CredentialStore* store = m_vault.credentials();
    m_warning = store->warning();
    m_job = store->write(secretsKey(), m_spec.secrets);
    m_spec.secrets = {};
    connect(m_job, &CredentialJob::finished, this, [this, then = std::move(then)] {
        const Error e = m_job->error();
        m_job->deleteLater();
        then(e);
    });
    m_job->start();
}

void ProviderSetup::removeSecrets(std::function<void(const Error&)> then)
{
    CredentialStore* store = m_vault.credentials();
    if (!store)
        return then(Error::none());
    m_job = store->remove(secretsKey());
    connect(m_job, &CredentialJob::finished, this, [this, then = std::move(then)] {
        const Error e = m_job->error();
        m_job->deleteLater();
        then(e);
    });
    m_job->start();
}

void ProviderSetup::startAdd()
{
    m_id = 0;
    if (!validate(m_spec.kind, true))
        return;
    signIn(m_spec.kind, [this] { addRow(); });
}

void ProviderSetup::addRow()
{
    ProviderRecord r;
    r.kind = m_spec.kind;
    r.name = m_spec.name;
    r.settings = m_settings;
    r.quotaBytes = m_spec.quotaBytes;
    // A local folder was just created and checked; anything else is known once tested.
    r.health = m_spec.secrets.isEmpty() && m_spec.kind == QLatin1String("local")
                   ? QStringLiteral("ok")
                   : QStringLiteral("unknown");
    Registry& registry = m_vault.registry();
    // A provider without secrets is marked so with its row (one transaction): it never asks
    // the credential store, where an entry left under its id by a removed provider may be.
    std::optional<qint64> id;
    const bool added = registry.transaction([&] {
        id = registry.providerRows().addProvider(r);
        return id && (!m_spec.secrets.isEmpty() ||
                      registry.settings().setSetting(vaultcredentials::noSecretsKey(*id),
                                                     QStringLiteral("none")));
    });
    if (!added || !id)
        return fail(Failure::Failed, registry.lastError());
    m_id = *id;
    writeSecrets([this](const Error& e) {
        if (e.ok())
            return succeed();
        // No provider without its secrets: take the row back.
        const QString name = m_spec.name;
        m_vault.dropProvider(m_id);
        if (!m_vault.registry().providerRows().removeProvider(m_id))
            return fail(Failure::Failed,
                        QStringLiteral("Cannot keep the secrets of “%1” in %2: %3. Removing the "
                                       "half-added provider failed too (%4); remove it with "
                                       "`modelfloat-cli provider remove %1`.")
                            .arg(name, m_vault.credentials()->description(), clause(e.message),
                                 m_vault.registry().lastError()));
        m_id = 0;
        fail(Failure::Failed,
             QStringLiteral("Cannot keep the secrets of “%1” in %2: %3. The "
                            "provider was not added.")
                 .arg(name, m_vault.credentials()->description(), clause(e.message)));
    });
}

void ProviderSetup::startUpdate()
{
    const auto existing = m_vault.registry().providerRows().provider(m_id);
    if (!existing)
        return fail(Failure::NotFound, QStringLiteral("There is no provider with id %1").arg(m_id));
    if (!validate(existing->kind, false))
        return;
    signIn(existing->kind, [this, record = *existing] { updateRow(record); });
}

void ProviderSetup::updateRow(const ProviderRecord& existing)
{
    const bool newSecrets = !m_spec.secrets.isEmpty();
    writeSecrets([this, record = existing, newSecrets](const Error& e) {
        if (!e.ok())
            return fail(
                Failure::Failed,
                QStringLiteral("Cannot keep the new secrets of “%1” in %2: %3. Nothing "
                               "was changed.")
                    .arg(record.name, m_vault.credentials()->description(), clause(e.message)));
        ProviderRecord r = record;
        r.name = m_spec.name;
        r.settings = m_settings;
        r.quotaBytes = m_spec.quotaBytes;
        if (!m_vault.registry().providerRows().updateProvider(r))
            return fail(Failure::Failed, m_vault.registry().lastError());
        // Given a secret now: its adapter asks the store from now on.
        if (newSecrets)
            m_vault.registry().settings().setSetting(vaultcredentials::noSecretsKey(m_id),
                                                     QString());
        m_vault.dropProvider(m_id); // the next use makes an adapter with the new settings
        succeed();
    });
}

void ProviderSetup::startRemove()
{
    const auto record = m_vault.registry().providerRows().provider(m_id);
    if (!record)
        return fail(Failure::NotFound, QStringLiteral("There is no provider with id %1").arg(m_id));
    const qint64 stored = m_vault.registry().healthRows().storedBytesByProvider().value(m_id);
    if (stored > 0 && !m_force)
        return fail(Failure::HoldsChunks,
                    QStringLiteral("Provider “%1” still holds %2 of chunks; chunks with no "
                                   "other replica would be lost. Use --force to forget it anyway "
                                   "(its objects are left in place)")
                        .arg(record->name, units::formatBytes(stored)));
    m_vault.dropProvider(m_id);
    const auto removeRow = [this] {
        if (!m_vault.registry().providerRows().removeProvider(m_id))
            return fail(Failure::Failed, m_vault.registry().lastError());
        succeed();
    };
    // A kind without secrets, or a provider never given one, has none stored: no keychain
    // needed to remove it.
    const ProviderKind* kind = m_vault.providerFactory().kind(record->kind);
    if ((kind && !kind->hasSecrets()) ||
        m_vault.registry().settings().setting(vaultcredentials::noSecretsKey(m_id)) ==
            QLatin1String("none"))
        return removeRow();
    // A kind whose secrets are all optional (an IPFS node without authorization) may never have
    // stored any: an unreachable keychain then does not keep the provider, it earns a warning.
    bool secretRequired = !kind;
    if (kind)
        for (const ProviderField& f : kind->fields)
            secretRequired = secretRequired || (f.isSecret() && f.required);
    removeSecrets([this, removeRow, secretRequired, name = record->name](const Error& e) {
        if (!e.ok() && !m_force && secretRequired)
            return fail(Failure::Failed,
                        QStringLiteral("Cannot remove the secrets of “%1” from %2: %3. The "
                                       "provider is kept; fix the keychain and try again, or use "
                                       "--force to forget it and leave its secrets behind.")
                            .arg(name, m_vault.credentials()->description(), clause(e.message)));
        if (!e.ok())
            m_warning = QStringLiteral("The secrets of “%1” could not be removed from %2 (%3); "
                                       "delete them there yourself.")
                            .arg(name, m_vault.credentials()->description(), clause(e.message));
        removeRow();
    });
}

} // namespace mf
