// The way back out of the vault, against real local-folder providers in a temporary vault:
// RestoreJob / FileAssembler (bit-exact against the `openssl` command, failover to another
// replica when objects are missing or damaged, nothing left behind on failure, existing
// destinations, a full disk), RangeJob (arbitrary byte ranges against the source bytes),
// VerifyJob (exact counts after known damage) and RemoveJob (shared chunks survive).

#include "chunking/cid.h"
#include "providers/localprovider.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/fileassembler.h"
#include "transfer/floatjob.h"
#include "transfer/rangejob.h"
#include "transfer/removejob.h"
#include "transfer/restorejob.h"
#include "transfer/verifyjob.h"
#include "vault/vault.h"

#include <QBuffer>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace mf;

namespace {

using test::KiB;
using test::MiB;
using test::run;
using test::TestVault;
const ChunkerParams Small = test::SmallChunks;
constexpr int Timeout = test::JobTimeoutMs;

// Floats `paths` as model `name` with the small chunker; false if that fails.
bool floatModel(TestVault& v, const QStringList& paths, const QString& name, int replication)
{
    FloatJob::Request r;
    r.paths = paths;
    r.modelName = name;
    r.options.replication = replication;
    r.options.chunker = Small;
    FloatJob job(v.vault.get(), r);
    if (!run(job) || job.failure() != FloatJob::Failure::None) {
        qWarning("Float failed: %s", qPrintable(job.error().message));
        return false;
    }
    return true;
}

std::optional<FileRecord> fileOf(TestVault& v, const QString& model, const QString& path)
{
    const auto m = v.registry().modelByName(model);
    return m ? v.registry().file(m->id, path) : std::nullopt;
}

QList<FileChunk> chunksOf(TestVault& v, const QString& model, const QString& path)
{
    const auto f = fileOf(v, model, path);
    return f ? v.registry().fileChunks(f->id) : QList<FileChunk>();
}

// The state of a chunk's placement on a provider, by name ("none" without one).
QString stateOf(TestVault& v, const QString& cid, qint64 providerId)
{
    for (const Placement& p : v.registry().placements(cid))
        if (p.providerId == providerId)
            return placementStateName(p.state);
    return QStringLiteral("none");
}

const QString Stored = placementStateName(PlacementState::Stored);
const QString Missing = placementStateName(PlacementState::Missing);
const QString Corrupt = placementStateName(PlacementState::Corrupt);

// Every name in a folder, hidden ones included.
QStringList entriesOf(const QString& dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System |
                               QDir::NoDotAndDotDot);
}

// Names of the objects a local provider folder holds (temporaries excluded).
QStringList objectsIn(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        if (!it.filePath().contains(QStringLiteral("/.tmp/")))
            out.append(it.fileName());
    }
    return out;
}

bool damage(const QString& objectPath, qint64 size, quint64 seed)
{
    return test::writeFile(objectPath, test::pseudoRandomBytes(size, seed));
}

RestoreJob::Request restoreRequest(const QString& model, const QString& dir, bool overwrite = false)
{
    RestoreJob::Request r;
    r.modelName = model;
    r.destinationDir = dir;
    r.options.overwrite = overwrite;
    return r;
}

// An output that takes bytes at once but sends them on slowly, as a socket to a slow reader
// does: what was written waits (bytesToWrite) and 64 KiB of it leaves on a later turn of the
// event loop, and only after the writer has looked at what waits. A writer that never looks
// (that does not wait for its output) so floods it, as it would flood a socket.
class SlowOutput final : public QIODevice
{
public:
    QByteArray sent;
    qint64 mostWaiting = 0;

    SlowOutput()
    {
        m_timer.setInterval(0);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { drain(); });
        m_timer.start();
    }
    // The rest at once, once the writer is done.
    void flush()
    {
        sent += m_waiting;
        m_waiting.clear();
    }
    qint64 bytesToWrite() const override
    {
        m_drainAsked = !m_waiting.isEmpty();
        return m_waiting.size();
    }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char*, qint64) override { return -1; }
    qint64 writeData(const char* data, qint64 size) override
    {
        m_waiting.append(data, size);
        mostWaiting = qMax<qint64>(mostWaiting, m_waiting.size());
        return size;
    }

private:
    void drain()
    {
        if (!m_drainAsked || m_waiting.isEmpty())
            return;
        m_drainAsked = false;
        const qsizetype n = qMin<qsizetype>(64 * 1024, m_waiting.size());
        sent += m_waiting.left(n);
        m_waiting.remove(0, n);
        Q_EMIT bytesWritten(n);
    }
    QByteArray m_waiting;
    mutable bool m_drainAsked = false;
    QTimer m_timer;
};

} // namespace

class TestAssembler final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void restoresBitExact();
    void restoresOneFileOfFolder();
    void failsOverToOtherReplica();
    void oversizedDamagedReplica();
    void everyReplicaBad_data();
    void everyReplicaBad();
    void destinationExists();
    void assemblerRefusesExisting();
    void destinationAppearsDuringRestore();
    void longFileName();
    void noParallelFetches();
    void unsafePathInRegistry();
    void abortRestore();
    void destroyWhileRestoring();
    void diskFull();
    void range_data();
    void range();
    void rangeOutsideFile();
    void rangeWaitsForASlowOutput();
    void verifyHealthy();
    void verifyCountsDamage();
    void removeSharedChunks();
    void removeWhileProviderOffline();
};

