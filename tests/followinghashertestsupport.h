#pragma once

// Helpers of the FollowingHasher suites (tst_followinghasher, tst_followinghasherrollback): a
// restore's file being written, offering its bytes in pieces, and chunk layouts.

#include "testsupport.h"
#include "transfer/followinghasher.h"
#include "transfer/offsetchunkwriter.h"
#include "util/directreader.h"
#include "util/directwriter.h"

#include <QCryptographicHash>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unistd.h>

namespace mf::test {

using TestPoint = FollowingHasher::TestPoint;

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr int Timeout = 120000; // generous: the sanitizer build is slow

inline bool pwriteAll(int fd, const char* data, qint64 size, qint64 offset)
{
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size_t(size), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= n;
        offset += n;
    }
    return true;
}

inline QByteArray sha256Hex(const QByteArray& data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

// The file a restore writes into: created at its final size (as the restore's fallocate does),
// with an ordinary descriptor and, if asked and supported, an O_DIRECT one for reading back.
class RestoreFile
{
public:
    RestoreFile(qint64 size, bool direct)
        : m_path(m_dir.filePath(QStringLiteral("restored.bin")))
    {
        const QByteArray name = QFile::encodeName(m_path);
        fd = ::open(name.constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0 && size > 0 && ::posix_fallocate(fd, 0, size) != 0 &&
            ::ftruncate(fd, size) != 0) {
            ::close(fd); // a file of the wrong size is no file to restore into
            fd = -1;
        }
        if (direct)
            directFd = DirectReader::openDirect(name);
    }
    ~RestoreFile()
    {
        for (int f : {fd, directFd}) {
            if (f >= 0)
                ::close(f);
        }
    }
    Q_DISABLE_COPY_MOVE(RestoreFile)

    bool ok() const { return m_dir.isValid() && fd >= 0; }
    bool write(qint64 offset, const QByteArray& bytes)
    {
        return pwriteAll(fd, bytes.constData(), bytes.size(), offset);
    }
    QByteArray opensslHex() const { return test::opensslSha256Hex(m_path); }
    QByteArray name() const { return QFile::encodeName(m_path); }

    int fd = -1;
    int directFd = -1;

private:
    QTemporaryDir m_dir;
    QString m_path;
};

// Waits for finished() (delivered through the event loop) and returns the hex digest.
inline QByteArray waitForDigest(FollowingHasher& hasher, QSignalSpy& spy)
{
    if (spy.isEmpty() && !spy.wait(Timeout))
        return QByteArrayLiteral("(no finished signal)");
    if (spy.size() != 1)
        return QByteArrayLiteral("(finished more than once)");
    if (!hasher.errorString().isEmpty())
        return QByteArrayLiteral("(error) ") + hasher.errorString().toUtf8();
    return hasher.digest().toHex();
}

// Offers `bytes` (which belong at `offset`) in pieces of `piece` bytes.
inline void offerPieces(FollowingHasher& hasher, qint64 offset, const QByteArray& bytes,
                        qint64 piece)
{
    for (qint64 at = 0; at < bytes.size(); at += piece)
        hasher.offer(offset + at, bytes.constData() + at, qMin(piece, bytes.size() - at));
}

// Chunk starts for `size` bytes cut into chunks of random sizes in [minChunk, maxChunk].
inline QList<qint64> randomChunks(qint64 size, qint64 minChunk, qint64 maxChunk,
                                  std::mt19937_64& rng)
{
    QList<qint64> offsets;
    for (qint64 at = 0; at < size;) {
        offsets.append(at);
        at += std::uniform_int_distribution<qint64>(minChunk, maxChunk)(rng);
    }
    return offsets;
}

inline QList<qint64> evenChunks(qint64 size, qint64 chunk)
{
    QList<qint64> offsets;
    for (qint64 at = 0; at < size; at += chunk)
        offsets.append(at);
    return offsets;
}

} // namespace mf::test
