#pragma once

// Helpers of the suites that float into a vault of real local-folder providers and check what
// was stored against the source bytes themselves (tst_distributor, tst_distributorchanges): the
// objects on the providers, the placements recorded, and ways to change a file behind a reader.

#include "chunking/cid.h"
#include "providers/localprovider.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/filechunksource.h"
#include "transfer/filedistributor.h"
#include "transfer/floatjob.h"
#include "transfer/restorejob.h"
#include "vault/providerspeeds.h"
#include "vault/vault.h"

#include <QBuffer>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

#include <fcntl.h>
#include <sys/stat.h>

namespace mf::test {

const ChunkerParams Small = test::SmallChunks;
constexpr int Timeout = test::JobTimeoutMs;

using PlacementKey = QPair<QString, qint64>; // CID, provider id

// Every object a local provider folder holds, by name (temporaries excluded), with its bytes.
inline QMap<QString, QByteArray> objectsIn(const QString& root)
{
    QMap<QString, QByteArray> out;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        if (it.filePath().contains(QStringLiteral("/.tmp/")))
            continue;
        QFile f(it.filePath());
        if (f.open(QIODevice::ReadOnly))
            out.insert(it.fileName(), f.readAll());
    }
    return out;
}

// (CID, provider) of every object on every provider of the vault.
inline QSet<PlacementKey> objectsOnProviders(TestVault& v)
{
    QSet<PlacementKey> out;
    for (qint64 id : v.providerIds()) {
        const auto objects = objectsIn(v.root(id));
        for (auto it = objects.cbegin(); it != objects.cend(); ++it)
            out.insert({it.key(), id});
    }
    return out;
}

// (CID, provider) of every stored placement of the model.
inline QSet<PlacementKey> storedPlacements(Registry& r, qint64 modelId)
{
    QSet<PlacementKey> out;
    const auto all = r.placementRows().placementsOfModel(modelId);
    for (auto it = all.cbegin(); it != all.cend(); ++it)
        for (const Placement& p : it.value())
            if (p.state == PlacementState::Stored)
                out.insert({p.cid, p.providerId});
    return out;
}

inline FloatJob::Request floatRequest(const QStringList& paths, const QString& name,
                                      int replication, const ChunkerParams& chunker = Small)
{
    FloatJob::Request r;
    r.paths = paths;
    r.modelName = name;
    r.options.replication = replication;
    r.options.chunker = chunker;
    return r;
}

// The manifest of `path` in `modelId` tiles `data` exactly, every entry is the CID of its bytes,
// and every stored placement is an object on its provider holding exactly those bytes.
// Returns the manifest (empty and a test failure otherwise).
inline QList<FileChunk> checkStored(TestVault& v, qint64 modelId, const QString& path,
                                    const QByteArray& data, int replicas)
{
    Registry& r = v.registry();
    const auto file = r.modelRows().file(modelId, path);
    if (!file) {
        QTest::qFail("no file record", __FILE__, __LINE__);
        return {};
    }
    const QList<FileChunk> chunks = r.modelRows().fileChunks(file->id);
    qint64 offset = 0;
    for (int i = 0; i < chunks.size(); ++i) {
        const FileChunk& c = chunks.at(i);
        if (c.index != i || c.offset != offset || c.size <= 0 ||
            c.cid != cid::ofData(data.mid(c.offset, c.size))) {
            QTest::qFail(qPrintable(QStringLiteral("manifest entry %1 is wrong").arg(i)), __FILE__,
                         __LINE__);
            return {};
        }
        offset += c.size;
        QSet<qint64> providers;
        for (const Placement& p : r.placementRows().placements(c.cid)) {
            if (p.state != PlacementState::Stored)
                continue;
            providers.insert(p.providerId);
            QFile object(LocalProvider::objectPath(v.root(p.providerId), p.locator));
            if (!object.open(QIODevice::ReadOnly) ||
                object.readAll() != data.mid(c.offset, c.size)) {
                QTest::qFail(qPrintable(QStringLiteral("the object of chunk %1 on provider %2 "
                                                       "does not hold its bytes")
                                            .arg(i)
                                            .arg(p.providerId)),
                             __FILE__, __LINE__);
                return {};
            }
        }
        if (providers.size() != replicas) {
            QTest::qFail(qPrintable(QStringLiteral("chunk %1 is on %2 providers, not %3")
                                        .arg(i)
                                        .arg(providers.size())
                                        .arg(replicas)),
                         __FILE__, __LINE__);
            return {};
        }
    }
    if (offset != data.size()) {
        QTest::qFail("the manifest does not cover the file", __FILE__, __LINE__);
        return {};
    }
    return chunks;
}

