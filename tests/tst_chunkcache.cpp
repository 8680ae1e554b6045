// ChunkCache, the on-disk cache of verified chunks every read goes through: room is reserved
// before a fetch and the folder never holds more than the cap; the least recently used chunk goes
// first; a file left by an earlier run is checked against its CID before it is used; what a
// killed fetch left is removed.

#include "chunking/cid.h"
#include "chunking/sha256.h"
#include "testsupport.h"
#include "vault/chunkcache.h"

#include <QDirIterator>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace mf;

namespace {

struct Chunk
{
    QByteArray bytes;
    QString cid;
};

Chunk makeChunk(qint64 size, quint64 seed)
{
    Chunk c;
    c.bytes = test::pseudoRandomBytes(size, seed);
    c.cid = cid::fromSha256(Sha256::hash(c.bytes));
    return c;
}

// Fetches `c` into the cache as ChunkLoad does: reserve, write, adopt.
bool put(ChunkCache& cache, const Chunk& c)
{
    int fd = -1;
    QString temp, why;
    if (!cache.reserve(c.bytes.size(), &fd, &temp, &why))
        return false;
    const bool written = ::write(fd, c.bytes.constData(), size_t(c.bytes.size())) == c.bytes.size();
    ::close(fd);
    if (!written) {
        cache.release(temp, c.bytes.size());
        return false;
    }
    return cache.adopt(temp, c.cid, c.bytes.size());
}

QByteArray readBack(int fd, qint64 size)
{
    QByteArray out(int(size), Qt::Uninitialized);
    const ssize_t n = ::pread(fd, out.data(), size_t(size), 0);
    ::close(fd);
    return n == size ? out : QByteArray();
}

} // namespace

class TestChunkCache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void neverOverItsCap();
    void leastRecentlyUsedGoesFirst();
    void leftFilesAreCheckedBeforeUse();
    void tooLargeIsRefused();
    void sharesItsBudgetWithTheOthers();
};

void TestChunkCache::neverOverItsCap()
{
    QTemporaryDir dir;
    ChunkCache cache(dir.path(), 100000);
    for (quint64 i = 0; i < 20; ++i) {
        QVERIFY(put(cache, makeChunk(30000, i)));
        QVERIFY(cache.usedBytes() <= 100000);
        QVERIFY(test::bytesBelow(dir.path()) <= 100000);
    }
    // Reserved room counts: three fetches in flight fill it, a fourth finds none, and nothing
    // cached is left to evict for it.
    int fds[4] = {-1, -1, -1, -1};
    QString temps[4], why;
    for (int i = 0; i < 3; ++i)
        QVERIFY(cache.reserve(30000, &fds[i], &temps[i], &why));
    QVERIFY(!cache.reserve(30000, &fds[3], &temps[3], &why));
    QVERIFY(why.isEmpty()); // no room is not an error of the disk
    for (int i = 0; i < 3; ++i) {
        ::close(fds[i]);
        cache.release(temps[i], 30000);
    }
    QCOMPARE(cache.usedBytes(), qint64(0));
    QCOMPARE(test::bytesBelow(dir.path()), qint64(0));
}

void TestChunkCache::leastRecentlyUsedGoesFirst()
{
    QTemporaryDir dir;
    ChunkCache cache(dir.path(), 3000);
    const Chunk a = makeChunk(1000, 1), b = makeChunk(1000, 2), c = makeChunk(1000, 3),
                d = makeChunk(1000, 4);
    QVERIFY(put(cache, a) && put(cache, b) && put(cache, c));
    QCOMPARE(readBack(cache.open(a.cid, 1000), 1000), a.bytes); // a is used again: b is oldest
    QVERIFY(put(cache, d));
    QVERIFY(cache.contains(a.cid));
    QVERIFY(!cache.contains(b.cid));
    QVERIFY(cache.contains(c.cid) && cache.contains(d.cid));
    QCOMPARE(cache.open(b.cid, 1000), -1);
    // A lower cap evicts at once.
    cache.setCapBytes(1000);
    QVERIFY(cache.usedBytes() <= 1000);
    QVERIFY(test::bytesBelow(dir.path()) <= 1000);
}

