// Settings › Watched folders: the usual places models are kept are offered when they exist,
// checking a row or adding a folder changes the vault's list (the same the CLI reads), and the
// app's engine floats what is dropped into a watched folder. Each folder is a check box like the
// dialog's other settings (issue 37: a list's own check mark was invisible on a dark theme, drawn
// in the list's base colour on that same base).
#include "engine/engine.h"
#include "testsupport.h"
#include "testvault.h"
#include "watch/watchlist.h"
#include "watchedfoldersbox.h"

#include <QCheckBox>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

// The check box of `folder` in the box (null: none).
QCheckBox* rowOf(const WatchedFoldersBox& box, const QString& folder)
{
    for (QCheckBox* row : box.findChildren<QCheckBox*>())
        if (row->text() == QDir::toNativeSeparators(folder))
            return row;
    return nullptr;
}

} // namespace

class TestUiWatchedFolders final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void suggestionsExistingOnly();
    void checkingWatches();
};

void TestUiWatchedFolders::suggestionsExistingOnly()
{
    QTemporaryDir home;
    QVERIFY(WatchedFoldersBox::suggestedFolders(home.path()).isEmpty());
    QVERIFY(QDir().mkpath(home.filePath(QStringLiteral(".lmstudio/models"))));
    QVERIFY(QDir().mkpath(home.filePath(QStringLiteral("models"))));
    const QStringList offered = WatchedFoldersBox::suggestedFolders(home.path());
    QVERIFY2(offered.contains(
                 QFileInfo(home.filePath(QStringLiteral(".lmstudio/models"))).canonicalFilePath()),
             qPrintable(offered.join(QLatin1Char(' '))));
    QVERIFY(
        offered.contains(QFileInfo(home.filePath(QStringLiteral("models"))).canonicalFilePath()));
}

void TestUiWatchedFolders::checkingWatches()
{
    TestVault tv;
    QVERIFY(tv.ok());
    const QString dir = tv.vault->directory();
    tv.vault.reset();
    const QString models = tv.path(QStringLiteral("models"));
    QVERIFY(QDir().mkpath(models));
    const QString canonical = QFileInfo(models).canonicalFilePath();
    {
        Engine engine;
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        WatchedFoldersBox box(&engine);
        QSignalSpy changed(&engine, &Engine::watchedFoldersChanged);
        box.addFolder(models);
        QVERIFY(QTest::qWaitFor([&] { return engine.watchedFolders() == QStringList{canonical}; },
                                JobTimeoutMs));
        QCheckBox* row = rowOf(box, canonical);
        QVERIFY(row);
        QVERIFY(row->isChecked());
        // Adding it again is refused, and the box says why.
        changed.clear();
        box.addFolder(models);
        QVERIFY(changed.wait(JobTimeoutMs));
        QVERIFY(changed.last().at(1).toString().contains(QStringLiteral("watched already")));
        // Unchecked: no longer watched.
        QVERIFY(rowOf(box, canonical));
        rowOf(box, canonical)->click();
        QVERIFY(QTest::qWaitFor([&] { return engine.watchedFolders().isEmpty(); }, JobTimeoutMs));
        box.addFolder(models);
        QVERIFY(QTest::qWaitFor([&] { return !engine.watchedFolders().isEmpty(); }, JobTimeoutMs));

        // While the app is open, a model dropped into the folder floats, shown in Transfers.
        engine.setWatchStableMs(200);
        QVERIFY(writePseudoRandomFile(models + QStringLiteral("/dropped.gguf"), 64 * 1024, 9));
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const TransferInfo& t : engine.transfers())
                    if (t.kind == TransferInfo::Kind::Float &&
                        t.title.contains(QStringLiteral("dropped")))
                        return t.state == TransferInfo::State::Done;
                return false;
            },
            JobTimeoutMs));
    }
    // The vault keeps it: what the CLI reads.
    QString error;
    auto vault = Vault::open(dir, Vault::OpenMode::Existing, &error);
    QVERIFY2(vault, qPrintable(error));
    QCOMPARE(watchlist::folders(vault->registry()), QStringList{canonical});
}

QTEST_MAIN(TestUiWatchedFolders)
#include "tst_ui_watchedfolders.moc"
