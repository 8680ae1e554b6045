// Registry: chunks stored as erasure-coded shards (docs/erasure.md). Schema 18 records which
// shards make a chunk (chunk_shards, each shard a row of `chunks`) and each model's scheme; a
// shard a chunk names is referenced, so never an orphan to collect, until the chunk goes; a chunk
// whose shards are stored counts as stored (readable from K shards, whole with all K+M); a chunk
// converted from one scheme to another is read by the old one until the new one is whole, and
// retiring one scheme leaves the other; and a registry of schema 17 upgrades to it.

#include "registrytestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestRegistryShards final : public RegistryTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        RegistryTestBase::init();
        m_own.clear();
    }
    void cleanup() { RegistryTestBase::cleanup(); }
    void recordAndReadShards();
    void otherShardsForAChunkAreRefused();
    void shardsAreReferencedWhileTheirChunkIs();
    void storedShardsMakeAChunkReadable();
    void modelKeepsItsScheme();
    void aChunkUnderTwoSchemesIsReadByTheWholeOne();
    void aShardThatIsTheChunkItselfKeepsItsCopies();
    void repairRebuildsShardedChunksNotTheirShards();
    void upgradesFromSchema17();

private:
    // Chunk C of model m1 under 3+2: five shards, "C0".."C4".
    QList<ShardRows::Shard> shardsOfC() const;
    // A provider of shard index `i`'s own ("own0".."own4"), added on first use.
    qint64 ownProvider(int i);
    QHash<int, qint64> m_own;
};

qint64 TestRegistryShards::ownProvider(int i)
{
    if (!m_own.contains(i))
        m_own.insert(i, m_r->providerRows()
                            .addProvider(providerRecord(QStringLiteral("own%1").arg(i)))
                            .value_or(0));
    return m_own.value(i);
}

QList<ShardRows::Shard> TestRegistryShards::shardsOfC() const
{
    QList<ShardRows::Shard> out;
    for (int i = 0; i < 5; ++i)
        out.append(
            ShardRows::Shard{i, cidOf(QByteArray("C" + QByteArray::number(i)).constData()), 4});
    return out;
}

void TestRegistryShards::recordAndReadShards()
{
    buildVault(*m_r);
    ShardRows& rows = m_r->shardRows();
    QVERIFY(!rows.shardScheme(m_c));
    QVERIFY(rows.shards(m_c, 3, 2).isEmpty());
    QVERIFY2(rows.recordShards(m_c, 3, 2, shardsOfC()), qPrintable(m_r->lastError()));
    const QList<ShardRows::Shard> got = rows.shards(m_c, 3, 2);
    QCOMPARE(got.size(), 5);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(got.at(i).index, i);
        QCOMPARE(got.at(i).cid, shardsOfC().at(i).cid);
        QCOMPARE(got.at(i).size, qint64(4));
    }
    const auto scheme = rows.shardScheme(m_c);
    QVERIFY(scheme);
    QCOMPARE(scheme->k, 3);
    QCOMPARE(scheme->m, 2);
    // The same shards again change nothing.
    Side side(dbPath());
    const qint64 chunks = side.count(QStringLiteral("chunks"));
    QVERIFY(rows.recordShards(m_c, 3, 2, shardsOfC()));
    QCOMPARE(side.count(QStringLiteral("chunks")), chunks);
    QCOMPARE(side.count(QStringLiteral("chunk_shards")), qint64(5));
}

void TestRegistryShards::otherShardsForAChunkAreRefused()
{
    buildVault(*m_r);
    ShardRows& rows = m_r->shardRows();
    QVERIFY(rows.recordShards(m_c, 3, 2, shardsOfC()));
    Side side(dbPath());
    const qint64 chunks = side.count(QStringLiteral("chunks"));
    QList<ShardRows::Shard> other = shardsOfC();
    other[2].cid = cidOf("not C2");
    QVERIFY(!rows.recordShards(m_c, 3, 2, other));
    QVERIFY2(m_r->lastError().contains(QStringLiteral("other shards")),
             qPrintable(m_r->lastError()));
    // Nothing of it stays: not the new shard's row either.
    QCOMPARE(side.count(QStringLiteral("chunks")), chunks);
    QCOMPARE(rows.shards(m_c, 3, 2).at(2).cid, shardsOfC().at(2).cid);
    // Nor a count that is not K+M.
    QVERIFY(!rows.recordShards(m_b, 3, 2, shardsOfC().mid(0, 4)));
    QVERIFY(rows.shards(m_b, 3, 2).isEmpty());
}

