// AppUseJob's `free`: the apps' own copies of a floated model replaced by the one shared copy,
// or removed outright, once the model's floated copies are there and verified.
#include "appusejob.h"

#include "hub/materializedcache.h"
#include "registry/modelsummary.h"
#include "sync/scrubjob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QPromise>
#include <QThreadPool>

#include <openssl/crypto.h>

namespace mf {

namespace {

struct Found
{
    QList<appstores::AppCopy> copies;
    QStringList notes;
};

// The stores to look in: every app's, or one app's (its folder when given).
QList<appstores::StoreRoot> storesToScan(const AppUseJob::Request& r)
{
    if (!r.everyApp && !r.root.isEmpty())
        return {{r.app, QDir(r.root).absolutePath(), QStringLiteral("--root")}};
    QList<appstores::StoreRoot> roots;
    for (const appstores::StoreRoot& root :
         appstores::storeRoots(QProcessEnvironment::systemEnvironment(), QDir::homePath()))
        if (r.everyApp || root.app == r.app)
            roots.append(root);
    return roots;
}

} // namespace

// Empty when the model has every copy the vault wants and each was read back and checked.
QString AppUseJob::notVerified() const
{
    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(m_request.modelName);
    if (!model)
        return tr("There is no model “%1” in the vault").arg(m_request.modelName);
    const int wanted = registry.healthRows().wantedCopies();
    const ModelSummary s = summarizeModel(registry, *model, wanted);
    if (s.health(wanted) != QLatin1String("healthy") || !s.lastVerified.isValid())
        return tr("“%1” is not yet floated with every copy verified: the apps' own copies stay "
                  "until it is (Verify it first)")
            .arg(m_request.modelName);
    return {};
}

void AppUseJob::startFree()
{
    if (const QString why = notVerified(); !why.isEmpty())
        return finish(Error::make(Error::Kind::Fatal, why));
    // As offload does: copies not looked at for a day are looked at now, so "every copy is
    // there" rests on what the providers hold today.
    ScrubJob::Options options;
    options.intervalSecs = ScrubJob::FreshSecs;
    options.scope.modelIds = {m_vault->registry().modelRows().modelByName(m_request.modelName)->id};
    m_check = std::make_unique<ScrubJob>(m_vault, options);
    connect(m_check.get(), &ScrubJob::progress, this, &AppUseJob::progress);
    connect(m_check.get(), &ScrubJob::finished, this, &AppUseJob::onFreshChecked);
    m_check->start();
}

void AppUseJob::onFreshChecked()
{
    std::unique_ptr<ScrubJob> check = std::move(m_check);
    const Error e = check->error();
    const int unchecked = check->report().unreachable;
    check.release()->deleteLater();
    if (!e.ok())
        return finish(e);
    if (unchecked > 0)
        return finish(Error::make(
            Error::Kind::Retryable,
            tr("%1 copies of “%2” could not be checked (a provider did not answer), so the apps' "
               "copies were left as they are; try again when it answers")
                .arg(unchecked)
                .arg(m_request.modelName)));
    if (const QString why = notVerified(); !why.isEmpty())
        return finish(Error::make(Error::Kind::Fatal, why));

    Registry& registry = m_vault->registry();
    const auto model = registry.modelRows().modelByName(m_request.modelName);
    QList<appstores::ModelFile> files;
    for (const FileRecord& f : registry.modelRows().files(model->id))
        files.append({f.path, f.size, f.sha256});
    const QSet<QString> skip = appstores::writtenByUse(m_uses);
    const QList<appstores::StoreRoot> roots = storesToScan(m_request);
    // The scan reads the stores' small files; LM Studio's copies of a file's size are hashed.
    // Off this thread; the result comes back through a watcher this job owns.
    auto promise = std::make_shared<QPromise<Found>>();
    auto* watcher = new QFutureWatcher<Found>(this);
    connect(watcher, &QFutureWatcher<Found>::finished, this, [this, watcher] {
        watcher->deleteLater();
        const Found found = watcher->future().result();
        onCopiesFound(found.copies, found.notes);
    });
    watcher->setFuture(promise->future());
    promise->start();
    auto cancelled = m_cancelled;
    QThreadPool::globalInstance()->start([promise, cancelled, files, skip, roots] {
        const appstores::Census census = appstores::takeCensus(roots, false, cancelled.get());
        // The census's own warnings are about the stores at large (`scan` shows them), not
        // about this model's copies: only what was left of those is said.
        Found found;
        found.copies = appstores::confirmedCopies(appstores::appCopiesOf(census, files, skip),
                                                  cancelled.get(), &found.notes);
        OPENSSL_thread_stop(); // as every hashing pool task does (cmd_cid.cpp)
        promise->addResult(found);
        promise->finish();
    });
}

void AppUseJob::onCopiesFound(const QList<appstores::AppCopy>& copies, const QStringList& notes)
{
    if (m_cancelled->load())
        return finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
    for (const QString& note : notes)
        addWarning(note);
    m_copies = copies;
    if (copies.isEmpty()) {
        m_outcome = Outcome::Freed;
        return finish(Error::none());
    }
    if (m_request.free == Request::Free::Remove)
        return removeCopies();
    materialize(); // then replaceCopies()
}

void AppUseJob::removeCopies()
{
    for (const appstores::AppCopy& copy : std::as_const(m_copies)) {
        qint64 bytes = 0;
        QString why;
        if (!appstores::removeCopy(copy, &bytes, &why)) {
            addWarning(why);
            continue;
        }
        m_freed += bytes;
        m_freedCopies.append(copy);
    }
    m_outcome = Outcome::Freed;
    finish(Error::none());
}

void AppUseJob::replaceCopies(const QString& snapshot, qint64 newBytes)
{
    qint64 freed = 0;
    QList<appstores::AppCopy> replaced;
    for (const appstores::AppCopy& copy : std::as_const(m_copies)) {
        const QString shared =
            QFileInfo(snapshot + QLatin1Char('/') + copy.modelFile.path).canonicalFilePath();
        const auto now = appstores::identityOf(copy.file);
        if (!now || !(*now == copy.identity)) {
            addWarning(tr("Left “%1”: it changed since it was checked").arg(copy.file));
            continue;
        }
        if (const auto same = appstores::identityOf(shared); same && *same == *now)
            continue; // already the shared copy
        qint64 bytes = 0;
        QString why;
        if (!appstores::replaceByLink(shared, copy.file, &bytes, &why)) {
            addWarning(why);
            continue;
        }
        appstores::AppCopy done = copy;
        done.identity = *appstores::identityOf(copy.file);
        replaced.append(done);
        freed += bytes;
    }
    QString why;
    if (!recordReplaced(replaced, &why))
        addWarning(why);
    m_freedCopies = replaced;
    m_freed = qMax<qint64>(0, freed - newBytes);
    m_outcome = Outcome::Freed;
    finish(Error::none());
}

// Each replaced copy becomes a use of its app, as `use` records one: the In use by box, `use
// MODEL`, `use --remove` and the question before removing the model all see it. The app's own
// entries naming it (Ollama's manifest, the cache's link) are part of it, so taking the model
// out of the app takes them too, each only while unchanged.
bool AppUseJob::recordReplaced(const QList<appstores::AppCopy>& replaced, QString* error)
{
    QList<AppUses::Use> uses;
    for (const appstores::AppCopy& copy : replaced) {
        const QString key = appstores::appKey(copy.app);
        auto it = std::find_if(uses.begin(), uses.end(),
                               [&](const AppUses::Use& u) { return u.app == key; });
        if (it == uses.end()) {
            AppUses::Use use;
            for (const AppUses::Use& known : m_uses.of(m_request.modelName))
                if (known.app == key)
                    use = known;
            use.model = m_request.modelName;
            use.app = key;
            use.appName = appstores::appName(copy.app);
            if (use.root.isEmpty())
                use.root = copy.root;
            if (use.method.isEmpty())
                use.method = appstores::methodName(appstores::SharedCopy::Method::HardLink);
            uses.append(use);
            it = uses.end() - 1;
        }
        for (const QString& label : copy.labels)
            if (!it->label.split(QStringLiteral(", ")).contains(label))
                it->label = it->label.isEmpty() ? label : it->label + QStringLiteral(", ") + label;
        it->bytesSaved += copy.size;
        it->files.append({copy.file, QStringLiteral("shared"), QString(), copy.identity.device,
                          copy.identity.inode, copy.identity.bytes});
        for (const QString& entry : copy.entries) {
            if (entry == copy.file)
                continue;
            const auto id = appstores::identityOf(entry);
            if (!id)
                continue;
            const bool link = QFileInfo(entry).isSymLink();
            it->files.append({entry, link ? QStringLiteral("symlink") : QStringLiteral("written"),
                              link ? QFileInfo(entry).symLinkTarget() : QString(), id->device,
                              id->inode, id->bytes});
        }
    }
    for (const AppUses::Use& use : std::as_const(uses))
        if (!m_uses.add(use, error))
            return false;
    if (!uses.isEmpty())
        m_use = uses.first();
    return true;
}

QString AppUseJob::freedSummary() const
{
    if (m_copies.isEmpty())
        return tr("No app keeps a copy of “%1” of its own: nothing to free")
            .arg(m_request.modelName);
    if (m_freedCopies.isEmpty())
        return tr("Freed nothing: every copy of “%1” was left as it was (see the warnings)")
            .arg(m_request.modelName);
    const QString where = appstores::placesOf(m_freedCopies);
    if (m_request.free == Request::Free::Remove) {
        QStringList apps;
        for (const appstores::AppCopy& c : m_freedCopies)
            if (!apps.contains(appstores::appName(c.app)))
                apps.append(appstores::appName(c.app));
        const QString copies =
            m_freedCopies.size() == 1 ? tr("the copy") : tr("%1 copies").arg(m_freedCopies.size());
        const QString noLonger =
            apps.size() == 1 ? tr("%1 no longer has “%2”") : tr("%1 no longer have “%2”");
        return tr("Removed %1 from %2: %3 freed. %4; it stays floating in the vault, verified")
            .arg(copies, where, units::formatBytes(m_freed),
                 noLonger.arg(apps.join(QStringLiteral(", ")), m_request.modelName));
    }
    if (m_freedCopies.size() == 1)
        return tr("Replaced the copy of “%1” the app kept (%2) by the one shared copy: %3 freed")
            .arg(m_request.modelName, where, units::formatBytes(m_freed));
    return tr("Replaced %1 copies of “%2” the apps kept (%3) by the one shared copy: %4 freed")
        .arg(m_freedCopies.size())
        .arg(m_request.modelName, where, units::formatBytes(m_freed));
}

} // namespace mf