// Every object on every provider hashes to its own name.
inline bool allObjectsIntact(TestVault& v)
{
    for (qint64 id : v.providerIds()) {
        const auto objects = objectsIn(v.root(id));
        for (auto it = objects.cbegin(); it != objects.cend(); ++it)
            if (cid::ofData(it.value()) != it.key()) {
                qWarning("Object %s on provider %lld does not match its name", qPrintable(it.key()),
                         id);
                return false;
            }
    }
    return true;
}

inline bool appendTo(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::Append) && f.write(bytes) == bytes.size() && f.flush();
}

inline bool overwriteAt(const QString& path, qint64 offset, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::ReadWrite) && f.seek(offset) && f.write(bytes) == bytes.size() &&
           f.flush();
}

// Moves the file's modification time one second on: a change its snapshot shows however close
// to the snapshot it happens (within one tick of the clock that stamps it).
inline bool moveMtimeOn(const QString& path)
{
    const QByteArray name = QFile::encodeName(path);
    struct stat st;
    if (::stat(name.constData(), &st) != 0)
        return false;
    struct timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
    times[1].tv_sec += 1;
    return ::utimensat(AT_FDCWD, name.constData(), times, 0) == 0;
}

// A source that reads its chunks back from the file for the puts (holdsHashedBytes() false, as
// for any source that does not hold what it hashed), whose file's first chunk is rewritten in
// place between its scan and its first put in a way the file's size and times do not show. It
// scans the file for real (FileChunkSource), but rewrites the first chunk right before its first
// put opens it, hands the puts the file's bytes with no snapshot to compare, and, like a stat
// that cannot see the change, reports none. Only the bytes tell: the distributor's check.
class UnseenRewriteSource final : public ChunkSource
{
public:
    UnseenRewriteSource(const QString& path, const ChunkerParams& params, QByteArray rewrite)
        : m_path(path)
        , m_file(path, params)
        , m_rewrite(std::move(rewrite))
    {
        connect(&m_file, &ChunkSource::chunkScanned, this, &ChunkSource::chunkScanned);
        connect(&m_file, &ChunkSource::progress, this, &ChunkSource::progress);
        connect(&m_file, &ChunkSource::finished, this, &ChunkSource::finished);
    }

    qint64 expectedSize() const override { return m_file.expectedSize(); }
    void setMaxPendingChunks(int count) override { m_file.setMaxPendingChunks(count); }
    void start() override { m_file.start(); }
    void abort() override { m_file.abort(); }
    void acknowledge(const ScannedChunk& chunk, int count) override
    {
        m_file.acknowledge(chunk, count);
    }
    bool isFinished() const override { return m_file.isFinished(); }
    QString errorString() const override { return m_file.errorString(); }
    bool wasCancelled() const override { return m_file.wasCancelled(); }
    QByteArray fileSha256() const override { return m_file.fileSha256(); }
    qint64 fileSize() const override { return m_file.fileSize(); }
    std::unique_ptr<QIODevice> openChunk(const ScannedChunk& chunk, QString* error) override
    {
        if (m_rewrittenCid.isEmpty() && chunk.offset == 0 && chunk.size >= m_rewrite.size()) {
            QFile f(m_path);
            if (!f.open(QIODevice::ReadWrite) || f.write(m_rewrite) != m_rewrite.size()) {
                *error = QStringLiteral("the test could not rewrite the file");
                return nullptr;
            }
            m_rewrittenCid = chunk.cid;
        }
        QFile file(m_path);
        if (!file.open(QIODevice::ReadOnly) || !file.seek(chunk.offset)) {
            *error = file.errorString();
            return nullptr;
        }
        auto device = std::make_unique<QBuffer>();
        device->setData(file.read(chunk.size));
        device->open(QIODevice::ReadOnly);
        return device;
    }
    QString changedError() const override { return {}; }
    QString mismatchError(const ScannedChunk& chunk) const override
    {
        return m_file.mismatchError(chunk);
    }

    QString rewrittenCid() const { return m_rewrittenCid; }

private:
    QString m_path;
    FileChunkSource m_file;
    QByteArray m_rewrite;
    QString m_rewrittenCid;
};

// What interrupted or failed puts left in a local provider's temporary folder.
inline QStringList temporariesIn(const QString& root)
{
    return QDir(root + QStringLiteral("/.tmp"))
        .entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
}

} // namespace mf::test
