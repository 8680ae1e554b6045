// "Check everything now", on the Models page and in the tray menu: it starts the check of every
// copy at once (a transfer of its own, shown in Transfers), and both say when the background
// check runs next.
#include "engine/engine.h"
#include "modelbrowser.h"
#include "nextcheck.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfersmodel.h"
#include "trayicon.h"

#include <QAction>
#include <QLabel>
#include <QPushButton>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

const QString EveryCopy = QStringLiteral("Checking every copy is there");

// Waits for a check of every copy to be added and to end; false when none was.
bool checkRuns(Engine& engine)
{
    QSignalSpy added(&engine, &Engine::transferAdded);
    qint64 id = 0;
    const bool started = QTest::qWaitFor(
        [&] {
            for (const QList<QVariant>& a : std::as_const(added)) {
                const auto info = a.first().value<TransferInfo>();
                if (info.kind == TransferInfo::Kind::Scrub && info.title == EveryCopy)
                    id = info.id;
            }
            return id != 0;
        },
        JobTimeoutMs);
    if (!started)
        return false;
    return QTest::qWaitFor(
        [&] {
            for (const TransferInfo& t : engine.transfers())
                if (t.id == id)
                    return t.state == TransferInfo::State::Done;
            return false;
        },
        JobTimeoutMs);
}

} // namespace

class TestUiCheckNow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsACheckOfEveryCopy();
    void saysWhenTheNextCheckIs();
};

// The words for the next check, for a fixed "now".
void TestUiCheckNow::saysWhenTheNextCheckIs()
{
    const QDateTime now = QDateTime(QDate(2026, 11, 26), QTime(12, 0), Qt::LocalTime);
    SyncStatus s;
    QCOMPARE(nextCheckText(s, now), QStringLiteral("Nothing to check yet"));
    s.nextCheck = now.addSecs(10);
    QCOMPARE(nextCheckText(s, now), QStringLiteral("Next check in a moment"));
    s.nextCheck = now.addSecs(5 * 60 + 10);
    QCOMPARE(nextCheckText(s, now), QStringLiteral("Next check in 5 min"));
    s.nextCheck = now.addSecs(2 * 3600 + 100);
    QCOMPARE(nextCheckText(s, now), QStringLiteral("Next check in 2 h"));
    s.nextCheck = now.addSecs(7 * 3600);
    QCOMPARE(nextCheckText(s, now), QStringLiteral("Next check at ") + clockTime(QTime(19, 0)));
    // Hours away: to the minute, whatever the locale's short form carries (C's has seconds).
    QVERIFY2(!clockTime(QTime(19, 0, 54)).contains(QStringLiteral("54")),
             qPrintable(clockTime(QTime(19, 0, 54))));
    s.nextCheck = now.addDays(1).addSecs(4 * 3600 + 54);
    QCOMPARE(nextCheckText(s, now),
             QStringLiteral("Next check tomorrow at ") + clockTime(QTime(16, 0)));
    s.nextCheck = now.addSecs(7 * 3600);
    s.deferReason = QStringLiteral("on battery");
    QVERIFY(nextCheckText(s, now).endsWith(QStringLiteral("(waits: on battery)")));
    s.paused = true;
    QCOMPARE(nextCheckText(s, now), QStringLiteral("Background sync is paused"));
    s.paused = false;
    s.running = QStringLiteral("scrub.check");
    QCOMPARE(nextCheckText(s, now), QStringLiteral("Checking copies now"));
}

void TestUiCheckNow::startsACheckOfEveryCopy()
{
    TestVault tv;
    QVERIFY(tv.ok());
    const QString dir = tv.vault->directory();
    tv.vault.reset();
    Engine engine;
    QSignalSpy opened(&engine, &Engine::opened);
    engine.open(dir);
    QVERIFY(opened.wait(JobTimeoutMs));
    QCOMPARE(opened.first().first().toString(), QString());

    const QString source = tv.path(QStringLiteral("small.gguf"));
    QVERIFY(writePseudoRandomFile(source, 100 * 1024, 3));
    FloatRequest request;
    request.paths = {source};
    request.modelName = QStringLiteral("small");
    const qint64 floated = engine.floatFiles(request);
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (const TransferInfo& t : engine.transfers())
                if (t.id == floated)
                    return t.state == TransferInfo::State::Done;
            return false;
        },
        JobTimeoutMs));

    ModelBrowser browser(&engine);
    QVERIFY(browser.checkNowButton()->isEnabled());
    // Once the copies are there, the page says when they are checked.
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     return browser.nextCheckLabel()->text().startsWith(
                         QStringLiteral("Next check"));
                 },
                 JobTimeoutMs),
             qPrintable(browser.nextCheckLabel()->text()));
    QTest::mouseClick(browser.checkNowButton(), Qt::LeftButton);
    QVERIFY(checkRuns(engine));

    TransfersModel transfers(&engine);
    TrayIcon tray(&engine, &transfers);
    QVERIFY(tray.checkNowAction()->isEnabled());
    QVERIFY2(!tray.nextCheckAction()->text().isEmpty(), "the tray says when the next check is");
    QVERIFY(!tray.nextCheckAction()->isEnabled());
    tray.checkNowAction()->trigger();
    QVERIFY(checkRuns(engine));
}

QTEST_MAIN(TestUiCheckNow)
#include "tst_ui_checknow.moc"
