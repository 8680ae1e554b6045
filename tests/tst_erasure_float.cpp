// Floating and reading a model stored as shards (docs/erasure.md, issue 41): a vault of six
// local-folder providers at `shards 4+2` places each chunk as six shards, one per provider, and
// reads it back from any four. With any two provider folders gone (all 15 pairs) a restore and a
// `cat` give the model bit-exact; with three gone, the restore fails naming the chunks it cannot
// read (exit 4 when their shards are gone, 1 when their providers cannot be reached), with
// nothing at the destination. Another vault on the same providers takes the model in from
// the catalog (its manifest names the shards) and restores it.
#include "shardedvault.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QtTest>

#include <functional>
#include <memory>
#include <tuple>

using namespace mf;
using test::CliResult;

namespace {

constexpr int IntegrityProblem = 4;
constexpr qint64 ChunkSize = 256 * 1024;
// Thirteen chunks of 256 KiB, the last one short: a few MiB, so that fifteen restores stay quick.
constexpr qint64 ModelSize = 12 * ChunkSize + 4567;

} // namespace

class TestErasureFloat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void floatPlacesOneShardPerProvider();
    void anyTwoProvidersMayGo();
    void threeGoneLosesChunks();
    void floatAgainSendsOnlyMissingShards();
    void floatAgainMakesShardsOnlyToPutThem();
    void aShardStoredTwiceLeavesRoomForItsSibling();
    void anotherVaultReadsItFromTheCatalog();
    void aWrongShardMapIsNotHealthy();
    void aDamagedShardIsFoundByTheChunkItMakes();
    void aDamagedShardIsReadFromItsOtherCopy();
    void aShardPutBackElsewhereLeavesNoMissingCopy();
    void anotherVaultForgetsAShardPutBackElsewhere();

private:
    CliResult run(const QStringList& args) const { return m_v->run(args); }
    // The vault's own local provider and five more, at shards 4+2; the model floated as "m".
    void floatSharded();
    // The six providers' folders, the vault's own first.
    QStringList folders() const { return m_v->folders(); }
    static QByteArray fileBytes(const QString& path) { return test::ShardedVault::fileBytes(path); }
    static QStringList objectsIn(const QString& folder);
    QStringList chunkCids() const;
    void moveAway(const QStringList& gone) const;
    // Seven providers at 4+2, "m" floated (six hold a shard of each chunk); then, after `between`
    // (if given), the first shard of the first chunk is deleted from its provider, whose index
    // goes to `holder`.
    void floatOnSevenAndLoseAShard(int* holder, const std::function<void()>& between = {});
    // Provider `index` takes no new objects (as if the user disabled it).
    void disable(int index) const;
    void putBack(const QStringList& gone) const;

    std::unique_ptr<test::ShardedVault> m_v;
    test::CliSandbox* m_box = nullptr; // m_v's
    QByteArray m_bytes;
};

void TestErasureFloat::init()
{
    m_v = std::make_unique<test::ShardedVault>();
    QVERIFY(m_v->ok());
    m_box = &m_v->box();
    m_bytes = test::pseudoRandomBytes(ModelSize, 41);
}

void TestErasureFloat::cleanup()
{
    m_box = nullptr;
    m_v.reset();
}

QStringList TestErasureFloat::objectsIn(const QString& folder)
{
    QStringList out;
    for (const QString& f : test::chunkObjects(folder))
        out.append(QFileInfo(f).fileName());
    return out;
}

QStringList TestErasureFloat::chunkCids() const
{
    QStringList out;
    for (qint64 at = 0; at < m_bytes.size(); at += ChunkSize)
        out.append(
            cid::ofData(QByteArrayView(m_bytes).sliced(at, qMin(ChunkSize, m_bytes.size() - at))));
    return out;
}

void TestErasureFloat::floatSharded()
{
    m_v->prepare(ChunkSize, m_bytes);
    if (QTest::currentTestFailed())
        return;
    const CliResult floated = run(m_v->floatArgs() << QStringLiteral("--json"));
    QVERIFY2(floated.code == 0, floated.describe().constData());
    QVERIFY2(!floated.err.contains("do not place shards"), floated.describe().constData());
}

