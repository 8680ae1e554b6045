#include "fileassembler.h"
#include "util/fileio.h"

#include "chunkfetcher.h"
#include "followinghasher.h"
#include "offsetchunkwriter.h"
#include "util/directreader.h"
#include "util/directwriter.h"
#include "util/temporaries.h"
#include "util/units.h"
#include "vault/providerspeeds.h"
#include "vault/vault.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <QStorageInfo>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mf {

namespace {
mode_t defaultFileMode()
{
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return 0666 & ~mask;
}

// The temporary's name: hidden, beside the destination, named after this process. A long
// destination name is shortened so that the temporary's name still fits the file system's limit
// (255 bytes on every common one), or a file with a long name could never be restored.
QByteArray temporaryPattern(const QString& dir, const QString& fileName)
{
    constexpr qsizetype MaxName = 255;
    const QByteArray suffix =
        QFile::encodeName(temporaries::prefix(QString())) + QByteArrayLiteral("XXXXXX");
    QString name = fileName;
    while (!name.isEmpty() && 1 + QFile::encodeName(name).size() + suffix.size() > MaxName)
        name.chop(name.size() > 1 && name.at(name.size() - 1).isLowSurrogate() ? 2 : 1);
    return QFile::encodeName(dir) + "/." + QFile::encodeName(name) + suffix;
}

} // namespace

FileAssembler::FileAssembler(Vault* vault, const FileRecord& file, const QString& destinationPath,
                             const Options& options, QObject* parent)
    : QObject(parent)
    , m_vault(vault)
    , m_file(file)
    , m_destination(destinationPath)
    , m_options(options)
{}

FileAssembler::~FileAssembler()
{
    for (auto& [fetcher, writer] : m_fetches) {
        fetcher->disconnect(this);
        delete fetcher; // its job's worker finishes before the writer below goes
    }
    m_fetches.clear();
    m_hasher.reset();
    cleanUp();
}

void FileAssembler::start()
{
    const QFileInfo dest(m_destination);
    if (dest.exists() && !m_options.overwrite) {
        finish(Error::make(Error::Kind::Fatal, tr("“%1” already exists").arg(m_destination)));
        return;
    }
    if (dest.isDir()) {
        finish(Error::make(Error::Kind::Fatal, tr("“%1” is a folder").arg(m_destination)));
        return;
    }
    // Before creating any folder: a refused restore leaves nothing behind.
    if (m_file.state != FileRecord::State::Complete) {
        finish(Error::make(
            Error::Kind::NotFound,
            tr("“%1” was never completely floated; float it again to finish it").arg(m_file.path)));
        return;
    }
    const QString dir = dest.absolutePath();
    m_flush = m_vault->flushWrites();
    if (!makeFolders(dir, m_flush)) {
        finish(Error::make(Error::Kind::Fatal,
                           tr("Cannot create the folder “%1”: %2").arg(dir, errnoText(errno))));
        return;
    }
    // A full disk is reported before any byte moves. Checked, not claimed with fallocate():
    // on ext4, direct writes into fallocated (unwritten) extents each convert them in the
    // journal, which made a 2 GiB restore five times slower. Space taken by someone else
    // meanwhile still ends the restore cleanly, through the writers' ENOSPC.
    const qint64 freeBytes = QStorageInfo(dir).bytesAvailable();
    if (m_file.size > 0 && freeBytes >= 0 && freeBytes < m_file.size) {
        finish(Error::make(Error::Kind::QuotaExceeded,
                           tr("Not enough free space in “%1” for “%2”: it needs %3, %4 are free")
                               .arg(dir, m_file.path, units::formatBytes(m_file.size),
                                    units::formatBytes(freeBytes))));
        return;
    }
    Registry& registry = m_vault->registry();
    m_chunks = registry.modelRows().fileChunks(m_file.id);
    m_placements =
        registry.placementRows().placementsOfFile(m_file.id); // not the model's: linear in files
    // Removed by another process since the file was looked up: its manifest is gone (or going),
    // and a restore of it would wait for chunks nobody will fetch.
    qint64 covered = 0;
    for (const FileChunk& c : std::as_const(m_chunks))
        covered += c.size;
    if (covered != m_file.size) {
        finishRemoved();
        return;
    }
    // A provider's link is kept busy by a few requests at once; with copies on several, each
    // gets as many (at least one in all, or a restore asked for with 0 would wait forever).
    QSet<qint64> holders;
    for (const QList<Placement>& replicas : std::as_const(m_placements))
        for (const Placement& p : replicas)
            if (p.state == PlacementState::Stored)
                holders.insert(p.providerId);
    const int perProvider = qMax(0, m_options.parallelFetches);
    m_parallel = qBound(1, perProvider * int(qMax<qsizetype>(1, holders.size())),
                        qMax(MaxParallelFetches, perProvider));

    // The temporary file lives beside the destination, so the final rename is atomic.
    m_tempPath = temporaryPattern(dir, dest.fileName());
    m_fd = ::mkstemp(m_tempPath.data());
    if (m_fd < 0) {
        m_tempPath.clear();
        finish(Error::make(Error::Kind::Fatal,
                           tr("Cannot write in “%1”: %2").arg(dir, errnoText(errno))));
        return;
    }
    ::fchmod(m_fd, defaultFileMode());
    m_directFd = DirectWriter::openDirect(m_tempPath);
    m_done = QList<bool>(m_chunks.size(), false);
    m_directReadFd = DirectReader::openDirect(m_tempPath);
    QList<qint64> offsets;
    for (const FileChunk& c : std::as_const(m_chunks))
        offsets.append(c.offset);
    m_hasher = std::make_unique<FollowingHasher>(m_fd, m_directReadFd, m_file.size, offsets);
    connect(m_hasher.get(), &FollowingHasher::finished, this, &FileAssembler::onHashed);
    connect(m_hasher.get(), &FollowingHasher::advanced, this, &FileAssembler::fetchMore);
    m_hasher->start();
    fetchMore();
}