void TestAssembler::restoresBitExact()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("big.gguf"));
    QVERIFY(test::writePseudoRandomFile(source, 5 * MiB + 777, 21));
    QVERIFY(floatModel(v, {source}, QStringLiteral("big"), 2));
    QVERIFY(chunksOf(v, QStringLiteral("big"), QStringLiteral("big.gguf")).size() > 5);

    const QString out = v.path(QStringLiteral("out"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("big"), out));
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(job.failure(), RestoreJob::Failure::None);
    QCOMPARE(job.restoredPaths(), QStringList{QDir(out).filePath(QStringLiteral("big.gguf"))});
    QVERIFY(job.problems().isEmpty());
    QCOMPARE(job.progressNow().totalBytes, qint64(5 * MiB + 777));
    QCOMPARE(job.progressNow().bytesDone, job.progressNow().totalBytes);
    QCOMPARE(test::opensslSha256Hex(job.restoredPaths().first()), test::opensslSha256Hex(source));
    QCOMPARE(entriesOf(out), QStringList{QStringLiteral("big.gguf")});
    // Every replica that was read is now marked verified.
    for (const FileChunk& c : chunksOf(v, QStringLiteral("big"), QStringLiteral("big.gguf"))) {
        bool verified = false;
        for (const Placement& p : v.registry().placements(c.cid))
            verified = verified || p.verifiedAt.isValid();
        QVERIFY(verified);
    }
}

void TestAssembler::restoresOneFileOfFolder()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString folder = v.path(QStringLiteral("model"));
    QVERIFY(QDir().mkpath(folder + QStringLiteral("/tokenizer")));
    QVERIFY(test::writePseudoRandomFile(folder + QStringLiteral("/weights.bin"), 3 * MiB, 22));
    QVERIFY(test::writePseudoRandomFile(folder + QStringLiteral("/tokenizer/vocab.json"), 200 * KiB,
                                        23));
    QVERIFY(floatModel(v, {folder}, QStringLiteral("model"), 1));

    const QString out = v.path(QStringLiteral("out"));
    RestoreJob::Request one = restoreRequest(QStringLiteral("model"), out);
    one.filePath = QStringLiteral("tokenizer/vocab.json");
    RestoreJob job(v.vault.get(), one);
    QVERIFY(run(job));
    QCOMPARE(job.failure(), RestoreJob::Failure::None);
    QCOMPARE(entriesOf(out), QStringList{QStringLiteral("tokenizer")});
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/tokenizer/vocab.json")),
             test::opensslSha256Hex(folder + QStringLiteral("/tokenizer/vocab.json")));

    RestoreJob all(v.vault.get(),
                   restoreRequest(QStringLiteral("model"), out + QStringLiteral("2")));
    QVERIFY(run(all));
    QCOMPARE(all.failure(), RestoreJob::Failure::None);
    QCOMPARE(all.restoredPaths().size(), 2);
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("2/weights.bin")),
             test::opensslSha256Hex(folder + QStringLiteral("/weights.bin")));

    RestoreJob missing(v.vault.get(), restoreRequest(QStringLiteral("nope"), out));
    QVERIFY(run(missing));
    QCOMPARE(missing.failure(), RestoreJob::Failure::NotFound);
}

void TestAssembler::failsOverToOtherReplica()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 a = v.providerIds().at(0); // first by id: probed first
    const qint64 b = v.providerIds().at(1);
    const QString source = v.path(QStringLiteral("f.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 24));
    QVERIFY(floatModel(v, {source}, QStringLiteral("f"), 2));
    const QList<FileChunk> chunks = chunksOf(v, QStringLiteral("f"), QStringLiteral("f.bin"));
    QVERIFY(chunks.size() >= 6);

    QStringList deleted, damaged;
    for (const FileChunk& c : chunks) {
        if (c.index % 3 == 0) {
            QVERIFY(QFile::remove(v.objectPath(a, c.cid)));
            deleted.append(c.cid);
        } else if (c.index % 3 == 1) {
            QVERIFY(damage(v.objectPath(a, c.cid), c.size, 100 + c.index));
            damaged.append(c.cid);
        }
    }

    const QString out = v.path(QStringLiteral("out"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("f"), out));
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(job.failure(), RestoreJob::Failure::None);
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/f.bin")),
             test::opensslSha256Hex(source));
    QCOMPARE(entriesOf(out), QStringList{QStringLiteral("f.bin")});

    // One problem line per bad replica read, naming the chunk and what was wrong. Reads spread
    // over both providers (swarming), so not every bad replica on `a` is read; the first chunk
    // is (nothing is measured yet: each provider is probed in turn, `a` first), and a bad replica
    // that was read is marked, one that was not stays as it was.
    const QString problems = job.problems().join(QLatin1Char('\n'));
    int found = 0;
    for (const QString& cid : std::as_const(deleted)) {
        QCOMPARE(stateOf(v, cid, b), Stored);
        if (stateOf(v, cid, a) == Stored)
            continue;
        ++found;
        QVERIFY2(problems.contains(QStringLiteral("chunk %1 is missing").arg(cid)),
                 qPrintable(problems));
        QCOMPARE(stateOf(v, cid, a), Missing);
    }
    for (const QString& cid : std::as_const(damaged)) {
        QCOMPARE(stateOf(v, cid, b), Stored);
        if (stateOf(v, cid, a) == Stored)
            continue;
        ++found;
        QVERIFY2(
            problems.contains(QStringLiteral("chunk %1 on provider “local” is corrupt").arg(cid)),
            qPrintable(problems));
        QCOMPARE(stateOf(v, cid, a), Corrupt);
    }
    QCOMPARE(stateOf(v, chunks.first().cid, a), Missing);
    QCOMPARE(job.problems().size(), found);
    for (const FileChunk& c : chunks)
        if (c.index % 3 == 2)
            QCOMPARE(stateOf(v, c.cid, a), Stored);
    QCOMPARE(v.registry().stats().unhealthyPlacements, found);
}

