// Watched folders (core/watch, docs/watch.md): what appears in a watched folder floats by itself
// once it has stopped growing, once; partial downloads never float; a model removed from the
// folder stays in the vault; the list is the vault's.
#include "engine/engineworker.h"
#include "registry/registry.h"
#include "registry/settingsrows.h"
#include "testsupport.h"
#include "testvault.h"
#include "vault/vault.h"
#include "watch/folderwatcher.h"
#include "watch/watchlist.h"
#include "watch/watchscan.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QTimer>
#include <QtTest>

using namespace mf;
using namespace mf::test;

namespace {

// Short, so the suite is quick; the rule (two looks this far apart) is the same as the app's.
constexpr int StableMs = 250;

// A watcher whose floats are only recorded, for the rules that need no transfer.
struct RecordingWatcher
{
    explicit RecordingWatcher(Vault* vault)
        : watcher(FolderWatcher::Hooks{[this](FloatRequest r) {
                                           requests.append(r);
                                           return qint64(requests.size());
                                       },
                                       [this] { return allowed; }})
    {
        watcher.setStableMs(StableMs);
        watcher.start(vault);
    }
    // Has the folders looked at `n` more times, each asked for at once.
    bool looks(int n)
    {
        QSignalSpy looked(&watcher, &FolderWatcher::looked);
        while (looked.size() < n) {
            watcher.lookSoon();
            if (!looked.wait(JobTimeoutMs))
                return false;
        }
        return true;
    }
    // Looks again and again for longer than a model takes to be stable, so that whatever it
    // would float it has queued by then.
    bool looksUntilStable()
    {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 2 * StableMs) {
            if (!looks(1))
                return false;
            QTest::qWait(StableMs / 5);
        }
        return looks(1);
    }
    FolderWatcher watcher;
    QList<FloatRequest> requests;
    bool allowed = true;
};

// Makes `folder` (empty) and puts it on the watch list of the vault `v`.
bool watchFolder(TestVault& v, const QString& folder)
{
    return v.ok() && QDir().mkpath(folder) &&
           watchlist::add(v.registry(), v.vault->directory(), folder).ok();
}

} // namespace

class TestWatch final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listRefusesAndPersists();
    void partialNamesAndGrouping();
    void growingFileWaits();
    void partialDownloadNeverFloats();
    void aModelDroppedWhileTheFolderIsFirstLookedAtFloats();
    void waitsWhileBackgroundWorkMayNot();
    void hubCacheModelsAreNamedByRepo();
    void floatsOnceKeepsRemovedAndVersionsChanged();
    void floatedBeforeIsKnownByItsBytes();
    void twoProcessesQueueAModelOnce();
    void queuedFloatsWaitWhileBackgroundWorkMayNot();
};

// The list lives in the vault: kept across a reopen; what cannot be watched is refused, saying
// why.
void TestWatch::listRefusesAndPersists()
{
    TestVault v;
    QVERIFY(v.ok());
    const QString models = v.path(QStringLiteral("models"));
    QVERIFY(QDir().mkpath(models));
    using R = watchlist::Change::Refused;
    QCOMPARE(
        watchlist::add(v.registry(), v.vault->directory(), v.path(QStringLiteral("nope"))).refused,
        R::Missing);
    QVERIFY(writeFile(v.path(QStringLiteral("file.gguf")), "x"));
    QCOMPARE(watchlist::add(v.registry(), v.vault->directory(), v.path(QStringLiteral("file.gguf")))
                 .refused,
             R::NotFolder);
    QCOMPARE(watchlist::add(v.registry(), v.vault->directory(), v.vault->directory()).refused,
             R::Vault);
    QCOMPARE(watchlist::add(v.registry(), v.vault->directory(), v.dir.path()).refused, R::Vault);
    const watchlist::Change added = watchlist::add(v.registry(), v.vault->directory(), models);
    QVERIFY2(added.ok(), qPrintable(added.error));
    QCOMPARE(
        watchlist::add(v.registry(), v.vault->directory(), models + QStringLiteral("/.")).refused,
        R::AlreadyWatched);

    const QString dir = v.vault->directory();
    v.vault.reset();
    QString error;
    v.vault = Vault::open(dir, Vault::OpenMode::Existing, &error);
    QVERIFY2(v.vault, qPrintable(error));
    QCOMPARE(watchlist::folders(v.registry()), QStringList{QFileInfo(models).canonicalFilePath()});
    QVERIFY(watchlist::remove(v.registry(), models).ok());
    QCOMPARE(watchlist::remove(v.registry(), models).refused, R::NotWatched);
    QVERIFY(watchlist::folders(v.registry()).isEmpty());
}

