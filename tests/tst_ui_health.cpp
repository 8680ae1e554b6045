// What the app says about the health of the models, offscreen on a real Engine and vault: the
// float dialog offers the copies the vault wants on the providers that work (and one added since
// the last float), a change of the replication factor reaches the rows, a row follows its chunks
// when they are found bad and when they are stored again, and "dedup saved" in the status bar
// counts only chunks that are stored; Copy CID copies the model's CID; a Restore or Verify that
// finds a model's chunks gone because another computer removed it says so, not "lost".
#include "chunking/filedag.h"
#include "engine/engine.h"
#include "floatdialog.h"
#include "mainwindow.h"
#include "mainwindowfixture.h"
#include "modelbrowser.h"
#include "modeldetails.h"
#include "modellistmodel.h"
#include "sync/catalogcollectjob.h"
#include "sync/catalogpublishjob.h"
#include "sync/catalogsyncjob.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "util/units.h"

#include <QCheckBox>
#include <QClipboard>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

ProviderRecord provider(qint64 id, const QString& name, const QString& health = {})
{
    ProviderRecord p;
    p.id = id;
    p.name = name;
    p.kind = QStringLiteral("local");
    p.health = health;
    return p;
}

QStringList checkedNames(const FloatDialog& dialog)
{
    QStringList out;
    for (QCheckBox* box : dialog.providerBoxes())
        if (box->isChecked())
            out.append(box->text());
    return out;
}

} // namespace

class TestUiHealth : public QObject, MainWindowFixture
{
    Q_OBJECT

    QString m_input;

    // A window on an opened engine whose vault has `extraProviders` more than the embedded one
    // and asks for `replication` copies. Background sync is paused: nothing repairs behind the
    // test's back.
    bool openWindow(int extraProviders, int replication)
    {
        Options options;
        options.extraProviders = extraProviders;
        options.replication = replication;
        options.syncPaused = true;
        if (!MainWindowFixture::openWindow(options))
            return false;
        m_input = m_tv->path(QStringLiteral("in/weights.bin"));
        return QDir().mkpath(QFileInfo(m_input).path()) &&
               writePseudoRandomFile(m_input, 2 * MiB + 77, 14);
    }

    ModelListModel* model() { return m_window->browser()->model(); }

    // The health the row of model `name` shows ("" while it has no loaded row).
    QString health(const QString& name)
    {
        for (int row = 0; row < model()->rowCount(); ++row) {
            const QModelIndex index = model()->index(row, ModelListModel::NameColumn);
            if (index.data().toString() == name && model()->rowData(row)->loaded)
                return index.data(ModelListModel::HealthRole).toString();
        }
        return {};
    }
    QString replicasText(const QString& name)
    {
        for (int row = 0; row < model()->rowCount(); ++row)
            if (model()->index(row, ModelListModel::NameColumn).data().toString() == name)
                return model()->index(row, ModelListModel::ReplicasColumn).data().toString();
        return {};
    }

