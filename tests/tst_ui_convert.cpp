// "Change redundancy…" on the Models page (issue 41), offscreen on a real Engine and a vault of
// three local-folder providers: a model floated as copies 2 becomes shards 2+1 from its menu and
// back, through the queue (a transfer of its own, titled and summed up in words), each time
// healthy and restored bit-exact, and (on four) from shards 3+1 to 2+1 in one step, as offered
// when one of the four is being removed; a choice the
// providers cannot hold, another number of copies, or the scheme the model has already, is said in
// the dialog in `modelfloat-cli convert`'s words and cannot be made; a provider that cannot take
// the shards fails it as "not converted yet", and a retry once it is back ends it; a repair of the
// model waits for its conversion; the request reads back from the queue's row.
#include "convertdialog.h"
#include "engine/engine.h"
#include "mainwindow.h"
#include "mainwindowfixture.h"
#include "modelbrowser.h"
#include "modeldetails.h"
#include "modellistmodel.h"
#include "redundancybox.h"
#include "requests/transferrequest.h"
#include "testsupport.h"
#include "transfer/transferrows.h"
#include "vaultreader.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

class TestUiConvert : public QObject, MainWindowFixture
{
    Q_OBJECT

    QString m_input;
    int m_restores = 0;

private:
    bool openWindow(int providers = 3)
    {
        Options options;
        options.extraProviders = providers - 1;
        options.replication = 2;
        options.syncPaused = true; // nothing repairs behind the test's back
        if (!MainWindowFixture::openWindow(options))
            return false;
        m_input = m_tv->path(QStringLiteral("in/weights.bin"));
        return QDir().mkpath(QFileInfo(m_input).path()) &&
               writePseudoRandomFile(m_input, 2 * MiB + 77, 41);
    }

    // The transfer `id`'s last state, once it has finished (its TransferInfo).
    static std::optional<TransferInfo> finished(QSignalSpy& changed, qint64 id)
    {
        std::optional<TransferInfo> out;
        const bool ended = QTest::qWaitFor(
            [&] {
                for (const QList<QVariant>& args : std::as_const(changed)) {
                    const auto info = args.first().value<TransferInfo>();
                    if (info.id == id && info.isFinished())
                        out = info;
                }
                return out.has_value();
            },
            JobTimeoutMs);
        return ended ? out : std::nullopt;
    }

    qint64 floatInput(const QString& name)
    {
        FloatRequest r;
        r.paths = {m_input};
        r.modelName = name;
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        const qint64 id = m_engine->floatFiles(r);
        const auto done = finished(changed, id);
        if (!done || done->state != TransferInfo::State::Done)
            return 0;
        const auto m = m_window->reader()->registry().modelRows().modelByName(name);
        return m ? m->id : 0;
    }

    // The model selected, its "Change redundancy…" triggered: the dialog it opens.
    ConvertDialog* openDialog(qint64 modelId)
    {
        ModelBrowser* browser = m_window->browser();
        // The row comes in once the engine says the model changed.
        if (!QTest::qWaitFor([&] { return browser->model()->rowOf(modelId) >= 0; }, JobTimeoutMs))
            return nullptr;
        browser->selectModel(modelId);
        if (!browser->convertAction()->isEnabled())
            return nullptr;
        browser->convertAction()->trigger();
        ConvertDialog* dialog = nullptr;
        const bool shown = QTest::qWaitFor(
            [&] {
                dialog = browser->findChild<ConvertDialog*>();
                return dialog && dialog->isVisible();
            },
            JobTimeoutMs);
        return shown ? dialog : nullptr;
    }

    QString scheme(qint64 modelId)
    {
        return m_window->reader()->registry().shardRows().modelRedundancy(modelId);
    }

