// LocalProvider against the Provider contract, checked on the disk itself: round trips and
// ranges, the sharded layout, atomic publication (a source that fails, a process killed
// mid-write), concurrent puts, the quota it reports, a vanished folder and hostile locators.
// The jobs' lifecycle, ProviderProbe and ProviderFactory are tst_localproviderjobs'.
//
// The binary doubles as its own helper process: `tst_localprovider --child-put ROOT CID` starts
// an endless slow put and waits to be killed.

#include "localprovidertestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestLocalProvider final : public LocalProviderTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init() { LocalProviderTestBase::init(); }
    void cleanup() { LocalProviderTestBase::cleanup(); }
    void putThenGet();
    void getRanges_data();
    void getRanges();
    void objectsAreShardedAndNoTemporaryRemains();
    void putOfAnExistingObjectDoesNotRewriteIt();
    void putReplacesAnObjectOfTheWrongSize();
    void putWithAFailingSource_data();
    void putWithAFailingSource();
    void atomicityUnderKill();
    void concurrentDistinctPuts();
    void concurrentPutsOfTheSameObject();
    void statAndNotFound();
    void removeObjects();
    void listReturnsExactlyTheObjects();
    void usageCountsObjectsOnly();
    void usageReportsTheQuota();
    void vanishedRootIsFatalAndNotRecreated();
    void invalidLocatorsAreRefused_data();
    void invalidLocatorsAreRefused();
};

void TestLocalProvider::putThenGet()
{
    const QByteArray data = test::pseudoRandomBytes(9 * MiB + 123, 1);
    const QString id = cid::ofData(data);
    std::unique_ptr<ProviderJob> put(m_p->put(id, bufferOf(data), data.size()));
    QSignalSpy progress(put.get(), &ProviderJob::progress);
    RUN_JOB(put.get());
    QVERIFY2(put->error().ok(), qPrintable(put->error().message));
    QCOMPARE(put->locator(), id);
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().at(0).toLongLong(), data.size());
    QCOMPARE(progress.last().at(1).toLongLong(), data.size());
    for (const auto& p : progress) // monotonic, never beyond the total
        QVERIFY(p.at(0).toLongLong() <= data.size());

    BufferSink sink;
    std::unique_ptr<ProviderJob> get(m_p->get(id, &sink));
    RUN_JOB(get.get());
    QVERIFY2(get->error().ok(), qPrintable(get->error().message));
    QCOMPARE(sink.bytes().size(), data.size());
    QVERIFY(sink.bytes() == data);
}

void TestLocalProvider::getRanges_data()
{
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qint64>("length");
    QTest::addColumn<qint64>("expectedFrom");
    QTest::addColumn<qint64>("expectedLength");
    const qint64 size = 3 * MiB + 777;
    QTest::newRow("whole") << qint64(0) << qint64(-1) << qint64(0) << size;
    QTest::newRow("whole, explicit length") << qint64(0) << size << qint64(0) << size;
    QTest::newRow("nothing") << qint64(100) << qint64(0) << qint64(100) << qint64(0);
    QTest::newRow("first byte") << qint64(0) << qint64(1) << qint64(0) << qint64(1);
    QTest::newRow("last byte") << size - 1 << qint64(1) << size - 1 << qint64(1);
    QTest::newRow("middle") << qint64(12345) << qint64(54321) << qint64(12345) << qint64(54321);
    QTest::newRow("across a block boundary") << MiB - 10 << qint64(20) << MiB - 10 << qint64(20);
    QTest::newRow("across two block boundaries") << MiB - 1 << MiB + 2 << MiB - 1 << MiB + 2;
    QTest::newRow("tail to the end") << size - 1000 << qint64(-1) << size - 1000 << qint64(1000);
    QTest::newRow("tail, long length") << size - 1000 << 5 * MiB << size - 1000 << qint64(1000);
}