void FileAssembler::abort()
{
    if (m_finished)
        return;
    finish(Error::make(Error::Kind::Cancelled, tr("Cancelled")));
}

void FileAssembler::fetchMore()
{
    while (m_error.ok() && int(m_fetches.size()) < m_parallel && m_nextChunk < m_chunks.size()) {
        const FileChunk& chunk = m_chunks.at(m_nextChunk);
        // No further ahead of the whole-file hash than the copies it keeps waiting: an offer
        // that does not fit is read back from the disk, and a hash that fell behind then read
        // back nearly the whole file (1.8 of 2 GiB), a third more disk traffic. One fetch always
        // runs, however large its chunk; the hash passing a chunk start calls this again.
        if (!m_fetches.empty() &&
            chunk.offset + chunk.size - m_hasher->hashedTo() > m_hasher->offerLimit()) {
            if (!widenWindow())
                break;
            continue;
        }
        ++m_nextChunk;
        auto writer = std::make_unique<OffsetChunkWriter>(
            m_fd, m_directFd, chunk.offset, chunk.size, m_destination, m_hasher.get());
        auto* fetcher =
            new ChunkFetcher(m_vault, chunk, m_placements.value(chunk.cid), writer.get(), this);
        connect(fetcher, &ChunkFetcher::finished, this, [this, fetcher] { onFetched(fetcher); });
        m_fetches.emplace(fetcher, std::move(writer));
        fetcher->start();
    }
}

bool FileAssembler::widenWindow()
{
    // Only when the hash waits on a chunk still coming over a slow link: the links, not the
    // hash, set the pace, and more chunks at once keep more of them busy (six links of 10 MiB/s
    // gave a restore of copies 27 MiB/s with 32 MiB ahead, 48 with 128). Where chunks come
    // faster (local folders: the hash or the disk sets the pace), the window, and the memory
    // its offers take, stays as it is.
    const qint64 limit = m_hasher->offerLimit();
    if (limit >= FollowingHasher::MaxGrownOfferedBytes)
        return false;
    const qint64 hashed = m_hasher->hashedTo();
    const auto next =
        std::upper_bound(m_chunks.cbegin(), m_chunks.cend(), hashed,
                         [](qint64 at, const FileChunk& c) { return at < c.offset + c.size; });
    if (next == m_chunks.cend() || m_done.at(next - m_chunks.cbegin()))
        return false;
    const auto fetch = std::find_if(m_fetches.cbegin(), m_fetches.cend(), [&](const auto& f) {
        return f.first->chunk().index == next->index;
    });
    if (fetch == m_fetches.cend())
        return false;
    const double rate = m_vault->speeds().rate(fetch->first->readingFrom());
    if (rate < 0 || rate >= SlowLinkBytesPerSecond)
        return false;
    m_hasher->setOfferLimit(limit * 2);
    return true;
}

void FileAssembler::onFetched(ChunkFetcher* fetcher)
{
    // The fetcher's job has ended, so no worker writes through this writer any more.
    m_fetches.erase(fetcher);
    fetcher->deleteLater();
    m_problems.append(fetcher->problems());
    if (m_finished) {
        settle();
        return;
    }
    if (!fetcher->error().ok()) {
        // A chunk no replica of which could be read is lost, unless the file is gone: an rm
        // (in this process or another) deletes its chunks' objects while they are being read.
        if (fetcher->error().kind != Error::Kind::Cancelled && fileRemoved())
            finishRemoved();
        else
            finish(fetcher->error());
        return;
    }
    const FileChunk& chunk = fetcher->chunk();
    m_bytesDone += chunk.size;
    m_done[chunk.index] = true;
    while (m_contiguous < m_done.size() && m_done.at(m_contiguous))
        ++m_contiguous;
    m_hasher->advanceTo(m_contiguous == m_chunks.size() ? m_file.size
                                                        : m_chunks.at(m_contiguous).offset);
    Q_EMIT progress();
    fetchMore();
}