    // Accepts the dialog; the conversion it queued, once finished.
    std::optional<TransferInfo> convert(ConvertDialog* dialog)
    {
        QSignalSpy added(m_engine.get(), &Engine::transferAdded);
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        QTest::mouseClick(dialog->convertButton(), Qt::LeftButton);
        if (!QTest::qWaitFor([&] { return !added.isEmpty(); }, JobTimeoutMs))
            return std::nullopt;
        const auto info = added.first().first().value<TransferInfo>();
        if (info.kind != TransferInfo::Kind::Convert)
            return std::nullopt;
        return finished(changed, info.id);
    }

    bool restoresBitExact(qint64 modelId)
    {
        const QString out = m_tv->path(QStringLiteral("out-%1").arg(++m_restores));
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        const auto done = finished(changed, m_engine->restoreModel(modelId, out));
        return done && done->state == TransferInfo::State::Done &&
               opensslSha256Hex(out + QStringLiteral("/weights.bin")) == opensslSha256Hex(m_input);
    }

    // A transfer's end in words, for a failed check: its error and warnings.
    static QByteArray ended(const TransferInfo& t)
    {
        return (t.error + QLatin1Char('|') + t.warnings.join(u'|')).toUtf8();
    }

    // Four providers, and "m" floated as copies 2, then stored as shards 3+1 (what the dialog
    // offers first there) through the dialog and the queue.
    void floatAsThreePlusOneOnFour(qint64* id)
    {
        QVERIFY(openWindow(4));
        *id = floatInput(QStringLiteral("m"));
        QVERIFY(*id);
        ConvertDialog* dialog = openDialog(*id);
        QVERIFY(dialog);
        QCOMPARE(dialog->choice()->scheme().toString(), QStringLiteral("shards 3+1"));
        const auto toShards = convert(dialog);
        QVERIFY(toShards);
        QVERIFY2(toShards->state == TransferInfo::State::Done, ended(*toShards).constData());
        QCOMPARE(scheme(*id), QStringLiteral("shards 3+1"));
    }

private Q_SLOTS:
    void cleanup() { closeWindow(); }

