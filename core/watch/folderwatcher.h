#pragma once

#include "requests/floatrequest.h"
#include "watchscan.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>

class QFileSystemWatcher;
class QThreadPool;

namespace mf {

class Vault;

// Keeps the vault's watched folders floating by themselves (docs/watch.md): every model file
// that appears or changes in one is floated, as a normal queued float, once it has stopped
// growing. It lives on the engine thread; it reads folders on a thread of its own and asks the
// registry only on its own thread.
//
// - Stable: a model is floated only when two looks at least stableMs() apart saw the same files
//   with the same sizes and modification times, and none of its files is a partial download.
// - Once: what it floated is kept in the vault's settings ("watched_floats": path, signature,
//   model name); an unchanged model is never floated again, and a model the vault already has
//   under its name with the same files (sizes, then SHA-256) is taken as floated. The record is
//   shared: of the app and `watch run` watching one vault, only the first queues a model.
// - A changed model floats as a new version: "NAME (2)", then "NAME (3)", ...; the earlier
//   versions stay. A file removed from a watched folder never leaves the vault.
// - Background work: nothing is queued while `mayFloat` says no (sync paused, on battery, on a
//   metered network); it is queued at the next look once allowed.
class FolderWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FolderWatcher)

public:
    struct Hooks
    {
        // Queues the float; its transfer id.
        std::function<qint64(FloatRequest request)> queueFloat;
        // Whether background work may start now.
        std::function<bool()> mayFloat;
    };
    static constexpr int DefaultStableMs = 5'000;
    static constexpr int DefaultRescanMs = 120'000;
    // Folders and model files given to the file-system watcher at most (inotify's watches are a
    // per-user limit); the periodic rescan covers the rest of a larger tree.
    static constexpr int MaxWatchedPaths = 2'000;

    explicit FolderWatcher(Hooks hooks, QObject* parent = nullptr);
    ~FolderWatcher() override;

    // The vault is open: reads its watched folders and looks at them.
    void start(Vault* vault);
    // Before the vault closes.
    void close();
    // The list of watched folders changed (watchlist.h): follows it.
    void reload();
    // Something changed (sync resumed, the power state): looks again soon.
    void lookSoon();
    // Background work may start again (the scheduler's state changed): a model that waited for
    // it is looked at again.
    void retryDeferred();

    // How long a model must stay unchanged before it floats (tests shorten it).
    void setStableMs(int ms) { m_stableMs = qMax(1, ms); }
    int stableMs() const { return m_stableMs; }
    // How often every watched folder is looked at again whatever the file-system watcher says.
    void setRescanMs(int ms);

    QStringList folders() const { return m_folders; }

Q_SIGNALS:
    // A model of a watched folder was queued to float as `modelName`.
    void floatQueued(const QString& path, const QString& modelName, qint64 transferId);
    // A look ended: `files` looked at in every watched folder.
    void looked(int files);

private:
    struct Seen
    {
        QString signature;
        qint64 sinceMs = 0; // m_clock when this signature was first seen
    };
    struct Floated
    {
        QString model;
        QString signature;
    };
    void look();
    void onLooked(const QList<watchscan::Result>& results);
    void consider(const watchscan::Unit& unit);
    // The model of the vault named `name` holds the unit's files with the same sizes.
    bool sameFilesAndSizes(qint64 modelId, const watchscan::Unit& unit);
    void checkHashes(const watchscan::Unit& unit, const QString& model, qint64 modelId);
    void queue(const watchscan::Unit& unit, const QString& name);
    QString newVersionName(const QString& base);
    // Records the unit as floated as `model`; false when another process recorded it first with
    // the same files (or the record could not be written).
    bool remember(const watchscan::Unit& unit, const QString& model);
    // The record of what was floated, kept in the vault, which another process may change.
    void loadFloated();
    bool saveFloated();

    Hooks m_hooks;
    Vault* m_vault = nullptr;
    QStringList m_folders;
    QString m_vaultDirectory; // canonical: never looked into
    int m_stableMs = DefaultStableMs;
    QFileSystemWatcher* m_fsWatcher = nullptr;
    QTimer m_rescan;
    QTimer m_lookTimer; // single shot: the next look
    QElapsedTimer m_clock;
    std::unique_ptr<QThreadPool> m_pool; // one thread: looks and hashes, in turn
    std::shared_ptr<std::atomic_bool> m_cancelled;
    bool m_looking = false;
    bool m_lookAgain = false;
    bool m_deferred = false;           // a stable model waits for background work to be allowed
    QHash<QString, Seen> m_seen;       // by unit path
    QHash<QString, Floated> m_floated; // by unit path, as kept in the vault
    QSet<QString> m_hashing;           // units whose hashes are being compared
};

} // namespace mf