void TestAssembler::oversizedDamagedReplica()
{
    // A damaged object larger than its chunk must not spill into the neighbouring chunk or past
    // the end of the file.
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 a = v.providerIds().at(0);
    const QString source = v.path(QStringLiteral("o.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 4 * MiB + 5, 25));
    QVERIFY(floatModel(v, {source}, QStringLiteral("o"), 2));
    const QList<FileChunk> chunks = chunksOf(v, QStringLiteral("o"), QStringLiteral("o.bin"));
    QVERIFY(chunks.size() >= 3);
    for (const FileChunk& c : chunks)
        QVERIFY(damage(v.objectPath(a, c.cid), c.size + 300 * KiB, 200 + c.index));

    const QString out = v.path(QStringLiteral("out"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("o"), out));
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(QFileInfo(out + QStringLiteral("/o.bin")).size(), qint64(4 * MiB + 5));
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/o.bin")),
             test::opensslSha256Hex(source));
    // Every replica on `a` that was read (the first chunk's at least: `a` is probed first) was
    // found oversized and marked; the others were read from `b` alone.
    int found = 0;
    for (const FileChunk& c : chunks)
        if (stateOf(v, c.cid, a) != Stored) {
            QCOMPARE(stateOf(v, c.cid, a), Corrupt);
            ++found;
        }
    QCOMPARE(stateOf(v, chunks.first().cid, a), Corrupt);
    QCOMPARE(job.problems().size(), found);
}

void TestAssembler::everyReplicaBad_data()
{
    QTest::addColumn<bool>("deleteOne"); // one replica missing, the other corrupt
    QTest::addColumn<bool>("oversized");
    QTest::newRow("both corrupt") << false << false;
    QTest::newRow("both corrupt and too long") << false << true;
    QTest::newRow("one missing, one corrupt") << true << false;
}

void TestAssembler::everyReplicaBad()
{
    QFETCH(bool, deleteOne);
    QFETCH(bool, oversized);
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("lost.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 5 * MiB, 26));
    QVERIFY(floatModel(v, {source}, QStringLiteral("lost"), 2));
    const QList<FileChunk> chunks = chunksOf(v, QStringLiteral("lost"), QStringLiteral("lost.bin"));
    QVERIFY(chunks.size() >= 4);
    const FileChunk bad = chunks.at(chunks.size() / 2);
    const QList<qint64> ids = v.providerIds();
    for (int i = 0; i < ids.size(); ++i) {
        if (deleteOne && i == 0)
            QVERIFY(QFile::remove(v.objectPath(ids.at(i), bad.cid)));
        else
            QVERIFY(damage(v.objectPath(ids.at(i), bad.cid), bad.size + (oversized ? 4096 : 0),
                           300 + i));
    }

    const QString out = v.path(QStringLiteral("out"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("lost"), out));
    QVERIFY(run(job));
    QVERIFY(!job.error().ok());
    QCOMPARE(job.failure(), RestoreJob::Failure::Integrity);
    QVERIFY2(job.error().message.contains(bad.cid), qPrintable(job.error().message));
    QVERIFY(job.restoredPaths().isEmpty());
    // Neither the file nor its temporary is left behind.
    QVERIFY2(entriesOf(out).isEmpty(), qPrintable(entriesOf(out).join(QLatin1Char(' '))));
    QCOMPARE(stateOf(v, bad.cid, ids.at(0)), deleteOne ? Missing : Corrupt);
    QCOMPARE(stateOf(v, bad.cid, ids.at(1)), Corrupt);
}

void TestAssembler::destinationExists()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("d.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 1 * MiB + 1, 27));
    QVERIFY(floatModel(v, {source}, QStringLiteral("d"), 1));
    const QString out = v.path(QStringLiteral("out"));
    QVERIFY(QDir().mkpath(out));
    const QString dest = out + QStringLiteral("/d.bin");
    QVERIFY(test::writeFile(dest, "precious"));

    RestoreJob refused(v.vault.get(), restoreRequest(QStringLiteral("d"), out));
    QVERIFY(run(refused));
    QCOMPARE(refused.failure(), RestoreJob::Failure::DestinationExists);
    QVERIFY2(refused.error().message.contains(QStringLiteral("already exists")),
             qPrintable(refused.error().message));
    QFile f(dest);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("precious"));
    f.close();
    QCOMPARE(entriesOf(out), QStringList{QStringLiteral("d.bin")});

    RestoreJob replaced(v.vault.get(), restoreRequest(QStringLiteral("d"), out, true));
    QVERIFY(run(replaced));
    QVERIFY2(replaced.error().ok(), qPrintable(replaced.error().message));
    QCOMPARE(replaced.failure(), RestoreJob::Failure::None);
    QCOMPARE(test::opensslSha256Hex(dest), test::opensslSha256Hex(source));
    QCOMPARE(entriesOf(out), QStringList{QStringLiteral("d.bin")});
}

void TestAssembler::assemblerRefusesExisting()
{
    // FileAssembler checks on its own too (RestoreJob checks before it starts, but a
    // destination can appear in between).
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("e.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 700 * KiB, 28));
    QVERIFY(floatModel(v, {source}, QStringLiteral("e"), 1));
    const auto file = fileOf(v, QStringLiteral("e"), QStringLiteral("e.bin"));
    QVERIFY(file);
    const QString dest = v.path(QStringLiteral("out/e.bin"));
    QVERIFY(QDir().mkpath(v.path(QStringLiteral("out"))));
    QVERIFY(test::writeFile(dest, "keep me"));

    FileAssembler refused(v.vault.get(), *file, dest, FileAssembler::Options{});
    QVERIFY(run(refused));
    QVERIFY(!refused.error().ok());
    QCOMPARE(entriesOf(v.path(QStringLiteral("out"))), QStringList{QStringLiteral("e.bin")});
    QCOMPARE(QFileInfo(dest).size(), qint64(7));

    FileAssembler::Options overwrite;
    overwrite.overwrite = true;
    FileAssembler replaced(v.vault.get(), *file, dest, overwrite);
    QVERIFY(run(replaced));
    QVERIFY2(replaced.error().ok(), qPrintable(replaced.error().message));
    QCOMPARE(test::opensslSha256Hex(dest), test::opensslSha256Hex(source));
    QCOMPARE(replaced.bytesDone(), file->size);
}

void TestAssembler::destinationAppearsDuringRestore()
{
    // Checked at the start, and again when the file is moved into place: something that
    // appears meanwhile is not replaced.
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("late.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 3 * MiB, 40));
    QVERIFY(floatModel(v, {source}, QStringLiteral("late"), 1));
    const QString out = v.path(QStringLiteral("out"));
    const QString dest = out + QStringLiteral("/late.bin");

    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("late"), out));
    bool created = false;
    connect(&job, &RestoreJob::progress, this, [&] {
        if (!created)
            created = test::writeFile(dest, "someone else's");
    });
    QVERIFY(run(job));
    QVERIFY(created);
    QCOMPARE(job.failure(), RestoreJob::Failure::Transfer);
    QVERIFY2(job.error().message.contains(QStringLiteral("already exists")),
             qPrintable(job.error().message));
    QFile f(dest);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("someone else's"));
    QCOMPARE(entriesOf(out), QStringList{QStringLiteral("late.bin")});
}

