// FileDistributor and FloatJob against real local-folder providers in a temporary vault. What
// was stored is checked against the source bytes themselves (every object must hold exactly the
// slice of the file its manifest entry names, and hash to its own name), not against what the
// distributor says it did: replication and load spreading, dedup across models and within a
// file, abort and resume, failing providers, empty files, files that change while they are
// read (also in ways their size and times do not show), and bad input.

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

using namespace mf;

namespace {

using test::KiB;
using test::MiB;
using test::run;
using test::TestVault;
const ChunkerParams Small = test::SmallChunks;
constexpr int Timeout = test::JobTimeoutMs;

using PlacementKey = QPair<QString, qint64>; // CID, provider id

// Every object a local provider folder holds, by name (temporaries excluded), with its bytes.
QMap<QString, QByteArray> objectsIn(const QString& root)
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
QSet<PlacementKey> objectsOnProviders(TestVault& v)
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
QSet<PlacementKey> storedPlacements(Registry& r, qint64 modelId)
{
    QSet<PlacementKey> out;
    const auto all = r.placementsOfModel(modelId);
    for (auto it = all.cbegin(); it != all.cend(); ++it)
        for (const Placement& p : it.value())
            if (p.state == PlacementState::Stored)
                out.insert({p.cid, p.providerId});
    return out;
}

FloatJob::Request floatRequest(const QStringList& paths, const QString& name, int replication,
                               const ChunkerParams& chunker = Small)
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
QList<FileChunk> checkStored(TestVault& v, qint64 modelId, const QString& path,
                             const QByteArray& data, int replicas)
{
    Registry& r = v.registry();
    const auto file = r.file(modelId, path);
    if (!file) {
        QTest::qFail("no file record", __FILE__, __LINE__);
        return {};
    }
    const QList<FileChunk> chunks = r.fileChunks(file->id);
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
        for (const Placement& p : r.placements(c.cid)) {
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
bool allObjectsIntact(TestVault& v)
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

bool appendTo(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::Append) && f.write(bytes) == bytes.size() && f.flush();
}

bool overwriteAt(const QString& path, qint64 offset, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::ReadWrite) && f.seek(offset) && f.write(bytes) == bytes.size() &&
           f.flush();
}

// Moves the file's modification time one second on: a change its snapshot shows however close
// to the snapshot it happens (within one tick of the clock that stamps it).
bool moveMtimeOn(const QString& path)
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
QStringList temporariesIn(const QString& root)
{
    return QDir(root + QStringLiteral("/.tmp"))
        .entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
}

} // namespace

class TestDistributor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void floatsAndTiles();
    void floatsFolder();
    void replicatesOnDistinctProviders();
    void chunksWaitForTheProviderThatStoresThemSoonest();
    void replicationCappedByProviders();
    void dedupAcrossModels();
    void dedupWithinFile();
    void objectsOnDiskButNotRecordedAreNotSent();
    void abortAndResume();
    void destroyWhileFloating();
    void resumeWithOtherPaths();
    void providerWithMissingFolder();
    void providerOverQuota();
    void allProvidersFail();
    void emptyFile();
    void fileChangesWhileFloated_data();
    void fileChangesWhileFloated();
    void rewriteUnseenByStatPublishesNothing();
    void fileSourceHoldsTheBytesItHashed();
    void collectFilesErrors_data();
    void collectFilesErrors();
    void modelExists();
};

void TestDistributor::floatsAndTiles()
{
    TestVault v;
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(5 * MiB + 12345, 1);
    const QString source = v.path(QStringLiteral("model.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("m"), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QVERIFY(!job.resumed());

    const auto model = v.registry().modelByName(QStringLiteral("m"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const auto file = v.registry().file(model->id, QStringLiteral("model.bin"));
    QVERIFY(file);
    QCOMPARE(file->state, FileRecord::State::Complete);
    QCOMPARE(file->size, qint64(data.size()));
    QCOMPARE(file->sha256, test::opensslSha256Hex(source));
    QCOMPARE(file->chunker, Small.toString());

    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("model.bin"), data, 1);
    QVERIFY(!QTest::currentTestFailed());
    QVERIFY(chunks.size() > 5); // the small chunker cut it into many chunks

    const auto& s = job.totals();
    QCOMPARE(s.chunks, int(chunks.size()));
    QCOMPARE(s.chunksSent, int(chunks.size()));
    QCOMPARE(s.chunksDeduplicated, 0);
    QCOMPARE(s.bytesSent, qint64(data.size()));
    QCOMPARE(s.bytesPlaced, qint64(data.size()));
    QCOMPARE(s.underReplicatedChunks, 0);
    QCOMPARE(job.bytesDone(), qint64(data.size()));
    // Nothing but the chunks was stored.
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), model->id));
    QCOMPARE(v.registry().stats().chunks, int(chunks.size()));
}