    void aModelBecomesShardsAndBackFromItsMenu()
    {
        QVERIFY(openWindow());
        const qint64 id = floatInput(QStringLiteral("m"));
        QVERIFY(id);
        QCOMPARE(scheme(id), QStringLiteral("copies 2"));

        // Copies first: shards are offered, as many as three providers hold with one lost.
        ConvertDialog* dialog = openDialog(id);
        QVERIFY(dialog);
        QCOMPARE(dialog->choice()->scheme().toString(), QStringLiteral("shards 2+1"));
        // About this model, not the vault's new ones.
        QVERIFY2(!dialog->choice()->description().contains(QStringLiteral("New models")),
                 qPrintable(dialog->choice()->description()));
        QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("convertNow"))
                    ->text()
                    .contains(QStringLiteral("kept as copies 2")));
        QVERIFY(dialog->convertButton()->isEnabled());
        const auto toShards = convert(dialog);
        QVERIFY(toShards);
        QCOMPARE(toShards->state, TransferInfo::State::Done);
        QCOMPARE(toShards->title, QStringLiteral("Store m as shards 2+1"));
        QVERIFY2(toShards->summary.startsWith(QStringLiteral("Stored as shards 2+1: ")),
                 qPrintable(toShards->summary));
        QCOMPARE(scheme(id), QStringLiteral("shards 2+1"));
        QTRY_COMPARE_WITH_TIMEOUT(m_window->reader()->row(id)->health, QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY(restoresBitExact(id));

        // And back: the copies health wants are offered.
        dialog = openDialog(id);
        QVERIFY(dialog);
        QCOMPARE(dialog->choice()->scheme().toString(), QStringLiteral("copies 2"));
        const auto toCopies = convert(dialog);
        QVERIFY(toCopies);
        QCOMPARE(toCopies->state, TransferInfo::State::Done);
        QCOMPARE(scheme(id), QStringLiteral("copies 2"));
        QTRY_COMPARE_WITH_TIMEOUT(m_window->reader()->row(id)->health, QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY(restoresBitExact(id));
    }

    void fromShardsToOtherShardsInOneStep()
    {
        // Four providers: 3+1 is offered first; 2+1 after it was refused ("convert it to copies
        // first") and is now one conversion.
        qint64 id = 0;
        floatAsThreePlusOneOnFour(&id);
        if (QTest::currentTestFailed())
            return;

        ConvertDialog* dialog = openDialog(id);
        QVERIFY(dialog);
        auto* kind = dialog->choice()->findChild<QComboBox*>(QStringLiteral("redundancyKind"));
        auto* data = dialog->choice()->findChild<QSpinBox*>(QStringLiteral("redundancyData"));
        auto* parity = dialog->choice()->findChild<QSpinBox*>(QStringLiteral("redundancyParity"));
        QVERIFY(kind && data && parity);
        kind->setCurrentIndex(1);
        data->setValue(2);
        parity->setValue(1);
        QCOMPARE(dialog->choice()->scheme().toString(), QStringLiteral("shards 2+1"));
        QVERIFY2(dialog->convertButton()->isEnabled(), qPrintable(dialog->refusalLabel()->text()));
        const auto toOther = convert(dialog);
        QVERIFY(toOther);
        QVERIFY2(toOther->state == TransferInfo::State::Done, ended(*toOther).constData());
        QCOMPARE(toOther->title, QStringLiteral("Store m as shards 2+1"));
        QCOMPARE(scheme(id), QStringLiteral("shards 2+1"));
        QTRY_COMPARE_WITH_TIMEOUT(m_window->reader()->row(id)->health, QStringLiteral("healthy"),
                                  JobTimeoutMs);
        // The row says how it is kept (it said "2 of 2", the copies a whole chunk counts as).
        ModelListModel* rows = m_window->browser()->model();
        const auto replicas = [&] {
            return rows->index(rows->rowOf(id), ModelListModel::ReplicasColumn).data().toString();
        };
        QTRY_VERIFY2_WITH_TIMEOUT(replicas().startsWith(QStringLiteral("shards 2+1 · healthy · ")),
                                  qPrintable(replicas()), JobTimeoutMs);
        // So do its details ("worst chunk has 2 of 2 replicas" before).
        m_window->browser()->selectModel(id);
        const auto details = [&] { return m_window->browser()->details()->summaryText(); };
        QTRY_VERIFY2_WITH_TIMEOUT(
            details().contains(QStringLiteral("Health: healthy (kept as shards 2+1). It can be "
                                              "rebuilt, and survives the loss of a provider.")),
            qPrintable(details()), JobTimeoutMs);
        QVERIFY(restoresBitExact(id));
    }

    void aProviderToGoLeavesItsShardsUntilConverted()
    {
        // Four providers at 3+1 and one to be removed: its drain cannot move the shards (each
        // other provider holds one of every chunk) and the model keeps them; the dialog then
        // offers 2+1 on the three, and after that the provider goes.
        qint64 id = 0;
        floatAsThreePlusOneOnFour(&id);
        if (QTest::currentTestFailed())
            return;
        qint64 leaving = 0;
        for (const ProviderRecord& p : m_window->reader()->registry().providerRows().providers())
            if (p.name == QStringLiteral("extra3"))
                leaving = p.id;
        QVERIFY(leaving);
        auto removeLeaving = [&] {
            QSignalSpy added(m_engine.get(), &Engine::transferAdded);
            QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
            m_engine->removeProvider(leaving);
            if (!QTest::qWaitFor([&] { return !added.isEmpty(); }, JobTimeoutMs))
                return std::optional<TransferInfo>();
            return finished(changed, added.first().first().value<TransferInfo>().id);
        };
        const auto refused = removeLeaving();
        QVERIFY(refused);
        QVERIFY2(refused->warnings.join(u'\n').contains(
                     QStringLiteral("convert those models to shards 2+1 on the 3")),
                 ended(*refused).constData());
        QVERIFY(restoresBitExact(id));

        ConvertDialog* dialog = openDialog(id);
        QVERIFY(dialog);
        QCOMPARE(dialog->choice()->scheme().toString(), QStringLiteral("shards 2+1"));
        const auto toFewer = convert(dialog);
        QVERIFY(toFewer);
        QVERIFY2(toFewer->state == TransferInfo::State::Done, ended(*toFewer).constData());
        QCOMPARE(scheme(id), QStringLiteral("shards 2+1"));

        const auto removed = removeLeaving();
        QVERIFY(removed);
        QVERIFY2(removed->state == TransferInfo::State::Done, ended(*removed).constData());
        QTRY_VERIFY_WITH_TIMEOUT(
            !m_window->reader()->registry().providerRows().provider(leaving).has_value(),
            JobTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->reader()->row(id)->health, QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY(restoresBitExact(id));
    }

    void aChoiceThatCannotBeMadeIsSaid()
    {
        QVERIFY(openWindow());
        const qint64 id = floatInput(QStringLiteral("m"));
        QVERIFY(id);
        ConvertDialog* dialog = openDialog(id);
        QVERIFY(dialog);
        auto* data = dialog->choice()->findChild<QSpinBox*>(QStringLiteral("redundancyData"));
        auto* parity = dialog->choice()->findChild<QSpinBox*>(QStringLiteral("redundancyParity"));
        QVERIFY(data && parity);
        data->setValue(4);
        parity->setValue(2);
        QVERIFY(!dialog->convertButton()->isEnabled());
        // Said once, under the choice, in the words Settings and the CLI use.
        QVERIFY2(dialog->choice()->description().contains(
                     QStringLiteral("shards 4+2 needs 6 providers")),
                 qPrintable(dialog->choice()->description()));
        QVERIFY(dialog->refusalLabel()->isHidden());
        auto* kind = dialog->choice()->findChild<QComboBox*>(QStringLiteral("redundancyKind"));
        auto* copies = dialog->choice()->findChild<QSpinBox*>(QStringLiteral("redundancyCopies"));
        QVERIFY(kind && copies);
        kind->setCurrentIndex(0);
        copies->setValue(3);
        QVERIFY(!dialog->convertButton()->isEnabled());
        QVERIFY2(dialog->refusalLabel()->text().contains(
                     QStringLiteral("the number of copies follows `config redundancy copies N`")),
                 qPrintable(dialog->refusalLabel()->text()));
        QVERIFY(!dialog->refusalLabel()->isHidden());
        copies->setValue(2);
        QVERIFY(!dialog->convertButton()->isEnabled());
        QCOMPARE(dialog->refusalLabel()->text(),
                 QStringLiteral("The model is kept this way already."));
        // Nothing was queued.
        QSignalSpy added(m_engine.get(), &Engine::transferAdded);
        QTest::mouseClick(dialog->convertButton(), Qt::LeftButton);
        dialog->reject();
        QTest::qWait(50);
        QCOMPARE(added.size(), 0);
        QCOMPARE(scheme(id), QStringLiteral("copies 2"));
    }

    // A provider that cannot take its shards: the transfer fails saying the model is not
    // converted yet, the model keeps its copies and restores; retried once the provider is back,
    // it goes on and ends.
    void notConvertedYetIsSaidAndARetryGoesOn()
    {
        QVERIFY(openWindow());
        const qint64 id = floatInput(QStringLiteral("m"));
        QVERIFY(id);
        const QString store = m_tv->path(QStringLiteral("store-extra2"));
        QVERIFY(QDir().rename(store, store + QStringLiteral(".away")));
        {
            QFile blocker(store); // a file where its folder was: every put there fails
            QVERIFY(blocker.open(QIODevice::WriteOnly));
        }
        ConvertDialog* dialog = openDialog(id);
        QVERIFY(dialog);
        QCOMPARE(dialog->choice()->scheme().toString(), QStringLiteral("shards 2+1"));
        const auto failed = convert(dialog);
        QVERIFY(failed);
        QCOMPARE(failed->state, TransferInfo::State::Failed);
        QVERIFY2(failed->error.startsWith(QStringLiteral("Not converted yet: ")) &&
                     failed->error.contains(QStringLiteral("could not be stored as shards 2+1")),
                 qPrintable(failed->error));
        QCOMPARE(scheme(id), QStringLiteral("copies 2"));

        QVERIFY(QFile::remove(store));
        QVERIFY(QDir().rename(store + QStringLiteral(".away"), store));
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        m_engine->retry(failed->id);
        const auto done = finished(changed, failed->id);
        QVERIFY(done);
        QCOMPARE(done->state, TransferInfo::State::Done);
        QCOMPARE(scheme(id), QStringLiteral("shards 2+1"));
        QVERIFY(restoresBitExact(id));
    }

    // A repair of the model asked for while it is being converted waits for the conversion,
    // saying so (run beside it, it would make again the copies the conversion retires), then
    // runs; the model ends as shards, healthy, and restores.
    void aRepairWaitsForTheConversionOfItsModel()
    {
        QVERIFY(openWindow());
        const qint64 id = floatInput(QStringLiteral("m"));
        QVERIFY(id);
        // Slow puts: the conversion (3 MiB of shards) runs for seconds.
        m_engine->setBandwidthLimits(512 * 1024, 0);
        QSignalSpy changed(m_engine.get(), &Engine::transferChanged);
        const qint64 conversion = m_engine->convertModel(id, RedundancyScheme::makeShards(2, 1));
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const TransferInfo& t : m_engine->transfers())
                    if (t.id == conversion)
                        return t.state == TransferInfo::State::Running;
                return false;
            },
            JobTimeoutMs));
        const qint64 repair = m_engine->repairModel(id);
        const auto repaired = finished(changed, repair);
        const auto converted = finished(changed, conversion);
        m_engine->setBandwidthLimits(0, 0);
        QVERIFY(repaired && converted);
        QCOMPARE(converted->state, TransferInfo::State::Done);
        QCOMPARE(repaired->state, TransferInfo::State::Done);
        // In the order the engine told them: the repair never ran while the conversion did,
        // and while it waited its row said why.
        bool converting = false;
        bool saidWhy = false;
        for (const QList<QVariant>& args : std::as_const(changed)) {
            const auto info = args.first().value<TransferInfo>();
            if (info.id == conversion)
                converting = info.state == TransferInfo::State::Running;
            if (info.id != repair)
                continue;
            QVERIFY2(!(converting && info.state == TransferInfo::State::Running),
                     "the repair ran while the model was being converted");
            saidWhy = saidWhy || info.stage == QStringLiteral("Waits: “m” is being converted");
        }
        QVERIFY(saidWhy);
        QCOMPARE(scheme(id), QStringLiteral("shards 2+1"));
        QTRY_COMPARE_WITH_TIMEOUT(m_window->reader()->row(id)->health, QStringLiteral("healthy"),
                                  JobTimeoutMs);
        QVERIFY(restoresBitExact(id));
    }

    // The queue keeps a conversion in its jobs table and reads it back after a restart.
    void theRequestReadsBackFromItsRow()
    {
        const ConvertRequest request{7, QStringLiteral("shards 4+2")};
        QCOMPARE(transferrows::kindFromKey(transferrows::kindKey(TransferInfo::Kind::Convert)),
                 TransferInfo::Kind::Convert);
        const auto back = requestFromJson(TransferInfo::Kind::Convert, toJson(request));
        QVERIFY(back);
        const auto* c = std::get_if<ConvertRequest>(&*back);
        QVERIFY(c);
        QCOMPARE(c->modelId, 7);
        QCOMPARE(c->scheme, QStringLiteral("shards 4+2"));
        QCOMPARE(modelIdOf(*back), 7);
    }
};

QTEST_MAIN(TestUiConvert)
#include "tst_ui_convert.moc"