// A GGUF file is a model; a folder with safetensors is one model with every file in it.
void TestWatch::partialNamesAndGrouping()
{
    for (const char* name :
         {"a.gguf.part", "b.safetensors.incomplete", "c.crdownload", "d.tmp", "E.PART"})
        QVERIFY2(watchscan::isPartialName(QString::fromLatin1(name)), name);
    QVERIFY(!watchscan::isPartialName(QStringLiteral("model.gguf")));

    QTemporaryDir dir;
    QVERIFY(writeFile(dir.filePath(QStringLiteral("a.gguf")), "a"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("notes.txt")), "n"));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("org/repo"))));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("org/repo/b.Q4.gguf")), "b"));
    QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("st/sub"))));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("st/model.safetensors")), "s"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("st/config.json")), "{}"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("st/sub/tokenizer.json")), "{}"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("st/extra.gguf")), "e"));
    const watchscan::Result r = watchscan::scan(dir.path());
    QStringList units;
    for (const watchscan::Unit& u : r.units)
        units.append(QDir(dir.path()).relativeFilePath(u.path) +
                     (u.isFolder ? QStringLiteral("/") : QString()));
    units.sort();
    QCOMPARE(units, (QStringList{QStringLiteral("a.gguf"), QStringLiteral("org/repo/b.Q4.gguf"),
                                 QStringLiteral("st/")}));
    for (const watchscan::Unit& u : r.units)
        if (u.isFolder)
            QCOMPARE(u.signature.count(QLatin1Char('\n')), 3); // four files
}

// A file still being written is not floated; once it stops growing it is, once.
void TestWatch::growingFileWaits()
{
    TestVault v;
    const QString models = v.path(QStringLiteral("models"));
    QVERIFY(watchFolder(v, models));
    RecordingWatcher w(v.vault.get());
    QFile growing(models + QStringLiteral("/big.gguf"));
    QVERIFY(growing.open(QIODevice::WriteOnly));
    QTimer writer;
    connect(&writer, &QTimer::timeout, this, [&growing] {
        growing.write(QByteArray(4096, 'g'));
        growing.flush();
    });
    writer.start(20); // grows between any two looks
    QVERIFY(w.looks(5));
    QCOMPARE(w.requests.size(), 0);
    writer.stop();
    growing.close();
    QVERIFY(QTest::qWaitFor([&w] { return !w.requests.isEmpty(); }, JobTimeoutMs));
    QCOMPARE(w.requests.first().paths, QStringList{growing.fileName()});
    QCOMPARE(w.requests.first().modelName, QStringLiteral("big"));
    QVERIFY(w.looks(3));
    QCOMPARE(w.requests.size(), 1);
}

// A model that arrives while a look is under way, before the folder is given to the file-system
// watcher, makes no event; it must float anyway, without waiting for the periodic rescan (two
// minutes). This was `watch run` missing a model dropped just after it started.
void TestWatch::aModelDroppedWhileTheFolderIsFirstLookedAtFloats()
{
    TestVault v;
    const QString models = v.path(QStringLiteral("models"));
    QVERIFY(watchFolder(v, models));
    RecordingWatcher w(v.vault.get());
    w.watcher.setRescanMs(3'600'000); // not the rescan's doing
    QSignalSpy looked(&w.watcher, &FolderWatcher::looked);
    // The first look starts (its timer is due at once) and its scan of the empty folder ends on
    // the watcher's thread, while this thread, the watcher's, handles no event: the look's end,
    // where the folder is watched, is still to come when the model arrives.
    QCoreApplication::processEvents();
    QThread::msleep(300);
    QCOMPARE(looked.size(), 0);
    QVERIFY(writeFile(models + QStringLiteral("/late.gguf"), "late"));
    QVERIFY(QTest::qWaitFor([&w] { return !w.requests.isEmpty(); }, JobTimeoutMs));
    QCOMPARE(w.requests.first().modelName, QStringLiteral("late"));
}