void TestLocalProvider::getRanges()
{
    QFETCH(qint64, offset);
    QFETCH(qint64, length);
    QFETCH(qint64, expectedFrom);
    QFETCH(qint64, expectedLength);
    const QByteArray data = test::pseudoRandomBytes(3 * MiB + 777, 2);
    const QString id = store(*m_p, data);
    QVERIFY(!id.isEmpty());
    Error error;
    const QByteArray got = fetch(*m_p, id, offset, length, &error);
    QVERIFY2(error.ok(), qPrintable(error.message));
    QCOMPARE(got.size(), expectedLength);
    QVERIFY(got == data.mid(expectedFrom, expectedLength));
}

void TestLocalProvider::objectsAreShardedAndNoTemporaryRemains()
{
    QStringList expected;
    for (int i = 0; i < 20; ++i) {
        const QByteArray data = test::pseudoRandomBytes(1000 + i, 100 + quint64(i));
        const QString id = store(*m_p, data);
        QVERIFY(!id.isEmpty());
        const QString path = LocalProvider::objectPath(m_root, id);
        // flatfs next-to-last/2: <root>/<the two characters before the last>/<cid>
        QCOMPARE(path,
                 m_root + QLatin1Char('/') + id.mid(id.size() - 3, 2) + QLatin1Char('/') + id);
        QVERIFY(QFileInfo(path).isFile());
        QCOMPARE(QFileInfo(path).size(), data.size());
        expected.append(QDir(m_root).relativeFilePath(path));
    }
    expected.sort();
    QCOMPARE(filesUnder(m_root), expected); // nothing else anywhere, .tmp included
}

void TestLocalProvider::putOfAnExistingObjectDoesNotRewriteIt()
{
    const QByteArray data = test::pseudoRandomBytes(2 * MiB, 3);
    const QString id = cid::ofData(data);
    std::unique_ptr<ProviderJob> first(m_p->put(id, bufferOf(data), data.size()));
    RUN_JOB(first.get());
    QVERIFY2(first->error().ok(), qPrintable(first->error().message));
    QVERIFY(!first->alreadyStored()); // a new object: its bytes were sent
    const QString path = LocalProvider::objectPath(m_root, id);
    const FileId before = fileId(path);
    QVERIFY(before.inode != 0);
    // A source that fails at once: if the put read it, it would fail.
    auto source = std::make_unique<ScriptedSource>(0, ScriptedSource::Ending::Error);
    ScriptedSource* raw = source.get();
    std::unique_ptr<ProviderJob> again(m_p->put(id, std::move(source), data.size()));
    RUN_JOB(again.get());
    QVERIFY2(again->error().ok(), qPrintable(again->error().message));
    QCOMPARE(again->locator(), id);
    QVERIFY(again->alreadyStored());
    QCOMPARE(raw->delivered.load(), qint64(0));
    QVERIFY(fileId(path) == before);
    QVERIFY(fetch(*m_p, id) == data);
}

void TestLocalProvider::putReplacesAnObjectOfTheWrongSize()
{
    // A truncated object (copied in by hand, or damaged) under a CID name is replaced by a put.
    const QByteArray data = test::pseudoRandomBytes(300 * KiB, 4);
    const QString id = cid::ofData(data);
    const QString path = LocalProvider::objectPath(m_root, id);
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QVERIFY(test::writeFile(path, data.left(1000)));
    std::unique_ptr<ProviderJob> usage(m_p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, qint64(1000));
    QCOMPARE(store(*m_p, data), id);
    QVERIFY(fetch(*m_p, id) == data);
    usage.reset(m_p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, data.size());
}

void TestLocalProvider::putWithAFailingSource_data()
{
    QTest::addColumn<qint64>("good");
    QTest::addColumn<bool>("error");
    QTest::newRow("error at once") << qint64(0) << true;
    QTest::newRow("error after 3 MiB") << 3 * MiB << true;
    QTest::newRow("error one byte short") << 4 * MiB - 1 << true;
    QTest::newRow("ends at once") << qint64(0) << false;
    QTest::newRow("ends after 1.5 MiB") << 3 * MiB / 2 << false;
    QTest::newRow("ends one byte short") << 4 * MiB - 1 << false;
}

