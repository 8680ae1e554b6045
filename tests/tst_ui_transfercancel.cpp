// Cancelling a transfer from the Transfers view: a big float asks first, and the cancelled row
// says when it ended (not that it finished), a time that comes back after a restart.
#include "engine/engine.h"
#include "enginetestsupport.h"
#include "testsupport.h"
#include "testvault.h"
#include "transferdetails.h"
#include "transfersmodel.h"
#include "transfersview.h"
#include "uitestsupport.h"
#include "vault/vault.h"

#include <QAbstractButton>
#include <QAction>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QTreeView>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

using State = TransferInfo::State;

} // namespace

class TestUiTransferCancel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cancelOfABigFloatAsksFirst()
    {
        TestVault tv(1);
        QVERIFY(tv.ok());
        const QString dir = prepareVault(tv);
        const QString source = tv.path(QStringLiteral("big.bin"));
        QVERIFY(writePseudoRandomFile(source, 96 * qint64(MiB), 8));

        Engine engine;
        TransfersModel model(&engine);
        TransfersView view(&engine, &model);
        view.resize(900, 300);
        view.show();
        QVERIFY(openEngine(engine, dir));
        engine.setBandwidthLimits(2 * MiB, 0); // still running when the question is answered

        FloatRequest request;
        request.paths = {source};
        request.modelName = QStringLiteral("Big");
        const qint64 id = engine.floatFiles(request);
        QVERIFY(QTest::qWaitFor([&] { return stateOf(model, id) == State::Running; }));
        view.view()->selectionModel()->select(model.index(model.rowOf(id), 0),
                                              QItemSelectionModel::ClearAndSelect |
                                                  QItemSelectionModel::Rows);
        view.cancelAction()->trigger();
        QVERIFY(view.cancelQuestion());
        // Issue 37: it names the model, not the row's title ("Float Big (1 file)").
        QCOMPARE(view.cancelQuestion()->text(), QStringLiteral("Cancel floating “Big”?"));
        QVERIFY2(view.cancelQuestion()->informativeText().contains(QLatin1String("96.0 MiB")),
                 qPrintable(view.cancelQuestion()->informativeText()));
        auto button = [&](const QString& text) -> QAbstractButton* {
            for (QAbstractButton* b : view.cancelQuestion()->buttons())
                if (b->text().remove(QLatin1Char('&')) == text)
                    return b;
            return nullptr;
        };
        QVERIFY(button(QStringLiteral("Keep going")));
        button(QStringLiteral("Keep going"))->click();
        QTRY_VERIFY(!view.cancelQuestion());
        QTest::qWait(200); // a cancel would have reached the queue by now
        QCOMPARE(stateOf(model, id), State::Running);

        view.cancelAction()->trigger();
        QVERIFY(view.cancelQuestion());
        QVERIFY(button(QStringLiteral("Cancel it")));
        const QDateTime asked = QDateTime::currentDateTime();
        button(QStringLiteral("Cancel it"))->click();
        QVERIFY(
            QTest::qWaitFor([&] { return stateOf(model, id) == State::Cancelled; }, JobTimeoutMs));
        const QDateTime ended = QDateTime::currentDateTime();

        // Its row says when it was cancelled, and calls that time so: it did not finish. The
        // same time comes back after a restart.
        const TransferInfo* cancelled = model.transfer(model.rowOf(id));
        QVERIFY(cancelled->finished >= asked && cancelled->finished <= ended);
        const QDateTime when = cancelled->finished;
        auto* details = view.findChild<TransferDetails*>();
        QVERIFY(details);
        QCOMPARE(details->field(QStringLiteral("Finished")),
                 QLocale().toString(when, QLocale::ShortFormat));
        QCOMPARE(details->label(QStringLiteral("Finished")), QStringLiteral("Cancelled:"));
        QVERIFY(model.index(model.rowOf(id), TransfersModel::TitleColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .startsWith(QStringLiteral("Cancelled at ")));
        Engine again; // as after a restart: the row is read back from the vault
        TransfersModel reopened(&again);
        QVERIFY(openEngine(again, dir));
        QCOMPARE(reopened.rowCount(), 1);
        QCOMPARE(reopened.transfer(0)->state, State::Cancelled);
        QCOMPARE(reopened.transfer(0)->finished, when);
    }
};

QTEST_MAIN(TestUiTransferCancel)
#include "tst_ui_transfercancel.moc"