void TestAssembler::longFileName()
{
    // 250 bytes is a legal name; its temporary must still fit the 255-byte limit.
    TestVault v;
    QVERIFY(v.ok());
    const QString name = QString(246, QLatin1Char('n')) + QStringLiteral(".bin");
    const QString source = v.path(name);
    QVERIFY(test::writePseudoRandomFile(source, 600 * KiB, 41));
    QVERIFY(floatModel(v, {source}, QStringLiteral("long"), 1));
    const QString out = v.path(QStringLiteral("out"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("long"), out));
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(entriesOf(out), QStringList{name});
    QCOMPARE(test::opensslSha256Hex(out + QLatin1Char('/') + name), test::opensslSha256Hex(source));
}

void TestAssembler::noParallelFetches()
{
    // A nonsensical 0 still restores (one fetch at a time) rather than waiting forever.
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("z.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 2 * MiB, 42));
    QVERIFY(floatModel(v, {source}, QStringLiteral("z"), 1));
    RestoreJob::Request r = restoreRequest(QStringLiteral("z"), v.path(QStringLiteral("out")));
    r.options.parallelFetches = 0;
    RestoreJob job(v.vault.get(), r);
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(test::opensslSha256Hex(v.path(QStringLiteral("out/z.bin"))),
             test::opensslSha256Hex(source));
}

void TestAssembler::unsafePathInRegistry()
{
    // A registry entry whose path climbs out of the destination is refused, not followed.
    TestVault v;
    QVERIFY(v.ok());
    Registry& r = v.registry();
    const QByteArray bytes = test::pseudoRandomBytes(1000, 43);
    const auto model = r.createModel(QStringLiteral("evil"), QStringLiteral("test"));
    QVERIFY(model);
    const auto file =
        r.beginFile(*model, QStringLiteral("../escaped.bin"), bytes.size(), Small.toString());
    QVERIFY(file);
    QVERIFY(r.appendChunks(*file, {{0, 0, bytes.size(), cid::ofData(bytes)}}));
    QVERIFY(test::writeFile(v.path(QStringLiteral("escaped-source.bin")), bytes));
    QVERIFY(r.completeFile(
        *file, test::opensslSha256Hex(v.path(QStringLiteral("escaped-source.bin"))), {}));
    QVERIFY(r.setModelState(*model, ModelRecord::State::Complete));

    const QString out = v.path(QStringLiteral("out/inner"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("evil"), out));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), RestoreJob::Failure::Integrity);
    QVERIFY(!QFileInfo::exists(v.path(QStringLiteral("out/escaped.bin"))));
    QVERIFY(!QFileInfo::exists(out));
}

