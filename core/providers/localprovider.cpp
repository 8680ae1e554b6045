#include "localprovider.h"
#include "localproviderwork.h"
#include "util/fileio.h"

#include "chunking/chunkbytes.h"
#include "chunking/cid.h"
#include "util/directreader.h"
#include "util/directwriter.h"
#include "util/temporaries.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QMutex>
#include <QPointer>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QWaitCondition>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace mf {

using localfolder::cancelledError;
using localfolder::ensureFolder;
using localfolder::LocalJob;
using localfolder::TemporaryFolder;

namespace {

constexpr qint64 BlockSize = 1 << 20;
constexpr qint64 ProgressIntervalBytes = 4 << 20;

// Flushes an object found in place, and the folder entry that names it.
bool syncExisting(const QString& path, const QString& folder)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::fdatasync(fd) == 0;
    const int err = errno;
    ::close(fd);
    errno = err;
    return ok && syncFolder(folder);
}

enum class Published { New, AlreadyThere, Failed };

// Moves a finished temporary to its object name unless an object is already there (another
// put of the same CID finished first), so that the object's bytes are counted once.
Published publishNoReplace(const char* tmpPath, const char* finalPath)
{
#ifdef RENAME_NOREPLACE
    if (::renameat2(AT_FDCWD, tmpPath, AT_FDCWD, finalPath, RENAME_NOREPLACE) == 0)
        return Published::New;
    if (errno == EEXIST)
        return Published::AlreadyThere;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return Published::Failed;
#endif
    // No renameat2 here (or not on this file system): link() refuses an existing name too.
    if (::link(tmpPath, finalPath) == 0) {
        ::unlink(tmpPath);
        return Published::New;
    }
    if (errno == EEXIST)
        return Published::AlreadyThere;
    if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS)
        return Published::Failed;
    // A file system without hard links: a plain rename, which may replace a concurrent copy.
    return ::rename(tmpPath, finalPath) == 0 ? Published::New : Published::Failed;
}

} // namespace

LocalProvider::LocalProvider(const QString& displayName, const QString& rootPath,
                             const Options& options, QObject* parent)
    : Provider(displayName, parent)
    , m_shared(std::make_shared<Shared>())
    , m_root(QDir::cleanPath(QDir(rootPath).absolutePath()))
    , m_options(options)
{
    m_shared->name = displayName;
    m_shared->root = m_root;
    m_shared->options = options;
    m_pool.setMaxThreadCount(qMax(1, options.maxThreads));
    m_pool.setObjectName(QStringLiteral("local provider ") + displayName);
}

LocalProvider::~LocalProvider()
{
    // Stop what still runs (the application is quitting) rather than finish it, and wait for
    // it so that no worker outlives the pool it runs on. Our jobs (children) are deleted after.
    m_shared->closing = true;
    m_pool.waitForDone();
}

QString LocalProvider::objectPath(const QString& root, const QString& cid)
{
    // flatfs "next-to-last/2": the last characters of a base32 digest are evenly spread,
    // unlike the first ones, which encode the constant CID prefix.
    const QString shard = cid.size() >= 3 ? cid.mid(cid.size() - 3, 2) : QStringLiteral("_");
    return root + QLatin1Char('/') + shard + QLatin1Char('/') + cid;
}

