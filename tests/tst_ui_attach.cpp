// "Connect existing storage", driven as a person on a new computer would: the empty vault offers
// it beside floating files; it opens the Providers page's "Attach storage" dialog; once the
// provider another computer filled is saved, its models are taken in from the catalog there,
// show in the browser, and restore bit-exact; a report says what was found. A first run says in
// plain words what providers and copies are, and with one provider offers to add a second.
#include "emptystate.h"
#include "engine/engine.h"
#include "mainwindow.h"
#include "modelbrowser.h"
#include "modellistmodel.h"
#include "providerdialog.h"
#include "providerform.h"
#include "providerspage.h"
#include "sync/catalogpublishjob.h"
#include "synctestsupport.h"
#include "testsupport.h"
#include "testvault.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

class TestUiAttach : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_attach"));
    }

    void firstRunExplainsAndOffersASecondProvider()
    {
        TestVault fresh; // the embedded local folder only
        QVERIFY(fresh.ok());
        const QString dir = fresh.vault->directory();
        const QString second = fresh.path(QStringLiteral("usb-disk"));
        fresh.vault.reset();
        Engine engine;
        MainWindow window(&engine);
        window.resize(1100, 750);
        window.show();
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QVERIFY(QTest::qWaitFor([&] { return window.reader() != nullptr; }, JobTimeoutMs));
        QVERIFY(window.isShowingEmptyState());
        EmptyState* empty = window.emptyState();

        // Plain words for what providers and copies are, with this vault's figures.
        QLabel* how = empty->howItWorks();
        QVERIFY(how->isVisible());
        QVERIFY2(how->text().contains(QStringLiteral("A provider is a place")),
                 qPrintable(how->text()));
        QVERIFY2(how->text().contains(QStringLiteral("copies")), qPrintable(how->text()));
        QVERIFY2(how->text().contains(QStringLiteral("This vault has 1 provider and keeps 1 copy")),
                 qPrintable(how->text()));
        // "Connect existing storage" stays.
        QVERIFY(empty->connectStorageButton()->isVisible());

        // One provider: a second one is offered, in the add-provider dialog.
        QVERIFY(empty->secondProviderOffer()->isVisible());
        QTest::mouseClick(empty->addSecondProviderButton(), Qt::LeftButton);
        ProviderDialog* dialog = window.providersPage()->openDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QCOMPARE(dialog->windowTitle(), QStringLiteral("Add a provider"));
        dialog->kindBox()->setCurrentIndex(dialog->kindBox()->findData(QStringLiteral("local")));
        dialog->nameEdit()->setText(QStringLiteral("usb-disk"));
        auto* path = dialog->form()
                         ->editor(QStringLiteral("path"))
                         ->findChild<QLineEdit*>(QStringLiteral("pathEdit"));
        QVERIFY(path);
        path->setText(second);
        auto* buttons = dialog->findChild<QDialogButtonBox*>();
        QVERIFY(buttons);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);

        // Two providers now: the offer goes, the figures follow.
        QTRY_VERIFY_WITH_TIMEOUT(!empty->secondProviderOffer()->isVisibleTo(empty), JobTimeoutMs);
        QVERIFY2(how->text().contains(QStringLiteral("This vault has 2 providers")),
                 qPrintable(how->text()));
    }

    void connectExistingStorageBringsItsModels()
    {
        // The old computer: one model on a folder it shares, published to the catalog there.
        TestVault old;
        QVERIFY(old.ok());
        const QString storage = old.path(QStringLiteral("storage"));
        QVERIFY(useSharedFolders(old, {storage}));
        QVERIFY(floatTestFile(old, QStringLiteral("from-old"), 700 * KiB, 17, 1) > 0);
        CatalogPublishJob publish(old.vault.get());
        QVERIFY(run(publish) && publish.error().ok());
        const QString source = old.path(QStringLiteral("from-old.bin"));
        // Its recovery key, as its Settings › Recovery key shows it.
        QVERIFY(old.vault->catalogKey());
        const QString recoveryKey = old.vault->catalogKey()->recoveryText();
        old.vault.reset(); // the old computer is gone; its storage stays

        // The new computer: an empty vault in the app.
        TestVault fresh;
        QVERIFY(fresh.ok());
        const QString dir = fresh.vault->directory();
        fresh.vault.reset();
        Engine engine;
        MainWindow window(&engine);
        window.resize(1100, 750);
        window.show();
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QVERIFY(QTest::qWaitFor([&] { return window.reader() != nullptr; }, JobTimeoutMs));
        QVERIFY(window.isShowingEmptyState());

        // The empty vault offers it; it opens the attach dialog on the Providers page.
        QPushButton* connectButton = window.emptyState()->connectStorageButton();
        QVERIFY(connectButton->isVisible());
        QTest::mouseClick(connectButton, Qt::LeftButton);
        ProviderDialog* dialog = window.providersPage()->openDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QCOMPARE(dialog->windowTitle(), QStringLiteral("Attach storage"));
        QVERIFY(window.providersPage()->isVisible());

        const int local = dialog->kindBox()->findData(QStringLiteral("local"));
        QVERIFY(local >= 0);
        dialog->kindBox()->setCurrentIndex(local);
        dialog->nameEdit()->setText(QStringLiteral("old storage"));
        QWidget* pathRow = dialog->form()->editor(QStringLiteral("path"));
        QVERIFY(pathRow);
        auto* path = pathRow->findChild<QLineEdit*>(QStringLiteral("pathEdit"));
        QVERIFY(path);
        path->setText(storage);
        auto* keyEdit = dialog->findChild<QLineEdit*>(QStringLiteral("attachRecoveryKey"));
        QVERIFY(keyEdit);
        keyEdit->setText(recoveryKey);
        QSignalSpy recovered(&engine, &Engine::catalogRecovered);
        auto* buttons = dialog->findChild<QDialogButtonBox*>();
        QVERIFY(buttons);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);

        // Its models come back, and a report says so.
        QVERIFY(recovered.wait(JobTimeoutMs));
        QVERIFY2(recovered.first().at(1).toString().isEmpty(),
                 qPrintable(recovered.first().at(1).toString()));
        QVERIFY(QTest::qWaitFor([&] { return window.recoveryReport() != nullptr; }, JobTimeoutMs));
        QVERIFY2(
            window.recoveryReport()->informativeText().contains(QStringLiteral("1 model added")),
            qPrintable(window.recoveryReport()->informativeText()));
        ModelListModel* models = window.browser()->model();
        QVERIFY(QTest::qWaitFor([&] { return models->rowCount() == 1; }, JobTimeoutMs));
        QCOMPARE(models->index(0, ModelListModel::NameColumn).data().toString(),
                 QStringLiteral("from-old"));
        QVERIFY(!window.isShowingEmptyState());
        window.recoveryReport()->button(QMessageBox::Ok)->click();
        QTRY_VERIFY(!window.recoveryReport());

        // And it restores, bit-exact, from the attached storage alone.
        const QString out = fresh.path(QStringLiteral("out"));
        QSignalSpy changed(&engine, &Engine::transferChanged);
        const qint64 restore = engine.restoreModel(models->modelId(0), out);
        QVERIFY(restore > 0);
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const QList<QVariant>& args : std::as_const(changed)) {
                    const auto info = args.first().value<TransferInfo>();
                    if (info.id == restore && info.isFinished())
                        return true;
                }
                return false;
            },
            JobTimeoutMs));
        QCOMPARE(opensslSha256Hex(out + QStringLiteral("/from-old.bin")), opensslSha256Hex(source));
    }
};

QTEST_MAIN(TestUiAttach)
#include "tst_ui_attach.moc"