void TestAssembler::abortRestore()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("a.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 44));
    QVERIFY(floatModel(v, {source}, QStringLiteral("a"), 1));
    const QString out = v.path(QStringLiteral("out"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("a"), out));
    bool aborted = false;
    connect(&job, &RestoreJob::progress, this, [&] {
        if (!aborted) {
            aborted = true;
            job.abort();
        }
    });
    QVERIFY(run(job));
    QVERIFY(aborted);
    QCOMPARE(job.failure(), RestoreJob::Failure::Cancelled);
    QCOMPARE(job.error().kind, Error::Kind::Cancelled);
    QVERIFY2(entriesOf(out).isEmpty(), qPrintable(entriesOf(out).join(QLatin1Char(' '))));
}

void TestAssembler::destroyWhileRestoring()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("d.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 45));
    QVERIFY(floatModel(v, {source}, QStringLiteral("d"), 2));
    const QString out = v.path(QStringLiteral("out"));
    auto job =
        std::make_unique<RestoreJob>(v.vault.get(), restoreRequest(QStringLiteral("d"), out));
    bool destroyed = false;
    connect(job.get(), &RestoreJob::progress, this, [&] {
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
    QVERIFY2(entriesOf(out).isEmpty(), qPrintable(entriesOf(out).join(QLatin1Char(' '))));
    // The vault is still usable.
    RestoreJob again(v.vault.get(), restoreRequest(QStringLiteral("d"), out));
    QVERIFY(run(again));
    QVERIFY2(again.error().ok(), qPrintable(again.error().message));
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/d.bin")),
             test::opensslSha256Hex(source));
}

void TestAssembler::diskFull()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("six.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 6 * MiB, 29));
    QVERIFY(floatModel(v, {source}, QStringLiteral("six"), 1));

    const QString small = v.path(QStringLiteral("small"));
    QVERIFY(QDir().mkpath(small));
    if (!test::mountTmpfsOrRerunInNamespace(small, QStringLiteral("2M"), "diskFull"))
        return;
    const auto unmount = qScopeGuard([&] { test::unmountTmpfs(small); });

    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("six"), small));
    QVERIFY(run(job));
    QCOMPARE(job.failure(), RestoreJob::Failure::Transfer);
    QCOMPARE(job.error().kind, Error::Kind::QuotaExceeded);
    QVERIFY2(job.error().message.contains(QStringLiteral("free space")),
             qPrintable(job.error().message));
    QVERIFY2(entriesOf(small).isEmpty(), qPrintable(entriesOf(small).join(QLatin1Char(' '))));
    QVERIFY(job.restoredPaths().isEmpty());

    // A file that fits restores there.
    const QString fits = v.path(QStringLiteral("fits.bin"));
    QVERIFY(test::writePseudoRandomFile(fits, 1 * MiB, 30));
    QVERIFY(floatModel(v, {fits}, QStringLiteral("fits"), 1));
    RestoreJob ok(v.vault.get(), restoreRequest(QStringLiteral("fits"), small));
    QVERIFY(run(ok));
    QVERIFY2(ok.error().ok(), qPrintable(ok.error().message));
    QCOMPARE(test::opensslSha256Hex(small + QStringLiteral("/fits.bin")),
             test::opensslSha256Hex(fits));
}

void TestAssembler::range_data()
{
    QTest::addColumn<QString>("which");
    QTest::addColumn<bool>("damaged"); // the first replica of every chunk is corrupt
    for (bool damaged : {false, true}) {
        const char* suffix = damaged ? " (failover)" : "";
        for (const char* which :
             {"first byte", "last byte", "whole file", "empty", "across one boundary",
              "across several chunks", "inside one chunk", "exactly one chunk",
              "from the middle to the end"})
            QTest::addRow("%s%s", which, suffix) << QString::fromLatin1(which) << damaged;
    }
}

