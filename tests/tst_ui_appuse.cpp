// Issue 38 in the app: "Use in ▸" of the model menus puts a vault model in another app's store
// through the engine (the same AppUseJob as `modelfloat-cli use`), says what it did or why it
// could not, the details pane shows where the model is in use and what sharing saved, with
// "Remove from <app>", and removing a model an app uses names the app. Driven offscreen on a
// real Engine and vault; the apps' folders are temporary ones named by their variables.
#include "appstorefixtures.h"
#include "appstoreoffer.h"
#include "appusedialog.h"
#include "appusesbox.h"
#include "engine/engine.h"
#include "freecopiesdialog.h"
#include "hub/materializedcache.h"
#include "mainwindow.h"
#include "mainwindowfixture.h"
#include "modelbrowser.h"
#include "modeldetails.h"
#include "modellistmodel.h"
#include "testsupport.h"
#include "testvault.h"
#include "uitestsupport.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

QAction* actionNamed(QMenu* menu, const QString& text)
{
    for (QAction* a : menu->actions())
        if (a->text() == text)
            return a;
    return nullptr;
}

QPushButton* buttonNamed(QWidget* parent, const QString& text)
{
    for (QPushButton* b : parent->findChildren<QPushButton*>())
        if (b->text() == text)
            return b;
    return nullptr;
}

ino_t inodeOf(const QString& path)
{
    struct stat st
    {
    };
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_ino : 0;
}

} // namespace

class TestUiAppUse : public QObject, MainWindowFixture
{
    Q_OBJECT

    QTemporaryDir m_apps;

    // Floats one file as `name` and selects it once it is healthy.
    bool floatAndSelect(const QString& file, const QString& name)
    {
        FloatRequest r;
        r.paths = {file};
        r.modelName = name;
        m_engine->floatFiles(r);
        ModelListModel* model = m_window->browser()->model();
        if (!QTest::qWaitFor(
                [&] {
                    return model->rowCount() == 1 &&
                           model->index(0, 0).data(ModelListModel::HealthRole).toString() ==
                               QLatin1String("healthy");
                },
                JobTimeoutMs))
            return false;
        m_window->browser()->selectModel(model->modelId(0));
        return m_window->browser()->details()->modelId() == model->modelId(0);
    }

    // Writes MiB of pseudo-random bytes (`seed`) at `relative` in the test's folder, floats the
    // file as `name` and selects it; the file's path, or empty when a step failed.
    QString floatNewFileAndSelect(const QString& relative, quint64 seed, const QString& name)
    {
        const QString file = m_tv->path(relative);
        if (!QDir().mkpath(QFileInfo(file).path()) || !writePseudoRandomFile(file, MiB, seed) ||
            !floatAndSelect(file, name))
            return {};
        return file;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_appuse"));
        QVERIFY(m_apps.isValid());
        // Where the apps keep their models (appstores::storeRoots): read by the engine's job
        // when it runs.
        qputenv("HF_HUB_CACHE", QFile::encodeName(m_apps.filePath(QStringLiteral("hf"))));
        qputenv("OLLAMA_MODELS", QFile::encodeName(m_apps.filePath(QStringLiteral("ollama"))));
        qputenv("LLAMA_CACHE", QFile::encodeName(m_apps.filePath(QStringLiteral("llama"))));
        // LM Studio's folder is under the home.
        qputenv("HOME", QFile::encodeName(m_apps.filePath(QStringLiteral("home"))));
    }
    void init() { QSettings().clear(); }
    void cleanup() { closeWindow(); }

    void appsCopiesStayUntilEveryCopyIsVerified()
    {
        // Replacing an app's own copy by the shared one is refused in core while the model's
        // copies are not all verified: the app's file is left exactly as it was.
        QVERIFY(openWindow());
        const QString file = floatNewFileAndSelect(QStringLiteral("in/weights.bin"), 22,
                                                   QStringLiteral("unverified"));
        QVERIFY(!file.isEmpty());
        const QString appCopy = m_apps.filePath(QStringLiteral("ollama/blobs/sha256-")) +
                                QString::fromLatin1(opensslSha256Hex(file));
        QVERIFY(QDir().mkpath(QFileInfo(appCopy).path()));
        QVERIFY(QFile::copy(file, appCopy));
        const ino_t before = inodeOf(appCopy);
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        const qint64 id = m_engine->freeAppCopies(m_window->browser()->model()->modelId(0), false);
        QTRY_VERIFY_WITH_TIMEOUT(
            std::any_of(changed.cbegin(), changed.cend(),
                        [&](const QList<QVariant>& args) {
                            const auto info = args.first().value<TransferInfo>();
                            return info.id == id && info.state == TransferInfo::State::Failed &&
                                   info.error.contains(QStringLiteral("every copy verified"));
                        }),
            JobTimeoutMs);
        QCOMPARE(inodeOf(appCopy), before);
        QCOMPARE(opensslSha256Hex(appCopy), opensslSha256Hex(file));
    }