void TestLocalProvider::putWithAFailingSource()
{
    QFETCH(qint64, good);
    QFETCH(bool, error);
    const qint64 size = 4 * MiB;
    const QString id = cid::ofData(QByteArray("the real bytes"));
    std::unique_ptr<ProviderJob> job(
        m_p->put(id,
                 std::make_unique<ScriptedSource>(good, error ? ScriptedSource::Ending::Error
                                                              : ScriptedSource::Ending::Eof),
                 size));
    RUN_JOB(job.get());
    QVERIFY(!job->error().ok());
    QVERIFY(job->error().kind != Error::Kind::Cancelled);
    if (error)
        QVERIFY2(job->error().message.contains(QLatin1String("cable unplugged")),
                 qPrintable(job->error().message));
    else
        QVERIFY2(job->error().message.contains(QString::number(good)),
                 qPrintable(job->error().message));
    QVERIFY(!QFileInfo::exists(LocalProvider::objectPath(m_root, id)));
    QCOMPARE(filesUnder(m_root), QStringList());
    std::unique_ptr<ProviderJob> stat(m_p->stat(id));
    RUN_JOB(stat.get());
    QCOMPARE(stat->error().kind, Error::Kind::NotFound);
}

void TestLocalProvider::atomicityUnderKill()
{
    const QString id = cid::ofData(QByteArray("killed mid-write"));
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(),
                {QStringLiteral("--child-put"), m_root, id});
    QVERIFY(child.waitForStarted(Timeout));
    QByteArray output; // QTRY_VERIFY evaluates the condition once more at the end
    QTRY_VERIFY_WITH_TIMEOUT((output += child.readAllStandardOutput()).contains("started") ||
                                 child.state() != QProcess::Running,
                             Timeout);
    QCOMPARE(child.state(), QProcess::Running);
    // Wait until the child has written real bytes of the object, then kill it without warning.
    auto writtenSoFar = [&] {
        qint64 n = 0;
        for (const QString& f : filesUnder(m_root))
            n += QFileInfo(m_root + QLatin1Char('/') + f).size();
        return n;
    };
    QTRY_VERIFY_WITH_TIMEOUT(writtenSoFar() >= 2 * MiB, Timeout);
    QCOMPARE(child.state(), QProcess::Running);
    child.kill();
    QVERIFY(child.waitForFinished(Timeout));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    // No torn object under the real name; whatever was left is a temporary in .tmp.
    QVERIFY(!QFileInfo::exists(LocalProvider::objectPath(m_root, id)));
    const QStringList left = filesUnder(m_root);
    QVERIFY(!left.isEmpty());
    for (const QString& f : left)
        QVERIFY2(f.startsWith(QLatin1String(".tmp/")), qPrintable(f));
    std::unique_ptr<ProviderJob> stat(m_p->stat(id));
    RUN_JOB(stat.get());
    QCOMPARE(stat->error().kind, Error::Kind::NotFound);
    std::unique_ptr<ProviderJob> list(m_p->list());
    RUN_JOB(list.get());
    QVERIFY(list->objects().isEmpty());
    // The leftover neither counts as stored bytes nor stands in the way of a new put.
    std::unique_ptr<ProviderJob> usage(m_p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, qint64(0));
    const QByteArray data = QByteArray("killed mid-write");
    QCOMPARE(store(*m_p, data), id);
    QVERIFY(fetch(*m_p, id) == data);
}