void TestDistributor::floatsFolder()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString folder = v.path(QStringLiteral("folder"));
    QVERIFY(QDir().mkpath(folder + QStringLiteral("/sub")));
    const QByteArray a = test::pseudoRandomBytes(700 * KiB, 2);
    const QByteArray b = test::pseudoRandomBytes(1 * MiB + 3, 3);
    QVERIFY(test::writeFile(folder + QStringLiteral("/a.json"), a));
    QVERIFY(test::writeFile(folder + QStringLiteral("/sub/b.bin"), b));

    FloatJob job(v.vault.get(), floatRequest({folder}, QString(), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QCOMPARE(job.modelName(), QStringLiteral("folder"));
    QCOMPARE(job.totalBytes(), qint64(a.size() + b.size()));
    const auto model = v.registry().modelByName(QStringLiteral("folder"));
    QVERIFY(model);
    const QList<FileRecord> files = v.registry().files(model->id);
    QCOMPARE(files.size(), 2);
    QCOMPARE(files.at(0).path, QStringLiteral("a.json"));
    QCOMPARE(files.at(1).path, QStringLiteral("sub/b.bin"));
    checkStored(v, model->id, QStringLiteral("a.json"), a, 1);
    checkStored(v, model->id, QStringLiteral("sub/b.bin"), b, 1);
}

void TestDistributor::replicatesOnDistinctProviders()
{
    TestVault v(2);
    QVERIFY(v.ok());
    QCOMPARE(v.providerIds().size(), 3);
    const QByteArray data = test::pseudoRandomBytes(6 * MiB, 4);
    const QString source = v.path(QStringLiteral("r.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("r"), 2));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QCOMPARE(warnings.size(), 0);
    const auto model = v.registry().modelByName(QStringLiteral("r"));
    QVERIFY(model);
    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("r.bin"), data, 2);
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(job.totals().bytesSent, 2 * qint64(data.size()));
    QCOMPARE(job.totals().chunksSent, int(chunks.size()));
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), model->id));

    // Every provider got a share of the load, and none more than 2/3 of it (evenly: 1/3 each).
    const QHash<qint64, qint64> perProvider = v.registry().storedBytesByProvider();
    for (qint64 id : v.providerIds()) {
        QVERIFY2(perProvider.value(id) > 0, qPrintable(QStringLiteral("provider %1").arg(id)));
        QVERIFY(perProvider.value(id) < 2 * qint64(data.size()) * 2 / 3);
        QCOMPARE(v.registry().provider(id)->usedBytes, perProvider.value(id));
    }
}

void TestDistributor::chunksWaitForTheProviderThatStoresThemSoonest()
{
    // Three providers, two replicas; the third was measured sending at a thousandth of the
    // others' speed (on a clock that stands still, so the measures hold through the float). It
    // stores nothing: every chunk waits for a fast provider's put to end instead, since it
    // would be stored sooner there. (Before, the third took its share of chunks whenever it
    // had fewer bytes in flight, and the float's end waited on its queue.)
    TestVault v(2);
    QVERIFY(v.ok());
    const QList<qint64> ids = v.providerIds();
    QCOMPARE(ids.size(), 3);
    const qint64 slow = ids.at(2);
    qint64 now = 0;
    auto speeds = std::make_unique<ProviderSpeeds>([&now] { return now; });
    for (qint64 id : ids)
        speeds->fetchStarted(id, MiB);
    now = 1000;
    for (qint64 id : ids) {
        const qint64 sent = id == slow ? qint64(KiB) : qint64(MiB);
        speeds->delivered(id, sent);
        speeds->fetchEnded(id, MiB, sent, false);
    }
    QVERIFY(speeds->rate(slow) * 1000 <= speeds->rate(ids.at(0)));
    v.vault->setUploadSpeeds(std::move(speeds));

    const QByteArray data = test::pseudoRandomBytes(8 * MiB, 41);
    const QString source = v.path(QStringLiteral("soon.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("soon"), 2,
                                             ChunkerParams::fixed(256 * KiB)));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    const auto model = v.registry().modelByName(QStringLiteral("soon"));
    QVERIFY(model);
    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("soon.bin"), data, 2);
    QCOMPARE(chunks.size(), 32);
    const QHash<qint64, qint64> perProvider = v.registry().storedBytesByProvider();
    QCOMPARE(perProvider.value(slow), 0);
    QCOMPARE(perProvider.value(ids.at(0)), qint64(data.size()));
    QCOMPARE(perProvider.value(ids.at(1)), qint64(data.size()));
}