ProviderJob* LocalProvider::findStored(const QString& cid, qint64 size)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, cid, size](LocalJob::Task& task, LocalJob&) -> Error {
            if (!cid::isValid(cid))
                return shared->badLocator(cid);
            if (!shared->rootExists())
                return shared->missingRoot();
            const QString path = objectPath(shared->root, cid);
            const QFileInfo info(path);
            if (!info.isFile())
                return Error::make(
                    Error::Kind::NotFound,
                    QStringLiteral("Chunk %1 is not on provider “%2”").arg(cid, shared->name));
            task.locator = cid;
            task.size = info.size();
            // The chunk (same name, same size). It may have been written in fast mode, or by a
            // process that died before flushing it: flushed now (cheap when it already is),
            // since the registry is about to count on it.
            if (task.size == size && shared->flushing() && !syncExisting(path, info.absolutePath()))
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot flush to provider “%1”: %2")
                                       .arg(shared->name, errnoText(errno)));
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::save(const QString& cid, std::unique_ptr<QIODevice> source, qint64 size)
{
    auto shared = m_shared;
    std::shared_ptr<QIODevice> src(std::move(source));
    return new LocalJob(
        &m_pool,
        [shared, cid, src, size](LocalJob::Task& task, LocalJob& job) -> Error {
            if (!cid::isValid(cid))
                return shared->badLocator(cid);
            if (size < 0)
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Chunk %1 has no size").arg(cid));
            if (!shared->rootExists())
                return shared->missingRoot();
            const QString finalPath = objectPath(shared->root, cid);
            task.locator = cid;
            task.size = size;
            const QString shardDir = QFileInfo(finalPath).absolutePath();
            auto flushFailed = [&](int err) {
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot flush to provider “%1”: %2")
                                       .arg(shared->name, errnoText(err)));
            };
            const QString tmpDir = shared->root + QLatin1String(TemporaryFolder);
            bool newShard = false;
            if (!ensureFolder(shardDir, &newShard) || !ensureFolder(tmpDir))
                return shared->rootExists()
                           ? Error::make(Error::Kind::Fatal,
                                         QStringLiteral("Cannot create folders in “%1” of "
                                                        "provider “%2”: %3")
                                             .arg(shared->root, shared->name, errnoText(errno)))
                           : shared->missingRoot();
            // Named after this process, so that a sweep can tell it from a dead one's.
            QByteArray tmpPath = QFile::encodeName(
                tmpDir + QLatin1Char('/') + temporaries::prefix(cid) + QStringLiteral("XXXXXX"));
            const int fd = ::mkstemp(tmpPath.data());
            if (fd < 0)
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot write to provider “%1”: %2")
                                       .arg(shared->name, errnoText(errno)));
            const int directFd = DirectWriter::openDirect(tmpPath);
            auto fail = [&](Error e) {
                if (directFd >= 0)
                    ::close(directFd);
                ::close(fd);
                ::unlink(tmpPath.constData());
                return e;
            };

            DirectWriter writer(fd, directFd, 0);
            qint64 done = 0;
            qint64 nextProgress = ProgressIntervalBytes;
            // Sends `n` bytes at `data` (null: the writer's staging buffer, just filled).
            auto send = [&](const char* data, qint64 n) -> Error {
                if (task.cancelled || shared->closing)
                    return cancelledError();
                if (shared->options.bandwidth &&
                    !shared->options.bandwidth->acquire(
                        BandwidthLimiter::Direction::Upload, n,
                        [&task, &shared] { return task.cancelled || shared->closing; }))
                    return cancelledError();
                if (!(data ? writer.write(data, n) : writer.write(n))) {
                    const int err = errno;
                    const auto kind = (err == ENOSPC || err == EDQUOT) ? Error::Kind::QuotaExceeded
                                                                       : Error::Kind::Fatal;
                    return Error::make(kind, QStringLiteral("Cannot write to provider “%1”: %2")
                                                 .arg(shared->name, errnoText(err)));
                }
                done += n;
                if (done >= nextProgress) {
                    job.reportProgress(done, size);
                    nextProgress = done + ProgressIntervalBytes;
                }
                return Error::none();
            };
            if (const ChunkBytes* bytes = ChunkBytes::behind(src.get());
                bytes && bytes->size() == size) {
                // The scanner's own memory, aligned: written as it is, not copied first.
                for (const ChunkBytes::Piece& piece : bytes->pieces()) {
                    for (qint64 at = 0; at < piece.size;) {
                        const qint64 n = qMin<qint64>(DirectWriter::BlockSize, piece.size - at);
                        if (Error e = send(piece.data + at, n); !e.ok())
                            return fail(e);
                        at += n;
                    }
                }
            }
            while (done < size) {
                // Fill whole blocks, so that every write but the last is aligned for O_DIRECT.
                const qint64 want = qMin(DirectWriter::BlockSize, size - done);
                qint64 filled = 0;
                while (filled < want) {
                    const qint64 n = src->read(writer.buffer() + filled, want - filled);
                    if (n <= 0)
                        return fail(Error::make(
                            Error::Kind::Fatal,
                            n < 0 ? QStringLiteral("Reading chunk %1 for provider “%2” failed: %3")
                                        .arg(cid, shared->name, src->errorString())
                                  : QStringLiteral("The source of chunk %1 ended after %2 of %3 "
                                                   "bytes")
                                        .arg(cid)
                                        .arg(done + filled)
                                        .arg(size)));
                    filled += n;
                }
                if (Error e = send(nullptr, filled); !e.ok())
                    return fail(e);
            }
            // The bytes first, so that the name the rename gives never points at lost data.
            if (shared->flushing() && ::fdatasync(fd) != 0)
                return fail(flushFailed(errno));
            if (directFd >= 0)
                ::close(directFd);
            if (::close(fd) != 0) {
                const int err = errno;
                ::unlink(tmpPath.constData());
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot write to provider “%1”: %2")
                                       .arg(shared->name, errnoText(err)));
            }
            const QByteArray finalName = QFile::encodeName(finalPath);
            const Published published =
                publishNoReplace(tmpPath.constData(), finalName.constData());
            if (published == Published::Failed) {
                const int err = errno;
                ::unlink(tmpPath.constData());
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot store chunk in provider “%1”: %2")
                                       .arg(shared->name, errnoText(err)));
            }
            if (published == Published::New) {
                shared->addUsed(size);
            } else {
                // Another put of this CID got there first. The same size is the same object
                // (content-addressed); another size is a damaged copy, which ours replaces.
                struct stat st
                {
                };
                const bool there = ::stat(finalName.constData(), &st) == 0;
                if (there && qint64(st.st_size) == size) {
                    ::unlink(tmpPath.constData());
                } else if (::rename(tmpPath.constData(), finalName.constData()) == 0) {
                    shared->addUsed(size - (there ? qint64(st.st_size) : 0));
                } else {
                    const int err = errno;
                    ::unlink(tmpPath.constData());
                    return Error::make(Error::Kind::Fatal,
                                       QStringLiteral("Cannot store chunk in provider “%1”: %2")
                                           .arg(shared->name, errnoText(err)));
                }
            }
            // The rename is only durable once the folder holding the new name is synced (and a
            // new shard folder's own name, in the root). Only then may the registry say stored.
            if (shared->flushing() &&
                (!syncFolder(shardDir) || (newShard && !syncFolder(shared->root))))
                return flushFailed(errno);
            job.reportProgress(size, size);
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::get(const QString& locator, ByteSink* sink, qint64 offset,
                                qint64 length)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, locator, sink, offset, length](LocalJob::Task& task, LocalJob& job) -> Error {
            if (!cid::isValid(locator))
                return shared->badLocator(locator);
            if (!shared->rootExists())
                return shared->missingRoot();
            const QString path = objectPath(shared->root, locator);
            const int fd = ::open(path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                const int err = errno;
                return Error::make(err == ENOENT ? Error::Kind::NotFound : Error::Kind::Fatal,
                                   QStringLiteral("Chunk %1 on provider “%2”: %3")
                                       .arg(locator, shared->name, errnoText(err)));
            }
            struct stat st
            {
            };
            if (::fstat(fd, &st) != 0) {
                const int err = errno;
                ::close(fd);
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Chunk %1 on provider “%2”: %3")
                                       .arg(locator, shared->name, errnoText(err)));
            }
            const qint64 end =
                length < 0 ? qint64(st.st_size) : qMin<qint64>(st.st_size, offset + length);
            // Through the page cache, not O_DIRECT: the kernel's readahead keeps the disk busy
            // with large requests while this thread verifies and writes what it read, where
            // synchronous direct reads left it idle meanwhile (a cold restore from this
            // provider took ~1.3x `cat` + `sync` of its objects with them, bench/float_restore.sh).
            // What was read is dropped from the cache afterwards: an object is read once.
            ::posix_fadvise(fd, offset, end - offset, POSIX_FADV_SEQUENTIAL);
            DirectReader reader(fd, -1);
            qint64 pos = offset;
            qint64 nextProgress = offset + ProgressIntervalBytes;
            Error result;
            while (pos < end) {
                if (task.cancelled || shared->closing) {
                    result = cancelledError();
                    break;
                }
                const qint64 n = reader.read(pos, qMin(BlockSize, end - pos));
                if (n <= 0) {
                    result = Error::make(
                        Error::Kind::Fatal,
                        QStringLiteral("Cannot read chunk %1 on provider “%2”: "
                                       "%3")
                            .arg(locator, shared->name,
                                 n < 0 ? errnoText(errno) : QStringLiteral("file shrank")));
                    break;
                }
                if (shared->options.bandwidth &&
                    !shared->options.bandwidth->acquire(
                        BandwidthLimiter::Direction::Download, n,
                        [&task, &shared] { return task.cancelled || shared->closing; })) {
                    result = cancelledError();
                    break;
                }
                if (!sink->write(reader.buffer(), n)) {
                    result = Error::make(Error::Kind::Fatal, sink->errorString());
                    break;
                }
                pos += n;
                if (pos >= nextProgress) {
                    job.reportProgress(pos - offset, end - offset);
                    nextProgress = pos + ProgressIntervalBytes;
                }
            }
            ::posix_fadvise(fd, offset, pos - offset, POSIX_FADV_DONTNEED);
            ::close(fd);
            task.size = pos - offset;
            return result;
        },
        this);
}