void TestLocalProvider::concurrentDistinctPuts()
{
    QList<QByteArray> datas;
    std::vector<std::unique_ptr<ProviderJob>> jobs;
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (int i = 0; i < 16; ++i) {
        datas.append(test::pseudoRandomBytes(256 * KiB + i * 1000, 200 + quint64(i)));
        jobs.emplace_back(
            m_p->put(cid::ofData(datas.last()), bufferOf(datas.last()), datas.last().size()));
        spies.push_back(std::make_unique<QSignalSpy>(jobs.back().get(), &ProviderJob::finished));
    }
    for (auto& j : jobs)
        j->start();
    for (auto& s : spies)
        QTRY_COMPARE_WITH_TIMEOUT(s->count(), 1, Timeout);
    for (auto& j : jobs)
        QVERIFY2(j->error().ok(), qPrintable(j->error().message));
    for (const QByteArray& d : datas)
        QVERIFY(fetch(*m_p, cid::ofData(d)) == d);
    QVERIFY(!QDir(tmpDir()).exists() ||
            QDir(tmpDir()).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot));
}

void TestLocalProvider::concurrentPutsOfTheSameObject()
{
    const QByteArray data = test::pseudoRandomBytes(3 * MiB + 5, 5);
    const QString id = cid::ofData(data);
    auto p = makeProvider({-1, nullptr, 8});
    // Count once before, so the provider's running total is what is checked afterwards.
    std::unique_ptr<ProviderJob> usage(p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, qint64(0));
    std::vector<std::unique_ptr<ProviderJob>> jobs;
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (int i = 0; i < 8; ++i) {
        jobs.emplace_back(p->put(id, bufferOf(data), data.size()));
        spies.push_back(std::make_unique<QSignalSpy>(jobs.back().get(), &ProviderJob::finished));
    }
    for (auto& j : jobs)
        j->start();
    for (auto& s : spies)
        QTRY_COMPARE_WITH_TIMEOUT(s->count(), 1, Timeout);
    for (auto& j : jobs) {
        QVERIFY2(j->error().ok(), qPrintable(j->error().message));
        QCOMPARE(j->locator(), id);
    }
    QCOMPARE(QFileInfo(LocalProvider::objectPath(m_root, id)).size(), data.size());
    QVERIFY(fetch(*p, id) == data);
    QCOMPARE(filesUnder(m_root),
             QStringList{QDir(m_root).relativeFilePath(LocalProvider::objectPath(m_root, id))});
    usage.reset(p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, data.size()); // one object, counted once
}

void TestLocalProvider::statAndNotFound()
{
    const QByteArray data = test::pseudoRandomBytes(123457, 6);
    const QString id = store(*m_p, data);
    std::unique_ptr<ProviderJob> stat(m_p->stat(id));
    RUN_JOB(stat.get());
    QVERIFY2(stat->error().ok(), qPrintable(stat->error().message));
    QCOMPARE(stat->objectSize(), data.size());
    const QString absent = cid::ofData(QByteArray("never stored"));
    stat.reset(m_p->stat(absent));
    RUN_JOB(stat.get());
    QCOMPARE(stat->error().kind, Error::Kind::NotFound);
    QVERIFY(!stat->error().message.isEmpty());
    Error error;
    fetch(*m_p, absent, 0, -1, &error);
    QCOMPARE(error.kind, Error::Kind::NotFound);
}

void TestLocalProvider::removeObjects()
{
    const QByteArray a = test::pseudoRandomBytes(5000, 7), b = test::pseudoRandomBytes(7000, 8);
    const QString idA = store(*m_p, a), idB = store(*m_p, b);
    std::unique_ptr<ProviderJob> usage(m_p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, qint64(12000));

    std::unique_ptr<ProviderJob> remove(m_p->remove(idA));
    RUN_JOB(remove.get());
    QVERIFY2(remove->error().ok(), qPrintable(remove->error().message));
    QVERIFY(!QFileInfo::exists(LocalProvider::objectPath(m_root, idA)));
    std::unique_ptr<ProviderJob> stat(m_p->stat(idA));
    RUN_JOB(stat.get());
    QCOMPARE(stat->error().kind, Error::Kind::NotFound);
    QVERIFY(fetch(*m_p, idB) == b);
    // Removing what is not there succeeds (and changes nothing).
    remove.reset(m_p->remove(idA));
    RUN_JOB(remove.get());
    QVERIFY2(remove->error().ok(), qPrintable(remove->error().message));
    remove.reset(m_p->remove(cid::ofData(QByteArray("never stored"))));
    RUN_JOB(remove.get());
    QVERIFY(remove->error().ok());
    usage.reset(m_p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, qint64(7000));
}

