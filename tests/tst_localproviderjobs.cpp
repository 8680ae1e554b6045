// LocalProvider's jobs as ProviderJob promises them: finished() never from inside start(),
// abort before, during and after the work, a second start() that does nothing, a job or the
// provider destroyed mid-transfer; and the provider probe and the factory over local folders.

#include "localprovidertestsupport.h"

#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestLocalProviderJobs final : public LocalProviderTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void init() { LocalProviderTestBase::init(); }
    void cleanup() { LocalProviderTestBase::cleanup(); }
    void finishedIsNeverSynchronous();
    void abortDuringGet();
    void abortBeforeStartAndAfterFinish();
    void startingTwiceRunsOnce();
    void destroyingAJobMidTransfer();
    void destroyingTheProviderMidTransfer();
    void probeSucceeds();
    void probeNamesTheFailingStep();
    void factory();
};

void TestLocalProviderJobs::finishedIsNeverSynchronous()
{
    // Every kind of job, on success and on the fastest failure paths; RUN_JOB checks the count
    // right after start().
    const QByteArray data("tiny");
    const QString id = cid::ofData(data);
    BufferSink sink;
    std::vector<std::unique_ptr<ProviderJob>> jobs;
    jobs.emplace_back(m_p->put(id, bufferOf(data), data.size()));
    jobs.emplace_back(m_p->put(id, bufferOf(data), data.size())); // already there
    jobs.emplace_back(m_p->get(id, &sink));
    jobs.emplace_back(m_p->get(QStringLiteral("bad"), &sink));
    jobs.emplace_back(m_p->stat(id));
    jobs.emplace_back(m_p->list());
    jobs.emplace_back(m_p->usage());
    jobs.emplace_back(m_p->remove(id));
    jobs.emplace_back(m_p->remove(QStringLiteral("bad")));
    for (auto& j : jobs) {
        RUN_JOB(j.get());
        // abort() after the end changes nothing and emits nothing more.
        const Error before = j->error();
        QSignalSpy again(j.get(), &ProviderJob::finished);
        j->abort();
        j->abort();
        QCoreApplication::processEvents();
        QCOMPARE(again.count(), 0);
        QCOMPARE(j->error().kind, before.kind);
    }
    QCOMPARE(sink.bytes(), data);
}

void TestLocalProviderJobs::abortDuringGet()
{
    const QByteArray data = test::pseudoRandomBytes(8 * MiB, 14);
    const QString id = store(*m_p, data);
    GateSink sink;
    std::unique_ptr<ProviderJob> job(m_p->get(id, &sink));
    QSignalSpy finished(job.get(), &ProviderJob::finished);
    job->start();
    QCOMPARE(finished.count(), 0);
    QVERIFY(sink.entered.tryAcquire(1, Timeout)); // the worker is inside its first write
    job->abort();
    QCOMPARE(finished.count(), 0);
    job->abort(); // twice is safe
    QCOMPARE(finished.count(), 0);
    sink.gate.release();
    QVERIFY(finished.wait(Timeout));
    QCoreApplication::processEvents();
    QCOMPARE(finished.count(), 1);
    QCOMPARE(job->error().kind, Error::Kind::Cancelled);
    QVERIFY(sink.bytes() < data.size()); // it stopped early
    job->abort();
    QTest::qWait(20);
    QCOMPARE(finished.count(), 1);
}

void TestLocalProviderJobs::abortBeforeStartAndAfterFinish()
{
    const QByteArray data = test::pseudoRandomBytes(1000, 15);
    const QString id = cid::ofData(data);
    std::unique_ptr<ProviderJob> job(m_p->put(id, bufferOf(data), data.size()));
    job->abort();
    QSignalSpy finished(job.get(), &ProviderJob::finished);
    job->start();
    QCOMPARE(finished.count(), 0);
    QVERIFY(finished.wait(Timeout));
    QCoreApplication::processEvents();
    QCOMPARE(finished.count(), 1);
    QCOMPARE(job->error().kind, Error::Kind::Cancelled);
    QVERIFY(!QFileInfo::exists(LocalProvider::objectPath(m_root, id))); // never ran
}