void TestErasureFloat::floatOnSevenAndLoseAShard(int* holder, const std::function<void()>& between)
{
    m_v->prepare(ChunkSize, m_bytes);
    m_v->addSeventh();
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(run(m_v->floatArgs()).code, 0);
    if (between)
        between();
    if (QTest::currentTestFailed())
        return;
    const QString shard = test::ShardedVault::shardCids(m_v->chunks().first()).first();
    for (int i = 0; i < folders().size(); ++i)
        if (!test::chunkObjectBelow(folders().at(i), shard).isEmpty())
            *holder = i;
    QVERIFY(*holder >= 0);
    QVERIFY(QFile::remove(test::chunkObjectBelow(folders().at(*holder), shard)));
}

void TestErasureFloat::disable(int index) const
{
    QVERIFY(test::Side(m_v->registryPath())
                .exec(QStringLiteral("UPDATE providers SET enabled = 0 WHERE name = '%1'")
                          .arg(test::ShardedVault::providerName(index))));
}

void TestErasureFloat::moveAway(const QStringList& gone) const
{
    for (const QString& f : gone)
        QVERIFY2(QDir().rename(f, f + QStringLiteral(".away")), qPrintable(f));
}

void TestErasureFloat::putBack(const QStringList& gone) const
{
    for (const QString& f : gone)
        QVERIFY2(QDir().rename(f + QStringLiteral(".away"), f), qPrintable(f));
}

