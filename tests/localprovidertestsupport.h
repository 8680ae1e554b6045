#pragma once

// The fixture of the LocalProvider suites (tst_localprovider, tst_localproviderjobs): a provider
// on a fresh temporary folder for every test, sinks and sources that misbehave on cue, and
// RUN_JOB, which checks that a job finishes exactly once and never from inside start().

#include "chunking/cid.h"
#include "providers/localprovider.h"
#include "providers/providerfactory.h"
#include "providers/providerprobe.h"
#include "testsupport.h"

#include <QBuffer>
#include <QDir>
#include <QDirIterator>
#include <QMutex>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <cstdio>
#include <memory>
#include <sys/stat.h>

namespace mf::test {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr int Timeout = 120000; // generous: the sanitizer build is slow

// Collects what a get delivers. Called from the provider's worker thread.
class BufferSink final : public ByteSink
{
public:
    bool write(const char* data, qint64 size) override
    {
        QMutexLocker lock(&m_mutex);
        m_data.append(data, size);
        return true;
    }
    QString errorString() const override { return {}; }
    QByteArray bytes()
    {
        QMutexLocker lock(&m_mutex);
        return m_data;
    }

private:
    QMutex m_mutex;
    QByteArray m_data;
};

// Holds the worker inside its first write until the test opens the gate.
class GateSink final : public ByteSink
{
public:
    bool write(const char*, qint64 size) override
    {
        if (m_writes.fetch_add(1) == 0) {
            entered.release();
            gate.acquire();
        }
        m_bytes += size;
        return true;
    }
    QString errorString() const override { return {}; }
    qint64 bytes() const { return m_bytes; }

