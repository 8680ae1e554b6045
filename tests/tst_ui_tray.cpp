// The tray icon in a real system tray: the test starts its own X server (Xvfb) and Debian's
// `trayer` (an XEmbed tray), runs itself again on that display with the xcb platform, and
// there clicks the icon and its menu with xdotool, as a person would.
#include "engine/engine.h"
#include "peerprocess.h"
#include "registry/registry.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfersmodel.h"
#include "trayicon.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QRandomGenerator>
#include <QScreen>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

using State = TransferInfo::State;
const char* const ChildMarker = "MODELFLOAT_TRAY_TEST_CHILD";

bool openEngine(Engine& engine, const QString& dir)
{
    QSignalSpy opened(&engine, &Engine::opened);
    engine.open(dir);
    return opened.wait(JobTimeoutMs) && opened.first().first().toString().isEmpty();
}

bool xdotool(const QStringList& args)
{
    QString out;
    const bool ok = runProcess(QStringLiteral("xdotool"), args, &out, 20000);
    if (!ok)
        qWarning("xdotool %s: %s", qPrintable(args.join(QLatin1Char(' '))), qPrintable(out));
    return ok;
}

bool clickAt(const QPoint& global, int button)
{
    return xdotool({QStringLiteral("mousemove"), QString::number(global.x()),
                    QString::number(global.y()), QStringLiteral("click"), QString::number(button)});
}

State stateOf(const TransfersModel& model, qint64 id)
{
    const int row = model.rowOf(id);
    return row < 0 ? State(-1) : model.transfer(row)->state;
}

} // namespace