void TestDistributor::replicationCappedByProviders()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(2 * MiB, 5);
    const QString source = v.path(QStringLiteral("c.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("c"), 3));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QVERIFY(warnings.size() >= 1);
    QVERIFY2(warnings.first().first().toString().contains(QStringLiteral("2 provider")),
             qPrintable(warnings.first().first().toString()));
    const auto model = v.registry().modelByName(QStringLiteral("c"));
    QVERIFY(model);
    checkStored(v, model->id, QStringLiteral("c.bin"), data, 2);
    // Capped, not under-replicated: the float did all it could.
    QCOMPARE(job.totals().underReplicatedChunks, 0);
}

void TestDistributor::dedupAcrossModels()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(4 * MiB + 99, 6);
    const QString first = v.path(QStringLiteral("one.bin"));
    QVERIFY(test::writeFile(first, data));
    FloatJob one(v.vault.get(), floatRequest({first}, QStringLiteral("one"), 2));
    QVERIFY(run(one));
    QCOMPARE(one.failure(), FloatJob::Failure::None);
    const VaultStats before = v.registry().stats();
    const QSet<PlacementKey> objectsBefore = objectsOnProviders(v);

    // The same bytes under another file name and model name.
    const QString second = v.path(QStringLiteral("two.bin"));
    QVERIFY(test::writeFile(second, data));
    FloatJob two(v.vault.get(), floatRequest({second}, QStringLiteral("two"), 2));
    QVERIFY(run(two));
    QCOMPARE(two.failure(), FloatJob::Failure::None);
    const auto& s = two.totals();
    QCOMPARE(s.bytesSent, qint64(0));
    QCOMPARE(s.chunksSent, 0);
    QVERIFY(s.chunks > 1);
    QCOMPARE(s.chunksDeduplicated, s.chunks);
    QCOMPARE(s.bytesDeduplicated, qint64(data.size()));
    QCOMPARE(s.bytesPlaced, qint64(data.size()));

    const VaultStats after = v.registry().stats();
    QCOMPARE(after.chunks, before.chunks);
    QCOMPARE(after.placements, before.placements);
    QCOMPARE(after.uniqueBytes, before.uniqueBytes);
    QCOMPARE(after.models, 2);
    QCOMPARE(after.logicalBytes, 2 * qint64(data.size()));
    QCOMPARE(objectsOnProviders(v), objectsBefore);
    const auto model = v.registry().modelByName(QStringLiteral("two"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    checkStored(v, model->id, QStringLiteral("two.bin"), data, 2);
}

// A kill between a provider storing an object and the registry recording it: the next float
// puts the chunk again, the provider finds it already there, and no byte counts as sent.
void TestDistributor::objectsOnDiskButNotRecordedAreNotSent()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(3 * MiB + 5, 16);
    const QString source = v.path(QStringLiteral("m.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob one(v.vault.get(), floatRequest({source}, QStringLiteral("one"), 2));
    QVERIFY(run(one));
    QCOMPARE(one.failure(), FloatJob::Failure::None);
    QVERIFY(one.totals().bytesSent > 0);
    const QSet<PlacementKey> objectsBefore = objectsOnProviders(v);
    // The registry forgets every placement, as if each record had been lost.
    const auto model = v.registry().modelByName(QStringLiteral("one"));
    QVERIFY(model);
    const auto placements = v.registry().placementsOfModel(model->id);
    for (auto it = placements.cbegin(); it != placements.cend(); ++it)
        for (const Placement& p : it.value())
            QVERIFY(v.registry().removePlacement(p.cid, p.providerId));

    FloatJob two(v.vault.get(), floatRequest({source}, QStringLiteral("two"), 2));
    QVERIFY(run(two));
    QCOMPARE(two.failure(), FloatJob::Failure::None);
    QCOMPARE(two.totals().bytesSent, qint64(0));
    QCOMPARE(two.totals().chunksSent, 0);
    QCOMPARE(objectsOnProviders(v), objectsBefore);
    const auto second = v.registry().modelByName(QStringLiteral("two"));
    QVERIFY(second);
    checkStored(v, second->id, QStringLiteral("m.bin"), data, 2); // recorded again
}

void TestDistributor::dedupWithinFile()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray block = test::pseudoRandomBytes(1 * MiB, 7);
    QByteArray data;
    for (int i = 0; i < 8; ++i)
        data += block;
    const QString source = v.path(QStringLiteral("repeat.bin"));
    QVERIFY(test::writeFile(source, data));

    FloatJob job(v.vault.get(),
                 floatRequest({source}, QStringLiteral("repeat"), 2, ChunkerParams::fixed(MiB)));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    const auto model = v.registry().modelByName(QStringLiteral("repeat"));
    QVERIFY(model);
    const QList<FileChunk> chunks =
        checkStored(v, model->id, QStringLiteral("repeat.bin"), data, 2);
    QCOMPARE(chunks.size(), 8);
    for (const FileChunk& c : chunks)
        QCOMPARE(c.cid, chunks.first().cid);

    QCOMPARE(v.registry().stats().chunks, 1);
    QCOMPARE(v.registry().stats().placements, 2);
    for (qint64 id : v.providerIds())
        QCOMPARE(objectsIn(v.root(id)).size(), 1);
    const auto& s = job.totals();
    QCOMPARE(s.chunks, 8);
    QCOMPARE(s.chunksSent, 1);
    QCOMPARE(s.bytesSent, 2 * qint64(MiB)); // one chunk, two replicas
    QCOMPARE(s.bytesPlaced, qint64(data.size()));
    // Every occurrence is accounted for: sent once, the other seven already there.
    QCOMPARE(s.chunksDeduplicated, 7);
    QCOMPARE(s.bytesDeduplicated, 7 * qint64(MiB));
}

void TestDistributor::abortAndResume()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(6 * MiB + 4321, 8);
    const QString source = v.path(QStringLiteral("resume.bin"));
    QVERIFY(test::writeFile(source, data));

    // Abort as soon as a few placements are in the registry.
    constexpr int AbortAfter = 6;
    FloatJob first(v.vault.get(), floatRequest({source}, QStringLiteral("resume"), 2));
    bool aborted = false;
    connect(&first, &FloatJob::progress, this, [&] {
        if (!aborted && v.registry().stats().placements >= AbortAfter) {
            aborted = true;
            first.abort();
        }
    });
    QVERIFY(run(first));
    QVERIFY(aborted);
    QCOMPARE(first.failure(), FloatJob::Failure::Cancelled);
    QCOMPARE(first.error().kind, Error::Kind::Cancelled);
    auto model = v.registry().modelByName(QStringLiteral("resume"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);

    // What is on the providers is exactly what the registry says is stored: a put that
    // completed around the abort is recorded, not left behind unknown.
    const QSet<PlacementKey> before = storedPlacements(v.registry(), model->id);
    QCOMPARE(objectsOnProviders(v), before);
    QCOMPARE(v.registry().stats().placements, int(before.size()));
    QVERIFY(before.size() >= AbortAfter);
    QVERIFY(allObjectsIntact(v));

    FloatJob second(v.vault.get(), floatRequest({source}, QStringLiteral("resume"), 2));
    QVERIFY(run(second));
    QCOMPARE(second.failure(), FloatJob::Failure::None);
    QVERIFY(second.resumed());
    model = v.registry().modelByName(QStringLiteral("resume"));
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const QList<FileChunk> chunks =
        checkStored(v, model->id, QStringLiteral("resume.bin"), data, 2);
    QVERIFY(!QTest::currentTestFailed());

    // Exactly the missing replicas were sent: nothing stored before went again.
    qint64 expectedBytes = 0;
    int expectedChunks = 0;
    QSet<QString> seen;
    for (const FileChunk& c : chunks) {
        if (seen.contains(c.cid))
            continue;
        seen.insert(c.cid);
        int had = 0;
        for (qint64 id : v.providerIds())
            had += before.contains({c.cid, id}) ? 1 : 0;
        expectedBytes += (2 - had) * c.size;
        expectedChunks += had < 2 ? 1 : 0;
    }
    QVERIFY(expectedBytes > 0);
    QCOMPARE(second.totals().bytesSent, expectedBytes);
    QCOMPARE(second.totals().chunksSent, expectedChunks);
    const QSet<PlacementKey> after = storedPlacements(v.registry(), model->id);
    QVERIFY(after.contains(before));
    QCOMPARE(after.size(), 2 * seen.size());
    QCOMPARE(objectsOnProviders(v), after);

    // And it restores bit-exact.
    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("resume");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob restore(v.vault.get(), rr);
    QVERIFY(run(restore));
    QCOMPARE(restore.failure(), RestoreJob::Failure::None);
    QCOMPARE(test::opensslSha256Hex(v.path(QStringLiteral("out/resume.bin"))),
             test::opensslSha256Hex(source));
}

void TestDistributor::destroyWhileFloating()
{
    // Like a crash: the job goes away mid-float. What was stored stays intact, and floating
    // again finishes the model.
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("gone.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 16));
    auto job = std::make_unique<FloatJob>(v.vault.get(),
                                          floatRequest({source}, QStringLiteral("gone"), 2));
    bool destroyed = false;
    connect(job.get(), &FloatJob::progress, this, [&] {
        if (v.registry().stats().placements < 4)
            return;
        // Not from inside the job's own signal: on the next turn of the event loop.
        QMetaObject::invokeMethod(
            this,
            [&] {
                if (!destroyed) {
                    destroyed = true;
                    job.reset();
                }
            },
            Qt::QueuedConnection);
    });
    job->start();
    QTRY_VERIFY_WITH_TIMEOUT(destroyed, Timeout);
    auto model = v.registry().modelByName(QStringLiteral("gone"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);
    QVERIFY(allObjectsIntact(v));

    FloatJob again(v.vault.get(), floatRequest({source}, QStringLiteral("gone"), 2));
    QVERIFY(run(again));
    QCOMPARE(again.failure(), FloatJob::Failure::None);
    QVERIFY(again.resumed());
    QVERIFY(again.totals().bytesSent < 2 * 6 * qint64(MiB));
    model = v.registry().modelByName(QStringLiteral("gone"));
    QCOMPARE(model->state, ModelRecord::State::Complete);
    QFile f(source);
    QVERIFY(f.open(QIODevice::ReadOnly));
    checkStored(v, model->id, QStringLiteral("gone.bin"), f.readAll(), 2);
}

void TestDistributor::resumeWithOtherPaths()
{
    // An unfinished model is resumed only with the files it was begun with: otherwise a file
    // of the first attempt stays incomplete in a model that says it is complete.
    TestVault v;
    QVERIFY(v.ok());
    const QString x = v.path(QStringLiteral("x.bin"));
    const QString y = v.path(QStringLiteral("y.bin"));
    QVERIFY(test::writePseudoRandomFile(x, 4 * MiB, 17));
    QVERIFY(test::writePseudoRandomFile(y, 1 * MiB, 18));
    FloatJob first(v.vault.get(), floatRequest({x, y}, QStringLiteral("xy"), 1));
    bool aborted = false;
    connect(&first, &FloatJob::progress, this, [&] {
        if (!aborted) {
            aborted = true;
            first.abort();
        }
    });
    QVERIFY(run(first));
    QCOMPARE(first.failure(), FloatJob::Failure::Cancelled);
    const auto model = v.registry().modelByName(QStringLiteral("xy"));
    QVERIFY(model);
    QVERIFY(v.registry().file(model->id, QStringLiteral("x.bin")));

    FloatJob other(v.vault.get(), floatRequest({y}, QStringLiteral("xy"), 1));
    QVERIFY(run(other));
    QCOMPARE(other.failure(), FloatJob::Failure::BadInput);
    QVERIFY2(other.error().message.contains(QStringLiteral("x.bin")),
             qPrintable(other.error().message));
    QCOMPARE(v.registry().modelByName(QStringLiteral("xy"))->state, ModelRecord::State::Incomplete);

    FloatJob same(v.vault.get(), floatRequest({x, y}, QStringLiteral("xy"), 1));
    QVERIFY(run(same));
    QCOMPARE(same.failure(), FloatJob::Failure::None);
    QVERIFY(same.resumed());
    QCOMPARE(v.registry().modelByName(QStringLiteral("xy"))->state, ModelRecord::State::Complete);
    for (const FileRecord& f : v.registry().files(model->id))
        QCOMPARE(f.state, FileRecord::State::Complete);
}

void TestDistributor::providerWithMissingFolder()
{
    TestVault v(2);
    QVERIFY(v.ok());
    const QList<qint64> ids = v.providerIds();
    const qint64 broken = ids.at(1);
    QVERIFY(QDir(v.root(broken)).removeRecursively());

    const QByteArray data = test::pseudoRandomBytes(3 * MiB, 9);
    const QString source = v.path(QStringLiteral("p.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("p"), 2));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QVERIFY(warnings.size() >= 1);
    QVERIFY2(warnings.first().first().toString().contains(QStringLiteral("extra1")),
             qPrintable(warnings.first().first().toString()));
    const auto model = v.registry().modelByName(QStringLiteral("p"));
    QVERIFY(model);
    const QList<FileChunk> chunks = checkStored(v, model->id, QStringLiteral("p.bin"), data, 2);
    QVERIFY(!QTest::currentTestFailed());
    for (const FileChunk& c : chunks)
        for (const Placement& p : v.registry().placements(c.cid))
            QVERIFY(p.providerId != broken);
    QCOMPARE(job.totals().underReplicatedChunks, 0);
}

void TestDistributor::providerOverQuota()
{
    // Two providers and two replicas: the one with a tiny quota fills up, the rest of the
    // chunks get one replica, and the float still succeeds, saying so.
    TestVault v;
    QVERIFY(v.ok());
    const qint64 small = v.addProvider(QStringLiteral("tiny"), 300 * KiB);
    QVERIFY(small > 0);

    const QByteArray data = test::pseudoRandomBytes(4 * MiB, 10);
    const QString source = v.path(QStringLiteral("q.bin"));
    QVERIFY(test::writeFile(source, data));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("q"), 2));
    QSignalSpy warnings(&job, &FloatJob::warning);
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QStringList texts;
    for (const auto& w : warnings)
        texts.append(w.first().toString());
    QVERIFY2(texts.join(QLatin1Char('\n')).contains(QStringLiteral("tiny")),
             qPrintable(texts.join(QLatin1Char('\n'))));
    QVERIFY2(texts.join(QLatin1Char('\n')).contains(QStringLiteral("fewer than 2 replicas")),
             qPrintable(texts.join(QLatin1Char('\n'))));

    const auto model = v.registry().modelByName(QStringLiteral("q"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const auto file = v.registry().file(model->id, QStringLiteral("q.bin"));
    int underReplicated = 0;
    qint64 onSmall = 0;
    const qint64 local = v.providerIds().first();
    for (const FileChunk& c : v.registry().fileChunks(file->id)) {
        QSet<qint64> holders;
        for (const Placement& p : v.registry().placements(c.cid))
            if (p.state == PlacementState::Stored)
                holders.insert(p.providerId);
        QVERIFY(holders.contains(local));
        if (holders.contains(small))
            onSmall += c.size;
        else
            ++underReplicated;
    }
    QVERIFY(underReplicated > 0);
    QCOMPARE(job.totals().underReplicatedChunks, underReplicated);
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), model->id));
    QVERIFY(allObjectsIntact(v));
}

void TestDistributor::allProvidersFail()
{
    TestVault v(1);
    QVERIFY(v.ok());
    for (qint64 id : v.providerIds())
        QVERIFY(QDir(v.root(id)).removeRecursively());
    const QString source = v.path(QStringLiteral("f.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 2 * MiB, 11));

    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("f"), 2));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::Transfer);
    QVERIFY2(job.error().message.contains(QStringLiteral("could not be stored on any provider")),
             qPrintable(job.error().message));
    // The last provider error says why.
    QVERIFY2(job.error().message.contains(QStringLiteral("does not exist")),
             qPrintable(job.error().message));
    const auto model = v.registry().modelByName(QStringLiteral("f"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Incomplete);
    QCOMPARE(v.registry().stats().placements, 0);
}

void TestDistributor::emptyFile()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("empty.txt"));
    QVERIFY(test::writeFile(source, QByteArray()));
    FloatJob job(v.vault.get(), floatRequest({source}, QStringLiteral("e"), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::None);
    QCOMPARE(job.totals().chunks, 0);
    QCOMPARE(job.totals().bytesSent, qint64(0));
    const auto model = v.registry().modelByName(QStringLiteral("e"));
    QVERIFY(model);
    QCOMPARE(model->state, ModelRecord::State::Complete);
    const auto file = v.registry().file(model->id, QStringLiteral("empty.txt"));
    QVERIFY(file);
    QCOMPARE(file->size, qint64(0));
    QCOMPARE(file->state, FileRecord::State::Complete);
    QCOMPARE(file->sha256, test::opensslSha256Hex(source));
    QVERIFY(v.registry().fileChunks(file->id).isEmpty());

    RestoreJob::Request rr;
    rr.modelName = QStringLiteral("e");
    rr.destinationDir = v.path(QStringLiteral("out"));
    RestoreJob restore(v.vault.get(), rr);
    QVERIFY(run(restore));
    QCOMPARE(restore.failure(), RestoreJob::Failure::None);
    const QString restored = v.path(QStringLiteral("out/empty.txt"));
    QVERIFY(QFileInfo(restored).isFile());
    QCOMPARE(QFileInfo(restored).size(), qint64(0));
    QCOMPARE(test::opensslSha256Hex(restored), file->sha256);
}

void TestDistributor::fileChangesWhileFloated_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<bool>("rightAfterStart");
    QTest::newRow("appended at first progress") << QStringLiteral("append") << false;
    QTest::newRow("rewritten in place at first progress") << QStringLiteral("overwrite") << false;
    QTest::newRow("appended right after start") << QStringLiteral("append") << true;
    QTest::newRow("rewritten in place right after start") << QStringLiteral("overwrite") << true;
}

void TestDistributor::fileChangesWhileFloated()
{
    QFETCH(QString, change);
    QFETCH(bool, rightAfterStart);
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("moving.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 12));
    const auto modelId =
        v.registry().createModel(QStringLiteral("moving"), QStringLiteral("local:") + source);
    QVERIFY(modelId);

    FileDistributor::Options options;
    options.chunker = Small;
    options.replication = 2;
    options.maxPendingChunks = 2; // the scanner stays close behind the puts
    FileDistributor d(v.vault.get(), *modelId, source, QStringLiteral("moving.bin"), options);
    bool changed = false;
    const auto changeIt = [&] {
        if (changed)
            return;
        changed = true;
        // The first 64 KiB always belong to the first chunk: rewrite them with other bytes, and
        // change the time as a writer does, visibly even when the write falls within the tick
        // of the float's snapshot (the float may take it before or after the change: both are
        // caught by the snapshots, and whatever the scan read, the puts send what it hashed).
        const bool ok = change == QLatin1String("append")
                            ? appendTo(source, test::pseudoRandomBytes(100 * KiB, 13))
                            : overwriteAt(source, 0, test::pseudoRandomBytes(64 * KiB, 14)) &&
                                  moveMtimeOn(source);
        QVERIFY(ok);
    };
    if (!rightAfterStart)
        connect(&d, &FileDistributor::progress, this, changeIt);
    QSignalSpy finished(&d, &FileDistributor::finished);
    d.start();
    if (rightAfterStart)
        changeIt();
    QVERIFY(finished.wait(Timeout));
    QVERIFY(changed);
    QVERIFY(!d.error().ok());
    QVERIFY(d.sourceFailed());
    QVERIFY2(d.error().message.contains(QStringLiteral("changed while it was being read")),
             qPrintable(d.error().message));
    const auto file = v.registry().file(*modelId, QStringLiteral("moving.bin"));
    QVERIFY(file);
    QCOMPARE(file->state, FileRecord::State::Incomplete);
    // Whatever was stored is a real chunk, and known to the registry.
    QVERIFY(allObjectsIntact(v));
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), *modelId));
}

