// Issue 38's first-run offer: when the app opens a vault, the models Ollama and LM Studio keep
// that the vault does not hold yet are offered in a banner on the Models page; choosing floats
// them as `float --from` does, a vault that holds them offers nothing, and "Not now" is
// remembered. Offscreen, on a real Engine and vault; the apps' stores are laid out in a
// temporary home as the apps write them (docs/appstores.md).
#include "appstorefixtures.h"
#include "appstoreoffer.h"
#include "chunking/sha256.h"
#include "engine/engine.h"
#include "hub/appuses.h"
#include "mainwindow.h"
#include "modelbrowser.h"
#include "modellistmodel.h"
#include "testsupport.h"
#include "testvault.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

class TestUiStoreOffer : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;
    QString m_ollamaBlob;
    QString m_hfBlob;
    std::unique_ptr<TestVault> m_tv;
    QString m_vaultDir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<MainWindow> m_window;

    AppStoreOffer* offer() const { return m_window->browser()->storeOffer(); }

    // A window on the vault, made before open() as the app does; waits for the offer's scan
    // when one is made.
    bool openWindow(QSignalSpy** scanned = nullptr)
    {
        m_engine = std::make_unique<Engine>();
        m_window = std::make_unique<MainWindow>(m_engine.get());
        m_window->resize(1100, 750);
        m_window->show();
        static std::unique_ptr<QSignalSpy> spy;
        spy = std::make_unique<QSignalSpy>(offer(), &AppStoreOffer::scanned);
        if (scanned)
            *scanned = spy.get();
        QSignalSpy opened(m_engine.get(), &Engine::opened);
        m_engine->open(m_vaultDir);
        if (!opened.wait(JobTimeoutMs) || !opened.first().first().toString().isEmpty())
            return false;
        return QTest::qWaitFor([&] { return m_window->reader() != nullptr; }, JobTimeoutMs);
    }

    void closeWindow()
    {
        m_window.reset();
        m_engine.reset();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_storeoffer"));
        QVERIFY(m_home.isValid());
        // The apps' stores as the scan finds them: Ollama's by its variable, LM Studio's under
        // the home; the others empty.
        qputenv("HOME", QFile::encodeName(m_home.path()));
        qputenv("OLLAMA_MODELS", QFile::encodeName(m_home.filePath(QStringLiteral("ollama"))));
        qputenv("HF_HUB_CACHE", QFile::encodeName(m_home.filePath(QStringLiteral("hf"))));
        qputenv("LLAMA_CACHE", QFile::encodeName(m_home.filePath(QStringLiteral("llama"))));
        for (const char* dir : {"ollama/blobs", "ollama/manifests/registry.ollama.ai/library/tiny",
                                ".lmstudio/models/pub/small-GGUF"})
            QVERIFY(QDir().mkpath(m_home.filePath(QLatin1String(dir))));
        const QByteArray model = pseudoRandomBytes(MiB + 3, 31);
        const QString hex = QString::fromLatin1(Sha256::hash(model).toHex());
        QVERIFY(
            putInOllama(m_home.filePath(QStringLiteral("ollama")), QStringLiteral("tiny"), model));
        QVERIFY(writePseudoRandomFile(
            m_home.filePath(QStringLiteral(".lmstudio/models/pub/small-GGUF/small.Q4_0.gguf")),
            MiB / 2, 32));
        // The same bytes again in the Hugging Face cache: a second copy on the disk.
        const QString repo = m_home.filePath(QStringLiteral("hf/models--org--tiny-GGUF"));
        const QString commit = QStringLiteral("0123456789abcdef0123456789abcdef01234567");
        QVERIFY(QDir().mkpath(repo + QStringLiteral("/blobs")));
        QVERIFY(QDir().mkpath(repo + QStringLiteral("/refs")));
        QVERIFY(QDir().mkpath(repo + QStringLiteral("/snapshots/") + commit));
        QVERIFY(writeFile(repo + QStringLiteral("/blobs/") + hex, model));
        QVERIFY(writeFile(repo + QStringLiteral("/refs/main"), commit.toLatin1()));
        QVERIFY(QFile::link(QStringLiteral("../../blobs/") + hex,
                            repo + QStringLiteral("/snapshots/") + commit +
                                QStringLiteral("/tiny.gguf")));
        m_ollamaBlob = m_home.filePath(QStringLiteral("ollama/blobs/sha256-")) + hex;
        m_hfBlob = repo + QStringLiteral("/blobs/") + hex;
    }
    void init()
    {
        QSettings().clear();
        m_tv = std::make_unique<TestVault>(1);
        QVERIFY(m_tv->ok());
        m_tv->vault->setDefaultChunker(SmallChunks);
        m_vaultDir = m_tv->vault->directory();
        m_tv->vault.reset();
    }
    void cleanup()
    {
        closeWindow();
        m_tv.reset();
    }

    void offerFloatsWhatTheAppsKeepThenOffersNothing()
    {
        QSignalSpy* scanned = nullptr;
        QVERIFY(openWindow(&scanned));
        QTRY_COMPARE_WITH_TIMEOUT(scanned->size(), 1, JobTimeoutMs);
        QCOMPARE(scanned->first().first().toInt(), 2);
        QVERIFY(offer()->isVisible());
        const QString text = offer()->message()->text();
        QVERIFY2(text.startsWith(QStringLiteral("Float 2 models found in ")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("Ollama")) &&
                     text.contains(QStringLiteral("LM Studio")),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("1.50 MiB")), qPrintable(text));

        // Choose: a small list, every model ticked; the Ollama one only.
        offer()->choose();
        QDialog* chooser = offer()->chooser();
        QVERIFY(chooser && chooser->isVisible());
        QListWidget* list = offer()->chooserList();
        QCOMPARE(list->count(), 2);
        for (int i = 0; i < list->count(); ++i)
            if (!list->item(i)->text().contains(QStringLiteral("in Ollama")))
                list->item(i)->setCheckState(Qt::Unchecked);
        for (QAbstractButton* b : chooser->findChild<QDialogButtonBox*>()->buttons())
            if (b->text() == QLatin1String("&Float"))
                b->click();

        // It floats as `float --from ollama:tiny` does: named tiny-latest, from Ollama.
        ModelListModel* model = m_window->browser()->model();
        QTRY_VERIFY_WITH_TIMEOUT(
            model->rowCount() == 1 &&
                model->index(0, 0).data(ModelListModel::HealthRole).toString() ==
                    QLatin1String("healthy"),
            JobTimeoutMs);
        const auto floated =
            m_window->reader()->registry().modelRows().modelByName(QStringLiteral("tiny-latest"));
        QVERIFY(floated);
        QVERIFY2(floated->source.startsWith(QStringLiteral("ollama:")),
                 qPrintable(floated->source));
        // What was not chosen is still offered.
        QVERIFY(offer()->isVisible());
        QVERIFY2(offer()->message()->text().startsWith(QStringLiteral("Float 1 model found in "
                                                                      "LM Studio")),
                 qPrintable(offer()->message()->text()));

        // Next start: the Ollama model is in the vault; only LM Studio's is offered.
        closeWindow();
        QVERIFY(openWindow(&scanned));
        QTRY_COMPARE_WITH_TIMEOUT(scanned->size(), 1, JobTimeoutMs);
        QCOMPARE(scanned->first().first().toInt(), 1);
        QCOMPARE(offer()->candidates().size(), 1);
        QVERIFY(offer()->candidates().first().label.endsWith(QStringLiteral("in LM Studio")));
    }

    void verifiedModelFreesTheAppsCopies()
    {
        // Issue 38: floated from Ollama, whose bytes the Hugging Face cache keeps too. Only
        // once it is floated and every copy verified, the offer: both apps' copies replaced by
        // one shared copy, which frees one copy's disk.
        QSignalSpy* scanned = nullptr;
        QVERIFY(openWindow(&scanned));
        QTRY_COMPARE_WITH_TIMEOUT(scanned->size(), 1, JobTimeoutMs);
        struct stat a
        {
        };
        struct stat b
        {
        };
        QVERIFY(::stat(QFile::encodeName(m_ollamaBlob).constData(), &a) == 0);
        QVERIFY(::stat(QFile::encodeName(m_hfBlob).constData(), &b) == 0);
        QVERIFY(a.st_ino != b.st_ino);
        offer()->choose();
        QListWidget* list = offer()->chooserList();
        for (int i = 0; i < list->count(); ++i)
            if (!list->item(i)->text().contains(QStringLiteral("tiny")))
                list->item(i)->setCheckState(Qt::Unchecked);
        for (QAbstractButton* btn : offer()->chooser()->findChild<QDialogButtonBox*>()->buttons())
            if (btn->text() == QLatin1String("&Float"))
                btn->click();
        QVERIFY(!offer()->replaceButtons()->isVisibleTo(offer()));

        // The float, then the verify the offer asks for, then the question.
        QTRY_VERIFY_WITH_TIMEOUT(offer()->replaceButtons()->isVisibleTo(offer()), JobTimeoutMs);
        const QString question = offer()->replaceMessage()->text();
        QVERIFY2(question.contains(QStringLiteral("every copy verified")) &&
                     question.contains(QStringLiteral("2 copies")) &&
                     question.contains(QStringLiteral("frees 1.00 MiB")),
                 qPrintable(question));
        const auto model =
            m_window->reader()->registry().modelRows().modelByName(QStringLiteral("tiny-latest"));
        QVERIFY(model);
        QVERIFY(m_window->reader()->registry().modelRows().files(model->id).size() == 1);

        offer()->replaceCopies();
        QTRY_VERIFY_WITH_TIMEOUT(
            offer()->replaceMessage()->text().startsWith(QStringLiteral("Replaced 2 copies")),
            JobTimeoutMs);
        QVERIFY2(offer()->replaceMessage()->text().contains(QStringLiteral("1.00 MiB freed")),
                 qPrintable(offer()->replaceMessage()->text()));
        // One file on the disk now: both apps' names and the materialized cache's.
        QVERIFY(::stat(QFile::encodeName(m_ollamaBlob).constData(), &a) == 0);
        QVERIFY(::stat(QFile::encodeName(m_hfBlob).constData(), &b) == 0);
        QCOMPARE(a.st_ino, b.st_ino);
        QCOMPARE(a.st_nlink, nlink_t(3));
        QCOMPARE(opensslSha256Hex(m_ollamaBlob), opensslSha256Hex(m_hfBlob));
        // Each replaced copy is a use of its app, as `use` records one.
        QCOMPARE(AppUses::ofVault(m_vaultDir).appsUsing(QStringLiteral("tiny-latest")),
                 QStringList({QStringLiteral("Ollama"), QStringLiteral("Hugging Face cache")}));
    }

    // Any model, floated any way: once verified, the app offers to free the apps' copies of
    // it. "Keep it floating only…" asks first, naming the app and the bytes, then removes
    // LM Studio's copy (read and matched by its SHA-256 first) and says so.
    void anyVerifiedModelOffersToKeepItFloatingOnly()
    {
        QSignalSpy* scanned = nullptr;
        QVERIFY(openWindow(&scanned));
        QTRY_COMPARE_WITH_TIMEOUT(scanned->size(), 1, JobTimeoutMs);
        const QString lms =
            m_home.filePath(QStringLiteral(".lmstudio/models/pub/small-GGUF/small.Q4_0.gguf"));
        const QString input = m_home.filePath(QStringLiteral("input/small.gguf"));
        QVERIFY(QDir().mkpath(QFileInfo(input).path()));
        QVERIFY(QFile::copy(lms, input));
        FloatRequest request;
        request.paths = {input};
        request.modelName = QStringLiteral("small");
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        m_engine->floatFiles(request);
        qint64 modelId = 0;
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(changed.cbegin(), changed.cend(),
                                             [&](const QList<QVariant>& args) {
                                                 const auto info =
                                                     args.first().value<TransferInfo>();
                                                 modelId = info.modelId;
                                                 return info.kind == TransferInfo::Kind::Float &&
                                                        info.state == TransferInfo::State::Done;
                                             }),
                                 JobTimeoutMs);
        QVERIFY(!offer()->replaceButtons()->isVisibleTo(offer()));
        m_engine->verifyModel(modelId);
        QTRY_VERIFY_WITH_TIMEOUT(offer()->replaceButtons()->isVisibleTo(offer()), JobTimeoutMs);
        QVERIFY2(offer()->replaceMessage()->text().contains(
                     QStringLiteral("LM Studio (pub/small-GGUF/small.Q4_0.gguf)")),
                 qPrintable(offer()->replaceMessage()->text()));
        // One copy: replacing it frees nothing, so only removing it is offered.
        QVERIFY(!offer()->replaceButton()->isVisibleTo(offer()));

        offer()->keepFloatingOnly();
        QMessageBox* question = offer()->question();
        QVERIFY(question);
        QCOMPARE(question->text(), QStringLiteral("Remove “small” from LM Studio?"));
        QVERIFY2(question->informativeText().contains(QStringLiteral("LM Studio will no longer "
                                                                     "have it")) &&
                     question->informativeText().contains(QStringLiteral("frees 512.0 KiB")),
                 qPrintable(question->informativeText()));
        for (QAbstractButton* b : question->buttons())
            if (b->text() == QLatin1String("Remove from the apps"))
                b->click();
        QTRY_VERIFY_WITH_TIMEOUT(offer()->replaceMessage()->text().startsWith(
                                     QStringLiteral("Removed the copy from LM Studio")),
                                 JobTimeoutMs);
        QVERIFY2(offer()->replaceMessage()->text().contains(
                     QStringLiteral("LM Studio no longer has “small”")),
                 qPrintable(offer()->replaceMessage()->text()));
        QVERIFY(!QFileInfo::exists(lms));
    }

    void notNowIsRemembered()
    {
        QSignalSpy* scanned = nullptr;
        QVERIFY(openWindow(&scanned));
        QTRY_COMPARE_WITH_TIMEOUT(scanned->size(), 1, JobTimeoutMs);
        QVERIFY(offer()->isVisible());
        QCOMPARE(offer()->scansStarted(), 1);
        offer()->dismiss();
        QVERIFY(!offer()->isVisible());
        QVERIFY(QSettings().value(QLatin1String(AppStoreOffer::DismissedKey)).toBool());

        // The next start does not scan, so it cannot nag.
        closeWindow();
        QVERIFY(openWindow(&scanned));
        QCOMPARE(offer()->scansStarted(), 0);
        QVERIFY(!offer()->isVisible());
    }
};

QTEST_MAIN(TestUiStoreOffer)
#include "tst_ui_storeoffer.moc"
