#include "provideradmin.h"

#include "credentials/credentialstore.h"
#include "memorycredentialstore.h"
#include "providers/providerfields.h"
#include "providers/providerjob.h"
#include "providers/providerprobe.h"
#include "vault/providersetup.h"
#include "vault/vault.h"

#include <QCoreApplication>
#include <QDir>
#include <QTimer>

namespace mf {

ProviderAdmin::ProviderAdmin(std::function<void(TransferRequest)> queue,
                             std::function<bool()> transfersRunning, QObject* parent)
    : QObject(parent)
    , m_queue(std::move(queue))
    , m_transfersRunning(std::move(transfersRunning))
{}

ProviderAdmin::~ProviderAdmin() = default;

void ProviderAdmin::close()
{
    // Providers still being measured or tested: each asking job holds a lease on its adapter, so
    // it goes first, and the vault's end then deletes the adapters no one else holds.
    for (ProviderJob* job : findChildren<ProviderJob*>(Qt::FindDirectChildrenOnly)) {
        job->disconnect(this);
        job->abort();
        delete job;
    }
    qDeleteAll(findChildren<ProviderProbe*>(Qt::FindDirectChildrenOnly));
    m_vault = nullptr;
}

namespace {

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
            return QCoreApplication::translate("mf::ProviderAdmin",
                                               "“%1” must be an absolute folder path")
                .arg(f.label);
        if (!QDir().mkpath(path))
            return QCoreApplication::translate("mf::ProviderAdmin", "Cannot create the folder “%1”")
                .arg(QDir::toNativeSeparators(path));
    }
    return {};
}

} // namespace

void ProviderAdmin::addProvider(const ProviderRecord& input, const QJsonObject& secrets)
{
    if (!m_vault)
        return Q_EMIT providerError(tr("No vault is open"));
    ProviderSpec spec;
    spec.kind = input.kind;
    spec.name = input.name.trimmed();
    spec.settings = input.settings;
    spec.secrets = secrets;
    spec.quotaBytes = input.quotaBytes;
    runSetup(ProviderSetup::add(*m_vault, spec, this));
}

void ProviderAdmin::updateProvider(const ProviderRecord& input, const QJsonObject& secrets)
{
    if (!m_vault)
        return Q_EMIT providerError(tr("No vault is open"));
    ProviderSpec spec;
    spec.name = input.name.trimmed();
    spec.settings = input.settings;
    spec.secrets = secrets;
    spec.quotaBytes = input.quotaBytes;
    runSetup(ProviderSetup::update(*m_vault, input.id, spec, this));
}

void ProviderAdmin::removeProvider(qint64 id, bool force)
{
    if (!m_vault)
        return Q_EMIT providerError(tr("No vault is open"));
    const ProviderRows::ProviderContents held =
        m_vault->registry().providerRows().providerContents(id);
    if (!force && (held.placements > 0 || held.deletions > 0)) {
        // Its chunks go elsewhere first: a drain that removes it once it holds nothing, and
        // refuses when the others cannot hold the copies the vault wants.
        DrainRequest drain;
        drain.providerId = id;
        drain.removeAfter = true;
        m_queue(drain);
        return;
    }
    if (m_transfersRunning())
        return Q_EMIT providerError(
            tr("Pause or finish the running transfers before removing a provider"));
    runSetup(ProviderSetup::remove(*m_vault, id, force, this));
}

// ProviderSetup keeps the registry row and the secrets in the keychain consistent; the Engine
// only reports its outcome and forgets the cached adapter.
void ProviderAdmin::runSetup(ProviderSetup* setup)
{
    connect(setup, &ProviderSetup::finished, this, [this, setup] {
        setup->deleteLater();
        if (!m_vault)
            return;
        // Only the vault's lease: what still runs on the old adapter (a transfer, a stream of
        // the local API, a test) holds its own, and the adapter goes when the last ends.
        if (setup->providerId())
            m_vault->dropProvider(setup->providerId());
        if (!setup->error().ok()) {
            Q_EMIT providerError(setup->error().message);
            return;
        }
        if (!setup->warning().isEmpty())
            Q_EMIT providerWarning(setup->warning());
        Q_EMIT providersChanged();
        Q_EMIT setupApplied();
    });
    setup->start();
}