void TestAssembler::range()
{
    QFETCH(QString, which);
    QFETCH(bool, damaged);
    TestVault v(1);
    QVERIFY(v.ok());
    const QByteArray data = test::pseudoRandomBytes(4 * MiB + 321, 31);
    const QString source = v.path(QStringLiteral("r.bin"));
    QVERIFY(test::writeFile(source, data));
    QVERIFY(floatModel(v, {source}, QStringLiteral("r"), 2));
    const auto file = fileOf(v, QStringLiteral("r"), QStringLiteral("r.bin"));
    QVERIFY(file);
    const QList<FileChunk> chunks = v.registry().fileChunks(file->id);
    QVERIFY(chunks.size() >= 5);
    if (damaged)
        for (const FileChunk& c : chunks)
            QVERIFY(damage(v.objectPath(v.providerIds().first(), c.cid), c.size, 400 + c.index));

    const qint64 size = data.size();
    const FileChunk& second = chunks.at(1);
    qint64 begin = 0, end = 0;
    if (which == QLatin1String("first byte")) {
        begin = 0, end = 1;
    } else if (which == QLatin1String("last byte")) {
        begin = size - 1, end = size;
    } else if (which == QLatin1String("whole file")) {
        begin = 0, end = size;
    } else if (which == QLatin1String("empty")) {
        begin = 1000, end = 1000;
    } else if (which == QLatin1String("across one boundary")) {
        begin = second.offset - 10, end = second.offset + 10;
    } else if (which == QLatin1String("across several chunks")) {
        begin = chunks.at(1).offset + 5, end = chunks.at(4).offset + 7;
    } else if (which == QLatin1String("inside one chunk")) {
        begin = second.offset + 3, end = second.offset + second.size - 3;
    } else if (which == QLatin1String("exactly one chunk")) {
        begin = second.offset, end = second.offset + second.size;
    } else {
        begin = size / 2, end = size;
    }

    QBuffer buffer;
    QVERIFY(buffer.open(QIODevice::WriteOnly));
    auto job = std::make_unique<RangeJob>(v.vault.get(), *file, begin, end, &buffer);
    QVERIFY(run(*job));
    QVERIFY2(job->error().ok(), qPrintable(job->error().message));
    QCOMPARE(job->bytesWritten(), end - begin);
    QCOMPARE(qint64(buffer.data().size()), end - begin);
    QVERIFY(buffer.data() == data.mid(begin, end - begin));
    // The spool file is gone with the job.
    job.reset();
    QVERIFY(entriesOf(v.vault->tempDirectory()).isEmpty());
}

void TestAssembler::rangeOutsideFile()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("s.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 1 * MiB, 32));
    QVERIFY(floatModel(v, {source}, QStringLiteral("s"), 1));
    const auto file = fileOf(v, QStringLiteral("s"), QStringLiteral("s.bin"));
    QVERIFY(file);
    const QList<QPair<qint64, qint64>> bad{{-1, 10}, {0, MiB + 1}, {20, 10}, {MiB + 1, MiB + 2}};
    for (const auto& [begin, end] : bad) {
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        RangeJob job(v.vault.get(), *file, begin, end, &buffer);
        QVERIFY(run(job));
        QVERIFY(!job.error().ok());
        QVERIFY2(job.error().message.contains(QStringLiteral("outside")),
                 qPrintable(job.error().message));
        QCOMPARE(qint64(buffer.data().size()), qint64(0));
    }
}

void TestAssembler::rangeWaitsForASlowOutput()
{
    // Memory must not grow with the file however slowly the output (the API's socket) sends:
    // RangeJob writes more only while the output holds at most MaxOutputBacklog.
    TestVault v;
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("slow.bin"));
    const qint64 size = 12 * MiB + 5;
    QVERIFY(test::writePseudoRandomFile(source, size, 35));
    QVERIFY(floatModel(v, {source}, QStringLiteral("slow"), 1));
    const auto file = fileOf(v, QStringLiteral("slow"), QStringLiteral("slow.bin"));
    QVERIFY(file);
    SlowOutput output;
    QVERIFY(output.open(QIODevice::WriteOnly));
    RangeJob job(v.vault.get(), *file, 0, size, &output);
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    // One block of at most 1 MiB may be written on top of a full backlog.
    QVERIFY2(output.mostWaiting <= RangeJob::MaxOutputBacklog + MiB,
             QByteArray::number(output.mostWaiting).constData());
    output.flush();
    QFile original(source);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QVERIFY(output.sent == original.readAll());
}

void TestAssembler::verifyHealthy()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("h.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 3 * MiB, 33));
    QVERIFY(floatModel(v, {source}, QStringLiteral("h"), 2));
    const int chunks = int(chunksOf(v, QStringLiteral("h"), QStringLiteral("h.bin")).size());

    VerifyJob job(v.vault.get(), {QStringLiteral("h")});
    QVERIFY(run(job));
    QVERIFY(job.error().ok());
    const VerifyJob::Report& r = job.report();
    QVERIFY(r.healthy());
    QCOMPARE(r.chunks, chunks);
    QCOMPARE(r.placementsChecked, 2 * chunks);
    QCOMPARE(r.good, 2 * chunks);
    QCOMPARE(r.missing, 0);
    QCOMPARE(r.corrupt, 0);
    QCOMPARE(r.underReplicated, 0);
    QCOMPARE(r.lost, 0);
    QVERIFY(r.problems.isEmpty());
    QCOMPARE(job.progressNow().bytesDone, job.progressNow().totalBytes);
    QCOMPARE(job.progressNow().totalBytes, 2 * qint64(3 * MiB));

    VerifyJob unknown(v.vault.get(), {QStringLiteral("nope")});
    QVERIFY(run(unknown));
    QCOMPARE(unknown.error().kind, Error::Kind::NotFound);
}