    void useInHuggingFaceCacheThenRemoveFromIt()
    {
        QVERIFY(openWindow());
        const QString file =
            floatNewFileAndSelect(QStringLiteral("in/weights.bin"), 21, QStringLiteral("tiny"));
        QVERIFY(!file.isEmpty());
        ModelBrowser* browser = m_window->browser();

        // One submenu, in the context menu's place and in the Model menu, with the four apps,
        // then the use with a name or folder of one's own and freeing the apps' own copies.
        QMenu* useIn = browser->useInMenu();
        QVERIFY(useIn->isEnabled());
        QStringList apps;
        for (QAction* a : useIn->actions())
            if (!a->isSeparator())
                apps.append(a->text());
        QCOMPARE(apps, QStringList({QStringLiteral("Ollama"), QStringLiteral("LM Studio"),
                                    QStringLiteral("Hugging Face cache"),
                                    QStringLiteral("llama.cpp"), QStringLiteral("In an app &as…"),
                                    QStringLiteral("&Free disk used by the apps' copies…")}));
        bool inModelMenu = false;
        for (QAction* top : m_window->menuBar()->actions())
            if (top->menu())
                for (QAction* a : top->menu()->actions())
                    inModelMenu = inModelMenu || a->menu() == useIn;
        QVERIFY(inModelMenu);

        // Ollama runs one GGUF file: refused, in words, nothing written.
        actionNamed(useIn, QStringLiteral("Ollama"))->trigger();
        QLabel* notice = browser->appUseNotice();
        QTRY_VERIFY_WITH_TIMEOUT(notice->isVisible() &&
                                     notice->text().contains(QStringLiteral("one GGUF file")),
                                 JobTimeoutMs);
        QVERIFY2(notice->text().contains(QStringLiteral("failed")), qPrintable(notice->text()));
        QVERIFY(!QFileInfo::exists(m_apps.filePath(QStringLiteral("ollama/manifests"))));

        // The Hugging Face cache gets the one materialized copy by hard link.
        actionNamed(useIn, QStringLiteral("Hugging Face cache"))->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(
            notice->text().startsWith(QStringLiteral("Hugging Face cache now has “tiny”")),
            JobTimeoutMs);
        QVERIFY2(notice->text().contains(QStringLiteral("hard link")), qPrintable(notice->text()));
        QVERIFY2(notice->text().contains(QStringLiteral("1.00 MiB not copied")),
                 qPrintable(notice->text()));
        const QDir snapshots(
            m_apps.filePath(QStringLiteral("hf/models--modelfloat--tiny/snapshots")));
        const QStringList commits = snapshots.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(commits.size(), 1);
        const QString inApp = snapshots.filePath(commits.first() + QStringLiteral("/weights.bin"));
        QCOMPARE(opensslSha256Hex(inApp), opensslSha256Hex(file));
        const QString cache = MaterializedCache::defaultRoot(m_engine->vaultDirectory());
        const QString cached = cache + QStringLiteral("/models--modelfloat--tiny/snapshots/") +
                               commits.first() + QStringLiteral("/weights.bin");
        QVERIFY(inodeOf(cached) != 0);
        QCOMPARE(inodeOf(inApp), inodeOf(cached));

        // The details pane: where it is in use and what that saved, with a button to undo it.
        AppUsesBox* box = browser->details()->appUses();
        QTRY_VERIFY_WITH_TIMEOUT(box->isVisible(), JobTimeoutMs);
        QVERIFY2(box->text().contains(QStringLiteral("Hugging Face cache: modelfloat/tiny")),
                 qPrintable(box->text()));
        QVERIFY2(box->text().contains(QStringLiteral("saved 1.00 MiB")), qPrintable(box->text()));

        // Removing the model from the vault is refused at once, naming the app.
        browser->removeAction()->trigger();
        QMessageBox* question = browser->pendingQuestion();
        QVERIFY(question);
        QVERIFY2(question->text().contains(QStringLiteral("in use by Hugging Face cache")),
                 qPrintable(question->text()));
        QVERIFY(
            question->informativeText().contains(QStringLiteral("Remove from Hugging Face cache")));
        question->button(QMessageBox::Ok)->click();
        QTRY_VERIFY(!browser->pendingQuestion());
        QCOMPARE(browser->model()->rowCount(), 1);

        // "Remove from Hugging Face cache" takes out what was written, and only that.
        QPushButton* remove = nullptr;
        for (QPushButton* b : box->findChildren<QPushButton*>())
            if (b->text() == QLatin1String("Remove from Hugging Face cache"))
                remove = b;
        QVERIFY(remove);
        remove->click();
        QTRY_VERIFY_WITH_TIMEOUT(notice->text() ==
                                     QStringLiteral("Took “tiny” out of Hugging Face cache"),
                                 JobTimeoutMs);
        QVERIFY(!QFileInfo::exists(inApp));
        QVERIFY(QFileInfo::exists(cached));
        QTRY_VERIFY_WITH_TIMEOUT(!box->isVisible(), JobTimeoutMs);
    }
    // Issue 37: the look-up's list replaces the one line the dialog opened with; the dialog grows
    // to show it all instead of keeping its first size (the message clipped), and it is wide
    // enough for its title ("Free disk us… apps' copies" otherwise).
    void freeCopiesDialogGrowsForItsList()
    {
        QVERIFY(openWindow());
        const QString file =
            floatNewFileAndSelect(QStringLiteral("in/grow.gguf"), 25, QStringLiteral("grow"));
        QVERIFY(!file.isEmpty());
        const QString ollama = m_apps.filePath(QStringLiteral("ollama"));
        QFile input(file);
        QVERIFY(input.open(QIODevice::ReadOnly));
        QVERIFY(putInOllama(ollama, QStringLiteral("grow"), input.readAll()));
        const QString lms =
            m_apps.filePath(QStringLiteral("home/.lmstudio/models/publisher/grow-GGUF/grow.gguf"));
        QVERIFY(QDir().mkpath(QFileInfo(lms).path()));
        QVERIFY(QFile::copy(file, lms));

        FreeCopiesDialog* dialog = m_window->browser()->findChild<FreeCopiesDialog*>();
        QVERIFY(!dialog);
        actionNamed(m_window->browser()->useInMenu(),
                    QStringLiteral("&Free disk used by the apps' copies…"))
            ->trigger();
        dialog = m_window->browser()->findChild<FreeCopiesDialog*>();
        QVERIFY(dialog);
        // Listening before any event is handled: waiting for the window first let a quick
        // look-up end unheard on a loaded machine.
        QSignalSpy looked(dialog, &FreeCopiesDialog::looked);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        QVERIFY(looked.count() > 0 || looked.wait(JobTimeoutMs));
        QCOMPARE(looked.first().first().toInt(), 2);
        QTest::qWait(50); // let the layout settle

        QLabel* message = dialog->message();
        const int needs = message->heightForWidth(message->width());
        QVERIFY2(message->height() >= needs,
                 qPrintable(QStringLiteral("the message is %1 px high, needs %2")
                                .arg(message->height())
                                .arg(needs)));
        QVERIFY2(dialog->rect().contains(message->geometry()),
                 "the message reaches outside the dialog");
        const int title = titleWidth(*dialog);
        QVERIFY2(dialog->width() >= title + 4 * dialog->fontMetrics().height(),
                 qPrintable(QStringLiteral("the dialog is %1 px wide, its title %2 px")
                                .arg(dialog->width())
                                .arg(title)));
        dialog->close();
        QDir(ollama).removeRecursively();
        QDir(m_apps.filePath(QStringLiteral("home/.lmstudio"))).removeRecursively();
    }

