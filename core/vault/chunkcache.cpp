#include "chunkcache.h"

#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "util/fileio.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace mf {

namespace {
// What a fetch writes to before its chunk is verified; a run killed meanwhile leaves it, and the
// next scan removes it.
constexpr QLatin1StringView PartPrefix(".part-");

// Whether the file open as `fd` holds exactly `size` bytes whose SHA-256 is `digest`.
bool holds(int fd, qint64 size, const QByteArray& digest)
{
    Sha256 hash;
    std::vector<char> buffer(1 << 20);
    qint64 at = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            break;
        hash.addData(buffer.data(), n);
        at += n;
        if (at > size)
            return false;
    }
    return at == size && hash.result() == digest;
}
} // namespace

ChunkCache::ChunkCache(const QString& directory, qint64 capBytes)
    : m_directory(directory)
    , m_cap(qMax<qint64>(0, capBytes))
{}

qint64 ChunkCache::capBytes() const
{
    std::lock_guard lock(m_mutex);
    return m_cap;
}

void ChunkCache::setCapBytes(qint64 capBytes)
{
    std::lock_guard lock(m_mutex);
    scanLocked();
    m_cap = qMax<qint64>(0, capBytes);
    makeRoomLocked(0);
}

qint64 ChunkCache::usedBytes()
{
    std::lock_guard lock(m_mutex);
    scanLocked(false);
    return m_cached + m_reserved;
}

bool ChunkCache::contains(const QString& cid) const
{
    std::lock_guard lock(m_mutex);
    return m_entries.contains(cid);
}

qint64 ChunkCache::remove(const QString& cid)
{
    std::lock_guard lock(m_mutex);
    scanLocked();
    const auto it = m_entries.find(cid);
    if (it == m_entries.end())
        return 0;
    const qint64 size = it->size;
    removeLocked(cid);
    return size;
}

QString ChunkCache::pathOf(const QString& cid) const
{
    return m_directory + QLatin1Char('/') + cid;
}

void ChunkCache::scanLocked(bool makeRoom)
{
    if (m_scanned)
        return;
    m_scanned = true;
    QDir().mkpath(m_directory);
    // Oldest first, so that the order of use survives the process as far as mtimes tell it.
    QFileInfoList found = QDir(m_directory).entryInfoList(QDir::Files | QDir::Hidden);
    std::sort(found.begin(), found.end(), [](const QFileInfo& a, const QFileInfo& b) {
        return a.lastModified() < b.lastModified();
    });
    for (const QFileInfo& f : std::as_const(found)) {
        const QString name = f.fileName();
        if (name.startsWith(PartPrefix) || !cid::isValid(name)) {
            QFile::remove(f.filePath()); // a killed fetch's leftover; nothing else is written here
            continue;
        }
        m_entries.insert(name, Entry{f.size(), ++m_clock, false});
        m_cached += f.size();
    }
    if (makeRoom)
        makeRoomLocked(0); // the cap may have been lowered since
}

void ChunkCache::shareBudget(OthersBytes others)
{
    std::lock_guard lock(m_mutex);
    m_others = std::move(others);
}

qint64 ChunkCache::trim(qint64 budget, qint64 othersBytes)
{
    std::lock_guard lock(m_mutex);
    scanLocked(false); // what it evicts is counted here
    const qint64 before = m_cached;
    evictLocked(budget - othersBytes, 0);
    return before - m_cached;
}

bool ChunkCache::makeRoomLocked(qint64 more)
{
    const qint64 others = m_others ? qMax<qint64>(0, m_others()) : 0;
    return evictLocked(m_cap - others, more);
}

bool ChunkCache::evictLocked(qint64 room, qint64 more)
{
    while (m_cached + m_reserved + more > room && !m_entries.isEmpty()) {
        auto oldest = m_entries.cbegin();
        for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it)
            if (it->lastUse < oldest->lastUse)
                oldest = it;
        removeLocked(oldest.key()); // a copy: the entry, and its key, go
    }
    return m_cached + m_reserved + more <= room;
}

void ChunkCache::removeLocked(QString cid)
{
    const auto it = m_entries.find(cid);
    if (it == m_entries.end())
        return;
    m_cached -= it->size;
    m_entries.erase(it);
    ::unlink(QFile::encodeName(pathOf(cid)).constData());
}

int ChunkCache::open(const QString& cid, qint64 size)
{
    bool verified = false;
    {
        std::lock_guard lock(m_mutex);
        scanLocked();
        const auto it = m_entries.find(cid);
        if (it == m_entries.end())
            return -1;
        if (it->size != size) {
            removeLocked(cid);
            return -1;
        }
        it->lastUse = ++m_clock;
        verified = it->verified;
    }
    const int fd = ::open(QFile::encodeName(pathOf(cid)).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::lock_guard lock(m_mutex);
        removeLocked(cid); // gone from under us (evicted by hand): fetch it again
        return -1;
    }
    if (verified)
        return fd;
    // Left by an earlier run: hashed once (outside the lock) before a byte of it is used.
    const bool good = holds(fd, size, cid::toSha256(cid));
    std::lock_guard lock(m_mutex);
    if (!good) {
        ::close(fd);
        removeLocked(cid);
        return -1;
    }
    if (const auto it = m_entries.find(cid); it != m_entries.end())
        it->verified = true;
    return fd;
}

bool ChunkCache::reserve(qint64 size, int* fd, QString* tempPath, QString* error)
{
    std::lock_guard lock(m_mutex);
    scanLocked();
    if (size < 0 || !makeRoomLocked(size))
        return false;
    QByteArray pattern = QFile::encodeName(m_directory + QLatin1Char('/') + PartPrefix) + "XXXXXX";
    const int made = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (made < 0) {
        *error = QStringLiteral("Cannot create a file in the chunk cache “%1”: %2")
                     .arg(m_directory, errnoText(errno));
        return false;
    }
    m_reserved += size;
    *fd = made;
    *tempPath = QFile::decodeName(pattern);
    return true;
}

bool ChunkCache::adopt(const QString& tempPath, const QString& cid, qint64 size)
{
    std::lock_guard lock(m_mutex);
    m_reserved -= size;
    const QByteArray from = QFile::encodeName(tempPath);
    if (m_entries.contains(cid)) { // fetched twice at once: the first copy stays
        ::unlink(from.constData());
        return true;
    }
    if (::rename(from.constData(), QFile::encodeName(pathOf(cid)).constData()) != 0) {
        ::unlink(from.constData());
        return false;
    }
    m_entries.insert(cid, Entry{size, ++m_clock, true});
    m_cached += size;
    return true;
}

void ChunkCache::release(const QString& tempPath, qint64 size)
{
    std::lock_guard lock(m_mutex);
    m_reserved -= size;
    ::unlink(QFile::encodeName(tempPath).constData());
}

} // namespace mf
