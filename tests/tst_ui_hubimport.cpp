// The "Import from Hugging Face" and "Materialize…" dialogs. The import dialog looks a repo up
// on the local hub server (tests/peers/hub-server.js, itself checked with @huggingface/hub)
// and lists its variants with their sizes; accepting hands over the choice pinned to the
// listed commit. Words in the box search the Hub as you type; offline says so at once.
#include "ggufwriter.h"
#include "hub/hubclient.h"
#include "hubimportdialog.h"
#include "hubpeer.h"
#include "hubsearchlist.h"
#include "materializedialog.h"
#include "testsupport.h"
#include "uitestsupport.h"
#include "util/units.h"

#include <QDir>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QPushButton>
#include <QRadioButton>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

class TestUiHubImport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void listsVariantsWithSizesAndImportsTheChoice();
    void explainsBadInputAndMissingRepos();
    void searchesTheHubAsYouTypeThenLooksUpTheChoice();
    void searchOfflineSaysSoAtOnce();
    void materializeOffersTheCacheOnlyForHubModels();

private:
    QTemporaryDir m_dir;
    HubPeer m_hub;
    qint64 m_q4Size = 0;
    qint64 m_q2Size = 0;
    qint64 m_smallSize = 0;
};

void TestUiHubImport::initTestCase()
{
    const QString repo = m_dir.filePath(QStringLiteral("repo"));
    QVERIFY(QDir().mkpath(repo + QStringLiteral("/Q2_K")));
    const QByteArray gguf = sampleGguf().build();
    QVERIFY(writeFile(repo + QStringLiteral("/tiny-Q4_K_M.gguf"), gguf));
    QVERIFY(writeFile(repo + QStringLiteral("/tiny-Q8_0.gguf"), gguf + gguf));
    QVERIFY(writeFile(repo + QStringLiteral("/Q2_K/tiny-Q2_K-00001-of-00002.gguf"), gguf));
    QVERIFY(
        writeFile(repo + QStringLiteral("/Q2_K/tiny-Q2_K-00002-of-00002.gguf"), gguf.left(1000)));
    const QByteArray config = R"({"architectures":["LlamaForCausalLM"]})";
    const QByteArray readme = "# tiny\n";
    QVERIFY(writeFile(repo + QStringLiteral("/config.json"), config));
    QVERIFY(writeFile(repo + QStringLiteral("/README.md"), readme));
    m_q4Size = gguf.size();
    m_q2Size = gguf.size() + 1000;
    m_smallSize = config.size() + readme.size();
    HubPeer::Repo tiny{QStringLiteral("org/tiny"), repo};
    tiny.downloads = 500;
    tiny.likes = 3;
    HubPeer::Repo chat{QStringLiteral("big/tiny-chat"), repo};
    chat.downloads = 12000;
    chat.likes = 250;
    QVERIFY2(m_hub.start({tiny, chat}), qPrintable(m_hub.errorString()));
}