void TestLocalProvider::listReturnsExactlyTheObjects()
{
    std::unique_ptr<ProviderJob> list(m_p->list());
    RUN_JOB(list.get());
    QVERIFY(list->error().ok());
    QVERIFY(list->objects().isEmpty());

    QHash<QString, qint64> expected;
    for (int i = 0; i < 12; ++i) {
        const QByteArray d = test::pseudoRandomBytes(100 * i + 1, 300 + quint64(i));
        expected.insert(store(*m_p, d), d.size());
    }
    // Things that are not objects: a temporary, a CID-named file in the wrong shard, a stray
    // file in a shard.
    const QString strayCid = cid::ofData(QByteArray("stray"));
    QVERIFY(QDir().mkpath(tmpDir()));
    QVERIFY(test::writeFile(tmpDir() + QLatin1Char('/') + strayCid + QStringLiteral(".a1b2c3"),
                            QByteArray(10, 'x')));
    QVERIFY(QDir().mkpath(m_root + QStringLiteral("/zz")));
    QVERIFY(test::writeFile(m_root + QStringLiteral("/zz/") + strayCid, QByteArray(10, 'x')));
    const QString someShard =
        QFileInfo(LocalProvider::objectPath(m_root, expected.keys().first())).absolutePath();
    QVERIFY(test::writeFile(someShard + QStringLiteral("/notes.txt"), QByteArray(10, 'x')));

    list.reset(m_p->list());
    RUN_JOB(list.get());
    QVERIFY(list->error().ok());
    QHash<QString, qint64> got;
    for (const StoredObject& o : list->objects())
        got.insert(o.locator, o.size);
    QCOMPARE(list->objects().size(), expected.size());
    QCOMPARE(got, expected);
}

void TestLocalProvider::usageCountsObjectsOnly()
{
    const QByteArray a = test::pseudoRandomBytes(40000, 9);
    store(*m_p, a);
    // A temporary left by a crash, and a stray file: neither is stored data.
    const QString strayCid = cid::ofData(QByteArray("stray"));
    QVERIFY(test::writeFile(tmpDir() + QLatin1Char('/') + strayCid + QStringLiteral(".a1b2c3"),
                            QByteArray(5000, 'x')));
    QVERIFY(QDir().mkpath(m_root + QStringLiteral("/zz")));
    QVERIFY(test::writeFile(m_root + QStringLiteral("/zz/") + strayCid, QByteArray(3000, 'x')));
    auto fresh = makeProvider(); // counts by walking the folder
    std::unique_ptr<ProviderJob> usage(fresh->usage());
    RUN_JOB(usage.get());
    QVERIFY2(usage->error().ok(), qPrintable(usage->error().message));
    QCOMPARE(usage->usage().usedBytes, a.size());
    QCOMPARE(usage->usage().quotaBytes, qint64(-1));
    QVERIFY(usage->usage().availableBytes > 0);
}

void TestLocalProvider::usageReportsTheQuota()
{
    // The folder reports its quota; whether a chunk may go there is judged where placements are
    // chosen, counting the puts under way in every process (PlacementRows::beginPlacement:
    // tst_distributor's providerOverQuota and quotaHoldsUnderConcurrentPuts), not here again.
    auto p = makeProvider({3 * MiB, nullptr, 4});
    const QByteArray a = test::pseudoRandomBytes(2 * MiB, 10), c = test::pseudoRandomBytes(MiB, 12);
    QCOMPARE(store(*p, a), cid::ofData(a));
    QCOMPARE(store(*p, c), cid::ofData(c));
    std::unique_ptr<ProviderJob> usage(p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().usedBytes, 3 * MiB);
    QCOMPARE(usage->usage().quotaBytes, 3 * MiB);
    QCOMPARE(usage->usage().availableBytes, qint64(0));
    // Room made by a remove shows.
    std::unique_ptr<ProviderJob> remove(p->remove(cid::ofData(a)));
    RUN_JOB(remove.get());
    std::unique_ptr<ProviderJob> after(p->usage());
    RUN_JOB(after.get());
    QCOMPARE(after->usage().usedBytes, MiB);
    QCOMPARE(after->usage().availableBytes, 2 * MiB);
    QVERIFY(!QDir(tmpDir()).exists() ||
            QDir(tmpDir()).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot));
}