void TestErasureFloat::floatPlacesOneShardPerProvider()
{
    floatSharded();
    const QStringList chunks = chunkCids();
    QCOMPARE(chunks.size(), 13);
    // Each provider holds one shard of each chunk, and none holds a chunk itself.
    QSet<QString> all;
    for (const QString& folder : folders()) {
        const QStringList objects = objectsIn(folder);
        QCOMPARE(objects.size(), chunks.size());
        for (const QString& o : objects) {
            QVERIFY2(!chunks.contains(o), qPrintable(o));
            all.insert(o);
        }
    }
    QCOMPARE(all.size(), 6 * chunks.size());
    const CliResult stats = run({QStringLiteral("stats"), QStringLiteral("--json")});
    QCOMPARE(stats.json().value(QStringLiteral("placements")).toInt(), 6 * chunks.size());
    // Its shards are objects of their own beside the chunks, and `stats` says so (it said "in
    // 91 chunks").
    QCOMPARE(stats.json().value(QStringLiteral("shards")).toInt(), 6 * chunks.size());
    const CliResult statsText = run({QStringLiteral("stats")});
    QVERIFY2(statsText.outText().contains(u" in 91 chunks and shards (78 shards) (dedup saves"),
             statsText.describe().constData());
    // The copies setting is what models kept as copies want, and it says so (it said "2 wanted"
    // as if every model wanted 2 copies).
    QVERIFY2(statsText.outText().contains(
                 u"Replication:  2 wanted for models kept as copies (new models take shards 4+2); "
                 u"78 placements, 0 missing or corrupt"),
             statsText.describe().constData());
    // Every view gives the verdict the shards give: whole, so healthy, and every shard read
    // back intact.
    const CliResult verify =
        run({QStringLiteral("verify"), QStringLiteral("m"), QStringLiteral("--json")});
    QVERIFY2(verify.code == 0, verify.describe().constData());
    const CliResult info =
        run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QVERIFY2(info.code == 0, info.describe().constData());
    QCOMPARE(info.json().value(QStringLiteral("health")).toString(), QStringLiteral("healthy"));
    // And says so in words of shards: `info` said "Replicas: at least 2 of every chunk" and
    // "0 chunks, 0 B" on every provider, `verify` "every chunk has its 2 wanted copies".
    const CliResult infoText = run({QStringLiteral("info"), QStringLiteral("m")});
    for (const QString& line :
         {QStringLiteral("Kept as:  shards 4+2 (1.5× the model's size, survives losing any 2 of "
                         "your 6 providers)"),
          QStringLiteral("Shards:   13 of 13 chunks stored as shards; 0 short of a shard "
                         "(degraded), 0 lost"),
          QStringLiteral("  store1               13 shards, ")})
        QVERIFY2(infoText.outText().contains(line), infoText.describe().constData());
    QVERIFY2(!infoText.outText().contains(u"Replicas:"), infoText.describe().constData());
    QCOMPARE(info.json().value(QStringLiteral("redundancy")).toString(),
             QStringLiteral("shards 4+2"));
    QCOMPARE(info.json().value(QStringLiteral("sharded_chunks")).toInt(), 13);
    // `list`'s REPLICAS said 2: the scheme, for a model kept as shards.
    const CliResult list = run({QStringLiteral("list")});
    QVERIFY2(
        list.outText().contains(QRegularExpression(QStringLiteral("\\nm +1 .* 4\\+2 +healthy "))),
        list.describe().constData());
    const CliResult listJson = run({QStringLiteral("list"), QStringLiteral("--json")});
    QCOMPARE(listJson.json()
                 .value(QStringLiteral("models"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("redundancy"))
                 .toString(),
             QStringLiteral("shards 4+2"));
    const CliResult verifyText = run({QStringLiteral("verify"), QStringLiteral("m")});
    QVERIFY2(verifyText.outText().contains(
                 u"Checked 78 stored objects (copies and shards) of 13 chunks: 78 good") &&
                 verifyText.outText().contains(
                     u"OK: every chunk has all its shards, each present and intact"),
             verifyText.describe().constData());
    // One provider's shards gone: still readable, but degraded; `verify` finds the missing
    // shards as it finds missing copies (exit 4).
    QVERIFY(QDir(folders().at(2)).removeRecursively());
    QVERIFY(QDir().mkpath(folders().at(2)));
    const CliResult short1 =
        run({QStringLiteral("verify"), QStringLiteral("m"), QStringLiteral("--json")});
    QCOMPARE(short1.code, 4);
    QCOMPARE(short1.json().value(QStringLiteral("missing")).toInt(), 13);
    QCOMPARE(short1.json().value(QStringLiteral("lost")).toInt(), 0);
    const CliResult info1 =
        run({QStringLiteral("info"), QStringLiteral("m"), QStringLiteral("--json")});
    QCOMPARE(info1.json().value(QStringLiteral("health")).toString(), QStringLiteral("degraded"));
}

void TestErasureFloat::anyTwoProvidersMayGo()
{
    floatSharded();
    const QStringList all = folders();
    int pairs = 0;
    for (int a = 0; a < all.size(); ++a) {
        for (int b = a + 1; b < all.size(); ++b) {
            const QStringList gone{all.at(a), all.at(b)};
            moveAway(gone);
            const QString out = m_box->path(QStringLiteral("out/%1-%2").arg(a).arg(b));
            const CliResult restored =
                run({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), out,
                     QStringLiteral("--quiet")});
            QVERIFY2(restored.code == 0, restored.describe().constData());
            QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_bytes);
            // The one read path of `cat`, the local API and the mount reads shards too.
            const CliResult cat =
                run({QStringLiteral("cat"), QStringLiteral("m"), QStringLiteral("m.bin")});
            QVERIFY2(cat.code == 0, cat.describe().constData());
            QVERIFY(cat.out == m_bytes);
            putBack(gone);
            // The chunk cache must not answer the next round's `cat` for the shards.
            QDir(m_box->vault() + QStringLiteral("/chunk-cache")).removeRecursively();
            ++pairs;
        }
    }
    QCOMPARE(pairs, 15);
}

