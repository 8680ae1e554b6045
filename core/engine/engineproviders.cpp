// The provider half of EngineWorker: add, edit, remove and test providers. Settings go to the
// registry; secrets only ever to the vault's credential store.
#include "engineworker.h"

#include "credentials/credentialstore.h"
#include "memorycredentialstore.h"
#include "providers/providerprobe.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QDir>

namespace mf {

namespace {

// The reason a provider form cannot be saved, or empty.
QString checkFields(const ProviderKind& kind, const QJsonObject& settings,
                    const QJsonObject& secrets, bool secretsOptional)
{
    for (const ProviderField& f : kind.fields) {
        if (!f.required)
            continue;
        const QJsonValue v = f.isSecret() ? secrets.value(f.key) : settings.value(f.key);
        if (f.isSecret() && secretsOptional)
            continue;
        if (v.isUndefined() || v.isNull() || (v.isString() && v.toString().trimmed().isEmpty()))
            return QCoreApplication::translate("mf::EngineWorker", "“%1” is required").arg(f.label);
    }
    for (auto it = settings.begin(); it != settings.end(); ++it) {
        const ProviderField* f = kind.field(it.key());
        if (f && f->isSecret())
            return QCoreApplication::translate("mf::EngineWorker",
                                               "“%1” is a secret and cannot be a setting")
                .arg(f->label);
    }
    return {};
}

// Local folders named in Path fields are created, as the command-line tool does.
QString preparePaths(const ProviderKind& kind, const QJsonObject& settings)
{
    for (const ProviderField& f : kind.fields) {
        if (f.type != ProviderField::Type::Path)
            continue;
        const QString path = settings.value(f.key).toString();
        if (path.isEmpty())
            continue;
        if (!QDir::isAbsolutePath(path))
            return QCoreApplication::translate("mf::EngineWorker",
                                               "“%1” must be an absolute folder path")
                .arg(f.label);
        if (!QDir().mkpath(path))
            return QCoreApplication::translate("mf::EngineWorker", "Cannot create the folder “%1”")
                .arg(QDir::toNativeSeparators(path));
    }
    return {};
}

} // namespace

void EngineWorker::addProvider(const ProviderRecord& input, const QJsonObject& secrets)
{
    if (!m_vault)
        return Q_EMIT providerError(tr("No vault is open"));
    Registry& registry = m_vault->registry();
    const ProviderKind* kind = m_vault->providerFactory().kind(input.kind);
    if (!kind)
        return Q_EMIT providerError(tr("Unknown kind of provider “%1”").arg(input.kind));
    ProviderRecord r = input;
    r.name = r.name.trimmed();
    if (r.name.isEmpty())
        return Q_EMIT providerError(tr("The provider needs a name"));
    if (registry.providerByName(r.name))
        return Q_EMIT providerError(tr("There is already a provider named “%1”").arg(r.name));
    if (QString why = checkFields(*kind, r.settings, secrets, false); !why.isEmpty())
        return Q_EMIT providerError(why);
    if (!secrets.isEmpty() && !m_vault->credentials())
        return Q_EMIT providerError(
            tr("There is no keychain to keep this provider's secrets in, so it was not added"));
    if (QString why = preparePaths(*kind, r.settings); !why.isEmpty())
        return Q_EMIT providerError(why);
    if (r.health.isEmpty())
        r.health = QStringLiteral("unknown");
    const auto id = registry.addProvider(r);
    if (!id)
        return Q_EMIT providerError(registry.lastError());
    if (secrets.isEmpty()) {
        Q_EMIT providersChanged();
        return;
    }
    writeSecrets(*id, secrets, true);
}

void EngineWorker::updateProvider(const ProviderRecord& input, const QJsonObject& secrets)
{
    if (!m_vault)
        return Q_EMIT providerError(tr("No vault is open"));
    Registry& registry = m_vault->registry();
    const auto existing = registry.provider(input.id);
    if (!existing)
        return Q_EMIT providerError(tr("That provider is no longer in the vault"));
    const ProviderKind* kind = m_vault->providerFactory().kind(existing->kind);
    ProviderRecord r = *existing;
    r.name = input.name.trimmed();
    r.settings = input.settings;
    r.quotaBytes = input.quotaBytes;
    if (r.name.isEmpty())
        return Q_EMIT providerError(tr("The provider needs a name"));
    if (const auto other = registry.providerByName(r.name); other && other->id != r.id)
        return Q_EMIT providerError(tr("There is already a provider named “%1”").arg(r.name));
    if (kind) {
        if (QString why = checkFields(*kind, r.settings, secrets, true); !why.isEmpty())
            return Q_EMIT providerError(why);
        if (QString why = preparePaths(*kind, r.settings); !why.isEmpty())
            return Q_EMIT providerError(why);
    }
    if (!secrets.isEmpty() && !m_vault->credentials())
        return Q_EMIT providerError(tr("There is no keychain to keep this provider's secrets in"));
    if (!registry.updateProvider(r))
        return Q_EMIT providerError(registry.lastError());
    m_vault->dropProvider(r.id); // the next use makes an adapter with the new settings
    if (secrets.isEmpty())
        Q_EMIT providersChanged();
    else
        writeSecrets(r.id, secrets, false);
}

void EngineWorker::writeSecrets(qint64 providerId, const QJsonObject& secrets,
                                bool rollbackOnFailure)
{
    CredentialJob* job = m_vault->credentials()->write(
        CredentialStore::providerKey(m_vault->id(), providerId), secrets);
    connect(job, &CredentialJob::finished, this, [this, job, providerId, rollbackOnFailure] {
        job->deleteLater();
        if (!m_vault)
            return;
        if (!job->error().ok()) {
            // A provider whose secrets could not be kept would only fail later: take it back.
            if (rollbackOnFailure)
                m_vault->registry().removeProvider(providerId);
            Q_EMIT providerError(
                tr("The secrets could not be saved: %1").arg(job->error().message));
        }
        m_vault->dropProvider(providerId);
        Q_EMIT providersChanged();
    });
    job->start();
}

void EngineWorker::removeProvider(qint64 id)
{
    if (!m_vault)
        return Q_EMIT providerError(tr("No vault is open"));
    if (runningCount() > 0)
        return Q_EMIT providerError(
            tr("Pause or finish the running transfers before removing a provider"));
    Registry& registry = m_vault->registry();
    const auto existing = registry.provider(id);
    if (!existing)
        return Q_EMIT providerError(tr("That provider is no longer in the vault"));
    m_vault->dropProvider(id);
    if (!registry.removeProvider(id))
        return Q_EMIT providerError(registry.lastError());
    const ProviderKind* kind = m_vault->providerFactory().kind(existing->kind);
    if (kind && kind->hasSecrets() && m_vault->credentials()) {
        CredentialJob* job =
            m_vault->credentials()->remove(CredentialStore::providerKey(m_vault->id(), id));
        connect(job, &CredentialJob::finished, this, [this, job] {
            job->deleteLater();
            if (!job->error().ok())
                Q_EMIT providerError(tr("The provider was removed, but its secrets could not be "
                                        "deleted from the keychain: %1")
                                         .arg(job->error().message));
        });
        job->start();
    }
    Q_EMIT providersChanged();
    emitStats();
}

void EngineWorker::testProvider(qint64 id)
{
    if (!m_vault)
        return Q_EMIT providerTested(id, tr("No vault is open"), -1, -1, -1);
    QString why;
    Provider* provider = m_vault->provider(id, &why);
    if (!provider)
        return Q_EMIT providerTested(id, why, -1, -1, -1);
    auto* probe = new ProviderProbe(provider, this);
    connect(probe, &ProviderProbe::finished, this, [this, probe, id] {
        probe->deleteLater();
        const Error& e = probe->error();
        if (m_vault)
            m_vault->registry().setProviderHealth(id, e.ok() ? QStringLiteral("ok")
                                                             : QStringLiteral("error"));
        Q_EMIT providerTested(id, e.message, probe->roundTripMs(), probe->usedBytes(),
                              probe->availableBytes());
        Q_EMIT providersChanged();
    });
    probe->start();
}

void EngineWorker::testProviderSettings(const ProviderRecord& input, const QJsonObject& secrets)
{
    if (!m_vault)
        return Q_EMIT providerTested(0, tr("No vault is open"), -1, -1, -1);
    const ProviderKind* kind = m_vault->providerFactory().kind(input.kind);
    if (!kind)
        return Q_EMIT providerTested(0, tr("Unknown kind of provider “%1”").arg(input.kind), -1, -1,
                                     -1);
    if (QString why = checkFields(*kind, input.settings, secrets, false); !why.isEmpty())
        return Q_EMIT providerTested(0, why, -1, -1, -1);
    if (QString why = preparePaths(*kind, input.settings); !why.isEmpty())
        return Q_EMIT providerTested(0, why, -1, -1, -1);
    // The form's secrets reach the adapter through a store that lives as long as the test.
    auto* store = new MemoryCredentialStore(this);
    ProviderRecord r = input;
    r.id = 0;
    store->insert(CredentialStore::providerKey(m_vault->id(), r.id), secrets);
    ProviderContext context = m_vault->providerContext();
    context.credentials = store;
    QString why;
    std::unique_ptr<Provider> provider = m_vault->providerFactory().create(r, context, &why);
    if (!provider) {
        delete store;
        return Q_EMIT providerTested(0, why, -1, -1, -1);
    }
    Provider* raw = provider.release();
    auto* probe = new ProviderProbe(raw, this);
    // The probe goes first; the adapter and the secrets after it.
    connect(probe, &QObject::destroyed, this, [raw, store] {
        delete raw;
        delete store;
    });
    connect(probe, &ProviderProbe::finished, this, [this, probe] {
        probe->deleteLater();
        Q_EMIT providerTested(0, probe->error().message, probe->roundTripMs(), probe->usedBytes(),
                              probe->availableBytes());
    });
    probe->start();
}

} // namespace mf