void TestLocalProviderJobs::startingTwiceRunsOnce()
{
    const QByteArray data = test::pseudoRandomBytes(3 * MiB, 16);
    const QString id = cid::ofData(data);
    std::unique_ptr<ProviderJob> job(m_p->put(id, bufferOf(data), data.size()));
    QSignalSpy finished(job.get(), &ProviderJob::finished);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("started twice")));
    job->start();
    job->start();
    QVERIFY(finished.wait(Timeout));
    QTest::qWait(50);
    QCOMPARE(finished.count(), 1);
    QVERIFY2(job->error().ok(), qPrintable(job->error().message));
    QVERIFY(fetch(*m_p, id) == data);
}

void TestLocalProviderJobs::destroyingAJobMidTransfer()
{
    // A put: the worker is reading a slow source when the job goes.
    const QString id = cid::ofData(QByteArray("slow"));
    auto source = std::make_unique<ScriptedSource>(256 * MiB, ScriptedSource::Ending::Eof, 2);
    ScriptedSource* raw = source.get();
    std::unique_ptr<ProviderJob> put(m_p->put(id, std::move(source), 256 * MiB));
    put->start();
    QTRY_VERIFY_WITH_TIMEOUT(raw->delivered.load() >= 2 * MiB, Timeout);
    put.reset(); // must wait for (and stop) the worker; the source dies with the job
    QVERIFY(!QFileInfo::exists(LocalProvider::objectPath(m_root, id)));
    QTRY_COMPARE_WITH_TIMEOUT(filesUnder(m_root), QStringList(), Timeout);

    // A get: the sink is destroyed right after the job; a worker still writing to it would be
    // a use after free (the sanitizer build catches it).
    const QByteArray data = test::pseudoRandomBytes(32 * MiB, 17);
    const QString big = store(*m_p, data);
    auto sink = std::make_unique<SlowSink>();
    std::unique_ptr<ProviderJob> get(m_p->get(big, sink.get()));
    QSignalSpy progress(get.get(), &ProviderJob::progress);
    get->start();
    QTRY_VERIFY_WITH_TIMEOUT(sink->m_writes.load() >= 2, Timeout);
    get.reset();
    const qint64 written = sink->m_bytes.load();
    QVERIFY(written < data.size());
    sink.reset();
    QTest::qWait(50); // queued progress signals of the dead job must go nowhere
    QVERIFY(fetch(*m_p, big) == data);
}

void TestLocalProviderJobs::destroyingTheProviderMidTransfer()
{
    // The provider goes while its jobs run (the application quits mid-float). It must stop the
    // work rather than finish it, and leave no object or temporary behind.
    const QString id = cid::ofData(QByteArray("abandoned"));
    auto p = makeProvider();
    auto source = std::make_unique<ScriptedSource>(256 * MiB, ScriptedSource::Ending::Eof, 2);
    ScriptedSource* raw = source.get();
    QPointer<ProviderJob> put(p->put(id, std::move(source), 256 * MiB)); // a child of p
    put->start();
    QTRY_VERIFY_WITH_TIMEOUT(raw->delivered.load() >= MiB, Timeout);
    p.reset();
    QVERIFY(put.isNull());
    QVERIFY(!QFileInfo::exists(LocalProvider::objectPath(m_root, id)));
    QCOMPARE(filesUnder(m_root), QStringList());
}

void TestLocalProviderJobs::probeSucceeds()
{
    ProviderProbe probe(m_p.get());
    QSignalSpy finished(&probe, &ProviderProbe::finished);
    probe.start();
    QCOMPARE(finished.count(), 0);
    QVERIFY(finished.wait(Timeout));
    QCoreApplication::processEvents();
    QCOMPARE(finished.count(), 1);
    QVERIFY2(probe.error().ok(), qPrintable(probe.error().message));
    QCOMPARE(probe.usedBytes(), qint64(0)); // its test object is gone again
    QVERIFY(probe.availableBytes() > 0);
    QVERIFY(probe.roundTripMs() >= 0);
    QCOMPARE(filesUnder(m_root), QStringList());
}