ProviderJob* LocalProvider::stat(const QString& locator)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, locator](LocalJob::Task& task, LocalJob&) -> Error {
            if (!cid::isValid(locator))
                return shared->badLocator(locator);
            if (!shared->rootExists())
                return shared->missingRoot();
            const QFileInfo info(objectPath(shared->root, locator));
            if (!info.isFile())
                return Error::make(
                    Error::Kind::NotFound,
                    QStringLiteral("Chunk %1 is not on provider “%2”").arg(locator, shared->name));
            task.locator = locator;
            task.size = info.size();
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::remove(const QString& locator)
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared, locator](LocalJob::Task&, LocalJob&) -> Error {
            if (!cid::isValid(locator))
                return shared->badLocator(locator);
            if (!shared->rootExists())
                return shared->missingRoot();
            const QByteArray path = objectPath(shared->root, locator).toLocal8Bit();
            struct stat st
            {
            };
            const bool existed = ::stat(path.constData(), &st) == 0;
            if (::unlink(path.constData()) == 0 && existed)
                shared->addUsed(-qint64(st.st_size));
            else if (existed && errno != ENOENT)
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Cannot remove chunk %1 from provider “%2”: %3")
                                       .arg(locator, shared->name, errnoText(errno)));
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::list()
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared](LocalJob::Task& task, LocalJob&) -> Error {
            if (!shared->rootExists())
                return shared->missingRoot();
            QDirIterator it(shared->root, {QStringLiteral("bafkrei*")}, QDir::Files,
                            QDirIterator::Subdirectories);
            while (it.hasNext()) {
                if (task.cancelled || shared->closing)
                    return cancelledError();
                it.next();
                // Only names in their own shard folder count; temporaries live in .tmp.
                if (objectPath(shared->root, it.fileName()) != it.filePath())
                    continue;
                task.objects.append({it.fileName(), it.fileInfo().size(), it.fileName()});
            }
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::usage()
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared](LocalJob::Task& task, LocalJob&) -> Error {
            if (!shared->rootExists())
                return shared->missingRoot();
            task.usage.usedBytes = shared->usedBytes();
            task.usage.quotaBytes = shared->options.quotaBytes;
            const qint64 diskFree = QStorageInfo(shared->root).bytesAvailable();
            task.usage.availableBytes =
                shared->options.quotaBytes >= 0
                    ? qMin(diskFree,
                           qMax<qint64>(0, shared->options.quotaBytes - task.usage.usedBytes))
                    : diskFree;
            return Error::none();
        },
        this);
}