// A download in progress is never floated half-way: not its partial file, and not a safetensors
// folder while one of its files is still partial. Once renamed into place, it floats.
void TestWatch::partialDownloadNeverFloats()
{
    TestVault v;
    const QString models = v.path(QStringLiteral("models"));
    QVERIFY(watchFolder(v, models));
    QVERIFY(QDir().mkpath(models + QStringLiteral("/repo")));
    QVERIFY(writeFile(models + QStringLiteral("/dl.gguf.part"), QByteArray(1000, 'p')));
    QVERIFY(writeFile(models + QStringLiteral("/repo/model-1.safetensors"), "one"));
    QVERIFY(writeFile(models + QStringLiteral("/repo/model-2.safetensors.incomplete"), "tw"));
    RecordingWatcher w(v.vault.get());
    QVERIFY(w.looks(4));
    QCOMPARE(w.requests.size(), 0);
    QVERIFY(QFile::rename(models + QStringLiteral("/dl.gguf.part"),
                          models + QStringLiteral("/dl.gguf")));
    QVERIFY(QFile::rename(models + QStringLiteral("/repo/model-2.safetensors.incomplete"),
                          models + QStringLiteral("/repo/model-2.safetensors")));
    QVERIFY(QTest::qWaitFor([&w] { return w.requests.size() == 2; }, JobTimeoutMs));
    QStringList names;
    for (const FloatRequest& r : std::as_const(w.requests))
        names.append(r.modelName);
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("dl"), QStringLiteral("repo")}));
}

// Like other background work, nothing is queued while it may not run (paused, battery,
// metered); it is once allowed.
void TestWatch::waitsWhileBackgroundWorkMayNot()
{
    TestVault v;
    const QString models = v.path(QStringLiteral("models"));
    QVERIFY(watchFolder(v, models));
    QVERIFY(writeFile(models + QStringLiteral("/m.gguf"), "m"));
    RecordingWatcher w(v.vault.get());
    w.allowed = false;
    QVERIFY(w.looks(4));
    QCOMPARE(w.requests.size(), 0);
    w.allowed = true;
    w.watcher.retryDeferred();
    QVERIFY(QTest::qWaitFor([&w] { return w.requests.size() == 1; }, JobTimeoutMs));
}

// A model in a Hugging Face cache floats as "org/name", not as its snapshot's commit.
void TestWatch::hubCacheModelsAreNamedByRepo()
{
    TestVault v;
    const QString hub = v.path(QStringLiteral("hub"));
    QVERIFY(watchFolder(v, hub));
    const QString snapshot = hub + QStringLiteral("/models--org--repo/snapshots/0123abcd");
    QVERIFY(QDir().mkpath(snapshot));
    QVERIFY(writeFile(snapshot + QStringLiteral("/model.safetensors"), "s"));
    QVERIFY(writeFile(snapshot + QStringLiteral("/config.json"), "{}"));
    const QString gguf = hub + QStringLiteral("/models--org--quant/snapshots/4567");
    QVERIFY(QDir().mkpath(gguf));
    QVERIFY(writeFile(gguf + QStringLiteral("/m.Q4_K_M.gguf"), "g"));
    RecordingWatcher w(v.vault.get());
    QVERIFY(QTest::qWaitFor([&w] { return w.requests.size() == 2; }, JobTimeoutMs));
    QStringList names;
    for (const FloatRequest& r : std::as_const(w.requests))
        names.append(r.modelName);
    names.sort();
    QCOMPARE(names,
             (QStringList{QStringLiteral("org/quant/m.Q4_K_M"), QStringLiteral("org/repo")}));
}

