// The way back out of the vault, against real local-folder providers in a temporary vault:
// RestoreJob / FileAssembler (bit-exact against the `openssl` command, failover to another
// replica when objects are missing or damaged, nothing left behind on failure, existing
// destinations, a full disk). Ranges are tst_assemblerranges', verify and remove
// tst_verifyremove's.

#include "assemblertestsupport.h"
#include "transfer/followinghasher.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

// Reads under way on the slow links, now and at most.
struct LinkReads
{
    int now = 0;
    int most = 0;
};
LinkReads g_reads;

// A read over a slow link: the local folder's read, begun LinkDelayMs after it was asked for.
class DelayedGet final : public ProviderJob
{
public:
    static constexpr int LinkDelayMs = 500;
    explicit DelayedGet(ProviderJob* inner)
        : m_inner(inner)
    {
        connect(m_inner, &ProviderJob::progress, this, &ProviderJob::progress);
        connect(m_inner, &ProviderJob::finished, this, [this] {
            --g_reads.now;
            m_inner->deleteLater();
            finish(m_inner->error());
        });
    }

private:
    void doStart() override
    {
        g_reads.most = qMax(g_reads.most, ++g_reads.now);
        QTimer::singleShot(LinkDelayMs, this, [this] {
            if (!m_aborted)
                m_inner->start();
        });
    }
    void doAbort() override
    {
        m_aborted = true;
        if (m_inner->isStarted()) {
            m_inner->abort();
            return;
        }
        --g_reads.now;
        m_inner->deleteLater();
        finish(Error::make(Error::Kind::Cancelled, {}));
    }
    ProviderJob* m_inner;
    bool m_aborted = false;
};

// A local folder behind a link of a few tens of MiB/s: every read waits DelayedGet::LinkDelayMs.
class SlowLinkProvider final : public Provider
{
public:
    SlowLinkProvider(const QString& name, const QString& root)
        : Provider(name)
        , m_local(name, root, {})
    {}
    QString kind() const override { return QStringLiteral("slowlink"); }
    ProviderJob* save(const QString& l, std::unique_ptr<QIODevice> d, qint64 n) override
    {
        return m_local.save(l, std::move(d), n);
    }
    ProviderJob* get(const QString& l, ByteSink* s, qint64 o, qint64 n) override
    {
        return new DelayedGet(m_local.get(l, s, o, n));
    }
    ProviderJob* stat(const QString& l) override { return m_local.stat(l); }
    ProviderJob* remove(const QString& l) override { return m_local.remove(l); }
    ProviderJob* list() override { return m_local.list(); }
    ProviderJob* usage() override { return m_local.usage(); }

private:
    LocalProvider m_local;
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
    void slowLinksAreAskedForMoreChunksAtOnce();
    void unsafePathInRegistry();
    void abortRestore();
    void destroyWhileRestoring();
    void diskFull();
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
        for (const Placement& p : v.registry().placementRows().placements(c.cid))
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
    QCOMPARE(v.registry().healthRows().stats().unhealthyPlacements, found);
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

// Chunks coming over slow links: a restore fetched no further ahead than 32 MiB past its
// whole-file hash, so with chunks of 4 MiB at most 8 were read at once, whatever the providers
// (three here, 12 reads at once allowed), and six links of 10 MiB/s restored copies at 27 MiB/s.
// When the hash waits on a chunk from a link slower than 64 MiB/s, the window grows (to 128
// MiB at most): more reads at once, the same bytes.
void TestAssembler::slowLinksAreAskedForMoreChunksAtOnce()
{
    TestVault v;
    QVERIFY(v.ok());
    ProviderKind kind;
    kind.id = QStringLiteral("slowlink");
    kind.displayName = QStringLiteral("Slow link");
    v.vault->providerFactory().registerKind(
        kind, [](const ProviderRecord& r, const ProviderContext&, QString*) {
            return std::unique_ptr<Provider>(
                new SlowLinkProvider(r.name, r.settings.value(QStringLiteral("path")).toString()));
        });
    Registry& r = v.registry();
    QVERIFY(r.providerRows().removeProvider(
        r.providerRows().providerByName(QStringLiteral("local"))->id));
    for (int i = 1; i <= 3; ++i) {
        ProviderRecord slow;
        slow.kind = QStringLiteral("slowlink");
        slow.name = QStringLiteral("slow%1").arg(i);
        slow.settings.insert(QStringLiteral("path"), v.path(slow.name));
        QVERIFY(QDir().mkpath(v.path(slow.name)));
        QVERIFY(r.providerRows().addProvider(slow));
    }
    const QString source = v.path(QStringLiteral("m.bin"));
    constexpr qint64 Chunk = 4 * MiB;
    QVERIFY(test::writePseudoRandomFile(source, 24 * Chunk, 77));
    FloatJob::Request request;
    request.paths = {source};
    request.modelName = QStringLiteral("m");
    request.options.replication = 1;
    request.options.chunker = ChunkerParams::fixed(quint32(Chunk));
    FloatJob floated(v.vault.get(), request);
    QVERIFY(run(floated));
    QCOMPARE(floated.failure(), FloatJob::Failure::None);

    g_reads = {};
    const QString out = v.path(QStringLiteral("out"));
    RestoreJob job(v.vault.get(), restoreRequest(QStringLiteral("m"), out));
    QVERIFY(run(job));
    QVERIFY2(job.error().ok(), qPrintable(job.error().message));
    QCOMPARE(test::opensslSha256Hex(job.restoredPaths().first()), test::opensslSha256Hex(source));
    QCOMPARE(g_reads.now, 0);
    QVERIFY2(g_reads.most > int(FollowingHasher::MaxOfferedBytes / Chunk),
             qPrintable(QStringLiteral("%1 reads at once at most").arg(g_reads.most)));
}

void TestAssembler::unsafePathInRegistry()
{
    // A registry entry whose path climbs out of the destination is refused, not followed.
    TestVault v;
    QVERIFY(v.ok());
    Registry& r = v.registry();
    const QByteArray bytes = test::pseudoRandomBytes(1000, 43);
    const auto model = r.modelRows().createModel(QStringLiteral("evil"), QStringLiteral("test"));
    QVERIFY(model);
    const auto file = r.modelRows().beginFile(*model, QStringLiteral("../escaped.bin"),
                                              bytes.size(), Small.toString());
    QVERIFY(file);
    QVERIFY(r.modelRows().appendChunks(*file, {{0, 0, bytes.size(), cid::ofData(bytes)}}));
    QVERIFY(test::writeFile(v.path(QStringLiteral("escaped-source.bin")), bytes));
    QVERIFY(r.modelRows().completeFile(
        *file, test::opensslSha256Hex(v.path(QStringLiteral("escaped-source.bin"))), {}));
    QVERIFY(r.modelRows().setModelState(*model, ModelRecord::State::Complete));

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

QTEST_GUILESS_MAIN(TestAssembler)
#include "tst_assembler.moc"
