#include "catalogsyncjob.h"

#include "catalogkeyloader.h"
#include "manifestshards.h"
#include "placementcheck.h"
#include "scrubjob.h"
#include "vault/vault.h"

#include <QDateTime>

#include <algorithm>
#include <memory>
#include <utility>

namespace mf {

namespace {
constexpr int MaxStatsPerSync = 256; // more chunks to look for: one listing is cheaper
constexpr int ParallelStats = 8;
constexpr int OrphanChecksPerSync = 2048;
// The objects found untrusted and said so, "<provider>\t<name>" a line, the newest kept.
const QString UntrustedSaidSetting = QStringLiteral("catalog.untrusted_said");
constexpr int MaxUntrustedRemembered = 500;
} // namespace

CatalogSyncJob::CatalogSyncJob(Vault* vault, const Options& options, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_options(options)
{}

CatalogSyncJob::CatalogSyncJob(Vault* vault, QObject* parent)
    : CatalogSyncJob(vault, Options(), parent)
{}

CatalogSyncJob::~CatalogSyncJob() = default;

void CatalogSyncJob::doStart()
{
    // Only states signed with the vault's key are acted upon: none is read before it is here.
    CatalogKeyLoader::withKey(m_vault, this, [this](const Error& error) {
        if (isFinished())
            return;
        if (!error.ok()) {
            finish(error);
            return;
        }
        m_readsUnsigned = m_vault->registry().settings().setting(
                              CatalogKeyLoader::readsUnsignedSetting()) == QLatin1String("1");
        listProviders();
    });
}

void CatalogSyncJob::listProviders()
{
    m_providers = CatalogProviders::of(m_vault, m_options.providers);
    for (const QString& w : std::as_const(m_providers.unusable))
        addWarning(tr("The catalog could not be read from provider %1").arg(w));
    m_report.withoutCatalog = m_providers.withoutCatalogNames();
    listStates();
}

void CatalogSyncJob::listStates()
{
    m_calls.fanOut(
        m_providers.usable,
        [](const CatalogProviders::Entry& p) {
            return p.provider->listCatalogObjects(QStringLiteral("states"));
        },
        [this](const CatalogProviders::Entry& p, ProviderJob& job) {
            if (!job.error().ok()) {
                addWarning(tr("The catalog could not be read from provider “%1”: %2")
                               .arg(p.name, job.error().message));
                return;
            }
            m_listed.append(p.id);
            const qint64 published = m_vault->registry().catalogRows().catalogSeq();
            for (const CatalogObject& o : job.catalogObjects()) {
                QString vault;
                qint64 seq = 0;
                if (!catalog::parseStateName(o.name, &vault, &seq)) {
                    if (o.name.startsWith(QLatin1String("states/")))
                        addWarning(tr("The object %1 on provider “%2” is not named as a catalog "
                                      "state; it was ignored")
                                       .arg(o.name, p.name));
                    continue;
                }
                if (vault != m_vault->id())
                    m_copies[vault].append({seq, p});
                else if (seq > published)
                    m_ownNewer.append({seq, p});
            }
        },
        [this] {
            if (!m_providers.usable.isEmpty() && m_listed.isEmpty()) {
                finish(Error::make(Error::Kind::Fatal,
                                   tr("No provider's catalog could be read (see the warnings)")));
                return;
            }
            std::sort(m_ownNewer.begin(), m_ownNewer.end(),
                      [](const Copy& a, const Copy& b) { return a.seq > b.seq; });
            checkOwnNewer();
        });
}

void CatalogSyncJob::checkOwnNewer()
{
    // A state of this vault newer than the registry's: another writer under this vault's id (a
    // copied vault folder), or a registry older than what this vault published. Never write
    // below what is there — but only a state read and found whole raises the counter: a name
    // alone (a stray file, a sync tool's copy, a hostile writer) would push every later state
    // out of reach.
    if (m_ownNewer.isEmpty()) {
        compareOthers();
        return;
    }
    const Copy c = m_ownNewer.takeFirst();
    const QString name = catalog::stateName(m_vault->id(), c.seq);
    m_calls.call(c.provider.provider->readCatalogObject(name), [this, c, name](ProviderJob& job) {
        if (!job.error().ok()) {
            checkOwnNewer();
            return;
        }
        QString why;
        const auto state = catalog::decodeState(job.data(), m_vault->catalogKey(), &why);
        if (state && (state->vault != m_vault->id() || state->seq != c.seq))
            why = tr("it names another vault or version");
        if (!state || !why.isEmpty()) {
            ignored(name, c.provider, why);
            checkOwnNewer();
            return;
        }
        if (!catalog::trusted(state->signedBy, m_readsUnsigned)) {
            untrusted(name, c.provider, state->signedBy);
            checkOwnNewer();
            return;
        }
        Registry& registry = m_vault->registry();
        addWarning(tr("A provider holds this vault's catalog at version %1, newer than this "
                      "registry's %2: was the vault folder copied to another computer? Recover "
                      "the copy into a vault of its own.")
                       .arg(c.seq)
                       .arg(registry.catalogRows().catalogSeq()));
        registry.catalogRows().raiseCatalogSeq(c.seq);
        m_ownNewer.clear();
        compareOthers();
    });
}

void CatalogSyncJob::compareOthers()
{
    Registry& registry = m_vault->registry();
    for (auto it = m_copies.begin(); it != m_copies.end(); ++it) {
        // Newest first; among equal copies, the providers' order (listings answer in any order,
        // reads go the same way every run).
        std::sort(it->begin(), it->end(), [this](const Copy& a, const Copy& b) {
            return a.seq != b.seq ? a.seq > b.seq : rank(a.provider.id) < rank(b.provider.id);
        });
        if (it->first().seq > registry.catalogRows().catalogVaultSeq(it.key()))
            m_toRead.append(it.key());
    }
    m_toRead.sort();
    m_report.vaults = int(m_copies.size());
    readNextState();
}

int CatalogSyncJob::rank(qint64 providerId) const
{
    for (int i = 0; i < m_providers.usable.size(); ++i)
        if (m_providers.usable.at(i).id == providerId)
            return i;
    return int(m_providers.usable.size());
}

void CatalogSyncJob::readNextState()
{
    if (m_toRead.isEmpty()) {
        m_differences = m_vault->registry().catalogRows().catalogDifferences();
        applyNext();
        return;
    }
    const QString vault = m_toRead.takeFirst();
    const qint64 known = m_vault->registry().catalogRows().catalogVaultSeq(vault);
    QList<Copy> copies;
    for (const Copy& c : m_copies.value(vault))
        if (c.seq > known)
            copies.append(c);
    readCopy(vault, copies);
}

void CatalogSyncJob::readCopy(QString vault, QList<Copy> copies)
{
    if (copies.isEmpty()) {
        // Newer states that are all a stranger's (said as such) leave what is known as it is:
        // nothing trustworthy is newer.
        if (!m_untrustedVaults.contains(vault))
            m_report.unresolved.append(
                tr("the catalog of vault %1: no whole copy of its newer state was found")
                    .arg(vault));
        readNextState();
        return;
    }
    const Copy c = copies.takeFirst();
    const QString name = catalog::stateName(vault, c.seq);
    m_calls.call(c.provider.provider->readCatalogObject(name), [this, vault, copies, c,
                                                                name](ProviderJob& job) {
        if (!job.error().ok()) {
            if (job.error().kind != Error::Kind::NotFound) // NotFound: pruned since listed
                addWarning(tr("Reading %1 from provider “%2” failed: %3")
                               .arg(name, c.provider.name, job.error().message));
            readCopy(vault, copies);
            return;
        }
        QString why;
        const auto state = catalog::decodeState(job.data(), m_vault->catalogKey(), &why);
        if (state && (state->vault != vault || state->seq != c.seq))
            why = tr("it names another vault or version");
        if (!state || !why.isEmpty()) {
            damaged(name, c.provider, why);
            readCopy(vault, copies);
            return;
        }
        // Not written with this vault's key: never obeyed (no removal, no model added), and an
        // older copy that is may still be read.
        if (!catalog::trusted(state->signedBy, m_readsUnsigned)) {
            untrusted(name, c.provider, state->signedBy);
            m_untrustedVaults.insert(vault);
            readCopy(vault, copies);
            return;
        }
        noteRemovals(*state);
        if (!m_vault->registry().catalogRows().storeCatalogState(vault, state->seq, state->entries,
                                                                 state->tombstones)) {
            finish(Error::make(Error::Kind::Fatal, m_vault->registry().lastError()));
            return;
        }
        ++m_report.statesRead;
        readNextState();
    });
}

// Before a newer state of another vault replaces what is known of it: the models it removes
// since (an entry of its own it no longer lists, a tombstone it adds), so that a removal can say
// who made it and when.
void CatalogSyncJob::noteRemovals(const catalog::VaultState& state)
{
    Registry& registry = m_vault->registry();
    QList<CatalogEntry> before;
    QStringList tombstonesBefore;
    if (!registry.catalogRows().catalogOwnState(state.vault, &before, &tombstonesBefore))
        return; // only for what is said about a removal
    QSet<QString> listed;
    for (const CatalogEntry& e : state.entries)
        listed.insert(e.uid);
    const QPair<QString, qint64> by{state.vault, state.written};
    for (const CatalogEntry& e : std::as_const(before))
        if (!listed.contains(e.uid))
            m_removedBy.insert(e.uid, by);
    const QSet<QString> known(tombstonesBefore.cbegin(), tombstonesBefore.cend());
    for (const QString& eid : state.tombstones)
        if (!known.contains(eid))
            if (const QString uid = registry.catalogRows().catalogEntryUid(eid); !uid.isEmpty())
                m_removedBy.insert(uid, by);
}

void CatalogSyncJob::applyNext()
{
    Registry& registry = m_vault->registry();
    while (!m_differences.isEmpty()) {
        const CatalogRows::CatalogDifference d = m_differences.takeFirst();
        if (!d.shown) {
            const auto model = registry.modelRows().model(d.modelId);
            const CatalogRows::CatalogRemoval removal =
                registry.catalogRows().removeCatalogModel(d.modelId);
            if (removal == CatalogRows::CatalogRemoval::Removed) {
                ++m_report.modelsRemoved;
                m_report.removedModels.append(d.modelId);
                const auto by = m_removedBy.value(d.uid);
                m_report.removals.append(
                    {d.modelId, model ? model->name : d.uid, by.first, by.second});
            } else if (removal == CatalogRows::CatalogRemoval::Failed)
                m_report.unresolved.append(
                    tr("“%1” was removed on another computer but stays: %2")
                        .arg(model ? model->name : d.uid, registry.lastError()));
            continue;
        }
        // Manifests are read from any provider: every copy is checked against its name.
        importEntry(d, m_providers.usable);
        return;
    }
    findPlacements();
}

QString CatalogSyncJob::describe(const Report::Removal& removal)
{
    QString who = tr("another computer");
    if (!removal.vault.isEmpty()) {
        const QString vault = removal.vault.left(8); // a UUID: its first group tells them apart
        who = removal.stateWritten > 0
                  ? tr("another computer (vault %1, in its catalog of %2)")
                        .arg(vault, QDateTime::fromSecsSinceEpoch(removal.stateWritten, Qt::UTC)
                                        .toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'")))
                  : tr("another computer (vault %1)").arg(vault);
    }
    return tr("“%1” was removed on %2 that shares these providers, and its chunks were freed "
              "there; this vault has taken the removal in")
        .arg(removal.name, who);
}

void CatalogSyncJob::importEntry(const CatalogRows::CatalogDifference& d,
                                 QList<CatalogProviders::Entry> from)
{
    if (from.isEmpty()) {
        m_report.unresolved.append(tr("“%1”: its manifest %2 could not be read from any provider")
                                       .arg(d.shown->name, d.shown->manifest));
        applyNext();
        return;
    }
    const CatalogProviders::Entry p = from.takeFirst();
    const QString name = catalog::manifestName(d.shown->manifest);
    m_calls.call(p.provider->readCatalogObject(name), [this, d, from, p, name](ProviderJob& job) {
        if (!job.error().ok()) {
            // Too large (refused by its size, or its read stopped at the limit): damaged.
            if (job.error().kind == Error::Kind::Corrupt)
                damaged(name, p, job.error().message);
            else if (job.error().kind != Error::Kind::NotFound)
                addWarning(tr("Reading %1 from provider “%2” failed: %3")
                               .arg(name, p.name, job.error().message));
            importEntry(d, from);
            return;
        }
        QString why;
        const auto manifest = catalog::decodeManifest(job.data(), d.shown->manifest, &why);
        if (manifest && manifest->uid != d.uid)
            why = tr("it describes another model");
        if (!manifest || !why.isEmpty()) {
            damaged(name, p, why);
            importEntry(d, from);
            return;
        }
        QList<QPair<FileRecord, QList<FileChunk>>> files;
        for (const catalog::ManifestFile& f : manifest->files)
            files.append({f.file, f.chunks});
        Registry& registry = m_vault->registry();
        // The model and what its manifest says of its shards, taken in together or not at all.
        std::optional<qint64> id;
        registry.transaction([&] {
            id = registry.catalogRows().importCatalogModel(*d.shown, manifest->model, files);
            if (id && !manifestshards::record(registry, *id, manifest->files))
                id.reset();
            return id.has_value();
        });
        if (!id) {
            m_report.unresolved.append(
                tr("“%1” could not be taken in: %2").arg(d.shown->name, registry.lastError()));
        } else {
            (d.modelId == 0 ? m_report.modelsAdded : m_report.modelsChanged)++;
            m_touchedModels.append(*id);
            m_report.changedModels.append(*id);
            Q_EMIT progress();
        }
        applyNext();
    });
}

void CatalogSyncJob::findPlacements()
{
    m_inSync = m_listed.size() == m_providers.usable.size() && m_providers.unusable.isEmpty() &&
               m_report.unresolved.isEmpty() &&
               m_vault->registry().catalogRows().catalogDifferences().isEmpty();
    if (m_report.changedModels.isEmpty()) {
        findCopies();
        return;
    }
    // What this registry lists already of the chunks of the models taken in or changed now may
    // be stale: copies kept from a model removed here (orphans kept for later floats, not asked
    // for again within the hour) that another vault's collect deleted since. They are asked for
    // first, and those gone forgotten, so that such a model is not called healthy on copies that
    // are not there; the look below then finds where they are.
    m_placementCheck = new PlacementCheck(m_vault, m_report.changedModels, this);
    m_placementCheck->run([this] {
        if (isAborting() || isFinished())
            return;
        m_placementCheck->deleteLater();
        m_placementCheck = nullptr;
        findCopies();
    });
}

void CatalogSyncJob::findCopies()
{
    // Models taken in by a sync that was stopped before it found their copies (and models
    // whose copies are all gone, which may be found again): looked for as if taken in now.
    for (const qint64 id : m_vault->registry().healthRows().modelsWithUncopiedChunks())
        if (!m_touchedModels.contains(id))
            m_touchedModels.append(id);
    // Chunks are looked for on every provider, those that keep no catalog too.
    const QList<CatalogProviders::Entry> holders = m_providers.usable + m_providers.withoutCatalog;
    if ((!m_options.fullScan && m_touchedModels.isEmpty()) || holders.isEmpty()) {
        checkOrphans();
        return;
    }
    m_placementsLeft = int(holders.size());
    for (const CatalogProviders::Entry& p : holders)
        findOn(p);
}

void CatalogSyncJob::findOn(const CatalogProviders::Entry& p)
{
    const QHash<QString, qint64> missing = m_vault->registry().placementRows().chunksMissingOn(
        p.id, m_options.fullScan ? QList<qint64>() : m_touchedModels);
    if (missing.isEmpty()) {
        placementsDone(p, {}, Error::none());
        return;
    }
    bool named = true;
    QList<QPair<QString, qint64>> todo;
    for (auto it = missing.begin(); it != missing.end(); ++it) {
        if (p.provider->locatorFor(it.key(), it.value()).isEmpty())
            named = false;
        todo.append({it.key(), it.value()});
    }
    if (named && !m_options.fullScan && todo.size() <= MaxStatsPerSync) {
        statOn(p, todo, {});
        return;
    }
    if (named) {
        listOn(p, missing, {});
        return;
    }
    // Objects a listing cannot name (IPFS DAG roots): the vaults' states on this provider say.
    QStringList states;
    for (auto it = m_copies.begin(); it != m_copies.end(); ++it)
        for (const Copy& c : *it)
            if (c.provider.id == p.id) {
                states.append(catalog::stateName(it.key(), c.seq));
                break; // the newest on this provider
            }
    readLocators(p, states, missing);
}

void CatalogSyncJob::readLocators(const CatalogProviders::Entry& p, QStringList states,
                                  QHash<QString, qint64> missing)
{
    auto locators = std::make_shared<QHash<QString, QString>>();
    auto next = std::make_shared<std::function<void(QStringList)>>();
    // The function refers to itself weakly; each pending read holds it.
    std::weak_ptr<std::function<void(QStringList)>> self = next;
    *next = [this, p, missing, locators, self](QStringList left) {
        if (left.isEmpty()) {
            listOn(p, missing, *locators);
            return;
        }
        const QString name = left.takeFirst();
        m_calls.call(p.provider->readCatalogObject(name), [this, p, name, left, locators,
                                                           next = self.lock()](ProviderJob& job) {
            QString why;
            const auto state = job.error().ok()
                                   ? catalog::decodeState(job.data(), m_vault->catalogKey(), &why)
                                   : std::nullopt;
            if (job.error().ok() && !state)
                damaged(name, p, why);
            if (state && !catalog::trusted(state->signedBy, m_readsUnsigned))
                untrusted(name, p, state->signedBy);
            else if (state)
                for (auto it = state->locators.begin(); it != state->locators.end(); ++it)
                    locators->insert(it.key(), it.value());
            (*next)(left);
        });
    };
    (*next)(states);
}

void CatalogSyncJob::listOn(const CatalogProviders::Entry& p, QHash<QString, qint64> missing,
                            QHash<QString, QString> locators)
{
    QHash<QString, QString> byLocator; // locator -> chunk, from the states
    for (auto it = locators.begin(); it != locators.end(); ++it)
        if (missing.contains(it.key()))
            byLocator.insert(it.value(), it.key());
    m_calls.call(p.provider->list(), [this, p, missing, byLocator](ProviderJob& job) {
        if (!job.error().ok()) {
            placementsDone(p, {}, job.error());
            return;
        }
        QList<Placement> found;
        int wrongSize = 0;
        for (const StoredObject& o : job.objects()) {
            QString cid = o.cid;
            if (cid.isEmpty() || !missing.contains(cid))
                cid = byLocator.value(o.locator);
            if (cid.isEmpty() || !missing.contains(cid))
                continue;
            if (o.size >= 0 && o.size != missing.value(cid)) {
                ++wrongSize; // torn or foreign: not a copy of the chunk
                continue;
            }
            Placement placement;
            placement.cid = cid;
            placement.providerId = p.id;
            placement.locator = o.locator;
            placement.state = PlacementState::Stored;
            found.append(placement);
        }
        if (wrongSize > 0)
            addWarning(tr("%1 objects on provider “%2” have another size than the chunk they are "
                          "named after; they are not counted as copies")
                           .arg(wrongSize)
                           .arg(p.name));
        placementsDone(p, found, Error::none());
    });
}

void CatalogSyncJob::statOn(const CatalogProviders::Entry& p, QList<QPair<QString, qint64>> todo,
                            QList<Placement> found)
{
    struct Shared
    {
        QList<QPair<QString, qint64>> todo;
        QList<Placement> found;
        int running = 0;
        Error error;
        std::function<void()> pump;
    };
    auto shared = std::make_shared<Shared>();
    shared->todo = std::move(todo);
    shared->found = std::move(found);
    // The pump refers to the state weakly; each pending stat holds it.
    std::weak_ptr<Shared> weak = shared;
    shared->pump = [this, p, weak] {
        const std::shared_ptr<Shared> s = weak.lock();
        while (s->running < ParallelStats && !s->todo.isEmpty()) {
            const auto [cid, size] = s->todo.takeFirst();
            const QString locator = p.provider->locatorFor(cid, size);
            ++s->running;
            m_calls.call(p.provider->stat(locator), [s, p, cid = cid, size = size,
                                                     locator](ProviderJob& job) {
                --s->running;
                if (job.error().ok() && (job.objectSize() < 0 || job.objectSize() == size)) {
                    Placement placement;
                    placement.cid = cid;
                    placement.providerId = p.id;
                    placement.locator = locator;
                    placement.state = PlacementState::Stored;
                    s->found.append(placement);
                } else if (!job.error().ok() && job.error().kind != Error::Kind::NotFound) {
                    s->error = job.error();
                }
                s->pump();
            });
        }
        if (s->running == 0 && s->todo.isEmpty())
            placementsDone(p, s->found, s->error);
    };
    shared->pump();
}

void CatalogSyncJob::placementsDone(const CatalogProviders::Entry& p, const QList<Placement>& found,
                                    const Error& error)
{
    if (!error.ok())
        addWarning(tr("The chunks on provider “%1” could not all be checked: %2")
                       .arg(p.name, error.message));
    if (!found.isEmpty()) {
        const int added = m_vault->registry().placementRows().recordFoundPlacements(p.id, found);
        if (added < 0)
            addWarning(m_vault->registry().lastError());
        else
            m_report.placementsFound += added;
    }
    if (--m_placementsLeft == 0)
        checkOrphans();
}

// Copies of orphans (chunks no model here uses) are kept for later floats, and another vault's
// collect may have deleted them since: those not checked for an hour are asked for (a stat or
// HEAD each, at most OrphanChecksPerSync), and the ones found missing are forgotten. So a collect
// elsewhere reaches this registry at its next sync, not only when a float would count them.
void CatalogSyncJob::checkOrphans()
{
    // Copies of the models taken in or changed now that this registry knew missing or corrupt,
    // and that have their copies elsewhere again (the vault that floated them placed them again
    // there, and the look above found them), are forgotten as a repair forgets them: verify
    // would otherwise call such a model damaged over copies it does not need.
    if (!m_touchedModels.isEmpty() && m_vault->registry().scrubRows().retireReplacedCopies(
                                          m_vault->replicationFactor(), m_touchedModels) < 0) {
        finish(Error::make(Error::Kind::Fatal, m_vault->registry().lastError()));
        return;
    }
    ScrubJob::Options o;
    o.pass = ScrubRows::ScrubPass::Check;
    o.intervalSecs = 3600;
    o.limit = OrphanChecksPerSync;
    o.scope.orphansOnly = true;
    m_orphanCheck = new ScrubJob(m_vault, o, this);
    connect(m_orphanCheck, &TransferJob::finished, this, [this] {
        ScrubJob* check = std::exchange(m_orphanCheck, nullptr);
        check->deleteLater();
        if (!check->error().ok()) {
            finish(check->error());
            return;
        }
        const int forgotten = m_vault->registry().scrubRows().forgetMissingOrphanCopies();
        if (forgotten < 0) {
            finish(Error::make(Error::Kind::Fatal, m_vault->registry().lastError()));
            return;
        }
        m_report.orphanCopiesForgotten = forgotten;
        finish(Error::none());
    });
    m_orphanCheck->start();
}

QSet<qint64> CatalogSyncJob::sharedProviders() const
{
    QSet<qint64> out;
    for (const QList<Copy>& copies : m_copies)
        for (const Copy& c : copies)
            out.insert(c.provider.id);
    return out;
}

void CatalogSyncJob::damaged(const QString& object, const CatalogProviders::Entry& p,
                             const QString& why)
{
    const QString text =
        tr("The catalog object %1 on provider “%2” is damaged (%3); another copy is used")
            .arg(object, p.name, why);
    m_report.damaged.append(text);
    addWarning(text);
}

void CatalogSyncJob::ignored(const QString& object, const CatalogProviders::Entry& p,
                             const QString& why)
{
    const QString text =
        tr("The catalog object %1 on provider “%2” is not a state of this vault (%3); it was "
           "ignored")
            .arg(object, p.name, why);
    m_report.damaged.append(text);
    addWarning(text);
}

void CatalogSyncJob::untrusted(const QString& object, const CatalogProviders::Entry& p,
                               const catalog::SignedBy& signedBy)
{
    // Said once per object: a stranger's file stays where it is, and every later sync passes it
    // by in silence.
    Registry& registry = m_vault->registry();
    const QString said = p.name + QLatin1Char('\t') + object;
    QStringList reported = registry.settings()
                               .setting(UntrustedSaidSetting)
                               .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (reported.contains(said))
        return;
    reported.append(said);
    while (reported.size() > MaxUntrustedRemembered)
        reported.removeFirst();
    registry.settings().setSetting(UntrustedSaidSetting, reported.join(QLatin1Char('\n')));
    const QString text =
        tr("The catalog object %1 in store “%2” was not written by your computers (%3); it was "
           "ignored. If it is another computer of yours, both need the same recovery key "
           "(Settings › Recovery key, or `modelfloat-cli vault key show` there and `vault key "
           "import` here); one still on an older ModelFloat needs updating first.")
            .arg(object, p.name, catalog::untrustedReason(signedBy));
    m_report.untrusted.append(text);
    addWarning(text);
}

void CatalogSyncJob::doAbort()
{
    m_calls.abort();
    if (m_placementCheck)
        m_placementCheck->abort(); // its callback is not called
    if (m_orphanCheck)
        m_orphanCheck->abort(); // its finished() comes after ours: finish() ignores it
    finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void CatalogSyncJob::ending(Error& error)
{
    // The models added count those a stopped sync took in and did not report (kept by the
    // registry with each model taken in).
    if (error.ok())
        m_report.modelsAdded =
            qMax(m_report.modelsAdded, m_vault->registry().catalogRows().takeCatalogModelsAdded());
    // The first whole sync with a new key took in what older versions wrote: from now on only
    // signed states count (this vault's next publish signs its own).
    if (error.ok() && m_readsUnsigned && !m_listed.isEmpty())
        m_vault->registry().settings().setSetting(CatalogKeyLoader::readsUnsignedSetting(),
                                                  QString());
}

} // namespace mf
