#pragma once

// What the files that implement LocalProvider share (localprovider.cpp: chunk objects;
// localprovider_catalog.cpp: catalog objects): the job that runs their work on the provider's
// pool, the state that work shares with the provider, and folder helpers.

#include "localprovider.h"
#include "providerjob.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QPointer>
#include <QThreadPool>
#include <QWaitCondition>

#include <atomic>
#include <cerrno>
#include <functional>
#include <sys/stat.h>

namespace mf {

namespace localfolder {

// A job whose work runs on the provider's pool. The worker never touches the job object except
// to post results to it; the destructor waits for a still-running worker so that callers'
// sinks and sources are never used after the job is gone.
class LocalJob final : public ProviderJob
{
public:
    struct Task
    {
        std::atomic_bool cancelled{false};
        QString locator;
        qint64 size = -1;
        bool alreadyStored = false;
        QList<StoredObject> objects;
        ProviderUsage usage;
        QByteArray data;
        QList<CatalogObject> catalogObjects;
        QDateTime serverTime;
        QMutex mutex;
        QWaitCondition doneCondition;
        bool running = false;
    };
    using Work = std::function<Error(Task&, LocalJob&)>;

    LocalJob(QThreadPool* pool, Work work, Provider* adapter)
        : ProviderJob(adapter)
        , m_pool(pool)
        , m_work(std::move(work))
    {}

    ~LocalJob() override
    {
        m_task->cancelled = true;
        QMutexLocker lock(&m_task->mutex);
        while (m_task->running)
            m_task->doneCondition.wait(&m_task->mutex);
    }

    // Called by the worker; posts a progress signal to the job's thread.
    void reportProgress(qint64 done, qint64 total)
    {
        QMetaObject::invokeMethod(
            this, [this, done, total] { Q_EMIT progress(done, total); }, Qt::QueuedConnection);
    }

protected:
    void doStart() override
    {
        // A job may be reparented and outlive its provider; its pool is gone then.
        if (!m_pool) {
            finish(Error::make(Error::Kind::Fatal,
                               QStringLiteral("The provider of this operation was closed")));
            return;
        }
        auto task = m_task;
        task->running = true;
        m_pool->start([this, task] {
            const Error result = m_work(*task, *this);
            QMetaObject::invokeMethod(
                this,
                [this, result] {
                    m_locator = m_task->locator;
                    m_objectSize = m_task->size;
                    m_alreadyStored = m_task->alreadyStored;
                    m_objects = std::move(m_task->objects);
                    m_usage = m_task->usage;
                    m_data = std::move(m_task->data);
                    m_catalogObjects = std::move(m_task->catalogObjects);
                    m_serverTime = m_task->serverTime;
                    finish(result);
                },
                Qt::QueuedConnection);
            QMutexLocker lock(&task->mutex);
            task->running = false;
            task->doneCondition.wakeAll();
        });
    }

    void doAbort() override { m_task->cancelled = true; }

private:
    QPointer<QThreadPool> m_pool;
    Work m_work;
    std::shared_ptr<Task> m_task = std::make_shared<Task>();
};

inline Error cancelledError()
{
    return Error::make(Error::Kind::Cancelled, QStringLiteral("Cancelled"));
}

// Where puts and catalog writes keep their temporaries, below the provider's root.
constexpr char TemporaryFolder[] = "/.tmp";

// Creates one folder level; never a whole path, so a root that vanished (an unmounted disk) is
// not recreated as an empty folder on the disk underneath.
inline bool ensureFolder(const QString& path, bool* created = nullptr)
{
    const bool made = ::mkdir(QFile::encodeName(path).constData(), 0777) == 0;
    if (created)
        *created = made;
    return made || errno == EEXIST;
}

} // namespace localfolder

struct LocalProvider::Shared
{
    QString name;
    QString root;
    LocalProvider::Options options;

    Error missingRoot() const
    {
        return Error::make(Error::Kind::Fatal,
                           QStringLiteral("The folder “%1” of provider “%2” does not exist; was "
                                          "it moved, or is its disk not mounted?")
                               .arg(root, name));
    }
    bool rootExists() const { return QFileInfo(root).isDir(); }
    bool flushing() const { return !options.flush || options.flush->load(); }
    Error badLocator(const QString& locator) const
    {
        return Provider::notAnObjectName(locator, name);
    }

    // Bytes stored, counted once by walking the folder and then kept up to date by put and
    // remove, so that usage() does not walk thousands of files each time. (The quota is judged
    // where placements are chosen, PlacementRows::beginPlacement, not here.)
    qint64 usedBytes()
    {
        QMutexLocker lock(&usedMutex);
        return usedLocked();
    }
    void addUsed(qint64 delta)
    {
        QMutexLocker lock(&usedMutex);
        if (used >= 0)
            used += delta;
    }
    QMutex usedMutex;
    qint64 used = -1;
    // Set when the provider is destroyed: running work stops instead of being waited for.
    std::atomic_bool closing{false};

private:
    qint64 usedLocked()
    {
        if (used < 0) {
            qint64 sum = 0;
            QDirIterator it(root, {QStringLiteral("bafkrei*")}, QDir::Files,
                            QDirIterator::Subdirectories);
            while (it.hasNext()) {
                it.next();
                // Only objects count: not temporaries left in .tmp by a crash, not strays.
                if (objectPath(root, it.fileName()) == it.filePath())
                    sum += it.fileInfo().size();
            }
            used = sum;
        }
        return used;
    }
};

} // namespace mf