void TestUiHubImport::listsVariantsWithSizesAndImportsTheChoice()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    HubClient client(&network, settings);
    HubImportDialog dialog(&client);
    QCOMPARE(labelsShowingAmpersand(dialog), QStringList());
    QVERIFY(!dialog.importButton()->isEnabled());

    QSignalSpy lookedUp(&dialog, &HubImportDialog::lookedUp);
    dialog.repoEdit()->setText(QStringLiteral("https://huggingface.co/org/tiny/tree/main"));
    QTest::mouseClick(dialog.lookUpButton(), Qt::LeftButton);
    QVERIFY(lookedUp.wait(30000));
    QVERIFY2(dialog.statusText().contains(QLatin1String("org/tiny")),
             qPrintable(dialog.statusText()));

    QTreeWidget* list = dialog.variantList();
    QHash<QString, QTreeWidgetItem*> rows;
    for (int i = 0; i < list->topLevelItemCount(); ++i)
        rows.insert(list->topLevelItem(i)->text(0), list->topLevelItem(i));
    QCOMPARE(rows.size(), 3);
    QVERIFY(rows.contains(QStringLiteral("Q4_K_M")));
    QVERIFY(rows.contains(QStringLiteral("Q8_0")));
    QVERIFY(rows.contains(QStringLiteral("Q2_K")));
    QCOMPARE(rows.value(QStringLiteral("Q2_K"))->text(2), QStringLiteral("2")); // split: 2 files
    QCOMPARE(rows.value(QStringLiteral("Q4_K_M"))->text(3), units::formatBytes(m_q4Size));
    QCOMPARE(rows.value(QStringLiteral("Q2_K"))->text(3), units::formatBytes(m_q2Size));
    QVERIFY(!dialog.importButton()->isEnabled()); // nothing chosen yet

    rows.value(QStringLiteral("Q4_K_M"))->setCheckState(0, Qt::Checked);
    rows.value(QStringLiteral("Q2_K"))->setCheckState(0, Qt::Checked);
    QVERIFY(dialog.importButton()->isEnabled());
    QVERIFY2(dialog.importButton()->text().contains(
                 units::formatBytes(m_q4Size + m_q2Size + m_smallSize)),
             qPrintable(dialog.importButton()->text()));
    dialog.nameEdit()->setText(QStringLiteral("tiny-local"));

    std::optional<HubImportDialog::Choice> chosen;
    connect(&dialog, &HubImportDialog::importRequested, this,
            [&](const HubImportDialog::Choice& c) { chosen = c; });
    QTest::mouseClick(dialog.importButton(), Qt::LeftButton);
    QVERIFY(chosen);
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(chosen->repoId, QStringLiteral("org/tiny"));
    QCOMPARE(chosen->commit.size(), 40);
    QCOMPARE(chosen->modelName, QStringLiteral("tiny-local"));
    QStringList variants = chosen->variants;
    variants.sort();
    QCOMPARE(variants, (QStringList{QStringLiteral("Q2_K"), QStringLiteral("Q4_K_M")}));
    QCOMPARE(chosen->totalBytes, m_q4Size + m_q2Size + m_smallSize);
}

void TestUiHubImport::explainsBadInputAndMissingRepos()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    HubClient client(&network, settings);
    HubImportDialog dialog(&client);
    QSignalSpy lookedUp(&dialog, &HubImportDialog::lookedUp);

    dialog.repoEdit()->setText(QStringLiteral("not a repo at all"));
    dialog.lookUp();
    QCOMPARE(lookedUp.size(), 1);
    QVERIFY(!dialog.statusText().isEmpty());
    QVERIFY(!dialog.importButton()->isEnabled());

    dialog.repoEdit()->setText(QStringLiteral("org/missing"));
    dialog.lookUp();
    QVERIFY(lookedUp.wait(30000));
    QVERIFY2(dialog.statusText().contains(QLatin1String("org/missing")),
             qPrintable(dialog.statusText()));
    QCOMPARE(dialog.variantList()->topLevelItemCount(), 0);
    QVERIFY(!dialog.importButton()->isEnabled());
}

// Words in the box search the Hub once typing pauses: the models most downloaded first, with
// their likes and quantizations; choosing one looks it up and lists its variants.
void TestUiHubImport::searchesTheHubAsYouTypeThenLooksUpTheChoice()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    HubClient client(&network, settings);
    HubImportDialog dialog(&client);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    HubSearchList* results = dialog.searchResults();
    QVERIFY(!results->isVisible());
    QSignalSpy searched(results, &HubSearchList::searched);
    QTest::keyClicks(dialog.repoEdit(), QStringLiteral("tiny"));
    QVERIFY(searched.wait(30000));
    QCOMPARE(searched.size(), 1); // one search for the word, not one per key
    QVERIFY(results->isVisible());
    QCOMPARE(results->topLevelItemCount(), 2);
    QCOMPARE(results->topLevelItem(0)->text(0), QStringLiteral("big/tiny-chat"));
    QCOMPARE(results->topLevelItem(0)->text(1), QLocale().toString(12000));
    QCOMPARE(results->topLevelItem(0)->text(2), QLocale().toString(250));
    QVERIFY2(results->topLevelItem(0)->text(3).contains(QLatin1String("Q4_K_M")),
             qPrintable(results->topLevelItem(0)->text(3)));
    QCOMPARE(results->topLevelItem(1)->text(0), QStringLiteral("org/tiny"));
    QVERIFY2(dialog.statusText().contains(QLatin1String("2 models")),
             qPrintable(dialog.statusText()));

    QSignalSpy lookedUp(&dialog, &HubImportDialog::lookedUp);
    Q_EMIT results->itemActivated(results->topLevelItem(1), 0);
    QVERIFY(lookedUp.wait(30000));
    QCOMPARE(dialog.repoEdit()->text(), QStringLiteral("org/tiny"));
    QCOMPARE(dialog.variantList()->topLevelItemCount(), 3);
    QTest::qWait(600); // longer than the typing pause: choosing did not search again
    QCOMPARE(searched.size(), 1);
}