    // Issue 37: "Its &models folder:" showed its '&' (a form row given a layout gets a label with
    // no buddy), and the dialog was so narrow that the name and the folder were both scrolled.
    void useAsDialogShowsItsLabelsAndPathsWhole()
    {
        AppUseDialog dialog(nullptr, 1, QStringLiteral("Llama-3.2-1B-Instruct-Q4_K_M"));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(labelsShowingAmpersand(dialog), QStringList());
        QVERIFY2(dialog.width() >= titleWidth(dialog) + 4 * dialog.fontMetrics().height(),
                 qPrintable(QStringLiteral("the dialog is %1 px wide, its title %2 px")
                                .arg(dialog.width())
                                .arg(titleWidth(dialog))));
        for (const QString& app : {QStringLiteral("Ollama"), QStringLiteral("LM Studio")}) {
            dialog.app()->setCurrentIndex(dialog.app()->findText(app));
            QTest::qWait(50); // let the layout settle
            QVERIFY2(showsWhole(*dialog.folder()),
                     qPrintable(app + QStringLiteral(": “%1” in a %2 px box")
                                          .arg(dialog.folder()->text())
                                          .arg(dialog.folder()->width())));
            QVERIFY2(showsWhole(*dialog.name()),
                     qPrintable(app + QStringLiteral(": “%1” in a %2 px box")
                                          .arg(dialog.name()->text())
                                          .arg(dialog.name()->width())));
        }
        // The folder's label gives its mnemonic to the folder.
        bool folderLabelled = false;
        for (QLabel* label : dialog.findChildren<QLabel*>())
            folderLabelled = folderLabelled || label->buddy() == dialog.folder();
        QVERIFY(folderLabelled);
    }