void TestErasureFloat::threeGoneLosesChunks()
{
    floatSharded();
    const QStringList three = folders().mid(1, 3);
    // Three providers whose folders cannot be found (moved, a disk not mounted): the chunks
    // cannot be read now, and the error says which and why; they may come back, so this is a
    // provider failure (exit 1), as it is for a chunk whose copies are all out of reach.
    moveAway(three);
    const QString away = m_box->path(QStringLiteral("out/away"));
    const CliResult unreachable = run({QStringLiteral("restore"), QStringLiteral("m"),
                                       QStringLiteral("--to"), away, QStringLiteral("--quiet")});
    QCOMPARE(unreachable.code, 1);
    static const QRegularExpression cannot(QStringLiteral(
        "Chunk (bafkrei[a-z2-7]+) cannot be read: 3 of its 6 shards \\(shards 4\\+2\\) could "
        "be read, 4 are needed \\(shard \\d+: .*The folder .* does not exist"));
    QRegularExpressionMatch named = cannot.match(unreachable.errText());
    QVERIFY2(named.hasMatch(), unreachable.describe().constData());
    QVERIFY(chunkCids().contains(named.captured(1)));
    QCOMPARE(test::CliSandbox::filesBelow(away), QStringList());
    putBack(three);

    // Three providers that lost the objects: the chunks are lost, exit 4, nothing half-written
    // (no file, no temporary).
    for (const QString& f : three) {
        QVERIFY(QDir(f).removeRecursively());
        QVERIFY(QDir().mkpath(f));
    }
    const QString out = m_box->path(QStringLiteral("out/three"));
    const CliResult restored = run({QStringLiteral("restore"), QStringLiteral("m"),
                                    QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    QCOMPARE(restored.code, IntegrityProblem);
    static const QRegularExpression lost(QStringLiteral("Chunk (bafkrei[a-z2-7]+) is lost: 3 of "
                                                        "its 6 shards \\(shards 4\\+2\\) are "
                                                        "readable, 4 are needed"));
    named = lost.match(restored.errText());
    QVERIFY2(named.hasMatch(), restored.describe().constData());
    QVERIFY(chunkCids().contains(named.captured(1)));
    QCOMPARE(test::CliSandbox::filesBelow(out), QStringList());
}

void TestErasureFloat::floatAgainSendsOnlyMissingShards()
{
    // A float run again (as after a kill, or a provider that lost its objects) finds the shards
    // by their CIDs, which the same chunk always gives, and sends only those that are not there.
    floatSharded();
    QStringList before;
    for (const QString& folder : folders())
        before += objectsIn(folder);
    // Forget one provider's shards in this folder only: the float puts exactly those back.
    const QString store3 = folders().at(3);
    QVERIFY(QDir(store3).removeRecursively());
    QVERIFY(QDir().mkpath(store3));
    const QString file = m_box->path(QStringLiteral("input/m.bin"));
    const CliResult again =
        run({QStringLiteral("float"), file, QStringLiteral("--name"), QStringLiteral("m"),
             QStringLiteral("--chunker"), QStringLiteral("fixed"), QStringLiteral("--chunk-size"),
             QStringLiteral("256K"), QStringLiteral("--json")});
    QVERIFY2(again.code == 0, again.describe().constData());
    QStringList after;
    for (const QString& folder : folders())
        after += objectsIn(folder);
    before.sort();
    after.sort();
    QCOMPARE(after, before);
    QCOMPARE(objectsIn(store3).size(), 13);
}

void TestErasureFloat::floatAgainMakesShardsOnlyToPutThem()
{
    // The same chunks floated again, under another name: their shards are recorded and all
    // found stored, so none is made again (an encode and a SHA-256 of every shard, for
    // nothing); a chunk that lost a shard is made again to put it back, and only that one.
    floatSharded();
    const auto floatAs = [this](const QString& name) {
        return run({QStringLiteral("float"), m_box->path(QStringLiteral("input/m.bin")),
                    QStringLiteral("--name"), name, QStringLiteral("--chunker"),
                    QStringLiteral("fixed"), QStringLiteral("--chunk-size"), QStringLiteral("256K"),
                    QStringLiteral("--json")});
    };
    const CliResult same = floatAs(QStringLiteral("m-again"));
    QVERIFY2(same.code == 0, same.describe().constData());
    QCOMPARE(same.json().value(QStringLiteral("chunks")).toInt(), int(chunkCids().size()));
    QCOMPARE(same.json().value(QStringLiteral("chunks_encoded")).toInt(), 0);
    QCOMPARE(same.json().value(QStringLiteral("bytes_sent")).toInteger(), 0);

    const QStringList store3 = test::chunkObjects(folders().at(3));
    QVERIFY(!store3.isEmpty());
    const QByteArray lost = fileBytes(store3.first());
    QVERIFY(QFile::remove(store3.first()));
    const CliResult oneLost = floatAs(QStringLiteral("m-third"));
    QVERIFY2(oneLost.code == 0, oneLost.describe().constData());
    QCOMPARE(oneLost.json().value(QStringLiteral("chunks_encoded")).toInt(), 1);
    QCOMPARE(oneLost.json().value(QStringLiteral("copies_found_gone")).toInt(), 1);
    QCOMPARE(oneLost.json().value(QStringLiteral("bytes_sent")).toInteger(), lost.size());
    // Put back where it was, the same bytes.
    QCOMPARE(fileBytes(store3.first()), lost);
    const CliResult verify = run({QStringLiteral("verify"), QStringLiteral("--all")});
    QVERIFY2(verify.code == 0, verify.describe().constData());
}

void TestErasureFloat::aShardStoredTwiceLeavesRoomForItsSibling()
{
    // Two vaults sharing six providers may place one chunk's shards each their own way, so a
    // provider can hold a second copy of a shard stored elsewhere too (found by tst_cli_crash's
    // 4+2 rounds). Here: shard 0 of the first chunk also on the provider of its shard 3, whose
    // shard 3 is then lost. Floated again, shard 3 must be stored on one of the two providers
    // of shard 0 (which keeps the other); taking the union of the siblings' providers left it
    // none ("every provider left holds another shard of it").
    floatSharded();
    const QStringList shards =
        test::ShardedVault::shardCids(QByteArrayView(m_bytes).first(ChunkSize).toByteArray());
    QCOMPARE(shards.size(), 6);
    int withShard0 = -1;
    int withShard3 = -1;
    for (int i = 0; i < folders().size(); ++i) {
        if (!test::chunkObjectBelow(folders().at(i), shards.at(0)).isEmpty())
            withShard0 = i;
        if (!test::chunkObjectBelow(folders().at(i), shards.at(3)).isEmpty())
            withShard3 = i;
    }
    QVERIFY(withShard0 >= 0 && withShard3 >= 0 && withShard0 != withShard3);
    // The registry as the other vault's catalog would leave it: shard 0 known on both, shard 3
    // forgotten where it was lost.
    QVERIFY(!m_v->copyObject(shards.at(0), withShard0, withShard3).isEmpty());
    QVERIFY(QFile::remove(test::chunkObjectBelow(folders().at(withShard3), shards.at(3))));
    QVERIFY(test::Side(m_v->registryPath())
                .exec(QStringLiteral("DELETE FROM placements WHERE cid = '%1'").arg(shards.at(3))));
    const CliResult again =
        run({QStringLiteral("float"), m_box->path(QStringLiteral("input/m.bin")),
             QStringLiteral("--name"), QStringLiteral("m-again"), QStringLiteral("--chunker"),
             QStringLiteral("fixed"), QStringLiteral("--chunk-size"), QStringLiteral("256K"),
             QStringLiteral("--json")});
    QVERIFY2(again.code == 0, again.describe().constData());
    // Stored again, on one of the two providers that hold shard 0 (each other provider holds the
    // one copy of another shard): each of the six indices keeps a provider of its own.
    const QString shard3Here = test::chunkObjectBelow(folders().at(withShard3), shards.at(3));
    const QString shard3There = test::chunkObjectBelow(folders().at(withShard0), shards.at(3));
    QVERIFY2(!shard3Here.isEmpty() || !shard3There.isEmpty(), "shard 3 was not stored again");
    const CliResult verify = run({QStringLiteral("verify"), QStringLiteral("--all")});
    QVERIFY2(verify.code == 0, verify.describe().constData());
    // The two providers holding shard 0 gone: shard 0 and shard 3 are lost, four remain.
    const QStringList gone{folders().at(withShard0), folders().at(withShard3)};
    moveAway(gone);
    const QString out = m_box->path(QStringLiteral("out/twice"));
    const CliResult restored = run({QStringLiteral("restore"), QStringLiteral("m-again"),
                                    QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_bytes);
    putBack(gone);
}

void TestErasureFloat::anotherVaultReadsItFromTheCatalog()
{
    floatSharded();
    QStringList onB;
    m_v->takeInOnAnotherVault(&onB);
    if (QTest::currentTestFailed())
        return;
    const QStringList all = folders();
    // Two providers gone there too: vault B reads any four shards its manifest named.
    const QStringList gone{all.at(0), all.at(4)};
    moveAway(gone);
    const QString out = m_box->path(QStringLiteral("out/b"));
    const CliResult restored =
        run(QStringList{QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), out,
                        QStringLiteral("--quiet")} +
            onB);
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_bytes);
    putBack(gone);
}

// Every shard read back matches its own CID, but the map of which shards make which chunk is
// wrong (a bug, or another computer's manifest): two data shards of one chunk swapped, and two
// parity shards of another. `verify` said healthy, and the first chunk failed at restore's own
// check. Now `verify` decodes each chunk from the shards it read and encodes it again: it says
// which chunk its shards do not make, and which shard is not the chunk's.
void TestErasureFloat::aWrongShardMapIsNotHealthy()
{
    floatSharded();
    const QStringList chunks = chunkCids();
    {
        test::Side registry(m_v->registryPath());
        // The shards recorded at indices a and b exchanged.
        for (const auto& [chunk, a, b] :
             {std::tuple{chunks.at(0), 0, 1}, std::tuple{chunks.at(1), 4, 5}}) {
            const QString at = QStringLiteral("chunk_cid = '%1' AND idx = %2").arg(chunk);
            const QString first =
                registry
                    .scalar(QStringLiteral("SELECT shard_cid FROM chunk_shards WHERE ") + at.arg(a))
                    .toString();
            const QString second =
                registry
                    .scalar(QStringLiteral("SELECT shard_cid FROM chunk_shards WHERE ") + at.arg(b))
                    .toString();
            QVERIFY(!first.isEmpty() && !second.isEmpty());
            QVERIFY(registry.exec(
                QStringLiteral("UPDATE chunk_shards SET shard_cid = '%1' WHERE ").arg(second) +
                at.arg(a)));
            QVERIFY(registry.exec(
                QStringLiteral("UPDATE chunk_shards SET shard_cid = '%1' WHERE ").arg(first) +
                at.arg(b)));
        }
    }
    const CliResult verify =
        run({QStringLiteral("verify"), QStringLiteral("m"), QStringLiteral("--json")});
    QCOMPARE(verify.code, IntegrityProblem);
    const QString problems = QString::fromUtf8(
        QJsonDocument(verify.json().value(QStringLiteral("problems")).toArray()).toJson());
    QVERIFY2(problems.contains(QStringLiteral("chunk %1: the shards recorded for it do not make it")
                                   .arg(chunks.at(0))),
             verify.describe().constData());
    QVERIFY2(problems.contains(QStringLiteral("chunk %1: shard 4 recorded for it is not one of its "
                                              "shards")
                                   .arg(chunks.at(1))),
             verify.describe().constData());
    QVERIFY2(problems.contains(QStringLiteral("chunk %1: shard 5").arg(chunks.at(1))),
             verify.describe().constData());
    QCOMPARE(verify.json().value(QStringLiteral("lost")).toInt(), 1);
    // Nothing else is said of the other eleven chunks.
    QVERIFY2(!problems.contains(chunks.at(2)), verify.describe().constData());
}

// A restore does not hash the shards it reads one by one: the chunk they decode to checks them
// (ShardCodec::decodeUnchecked). A damaged shard still never gives a wrong chunk: here a byte of
// the first data shard of m's first chunk, and the one padding byte of the last data shard of a
// model "p" of one chunk (4,567 bytes in shards of 1,142), which the chunk's CID cannot see.
// Each is in the first chunk its restore reads, from providers it has not measured yet, so its
// data shards are the ones read. Both restores say which shard is corrupt, mark it, read a
// parity shard instead and give the model bit-exact.
void TestErasureFloat::aDamagedShardIsFoundByTheChunkItMakes()
{
    floatSharded();
    const QByteArray small = test::pseudoRandomBytes(4567, 99);
    const QString smallFile = m_box->path(QStringLiteral("input/p.bin"));
    QVERIFY(test::writeFile(smallFile, small));
    const CliResult floated = run({QStringLiteral("float"), smallFile, QStringLiteral("--name"),
                                   QStringLiteral("p"), QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe().constData());
    const QString first = test::ShardedVault::shardCids(m_v->chunks().first()).at(0);
    const QString padded = test::ShardedVault::shardCids(small).at(3);
    int found = 0;
    for (const QString& folder : folders()) {
        for (const QString& path : test::chunkObjects(folder)) {
            const bool isPadded = QFileInfo(path).fileName() == padded;
            if (!isPadded && QFileInfo(path).fileName() != first)
                continue;
            ++found;
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadWrite));
            const QByteArray bytes = f.readAll();
            QCOMPARE(bytes.size(), isPadded ? 1142 : ChunkSize / 4);
            // The padding byte is the last one; in the other shard any byte is the chunk's.
            const qint64 at = isPadded ? bytes.size() - 1 : 100;
            QVERIFY(f.seek(at));
            QVERIFY(f.write(QByteArray(1, char(bytes.at(at) ^ 0x01))) == 1);
        }
    }
    QCOMPARE(found, 2);
    for (const auto& [model, shard, bytes] : {std::tuple{QStringLiteral("m"), first, m_bytes},
                                              std::tuple{QStringLiteral("p"), padded, small}}) {
        const QString out = m_box->path(QStringLiteral("out-") + model);
        const CliResult restored = run({QStringLiteral("restore"), model, QStringLiteral("--to"),
                                        out, QStringLiteral("--json")});
        QVERIFY2(restored.code == 0, restored.describe().constData());
        QCOMPARE(fileBytes(out + QLatin1Char('/') + model + QStringLiteral(".bin")), bytes);
        const QStringList problems =
            restored.json().value(QStringLiteral("problems")).toVariant().toStringList();
        QVERIFY2(
            problems.size() == 1 &&
                problems.first().startsWith(QStringLiteral("chunk %1 on provider").arg(shard)) &&
                problems.first().endsWith(QStringLiteral("is corrupt")),
            restored.describe().constData());
    }
    // Marked in the registry, as a fetch marks a copy that does not match.
    QStringList expected{first, padded};
    expected.sort();
    QCOMPARE(test::Side(m_v->registryPath())
                 .scalar(QStringLiteral("SELECT group_concat(cid, ' ') FROM (SELECT cid FROM "
                                        "placements WHERE state = 'corrupt' ORDER BY cid)"))
                 .toString(),
             expected.join(QLatin1Char(' ')));
}