void TestDistributor::rewriteUnseenByStatPublishesNothing()
{
    TestVault v(2);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("torn.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 2 * MiB, 21));
    QFile head(source);
    QVERIFY(head.open(QIODevice::ReadOnly));
    const QByteArray original = head.read(64 * KiB);
    head.close();
    const auto modelId =
        v.registry().createModel(QStringLiteral("torn"), QStringLiteral("local:") + source);
    QVERIFY(modelId);

    FileDistributor::Options options;
    options.chunker = Small;
    options.replication = 2;
    options.maxPendingChunks = 2;
    // The first 64 KiB always belong to the first chunk.
    auto owned =
        std::make_unique<UnseenRewriteSource>(source, Small, test::pseudoRandomBytes(64 * KiB, 22));
    UnseenRewriteSource* rewriting = owned.get();
    FileDistributor d(v.vault.get(), *modelId, std::move(owned), QStringLiteral("torn.bin"),
                      options);
    QSignalSpy warnings(&d, &FileDistributor::warning);
    QSignalSpy finished(&d, &FileDistributor::finished);
    d.start();
    QVERIFY(finished.wait(Timeout));
    const QString rewritten = rewriting->rewrittenCid();
    QVERIFY(!rewritten.isEmpty());

    // The float fails, and it is the file's failure, with the sentence for a changed file.
    QVERIFY(!d.error().ok());
    QVERIFY(d.sourceFailed());
    QVERIFY2(d.error().message.contains(
                 QStringLiteral("“%1” changed while it was being read").arg(source)),
             qPrintable(d.error().message));
    // No provider was blamed for it (excluded, "placing chunks elsewhere").
    QVERIFY2(warnings.isEmpty(), qPrintable(warnings.value(0).value(0).toString()));
    const auto file = v.registry().file(*modelId, QStringLiteral("torn.bin"));
    QVERIFY(file);
    QCOMPARE(file->state, FileRecord::State::Incomplete);

    // Nothing was published under the rewritten chunk's name, and no object anywhere holds
    // bytes that do not hash to its name; the registry counts exactly what is stored.
    QVERIFY(allObjectsIntact(v));
    QCOMPARE(objectsOnProviders(v), storedPlacements(v.registry(), *modelId));
    for (const Placement& p : v.registry().placements(rewritten))
        QVERIFY(p.state != PlacementState::Stored);
    for (qint64 id : v.providerIds()) {
        QVERIFY(!objectsIn(v.root(id)).contains(rewritten));
        QCOMPARE(temporariesIn(v.root(id)), QStringList());
    }

    // The file as it was scanned, floated again: every chunk is stored and holds its bytes (an
    // object under the first chunk's name with other bytes would be found and counted, and the
    // model would say complete and not restore).
    QVERIFY(overwriteAt(source, 0, original));
    QFile whole(source);
    QVERIFY(whole.open(QIODevice::ReadOnly));
    const QByteArray data = whole.readAll();
    FileDistributor again(v.vault.get(), *modelId, source, QStringLiteral("torn.bin"), options);
    QSignalSpy againFinished(&again, &FileDistributor::finished);
    again.start();
    QVERIFY(againFinished.wait(Timeout));
    QVERIFY2(again.error().ok(), qPrintable(again.error().message));
    QVERIFY(!checkStored(v, *modelId, QStringLiteral("torn.bin"), data, 2).isEmpty());
    QVERIFY(allObjectsIntact(v));
}

// A file's puts send the bytes the scan read and hashed, held since: the file is not read again
// (a rewrite after the scan cannot reach a provider) and the distributor does not hash them
// again. Only the chunks it reported and that are not yet placed are held.
void TestDistributor::fileSourceHoldsTheBytesItHashed()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("held.bin"));
    const QByteArray original = test::pseudoRandomBytes(3 * MiB + 77, 31);
    QVERIFY(test::writeFile(path, original));
    FileChunkSource source(path, Small);
    QVERIFY(source.holdsHashedBytes());
    source.setMaxPendingChunks(1000);
    QList<ScannedChunk> chunks;
    connect(&source, &ChunkSource::chunkScanned, this,
            [&chunks](const ScannedChunk& c) { chunks.append(c); });
    QSignalSpy finished(&source, &ChunkSource::finished);
    source.start();
    QVERIFY(finished.wait(Timeout));
    QVERIFY2(source.errorString().isEmpty(), qPrintable(source.errorString()));
    QVERIFY(chunks.size() > 3);

    // Every byte of the file is different now; the chunks' puts still get what was hashed.
    QVERIFY(test::writeFile(path, test::pseudoRandomBytes(original.size(), 32)));
    for (const ScannedChunk& c : std::as_const(chunks)) {
        QString error;
        const std::unique_ptr<QIODevice> device = source.openChunk(c, &error);
        QVERIFY2(device, qPrintable(error));
        const QByteArray bytes = device->readAll();
        QVERIFY2(bytes == original.mid(c.offset, c.size), qPrintable(c.cid));
        QCOMPARE(cid::ofData(bytes), c.cid);
    }
    // The change itself is still the float's failure to report.
    QVERIFY(source.changedError().contains(QLatin1String("changed while it was being read")));

    // A chunk whose bytes were let go cannot be opened, and says so.
    ScannedChunk dropped = chunks.first();
    dropped.bytes = {};
    QString error;
    QVERIFY(!source.openChunk(dropped, &error));
    QVERIFY2(error.contains(QLatin1String("no longer held")), qPrintable(error));
}

