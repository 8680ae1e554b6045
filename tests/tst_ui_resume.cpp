// Floats that stop before the end, as a daily user meets them in the app: a pause keeps the
// progress it made, a cancelled float's model can be resumed (bit-exact) or discarded, dropping
// the same file again offers to resume it, and quitting while it runs asks first.
#include "engine/engine.h"
#include "enginetestsupport.h"
#include "mainwindow.h"
#include "mainwindowfixture.h"
#include "modelbrowser.h"
#include "modeldetails.h"
#include "modellistmodel.h"
#include "sync/catalogcollectjob.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfersmodel.h"
#include "vaultreader.h"

#include <QAbstractButton>
#include <QAction>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

using State = TransferInfo::State;

// Slow enough that a float of a few MiB is still running when the test stops it (the rate is
// a means to an end here; nothing is asserted on time).
constexpr qint64 SlowUploadBytesPerSecond = 2 * MiB;
constexpr qint64 FileBytes = 12 * qint64(MiB);

// Discard frees the chunks at once (the grace period is tst_catalogcollect's).
void collectAtOnce(TestVault& tv)
{
    tv.registry().settings().setSetting(CatalogCollectJob::GraceSetting, QStringLiteral("0"));
}

std::optional<TransferInfo> transferIn(const Engine& engine, qint64 id)
{
    for (const TransferInfo& t : engine.transfers())
        if (t.id == id)
            return t;
    return std::nullopt;
}

bool waitForState(const Engine& engine, qint64 id, State state)
{
    return QTest::qWaitFor(
        [&] {
            const auto t = transferIn(engine, id);
            return t && t->state == state;
        },
        JobTimeoutMs);
}

// Waits until the running float `id` has placed some of its bytes.
bool waitForSomeProgress(const Engine& engine, qint64 id)
{
    return QTest::qWaitFor(
        [&] {
            const auto t = transferIn(engine, id);
            return t && t->state == State::Running && t->doneBytes >= qint64(MiB);
        },
        JobTimeoutMs);
}

QAbstractButton* buttonOfRole(QMessageBox* box, QMessageBox::ButtonRole role)
{
    for (QAbstractButton* b : box->buttons())
        if (box->buttonRole(b) == role)
            return b;
    return nullptr;
}

} // namespace

class TestUiResume : public QObject, MainWindowFixture
{
    Q_OBJECT

    bool openWindow()
    {
        Options options;
        options.prepareVault = collectAtOnce;
        return MainWindowFixture::openWindow(options);
    }

    // Starts a float of a new file `fileName` as `name` under the slow upload limit and waits
    // until it has placed some bytes.
    qint64 startSlowFloat(const QString& fileName, const QString& name, quint64 seed)
    {
        const QString file = m_tv->path(fileName);
        if (!writePseudoRandomFile(file, FileBytes, seed))
            return 0;
        m_engine->setBandwidthLimits(SlowUploadBytesPerSecond, 0);
        FloatRequest r;
        r.paths = {file};
        r.modelName = name;
        const qint64 id = m_engine->floatFiles(r);
        return waitForSomeProgress(*m_engine, id) ? id : 0;
    }

    // Starts a slow float and cancels it: the model it leaves is incomplete.
    qint64 cancelledFloat(const QString& fileName, const QString& name, quint64 seed)
    {
        const qint64 id = startSlowFloat(fileName, name, seed);
        if (!id)
            return 0;
        m_engine->cancel(id);
        if (!waitForState(*m_engine, id, State::Cancelled))
            return 0;
        const auto model = m_window->reader()->registry().modelRows().modelByName(name);
        return model && model->state == ModelRecord::State::Incomplete ? model->id : 0;
    }