    // Floats the input file as `name` and waits for its transfer to end.
    bool floatModel(const QString& name, int replicas = 0)
    {
        FloatRequest r;
        r.paths = {m_input};
        r.modelName = name;
        r.replicas = replicas;
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        const qint64 id = m_engine->floatFiles(r);
        return waitForTransfer(changed, id);
    }
    static bool waitForTransfer(QSignalSpy& changed, qint64 id)
    {
        return QTest::qWaitFor(
            [&] {
                for (const QList<QVariant>& args : std::as_const(changed)) {
                    const auto info = args.first().value<TransferInfo>();
                    if (info.id == id && info.isFinished())
                        return true;
                }
                return false;
            },
            JobTimeoutMs);
    }
    bool verify(qint64 modelId)
    {
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        return waitForTransfer(changed, m_engine->verifyModel(modelId));
    }
    bool repair(qint64 modelId)
    {
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        return waitForTransfer(changed, m_engine->repairModel(modelId));
    }
    qint64 modelId(const QString& name)
    {
        const auto m = m_window->reader()->registry().modelRows().modelByName(name);
        return m ? m->id : 0;
    }
    // The chunk objects of model `name` on a provider's folder (the embedded one by default),
    // in the order of its files' chunks.
    QStringList chunkObjects(const QString& name,
                             const QString& providerName = QStringLiteral("local"))
    {
        Registry& r = m_window->reader()->registry();
        const auto local = r.providerRows().providerByName(providerName);
        QStringList out;
        for (const FileRecord& f : r.modelRows().files(modelId(name)))
            for (const FileChunk& c : r.modelRows().fileChunks(f.id)) {
                const QString path = LocalProvider::objectPath(
                    local->settings.value(QStringLiteral("path")).toString(), c.cid);
                if (!out.contains(path))
                    out.append(path);
            }
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_health"));
    }
    void init() { QSettings().clear(); }
    void cleanup() { closeWindow(); }

