#include "catalogkeyloader.h"

#include "catalogformat.h"
#include "credentials/credentialstore.h"
#include "vault/vault.h"

#include <QTimer>

namespace mf {

CatalogKeyLoader::CatalogKeyLoader(Vault* vault)
    : QObject(vault)
    , m_vault(vault)
{}

void CatalogKeyLoader::withKey(Vault* vault, QObject* context,
                               std::function<void(const Error&)> then)
{
    if (vault->catalogKey()) {
        QTimer::singleShot(0, context, [then = std::move(then)] { then(Error::none()); });
        return;
    }
    auto* loader = vault->findChild<CatalogKeyLoader*>(QString(), Qt::FindDirectChildrenOnly);
    if (!loader)
        loader = new CatalogKeyLoader(vault);
    loader->m_waiters.append({context, std::move(then)});
    if (!loader->m_loading) {
        loader->m_loading = true;
        QTimer::singleShot(0, loader, &CatalogKeyLoader::load);
    }
}

void CatalogKeyLoader::importKey(Vault* vault, const CatalogKey& key, QObject* context,
                                 std::function<void(const Error&)> then)
{
    CredentialStore* store = vault->credentials();
    if (!store) {
        QTimer::singleShot(0, context, [then = std::move(then)] {
            then(Error::make(Error::Kind::Fatal,
                             tr("This vault has no credential store for its catalog key")));
        });
        return;
    }
    CredentialJob* job = store->write(catalogKeyName(vault->id()), key.toSecrets());
    QPointer<QObject> alive(context);
    connect(job, &CredentialJob::finished, vault,
            [vault, job, store, key, alive, then = std::move(then)] {
                job->deleteLater();
                if (!alive)
                    return;
                if (!job->error().ok()) {
                    then(Error::make(job->error().kind,
                                     tr("The catalog key could not be kept in %1: %2")
                                         .arg(store->description(), job->error().message)));
                    return;
                }
                vault->setCatalogKey(key);
                // The key came from a computer that signs this store already.
                vault->registry().settings().setSetting(readsUnsignedSetting(), QString());
                then(Error::none());
            });
    job->start();
}

void CatalogKeyLoader::load()
{
    if (m_vault->catalogKey()) {
        done(Error::none());
        return;
    }
    CredentialStore* store = m_vault->credentials();
    if (!store) {
        done(Error::make(Error::Kind::Fatal, tr("This vault has no credential store for its "
                                                "catalog key")));
        return;
    }
    CredentialJob* job = store->read(catalogKeyName(m_vault->id()));
    connect(job, &CredentialJob::finished, this, [this, job, store] {
        job->deleteLater();
        if (job->error().kind == Error::Kind::NotFound) {
            lookForSignedStates();
            return;
        }
        if (!job->error().ok()) {
            done(Error::make(job->error().kind,
                             tr("The catalog key could not be read from %1: %2")
                                 .arg(store->description(), job->error().message)));
            return;
        }
        const auto key = CatalogKey::fromSecrets(job->secrets());
        if (!key) {
            done(Error::make(Error::Kind::Fatal,
                             tr("The catalog key kept in %1 is damaged: import the recovery "
                                "key again (`modelfloat-cli vault key import`)")
                                 .arg(store->description())));
            return;
        }
        m_vault->setCatalogKey(*key);
        done(Error::none());
    });
    job->start();
}

void CatalogKeyLoader::lookForSignedStates()
{
    // The newest state of each vault on each provider tells whether the store is signed: one
    // object per vault (a handful), read only when this vault has no key yet.
    const CatalogProviders providers = CatalogProviders::of(m_vault);
    m_newest.clear();
    m_calls.fanOut(
        providers.usable,
        [](const CatalogProviders::Entry& p) {
            return p.provider->listCatalogObjects(QStringLiteral("states"));
        },
        [this](const CatalogProviders::Entry& p, ProviderJob& job) {
            if (!job.error().ok())
                return; // a provider that cannot be listed tells nothing either way
            QHash<QString, qint64> seqOf;
            for (const CatalogObject& o : job.catalogObjects()) {
                QString vault;
                qint64 seq = 0;
                if (catalog::parseStateName(o.name, &vault, &seq) && seq > seqOf.value(vault))
                    seqOf.insert(vault, seq);
            }
            // This vault's own states tell nothing of another computer: signed with a key the
            // keychain lost, they are signed again under the new one.
            seqOf.remove(m_vault->id());
            for (auto it = seqOf.cbegin(); it != seqOf.cend(); ++it)
                m_newest.append({p, catalog::stateName(it.key(), it.value())});
        },
        [this] { readNewest(); });
}

void CatalogKeyLoader::readNewest()
{
    if (m_newest.isEmpty() || !m_foreignKey.isEmpty()) {
        makeKey();
        return;
    }
    const auto [p, name] = m_newest.takeFirst();
    m_calls.call(p.provider->readCatalogObject(name), [this](ProviderJob& job) {
        QString why;
        const auto state =
            job.error().ok() ? catalog::decodeState(job.data(), nullptr, &why) : std::nullopt;
        if (state && state->signedBy.signature == catalog::Signature::OtherKey)
            m_foreignKey = state->signedBy.keyId;
        if (state && state->signedBy.signature == catalog::Signature::None)
            m_sawUnsigned = true;
        readNewest();
    });
}

void CatalogKeyLoader::makeKey()
{
    if (!m_foreignKey.isEmpty()) {
        done(Error::make(
            Error::Kind::Fatal,
            tr("The catalog on these providers is signed by another computer of yours (key %1), "
               "and this computer does not have its key yet. On that computer, open Settings › "
               "Recovery key (or run `modelfloat-cli vault key show`), then give that recovery "
               "key to this one: `modelfloat-cli vault key import`.")
                .arg(QString::fromLatin1(m_foreignKey))));
        return;
    }
    const CatalogKey key = CatalogKey::generate();
    CredentialStore* store = m_vault->credentials();
    CredentialJob* job = store->write(catalogKeyName(m_vault->id()), key.toSecrets());
    connect(job, &CredentialJob::finished, this, [this, job, store, key] {
        job->deleteLater();
        if (!job->error().ok()) {
            done(Error::make(job->error().kind,
                             tr("The catalog key could not be kept in %1: %2")
                                 .arg(store->description(), job->error().message)));
            return;
        }
        // A store older versions wrote is taken in once more, unsigned, by the first sync:
        // then this vault signs it (its next state) and reads unsigned states no more. A store
        // with no unsigned state has nothing to adopt: none is ever read.
        m_vault->registry().settings().setSetting(readsUnsignedSetting(),
                                                  m_sawUnsigned ? QStringLiteral("1") : QString());
        m_vault->setCatalogKey(key);
        done(Error::none());
    });
    job->start();
}

void CatalogKeyLoader::done(const Error& error)
{
    m_loading = false;
    m_foreignKey.clear();
    m_sawUnsigned = false;
    const QList<Waiter> waiters = std::exchange(m_waiters, {});
    for (const Waiter& w : waiters)
        if (w.context)
            w.then(error);
}

} // namespace mf