class TestUiTray : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb"));
        // trayer takes a moment to claim the tray selection.
        QVERIFY2(QTest::qWaitFor([] { return TrayIcon::isAvailable(); }, 20000),
                 "no system tray on this display");
    }

    void iconMenuAndNotifications()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        tv.vault->setDefaultChunker(SmallChunks);
        const QString dir = tv.vault->directory();
        tv.vault.reset();

        Engine engine;
        TransfersModel model(&engine);
        TrayIcon tray(&engine, &model);
        QSignalSpy open(&tray, &TrayIcon::openRequested);
        QSignalSpy quit(&tray, &TrayIcon::quitRequested);
        QSignalSpy messages(&tray, &TrayIcon::messageShown);
        tray.show();
        QVERIFY(openEngine(engine, dir));
        QCOMPARE(tray.status(), TrayIcon::Status::Idle);
        QVERIFY(tray.toolTip().contains(QStringLiteral("Idle")));

        // The tray embedded the icon: it has a place on the screen.
        QVERIFY(
            QTest::qWaitFor([&] { return tray.systemTrayIcon()->geometry().width() > 0; }, 10000));
        // trayer may still move the icon once after embedding it: wait until its place holds.
        QRect where = tray.systemTrayIcon()->geometry();
        QVERIFY(QTest::qWaitFor(
            [&] {
                QTest::qWait(300);
                const QRect now = tray.systemTrayIcon()->geometry();
                const bool settled = now == where;
                where = now;
                return settled;
            },
            10000));

        // A left click on it asks for the window.
        QVERIFY(clickAt(where.center(), 1));
        QVERIFY(QTest::qWaitFor([&] { return open.size() == 1; }, 10000));

        // A float in progress: the icon says working, the tooltip gives progress.
        const QString source = tv.path(QStringLiteral("big.bin"));
        // Sparse 3 GiB: the float is surely still running when the menu click lands (a 96 MiB
        // file could finish first).
        QVERIFY(writeSparseFile(source, 3 * qint64(1024) * MiB));
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("Tray model");
        const qint64 id = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Running; }));
        QCOMPARE(tray.status(), TrayIcon::Status::Working);
        QVERIFY2(tray.toolTip().contains(QStringLiteral("1 running")), qPrintable(tray.toolTip()));
        QCOMPARE(tray.systemTrayIcon()->toolTip(), tray.toolTip());

        // Right click opens the menu; clicking "Pause all" in it pauses the float.
        QVERIFY(clickAt(where.center(), 3));
        QVERIFY(QTest::qWaitFor([&] { return tray.menu()->isVisible(); }, 10000));
        QVERIFY(tray.pauseAllAction()->isEnabled());
        QTest::qWait(200); // let the menu settle where it was placed
        const QRect pauseRect = tray.menu()->actionGeometry(tray.pauseAllAction());
        QVERIFY(clickAt(tray.menu()->mapToGlobal(pauseRect.center()), 1));
        QVERIFY(QTest::qWaitFor(
            [&] {
                const State s = stateOf(model, id);
                return s == State::Paused || s == State::Done;
            },
            JobTimeoutMs));
        QCOMPARE(stateOf(model, id), State::Paused);
        QVERIFY(QTest::qWaitFor([&] { return tray.resumeAllAction()->isEnabled(); }));
        QVERIFY(tray.toolTip().contains(QStringLiteral("1 paused")));
        tray.resumeAllAction()->trigger();
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Running; }));
        // The 3 GiB float was only there to be paused; finishing it would take minutes in the
        // sanitizer build on a loaded machine. Cancel it; a small float shows the finish.
        engine.cancel(id);
        QVERIFY(
            QTest::qWaitFor([&] { return stateOf(model, id) == State::Cancelled; }, JobTimeoutMs));
        const QString small = tv.path(QStringLiteral("small.bin"));
        QVERIFY(writePseudoRandomFile(small, 2 * MiB, 7));
        request.paths = {small};
        request.modelName = QStringLiteral("Tray model (small)");
        const qint64 done = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, done) == State::Done; }, JobTimeoutMs));
        QVERIFY(QTest::qWaitFor([&] { return tray.status() == TrayIcon::Status::Idle; }));
        // The finished float was announced.
        QVERIFY(QTest::qWaitFor([&] { return !messages.isEmpty(); }));
        QCOMPARE(messages.last().at(0).toString(), QStringLiteral("Finished"));
        QVERIFY(messages.last().at(1).toString().contains(QStringLiteral("Tray model")));

        // A failure turns the icon to error until the window is opened from the menu.
        request.paths = {tv.path(QStringLiteral("missing.bin"))};
        request.modelName = QStringLiteral("Missing");
        const qint64 bad = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, bad) == State::Failed; }));
        QVERIFY(QTest::qWaitFor([&] { return tray.status() == TrayIcon::Status::Error; }));
        tray.openAction()->trigger();
        QCOMPARE(tray.status(), TrayIcon::Status::Idle);
        QCOMPARE(open.size(), 2);

        tray.quitAction()->trigger();
        QCOMPARE(quit.size(), 1);
    }

    void redGoesWhenTheProblemDoes()
    {
        // Issue 37, item 3: the icon said "A transfer failed" until a restart, even after a
        // repair and a clean verify. It goes when the problem does.
        TestVault tv; // the embedded provider only: one copy of every chunk
        QVERIFY(tv.ok());
        tv.vault->setDefaultChunker(SmallChunks);
        const QString dir = tv.vault->directory();
        const QString root = tv.root(tv.providerIds().first());
        tv.vault.reset();
        Engine engine;
        engine.setSyncPaused(true); // nothing repairs behind the test's back
        TransfersModel model(&engine);
        TrayIcon tray(&engine, &model);
        QVERIFY(openEngine(engine, dir));
        auto finish = [&](qint64 id, State wanted) {
            return QTest::qWaitFor(
                       [&] {
                           const State s = stateOf(model, id);
                           return s == State::Done || s == State::Failed || s == State::Degraded ||
                                  s == State::Cancelled;
                       },
                       JobTimeoutMs) &&
                   stateOf(model, id) == wanted;
        };

        const QString input = tv.path(QStringLiteral("in.bin"));
        QVERIFY(writePseudoRandomFile(input, 2 * MiB, 23));
        FloatRequest request;
        request.paths = {input};
        request.modelName = QStringLiteral("m");
        const qint64 floated = engine.floatFiles(request);
        QVERIFY(finish(floated, State::Done));
        const qint64 modelId = model.transfer(model.rowOf(floated))->modelId;
        QVERIFY(modelId > 0);

        // A chunk's one copy is moved away: verify fails, the icon turns red.
        QString error;
        auto registry = Registry::open(dir + QStringLiteral("/registry.sqlite"), &error);
        QVERIFY2(registry, qPrintable(error));
        const QList<FileRecord> files = registry->modelRows().files(modelId);
        QVERIFY(!files.isEmpty());
        const QString victim = LocalProvider::objectPath(
            root, registry->modelRows().fileChunks(files.first().id).first().cid);
        registry.reset();
        QVERIFY(QFile::rename(victim, victim + QStringLiteral(".aside")));
        QVERIFY(finish(engine.verifyModel(modelId), State::Failed));
        QVERIFY(QTest::qWaitFor([&] { return tray.status() == TrayIcon::Status::Error; }));

        // It is back; a repair of the model finds every copy: the problem is gone, so is the red.
        QVERIFY(QFile::rename(victim + QStringLiteral(".aside"), victim));
        QVERIFY(finish(engine.repairModel(modelId), State::Done));
        QVERIFY2(QTest::qWaitFor([&] { return tray.status() == TrayIcon::Status::Idle; }),
                 qPrintable(tray.toolTip()));
        QVERIFY(!tray.toolTip().contains(QStringLiteral("failed")));

        // A float of a file that is not there fails; once it is removed from the list, the
        // icon has nothing left to point at.
        request.paths = {tv.path(QStringLiteral("missing.bin"))};
        request.modelName = QStringLiteral("missing");
        QVERIFY(finish(engine.floatFiles(request), State::Failed));
        QVERIFY(QTest::qWaitFor([&] { return tray.status() == TrayIcon::Status::Error; }));
        engine.clearFinished();
        QVERIFY2(QTest::qWaitFor([&] { return tray.status() == TrayIcon::Status::Idle; }),
                 qPrintable(tray.toolTip()));
    }
};