void TestDistributor::collectFilesErrors_data()
{
    QTest::addColumn<QStringList>("paths"); // relative to a scratch folder
    QTest::addColumn<QString>("message");
    QTest::newRow("nothing") << QStringList() << QStringLiteral("Nothing to float");
    QTest::newRow("missing") << QStringList{QStringLiteral("nope.bin")}
                             << QStringLiteral("does not exist");
    QTest::newRow("empty folder") << QStringList{QStringLiteral("empty")}
                                  << QStringLiteral("contains no files");
    QTest::newRow("same name twice")
        << QStringList{QStringLiteral("a/x.bin"), QStringLiteral("b/x.bin")}
        << QStringLiteral("Two files would both be “x.bin”");
    QTest::newRow("same file twice")
        << QStringList{QStringLiteral("a/x.bin"), QStringLiteral("a/x.bin")}
        << QStringLiteral("Two files would both be “x.bin”");
    QTest::newRow("folder and file") << QStringList{QStringLiteral("c"), QStringLiteral("c")}
                                     << QStringLiteral("Two files would both be “c/y.bin”");
}

void TestDistributor::collectFilesErrors()
{
    QFETCH(QStringList, paths);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("empty"))));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("a"))));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("b"))));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("c"))));
    QVERIFY(test::writeFile(dir.filePath(QStringLiteral("a/x.bin")), "one"));
    QVERIFY(test::writeFile(dir.filePath(QStringLiteral("b/x.bin")), "two"));
    QVERIFY(test::writeFile(dir.filePath(QStringLiteral("c/y.bin")), "three"));
    QStringList absolute;
    for (const QString& p : std::as_const(paths))
        absolute.append(dir.filePath(p));

    QString error;
    QVERIFY(!FloatJob::collectFiles(absolute, &error));
    QVERIFY2(error.contains(message), qPrintable(error));

    // FloatJob refuses the same input before it touches the registry.
    TestVault v;
    QVERIFY(v.ok());
    FloatJob job(v.vault.get(), floatRequest(absolute, QStringLiteral("bad"), 1));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), FloatJob::Failure::BadInput);
    QVERIFY2(job.error().message.contains(message), qPrintable(job.error().message));
    QVERIFY(!v.registry().modelByName(QStringLiteral("bad")));
}

