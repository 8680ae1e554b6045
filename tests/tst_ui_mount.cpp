// Issue 39 in the app: "Show floating models in the file manager" mounts the vault read-only at
// a folder through the engine while the app runs, unmounts with MountDetach (never blocking the
// GUI thread) when turned off and before quitting, says where FUSE is missing, and opens the
// folder once mounted; the low-disk notice's "Free up space…" in the tray leads to the Free up
// space question. Offscreen, on a real Engine, vault and FUSE mount (skipped, saying so, where
// this machine has no FUSE).
#include "engine/engine.h"
#include "mainwindow.h"
#include "mainwindowfixture.h"
#include "modelbrowser.h"
#include "modellistmodel.h"
#include "mount/fusemount.h"
#include "mountbox.h"
#include "mountswitch.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfersmodel.h"
#include "trayicon.h"

#include <QAction>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

class TestUiMount : public QObject, MainWindowFixture
{
    Q_OBJECT

    MountSwitch* m_switch = nullptr;

    bool openWindow()
    {
        Options options;
        options.size = QSize();
        options.beforeOpen = [this] {
            m_switch = new MountSwitch(m_engine.get(), m_window.get());
            m_switch->setFolder(m_tv->path(QStringLiteral("ModelFloat")));
        };
        return MainWindowFixture::openWindow(options);
    }

    bool floatAndWait(const QString& file, const QString& name)
    {
        FloatRequest r;
        r.paths = {file};
        r.modelName = name;
        m_engine->floatFiles(r);
        ModelListModel* model = m_window->browser()->model();
        return QTest::qWaitFor(
            [&] {
                return model->rowCount() == 1 &&
                       model->index(0, 0).data(ModelListModel::HealthRole).toString() ==
                           QLatin1String("healthy");
            },
            JobTimeoutMs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_mount"));
    }
    void init() { QSettings().clear(); }
    void cleanup() { closeWindow(); } // the switch with the window

    void missingFuseIsSaidInWords()
    {
        const QString problem = MountSwitch::fuseProblem(QStringLiteral("/nonexistent/fuse"));
        QVERIFY2(problem.contains(QStringLiteral("FUSE is not available")) &&
                     problem.contains(QStringLiteral("fuse3")),
                 qPrintable(problem));
    }

    void switchMountsReadsAndUnmounts()
    {
        if (const QString problem = MountSwitch::fuseProblem(); !problem.isEmpty())
            QSKIP(qPrintable(QStringLiteral("No FUSE here: ") + problem));
        QVERIFY(openWindow());
        const QString file = m_tv->path(QStringLiteral("in/weights.bin"));
        QVERIFY(QDir().mkpath(QFileInfo(file).path()));
        QVERIFY(writePseudoRandomFile(file, MiB + 5, 41));
        QVERIFY(floatAndWait(file, QStringLiteral("tiny")));
        const QString folder = m_switch->folder();
        QVERIFY(!m_switch->openAction()->isEnabled());

        // On: the folder is made and mounted; the model reads through it, bit-exact.
        MountBox box(m_switch);
        m_switch->toggleAction()->trigger();
        QVERIFY(m_switch->toggleAction()->isChecked());
        QTRY_VERIFY_WITH_TIMEOUT(m_switch->isMounted(), JobTimeoutMs);
        QVERIFY(FuseMount::isModelFloatMount(folder));
        QVERIFY(m_switch->openAction()->isEnabled());
        QVERIFY(box.checkBox()->isChecked());
        QVERIFY(!box.folderEdit()->isEnabled());
        QVERIFY(QSettings().value(QLatin1String(MountSwitch::EnabledKey)).toBool());
        QCOMPARE(opensslSha256Hex(folder + QStringLiteral("/tiny/weights.bin")),
                 opensslSha256Hex(file));

        // Off: unmounted from this thread without waiting, then dropped by the engine.
        m_switch->toggleAction()->trigger();
        QVERIFY(!m_switch->toggleAction()->isChecked());
        QTRY_VERIFY_WITH_TIMEOUT(!m_switch->isMounted(), JobTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!FuseMount::isModelFloatMount(folder), JobTimeoutMs);
        QVERIFY(!m_switch->openAction()->isEnabled());
        QVERIFY2(m_switch->problem().isEmpty(), qPrintable(m_switch->problem()));

        // On again, then quit: the mount goes before the app's loop would end.
        m_switch->setOn(true);
        QTRY_VERIFY_WITH_TIMEOUT(m_switch->isMounted(), JobTimeoutMs);
        bool quit = false;
        m_switch->detachThen([&] { quit = true; });
        QTRY_VERIFY_WITH_TIMEOUT(quit, JobTimeoutMs);
        QVERIFY(!FuseMount::isModelFloatMount(folder));
        QVERIFY(!m_switch->isMounted());
    }

    void lowDiskNoticeLeadsToFreeUpSpace()
    {
        QVERIFY(openWindow());
        const QString file = m_tv->path(QStringLiteral("in/here.bin"));
        QVERIFY(QDir().mkpath(QFileInfo(file).path()));
        QVERIFY(writePseudoRandomFile(file, MiB, 42));
        QVERIFY(floatAndWait(file, QStringLiteral("here")));
        TransfersModel transfers(m_engine.get());
        TrayIcon tray(m_engine.get(), &transfers);
        tray.addMountActions(m_switch->toggleAction(), m_switch->openAction());
        QVERIFY(tray.menu()->actions().contains(m_switch->toggleAction()));
        QVERIFY(!tray.freeUpSpaceAction()->isVisible());

        // The engine says the disk runs low (SyncService, with its notice): the tray offers it.
        Q_EMIT m_engine->diskSpaceLow();
        QVERIFY(tray.freeUpSpaceAction()->isVisible());
        QSignalSpy asked(&tray, &TrayIcon::freeUpSpaceRequested);
        tray.freeUpSpaceAction()->trigger();
        QCOMPARE(asked.size(), 1);

        // What the app does with it: the models on this computer selected, the question asked.
        ModelBrowser* browser = m_window->browser();
        QTRY_VERIFY_WITH_TIMEOUT(
            browser->model()->rowData(0) && browser->model()->rowData(0)->loaded, JobTimeoutMs);
        browser->freeUpSpace();
        QMessageBox* question = browser->pendingQuestion();
        QVERIFY(question);
        QVERIFY2(question->text().contains(QStringLiteral("“here”")), qPrintable(question->text()));
        QCOMPARE(browser->selectedModelIds().size(), 1);
        question->button(QMessageBox::Cancel)->click();
    }
};

QTEST_MAIN(TestUiMount)
#include "tst_ui_mount.moc"
