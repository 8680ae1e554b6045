#include "catalogpublishjob.h"

#include "catalogformat.h"
#include "catalogkeyloader.h"
#include "chunking/cid.h"
#include "dagrootsjob.h"
#include "manifestshards.h"
#include "placementcheck.h"
#include "vault/vault.h"

#include <QDateTime>
#include <QUuid>

#include <algorithm>

namespace mf {

namespace {
// The id of the key that signed the newest state this vault published.
const QString SignedWithSetting = QStringLiteral("catalog.signed_with");
} // namespace

CatalogPublishJob::CatalogPublishJob(Vault* vault, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
{}

CatalogPublishJob::~CatalogPublishJob() = default;

namespace {
const QString RecheckSetting = QStringLiteral("catalog.recheck");

void storeRecheck(Vault* vault, const QSet<qint64>& ids)
{
    QStringList out;
    for (const qint64 id : ids)
        out.append(QString::number(id));
    out.sort();
    vault->registry().settings().setSetting(RecheckSetting, out.join(QLatin1Char(',')));
}
} // namespace

QSet<qint64> CatalogPublishJob::toRecheck(Vault* vault)
{
    QSet<qint64> ids;
    const QString v = vault->registry().settings().setting(RecheckSetting);
    for (const QString& part : v.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 id = part.toLongLong(&ok);
        if (ok)
            ids.insert(id);
    }
    return ids;
}

void CatalogPublishJob::addToRecheck(Vault* vault, const QSet<qint64>& modelIds)
{
    if (modelIds.isEmpty())
        return;
    storeRecheck(vault, toRecheck(vault) | modelIds);
}

void CatalogPublishJob::doStart()
{
    // Every state is signed: nothing is written before the vault holds its key.
    CatalogKeyLoader::withKey(m_vault, this, [this](const Error& error) {
        if (isFinished())
            return;
        if (!error.ok())
            finish(Error::make(error.kind,
                               tr("The catalog was not published: %1").arg(error.message)));
        else
            checkFirstTime();
    });
}

void CatalogPublishJob::checkFirstTime()
{
    Registry& registry = m_vault->registry();
    const QList<CatalogRows::CatalogChange> changes = registry.catalogRows().catalogChanges();
    // Models whose float's publish failed before (the lease it kept may have run out since,
    // and another vault collected): every chunk checked again, published before or not.
    // One made incomplete by an earlier check waits in the set until a float completes it.
    for (const qint64 id : toRecheck(m_vault)) {
        const auto model = registry.modelRows().model(id);
        if (model && model->state == ModelRecord::State::Complete)
            m_recheck.insert(id);
    }
    QSet<qint64> toCheck = m_recheck;
    for (const CatalogRows::CatalogChange& c : changes)
        if (!c.published && !m_trusted.contains(c.modelId))
            toCheck.insert(c.modelId);
    if (toCheck.isEmpty()) {
        afterCheck(changes);
        return;
    }
    m_check = new PlacementCheck(m_vault, QList<qint64>(toCheck.cbegin(), toCheck.cend()), this);
    m_check->run([this, changes] {
        Registry& r = m_vault->registry();
        const auto nameOf = [&r](qint64 id) {
            const auto model = r.modelRows().model(id);
            return model ? model->name : QString::number(id);
        };
        QSet<qint64> changed;
        QList<CatalogRows::CatalogChange> publishable;
        for (const CatalogRows::CatalogChange& c : changes) {
            changed.insert(c.modelId);
            if (m_check->broken().contains(c.modelId)) {
                r.catalogRows().reopenModelWithLostChunks(c.modelId);
                addWarning(tr("“%1” is not published: some of its chunks are on no provider any "
                              "more (collected elsewhere after its float stopped); float the "
                              "same files again to send them")
                               .arg(nameOf(c.modelId)));
            } else if (m_check->unchecked().contains(c.modelId)) {
                addWarning(tr("“%1” is published later: its chunks could not be checked on every "
                              "provider")
                               .arg(nameOf(c.modelId)));
            } else {
                publishable.append(c);
            }
        }
        // Rechecked models this vault's registry published already (their state did not reach
        // the providers): one that lost chunks everywhere is reopened, as above, and its next
        // float sends them again; a copy lost on one provider only is forgotten.
        for (const qint64 id : std::as_const(m_recheck)) {
            if (changed.contains(id) || !m_check->broken().contains(id))
                continue;
            r.catalogRows().reopenModelWithLostChunks(id);
            addWarning(tr("“%1” is incomplete again: some of its chunks are on no provider any "
                          "more (collected elsewhere while its publish waited); float the same "
                          "files again to send them")
                           .arg(nameOf(id)));
        }
        afterCheck(publishable);
    });
}

void CatalogPublishJob::afterCheck(const QList<CatalogRows::CatalogChange>& changes)
{
    Registry& registry = m_vault->registry();
    const qint64 before = registry.catalogRows().catalogSeq();
    QString why;
    if (!registryStep(changes, &why)) {
        finish(Error::make(Error::Kind::Fatal, tr("The catalog was not published: %1").arg(why)));
        return;
    }
    // A state signed with another key, or with none (written before catalogs were signed, or
    // before a recovery key was imported), is written again under this key as a new version,
    // even with nothing else to publish: other computers act only on states they can check.
    const QString keyId = QString::fromLatin1(m_vault->catalogKey()->id());
    if (before > 0 && registry.catalogRows().catalogSeq() == before &&
        registry.settings().setting(SignedWithSetting) != keyId &&
        !registry.catalogRows().raiseCatalogSeq(before)) {
        finish(Error::make(Error::Kind::Fatal,
                           tr("The catalog was not published: %1").arg(registry.lastError())));
        return;
    }
    m_seq = registry.catalogRows().catalogSeq();
    m_providers = CatalogProviders::of(m_vault);
    for (const QString& w : std::as_const(m_providers.unusable))
        addWarning(tr("The catalog could not be written to provider %1").arg(w));
    const int enabled = int(m_providers.usable.size() + m_providers.unusable.size());
    m_wanted = qMin(2, enabled);
    if (m_seq == 0) {
        pinModelRoots(); // nothing was ever published: no catalog to write
        return;
    }
    QList<CatalogProviders::Entry> behind;
    for (const CatalogProviders::Entry& p : std::as_const(m_providers.usable)) {
        if (m_vault->registry().catalogRows().catalogPublishedSeq(p.id) >= m_seq)
            m_current.append(p.id);
        else
            behind.append(p);
    }
    m_left = int(behind.size());
    if (m_left == 0) {
        providerDone({}, Error::none());
        return;
    }
    for (const CatalogProviders::Entry& p : std::as_const(behind))
        publishTo(p);
}

bool CatalogPublishJob::registryStep(const QList<CatalogRows::CatalogChange>& checked,
                                     QString* error)
{
    Registry& registry = m_vault->registry();
    // What is published is read in the transaction that records it: read before it, a model
    // another process removes meanwhile would get a live entry after its removal and come back
    // at the next sync. Models changed since they were checked are left for the next publish.
    QList<CatalogRows::CatalogPublication> published;
    QStringList removals;
    const bool ok = registry.transaction([&] {
        removals = registry.catalogRows().catalogRemovals();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        for (const CatalogRows::CatalogChange& change : registry.catalogRows().catalogChanges()) {
            const bool same = std::any_of(
                checked.cbegin(), checked.cend(), [&](const CatalogRows::CatalogChange& c) {
                    // A first publication's placements were checked for what the model was
                    // then; a later one's need no check, only the same model (its uid).
                    return c.modelId == change.modelId && c.uid == change.uid &&
                           c.published == change.published &&
                           (change.published || c.dirty == change.dirty);
                });
            if (!same)
                continue;
            const auto model = registry.modelRows().model(change.modelId);
            if (!model)
                continue;
            const QString uid = change.uid.isEmpty()
                                    ? QUuid::createUuid().toString(QUuid::WithoutBraces)
                                    : change.uid;
            // Written a file at a time: the chunk lists of a model of many files are never all
            // in memory at once.
            catalog::ManifestWriter manifest(uid, *model);
            bool whole = true;
            for (const FileRecord& f : registry.modelRows().files(change.modelId)) {
                if (f.state != FileRecord::State::Complete) {
                    whole = false;
                    break;
                }
                const QList<FileChunk> chunks = registry.modelRows().fileChunks(f.id);
                manifest.addFile(f, chunks,
                                 manifestshards::ofFile(registry, chunks, change.modelId));
            }
            if (!whole)
                continue; // being changed (reopened by an import): published once complete
            CatalogRows::CatalogPublication p;
            p.change = change;
            p.manifest = manifest.finish();
            p.entry.eid = catalog::newId();
            p.entry.uid = uid;
            p.entry.vault = m_vault->id();
            p.entry.manifest = cid::ofData(p.manifest);
            p.entry.name = model->name;
            p.entry.time = now;
            published.append(p);
        }
        if (published.isEmpty() && removals.isEmpty())
            return true;
        return registry.catalogRows().recordCatalogPublish(m_vault->id(), published, removals) != 0;
    });
    if (!ok) {
        *error = registry.lastError();
        return false;
    }
    m_models = int(published.size());
    m_removals = int(removals.size());
    return true;
}

void CatalogPublishJob::publishTo(const CatalogProviders::Entry& p)
{
    m_calls.call(
        p.provider->listCatalogObjects(QStringLiteral("manifests")), [this, p](ProviderJob& job) {
            if (!job.error().ok()) {
                providerDone(p, job.error());
                return;
            }
            QSet<QString> there;
            for (const CatalogObject& o : job.catalogObjects())
                there.insert(o.name);
            QList<CatalogEntry> entries;
            QStringList tombstones;
            m_vault->registry().catalogRows().catalogOwnState(m_vault->id(), &entries, &tombstones);
            QStringList missing;
            for (const CatalogEntry& e : std::as_const(entries))
                if (!there.contains(catalog::manifestName(e.manifest)) &&
                    !missing.contains(e.manifest))
                    missing.append(e.manifest);
            writeManifests(p, missing);
        });
}

void CatalogPublishJob::writeManifests(const CatalogProviders::Entry& p, QStringList missing)
{
    // One at a time per provider (providers run side by side); manifests are small.
    if (missing.isEmpty()) {
        writeState(p);
        return;
    }
    const QString cid = missing.takeFirst();
    const QByteArray bytes = m_vault->registry().catalogRows().catalogManifest(cid);
    if (bytes.isEmpty()) {
        providerDone(p, Error::make(Error::Kind::Fatal,
                                    tr("the manifest %1 is not in the registry").arg(cid)));
        return;
    }
    m_calls.call(p.provider->writeCatalogObject(catalog::manifestName(cid), bytes),
                 [this, p, missing](ProviderJob& job) {
                     if (!job.error().ok())
                         providerDone(p, job.error());
                     else
                         writeManifests(p, missing);
                 });
}

void CatalogPublishJob::writeState(const CatalogProviders::Entry& p)
{
    catalog::VaultState state;
    state.vault = m_vault->id();
    state.seq = m_seq;
    state.written = QDateTime::currentSecsSinceEpoch();
    m_vault->registry().catalogRows().catalogOwnState(state.vault, &state.entries,
                                                      &state.tombstones);
    // Chunks whose object a listing cannot name (IPFS DAG roots): their locators.
    for (const Placement& placement :
         m_vault->registry().placementRows().placementsNotNamedByCid(p.id))
        state.locators.insert(placement.cid, placement.locator);
    m_calls.call(
        p.provider->writeCatalogObject(catalog::stateName(state.vault, state.seq),
                                       catalog::encodeState(state, *m_vault->catalogKey())),
        [this, p](ProviderJob& job) {
            if (!job.error().ok()) {
                providerDone(p, job.error());
                return;
            }
            m_vault->registry().settings().setSetting(
                SignedWithSetting, QString::fromLatin1(m_vault->catalogKey()->id()));
            m_vault->registry().catalogRows().setCatalogPublishedSeq(p.id, m_seq);
            m_current.append(p.id);
            pruneStates(p);
        });
}

void CatalogPublishJob::pruneStates(const CatalogProviders::Entry& p)
{
    // The previous state stays (a reader that finds the new one damaged falls back to it).
    m_calls.call(
        p.provider->listCatalogObjects(QStringLiteral("states")), [this, p](ProviderJob& job) {
            QStringList old;
            for (const CatalogObject& o : job.catalogObjects()) {
                QString vault;
                qint64 seq = 0;
                if (catalog::parseStateName(o.name, &vault, &seq) && vault == m_vault->id() &&
                    seq < m_seq - 1)
                    old.append(o.name);
            }
            if (old.isEmpty()) {
                providerDone(p, Error::none());
                return;
            }
            auto left = std::make_shared<int>(int(old.size()));
            for (const QString& name : std::as_const(old))
                m_calls.call(p.provider->removeCatalogObject(name), [this, p, left](ProviderJob&) {
                    // An old state left behind is harmless.
                    if (--*left == 0)
                        providerDone(p, Error::none());
                });
        });
}

void CatalogPublishJob::providerDone(const CatalogProviders::Entry& p, const Error& error)
{
    if (!error.ok())
        addWarning(tr("The catalog could not be written to provider “%1” (the next publish tries "
                      "again): %2")
                       .arg(p.name, error.message));
    if (m_left > 0 && --m_left > 0)
        return;
    // Rechecked models leave the set once checked whole and their state is on every provider.
    if (m_check && !m_recheck.isEmpty() && m_providers.unusable.isEmpty() &&
        m_current.size() == m_providers.usable.size()) {
        QSet<qint64> done = m_recheck;
        done.subtract(m_check->broken());
        done.subtract(m_check->unchecked());
        const QSet<qint64> left = toRecheck(m_vault) - done;
        storeRecheck(m_vault, left);
    }
    if (m_current.size() < m_wanted) {
        m_short = true;
        addWarning(tr("The catalog is on %1 of %2 providers; with fewer than two copies it does "
                      "not survive the loss of a provider")
                       .arg(m_current.size())
                       .arg(m_wanted));
    }
    pinModelRoots();
}

void CatalogPublishJob::pinModelRoots()
{
    m_roots = new DagRootsJob(m_vault, this);
    connect(m_roots, &TransferJob::warning, this, &CatalogPublishJob::addWarning);
    connect(m_roots, &TransferJob::finished, this, [this] {
        if (m_roots->error().kind != Error::Kind::Cancelled)
            finish(Error::none());
    });
    m_roots->start();
}

void CatalogPublishJob::doAbort()
{
    m_calls.abort();
    if (m_check)
        m_check->abort();
    if (m_roots)
        m_roots->abort();
    finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

} // namespace mf