    void floatDialogChoosesTheProvidersThatWork()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("weights.gguf"));
        QVERIFY(writeFile(file, QByteArray(4096, 'w')));
        const auto dropped = DroppedFiles::fromPaths({file});
        // A fresh vault: one provider, so one copy wanted.
        {
            FloatDialog first(dropped, {provider(1, QStringLiteral("local"), QStringLiteral("ok"))},
                              RedundancyScheme::makeCopies(1), {});
            QCOMPARE(first.replicasBox()->value(), 1);
            QCOMPARE(checkedNames(first), QStringList{QStringLiteral("local")});
            first.accept();
            QCOMPARE(first.result(), int(QDialog::Accepted));
        }
        // A second provider since: it is chosen, and the dialog offers the 2 copies the vault
        // now wants rather than the 1 of the last float.
        const QList<ProviderRecord> two = {
            provider(1, QStringLiteral("local"), QStringLiteral("ok")),
            provider(2, QStringLiteral("nas"), QStringLiteral("unknown"))};
        {
            FloatDialog second(dropped, two, RedundancyScheme::makeCopies(2), {});
            QCOMPARE(checkedNames(second),
                     (QStringList{QStringLiteral("local"), QStringLiteral("nas")}));
            QCOMPARE(second.replicasBox()->value(), 2);
            QCOMPARE(second.request().providerIds, (QList<qint64>{1, 2}));
            second.accept();
            QCOMPARE(second.result(), int(QDialog::Accepted));
        }
        // The NAS fails its check: it is shown as such and not chosen, though it was last time.
        // Its health is what a failed test records: "error: " and the cause.
        {
            FloatDialog broken(
                dropped,
                {provider(1, QStringLiteral("local"), QStringLiteral("ok")),
                 provider(2, QStringLiteral("nas"),
                          ProviderRecord::healthAfterTest(QStringLiteral("connection refused")))},
                RedundancyScheme::makeCopies(2), {});
            QCOMPARE(checkedNames(broken), QStringList{QStringLiteral("local")});
            QVERIFY2(broken.providerBoxes().at(1)->text().contains(QStringLiteral("failed")),
                     qPrintable(broken.providerBoxes().at(1)->text()));
            QVERIFY2(broken.providerBoxes().at(1)->toolTip().contains(
                         QStringLiteral("connection refused")),
                     qPrintable(broken.providerBoxes().at(1)->toolTip()));
            QCOMPARE(broken.replicasBox()->value(), 1); // no more than the providers chosen
            broken.accept();
            QCOMPARE(broken.result(), int(QDialog::Accepted));
        }
        // It works again: chosen again (leaving it out was not the user's choice).
        {
            FloatDialog back(dropped, two, RedundancyScheme::makeCopies(2), {});
            QCOMPARE(checkedNames(back),
                     (QStringList{QStringLiteral("local"), QStringLiteral("nas")}));
            // What the user leaves out stays left out.
            back.providerBoxes().at(1)->setChecked(false);
            back.replicasBox()->setValue(1);
            back.accept();
            QCOMPARE(back.result(), int(QDialog::Accepted));
        }
        FloatDialog next(dropped, two, RedundancyScheme::makeCopies(2), {});
        QCOMPARE(checkedNames(next), QStringList{QStringLiteral("local")});
        QCOMPARE(next.replicasBox()->value(), 1);
    }

    void freshVaultIsHealthy()
    {
        // As a new vault is made: the embedded provider only, and 2 copies asked for.
        QVERIFY(openWindow(0, 2));
        QVERIFY(floatModel(QStringLiteral("one")));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("one")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY(
            replicasText(QStringLiteral("one")).startsWith(QStringLiteral("1 of 1 · healthy · ")));
    }

    void replicationChangeReachesTheRows()
    {
        QVERIFY(openWindow(1, 2));
        // One copy of two wanted: short of copies.
        QVERIFY(floatModel(QStringLiteral("once"), 1));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("once")), QStringLiteral("degraded"),
                                  JobTimeoutMs);
        // The vault wants one copy now: the model has what it wants.
        m_engine->setRedundancy(RedundancyScheme::makeCopies(1));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("once")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY(
            replicasText(QStringLiteral("once")).startsWith(QStringLiteral("1 of 1 · healthy · ")));
        // And two again: short again.
        m_engine->setRedundancy(RedundancyScheme::makeCopies(2));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("once")), QStringLiteral("degraded"),
                                  JobTimeoutMs);
    }

    void rowFollowsItsChunksAfterRepair()
    {
        QVERIFY(openWindow(0, 1));
        QVERIFY(floatModel(QStringLiteral("a")));
        QVERIFY(floatModel(QStringLiteral("b"))); // the same chunks
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("a")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("b")), QStringLiteral("healthy"),
                                  JobTimeoutMs);

        // A chunk's one copy goes away (a disk unmounted, a file moved); verify finds it gone.
        const QString victim = chunkObjects(QStringLiteral("a")).first();
        const QString aside = victim + QStringLiteral(".aside");
        QVERIFY(QFile::rename(victim, aside));
        QVERIFY(verify(modelId(QStringLiteral("a"))));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("a")), QStringLiteral("damaged"),
                                  JobTimeoutMs);
        // The other model uses that chunk too.
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("b")), QStringLiteral("damaged"),
                                  JobTimeoutMs);
        QTRY_VERIFY(m_window->statusText().contains(QStringLiteral("1 bad copy")));

        // It is back, and a repair of the one model finds it: both rows say so, no restart.
        QVERIFY(QFile::rename(aside, victim));
        QVERIFY(repair(modelId(QStringLiteral("a"))));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("a")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("b")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QTRY_VERIFY(!m_window->statusText().contains(QStringLiteral("bad cop")));
    }

    void repairNowLooksAndSaysWhen()
    {
        // Issue 37, item 1: one chunk deleted from both providers and another from one, behind
        // the registry's back. "Repair now" looks before it speaks: the row says the model is
        // damaged (not "2 of 2 · healthy"), and how fresh that is.
        QVERIFY(openWindow(1, 2));
        QVERIFY(floatModel(QStringLiteral("m")));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("m")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY2(replicasText(QStringLiteral("m"))
                     .startsWith(QStringLiteral("2 of 2 · healthy · checked ")),
                 qPrintable(replicasText(QStringLiteral("m"))));
        const QStringList local = chunkObjects(QStringLiteral("m"));
        const QStringList extra = chunkObjects(QStringLiteral("m"), QStringLiteral("extra1"));
        QVERIFY(local.size() >= 3);
        QVERIFY(QFile::remove(local.at(0)));
        QVERIFY(QFile::remove(extra.at(0)));
        QVERIFY(QFile::remove(extra.at(1)));

        QVERIFY(repair(modelId(QStringLiteral("m"))));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("m")), QStringLiteral("damaged"),
                                  JobTimeoutMs);
        // The copy it could make, it made.
        QVERIFY(QFile::exists(extra.at(1)));
        QVERIFY2(
            replicasText(QStringLiteral("m")).contains(QStringLiteral(" · damaged · checked ")),
            qPrintable(replicasText(QStringLiteral("m"))));
        // The details say it in words.
        m_window->browser()->selectModel(modelId(QStringLiteral("m")));
        QTRY_VERIFY(m_window->browser()->details()->summaryText().contains(
            QStringLiteral("Health checked ")));
    }

    void rowFollowsAChunkStoredAgain()
    {
        QVERIFY(openWindow(0, 1));
        QVERIFY(floatModel(QStringLiteral("a")));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("a")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY(QFile::remove(chunkObjects(QStringLiteral("a")).first()));
        QVERIFY(verify(modelId(QStringLiteral("a"))));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("a")), QStringLiteral("damaged"),
                                  JobTimeoutMs);

        // Floating the same file again stores the lost chunk again: "a" can be rebuilt.
        QVERIFY(floatModel(QStringLiteral("again")));
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("again")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(health(QStringLiteral("a")), QStringLiteral("healthy"),
                                  JobTimeoutMs);
    }

    void dedupSavedCountsStoredChunksOnly()
    {
        QVERIFY(openWindow(0, 1));
        QVERIFY(floatModel(QStringLiteral("a")));
        QVERIFY(floatModel(QStringLiteral("b")));
        const QString saved =
            QStringLiteral("dedup saved %1").arg(units::formatBytes(QFileInfo(m_input).size()));
        QTRY_VERIFY2(m_window->statusText().contains(saved), qPrintable(m_window->statusText()));

        // Every chunk is lost: nothing is kept once instead of twice any more.
        for (const QString& object : chunkObjects(QStringLiteral("a")))
            QVERIFY(QFile::remove(object));
        QVERIFY(verify(modelId(QStringLiteral("a"))));
        QTRY_VERIFY2(m_window->statusText().contains(QStringLiteral("bad cop")),
                     qPrintable(m_window->statusText()));
        QVERIFY2(!m_window->statusText().contains(QStringLiteral("dedup saved")),
                 qPrintable(m_window->statusText()));
    }

    // Copy CID (Ctrl+C on the Models page) puts the selected model's IPFS CID on the
    // clipboard: the one its files give (docs/cids.md), as `modelfloat-cli cid` computes it.
    void copyCidCopiesTheModelsCid()
    {
        QVERIFY(openWindow(0, 1));
        QVERIFY(floatModel(QStringLiteral("shared")));
        QTRY_VERIFY(model()->rowOf(modelId(QStringLiteral("shared"))) >= 0);
        ModelBrowser* browser = m_window->browser();
        const QModelIndex source = model()->index(model()->rowOf(modelId(QStringLiteral("shared"))),
                                                  ModelListModel::NameColumn);
        const auto* proxy = qobject_cast<const QSortFilterProxyModel*>(browser->view()->model());
        QVERIFY(proxy);
        browser->view()->selectionModel()->select(proxy->mapFromSource(source),
                                                  QItemSelectionModel::ClearAndSelect |
                                                      QItemSelectionModel::Rows);
        QTRY_VERIFY(browser->copyCidAction()->isEnabled());
        QApplication::clipboard()->clear();
        browser->copyCidAction()->trigger();

        QString error;
        const auto file = fileDagOf(m_input, SmallChunks, &error);
        QVERIFY2(file, qPrintable(error));
        const unixfs::Node expected =
            unixfs::modelDag({{QFileInfo(m_input).fileName(), *file}}, &error);
        QCOMPARE(QApplication::clipboard()->text(), unixfs::toText(expected.cid));
    }

    void removedElsewhereIsSaid()
    {
        // Issue 34, item 4, in the app: computers A and B share two folders; B has taken in
        // A's models "r" and "v"; A removes one, which frees its chunks there. B's Restore (of
        // "r") and Verify (of "v", after A removed it too) find the chunks gone, pull the
        // catalog on the engine's thread, and end saying the model was removed on another
        // computer, naming the vault, instead of "lost".
        TestVault a;
        auto b = std::make_unique<TestVault>();
        QVERIFY(a.ok() && b->ok());
        const QStringList roots{a.path(QStringLiteral("one")), a.path(QStringLiteral("two"))};
        QVERIFY(useSharedFolders(a, roots) && useSharedFolders(*b, roots));
        QVERIFY(shareCatalogKey(a.vault.get(), b->vault.get()));
        // A's removals free the chunks at once (the grace period is tst_catalogcollect's).
        QVERIFY(a.registry().settings().setSetting(CatalogCollectJob::GraceSetting,
                                                   QStringLiteral("0")));
        for (const char* name : {"r", "v"}) {
            const QString src = a.path(QLatin1String(name) + QStringLiteral(".bin"));
            QVERIFY(writePseudoRandomFile(src, 700 * 1024, qHash(QLatin1String(name))));
            FloatJob::Request req;
            req.paths = {src};
            req.modelName = QLatin1String(name);
            req.options.chunker = SmallChunks;
            req.options.replication = 2;
            FloatJob job(a.vault.get(), req);
            QVERIFY(run(job) && job.error().ok());
        }
        {
            CatalogPublishJob publish(a.vault.get());
            QVERIFY(run(publish) && publish.error().ok());
            CatalogSyncJob sync(b->vault.get());
            QVERIFY(run(sync) && sync.error().ok());
        }
        const auto r = b->registry().modelRows().modelByName(QStringLiteral("r"));
        const auto v = b->registry().modelRows().modelByName(QStringLiteral("v"));
        QVERIFY(r && v);
        const QString dir = b->vault->directory();
        b->vault.reset();
        const auto removeOnA = [&a](const QString& name) {
            CatalogCollectJob job(a.vault.get(), name);
            return run(job) && job.error().ok();
        };
        QVERIFY(removeOnA(QStringLiteral("r")));
        const QString vaultA = a.vault->id().left(8);

        m_engine = std::make_unique<Engine>();
        m_engine->setSyncPaused(true);
        QSignalSpy opened(m_engine.get(), &Engine::opened);
        m_engine->open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QCOMPARE(opened.first().first().toString(), QString());

        const auto ended = [this](qint64 id) {
            QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
            TransferInfo last;
            (void)QTest::qWaitFor(
                [&] {
                    for (const QList<QVariant>& args : std::as_const(changed)) {
                        const auto info = args.first().value<TransferInfo>();
                        if (info.id == id && info.isFinished())
                            last = info;
                    }
                    return last.id == id;
                },
                JobTimeoutMs);
            return last;
        };
        const QString out = b->path(QStringLiteral("out"));
        const TransferInfo restored = ended(m_engine->restoreModel(r->id, out));
        QCOMPARE(restored.state, TransferInfo::State::Failed);
        QVERIFY2(restored.error.contains(QStringLiteral("“r” was removed on another computer")) &&
                     restored.error.contains(vaultA) &&
                     !restored.error.contains(QStringLiteral("lost")),
                 qPrintable(restored.error));

        QVERIFY(removeOnA(QStringLiteral("v")));
        const TransferInfo verified = ended(m_engine->verifyModel(v->id));
        QVERIFY2(verified.error.contains(QStringLiteral("“v” was removed on another computer")) &&
                     !verified.error.contains(QStringLiteral("lost")),
                 qPrintable(verified.error));
    }
};

QTEST_MAIN(TestUiHealth)
#include "tst_ui_health.moc"