void ProviderAdmin::testProvider(qint64 id)
{
    if (!m_vault)
        return Q_EMIT providerTested(id, tr("No vault is open"), -1, -1, -1);
    QString why;
    const std::shared_ptr<Provider> provider = m_vault->provider(id, &why);
    if (!provider)
        return Q_EMIT providerTested(id, why, -1, -1, -1);
    // The probe holds its lease: the provider may be edited or removed meanwhile.
    auto* probe = new ProviderProbe(provider.get(), this);
    connect(probe, &ProviderProbe::finished, this, [this, probe, id] {
        probe->deleteLater();
        const Error& e = probe->error();
        if (m_vault)
            m_vault->registry().providerRows().setProviderHealth(
                id, ProviderRecord::healthAfterTest(e.ok() ? QString() : e.message));
        Q_EMIT providerTested(id, e.message, probe->roundTripMs(), probe->usedBytes(),
                              probe->availableBytes());
        Q_EMIT providersChanged();
    });
    probe->start();
}

void ProviderAdmin::measureProviders()
{
    if (!m_vault)
        return;
    for (const ProviderRecord& r : m_vault->registry().providerRows().providers()) {
        if (!r.enabled)
            continue;
        const std::shared_ptr<Provider> provider = m_vault->provider(r.id);
        if (!provider)
            continue;
        // The job holds its adapter until its answer came (ProviderJob).
        ProviderJob* job = provider->usage();
        job->setParent(this);
        connect(job, &ProviderJob::finished, this, [this, job, id = r.id] {
            job->deleteLater();
            const ProviderUsage usage = job->error().ok() ? job->usage() : ProviderUsage();
            Q_EMIT providerSpace(id, usage.usedBytes, usage.availableBytes);
        });
        job->start();
    }
}

void ProviderAdmin::testProviderSettings(const ProviderRecord& input, const QJsonObject& secrets)
{
    if (!m_vault)
        return Q_EMIT providerTested(0, tr("No vault is open"), -1, -1, -1);
    const ProviderKind* kind = m_vault->providerFactory().kind(input.kind);
    if (!kind)
        return Q_EMIT providerTested(0, tr("Unknown kind of provider “%1”").arg(input.kind), -1, -1,
                                     -1);
    Error invalid;
    ProviderRecord r = input;
    r.settings = providerfields::normalizeSettings(*kind, input.settings, &invalid);
    if (!invalid.ok() || !providerfields::checkSecrets(*kind, secrets, true, &invalid))
        return Q_EMIT providerTested(0, invalid.message, -1, -1, -1);
    if (QString why = preparePaths(*kind, r.settings); !why.isEmpty())
        return Q_EMIT providerTested(0, why, -1, -1, -1);
    // The form's secrets reach the adapter through a store the adapter holds; the probe holds
    // the adapter, so both live as long as the test.
    auto store = std::make_shared<MemoryCredentialStore>();
    r.id = 0;
    store->insert(CredentialStore::providerKey(m_vault->id(), r.id), secrets);
    ProviderContext context = m_vault->providerContext();
    context.credentials = store.get();
    context.credentialsOwner = store;
    QString why;
    const std::shared_ptr<Provider> provider =
        Provider::share(m_vault->providerFactory().create(r, context, &why));
    if (!provider)
        return Q_EMIT providerTested(0, why, -1, -1, -1);
    auto* probe = new ProviderProbe(provider.get(), this);
    connect(probe, &ProviderProbe::finished, this, [this, probe] {
        probe->deleteLater();
        Q_EMIT providerTested(0, probe->error().message, probe->roundTripMs(), probe->usedBytes(),
                              probe->availableBytes());
    });
    probe->start();
}

} // namespace mf