    // "In an app as…": Ollama's name and the app's folder, prefilled with what `use` takes by
    // default, passed on as --as and --root.
    void useInOllamaAsANameInAFolderOfOnesOwn()
    {
        QVERIFY(openWindow());
        const QString file =
            floatNewFileAndSelect(QStringLiteral("in/tiny.gguf"), 23, QStringLiteral("Tiny"));
        QVERIFY(!file.isEmpty());
        ModelBrowser* browser = m_window->browser();
        actionNamed(browser->useInMenu(), QStringLiteral("In an app &as…"))->trigger();
        AppUseDialog* dialog = browser->findChild<AppUseDialog*>();
        QVERIFY(dialog);
        QCOMPARE(dialog->name()->text(), QStringLiteral("tiny:latest"));
        QCOMPARE(dialog->folder()->text(), m_apps.filePath(QStringLiteral("ollama")));
        dialog->app()->setCurrentIndex(dialog->app()->findText(QStringLiteral("LM Studio")));
        QVERIFY(!dialog->name()->isEnabled());
        QCOMPARE(dialog->folder()->text(),
                 m_apps.filePath(QStringLiteral("home/.lmstudio/models")));
        dialog->app()->setCurrentIndex(dialog->app()->findText(QStringLiteral("Ollama")));
        QVERIFY(dialog->name()->isEnabled());
        const QString folder = m_apps.filePath(QStringLiteral("elsewhere/ollama"));
        dialog->name()->setText(QStringLiteral("mine:v1"));
        dialog->folder()->setText(folder);
        buttonNamed(dialog, QStringLiteral("&Use"))->click();

        QLabel* notice = browser->appUseNotice();
        QTRY_VERIFY_WITH_TIMEOUT(notice->text().startsWith(QStringLiteral("Ollama now has")),
                                 JobTimeoutMs);
        QVERIFY2(notice->text().contains(QStringLiteral("as mine:v1")), qPrintable(notice->text()));
        QVERIFY(QFileInfo::exists(folder +
                                  QStringLiteral("/manifests/registry.ollama.ai/library/mine/v1")));
        QCOMPARE(opensslSha256Hex(folder + QStringLiteral("/blobs/sha256-") +
                                  QString::fromLatin1(opensslSha256Hex(file))),
                 opensslSha256Hex(file));
        QVERIFY(!QFileInfo::exists(m_apps.filePath(QStringLiteral("ollama/manifests"))));
    }