void TestChunkCache::leftFilesAreCheckedBeforeUse()
{
    QTemporaryDir dir;
    const Chunk good = makeChunk(5000, 10), bad = makeChunk(5000, 11);
    {
        ChunkCache cache(dir.path(), 1 << 20);
        QVERIFY(put(cache, good) && put(cache, bad));
    }
    // Another run: one file was damaged meanwhile, and a killed fetch left its file.
    QFile damaged(dir.filePath(bad.cid));
    QVERIFY(damaged.open(QIODevice::ReadWrite));
    damaged.seek(100);
    damaged.write("X");
    damaged.close();
    QVERIFY(test::writeFile(dir.filePath(QStringLiteral(".part-abcdef")), "half a chunk"));
    ChunkCache cache(dir.path(), 1 << 20);
    QCOMPARE(readBack(cache.open(good.cid, 5000), 5000), good.bytes);
    QCOMPARE(cache.open(bad.cid, 5000), -1); // never handed out: fetched again instead
    QVERIFY(!QFileInfo::exists(dir.filePath(bad.cid)));
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral(".part-abcdef"))));
    QCOMPARE(cache.usedBytes(), qint64(5000));
}

void TestChunkCache::tooLargeIsRefused()
{
    QTemporaryDir dir;
    ChunkCache cache(dir.path(), 1000);
    int fd = -1;
    QString temp, why;
    QVERIFY(!cache.reserve(1001, &fd, &temp, &why));
    QCOMPARE(fd, -1);
    ChunkCache none(dir.path(), 0); // a cap of 0 keeps nothing
    QVERIFY(!none.reserve(1, &fd, &temp, &why));
}

// The budget is shared with the materialized cache: the chunks get what it leaves, and when it
// grows the chunks used least lately go first. A descriptor held on an evicted chunk still reads.
void TestChunkCache::sharesItsBudgetWithTheOthers()
{
    QTemporaryDir dir;
    ChunkCache cache(dir.path(), 5000);
    qint64 others = 2000;
    cache.shareBudget([&others] { return others; });
    const Chunk a = makeChunk(1000, 21), b = makeChunk(1000, 22), c = makeChunk(1000, 23),
                d = makeChunk(1000, 24);
    QVERIFY(put(cache, a) && put(cache, b) && put(cache, c));
    QVERIFY(put(cache, d)); // 3000 is the room the others leave: a goes
    QVERIFY(!cache.contains(a.cid));
    QCOMPARE(cache.usedBytes(), qint64(3000));
    const int held = cache.open(b.cid, 1000); // b is the oldest now, and held open

    // The others grow by 1500: trimmed to fit beside them, oldest first.
    others = 3500;
    QCOMPARE(cache.trim(5000, others), qint64(2000));
    QVERIFY(!cache.contains(c.cid) && !cache.contains(d.cid));
    QVERIFY(cache.contains(b.cid));
    QVERIFY(cache.usedBytes() + others <= 5000);
    QCOMPARE(test::bytesBelow(dir.path()) + others, qint64(4500));
    // b was used last (opened): c and d went. Trimmed to nothing, its reader still reads it.
    QCOMPARE(cache.trim(5000, 5000), qint64(1000));
    QCOMPARE(test::bytesBelow(dir.path()), qint64(0));
    QCOMPARE(readBack(held, 1000), b.bytes);
    // No room beside the others: a chunk is not kept.
    others = 5000;
    int fd = -1;
    QString temp, why;
    QVERIFY(!cache.reserve(1, &fd, &temp, &why));
}

QTEST_GUILESS_MAIN(TestChunkCache)
#include "tst_chunkcache.moc"
