// The Providers page says why a provider is unwell: the cause of a failed connection test shows
// in its row and, whole, in the details under the list, and is still there after the app starts
// again (it said just "error"). A provider whose test has just failed is saved only when the
// user says so (it was saved without a word). Each row says where the provider keeps its objects,
// how much it can still take, and which way a budget paused it, until when and why.
#include "engine/engine.h"
#include "mainwindow.h"
#include "providerdialog.h"
#include "providerform.h"
#include "providerspage.h"
#include "testsupport.h"
#include "testvault.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTreeWidget>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

QTreeWidgetItem* rowOf(ProvidersPage* page, const QString& name)
{
    for (int i = 0; i < page->list()->topLevelItemCount(); ++i)
        if (page->list()->topLevelItem(i)->text(0) == name)
            return page->list()->topLevelItem(i);
    return nullptr;
}

constexpr int WhereColumn = 2;
constexpr int FreeColumn = 4;
constexpr int HealthColumn = 5;

// The app on `dir`, opened, its reader ready.
struct App
{
    Engine engine;
    MainWindow window{&engine};

    bool open(const QString& dir)
    {
        window.resize(1000, 700);
        window.show();
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        return opened.wait(JobTimeoutMs) &&
               QTest::qWaitFor([&] { return window.reader() != nullptr; }, JobTimeoutMs);
    }
};

} // namespace