void TestLocalProvider::vanishedRootIsFatalAndNotRecreated()
{
    const QByteArray data = test::pseudoRandomBytes(1000, 13);
    const QString id = store(*m_p, data);
    QVERIFY(QDir(m_root).removeRecursively());
    QVERIFY(!QFileInfo::exists(m_root));

    BufferSink sink;
    std::vector<std::unique_ptr<ProviderJob>> jobs;
    jobs.emplace_back(m_p->put(cid::ofData(QByteArray("new")), bufferOf("new"), 3));
    jobs.emplace_back(m_p->put(id, bufferOf(data), data.size()));
    jobs.emplace_back(m_p->get(id, &sink));
    jobs.emplace_back(m_p->stat(id));
    jobs.emplace_back(m_p->remove(id));
    jobs.emplace_back(m_p->list());
    jobs.emplace_back(m_p->usage());
    for (auto& j : jobs) {
        RUN_JOB(j.get());
        QCOMPARE(j->error().kind, Error::Kind::Fatal);
        QVERIFY2(j->error().message.contains(m_root), qPrintable(j->error().message));
    }
    QVERIFY(!QFileInfo::exists(m_root));
    QCOMPARE(sink.bytes(), QByteArray());
}

void TestLocalProvider::invalidLocatorsAreRefused_data()
{
    QTest::addColumn<QString>("locator");
    const QString good = cid::ofData(QByteArray("x"));
    QTest::newRow("traversal") << QStringLiteral("../../etc/passwd");
    QTest::newRow("absolute") << QStringLiteral("/etc/passwd");
    QTest::newRow("empty") << QString();
    QTest::newRow("prefix only") << QStringLiteral("bafkrei");
    QTest::newRow("cid with a slash") << good.left(20) + QLatin1Char('/') + good.mid(21);
    QTest::newRow("cid and traversal") << good + QStringLiteral("/../../x");
    QTest::newRow("upper case") << good.toUpper();
    QTest::newRow("truncated cid") << good.left(good.size() - 1);
    QTest::newRow("temporary name") << good + QStringLiteral(".a1b2c3");
}

void TestLocalProvider::invalidLocatorsAreRefused()
{
    QFETCH(QString, locator);
    // A real file where a traversal would land, to show it is neither read nor removed.
    const QString victim = m_dir->filePath(QStringLiteral("victim"));
    QVERIFY(test::writeFile(victim, "precious"));
    BufferSink sink;
    std::vector<std::unique_ptr<ProviderJob>> jobs;
    jobs.emplace_back(m_p->get(locator, &sink));
    jobs.emplace_back(m_p->stat(locator));
    jobs.emplace_back(m_p->remove(locator));
    jobs.emplace_back(m_p->put(locator, bufferOf("evil"), 4));
    for (auto& j : jobs) {
        RUN_JOB(j.get());
        QVERIFY(!j->error().ok());
        QVERIFY2(j->error().message.contains(locator), qPrintable(j->error().message));
    }
    QCOMPARE(sink.bytes(), QByteArray());
    QCOMPARE(filesUnder(m_root), QStringList());
    QCOMPARE(filesUnder(m_dir->path()), QStringList{QStringLiteral("victim")});
}

int main(int argc, char** argv)
{
    if (argc >= 2 && qstrcmp(argv[1], "--child-put") == 0)
        return childPut(argc, argv);
    QCoreApplication app(argc, argv);
    TestLocalProvider test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_localprovider.moc"