ProviderJob* LocalProvider::sweepTemporaries()
{
    auto shared = m_shared;
    return new LocalJob(
        &m_pool,
        [shared](LocalJob::Task& task, LocalJob&) -> Error {
            if (!shared->rootExists())
                return shared->missingRoot();
            // Only what our puts name: "<cid>.modelfloat-<owner>-XXXXXX", or "<cid>.XXXXXX" from
            // versions that did not name owners; catalog objects' "catalog.modelfloat-<owner>-…".
            static const QRegularExpression ours(
                QStringLiteral("^(bafkrei[a-z2-7]+|catalog)\\..+$"));
            static const QRegularExpression legacy(
                QStringLiteral("^bafkrei[a-z2-7]+\\.[A-Za-z0-9]{6}$"));
            const temporaries::SweepResult swept = temporaries::sweepFolder(
                shared->root + QLatin1String(TemporaryFolder), ours, legacy);
            for (const auto& r : swept.removed)
                task.objects.append({r.name, r.bytes, QString()});
            if (!swept.errors.isEmpty())
                return Error::make(Error::Kind::Fatal,
                                   QStringLiteral("Provider “%1”: %2")
                                       .arg(shared->name, swept.errors.join(QLatin1Char(' '))));
            return Error::none();
        },
        this);
}

QString LocalProvider::locatorFor(const QString& cid, qint64 size) const
{
    Q_UNUSED(size);
    return cid;
}

} // namespace mf