void TestAssembler::verifyCountsDamage()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const qint64 a = v.providerIds().at(0);
    const qint64 b = v.providerIds().at(1);
    const QString source = v.path(QStringLiteral("v.bin"));
    QVERIFY(test::writePseudoRandomFile(source, 5 * MiB, 34));
    QVERIFY(floatModel(v, {source}, QStringLiteral("v"), 2));
    const QList<FileChunk> chunks = chunksOf(v, QStringLiteral("v"), QStringLiteral("v.bin"));
    QVERIFY(chunks.size() >= 8);

    // Two objects deleted on A, three damaged on B (one of them too long), all different chunks.
    QVERIFY(QFile::remove(v.objectPath(a, chunks.at(0).cid)));
    QVERIFY(QFile::remove(v.objectPath(a, chunks.at(1).cid)));
    QVERIFY(damage(v.objectPath(b, chunks.at(2).cid), chunks.at(2).size, 500));
    QVERIFY(damage(v.objectPath(b, chunks.at(3).cid), chunks.at(3).size, 501));
    QVERIFY(damage(v.objectPath(b, chunks.at(4).cid), chunks.at(4).size + 1, 502));

    VerifyJob first(v.vault.get(), {});
    QVERIFY(run(first));
    QVERIFY(first.error().ok());
    VerifyJob::Report r = first.report();
    QVERIFY(!r.healthy());
    QCOMPARE(r.chunks, int(chunks.size()));
    QCOMPARE(r.placementsChecked, 2 * int(chunks.size()));
    QCOMPARE(r.missing, 2);
    QCOMPARE(r.corrupt, 3);
    QCOMPARE(r.good, 2 * int(chunks.size()) - 5);
    QCOMPARE(r.unreachable, 0);
    QCOMPARE(r.underReplicated, 5);
    QCOMPARE(r.lost, 0);
    QCOMPARE(r.problems.size(), 5);
    QCOMPARE(stateOf(v, chunks.at(0).cid, a), Missing);
    QCOMPARE(stateOf(v, chunks.at(1).cid, a), Missing);
    QCOMPARE(stateOf(v, chunks.at(2).cid, b), Corrupt);
    QCOMPARE(stateOf(v, chunks.at(3).cid, b), Corrupt);
    QCOMPARE(stateOf(v, chunks.at(4).cid, b), Corrupt);
    QCOMPARE(stateOf(v, chunks.at(0).cid, b), Stored);
    QCOMPARE(stateOf(v, chunks.at(2).cid, a), Stored);
    QCOMPARE(v.registry().stats().unhealthyPlacements, 5);

    // Lose one chunk entirely: both replicas gone.
    QVERIFY(QFile::remove(v.objectPath(a, chunks.at(5).cid)));
    QVERIFY(QFile::remove(v.objectPath(b, chunks.at(5).cid)));
    VerifyJob second(v.vault.get(), {QStringLiteral("v")});
    QVERIFY(run(second));
    r = second.report();
    QCOMPARE(r.missing, 4);
    QCOMPARE(r.corrupt, 3);
    QCOMPARE(r.lost, 1);
    QCOMPARE(r.underReplicated, 5);
    QCOMPARE(r.good, 2 * int(chunks.size()) - 7);
    QCOMPARE(stateOf(v, chunks.at(5).cid, a), Missing);
    QCOMPARE(stateOf(v, chunks.at(5).cid, b), Missing);

    // A corrupt replica that is repaired by hand is found good again.
    QFile original(source);
    QVERIFY(original.open(QIODevice::ReadOnly));
    QVERIFY(original.seek(chunks.at(2).offset));
    QVERIFY(test::writeFile(v.objectPath(b, chunks.at(2).cid), original.read(chunks.at(2).size)));
    VerifyJob third(v.vault.get(), {QStringLiteral("v")});
    QVERIFY(run(third));
    QCOMPARE(third.report().corrupt, 2);
    QCOMPARE(stateOf(v, chunks.at(2).cid, b), Stored);
}