// The same damage to a shard stored twice (two vaults on the same providers may place it so),
// with the chunk's two parity shards gone: the damaged copy, on the provider read first, is found
// by the chunk it makes, and the shard is read again from its other copy (the only way left to
// four shards). Taking the next shard instead called the chunk lost.
void TestErasureFloat::aDamagedShardIsReadFromItsOtherCopy()
{
    floatSharded();
    const QStringList shards = test::ShardedVault::shardCids(m_v->chunks().first());
    int holder = -1;
    for (int i = 0; i < folders().size(); ++i)
        if (!test::chunkObjectBelow(folders().at(i), shards.at(0)).isEmpty())
            holder = i;
    QVERIFY(holder >= 0);
    // A second copy on the next provider (by id, the order a shard's copies are read in); the
    // one on the lower id is damaged.
    const int other = holder == folders().size() - 1 ? holder - 1 : holder + 1;
    const QString original = test::chunkObjectBelow(folders().at(holder), shards.at(0));
    const QString copy = m_v->copyObject(shards.at(0), holder, other);
    QVERIFY(!copy.isEmpty());
    QVERIFY(test::flipOneByte(qMin(holder, other) == holder ? original : copy));
    for (int parity : {4, 5})
        for (const QString& folder : folders())
            if (const QString path = test::chunkObjectBelow(folder, shards.at(parity));
                !path.isEmpty())
                QVERIFY(QFile::remove(path));
    const QString out = m_box->path(QStringLiteral("out"));
    const CliResult restored = run({QStringLiteral("restore"), QStringLiteral("m"),
                                    QStringLiteral("--to"), out, QStringLiteral("--json")});
    QVERIFY2(restored.code == 0, restored.describe().constData());
    QCOMPARE(fileBytes(out + QStringLiteral("/m.bin")), m_bytes);
    const QStringList problems =
        restored.json().value(QStringLiteral("problems")).toVariant().toStringList();
    QVERIFY2(problems.size() == 1 && problems.first().startsWith(
                                         QStringLiteral("chunk %1 on provider").arg(shards.at(0))),
             restored.describe().constData());
}