bool FileAssembler::fileRemoved()
{
    const auto now = m_vault->registry().modelRows().file(m_file.modelId, m_file.path);
    return !now || now->id != m_file.id;
}

void FileAssembler::finishRemoved()
{
    // What the fetchers found missing was deleted with the model: not a damaged replica.
    m_removed = true;
    m_problems.clear();
    finish(Error::make(Error::Kind::NotFound,
                       tr("“%1” was removed while it was being restored").arg(m_file.path)));
}

void FileAssembler::onHashed()
{
    if (m_finished)
        return;
    if (!m_hasher->errorString().isEmpty()) {
        finish(Error::make(Error::Kind::Fatal, m_hasher->errorString()));
        return;
    }
    if (m_hasher->digest().toHex() != m_file.sha256) {
        finish(
            Error::make(Error::Kind::Corrupt,
                        tr("The restored “%1” does not match its SHA-256 %2; nothing was written")
                            .arg(m_file.path, QString::fromLatin1(m_file.sha256))));
        return;
    }
    // Flushed before the rename, so that the name never appears over bytes a power cut loses.
    if (m_flush && ::fdatasync(m_fd) != 0) {
        finish(Error::make(Error::Kind::Fatal,
                           tr("Cannot write “%1”: %2").arg(m_destination, errnoText(errno))));
        return;
    }
    closeDirect();
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) {
        finish(Error::make(Error::Kind::Fatal,
                           tr("Cannot write “%1”: %2").arg(m_destination, errnoText(errno))));
        return;
    }
    if (!m_options.publish) {
        finish(Error::none()); // the caller moves the temporary into place
        return;
    }
    const QByteArray dest = QFile::encodeName(m_destination);
    int rc;
    if (m_options.overwrite) {
        rc = ::rename(m_tempPath.constData(), dest.constData());
    } else {
        // Fails if the destination appeared meanwhile: never replace what we did not check.
        rc = renameNoReplace(m_tempPath.constData(), dest.constData());
    }
    if (rc != 0) {
        const int err = errno;
        finish(Error::make(Error::Kind::Fatal,
                           err == EEXIST
                               ? tr("“%1” already exists: it appeared while the restore ran, and "
                                    "was left as it is")
                                     .arg(m_destination)
                               : tr("Cannot create “%1”: %2").arg(m_destination, errnoText(err))));
        return;
    }
    m_tempPath.clear();
    // The new name is durable once its folder is: only then is the file restored.
    if (m_flush && m_options.syncFolder && !syncFolder(QFileInfo(m_destination).absolutePath())) {
        finish(Error::make(Error::Kind::Fatal,
                           tr("Cannot write “%1”: %2").arg(m_destination, errnoText(errno))));
        return;
    }
    finish(Error::none());
}

QString FileAssembler::takeTemporary()
{
    if (!m_finished || !m_error.ok() || m_options.publish || m_tempPath.isEmpty())
        return {};
    const QString path = QFile::decodeName(m_tempPath);
    m_tempPath.clear();
    return path;
}

const QRegularExpression& FileAssembler::temporaryNames()
{
    static const QRegularExpression re(QStringLiteral("^\\..+\\.modelfloat-.+$"));
    return re;
}

const QRegularExpression& FileAssembler::legacyTemporaryNames()
{
    static const QRegularExpression re(QStringLiteral("^\\..+\\.modelfloat-[A-Za-z0-9]{6}$"));
    return re;
}

void FileAssembler::finish(const Error& error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    for (auto& entry : m_fetches)
        entry.first->abort();
    settle();
}

void FileAssembler::settle()
{
    // Fetches still running write into the temporary file: wait for them before removing it.
    if (!m_fetches.empty() || m_settled)
        return;
    m_settled = true;
    if (!m_error.ok())
        cleanUp();
    QMetaObject::invokeMethod(this, &FileAssembler::finished, Qt::QueuedConnection);
}

void FileAssembler::closeDirect()
{
    // The hasher thread reads through these descriptors: stop it first.
    if (m_hasher)
        m_hasher->stop();
    for (int* fd : {&m_directFd, &m_directReadFd}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

void FileAssembler::cleanUp()
{
    closeDirect(); // also stops the hasher, which reads m_fd too
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_tempPath.isEmpty()) {
        ::unlink(m_tempPath.constData());
        m_tempPath.clear();
    }
}

} // namespace mf
