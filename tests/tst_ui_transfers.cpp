// The transfers page against a real Engine: the item model stays consistent under a live
// queue, the view's actions pause and resume a real float, and the delegate draws; finished
// transfers come back after a restart with their figures.
#include "credentials/vaultcredentials.h"
#include "engine/engine.h"
#include "enginetestsupport.h"
#include "networkprovidertest.h"
#include "providers/localprovider.h"
#include "speedgraph.h"
#include "testsupport.h"
#include "testvault.h"
#include "transferdetails.h"
#include "transfersmodel.h"
#include "transfersview.h"
#include "trayicon.h"
#include "uitestsupport.h"
#include "vault/vault.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QStyle>
#include <QTcpServer>
#include <QTreeView>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

using State = TransferInfo::State;

} // namespace

class TestUiTransfers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void modelFollowsTheEngine()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        Engine engine;
        TransfersModel model(&engine);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(openEngine(engine, dir));
        QList<qint64> ids;
        for (int i = 0; i < 3; ++i) {
            const QString source = tv.path(QStringLiteral("m%1.bin").arg(i));
            QVERIFY(writePseudoRandomFile(source, 2 * MiB + i, 20 + i));
            FloatRequest request;
            request.paths = {source};
            request.modelName = QStringLiteral("Model %1").arg(i);
            ids.append(engine.floatFiles(request));
        }
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (qint64 id : ids)
                    if (stateOf(model, id) != State::Done)
                        return false;
                return true;
            },
            JobTimeoutMs));
        QCOMPARE(model.rowCount(), 3);
        const QModelIndex progress = model.index(1, TransfersModel::ProgressColumn);
        QCOMPARE(progress.data(TransfersModel::PermilleRole).toInt(), 1000);
        QVERIFY(progress.data().toString().contains(QStringLiteral("2.00 MiB")));
        QCOMPARE(model.index(1, TransfersModel::StateColumn).data().toString(),
                 TransferInfo::stateName(State::Done));
        QVERIFY(model.index(1, TransfersModel::TitleColumn)
                    .data()
                    .toString()
                    .contains(QStringLiteral("Model 1")));
        QCOMPARE(model.overall().running, 0);

        // A model made later starts with what the Engine already knows.
        TransfersModel late(&engine);
        QCOMPARE(late.rowCount(), 3);

        engine.clearFinished();
        QVERIFY(QTest::qWaitFor([&] { return model.rowCount() == 0; }));
        QCOMPARE(model.overall().permille(), -1);
    }

    // A float that had to skip a broken provider succeeds with fewer copies: the row says so
    // ("Degraded: <the first warning>", never "Done") and its tooltip says all.
    void warningsOfASuccessfulFloatAreShown()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        const qint64 broken = tv.providerIds().last();
        QVERIFY(QDir(tv.root(broken)).removeRecursively());
        const QString dir = prepareVault(tv);
        Engine engine;
        TransfersModel model(&engine);
        QVERIFY(openEngine(engine, dir));
        const QString source = tv.path(QStringLiteral("w.bin"));
        QVERIFY(writePseudoRandomFile(source, 2 * MiB, 31));
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("Warned");
        request.replicas = 2;
        const qint64 id = engine.floatFiles(request);
        QVERIFY(
            QTest::qWaitFor([&] { return stateOf(model, id) == State::Degraded; }, JobTimeoutMs));
        const QModelIndex state = model.index(model.rowOf(id), TransfersModel::StateColumn);
        const QStringList warnings = state.data(TransfersModel::WarningsRole).toStringList();
        QVERIFY2(!warnings.isEmpty(), "the skipped provider is not reported");
        QVERIFY2(warnings.join(QLatin1Char(' ')).contains(QStringLiteral("extra1")),
                 qPrintable(warnings.join(QLatin1Char('\n'))));
        // The first warning itself, in the row (not only "2 warnings" and a tooltip).
        QVERIFY2(
            state.data().toString().startsWith(QStringLiteral("Degraded: ")) &&
                state.data().toString().contains(warnings.first().section(QLatin1Char('\n'), 0, 0)),
            qPrintable(state.data().toString()));
        QVERIFY(state.data(Qt::ToolTipRole).toString().contains(QStringLiteral("extra1")));
    }

    // A float to a provider nothing answers for says, while it runs, which provider it retries,
    // why, and when it tries again (it sat at "Running 0.0 B/s" with no reason), and ends
    // degraded with the reason in its row.
    void aRetriedProviderIsSaidInTheRow()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        tv.vault->setDefaultChunker(SmallChunks);
        tv.registry().settings().setSetting(vaultcredentials::settingKey(),
                                            vaultcredentials::plaintext());
        QString error;
        tv.vault->setCredentialStore(
            vaultcredentials::make(vaultcredentials::plaintext(), tv.vault->directory(), &error));
        quint16 port = 0;
        {
            QTcpServer probe; // free a moment ago: nothing listens there now
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            port = probe.serverPort();
        }
        ProviderRecord r;
        r.kind = QStringLiteral("s3");
        r.name = QStringLiteral("nextcloud");
        r.settings = QJsonObject{
            {QStringLiteral("endpoint"), QStringLiteral("http://127.0.0.1:%1").arg(port)},
            {QStringLiteral("bucket"), QStringLiteral("mf-unreachable")},
            {QStringLiteral("accessKeyId"), QStringLiteral("k")},
            {QStringLiteral("region"), QStringLiteral("us-east-1")},
            {QStringLiteral("addressing"), QStringLiteral("path")}};
        const qint64 dead = tv.registry().providerRows().addProvider(r).value_or(0);
        QVERIFY(dead > 0);
        QVERIFY(writeSecrets(*tv.vault->credentials(),
                             CredentialStore::providerKey(tv.vault->id(), dead),
                             {{QStringLiteral("secretAccessKey"), QStringLiteral("s")}}));
        tv.vault->setReplicationFactor(2);
        const QString dir = tv.vault->directory();
        tv.vault.reset();

        Engine engine;
        TransfersModel model(&engine);
        QVERIFY(openEngine(engine, dir));
        const QString source = tv.path(QStringLiteral("r.bin"));
        QVERIFY(writePseudoRandomFile(source, 1 * MiB, 37));
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("Retried");
        request.replicas = 2;
        const qint64 id = engine.floatFiles(request);
        QString seen;
        (void)QTest::qWaitFor(
            [&] {
                const int row = model.rowOf(id);
                if (row < 0)
                    return false;
                seen = model.index(row, TransfersModel::StateColumn).data().toString();
                // Until it ends: a row still queued (the float not started yet) is no answer.
                const State state = stateOf(model, id);
                return (state != State::Running && state != State::Queued) ||
                       seen.startsWith(QStringLiteral("Retrying “nextcloud”"));
            },
            JobTimeoutMs);
        QVERIFY2(seen.startsWith(QStringLiteral("Retrying “nextcloud”")), qPrintable(seen));
        QVERIFY2(seen.contains(QStringLiteral("refused")), qPrintable(seen));
        QVERIFY2(seen.contains(QStringLiteral("next try in")) ||
                     seen.contains(QStringLiteral("trying again now")),
                 qPrintable(seen));
        QVERIFY(
            QTest::qWaitFor([&] { return stateOf(model, id) == State::Degraded; }, JobTimeoutMs));
        const QString end =
            model.index(model.rowOf(id), TransfersModel::StateColumn).data().toString();
        QVERIFY2(end.startsWith(QStringLiteral("Degraded: ")) &&
                     end.contains(QStringLiteral("nextcloud")),
                 qPrintable(end));
    }

    // Finished transfers stayed only in memory: after a restart the page was empty. Now the
    // history comes back from the vault with its figures, and "Clear finished" still clears it.
    void finishedTransfersSurviveARestart()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        const QString source = tv.path(QStringLiteral("kept.bin"));
        QVERIFY(writePseudoRandomFile(source, 2 * MiB, 41));
        qint64 firstActiveMs = 0;
        {
            Engine engine;
            TransfersModel model(&engine);
            TransfersView view(&engine, &model);
            view.show();
            QVERIFY(openEngine(engine, dir));
            FloatRequest request;
            request.paths = {source};
            request.modelName = QStringLiteral("Kept");
            const qint64 first = engine.floatFiles(request);
            QVERIFY(QTest::qWaitFor([&] { return stateOf(model, first) == State::Done; },
                                    JobTimeoutMs));
            // The same bytes again under another name: nothing new to send.
            request.modelName = QStringLiteral("Kept again");
            const qint64 second = engine.floatFiles(request);
            QVERIFY(QTest::qWaitFor([&] { return stateOf(model, second) == State::Done; },
                                    JobTimeoutMs));
            request.paths = {tv.path(QStringLiteral("absent.bin"))};
            request.modelName = QStringLiteral("Absent");
            const qint64 failed = engine.floatFiles(request);
            QVERIFY(QTest::qWaitFor([&] { return stateOf(model, failed) == State::Failed; }));
            firstActiveMs = model.transfer(model.rowOf(first))->activeMs;
        } // the window and the engine close

        Engine engine;
        TransfersModel model(&engine);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        TransfersView view(&engine, &model);
        QVERIFY(openEngine(engine, dir));
        QCOMPARE(model.rowCount(), 3);
        const TransferInfo* first = model.transfer(0);
        const TransferInfo* second = model.transfer(1);
        QVERIFY(first->title.contains(QStringLiteral("Kept")));
        QCOMPARE(first->state, State::Done);
        QCOMPARE(first->doneBytes, 2 * MiB);
        QCOMPARE(first->totalBytes, 2 * MiB);
        QCOMPARE(first->activeMs, firstActiveMs);
        QVERIFY(first->started.isValid());
        QVERIFY(first->finished.isValid());
        QVERIFY(first->finished >= first->started);
        QCOMPARE(first->deduplicatedBytes, 0);
        QCOMPARE(second->state, State::Done);
        QCOMPARE(second->deduplicatedBytes, 2 * MiB);
        QCOMPARE(second->sentBytes, 0);
        const QString figures = model.index(1, TransfersModel::ProgressColumn).data().toString();
        QVERIFY2(figures.contains(QStringLiteral("2.00 MiB already stored")), qPrintable(figures));
        const TransferInfo* failed = model.transfer(2);
        QCOMPARE(failed->state, State::Failed);
        QVERIFY2(failed->error.contains(QStringLiteral("absent.bin")), qPrintable(failed->error));
        QCOMPARE(model.overall().running + model.overall().queued, 0); // nothing runs again

        view.clearFinishedAction()->trigger();
        QVERIFY(QTest::qWaitFor([&] { return model.rowCount() == 0; }));
    }

    // Selecting a transfer shows its details below the list: the providers, chunks done of
    // total, retries, started and finished times, duration and average rate, and the warnings
    // and the error in full (they were only in the row's first line and a tooltip).
    void selectingATransferShowsItsDetails()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        const qint64 broken = tv.providerIds().last();
        QVERIFY(QDir(tv.root(broken)).removeRecursively());
        const QString dir = prepareVault(tv);
        Engine engine;
        TransfersModel model(&engine);
        TransfersView view(&engine, &model);
        view.resize(900, 600);
        view.show();
        QVERIFY(openEngine(engine, dir));
        TransferDetails* details = view.details();
        QVERIFY(details);
        QCOMPARE(details->transferId(), 0);

        const QString source = tv.path(QStringLiteral("d.bin"));
        QVERIFY(writePseudoRandomFile(source, 2 * MiB, 43));
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("Detailed");
        request.replicas = 2;
        const qint64 id = engine.floatFiles(request);
        QVERIFY(
            QTest::qWaitFor([&] { return stateOf(model, id) == State::Degraded; }, JobTimeoutMs));
        request.paths = {tv.path(QStringLiteral("nowhere.bin"))};
        request.modelName = QStringLiteral("Nowhere");
        const qint64 failed = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, failed) == State::Failed; }));

        auto select = [&](qint64 transfer) {
            view.view()->selectionModel()->select(model.index(model.rowOf(transfer), 0),
                                                  QItemSelectionModel::ClearAndSelect |
                                                      QItemSelectionModel::Rows);
        };
        select(id);
        QCOMPARE(details->transferId(), id);
        const TransferInfo* t = model.transfer(model.rowOf(id));
        QVERIFY(t->chunksTotal > 0);
        QCOMPARE(t->chunksDone, t->chunksTotal);
        QCOMPARE(details->field(QStringLiteral("Chunks")),
                 QStringLiteral("%1 of %1").arg(t->chunksTotal));
        // The copies are on the provider that worked; the broken one holds none.
        QCOMPARE(details->field(QStringLiteral("Providers")), QStringLiteral("local"));
        QCOMPARE(details->field(QStringLiteral("State")), TransferInfo::stateName(State::Degraded));
        QVERIFY(!details->field(QStringLiteral("Started")).isEmpty());
        QVERIFY(!details->field(QStringLiteral("Finished")).isEmpty());
        QVERIFY(!details->field(QStringLiteral("Ran for")).isEmpty());
        QVERIFY(details->field(QStringLiteral("Average rate")).endsWith(QStringLiteral("/s")));
        QVERIFY(!t->warnings.isEmpty());
        QCOMPARE(details->field(QStringLiteral("Warnings")), t->warnings.join(QLatin1Char('\n')));
        QVERIFY(details->field(QStringLiteral("Error")).isEmpty());
        QVERIFY(details->field(QStringLiteral("Doing")).isEmpty()); // it is not running

        select(failed);
        QCOMPARE(details->transferId(), failed);
        const QString error = model.transfer(model.rowOf(failed))->error;
        QVERIFY(error.contains(QStringLiteral("nowhere.bin")));
        QCOMPARE(details->field(QStringLiteral("Error")), error);
        QVERIFY(!view.grab().isNull());

        view.view()->selectionModel()->clearSelection();
        QCOMPARE(details->transferId(), 0);
        QVERIFY(details->field(QStringLiteral("Error")).isEmpty());
    }

    // The speed graph: upload and download rates of the running transfers, sampled once a
    // second, drawn in the palette's colours (a dark theme too), with a summary in words.
    void aLongStateLeavesTheTitleReadable()
    {
        // Seen under Xvfb: a Done row whose state carries a long warning took the whole width
        // (the State column sized itself to its contents) and cut the title to "Float Mist…".
        TransfersModel model(nullptr);
        TransfersView view(nullptr, &model);
        view.resize(1200, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        TransferInfo t;
        t.id = 1;
        t.kind = TransferInfo::Kind::Float;
        t.state = State::Done;
        t.title = QStringLiteral("Float Mistral-7B-Instruct-v0.3.Q4_K_M");
        t.warnings = {QStringLiteral("“Mistral-7B-Instruct-v0.3.Q4_K_M.gguf”: not a GGUF file: it "
                                     "does not start with “GGUF”; floated as a plain file")};
        QHeaderView* header = view.view()->header();
        model.add(t);
        // The header lays its sections out again on a zero timer once the row is in.
        QCoreApplication::processEvents();
        QCoreApplication::processEvents();
        const int wanted = view.view()->fontMetrics().horizontalAdvance(t.title) +
                           2 * header->style()->pixelMetric(QStyle::PM_HeaderMargin);
        QVERIFY2(header->sectionSize(TransfersModel::TitleColumn) >= wanted,
                 qPrintable(QStringLiteral("title column %1 px, its text needs %2")
                                .arg(header->sectionSize(TransfersModel::TitleColumn))
                                .arg(wanted)));
    }

    // Seen at 200 %: the progress column kept 360 px, and a running row's bytes, rate and time
    // left were cut at both ends. The column fits them in the view's font, a narrower bar
    // elides them, and the cell's tooltip says them whole.
    void progressTextFitsItsColumnOrIsElided()
    {
        const QFont normal = QApplication::font();
        QFont twice = normal;
        twice.setPointSizeF(normal.pointSizeF() * 2);
        QApplication::setFont(twice);
        const auto restoreFont = qScopeGuard([&] { QApplication::setFont(normal); });
        TransfersModel model(nullptr);
        TransfersView view(nullptr, &model);
        TransferInfo t;
        t.id = 1;
        t.kind = TransferInfo::Kind::Float;
        t.state = State::Running;
        t.title = QStringLiteral("Float big");
        t.doneBytes = qint64(632) * MiB;
        t.totalBytes = qint64(2) * 1024 * MiB;
        t.bytesPerSecond = 45.5 * MiB;
        t.etaSeconds = 3000;
        model.add(t);
        const QModelIndex cell = model.index(0, TransfersModel::ProgressColumn);
        const QString text = cell.data(TransfersModel::ProgressTextRole).toString();
        QVERIFY2(text.contains(QStringLiteral("MiB/s")) && text.contains(QStringLiteral("left")),
                 qPrintable(text));
        QCOMPARE(cell.data(Qt::ToolTipRole).toString(), text);
        const QFontMetrics metrics = view.view()->fontMetrics();
        const int column = view.view()->header()->sectionSize(TransfersModel::ProgressColumn);
        QVERIFY2(TransferProgressDelegate::fittedText(text, metrics, column) == text,
                 qPrintable(QStringLiteral("%1 px for “%2”, which needs %3")
                                .arg(column)
                                .arg(text)
                                .arg(metrics.horizontalAdvance(text))));
        // Nor is a row finished today cut ("… 978 KiB/s on aver…" was seen in the screenshots).
        TransferInfo done = t;
        done.id = 2;
        done.state = State::Done;
        done.doneBytes = done.totalBytes;
        done.activeMs = 2 * 60 * 1000 + 5'000;
        done.started = QDateTime::currentDateTime().addSecs(-125);
        done.finished = QDateTime::currentDateTime();
        model.add(done);
        const QString doneText = model.index(1, TransfersModel::ProgressColumn)
                                     .data(TransfersModel::ProgressTextRole)
                                     .toString();
        QVERIFY2(doneText.contains(QStringLiteral("on average")), qPrintable(doneText));
        QVERIFY2(TransferProgressDelegate::fittedText(doneText, metrics, column) == doneText,
                 qPrintable(QStringLiteral("%1 px for “%2”, which needs %3")
                                .arg(column)
                                .arg(doneText)
                                .arg(metrics.horizontalAdvance(doneText))));
        // In a bar too narrow for it, the text is elided to the bar, on one line.
        const QString fitted = TransferProgressDelegate::fittedText(text, metrics, column / 3);
        QVERIFY(fitted.endsWith(QChar(0x2026)));
        QVERIFY(metrics.horizontalAdvance(fitted) <= column / 3);
        QVERIFY(!fitted.contains(QLatin1Char('\n')));
    }

    // The details pane opens with as much of the page as the list: at a quarter it opened six
    // lines tall on a desktop, with a transfer's dates and rate below the fold.
    void detailsOpenTallEnoughToRead()
    {
        TransfersModel model(nullptr);
        TransfersView view(nullptr, &model);
        view.resize(1000, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const int details = view.details()->height();
        const int list = view.view()->height();
        QVERIFY2(5 * details >= 2 * (details + list),
                 qPrintable(QStringLiteral("details %1 px, list %2 px").arg(details).arg(list)));
    }

    void theSpeedGraphFollowsTheRates()
    {
        TransfersModel model(nullptr);
        TransfersView view(nullptr, &model);
        SpeedGraph* graph = view.speedGraph();
        QVERIFY(graph);
        QVERIFY(!graph->accessibleName().isEmpty());
        TransferInfo up;
        up.id = 1;
        up.kind = TransferInfo::Kind::Float;
        up.state = State::Running;
        up.bytesPerSecond = 2.5 * MiB;
        model.add(up);
        TransferInfo down;
        down.id = 2;
        down.kind = TransferInfo::Kind::Restore;
        down.state = State::Paused;
        down.bytesPerSecond = 5 * MiB; // paused: not moving, whatever it last said
        model.add(down);
        const int before = graph->sampleCount();
        view.sampleSpeed();
        QCOMPARE(graph->sampleCount(), before + 1);
        QCOMPARE(graph->summary(), QStringLiteral("Upload 2.5 MiB/s, download 0 B/s"));
        QCOMPARE(graph->accessibleDescription(), graph->summary());
        down.state = State::Running;
        down.bytesPerSecond = 512 * 1024;
        model.change(down);
        view.sampleSpeed();
        QCOMPARE(graph->summary(), QStringLiteral("Upload 2.5 MiB/s, download 512 KiB/s"));
        for (int i = 0; i < SpeedGraph::Samples + 5; ++i)
            view.sampleSpeed();
        QCOMPARE(graph->sampleCount(), SpeedGraph::Samples); // the last minute only
        // A burst leaves the scale within a minute: it was held at the peak for three.
        graph->addSample(200.0 * MiB, 0);
        QCOMPARE(graph->scaleTop(), 200.0 * MiB);
        for (int i = 0; i < 60; ++i)
            graph->addSample(1.0 * MiB, 0);
        QCOMPARE(graph->scaleTop(), 1.0 * MiB);

        // Drawn on the palette's base, in its colours: a dark palette gives a dark graph with
        // both lines visible on it.
        QPalette dark;
        dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x20));
        dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
        dark.setColor(QPalette::Highlight, QColor(0x3d, 0xae, 0xe9));
        dark.setColor(QPalette::LinkVisited, QColor(0xf6, 0x74, 0x00));
        graph->setPalette(dark);
        graph->resize(400, 100);
        const QImage image = graph->grab().toImage();
        QCOMPARE(image.pixelColor(image.width() / 2, image.height() - 8).rgb(),
                 QColor(0x20, 0x20, 0x20).rgb()); // below the lines: the base
        auto hasColour = [&image](const QColor& c) {
            for (int y = 0; y < image.height(); ++y)
                for (int x = 0; x < image.width(); ++x)
                    if (image.pixelColor(x, y).rgb() == c.rgb())
                        return true;
            return false;
        };
        QCOMPARE(graph->uploadColor(), QColor(0x3d, 0xae, 0xe9));
        QCOMPARE(graph->downloadColor(), QColor(0xf6, 0x74, 0x00));
        QVERIFY(hasColour(graph->uploadColor()));
        QVERIFY(hasColour(graph->downloadColor()));
    }

    // A verify's end is announced like a float's: healthy, or what is wrong. The history read
    // back after a restart is not announced again.
    void aVerifyIsAnnounced()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        const QString source = tv.path(QStringLiteral("v.bin"));
        QVERIFY(writePseudoRandomFile(source, 2 * MiB, 47));
        {
            Engine engine;
            TransfersModel model(&engine);
            TrayIcon tray(&engine, &model);
            QSignalSpy messages(&tray, &TrayIcon::messageShown);
            QVERIFY(openEngine(engine, dir));
            FloatRequest request;
            request.paths = {source};
            request.modelName = QStringLiteral("Checked");
            const qint64 floated = engine.floatFiles(request);
            QVERIFY(QTest::qWaitFor([&] { return stateOf(model, floated) == State::Done; },
                                    JobTimeoutMs));
            const qint64 modelId = model.transfer(model.rowOf(floated))->modelId;
            messages.clear();

            const qint64 healthy = engine.verifyModel(modelId);
            QVERIFY(QTest::qWaitFor([&] { return stateOf(model, healthy) == State::Done; },
                                    JobTimeoutMs));
            QCOMPARE(messages.size(), 1);
            QCOMPARE(messages.last().at(0).toString(), QStringLiteral("Verified: healthy"));
            QVERIFY(messages.last().at(1).toString().contains(QStringLiteral("Checked")));

            // A copy gone: the verify says so.
            {
                auto v = Vault::open(dir, Vault::OpenMode::Existing, nullptr);
                QVERIFY(v);
                const auto files = v->registry().modelRows().files(modelId);
                const auto chunks = v->registry().modelRows().fileChunks(files.first().id);
                const auto placements =
                    v->registry().placementRows().placements(chunks.first().cid);
                const auto provider =
                    v->registry().providerRows().provider(placements.first().providerId);
                QVERIFY(QFile::remove(LocalProvider::objectPath(
                    provider->settings.value(QStringLiteral("path")).toString(),
                    chunks.first().cid)));
            }
            const qint64 broken = engine.verifyModel(modelId);
            QVERIFY(QTest::qWaitFor([&] { return stateOf(model, broken) == State::Failed; },
                                    JobTimeoutMs));
            QCOMPARE(messages.size(), 2);
            QCOMPARE(messages.last().at(0).toString(), QStringLiteral("Verify: not healthy"));
            QVERIFY2(messages.last().at(1).toString().contains(QStringLiteral("missing")),
                     qPrintable(messages.last().at(1).toString()));
        }
        Engine engine;
        TransfersModel model(&engine);
        TrayIcon tray(&engine, &model);
        QSignalSpy messages(&tray, &TrayIcon::messageShown);
        QVERIFY(openEngine(engine, dir));
        // The rows arrive before opened(), and so would any announcement of them. (On a busy
        // machine the first engine may have lived past the scheduler's first tick, whose job
        // is a row of the history too: the float and the two verifies are counted.)
        int made = 0;
        for (int row = 0; row < model.rowCount(); ++row)
            made += model.transfer(row)->kind == TransferInfo::Kind::Float ||
                            model.transfer(row)->kind == TransferInfo::Kind::Verify
                        ? 1
                        : 0;
        QCOMPARE(made, 3);
        QVERIFY(messages.isEmpty());
        QCOMPARE(tray.status(), TrayIcon::Status::Idle); // the old failure is not a new one
    }

    // Cancel (the Delete key) of a big float asks first and names what is stored; "Keep going"
    // leaves it running, "Cancel it" cancels it.
    // A float of a folder shows each file as a child row with its own progress, under a model
    // that stays consistent while the rows come and change.
    void floatOfSeveralFilesShowsEachFile()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        const QString folder = tv.path(QStringLiteral("model"));
        QVERIFY(QDir().mkpath(folder));
        const QStringList names{QStringLiteral("a.safetensors"), QStringLiteral("b.safetensors"),
                                QStringLiteral("config.json")};
        QVERIFY(writePseudoRandomFile(folder + QStringLiteral("/a.safetensors"), 6 * MiB, 1));
        QVERIFY(writePseudoRandomFile(folder + QStringLiteral("/b.safetensors"), 6 * MiB, 2));
        QVERIFY(writeFile(folder + QStringLiteral("/config.json"), "{}"));

        Engine engine;
        TransfersModel model(&engine);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        TransfersView view(&engine, &model);
        view.resize(900, 300);
        view.show();
        QVERIFY(openEngine(engine, dir));
        engine.setBandwidthLimits(4 * MiB, 0); // slow enough to see the first file stored alone

        FloatRequest request;
        request.paths = {folder};
        request.modelName = QStringLiteral("Folder");
        const qint64 id = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor(
            [&] {
                const int row = model.rowOf(id);
                return row >= 0 && model.rowCount(model.index(row, 0)) == 3;
            },
            JobTimeoutMs));
        const QModelIndex parent = model.index(model.rowOf(id), 0);
        QStringList shown;
        for (int i = 0; i < 3; ++i)
            shown.append(model.index(i, TransfersModel::TitleColumn, parent).data().toString());
        shown.sort();
        QCOMPARE(shown, names);
        // Selecting a file's row selects its transfer for the details and the actions.
        view.view()->selectionModel()->select(model.index(1, 0, parent),
                                              QItemSelectionModel::ClearAndSelect |
                                                  QItemSelectionModel::Rows);
        QCOMPARE(view.details()->transferId(), id);
        QVERIFY(view.pauseAction()->isEnabled());
        // One file is stored while another waits: each row has its own progress.
        QVERIFY(QTest::qWaitFor(
            [&] {
                const QModelIndex p = model.index(model.rowOf(id), 0);
                QList<int> permille;
                for (int i = 0; i < model.rowCount(p); ++i)
                    permille.append(
                        model.index(i, 0, p).data(TransfersModel::PermilleRole).toInt());
                return permille.contains(1000) && permille.contains(0);
            },
            JobTimeoutMs));
        engine.setBandwidthLimits(0, 0);
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Done; }, JobTimeoutMs));
        const QModelIndex done = model.index(model.rowOf(id), 0);
        QCOMPARE(model.rowCount(done), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(model.index(i, 0, done).data(TransfersModel::PermilleRole).toInt(), 1000);
            QCOMPARE(model.index(i, TransfersModel::StateColumn, done).data().toString(),
                     QStringLiteral("Stored"));
        }
    }

    void viewPausesAndResumesARealFloat()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        const QString source = tv.path(QStringLiteral("big.bin"));
        QVERIFY(writePseudoRandomFile(source, 96 * qint64(MiB), 7));

        Engine engine;
        TransfersModel model(&engine);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        TransfersView view(&engine, &model);
        view.resize(900, 300);
        view.show();
        QVERIFY(openEngine(engine, dir));
        QVERIFY(!view.pauseAction()->isEnabled());

        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("Big");
        const qint64 id = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Running; }));
        view.view()->selectionModel()->select(model.index(model.rowOf(id), 0),
                                              QItemSelectionModel::ClearAndSelect |
                                                  QItemSelectionModel::Rows);
        QVERIFY(view.pauseAction()->isEnabled());
        QVERIFY(view.cancelAction()->isEnabled());
        QVERIFY(!view.retryAction()->isEnabled());
        QVERIFY(view.pauseAllAction()->isEnabled());

        // The delegate draws the running bar (and its text) without trouble.
        QVERIFY(!view.grab().isNull());

        view.pauseAction()->trigger();
        QVERIFY(QTest::qWaitFor(
            [&] {
                const State s = stateOf(model, id);
                return s == State::Paused || s == State::Done;
            },
            JobTimeoutMs));
        if (stateOf(model, id) == State::Done)
            QSKIP("The float finished before the pause took effect");
        QVERIFY(view.resumeAction()->isEnabled());
        QVERIFY(!view.pauseAction()->isEnabled());
        QVERIFY(view.resumeAllAction()->isEnabled());
        const qint64 doneAtPause = model.transfer(model.rowOf(id))->doneBytes;

        view.resumeAction()->trigger();
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Done; }, JobTimeoutMs));
        const TransferInfo* t = model.transfer(model.rowOf(id));
        QCOMPARE(t->doneBytes, 96 * qint64(MiB));
        QVERIFY(t->doneBytes >= doneAtPause);
        QCOMPARE(t->sentBytes, 2 * 96 * qint64(MiB)); // nothing sent twice
        QVERIFY(view.clearFinishedAction()->isEnabled());
        view.clearFinishedAction()->trigger();
        QVERIFY(QTest::qWaitFor([&] { return model.rowCount() == 0; }));
    }

    void retryAndCancelFromTheView()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        Engine engine;
        TransfersModel model(&engine);
        TransfersView view(&engine, &model);
        QVERIFY(openEngine(engine, dir));

        const QString source = tv.path(QStringLiteral("soon.bin"));
        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("Soon");
        const qint64 id = engine.floatFiles(request); // the file is not there yet
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Failed; }));
        const QModelIndex title = model.index(model.rowOf(id), TransfersModel::TitleColumn);
        QVERIFY(title.data(Qt::ToolTipRole).toString().contains(QStringLiteral("soon.bin")));
        view.view()->selectionModel()->select(title, QItemSelectionModel::ClearAndSelect |
                                                         QItemSelectionModel::Rows);
        QVERIFY(view.retryAction()->isEnabled());
        QVERIFY(!view.pauseAction()->isEnabled());

        QVERIFY(writePseudoRandomFile(source, MiB, 8));
        view.retryAction()->trigger();
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Done; }, JobTimeoutMs));
    }

    // Seen: a finished background repair's row said "2.01 MiB · 0:01 running", as if it still
    // ran. A finished row says it finished, when, and how long it took.
    void aFinishedRowSaysItFinished()
    {
        TransferInfo info;
        info.kind = TransferInfo::Kind::Repair;
        info.background = true;
        info.title = QStringLiteral("Background repair: every chunk back to its copies");
        info.doneBytes = info.totalBytes = 2 * MiB;
        info.activeMs = 1000;
        info.started = QDateTime::currentDateTime().addSecs(-1);
        info.finished = QDateTime::currentDateTime();
        const QString finishedAt = info.finished.toString(QStringLiteral("HH:mm"));
        for (const State state : {State::Done, State::Degraded}) {
            info.state = state;
            const QString text = TransfersModel::progressText(info);
            QVERIFY2(!text.contains(QStringLiteral("running")), qPrintable(text));
            QVERIFY2(text.contains(QStringLiteral("finished ") + finishedAt), qPrintable(text));
            QVERIFY2(text.contains(QStringLiteral("0:01")), qPrintable(text));
        }
        // One from an earlier day says its date too.
        info.finished = info.finished.addDays(-3);
        const QString text = TransfersModel::progressText(info);
        QVERIFY2(text.contains(info.finished.toString(QStringLiteral("yyyy-MM-dd HH:mm"))),
                 qPrintable(text));
    }
};

QTEST_MAIN(TestUiTransfers)
#include "tst_ui_transfers.moc"