void TestErasureFloat::aShardPutBackElsewhereLeavesNoMissingCopy()
{
    // A shard known missing on its provider, put back on another by the next float: the
    // registry kept the missing copy, and verify called the model damaged ("PROBLEMS FOUND",
    // exit 4) though every chunk had its six shards on six providers (found by tst_cli_crash's
    // 4+2 rounds, where the other vault's collect had deleted the shard).
    int holder = -1;
    floatOnSevenAndLoseAShard(&holder);
    if (QTest::currentTestFailed())
        return;
    const CliResult found = run({QStringLiteral("verify"), QStringLiteral("m")});
    QCOMPARE(found.code, IntegrityProblem);
    // Its provider takes no new objects now (the user disabled it): the shard goes to the one
    // provider that holds no shard of its chunk (and so do the provider's other shards).
    disable(holder);
    const CliResult again = run(m_v->floatArgs() << QStringLiteral("--json"));
    QVERIFY2(again.code == 0, again.describe().constData());
    const CliResult verify =
        run({QStringLiteral("verify"), QStringLiteral("m"), QStringLiteral("--json")});
    QVERIFY2(verify.code == 0, verify.describe().constData());
    QCOMPARE(verify.json().value(QStringLiteral("missing")).toInt(), 0);
    m_v->checkRestores(QStringLiteral("again"));
}