void TestRegistryShards::shardsAreReferencedWhileTheirChunkIs()
{
    buildVault(*m_r);
    QVERIFY(m_r->shardRows().recordShards(m_c, 3, 2, shardsOfC()));
    auto orphans = [this] {
        QStringList out;
        for (const auto& [cid, size] : m_r->placementRows().orphanChunks())
            out.append(cid);
        return out;
    };
    for (const ShardRows::Shard& s : shardsOfC())
        QVERIFY(!orphans().contains(s.cid));
    // The chunk's row goes (its model removed, the orphan collected): its shards become orphans
    // in turn.
    Side side(dbPath());
    QVERIFY(side.exec(QStringLiteral("PRAGMA foreign_keys = ON")));
    QVERIFY(side.exec(QStringLiteral("DELETE FROM file_chunks WHERE cid = '%1'").arg(m_c)));
    QVERIFY(side.exec(QStringLiteral("DELETE FROM placements WHERE cid = '%1'").arg(m_c)));
    QVERIFY(side.exec(QStringLiteral("DELETE FROM chunks WHERE cid = '%1'").arg(m_c)));
    QCOMPARE(side.count(QStringLiteral("chunk_shards")), qint64(0));
    for (const ShardRows::Shard& s : shardsOfC())
        QVERIFY(orphans().contains(s.cid));
}

void TestRegistryShards::storedShardsMakeAChunkReadable()
{
    buildVault(*m_r);
    // C has only a missing copy: lost, until it is stored as shards.
    QVERIFY(m_r->placementRows().chunksWithoutPlacement().contains(m_c));
    QVERIFY(m_r->shardRows().recordShards(m_c, 3, 2, shardsOfC()));
    const QList<ShardRows::Shard> shards = shardsOfC();
    // Two of five shards stored: fewer than K, still lost.
    for (int i = 0; i < 2; ++i)
        QVERIFY(m_r->placementRows().recordPlacement(
            placement(shards.at(i).cid, ownProvider(i), PlacementState::Stored)));
    QVERIFY(m_r->placementRows().chunksWithoutPlacement().contains(m_c));
    const auto m1 = m_r->modelRows().model(m_m1);
    QVERIFY(m1);
    QCOMPARE(summarizeModel(*m_r, *m1, 2).lost, 1);
    QCOMPARE(m_r->healthRows().modelCounts({m_m1}).value(m_m1).chunksByCopies.value(0), 1);
    // K of them: readable.
    QVERIFY(m_r->placementRows().recordPlacement(
        placement(shards.at(2).cid, ownProvider(2), PlacementState::Stored)));
    QVERIFY(!m_r->placementRows().chunksWithoutPlacement().contains(m_c));
    // `info` and `list` count it as one copy: there, but degraded.
    QCOMPARE(summarizeModel(*m_r, *m1, 2).lost, 0);
    QCOMPARE(summarizeModel(*m_r, *m1, 2).underReplicated, 2); // B and C
    QCOMPARE(m_r->healthRows().modelCounts({m_m1}).value(m_m1).chunksByCopies.value(0), 0);
    // A's and B's copies stay judged as copies (one copy short of two: B's second is pending).
    QCOMPARE(m_r->healthRows().underReplicatedChunks(m_m1), 2); // B, and C (3 of 5 shards)
    // All five stored, but the last two only on one provider, which would take both with it:
    // not whole (docs/erasure.md, "Each shard on a provider of its own").
    for (int i = 3; i < 5; ++i)
        QVERIFY(m_r->placementRows().recordPlacement(
            placement(shards.at(i).cid, ownProvider(3), PlacementState::Stored)));
    QCOMPARE(m_r->healthRows().underReplicatedChunks(m_m1), 2);
    QCOMPARE(summarizeModel(*m_r, *m1, 2).underReplicated, 2);
    // The last one on a provider of its own too: whole.
    QVERIFY(m_r->placementRows().recordPlacement(
        placement(shards.at(4).cid, ownProvider(4), PlacementState::Stored)));
    QCOMPARE(m_r->healthRows().underReplicatedChunks(m_m1), 1); // B only: C is whole
    QCOMPARE(summarizeModel(*m_r, *m1, 2).underReplicated, 1);
    QCOMPARE(m_r->healthRows().modelCounts({m_m1}).value(m_m1).chunksByCopies.value(2), 2); // A, C
}