// Through the engine's real queue: floated once, a removed file stays in the vault, a changed
// file floats as "NAME (2)", and an unchanged one is not floated again after a restart.
void TestWatch::floatsOnceKeepsRemovedAndVersionsChanged()
{
    QTemporaryDir dir;
    const QString vaultDir = dir.filePath(QStringLiteral("vault"));
    const QString models = dir.filePath(QStringLiteral("models"));
    QVERIFY(QDir().mkpath(models));
    const QString file = models + QStringLiteral("/tiny.gguf");
    QVERIFY(writePseudoRandomFile(file, 200 * 1024, 1));

    auto runWorker = [&](auto&& body) {
        std::atomic<qint64> ids{0};
        EngineWorker worker(&ids);
        worker.folderWatcher()->setStableMs(StableMs);
        QSignalSpy opened(&worker, &EngineWorker::opened);
        worker.open(vaultDir);
        QVERIFY(opened.size() == 1 || opened.wait(JobTimeoutMs));
        QCOMPARE(opened.first().first().toString(), QString());
        body(worker);
        worker.shutdown();
    };
    auto waitForModel = [](EngineWorker& worker, const QString& name) {
        return QTest::qWaitFor(
            [&] {
                const auto m = worker.vault()->registry().modelRows().modelByName(name);
                return m && m->state == ModelRecord::State::Complete;
            },
            JobTimeoutMs);
    };
    runWorker([&](EngineWorker& worker) {
        QSignalSpy queued(worker.folderWatcher(), &FolderWatcher::floatQueued);
        worker.addWatchedFolder(models);
        QVERIFY(waitForModel(worker, QStringLiteral("tiny")));
        QSignalSpy looked(worker.folderWatcher(), &FolderWatcher::looked);
        worker.folderWatcher()->lookSoon();
        QVERIFY(looked.wait(JobTimeoutMs));
        QCOMPARE(queued.size(), 1);
    });
    runWorker([&](EngineWorker& worker) {
        // Unchanged across a restart: not floated again.
        QSignalSpy queued(worker.folderWatcher(), &FolderWatcher::floatQueued);
        QSignalSpy looked(worker.folderWatcher(), &FolderWatcher::looked);
        while (looked.size() < 3) {
            worker.folderWatcher()->lookSoon();
            QVERIFY(looked.wait(JobTimeoutMs));
        }
        QCOMPARE(queued.size(), 0);
        // Changed: a new version beside the first.
        QVERIFY(writePseudoRandomFile(file, 300 * 1024, 2));
        QVERIFY(waitForModel(worker, QStringLiteral("tiny (2)")));
        QCOMPARE(queued.size(), 1);
        QVERIFY(worker.vault()->registry().modelRows().modelByName(QStringLiteral("tiny")));
        // Removed from the folder: both stay.
        QVERIFY(QFile::remove(file));
        const int before = int(looked.size());
        worker.folderWatcher()->lookSoon();
        QVERIFY(QTest::qWaitFor([&] { return looked.size() > before; }, JobTimeoutMs));
        QVERIFY(worker.vault()->registry().modelRows().modelByName(QStringLiteral("tiny")));
        QVERIFY(worker.vault()->registry().modelRows().modelByName(QStringLiteral("tiny (2)")));
        QCOMPARE(queued.size(), 1);
    });
}

// A model floated by hand before its folder was watched is known by its bytes (same name, files
// and sizes, then SHA-256) and not floated again; the same file changed without changing size is
// told apart by its bytes too, and floats as a new version.
void TestWatch::floatedBeforeIsKnownByItsBytes()
{
    QTemporaryDir dir;
    const QString models = dir.filePath(QStringLiteral("models"));
    QVERIFY(QDir().mkpath(models));
    const QString file = models + QStringLiteral("/byhand.gguf");
    QVERIFY(writePseudoRandomFile(file, 100 * 1024, 7));
    std::atomic<qint64> ids{0};
    EngineWorker worker(&ids);
    worker.folderWatcher()->setStableMs(StableMs);
    QSignalSpy opened(&worker, &EngineWorker::opened);
    worker.open(dir.filePath(QStringLiteral("vault")));
    QVERIFY(opened.size() == 1 || opened.wait(JobTimeoutMs));
    ModelRows& vaultModels = worker.vault()->registry().modelRows();
    auto complete = [&](const QString& name) {
        return QTest::qWaitFor(
            [&] {
                const auto m = vaultModels.modelByName(name);
                return m && m->state == ModelRecord::State::Complete;
            },
            JobTimeoutMs);
    };
    FloatRequest byHand;
    byHand.paths = {file};
    byHand.modelName = QStringLiteral("byhand");
    worker.add(++ids, byHand);
    QVERIFY(complete(QStringLiteral("byhand")));

    QSignalSpy queued(worker.folderWatcher(), &FolderWatcher::floatQueued);
    worker.addWatchedFolder(models);
    // Known once the watcher keeps it as floated.
    QVERIFY(QTest::qWaitFor(
        [&] {
            return worker.vault()
                ->registry()
                .settings()
                .setting(QStringLiteral("watched_floats"))
                .contains(QStringLiteral("byhand"));
        },
        JobTimeoutMs));
    QCOMPARE(queued.size(), 0);

    // Other bytes, the same size.
    QVERIFY(writePseudoRandomFile(file, 100 * 1024, 8));
    QVERIFY(complete(QStringLiteral("byhand (2)")));
    QCOMPARE(queued.size(), 1);
    worker.shutdown();
}