void TestDistributor::modelExists()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("x.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 300 * KiB, 15));
    FloatJob one(v.vault.get(), floatRequest({source}, QStringLiteral("x"), 1));
    QVERIFY(run(one));
    QCOMPARE(one.failure(), FloatJob::Failure::None);
    const VaultStats before = v.registry().stats();

    // The same bytes again: nothing to do, and a success.
    FloatJob same(v.vault.get(), floatRequest({source}, QStringLiteral("x"), 1));
    QVERIFY(run(same));
    QCOMPARE(same.failure(), FloatJob::Failure::None);
    QVERIFY(same.alreadyFloated());
    QCOMPARE(same.totals().bytesSent, 0);

    // Other bytes under the name: refused, nothing changed.
    QVERIFY(test::writePseudoRandomFile(source, 300 * KiB, 16));
    FloatJob again(v.vault.get(), floatRequest({source}, QStringLiteral("x"), 1));
    QVERIFY(run(again));
    QCOMPARE(again.failure(), FloatJob::Failure::ModelExists);
    QVERIFY2(again.error().message.contains(QStringLiteral("already exists")),
             qPrintable(again.error().message));
    QVERIFY(!again.resumed());
    const VaultStats after = v.registry().stats();
    QCOMPARE(after.models, before.models);
    QCOMPARE(after.files, before.files);
    QCOMPARE(after.placements, before.placements);
}

QTEST_GUILESS_MAIN(TestDistributor)
#include "tst_distributor.moc"