void TestRegistryShards::modelKeepsItsScheme()
{
    buildVault(*m_r);
    QCOMPARE(m_r->shardRows().modelRedundancy(m_m1), QString());
    QVERIFY(m_r->shardRows().setModelRedundancy(m_m1, QStringLiteral("shards 4+2")));
    QCOMPARE(m_r->shardRows().modelRedundancy(m_m1), QStringLiteral("shards 4+2"));
    QCOMPARE(m_r->shardRows().modelRedundancy(m_m2), QString());
}

void TestRegistryShards::aChunkUnderTwoSchemesIsReadByTheWholeOne()
{
    buildVault(*m_r);
    ShardRows& rows = m_r->shardRows();
    PlacementRows& placements = m_r->placementRows();
    // C whole at 3+2, its five shards stored, each on a provider of its own.
    QVERIFY(rows.recordShards(m_c, 3, 2, shardsOfC()));
    for (const ShardRows::Shard& s : shardsOfC())
        QVERIFY(placements.recordPlacement(
            placement(s.cid, ownProvider(s.index), PlacementState::Stored)));
    // Being converted to 2+1: recorded, one of three stored.
    QList<ShardRows::Shard> other;
    for (int i = 0; i < 3; ++i)
        other.append(
            ShardRows::Shard{i, cidOf(QByteArray("D" + QByteArray::number(i)).constData()), 6});
    QVERIFY2(rows.recordShards(m_c, 2, 1, other), qPrintable(m_r->lastError()));
    QVERIFY(placements.recordPlacement(
        placement(other.at(0).cid, ownProvider(0), PlacementState::Stored)));
    QCOMPARE(rows.shardSchemes(m_c).size(), 2);
    auto readBy = [&] {
        const auto scheme = rows.shardScheme(m_c);
        return scheme ? QStringLiteral("%1+%2").arg(scheme->k).arg(scheme->m) : QString();
    };
    QCOMPARE(readBy(), QStringLiteral("3+2")); // the new one cannot be read yet
    QCOMPARE(rows.storedShards(m_c, {2, 1})->ownCopies, 1);
    QCOMPARE(rows.storedShards(m_c)->ownCopies, 5);
    QVERIFY(!rows.storedShards(m_c, {4, 2}));
    for (int i = 1; i < 3; ++i)
        QVERIFY(placements.recordPlacement(
            placement(other.at(i).cid, ownProvider(i), PlacementState::Stored)));
    // Both whole: the one with more shards to spare beyond its K (3+2 survives losing two).
    QCOMPARE(readBy(), QStringLiteral("3+2"));
    // The old scheme retired: its shards become deletions, the new one's stay.
    const ShardRows::RetiredShards retired = rows.retireShards(m_c, {3, 2});
    QCOMPARE(retired.result, ShardRows::RetiredShards::Result::Retired);
    QCOMPARE(retired.objects, 5);
    QCOMPARE(rows.shardSchemes(m_c).size(), 1);
    QCOMPARE(readBy(), QStringLiteral("2+1"));
    QCOMPARE(rows.shards(m_c, 2, 1).size(), 3);
    QVERIFY(rows.shards(m_c, 3, 2).isEmpty());
    for (const ShardRows::Shard& s : other)
        QCOMPARE(placements.placements(s.cid).size(), 1);
    QCOMPARE(placements.pendingDeletions().size(), 5);
}

