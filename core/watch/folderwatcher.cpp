#include "folderwatcher.h"

#include "chunking/sha256.h"
#include "registry/modelname.h"
#include "registry/registry.h"
#include "transfer/floatjob.h"
#include "vault/vault.h"
#include "watchlist.h"

#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThreadPool>

namespace mf {

namespace {

constexpr char FloatedKey[] = "watched_floats";

// The unit's files as "relative path -> size", read back from its signature.
QHash<QString, qint64> filesOf(const watchscan::Unit& unit)
{
    QHash<QString, qint64> out;
    for (const QString& line : unit.signature.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QStringList parts = line.split(QLatin1Char('\t'));
        if (parts.size() == 3)
            out.insert(parts.at(0), parts.at(1).toLongLong());
    }
    return out;
}

// The name a model of a watched folder floats as: what a float of it is named by default
// (FloatJob::defaultModelName), except that a model in a Hugging Face cache
// (models--org--name/snapshots/<commit>/...) is "org/name", as an import names it, and not its
// commit.
QString baseName(const watchscan::Unit& unit)
{
    const QStringList parts = QDir::fromNativeSeparators(unit.path).split(QLatin1Char('/'));
    const int snapshots = int(parts.lastIndexOf(QStringLiteral("snapshots")));
    if (snapshots > 0 && snapshots + 1 < parts.size() &&
        parts.at(snapshots - 1).startsWith(QLatin1String("models--"))) {
        const QString repo =
            parts.at(snapshots - 1).mid(8).replace(QLatin1String("--"), QLatin1String("/"));
        const QString name =
            unit.isFolder ? repo
                          : repo + QLatin1Char('/') + FloatJob::defaultModelName({unit.path});
        if (modelname::isValid(name))
            return name;
    }
    return FloatJob::defaultModelName({unit.path});
}

} // namespace

FolderWatcher::FolderWatcher(Hooks hooks, QObject* parent)
    : QObject(parent)
    , m_hooks(std::move(hooks))
    , m_rescan(this) // children: they move to the engine thread with the watcher
    , m_lookTimer(this)
    , m_pool(std::make_unique<QThreadPool>())
    , m_cancelled(std::make_shared<std::atomic_bool>(false))
{
    m_pool->setMaxThreadCount(1);
    m_clock.start();
    m_rescan.setInterval(DefaultRescanMs);
    connect(&m_rescan, &QTimer::timeout, this, &FolderWatcher::look);
    m_lookTimer.setSingleShot(true);
    connect(&m_lookTimer, &QTimer::timeout, this, &FolderWatcher::look);
}

FolderWatcher::~FolderWatcher()
{
    close();
}

void FolderWatcher::setRescanMs(int ms)
{
    m_rescan.setInterval(qMax(1, ms));
}

void FolderWatcher::start(Vault* vault)
{
    m_vault = vault;
    m_vaultDirectory = QFileInfo(vault->directory()).canonicalFilePath();
    *m_cancelled = false;
    loadFloated();
    m_rescan.start();
    reload();
}

void FolderWatcher::close()
{
    // A look or a hash under way stops at its next block; nothing it finds is used.
    *m_cancelled = true;
    m_pool->waitForDone();
    m_rescan.stop();
    m_lookTimer.stop();
    delete m_fsWatcher;
    m_fsWatcher = nullptr;
    m_vault = nullptr;
    m_folders.clear();
    m_seen.clear();
    m_hashing.clear();
    m_looking = false;
    m_lookAgain = false;
}

void FolderWatcher::reload()
{
    if (!m_vault)
        return;
    m_folders = watchlist::folders(m_vault->registry());
    delete m_fsWatcher;
    m_fsWatcher = new QFileSystemWatcher(this);
    // A file created, renamed or removed: look once things settle (the look itself waits for a
    // model to stop growing).
    auto changed = [this] {
        if (!m_lookTimer.isActive())
            m_lookTimer.start(qMin(m_stableMs, 1'000));
    };
    connect(m_fsWatcher, &QFileSystemWatcher::directoryChanged, this, changed);
    connect(m_fsWatcher, &QFileSystemWatcher::fileChanged, this, changed);
    lookSoon();
}

void FolderWatcher::lookSoon()
{
    if (m_vault)
        m_lookTimer.start(0);
}

void FolderWatcher::retryDeferred()
{
    if (!m_deferred || (m_hooks.mayFloat && !m_hooks.mayFloat()))
        return;
    m_deferred = false;
    lookSoon();
}

void FolderWatcher::look()
{
    if (!m_vault || m_folders.isEmpty())
        return;
    if (m_looking) {
        m_lookAgain = true;
        return;
    }
    m_looking = true;
    const QStringList roots = m_folders;
    const QString skip = m_vaultDirectory;
    auto cancelled = m_cancelled;
    m_pool->start([this, roots, skip, cancelled] {
        QList<watchscan::Result> results;
        for (const QString& root : roots) {
            if (*cancelled)
                return;
            results.append(watchscan::scan(root, skip));
        }
        // Queued to this object's thread; close() waits for this task before the object can go.
        QMetaObject::invokeMethod(
            this, [this, results] { onLooked(results); }, Qt::QueuedConnection);
    });
}

void FolderWatcher::onLooked(const QList<watchscan::Result>& results)
{
    m_looking = false;
    if (!m_vault)
        return;
    loadFloated(); // with what another process watching the same folders floated meanwhile
    QStringList paths;
    int files = 0;
    bool waiting = false;
    QSet<QString> present;
    const qint64 now = m_clock.elapsed();
    for (const watchscan::Result& r : results) {
        files += r.files;
        for (const QString& d : r.watchPaths)
            if (paths.size() < MaxWatchedPaths)
                paths.append(d);
        for (const watchscan::Unit& unit : r.units) {
            present.insert(unit.path);
            if (unit.downloading) {
                m_seen.remove(unit.path); // stable only from the look after it finished
                waiting = true;
                continue;
            }
            const auto seen = m_seen.find(unit.path);
            if (seen == m_seen.end() || seen->signature != unit.signature) {
                if (m_floated.value(unit.path).signature != unit.signature) {
                    m_seen.insert(unit.path, {unit.signature, now});
                    waiting = true;
                }
                continue;
            }
            if (now - seen->sinceMs < m_stableMs) {
                waiting = true;
                continue;
            }
            consider(unit);
        }
    }
    // Gone from the folder: forgotten here, kept in the vault.
    for (auto it = m_seen.begin(); it != m_seen.end();)
        it = present.contains(it.key()) ? std::next(it) : m_seen.erase(it);
    if (m_fsWatcher) {
        const QStringList watched = m_fsWatcher->directories() + m_fsWatcher->files();
        QStringList added;
        for (const QString& d : std::as_const(paths))
            if (!watched.contains(d))
                added.append(d);
        // What changed in a newly watched path between this look's read and now made no
        // event: look again. (Paths the watcher refuses, past inotify's limit, are left to the
        // rescan; they must not make the looks go round.)
        if (!added.isEmpty() && m_fsWatcher->addPaths(added).size() < added.size())
            m_lookAgain = true;
    }
    Q_EMIT looked(files);
    if (m_lookAgain) {
        m_lookAgain = false;
        lookSoon();
    } else if (waiting) {
        m_lookTimer.start(m_stableMs);
    }
}

void FolderWatcher::consider(const watchscan::Unit& unit)
{
    const auto floated = m_floated.constFind(unit.path);
    if (floated != m_floated.cend() && floated->signature == unit.signature)
        return; // floated already, unchanged
    if (m_hashing.contains(unit.path))
        return;
    if (m_hooks.mayFloat && !m_hooks.mayFloat()) {
        // Background work waits; the engine calls lookSoon() once it may run, and the periodic
        // rescan looks anyway.
        m_deferred = true;
        return;
    }
    const QString base = baseName(unit);
    const QString name = floated != m_floated.cend() ? floated->model : base;
    ModelRows& models = m_vault->registry().modelRows();
    const std::optional<ModelRecord> existing = models.modelByName(name);
    if (!existing) {
        queue(unit, name);
        return;
    }
    if (!sameFilesAndSizes(existing->id, unit)) {
        queue(unit, newVersionName(base));
        return;
    }
    if (existing->state != ModelRecord::State::Complete) {
        // The vault's queue is floating these very files (a float an earlier run left
        // unfinished resumes by itself).
        remember(unit, name);
        return;
    }
    checkHashes(unit, name, existing->id);
}

bool FolderWatcher::sameFilesAndSizes(qint64 modelId, const watchscan::Unit& unit)
{
    const QHash<QString, qint64> files = filesOf(unit);
    const QList<FileRecord> recorded = m_vault->registry().modelRows().files(modelId);
    if (recorded.size() != files.size())
        return false;
    for (const FileRecord& f : recorded)
        if (files.value(f.path, -1) != f.size)
            return false;
    return true;
}

// Same files, same sizes: the bytes decide. Read on the watcher's thread, never the engine's.
void FolderWatcher::checkHashes(const watchscan::Unit& unit, const QString& model, qint64 modelId)
{
    QHash<QString, QByteArray> want; // absolute path -> recorded SHA-256 (hex)
    const QDir dir(unit.isFolder ? unit.path : QFileInfo(unit.path).absolutePath());
    for (const FileRecord& f : m_vault->registry().modelRows().files(modelId))
        want.insert(dir.filePath(f.path), f.sha256);
    m_hashing.insert(unit.path);
    auto cancelled = m_cancelled;
    m_pool->start([this, unit, model, want, cancelled] {
        bool same = true;
        for (auto it = want.cbegin(); same && it != want.cend(); ++it) {
            const auto digest = Sha256::hashFile(it.key(), cancelled.get());
            if (*cancelled)
                return;
            same = digest && digest->toHex() == it.value();
        }
        QMetaObject::invokeMethod(
            this,
            [this, unit, model, same] {
                m_hashing.remove(unit.path);
                if (!m_vault)
                    return;
                if (same)
                    remember(unit, model);
                else
                    queue(unit, newVersionName(baseName(unit)));
            },
            Qt::QueuedConnection);
    });
}

QString FolderWatcher::newVersionName(const QString& base)
{
    ModelRows& models = m_vault->registry().modelRows();
    for (int n = 2;; ++n) {
        const QString name = modelname::withSuffix(base, QStringLiteral(" (%1)").arg(n));
        if (!models.modelByName(name))
            return name;
    }
}

void FolderWatcher::queue(const watchscan::Unit& unit, const QString& name)
{
    FloatRequest request;
    request.paths = {unit.path};
    request.modelName = name;
    // Kept before it is queued: a float that fails is shown in Transfers, where it can be
    // retried, and is not queued again at every look. Another process watching the same folder
    // may have queued it meanwhile: then it is that one's.
    if (!remember(unit, name))
        return;
    const qint64 id = m_hooks.queueFloat ? m_hooks.queueFloat(std::move(request)) : 0;
    Q_EMIT floatQueued(unit.path, name, id);
}

bool FolderWatcher::remember(const watchscan::Unit& unit, const QString& model)
{
    m_seen.remove(unit.path);
    // Read, checked and written under the registry's write lock: the app and `watch run` on one
    // vault each keep this record, and neither may queue what the other has, or write over
    // what the other added.
    bool claimed = false;
    const bool written = m_vault->registry().transaction([&] {
        loadFloated();
        const auto it = m_floated.constFind(unit.path);
        if (it != m_floated.cend() && it->signature == unit.signature)
            return true; // recorded by the other process
        m_floated.insert(unit.path, {model, unit.signature});
        claimed = true;
        return saveFloated();
    });
    if (!written) {
        loadFloated(); // what the vault holds; the next look tries again
        return false;
    }
    return claimed;
}

void FolderWatcher::loadFloated()
{
    m_floated.clear();
    const QJsonObject all =
        QJsonDocument::fromJson(
            m_vault->registry().settings().setting(QLatin1String(FloatedKey)).toUtf8())
            .object();
    for (auto it = all.begin(); it != all.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        m_floated.insert(it.key(), {o.value(QLatin1String("model")).toString(),
                                    o.value(QLatin1String("signature")).toString()});
    }
}

bool FolderWatcher::saveFloated()
{
    QJsonObject all;
    for (auto it = m_floated.cbegin(); it != m_floated.cend(); ++it)
        all.insert(it.key(), QJsonObject{{QStringLiteral("model"), it->model},
                                         {QStringLiteral("signature"), it->signature}});
    return m_vault->registry().settings().setSetting(
        QLatin1String(FloatedKey),
        QString::fromUtf8(QJsonDocument(all).toJson(QJsonDocument::Compact)));
}

} // namespace mf