    // "Free disk used by the apps' copies…" of the model menu: the copies Ollama and LM Studio
    // keep are listed; refused until the model is verified (nothing touched); once verified the
    // app offers it by itself, and "Keep it floating only…" asks, naming the apps and the bytes,
    // then removes them.
    void freeTheAppsCopiesFromTheModelMenu()
    {
        QVERIFY(openWindow());
        const QString file =
            floatNewFileAndSelect(QStringLiteral("in/dup.gguf"), 24, QStringLiteral("dup"));
        QVERIFY(!file.isEmpty());
        const QString ollama = m_apps.filePath(QStringLiteral("ollama"));
        QFile input(file);
        QVERIFY(input.open(QIODevice::ReadOnly));
        QVERIFY(putInOllama(ollama, QStringLiteral("dup"), input.readAll()));
        const QString blob =
            ollama + QStringLiteral("/blobs/sha256-") + QString::fromLatin1(opensslSha256Hex(file));
        const QString lms =
            m_apps.filePath(QStringLiteral("home/.lmstudio/models/pub/dup-GGUF/dup.gguf"));
        QVERIFY(QDir().mkpath(QFileInfo(lms).path()));
        QVERIFY(QFile::copy(file, lms));
        const ino_t before = inodeOf(blob);

        ModelBrowser* browser = m_window->browser();
        QAction* free = actionNamed(browser->useInMenu(),
                                    QStringLiteral("&Free disk used by the apps' copies…"));
        QVERIFY(free);
        free->trigger();
        FreeCopiesDialog* dialog = browser->findChild<FreeCopiesDialog*>();
        QVERIFY(dialog);
        QSignalSpy looked(dialog, &FreeCopiesDialog::looked);
        QVERIFY(looked.wait(JobTimeoutMs));
        QCOMPARE(looked.first().first().toInt(), 2);
        const QString listed = dialog->message()->text();
        QVERIFY2(listed.contains(QStringLiteral("2 copies")) &&
                     listed.contains(QStringLiteral("Ollama (dup:latest)")) &&
                     listed.contains(QStringLiteral("LM Studio (pub/dup-GGUF/dup.gguf)")),
                 qPrintable(listed));
        QCOMPARE(dialog->replaceButton()->text(),
                 QStringLiteral("Free 1.00 MiB used by duplicate copies"));
        dialog->replaceButton()->click();
        QLabel* notice = browser->appUseNotice();
        QTRY_VERIFY_WITH_TIMEOUT(notice->text().contains(QStringLiteral("every copy verified")),
                                 JobTimeoutMs);
        QCOMPARE(inodeOf(blob), before);
        QVERIFY(QFileInfo::exists(lms));

        // Verified: the offer comes by itself.
        AppStoreOffer* offer = browser->storeOffer();
        m_engine->verifyModel(browser->model()->modelId(0));
        QTRY_VERIFY_WITH_TIMEOUT(offer->replaceButtons()->isVisibleTo(offer), JobTimeoutMs);
        QVERIFY2(offer->replaceMessage()->text().contains(QStringLiteral("“dup” is floated")),
                 qPrintable(offer->replaceMessage()->text()));

        free->trigger();
        dialog = browser->findChild<FreeCopiesDialog*>();
        QVERIFY(dialog);
        QSignalSpy lookedAgain(dialog, &FreeCopiesDialog::looked);
        QVERIFY(lookedAgain.wait(JobTimeoutMs));
        dialog->floatingOnlyButton()->click();
        QMessageBox* question = dialog->question();
        QVERIFY(question);
        QCOMPARE(question->text(), QStringLiteral("Remove “dup” from Ollama, LM Studio?"));
        QVERIFY2(question->informativeText().contains(QStringLiteral("will no longer have it")) &&
                     question->informativeText().contains(QStringLiteral("frees 2.00 MiB")),
                 qPrintable(question->informativeText()));
        buttonNamed(question, QStringLiteral("Remove from the apps"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(notice->text().startsWith(QStringLiteral("Removed 2 copies")),
                                 JobTimeoutMs);
        QVERIFY2(
            notice->text().contains(QStringLiteral("2.00 MiB freed")) &&
                notice->text().contains(QStringLiteral("Ollama, LM Studio no longer have “dup”")),
            qPrintable(notice->text()));
        QVERIFY(!QFileInfo::exists(blob));
        QVERIFY(!QFileInfo::exists(lms));
        QVERIFY(!QFileInfo::exists(
            ollama + QStringLiteral("/manifests/registry.ollama.ai/library/dup/latest")));
        QDir(ollama).removeRecursively();
    }
};

QTEST_MAIN(TestUiAppUse)
#include "tst_ui_appuse.moc"