void TestRegistryShards::aShardThatIsTheChunkItselfKeepsItsCopies()
{
    // At 1+1 (floated before that scheme was refused) both shards of a chunk are the chunk's
    // own bytes: A's stored objects are its shards and its copies at once. Retiring the shards
    // (a conversion to copies) turned them into deletions, and the chunk had no copy left.
    buildVault(*m_r);
    ShardRows& rows = m_r->shardRows();
    QVERIFY(rows.recordShards(m_a, 1, 1, {{0, m_a, 10}, {1, m_a, 10}}));
    QCOMPARE(m_r->placementRows().placements(m_a).size(), 2);
    const ShardRows::RetiredShards retired = rows.retireShards(m_a, {1, 1});
    QCOMPARE(retired.result, ShardRows::RetiredShards::Result::Retired);
    QCOMPARE(retired.objects, 0);
    QVERIFY(rows.shardSchemes(m_a).isEmpty());
    QCOMPARE(m_r->placementRows().placements(m_a).size(), 2);
    QVERIFY(m_r->placementRows().pendingDeletions().isEmpty());
}

void TestRegistryShards::repairRebuildsShardedChunksNotTheirShards()
{
    buildVault(*m_r);
    auto toRepair = [this] {
        QStringList out;
        for (const ScrubRows::ChunkToRepair& c : m_r->scrubRows().chunksToRepair({}, 100, 2, {}, 0))
            out.append(c.cid);
        return out;
    };
    QVERIFY(toRepair().contains(m_c));
    const qint64 copiesOwed = m_r->scrubRows().repairWork(2).bytes;
    QVERIFY(m_r->shardRows().recordShards(m_c, 3, 2, shardsOfC()));
    // What it is owed is the shards it lacks now (four of 4 bytes, one is stored), not two
    // copies of it.
    QVERIFY(m_r->placementRows().recordPlacement(
        placement(shardsOfC().at(0).cid, m_p1, PlacementState::Stored)));
    qint64 sizeOfC = 0;
    for (const FileChunk& fc : m_r->modelRows().fileChunks(m_f1))
        if (fc.cid == m_c)
            sizeOfC = fc.size;
    QVERIFY(sizeOfC > 0);
    QCOMPARE(m_r->scrubRows().repairWork(2).bytes, copiesOwed - 2 * sizeOfC + 4 * 4);
    // Short of shards (none stored), it is repair's work, as health judges it (RepairJob
    // rebuilds its shards); its shards are no model's chunks: repair makes no copies of them.
    QStringList after = toRepair();
    QVERIFY(after.contains(m_c));
    QVERIFY(after.contains(m_b));
    for (const ShardRows::Shard& s : shardsOfC())
        QVERIFY(!after.contains(s.cid));
    // Whole in shards, it is not.
    const QList<ShardRows::Shard> shards = shardsOfC();
    for (int i = 1; i < shards.size(); ++i)
        QVERIFY(m_r->placementRows().recordPlacement(
            placement(shards.at(i).cid, i % 2 ? m_p2 : ownProvider(i), PlacementState::Stored)));
    // Shards 1 and 3 only on p2: losing it would cost two. Repair's work.
    QVERIFY(toRepair().contains(m_c));
    QVERIFY(!m_r->shardRows().wholeApart(m_c));
    // Shard 3 on a provider of its own too: whole, though SQL alone cannot tell with a shard
    // on two providers, so the chunk is still looked at (RepairJob asks wholeApart() first).
    QVERIFY(m_r->placementRows().recordPlacement(
        placement(shards.at(3).cid, ownProvider(3), PlacementState::Stored)));
    QVERIFY(m_r->shardRows().wholeApart(m_c));
    QVERIFY(toRepair().contains(m_c));
    // Moved there, one copy each: not even looked at.
    QVERIFY(m_r->placementRows().removePlacement(shards.at(3).cid, m_p2));
    after = toRepair();
    QVERIFY(!after.contains(m_c));
    QVERIFY(after.contains(m_b));
}

void TestRegistryShards::upgradesFromSchema17()
{
    buildVault(*m_r);
    m_r.reset();
    {
        Side side(dbPath());
        for (const QString& sql : schemaRewind(17))
            QVERIFY2(side.exec(sql), qPrintable(sql));
    }
    m_r = openRegistry();
    QVERIFY(m_r);
    QCOMPARE(m_r->schemaVersion(), migrations::latestVersion());
    QCOMPARE(m_r->shardRows().modelRedundancy(m_m1), QString());
    QVERIFY(m_r->shardRows().recordShards(m_c, 3, 2, shardsOfC()));
    QCOMPARE(m_r->shardRows().shards(m_c, 3, 2).size(), 5);
}

QTEST_GUILESS_MAIN(TestRegistryShards)
#include "tst_registryshards.moc"