void TestErasureFloat::anotherVaultForgetsAShardPutBackElsewhere()
{
    // The same seen from vault B, which took the model in: B found a shard missing, A put it
    // back on another provider, and B took in a model of the same chunks. B kept the missing
    // copy, and its verify said damaged though every shard was stored (tst_cli_crash's 4+2
    // rounds, on the vault that took the other's models in).
    QStringList onB;
    int holder = -1;
    floatOnSevenAndLoseAShard(&holder, [&] { m_v->takeInOnAnotherVault(&onB); });
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(run(QStringList{QStringLiteral("verify"), QStringLiteral("m")} + onB).code,
             IntegrityProblem);
    // Vault A floats the same bytes as another model while that provider takes nothing new
    // there: the shard goes to the one provider that holds no shard of its chunk.
    QVERIFY(test::Side(m_v->registryPath())
                .exec(QStringLiteral("UPDATE providers SET enabled = 0 WHERE name = '%1'")
                          .arg(test::ShardedVault::providerName(holder))));
    const CliResult again = run(
        {QStringLiteral("float"), m_v->modelFile(), QStringLiteral("--name"),
         QStringLiteral("m-again"), QStringLiteral("--chunker"), QStringLiteral("fixed"),
         QStringLiteral("--chunk-size"), QString::number(ChunkSize), QStringLiteral("--quiet")});
    QVERIFY2(again.code == 0, again.describe().constData());
    const CliResult synced =
        run(QStringList{QStringLiteral("vault"), QStringLiteral("sync")} + onB);
    QVERIFY2(synced.code == 0, synced.describe().constData());
    const CliResult verify = run(
        QStringList{QStringLiteral("verify"), QStringLiteral("m"), QStringLiteral("--json")} + onB);
    QVERIFY2(verify.code == 0, verify.describe().constData());
}

QTEST_GUILESS_MAIN(TestErasureFloat)
#include "tst_erasure_float.moc"