// The app and `watch run` on one vault (two processes, each with its own connection): a model
// the one queued, whose float has not started yet (no model row), is not queued by the other,
// and neither forgets what the other recorded when it records its own.
void TestWatch::twoProcessesQueueAModelOnce()
{
    TestVault v;
    const QString models = v.path(QStringLiteral("models"));
    QVERIFY(watchFolder(v, models));
    QVERIFY(QDir().mkpath(models + QStringLiteral("/second")));
    QVERIFY(writeFile(models + QStringLiteral("/first.gguf"), "first"));
    std::unique_ptr<Vault> other =
        Vault::open(v.vault->directory(), Vault::OpenMode::Existing, nullptr);
    QVERIFY(other);

    // Both look before either has floated anything; whichever finds the model stable first
    // (the test does not decide which: on a busy machine the second may) queues it, the other
    // does not.
    RecordingWatcher app(v.vault.get());
    RecordingWatcher cli(other.get());
    const auto queued = [&] { return app.requests.size() + cli.requests.size(); };
    QVERIFY(app.looks(1) && cli.looks(1));
    QVERIFY(app.looksUntilStable() && cli.looksUntilStable());
    QCOMPARE(queued(), 1);
    QVERIFY(app.looksUntilStable() && cli.looksUntilStable());
    QCOMPARE(queued(), 1);

    // A second model: queued once too, and a third watcher (a later run) knows both, so
    // neither writes over what the other recorded.
    QVERIFY(writeFile(models + QStringLiteral("/second/weights.safetensors"), "second"));
    QVERIFY(cli.looksUntilStable() && app.looksUntilStable());
    QCOMPARE(queued(), 2);
    QVERIFY(cli.looksUntilStable() && app.looksUntilStable());
    QCOMPARE(queued(), 2);
    QStringList names;
    for (const RecordingWatcher* w : {&app, &cli})
        for (const FloatRequest& r : w->requests)
            names.append(r.modelName);
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("first"), QStringLiteral("second")}));
    RecordingWatcher later(v.vault.get());
    QVERIFY(later.looksUntilStable());
    QCOMPARE(later.requests.size(), 0);
}

// A watched float already running when background work may no longer run (sync paused here; on
// battery and on a metered network take the same path) stops and waits, queued, saying why,
// and goes on by itself to the end once it may; a float the user started is left alone.
void TestWatch::queuedFloatsWaitWhileBackgroundWorkMayNot()
{
    TestVault v;
    const QString models = v.path(QStringLiteral("models"));
    QVERIFY(watchFolder(v, models));
    v.vault->setDefaultChunker(SmallChunks);
    const QString vaultDir = v.vault->directory();
    QVERIFY(writePseudoRandomFile(models + QStringLiteral("/watched.gguf"), 6 * MiB, 3));
    const QString own = v.path(QStringLiteral("own.gguf"));
    QVERIFY(writePseudoRandomFile(own, 6 * MiB, 4));
    v.vault.reset();

    std::atomic<qint64> ids{0};
    EngineWorker worker(&ids);
    worker.folderWatcher()->setStableMs(StableMs);
    worker.setBandwidthLimits(1 * MiB, 0); // slow enough to be caught running
    QHash<qint64, TransferInfo> last;
    connect(&worker, &EngineWorker::transferUpdated, this,
            [&last](const TransferInfo& info, bool) { last.insert(info.id, info); });
    QSignalSpy opened(&worker, &EngineWorker::opened);
    worker.open(vaultDir);
    QVERIFY(opened.size() == 1 || opened.wait(JobTimeoutMs));
    QSignalSpy queued(worker.folderWatcher(), &FolderWatcher::floatQueued);
    QVERIFY(queued.wait(JobTimeoutMs));
    const qint64 watched = queued.first().at(2).toLongLong();
    FloatRequest request;
    request.paths = {own};
    request.modelName = QStringLiteral("own");
    const qint64 mine = ++ids;
    worker.add(mine, request);
    const auto is = [&last](qint64 id, TransferInfo::State state) {
        return last.value(id).state == state;
    };
    QVERIFY(QTest::qWaitFor(
        [&] {
            return is(watched, TransferInfo::State::Running) && last.value(watched).doneBytes > 0;
        },
        JobTimeoutMs));

    worker.setSyncPaused(true);
    QVERIFY(
        QTest::qWaitFor([&] { return is(watched, TransferInfo::State::Queued); }, JobTimeoutMs));
    QVERIFY2(last.value(watched).stage.contains(QStringLiteral("paused")),
             qPrintable(last.value(watched).stage));
    // It stays waiting while the user's float goes on to its end.
    QVERIFY(QTest::qWaitFor([&] { return is(mine, TransferInfo::State::Done); }, JobTimeoutMs));
    QVERIFY(is(watched, TransferInfo::State::Queued));

    worker.setSyncPaused(false);
    QVERIFY(QTest::qWaitFor([&] { return is(watched, TransferInfo::State::Done); }, JobTimeoutMs));
    worker.shutdown();
}

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