void TestAssembler::removeSharedChunks()
{
    TestVault v(1);
    QVERIFY(v.ok());
    // B is A with more bytes after it: content-defined chunking shares all but A's tail.
    const QByteArray dataA = test::pseudoRandomBytes(4 * MiB, 35);
    const QByteArray dataB = dataA + test::pseudoRandomBytes(2 * MiB, 36);
    const QString sourceA = v.path(QStringLiteral("a.bin"));
    const QString sourceB = v.path(QStringLiteral("b.bin"));
    QVERIFY(test::writeFile(sourceA, dataA));
    QVERIFY(test::writeFile(sourceB, dataB));
    QVERIFY(floatModel(v, {sourceA}, QStringLiteral("A"), 2));
    QVERIFY(floatModel(v, {sourceB}, QStringLiteral("B"), 2));

    QHash<QString, qint64> cidsA, cidsB;
    for (const FileChunk& c : chunksOf(v, QStringLiteral("A"), QStringLiteral("a.bin")))
        cidsA.insert(c.cid, c.size);
    for (const FileChunk& c : chunksOf(v, QStringLiteral("B"), QStringLiteral("b.bin")))
        cidsB.insert(c.cid, c.size);
    QSet<QString> onlyA, shared;
    qint64 onlyABytes = 0;
    for (auto it = cidsA.cbegin(); it != cidsA.cend(); ++it) {
        if (cidsB.contains(it.key())) {
            shared.insert(it.key());
        } else {
            onlyA.insert(it.key());
            onlyABytes += it.value();
        }
    }
    QVERIFY(!shared.isEmpty());
    QVERIFY(!onlyA.isEmpty());
    const QList<qint64> ids = v.providerIds();

    RemoveJob removeA(v.vault.get(), QStringLiteral("A"));
    QVERIFY(run(removeA));
    QVERIFY2(removeA.error().ok(), qPrintable(removeA.error().message));
    QVERIFY(removeA.warnings().isEmpty());
    QCOMPARE(removeA.chunksFreed(), int(onlyA.size()));
    QCOMPARE(removeA.bytesFreed(), 2 * onlyABytes);
    QVERIFY(!v.registry().modelByName(QStringLiteral("A")));
    QCOMPARE(v.registry().stats().chunks, int(cidsB.size()));
    for (qint64 id : ids) {
        for (const QString& cid : std::as_const(onlyA))
            QVERIFY(!QFileInfo::exists(v.objectPath(id, cid)));
        for (auto it = cidsB.cbegin(); it != cidsB.cend(); ++it)
            QVERIFY(QFileInfo::exists(v.objectPath(id, it.key())));
    }
    // What is left still restores.
    RestoreJob restore(v.vault.get(),
                       restoreRequest(QStringLiteral("B"), v.path(QStringLiteral("out"))));
    QVERIFY(run(restore));
    QVERIFY2(restore.error().ok(), qPrintable(restore.error().message));
    QCOMPARE(test::opensslSha256Hex(v.path(QStringLiteral("out/b.bin"))),
             test::opensslSha256Hex(sourceB));

    RemoveJob removeB(v.vault.get(), QStringLiteral("B"));
    QVERIFY(run(removeB));
    QVERIFY2(removeB.error().ok(), qPrintable(removeB.error().message));
    QCOMPARE(removeB.chunksFreed(), int(cidsB.size()));
    const VaultStats s = v.registry().stats();
    QCOMPARE(s.models, 0);
    QCOMPARE(s.chunks, 0);
    QCOMPARE(s.placements, 0);
    for (qint64 id : ids) {
        QVERIFY2(objectsIn(v.root(id)).isEmpty(),
                 qPrintable(objectsIn(v.root(id)).join(QLatin1Char(' '))));
        QCOMPARE(v.registry().provider(id)->usedBytes, qint64(0));
    }

    RemoveJob again(v.vault.get(), QStringLiteral("B"));
    QVERIFY(run(again));
    QCOMPARE(again.error().kind, Error::Kind::NotFound);
}

// A provider that cannot delete when a model is removed (its folder is gone) keeps its objects
// recorded as pending deletions; the next removal deletes them once it is back.
void TestAssembler::removeWhileProviderOffline()
{
    TestVault v(1);
    QVERIFY(v.ok());
    const QString source = v.path(QStringLiteral("m.bin"));
    QVERIFY(test::writeFile(source, test::pseudoRandomBytes(3 * MiB, 41)));
    QVERIFY(floatModel(v, {source}, QStringLiteral("M"), 2));
    const QList<qint64> ids = v.providerIds();
    QCOMPARE(ids.size(), 2);
    const QString offline = v.root(ids.at(1));
    const int objects = int(objectsIn(offline).size());
    QVERIFY(objects > 0);
    QVERIFY(QDir().rename(offline, offline + QStringLiteral(".away")));

    RemoveJob remove(v.vault.get(), QStringLiteral("M"));
    QVERIFY(run(remove));
    QVERIFY2(remove.error().ok(), qPrintable(remove.error().message));
    QCOMPARE(remove.warnings().size(), objects); // one per object left behind, said so
    QVERIFY(remove.warnings().first().contains(QStringLiteral("tries again")));
    QCOMPARE(v.registry().stats().chunks, 0);
    QCOMPARE(v.registry().pendingDeletions().size(), objects);
    QVERIFY(objectsIn(v.root(ids.at(0))).isEmpty());

    QVERIFY(QDir().rename(offline + QStringLiteral(".away"), offline));
    RemoveJob collect(v.vault.get(), QString());
    QVERIFY(run(collect));
    QVERIFY2(collect.error().ok(), qPrintable(collect.error().message));
    QVERIFY(collect.warnings().isEmpty());
    QCOMPARE(collect.chunksFreed(), 0); // the chunks were already forgotten
    QVERIFY(collect.bytesFreed() > 0);
    QVERIFY(v.registry().pendingDeletions().isEmpty());
    QVERIFY(objectsIn(offline).isEmpty());
}

QTEST_GUILESS_MAIN(TestAssembler)
#include "tst_assembler.moc"
