#include "appusejob.h"

#include "appuse.h"
#include "hub/hfcachelayout.h"
#include "hub/materializedcache.h"
#include "hub/materializejob.h"
#include "registry/modelsummary.h"
#include "sharedcopy.h"
#include "sync/scrubjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDir>
#include <QFileInfo>

namespace mf {

AppUseJob::AppUseJob(Vault* vault, Request request, QObject* parent)
    : TransferJob(parent)
    , m_vault(vault)
    , m_request(std::move(request))
    , m_uses(AppUses::ofVault(vault->directory()))
{}

AppUseJob::~AppUseJob() = default;

QString AppUseJob::localRepoId(const QString& modelName)
{
    // "/" in the name becomes "--", as the cache's folder names do.
    QString name = modelName;
    return QStringLiteral("modelfloat/") + name.replace(QLatin1Char('/'), QStringLiteral("--"));
}

TransferProgress AppUseJob::progressNow() const
{
    TransferProgress p = m_materialize ? m_materialize->progressNow() : TransferProgress{};
    if (m_materialize && p.stage.isEmpty())
        p.stage = tr("Writing “%1” into the materialized cache").arg(m_request.modelName);
    return p;
}

QString AppUseJob::summary() const
{
    switch (m_outcome) {
    case Outcome::None:
        return {};
    case Outcome::Removed:
        return tr("Took “%1” out of %2").arg(m_use.model, m_use.appName);
    case Outcome::Freed:
        return freedSummary();
    case Outcome::AlreadyThere:
        return tr("“%1” is already in %2 as %3").arg(m_use.model, m_use.appName, m_use.label);
    case Outcome::Placed:
        break;
    }
    if (m_extraBytes > 0)
        return tr("%1 now has “%2” as %3 (a copy: %4 more disk; the folder is on another file "
                  "system than the vault)")
            .arg(m_use.appName, m_use.model, m_use.label, units::formatBytes(m_extraBytes));
    return tr("%1 now has “%2” as %3 (%4 of the materialized copy, %5 not copied)")
        .arg(m_use.appName, m_use.model, m_use.label, m_use.method,
             units::formatBytes(m_use.bytesSaved));
}

void AppUseJob::doStart()
{
    if (m_request.free != Request::Free::No)
        return startFree();
    if (m_request.root.isEmpty())
        m_request.root = appstores::defaultStoreRoot(
            m_request.app, QProcessEnvironment::systemEnvironment(), QDir::homePath());
    const QString key = appstores::appKey(m_request.app);
    if (m_request.remove)
        return takeOut();
    for (const AppUses::Use& use : m_uses.of(m_request.modelName))
        if (use.app == key) {
            m_use = use;
            m_outcome = Outcome::AlreadyThere;
            return finish(Error::none());
        }
    materialize();
}

// The model into the vault's materialized cache, once; onMaterialized() goes on.
void AppUseJob::materialize()
{
    if (!m_vault->registry().modelRows().modelByName(m_request.modelName))
        return finish(
            Error::make(Error::Kind::NotFound,
                        tr("There is no model “%1” in the vault").arg(m_request.modelName)));
    if (m_request.cacheCap < 0)
        m_request.cacheCap = m_vault->cacheBudgetBytes();
    MaterializeJob::Request request;
    request.modelName = m_request.modelName;
    request.destination = MaterializedCache::defaultRoot(m_vault->directory());
    request.layout = MaterializeJob::Layout::HfCache;
    request.localRepoId = localRepoId(m_request.modelName);
    m_materialize = new MaterializeJob(m_vault, request, this);
    connect(m_materialize, &TransferJob::progress, this, &TransferJob::progress);
    connect(m_materialize, &TransferJob::warning, this, &AppUseJob::addWarning);
    connect(m_materialize, &TransferJob::finished, this, &AppUseJob::onMaterialized);
    m_materialize->start();
}

void AppUseJob::doAbort()
{
    m_cancelled->store(true);
    if (m_materialize)
        m_materialize->abort();
    else if (m_check)
        m_check->abort();
}

void AppUseJob::takeOut()
{
    const QString key = appstores::appKey(m_request.app);
    for (const AppUses::Use& use : m_uses.of(m_request.modelName)) {
        if (use.app != key)
            continue;
        QStringList warnings;
        appstores::takeOut(use, &warnings);
        for (const QString& w : std::as_const(warnings))
            addWarning(w);
        QString why;
        if (!m_uses.forget(m_request.modelName, use.app, &why))
            return finish(Error::make(Error::Kind::Fatal, why));
        m_use = use;
        m_outcome = Outcome::Removed;
        return finish(Error::none());
    }
    finish(Error::make(Error::Kind::NotFound,
                       tr("“%1” is not in use by %2")
                           .arg(m_request.modelName, appstores::appName(m_request.app))));
}

void AppUseJob::onMaterialized()
{
    MaterializeJob* job = m_materialize;
    m_materialize = nullptr;
    job->deleteLater();
    if (!job->error().ok())
        return finish(job->error());
    // The cache's entry, then the cache kept under its cap (never evicting this model).
    MaterializedCache cache(MaterializedCache::defaultRoot(m_vault->directory()));
    QString why;
    const QString folder = job->repoFolder().section(QLatin1Char('/'), -1);
    if (!cache.record(m_request.modelName, folder, job->progressNow().totalBytes, &why))
        return finish(Error::make(Error::Kind::Fatal, why));
    qint64 chunkBytes = 0;
    m_evicted =
        cache.fitBudget(m_vault, m_request.cacheCap, m_request.modelName, &chunkBytes, &why);
    if (!why.isEmpty())
        return finish(Error::make(Error::Kind::Fatal, why));
    for (const QString& gone : std::as_const(m_evicted))
        addWarning(tr("Evicted “%1” from the materialized cache (least recently used; cap %2)")
                       .arg(gone, units::formatBytes(m_request.cacheCap)));

    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(m_request.modelName);
    if (!model)
        return finish(Error::make(Error::Kind::NotFound,
                                  tr("“%1” was removed meanwhile").arg(m_request.modelName)));
    appstores::MaterializedModel materialized;
    materialized.model = m_request.modelName;
    if (!hfcache::parseSource(model->source, &materialized.repoId, &materialized.commit))
        materialized.repoId = localRepoId(m_request.modelName);
    materialized.repoFolder = job->repoFolder();
    materialized.commit = job->modelPath().section(QLatin1Char('/'), -1);
    if (m_request.free == Request::Free::Replace)
        return replaceCopies(job->modelPath(),
                             job->filesReused() > 0 ? qint64(0) : job->progressNow().totalBytes);
    for (const FileRecord& f : registry.modelRows().files(model->id))
        materialized.files.append({f.path, f.size, f.sha256, f.metadata});
    AppUses::Use use;
    QStringList warnings;
    if (!appstores::placeModel(m_request.app, m_request.root, materialized, m_request.ollamaName,
                               &use, &warnings, &why))
        return finish(Error::make(Error::Kind::Fatal, why));
    for (const QString& w : std::as_const(warnings))
        addWarning(w);
    if (!m_uses.add(use, &why)) {
        QStringList ignored;
        appstores::takeOut(use, &ignored);
        return finish(Error::make(Error::Kind::Fatal, why));
    }
    qint64 shared = 0;
    for (const AppUses::File& f : std::as_const(use.files))
        if (f.kind == QLatin1String("shared"))
            shared += f.bytes;
    m_extraBytes = use.method == appstores::methodName(appstores::SharedCopy::Method::Copy)
                       ? qMax<qint64>(0, shared - use.bytesSaved)
                       : 0;
    m_use = use;
    m_outcome = Outcome::Placed;
    finish(Error::none());
}

} // namespace mf