class TestUiProviders : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_providers"));
    }

    void failedTestCauseShownAndKept()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        const QString dir = tv.vault->directory();
        // "extra1"'s folder becomes a file: nothing can be stored there.
        const QString root = tv.root(tv.providerIds().last());
        QVERIFY(QDir(root).removeRecursively());
        QVERIFY(writeFile(root, "not a folder"));
        tv.vault.reset();

        QString cause;
        {
            App app;
            QVERIFY(app.open(dir));
            ProvidersPage* page = app.window.providersPage();
            QTreeWidgetItem* row = rowOf(page, QStringLiteral("extra1"));
            QVERIFY(row);
            row->setSelected(true);
            QSignalSpy tested(&app.engine, &Engine::providerTested);
            page->testAction()->trigger();
            QVERIFY(tested.wait(JobTimeoutMs));
            cause = tested.first().at(1).toString();
            QVERIFY(!cause.isEmpty());
            row = rowOf(page, QStringLiteral("extra1"));
            QVERIFY(row);
            QCOMPARE(row->text(HealthColumn), QStringLiteral("test failed: ") + cause);
            QVERIFY(!page->details()->isHidden());
            QVERIFY2(page->details()->text().contains(cause), qPrintable(page->details()->text()));
            QVERIFY2(page->details()->text().contains(root), qPrintable(page->details()->text()));
        }
        // The app starts again: the cause is still said, not just "error".
        App again;
        QVERIFY(again.open(dir));
        ProvidersPage* page = again.window.providersPage();
        QTreeWidgetItem* row = rowOf(page, QStringLiteral("extra1"));
        QVERIFY(row);
        QCOMPARE(row->text(HealthColumn), QStringLiteral("test failed: ") + cause);
        row->setSelected(true);
        QVERIFY2(page->details()->text().contains(cause), qPrintable(page->details()->text()));
    }

    void silentProviderSaysSince()
    {
        // Issue 34, item 2: a provider a check could not reach says since when, and, past the
        // vault's unreachable-after (a day; 0 here the second time), that its copies count as
        // lost.
        for (const qint64 after : {qint64(86400), qint64(0)}) {
            TestVault tv(1);
            QVERIFY(tv.ok());
            const QString dir = tv.vault->directory();
            const qint64 extra = tv.providerIds().last();
            QVERIFY(tv.registry().providerRows().recordProviderAnswer(extra, false));
            QVERIFY(tv.registry().providerRows().setUnreachableAfterSecs(after));
            tv.vault.reset();
            App app;
            QVERIFY(app.open(dir));
            QTreeWidgetItem* row = rowOf(app.window.providersPage(), QStringLiteral("extra1"));
            QVERIFY(row);
            const QString health = row->text(HealthColumn);
            QVERIFY2(health.startsWith(QStringLiteral("unreachable since ")), qPrintable(health));
            QCOMPARE(health.contains(QStringLiteral("count as lost")), after == 0);
        }
    }

    void whereFreeSpaceAndBudgetPauses()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        const QString dir = tv.vault->directory();
        const qint64 extra = tv.providerIds().last();
        const QString root = tv.root(extra);
        // A daily upload budget on a third provider; "extra1" is paused both ways.
        ProviderRecord budgeted;
        budgeted.kind = QStringLiteral("local");
        budgeted.name = QStringLiteral("budgeted");
        budgeted.settings = {{QStringLiteral("path"), tv.path(QStringLiteral("store-budgeted"))},
                             {QStringLiteral("dailyUpload"), 1024.0 * 1024 * 1024}};
        QVERIFY(QDir().mkpath(tv.path(QStringLiteral("store-budgeted"))));
        QVERIFY(tv.registry().providerRows().addProvider(budgeted));
        const qint64 in2h = QDateTime::currentMSecsSinceEpoch() + 2 * 3600 * 1000;
        const qint64 in3h = in2h + 3600 * 1000;
        QVERIFY(tv.registry().providerRows().pauseProvider(
            extra, BudgetDirection::Upload, in2h,
            QStringLiteral("its daily upload cap is reached")));
        QVERIFY(tv.registry().providerRows().pauseProvider(
            extra, BudgetDirection::Download, in3h, QStringLiteral("its transfer quota is used")));
        tv.vault.reset();

        App app;
        QVERIFY(app.open(dir));
        ProvidersPage* page = app.window.providersPage();
        QTreeWidgetItem* row = rowOf(page, QStringLiteral("extra1"));
        QVERIFY(row);
        QCOMPARE(row->text(WhereColumn), root);
        // Local folders say how much their disk can take.
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(page, QStringLiteral("extra1"))
                                     ->text(FreeColumn)
                                     .endsWith(QStringLiteral(" free")),
                                 JobTimeoutMs);
        row = rowOf(page, QStringLiteral("extra1"));
        const QString health = row->text(HealthColumn);
        const auto hhmm = [](qint64 ms) {
            return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm"));
        };
        const QString upAt =
            QDateTime::fromMSecsSinceEpoch(in2h).date() == QDate::currentDate()
                ? hhmm(in2h)
                : QDateTime::fromMSecsSinceEpoch(in2h).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
        QVERIFY2(health.contains(QStringLiteral("uploads paused until ") + upAt),
                 qPrintable(health));
        QVERIFY2(health.contains(QStringLiteral("its daily upload cap is reached")),
                 qPrintable(health));
        QVERIFY2(health.contains(QStringLiteral("downloads paused until")), qPrintable(health));
        QVERIFY2(health.contains(QStringLiteral("its transfer quota is used")), qPrintable(health));

        // The daily budget is told in the details.
        row = rowOf(page, QStringLiteral("budgeted"));
        QVERIFY(row);
        row->setSelected(true);
        QVERIFY2(page->details()->text().contains(QStringLiteral("Daily upload budget: 1.0")),
                 qPrintable(page->details()->text()));
    }

    void savingAfterAFailedTestAsksFirst()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = tv.vault->directory();
        const QString file = tv.path(QStringLiteral("a-file"));
        QVERIFY(writeFile(file, "not a folder"));
        tv.vault.reset();
        App app;
        QVERIFY(app.open(dir));
        ProvidersPage* page = app.window.providersPage();
        const int before = page->list()->topLevelItemCount();
        page->addAction()->trigger();
        ProviderDialog* dialog = page->openDialog();
        QVERIFY(dialog);
        dialog->kindBox()->setCurrentIndex(dialog->kindBox()->findData(QStringLiteral("local")));
        dialog->nameEdit()->setText(QStringLiteral("broken"));
        auto* path = dialog->form()
                         ->editor(QStringLiteral("path"))
                         ->findChild<QLineEdit*>(QStringLiteral("pathEdit"));
        QVERIFY(path);
        path->setText(file);
        auto* buttons = dialog->findChild<QDialogButtonBox*>();
        QPushButton* test = nullptr;
        for (QAbstractButton* b : buttons->buttons())
            if (buttons->buttonRole(b) == QDialogButtonBox::ActionRole)
                test = qobject_cast<QPushButton*>(b);
        QVERIFY(test);
        QSignalSpy tested(&app.engine, &Engine::providerTested);
        QTest::mouseClick(test, Qt::LeftButton);
        QVERIFY(tested.wait(JobTimeoutMs));
        QVERIFY(!tested.first().at(1).toString().isEmpty());

        // Save asks; Cancel keeps the dialog and saves nothing.
        QSignalSpy changed(&app.engine, &Engine::providersChanged);
        QSignalSpy refused(&app.engine, &Engine::providerError);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);
        QMessageBox* ask = dialog->findChild<QMessageBox*>();
        QVERIFY(ask);
        QTRY_VERIFY(ask->isVisible());
        QVERIFY2(ask->text().contains(tested.first().at(1).toString()), qPrintable(ask->text()));
        ask->button(QMessageBox::Cancel)->click();
        QTRY_VERIFY(!dialog->findChild<QMessageBox*>());
        QTest::qWait(200);
        QVERIFY(changed.isEmpty() && refused.isEmpty());
        QVERIFY(dialog->isVisible());
        QCOMPARE(page->list()->topLevelItemCount(), before);

        // "Save anyway" saves (or tries to, and says why not).
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);
        ask = dialog->findChild<QMessageBox*>();
        QVERIFY(ask);
        QAbstractButton* anyway = nullptr;
        for (QAbstractButton* b : ask->buttons())
            if (b->text() == QStringLiteral("Save anyway"))
                anyway = b;
        QVERIFY(anyway);
        anyway->click();
        QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty() || !refused.isEmpty(), JobTimeoutMs);
    }
};

QTEST_MAIN(TestUiProviders)
#include "tst_ui_providers.moc"