    QSemaphore entered;
    QSemaphore gate;

private:
    std::atomic_int m_writes{0};
    std::atomic<qint64> m_bytes{0};
};

// A slow consumer, to be destroyed right after its job: from its third write on, each write
// takes a while (bounded, so a job that waits for its worker is not stuck forever).
class SlowSink final : public ByteSink
{
public:
    bool write(const char*, qint64 size) override
    {
        if (++m_writes > 2)
            QThread::msleep(200);
        m_bytes += size;
        return true;
    }
    QString errorString() const override { return {}; }
    std::atomic_int m_writes{0};
    std::atomic<qint64> m_bytes{0};
};

// A source that yields `good` bytes (in reads of at most `step`, optionally sleeping before
// each) and then ends early or fails, as a file on a dying disk or a dropped stream would.
class ScriptedSource final : public QIODevice
{
public:
    enum class Ending { Eof, Error };
    ScriptedSource(qint64 good, Ending ending, int sleepMs = 0, qint64 step = 64 * KiB)
        : m_good(good)
        , m_ending(ending)
        , m_sleepMs(sleepMs)
        , m_step(step)
    {
        open(QIODevice::ReadOnly | QIODevice::Unbuffered);
    }
    bool isSequential() const override { return true; }
    std::atomic<qint64> delivered{0};

protected:
    qint64 readData(char* data, qint64 maxSize) override
    {
        if (m_sleepMs > 0)
            QThread::msleep(m_sleepMs);
        const qint64 pos = delivered;
        if (pos >= m_good) {
            if (m_ending == Ending::Eof)
                return 0;
            setErrorString(QStringLiteral("cable unplugged"));
            return -1;
        }
        const qint64 n = qMin(qMin(maxSize, m_step), m_good - pos);
        memset(data, 'z', size_t(n));
        delivered += n;
        return n;
    }
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    qint64 m_good;
    Ending m_ending;
    int m_sleepMs;
    qint64 m_step;
};

inline std::unique_ptr<QIODevice> bufferOf(const QByteArray& data)
{
    auto b = std::make_unique<QBuffer>();
    b->setData(data);
    b->open(QIODevice::ReadOnly);
    return b;
}

// Entries of a folder (recursively), files only, as paths relative to it.
inline QStringList filesUnder(const QString& dir)
{
    QStringList out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(QDir(dir).relativeFilePath(it.next()));
    out.sort();
    return out;
}

struct FileId
{
    ino_t inode = 0;
    qint64 mtimeNs = -1;
    bool operator==(const FileId& o) const { return inode == o.inode && mtimeNs == o.mtimeNs; }
};
inline FileId fileId(const QString& path)
{
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return {st.st_ino, qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// The helper process of atomicityUnderKill(): a put of a source that never ends, announced on
// stdout once its first bytes have been read.
inline int childPut(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 4)
        return 2;
    LocalProvider provider(QStringLiteral("child"), QString::fromLocal8Bit(argv[2]), {});
    auto source = std::make_unique<ScriptedSource>(qint64(1) << 40, ScriptedSource::Ending::Eof, 5);
    ProviderJob* job =
        provider.put(QString::fromLatin1(argv[3]), std::move(source), qint64(1) << 40);
    QObject::connect(job, &ProviderJob::finished, &app, [] { QCoreApplication::exit(3); });
    job->start();
    std::printf("started\n");
    std::fflush(stdout);
    return app.exec();
}

// Starts `job`, checks that finished() does not come from inside start(), and waits for it to
// come exactly once.
#define RUN_JOB(job)                                                                               \
    do {                                                                                           \
        QSignalSpy finishedSpy_((job), &ProviderJob::finished);                                    \
        (job)->start();                                                                            \
        QCOMPARE(finishedSpy_.count(), 0);                                                         \
        QVERIFY(finishedSpy_.wait(Timeout));                                                       \
        QCoreApplication::processEvents();                                                         \
        QCOMPARE(finishedSpy_.count(), 1);                                                         \
        QVERIFY((job)->isFinished());                                                              \
    } while (0)

// The fixture every suite of this family derives from: its state and helpers; each suite
// forwards its fixture slots (init, cleanup) here.
class LocalProviderTestBase : public QObject
{
protected:
    void init();
    void cleanup();
    std::unique_ptr<LocalProvider> makeProvider(const LocalProvider::Options& options = {});
    QString tmpDir() const { return m_root + QStringLiteral("/.tmp"); }
    // Stores `data` under its CID with a fresh job; returns the CID.
    QString store(LocalProvider& p, const QByteArray& data);
    QByteArray fetch(LocalProvider& p, const QString& locator, qint64 offset = 0,
                     qint64 length = -1, Error* error = nullptr);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_root;
    std::unique_ptr<LocalProvider> m_p;
};

inline void LocalProviderTestBase::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_root = m_dir->filePath(QStringLiteral("store"));
    QVERIFY(QDir().mkpath(m_root));
    m_p = makeProvider();
}

inline void LocalProviderTestBase::cleanup()
{
    m_p.reset();
    m_dir.reset();
}

inline std::unique_ptr<LocalProvider>
LocalProviderTestBase::makeProvider(const LocalProvider::Options& options)
{
    return std::make_unique<LocalProvider>(QStringLiteral("test disk"), m_root, options);
}

inline QString LocalProviderTestBase::store(LocalProvider& p, const QByteArray& data)
{
    const QString id = cid::ofData(data);
    std::unique_ptr<ProviderJob> job(p.put(id, bufferOf(data), data.size()));
    [&] { RUN_JOB(job.get()); }();
    if (!job->error().ok())
        qWarning() << "put failed:" << job->error().message;
    return job->isFinished() && job->error().ok() ? job->locator() : QString();
}

inline QByteArray LocalProviderTestBase::fetch(LocalProvider& p, const QString& locator,
                                               qint64 offset, qint64 length, Error* error)
{
    BufferSink sink;
    std::unique_ptr<ProviderJob> job(p.get(locator, &sink, offset, length));
    [&] { RUN_JOB(job.get()); }();
    if (error)
        *error = job->error();
    return job->error().ok() ? sink.bytes() : QByteArray("<failed>");
}

} // namespace mf::test