void TestUiHubImport::searchOfflineSaysSoAtOnce()
{
    QNetworkAccessManager network;
    HubSettings settings;
    settings.endpoint = m_hub.endpoint();
    settings.offline = true;
    HubClient client(&network, settings);
    HubImportDialog dialog(&client);
    dialog.repoEdit()->setText(QStringLiteral("llama"));
    QSignalSpy searched(dialog.searchResults(), &HubSearchList::searched);
    QTest::mouseClick(dialog.lookUpButton(), Qt::LeftButton); // "Search", without waiting
    QVERIFY(searched.wait(5000));
    QVERIFY2(dialog.statusText().startsWith(QLatin1String("Offline")),
             qPrintable(dialog.statusText()));
    QCOMPARE(dialog.searchResults()->topLevelItemCount(), 0);
}

void TestUiHubImport::materializeOffersTheCacheOnlyForHubModels()
{
    {
        MaterializeDialog local(QStringLiteral("mine"), QStringLiteral("local:/home/me/x"));
        QVERIFY(!local.cacheButton()->isEnabled());
        QVERIFY(!local.materializeButton()->isEnabled()); // no destination yet
        local.destinationEdit()->setText(QStringLiteral("/tmp/out/"));
        QVERIFY(local.materializeButton()->isEnabled());
        std::optional<MaterializeDialog::Choice> chosen;
        connect(&local, &MaterializeDialog::materializeRequested, this,
                [&](const MaterializeDialog::Choice& c) { chosen = c; });
        QTest::mouseClick(local.materializeButton(), Qt::LeftButton);
        QVERIFY(chosen);
        QCOMPARE(chosen->layout, MaterializeDialog::Layout::Plain);
        QCOMPARE(chosen->destination, QStringLiteral("/tmp/out"));
        QCOMPARE(chosen->modelName, QStringLiteral("mine"));
    }
    qputenv("HF_HUB_CACHE", m_dir.filePath(QStringLiteral("hfcache")).toUtf8());
    MaterializeDialog hub(QStringLiteral("tiny"),
                          QStringLiteral("hf:org/tiny@") + QString(40, QLatin1Char('a')));
    QVERIFY(hub.cacheButton()->isEnabled());
    hub.destinationEdit()->setText(QStringLiteral("/tmp/plain"));
    hub.cacheButton()->setChecked(true);
    QCOMPARE(hub.destinationEdit()->text(), m_dir.filePath(QStringLiteral("hfcache")));
    hub.plainButton()->setChecked(true);
    QCOMPARE(hub.destinationEdit()->text(), QStringLiteral("/tmp/plain")); // kept
    hub.cacheButton()->setChecked(true);
    std::optional<MaterializeDialog::Choice> chosen;
    connect(&hub, &MaterializeDialog::materializeRequested, this,
            [&](const MaterializeDialog::Choice& c) { chosen = c; });
    QTest::mouseClick(hub.materializeButton(), Qt::LeftButton);
    QVERIFY(chosen);
    QCOMPARE(chosen->layout, MaterializeDialog::Layout::HfCache);
    QCOMPARE(chosen->destination, m_dir.filePath(QStringLiteral("hfcache")));
    qunsetenv("HF_HUB_CACHE");
}

QTEST_MAIN(TestUiHubImport)
#include "tst_ui_hubimport.moc"