// Run as the parent: start Xvfb and trayer, then this program again on that display.
static int runUnderXvfb(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int display = 0;
    for (int attempt = 0; attempt < 50; ++attempt) {
        const int n = 100 + int(QRandomGenerator::global()->bounded(800));
        if (!QFileInfo::exists(QStringLiteral("/tmp/.X%1-lock").arg(n)) &&
            !QFileInfo::exists(QStringLiteral("/tmp/.X11-unix/X%1").arg(n))) {
            display = n;
            break;
        }
    }
    const QString name = QStringLiteral(":%1").arg(display);
    PeerProcess xvfb;
    if (!xvfb.start(
            QStringLiteral("Xvfb"),
            {name, QStringLiteral("-screen"), QStringLiteral("0"), QStringLiteral("1024x768x24"),
             QStringLiteral("-nolisten"), QStringLiteral("tcp")},
            [&] { return QFileInfo::exists(QStringLiteral("/tmp/.X11-unix/X%1").arg(display)); },
            20000)) {
        qWarning("FAIL: Xvfb: %s", qPrintable(xvfb.errorString()));
        return 1;
    }
    const QStringList env{QStringLiteral("DISPLAY=") + name};
    PeerProcess trayer;
    if (!trayer.start(
            QStringLiteral("trayer"),
            {QStringLiteral("--edge"), QStringLiteral("top"), QStringLiteral("--align"),
             QStringLiteral("right"), QStringLiteral("--widthtype"), QStringLiteral("pixel"),
             QStringLiteral("--width"), QStringLiteral("200"), QStringLiteral("--height"),
             QStringLiteral("32"), QStringLiteral("--transparent"), QStringLiteral("false")},
            [] { return true; }, 20000, env)) {
        qWarning("FAIL: trayer: %s", qPrintable(trayer.errorString()));
        return 1;
    }
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedChannels);
    QProcessEnvironment childEnv = QProcessEnvironment::systemEnvironment();
    childEnv.insert(QStringLiteral("DISPLAY"), name);
    childEnv.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
    childEnv.insert(QString::fromLatin1(ChildMarker), QStringLiteral("1"));
    childEnv.remove(QStringLiteral("WAYLAND_DISPLAY"));
    // The same tray whatever the machine runs: with a session bus that has a
    // StatusNotifierWatcher (a KDE or GNOME desktop), Qt would put the icon there instead of in
    // our trayer. An address where no bus answers makes Qt use the XEmbed tray on every machine.
    childEnv.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
                    QStringLiteral("unix:path=") + QDir::tempPath() +
                        QStringLiteral("/modelfloat-no-session-bus"));
    child.setProcessEnvironment(childEnv);
    child.start(QCoreApplication::applicationFilePath(), app.arguments().mid(1));
    if (!child.waitForStarted(10000) || !child.waitForFinished(540000)) {
        qWarning("FAIL: the test on the X display did not run to its end");
        child.kill();
        return 1;
    }
    return child.exitStatus() == QProcess::NormalExit ? child.exitCode() : 1;
}

int main(int argc, char** argv)
{
    if (!qEnvironmentVariableIsSet(ChildMarker))
        return runUnderXvfb(argc, argv);
    QApplication app(argc, argv);
    app.setQuitOnLastWindowClosed(false);
    TestUiTray test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ui_tray.moc"