void TestLocalProviderJobs::probeNamesTheFailingStep()
{
    QVERIFY(QDir(m_root).removeRecursively());
    ProviderProbe probe(m_p.get());
    QSignalSpy finished(&probe, &ProviderProbe::finished);
    probe.start();
    QVERIFY(finished.wait(Timeout));
    QCoreApplication::processEvents();
    QCOMPARE(finished.count(), 1);
    QCOMPARE(probe.error().kind, Error::Kind::Fatal);
    QVERIFY2(probe.error().message.startsWith(QLatin1String("Writing a test object failed")),
             qPrintable(probe.error().message));
    QVERIFY2(probe.error().message.contains(m_root), qPrintable(probe.error().message));
    QVERIFY(!QFileInfo::exists(m_root));

    // A probe destroyed mid-way is quiet and safe.
    QVERIFY(QDir().mkpath(m_root));
    auto early = std::make_unique<ProviderProbe>(m_p.get());
    QSignalSpy earlyFinished(early.get(), &ProviderProbe::finished);
    early->start();
    early.reset();
    QTest::qWait(50);
}

void TestLocalProviderJobs::factory()
{
    ProviderFactory factory;
    QVERIFY(factory.kinds().contains(QStringLiteral("local")));
    ProviderRecord r;
    r.kind = QStringLiteral("local");
    r.name = QStringLiteral("attic");
    r.settings.insert(QStringLiteral("path"), m_root);
    r.quotaBytes = 5 * MiB;
    QString error;
    std::unique_ptr<Provider> p = factory.create(r, {}, &error);
    QVERIFY2(p, qPrintable(error));
    QCOMPARE(p->kind(), QStringLiteral("local"));
    QCOMPARE(p->displayName(), QStringLiteral("attic"));
    auto* local = qobject_cast<LocalProvider*>(p.get());
    QVERIFY(local);
    QCOMPARE(local->rootPath(), QDir::cleanPath(m_root));
    std::unique_ptr<ProviderJob> usage(p->usage());
    RUN_JOB(usage.get());
    QCOMPARE(usage->usage().quotaBytes, 5 * MiB); // the record's quota reached the provider
    // It works: a round trip through the made provider.
    const QByteArray data = test::pseudoRandomBytes(4000, 18);
    QCOMPARE(store(*local, data), cid::ofData(data));

    ProviderRecord unknown;
    unknown.kind = QStringLiteral("carrier-pigeon");
    unknown.name = QStringLiteral("coop");
    error.clear();
    QVERIFY(!factory.create(unknown, {}, &error));
    QVERIFY2(error.contains(QLatin1String("carrier-pigeon")), qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("coop")), qPrintable(error));

    ProviderRecord noPath;
    noPath.kind = QStringLiteral("local");
    noPath.name = QStringLiteral("nowhere");
    error.clear();
    QVERIFY(!factory.create(noPath, {}, &error));
    QVERIFY2(error.contains(QLatin1String("nowhere")), qPrintable(error));

    // Kinds registered later are made the same way.
    ProviderKind mirrorKind;
    mirrorKind.id = QStringLiteral("mirror");
    mirrorKind.displayName = QStringLiteral("Mirror");
    factory.registerKind(
        mirrorKind, [this](const ProviderRecord& rec, const ProviderContext&, QString*) {
            return std::unique_ptr<Provider>(new LocalProvider(rec.name, m_root, {}));
        });
    QVERIFY(factory.kinds().contains(QStringLiteral("mirror")));
    QCOMPARE(factory.kind(QStringLiteral("mirror"))->displayName, QStringLiteral("Mirror"));
    QVERIFY(factory.kind(QStringLiteral("local"))->field(QStringLiteral("path")));
    QVERIFY(!factory.kind(QStringLiteral("nope")));
    ProviderRecord mirror;
    mirror.kind = QStringLiteral("mirror");
    mirror.name = QStringLiteral("m");
    QVERIFY(factory.create(mirror, {}, &error));
}

QTEST_GUILESS_MAIN(TestLocalProviderJobs)
#include "tst_localproviderjobs.moc"