    bool waitForCompleteModel(const QString& name)
    {
        return QTest::qWaitFor(
            [&] {
                const auto m = m_window->reader()->registry().modelRows().modelByName(name);
                return m && m->state == ModelRecord::State::Complete;
            },
            JobTimeoutMs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_resume"));
    }
    void init() { QSettings().clear(); }
    void cleanup() { closeWindow(); }

    // Defect: pausing showed "0 B of …" and the resumed float started again from 0 %, although
    // it went on from the chunks it had stored. The bar stays at what is done, also across a
    // restart of the app.
    void pauseThenResumeKeepsTheBarAtTheDoneBytes()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        collectAtOnce(tv);
        const QString dir = prepareVault(tv);
        const QString file = tv.path(QStringLiteral("paused.bin"));
        QVERIFY(writePseudoRandomFile(file, FileBytes, 5));
        qint64 doneAtPause = 0;
        {
            Engine engine;
            TransfersModel model(&engine);
            QVERIFY(openEngine(engine, dir));
            engine.setBandwidthLimits(SlowUploadBytesPerSecond, 0);
            FloatRequest r;
            r.paths = {file};
            r.modelName = QStringLiteral("Paused");
            const qint64 id = engine.floatFiles(r);
            QVERIFY(waitForSomeProgress(engine, id));
            const qint64 seenRunning = transferIn(engine, id)->doneBytes;

            engine.pause(id);
            QVERIFY(waitForState(engine, id, State::Paused));
            QTRY_COMPARE(model.transfer(model.rowOf(id))->state, State::Paused);
            doneAtPause = model.transfer(model.rowOf(id))->doneBytes;
            QVERIFY2(doneAtPause >= seenRunning,
                     qPrintable(QStringLiteral("paused at %1 bytes after %2 were done")
                                    .arg(doneAtPause)
                                    .arg(seenRunning)));
            const QModelIndex progress =
                model.index(model.rowOf(id), TransfersModel::ProgressColumn);
            QVERIFY(progress.data(TransfersModel::PermilleRole).toInt() > 0);
            QVERIFY2(!progress.data().toString().startsWith(QStringLiteral("0 B")),
                     qPrintable(progress.data().toString()));

            // Resumed, it never shows less than what was done (the new run first finds the
            // chunks it stored again).
            qint64 lowestWhileRunning = -1;
            connect(&engine, &Engine::transferChanged, this, [&](const TransferInfo& t) {
                if (t.id == id && t.state == State::Running &&
                    (lowestWhileRunning < 0 || t.doneBytes < lowestWhileRunning))
                    lowestWhileRunning = t.doneBytes;
            });
            engine.resume(id);
            QVERIFY(QTest::qWaitFor([&] { return lowestWhileRunning >= 0; }, JobTimeoutMs));
            QVERIFY2(lowestWhileRunning >= doneAtPause,
                     qPrintable(QStringLiteral("resumed at %1 bytes after %2 were done")
                                    .arg(lowestWhileRunning)
                                    .arg(doneAtPause)));
            // The app quits while it runs (the Engine goes).
        }
        // The next start shows the float where it stopped, and goes on from there.
        Engine engine;
        TransfersModel model(&engine);
        qint64 firstShown = -1;
        qint64 lowestWhileRunning = -1;
        connect(&engine, &Engine::transferAdded, this, [&](const TransferInfo& t) {
            if (firstShown < 0)
                firstShown = t.doneBytes;
        });
        connect(&engine, &Engine::transferChanged, this, [&](const TransferInfo& t) {
            if (t.state == State::Running &&
                (lowestWhileRunning < 0 || t.doneBytes < lowestWhileRunning))
                lowestWhileRunning = t.doneBytes;
        });
        QVERIFY(openEngine(engine, dir));
        QTRY_COMPARE(model.rowCount(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(model.transfer(0)->state, State::Done, JobTimeoutMs);
        QVERIFY2(firstShown >= doneAtPause,
                 qPrintable(QStringLiteral("shown at %1 bytes after a restart, %2 were done")
                                .arg(firstShown)
                                .arg(doneAtPause)));
        QVERIFY(lowestWhileRunning >= firstShown);
        QCOMPARE(model.transfer(0)->doneBytes, FileBytes);
    }

    // Defect: a cancelled float left an incomplete model the app could not resume. The browser
    // offers Resume and Discard for it (menu and details pane); Resume finishes it bit-exact.
    void cancelledFloatShowsResumeAndDiscardAndResumeCompletesIt()
    {
        QVERIFY(openWindow());
        const QString name = QStringLiteral("Stopped");
        const qint64 modelId = cancelledFloat(QStringLiteral("stopped.bin"), name, 11);
        QVERIFY(modelId);
        ModelBrowser* browser = m_window->browser();
        QTRY_VERIFY_WITH_TIMEOUT(browser->model()->rowOf(modelId) >= 0, JobTimeoutMs);
        browser->selectModel(modelId);
        QTRY_VERIFY(browser->resumeAction()->isEnabled());
        QVERIFY(browser->discardAction()->isEnabled());
        QTRY_VERIFY(browser->details()->incompleteBar()->isVisibleTo(m_window.get()));
        // Its chunks not stored yet are not "lost": they come with Resume.
        const QString summary = browser->details()->summaryText();
        QVERIFY2(summary.contains(QLatin1String("not stored yet")), qPrintable(summary));
        QVERIFY2(!summary.contains(QLatin1String("no good copy")), qPrintable(summary));

        m_engine->setBandwidthLimits(0, 0);
        browser->resumeAction()->trigger();
        QVERIFY(waitForCompleteModel(name));
        // Nothing is left to resume or discard.
        QTRY_VERIFY_WITH_TIMEOUT(!browser->details()->incompleteBar()->isVisibleTo(m_window.get()),
                                 JobTimeoutMs);
        // The menu follows the row, which is loaded again off the GUI thread: a moment later on
        // a busy machine.
        QTRY_VERIFY_WITH_TIMEOUT(!browser->resumeAction()->isEnabled(), JobTimeoutMs);

        const QString out = m_tv->path(QStringLiteral("out"));
        QVERIFY(QDir().mkpath(out));
        const qint64 restore = m_engine->restoreModel(modelId, out);
        QVERIFY(waitForState(*m_engine, restore, State::Done));
        QCOMPARE(opensslSha256Hex(m_tv->path(QStringLiteral("out/stopped.bin"))),
                 opensslSha256Hex(m_tv->path(QStringLiteral("stopped.bin"))));
    }

    // Discard removes the unfinished model and the chunks only it used, as Remove does.
    void discardRemovesTheUnfinishedModelAndItsChunks()
    {
        QVERIFY(openWindow());
        const QString name = QStringLiteral("Unwanted");
        const qint64 modelId = cancelledFloat(QStringLiteral("unwanted.bin"), name, 12);
        QVERIFY(modelId);
        Registry& registry = m_window->reader()->registry();
        QSet<QString> cids;
        for (const FileRecord& f : registry.modelRows().files(modelId))
            for (const FileChunk& c : registry.modelRows().fileChunks(f.id))
                cids.insert(c.cid);
        QVERIFY(!cids.isEmpty());
        // The vault is the Engine's now: the providers' folders are read through the window.
        QStringList objects;
        for (const ProviderRecord& p : registry.providerRows().providers())
            for (const QString& cid : std::as_const(cids))
                objects.append(LocalProvider::objectPath(
                    p.settings.value(QStringLiteral("path")).toString(), cid));
        int stored = 0;
        for (const QString& o : std::as_const(objects))
            stored += QFile::exists(o) ? 1 : 0;
        QVERIFY(stored > 0);

        ModelBrowser* browser = m_window->browser();
        QTRY_VERIFY_WITH_TIMEOUT(browser->model()->rowOf(modelId) >= 0, JobTimeoutMs);
        browser->selectModel(modelId);
        QTRY_VERIFY(browser->discardAction()->isEnabled());
        browser->discardAction()->trigger();
        QMessageBox* question = browser->pendingQuestion();
        QVERIFY(question);
        QVERIFY(question->text().contains(name));
        QAbstractButton* discard = buttonOfRole(question, QMessageBox::DestructiveRole);
        QVERIFY(discard);
        discard->click();
        QTRY_VERIFY_WITH_TIMEOUT(!registry.modelRows().modelByName(name), JobTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(std::none_of(objects.cbegin(), objects.cend(),
                                              [](const QString& o) { return QFile::exists(o); }),
                                 JobTimeoutMs);
    }

    // Defect: floating the same file again was refused because the name was taken. Dropping
    // it again (the same path, or a file of the same name and size elsewhere) offers to
    // resume, and Resume finishes the model.
    void droppingTheSameFileAgainOffersResume()
    {
        QVERIFY(openWindow());
        const QString name = QStringLiteral("again");
        QVERIFY(cancelledFloat(QStringLiteral("again.bin"), name, 13));
        const QString file = m_tv->path(QStringLiteral("again.bin"));

        m_window->floatPaths({file});
        QMessageBox* offer = m_window->resumeOffer();
        QVERIFY2(offer, "dropping the same file again does not offer to resume");
        QVERIFY(!m_window->floatDialog());
        QVERIFY(offer->text().contains(name));
        offer->button(QMessageBox::Cancel)->click();
        QTRY_VERIFY(!m_window->resumeOffer());

        // A copy elsewhere, same name and size: the same model to finish.
        QVERIFY(QDir().mkpath(m_tv->path(QStringLiteral("elsewhere"))));
        const QString copy = m_tv->path(QStringLiteral("elsewhere/again.bin"));
        QVERIFY(QFile::copy(file, copy));
        m_engine->setBandwidthLimits(0, 0);
        m_window->floatPaths({copy});
        offer = m_window->resumeOffer();
        QVERIFY(offer);
        QAbstractButton* resume = buttonOfRole(offer, QMessageBox::AcceptRole);
        QVERIFY(resume);
        resume->click();
        QVERIFY(waitForCompleteModel(name));
        const auto model = m_window->reader()->registry().modelRows().modelByName(name);
        const QList<FileRecord> files = m_window->reader()->registry().modelRows().files(model->id);
        QCOMPARE(files.size(), 1);
        QCOMPARE(files.first().sha256, opensslSha256Hex(file));
    }

    // Defect: Quit during a float exited without asking. It asks, and quits only when the
    // user says so.
    void quitWithARunningFloatAsksFirst()
    {
        QVERIFY(openWindow());
        const qint64 id = startSlowFloat(QStringLiteral("running.bin"), QStringLiteral("Run"), 14);
        QVERIFY(id);
        QTRY_VERIFY(m_engine->isBusy());
        QSignalSpy quit(m_window.get(), &MainWindow::quitRequested);

        m_window->quitAction()->trigger();
        QCOMPARE(quit.size(), 0);
        QMessageBox* question = m_window->quitQuestion();
        QVERIFY2(question, "quitting while a float runs does not ask");
        QVERIFY(question->isVisible());
        QVERIFY(question->informativeText().contains(QStringLiteral("resume")));
        buttonOfRole(question, QMessageBox::RejectRole)->click();
        QTRY_VERIFY(!m_window->quitQuestion());
        QCOMPARE(quit.size(), 0);

        m_window->quitAction()->trigger();
        question = m_window->quitQuestion();
        QVERIFY(question);
        buttonOfRole(question, QMessageBox::AcceptRole)->click();
        QCOMPARE(quit.size(), 1);

        // Nothing running: Quit quits at once.
        m_engine->cancel(id);
        QVERIFY(waitForState(*m_engine, id, State::Cancelled));
        QTRY_VERIFY(!m_engine->isBusy());
        m_window->quitAction()->trigger();
        QCOMPARE(quit.size(), 2);
        QVERIFY(!m_window->quitQuestion());
    }

    // Seen: the status bar said "2 models" while the list showed 3 rows, the third a float
    // still running. Once the list shows the new model, the count says it too.
    void theStatusBarCountsWhatTheListShows()
    {
        QVERIFY(openWindow());
        QTableView* view = m_window->browser()->view();
        QCOMPARE(view->model()->rowCount(), 0);
        const QLabel* stats = nullptr;
        for (const QLabel* label : m_window->statusBar()->findChildren<QLabel*>())
            if (label->text().contains(QStringLiteral(" in files")))
                stats = label;
        QVERIFY(stats);
        QVERIFY2(stats->text().startsWith(QStringLiteral("0 models")), qPrintable(stats->text()));

        // Slow enough to be running still when the check is made (the end of a float tells the
        // count anyway).
        const QString file = m_tv->path(QStringLiteral("counted.bin"));
        QVERIFY(writePseudoRandomFile(file, FileBytes, 21));
        m_engine->setBandwidthLimits(256 * KiB, 0);
        FloatRequest r;
        r.paths = {file};
        r.modelName = QStringLiteral("Counted");
        const qint64 id = m_engine->floatFiles(r);
        QVERIFY(QTest::qWaitFor([&] { return view->model()->rowCount() == 1; }, JobTimeoutMs));
        QTRY_VERIFY2(stats->text().startsWith(QStringLiteral("1 model ")),
                     qPrintable(stats->text()));
        QCOMPARE(transferIn(*m_engine, id)->state, State::Running);
        m_engine->cancel(id);
        QVERIFY(waitForState(*m_engine, id, State::Cancelled));
    }
};

QTEST_MAIN(TestUiResume)
#include "tst_ui_resume.moc"
