// The tray says what the vault's models are short of in the words of how they are stored: copies,
// or shards for a model stored as shards (docs/erasure.md), which has no copies to lack.
#include "enginetestsupport.h"
#include "storedchunks.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfersmodel.h"
#include "trayicon.h"

#include <QFile>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

// Waits for transfer `id` to end; its info when it did.
std::optional<TransferInfo> finished(Engine& engine, qint64 id)
{
    std::optional<TransferInfo> out;
    (void)QTest::qWaitFor(
        [&] {
            for (const TransferInfo& t : engine.transfers())
                if (t.id == id && t.isFinished())
                    out = t;
            return out.has_value();
        },
        JobTimeoutMs);
    return out;
}

} // namespace

class TestUiTrayHealth final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void saysWhatAModelIsShortOf_data();
    void saysWhatAModelIsShortOf();
};

void TestUiTrayHealth::saysWhatAModelIsShortOf_data()
{
    QTest::addColumn<QString>("scheme");
    QTest::addColumn<QString>("said");
    QTest::addColumn<QString>("notSaid");
    QTest::newRow("copies") << QStringLiteral("copies 2")
                            << QStringLiteral("1 model short of copies")
                            << QStringLiteral("shards");
    QTest::newRow("shards") << QStringLiteral("shards 2+1")
                            << QStringLiteral("1 model short of shards")
                            << QStringLiteral("copies");
}

void TestUiTrayHealth::saysWhatAModelIsShortOf()
{
    QFETCH(QString, scheme);
    QFETCH(QString, said);
    QFETCH(QString, notSaid);
    const auto redundancy = RedundancyScheme::parse(scheme);
    QVERIFY(redundancy);
    // Three providers: the vault's own and extra1, extra2.
    TestVault tv(2);
    QVERIFY(tv.ok());
    QVERIFY(tv.vault->setRedundancy(*redundancy));
    Engine engine;
    QVERIFY(openEngine(engine, prepareVault(tv)));
    const QString source = tv.path(QStringLiteral("m.gguf"));
    QVERIFY(writePseudoRandomFile(source, 600 * 1024, 5));
    FloatRequest request;
    request.paths = {source};
    request.modelName = QStringLiteral("m");
    const auto floated = finished(engine, engine.floatFiles(request));
    QVERIFY2(floated && floated->state == TransferInfo::State::Done,
             qPrintable(floated ? floated->error : QStringLiteral("the float did not end")));
    TransfersModel transfers(&engine);
    TrayIcon tray(&engine, &transfers);
    // No background repair mends the model before the tray is looked at.
    engine.setSyncPaused(true);
    QVERIFY2(!tray.toolTip().contains(QStringLiteral("short of")), qPrintable(tray.toolTip()));

    // One of its objects (a copy, or a shard) goes from a provider; a verify finds it gone.
    const QStringList objects = chunkObjects(tv.path(QStringLiteral("store-extra1")));
    QVERIFY(!objects.isEmpty());
    QVERIFY(QFile::remove(objects.first()));
    const auto verified = finished(engine, engine.verifyModel(floated->modelId));
    QVERIFY(verified);
    QTRY_VERIFY2_WITH_TIMEOUT(tray.toolTip().contains(said), qPrintable(tray.toolTip()),
                              JobTimeoutMs);
    QVERIFY2(!tray.toolTip().contains(QStringLiteral("short of ") + notSaid),
             qPrintable(tray.toolTip()));
}

QTEST_MAIN(TestUiTrayHealth)
#include "tst_ui_trayhealth.moc"
