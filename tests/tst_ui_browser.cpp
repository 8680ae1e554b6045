// The model browser's item model and its proxy over a real vault registry: Qt's model tester,
// keyset paging over 10,000 models, the search filter, and one-row updates.
#include "modelfilterproxy.h"
#include "modellistmodel.h"
#include "testvault.h"
#include "vaultreader.h"
#include "verifiedtext.h"

#include <QAbstractItemModelTester>
#include <QtTest>

using namespace mf;
using namespace mf::ui;

namespace {

// A complete model with one file whose metadata says its format and quantization, stored on
// `providerId`.
qint64 addModel(Registry& r, const QString& name, const QString& format,
                const QString& quantization, qint64 providerId)
{
    const auto modelId =
        r.modelRows().createModel(name, QStringLiteral("hf:org/") + name + QStringLiteral("@abc"));
    if (!modelId)
        return 0;
    const auto fileId = r.modelRows().beginFile(*modelId, name + QStringLiteral(".") + format, 100,
                                                QStringLiteral("fixed:64"));
    if (!fileId)
        return 0;
    const QString cid = QStringLiteral("chunk-") + name;
    if (!r.modelRows().appendChunks(*fileId, {FileChunk{0, 0, 100, cid}}))
        return 0;
    QJsonObject meta{{QStringLiteral("format"), format},
                     {QStringLiteral("quantization"), quantization},
                     {QStringLiteral("parameters"), 8000000000.0}};
    if (!r.modelRows().completeFile(*fileId, QByteArray(64, 'a'), meta))
        return 0;
    Placement p;
    p.cid = cid;
    p.providerId = providerId;
    p.locator = cid;
    p.state = PlacementState::Stored;
    if (!r.placementRows().recordPlacement(p) ||
        !r.modelRows().setModelState(*modelId, ModelRecord::State::Complete))
        return 0;
    return *modelId;
}

// Bare model rows, many at once in one transaction.
bool addBareModels(Registry& r, int count)
{
    return r.transaction([&] {
        for (int i = 0; i < count; ++i)
            if (!r.modelRows().createModel(
                    QStringLiteral("bulk-%1").arg(i, 5, 10, QLatin1Char('0')), {}))
                return false;
        return true;
    });
}

} // namespace

// Asks for the next page, as a view scrolled to its end does, and waits until it is in: pages
// are read off the GUI thread. False when there is no page to ask for.
bool fetchPage(ModelListModel& model)
{
    if (!model.canFetchMore({}))
        return false;
    model.fetchMore({});
    return QTest::qWaitFor([&] { return !model.isFetching(); }, 10000);
}

void fetchAll(ModelListModel& model)
{
    while (fetchPage(model)) {
    }
}

// Rows arrive with the model record at once and their sums from the loader's thread later.
bool allLoaded(const ModelListModel& model)
{
    for (int r = 0; r < model.rowCount(); ++r)
        if (!model.rowData(r)->loaded)
            return false;
    return true;
}

class TestUiBrowser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void modelTesterOnModelAndProxy();
    void pagesOverTenThousandModels();
    void pagesAreReadOffTheGuiThread();
    void aModelAddedWhileAPageIsReadIsListedOnce();
    void filterNarrowsTheList();
    void oneRowUpdates();
    void sumsAreComputedOffTheGuiThread();
    void lastVerifiedColumnSorts();
    void formatComesFromTheWeights();
};

void TestUiBrowser::modelTesterOnModelAndProxy()
{
    test::TestVault tv;
    QVERIFY(tv.ok());
    const qint64 local = tv.providerIds().value(0);
    QVERIFY(addModel(tv.registry(), QStringLiteral("llama"), QStringLiteral("gguf"),
                     QStringLiteral("Q4_K_M"), local));
    QVERIFY(addModel(tv.registry(), QStringLiteral("mistral"), QStringLiteral("safetensors"),
                     QStringLiteral("BF16"), local));
    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));

    ModelListModel model;
    ModelFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(&proxy,
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setReader(reader.get());
    fetchAll(model);
    QCOMPARE(model.rowCount(), 2);
    QTRY_VERIFY(allLoaded(model));
    proxy.sort(ModelListModel::SizeColumn, Qt::DescendingOrder);
    proxy.setSearchText(QStringLiteral("gguf"));
    QCOMPARE(proxy.rowCount(), 1);
    model.refreshModel(model.modelId(0));
    model.removeModel(model.modelId(1));
    QCOMPARE(model.rowCount(), 1);
    model.setSearch(QStringLiteral("mistral"));
    fetchAll(model);
    model.setReader(nullptr);
    QCOMPARE(model.rowCount(), 0);
}

void TestUiBrowser::pagesOverTenThousandModels()
{
    test::TestVault tv;
    QVERIFY(tv.ok());
    QVERIFY(addBareModels(tv.registry(), 10000));
    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));
    QCOMPARE(reader->catalog().modelCount(), 10000);

    ModelListModel model;
    model.setReader(reader.get());
    QCOMPARE(model.rowCount(), 0); // nothing is read before a view asks
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), ModelListModel::PageSize);
    QCOMPARE(model.index(0, ModelListModel::NameColumn).data().toString(),
             QStringLiteral("bulk-00000"));
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), 2 * ModelListModel::PageSize);
    QCOMPARE(model.index(ModelListModel::PageSize, 0).data().toString(),
             QStringLiteral("bulk-%1").arg(ModelListModel::PageSize, 5, 10, QLatin1Char('0')));

    // A search reaches models that were never loaded, and pages within its results.
    model.setSearch(QStringLiteral("bulk-0999"));
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), 10); // bulk-09990 .. bulk-09999
    QVERIFY(!model.canFetchMore({}));
    QCOMPARE(model.index(9, 0).data().toString(), QStringLiteral("bulk-09999"));
}

void TestUiBrowser::filterNarrowsTheList()
{
    test::TestVault tv;
    QVERIFY(tv.ok());
    const qint64 local = tv.providerIds().value(0);
    for (int i = 0; i < 5; ++i) {
        QVERIFY(addModel(tv.registry(), QStringLiteral("llama-%1").arg(i), QStringLiteral("gguf"),
                         i % 2 ? QStringLiteral("Q8_0") : QStringLiteral("Q4_K_M"), local));
        QVERIFY(addModel(tv.registry(), QStringLiteral("qwen-%1").arg(i),
                         QStringLiteral("safetensors"), QStringLiteral("BF16"), local));
    }
    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));
    ModelListModel model;
    ModelFilterProxy proxy;
    proxy.setSourceModel(&model);
    model.setReader(reader.get());
    QVERIFY(fetchPage(model));
    QTRY_VERIFY(allLoaded(model));
    QCOMPARE(proxy.rowCount(), 10);

    proxy.setSearchText(QStringLiteral("LLAMA")); // by name, any case
    QCOMPARE(proxy.rowCount(), 5);
    proxy.setSearchText(QStringLiteral("q4_k")); // by quantization
    QCOMPARE(proxy.rowCount(), 3);
    for (int r = 0; r < proxy.rowCount(); ++r)
        QCOMPARE(proxy.index(r, ModelListModel::QuantizationColumn).data().toString(),
                 QStringLiteral("Q4_K_M"));
    proxy.setSearchText(QStringLiteral("safetensors")); // by format
    QCOMPARE(proxy.rowCount(), 5);
    proxy.setSearchText(QStringLiteral("org/qwen-3")); // by source
    QCOMPARE(proxy.rowCount(), 1);
    proxy.setSearchText(QStringLiteral("nothing like this"));
    QCOMPARE(proxy.rowCount(), 0);
    proxy.setSearchText({});
    QCOMPARE(proxy.rowCount(), 10);

    // The same filter in SQL, for the rows a view has not fetched.
    model.setSearch(QStringLiteral("q4_k"));
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), 3);
    model.setSearch(QStringLiteral("100%")); // LIKE wildcards in the text are literal
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), 0);

    // Sorting by a byte column sorts by value, not by text.
    model.setSearch({});
    QVERIFY(fetchPage(model));
    QTRY_VERIFY(allLoaded(model));
    proxy.sort(ModelListModel::NameColumn, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, 0).data().toString(), QStringLiteral("qwen-4"));
}

void TestUiBrowser::oneRowUpdates()
{
    test::TestVault tv(1); // wants 2 replicas
    QVERIFY(tv.ok());
    const qint64 local = tv.providerIds().value(0);
    const qint64 first = addModel(tv.registry(), QStringLiteral("first"), QStringLiteral("gguf"),
                                  QStringLiteral("Q4_0"), local);
    QVERIFY(first);
    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));
    ModelListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setReader(reader.get());
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(!model.canFetchMore({}));
    QTRY_VERIFY(allLoaded(model));
    QCOMPARE(
        model.index(0, ModelListModel::ReplicasColumn).data(ModelListModel::HealthRole).toString(),
        QStringLiteral("degraded")); // 1 replica, the vault wants 2
    QCOMPARE(model.index(0, ModelListModel::ProvidersColumn).data().toString(),
             QStringLiteral("local"));

    // Another connection (the engine's) adds a model: one insert, no reset.
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    const qint64 second = addModel(tv.registry(), QStringLiteral("second"), QStringLiteral("gguf"),
                                   QStringLiteral("Q8_0"), local);
    model.refreshModel(second);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(inserts.size(), 1);
    QCOMPARE(model.rowOf(second), 1);
    QTRY_VERIFY(allLoaded(model));

    // A change in health re-reads that row only.
    changes.clear();
    QSignalSpy loaded(&model, &ModelListModel::rowsLoaded);
    QVERIFY(tv.registry().placementRows().setPlacementState(QStringLiteral("chunk-first"), local,
                                                            PlacementState::Corrupt));
    model.refreshModel(first);
    QVERIFY(loaded.wait());
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.at(0).at(0).toModelIndex().row(), 0);
    QCOMPARE(model.index(0, 0).data(ModelListModel::HealthRole).toString(),
             QStringLiteral("damaged"));

    QVERIFY(tv.registry().modelRows().removeModel(first));
    model.removeModel(first);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.modelId(0), second);
    QCOMPARE(resets.size(), 0);
}

// fetchMore() only asks: the page's query (a search over every model's files, when few match)
// runs on the loader's thread, and the rows are inserted when it arrives. A page asked before a
// new search is dropped when it arrives.
void TestUiBrowser::pagesAreReadOffTheGuiThread()
{
    test::TestVault tv;
    QVERIFY(tv.ok());
    QVERIFY(addBareModels(tv.registry(), 300));
    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));
    ModelListModel model; // no model tester here: it asks for pages itself, as a view would
    model.setReader(reader.get());

    model.fetchMore({});
    QCOMPARE(model.rowCount(), 0); // asked, not read here
    QVERIFY(model.isFetching());
    QVERIFY(!model.canFetchMore({})); // one page at a time
    model.fetchMore({});              // the view asking again while it waits changes nothing
    QSignalSpy pages(&model, &ModelListModel::pageLoaded);
    QVERIFY(pages.wait());
    QCOMPARE(model.rowCount(), ModelListModel::PageSize);
    QVERIFY(!model.isFetching());
    QVERIFY(model.canFetchMore({}));

    // A new search while a page of the old one is on its way: only the new search's rows land.
    model.fetchMore({});
    QVERIFY(model.isFetching());
    model.setSearch(QStringLiteral("bulk-0029"));
    QVERIFY(!model.isFetching());
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(fetchPage(model));
    QTRY_COMPARE(pages.size(), 2);  // the old page is dropped without a signal
    QCOMPARE(model.rowCount(), 10); // bulk-00290 .. bulk-00299
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("bulk-00290"));
    QVERIFY(!model.canFetchMore({}));
    QTest::qWait(100); // nothing else arrives
    QCOMPARE(model.rowCount(), 10);
}

// The engine adds a model (refreshModel) while the last page is on its way. Whether the page's
// query ran before the model was written (it is then not in the page, which says it is the
// last) or after, the model is listed, once.
void TestUiBrowser::aModelAddedWhileAPageIsReadIsListedOnce()
{
    for (const bool pageReadFirst : {true, false}) {
        test::TestVault tv;
        QVERIFY(tv.ok());
        const qint64 local = tv.providerIds().value(0);
        QVERIFY(addBareModels(tv.registry(), 3));
        QString error;
        auto reader = VaultReader::open(tv.vault->directory(), &error);
        QVERIFY2(reader, qPrintable(error));
        ModelListModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setReader(reader.get());
        model.fetchMore({});
        if (pageReadFirst) // the loader reads the page; its answer waits in this thread's queue
            QThread::msleep(300);
        const qint64 added = addModel(tv.registry(), QStringLiteral("added"),
                                      QStringLiteral("gguf"), QStringLiteral("Q4_0"), local);
        QVERIFY(added);
        QVERIFY(model.isFetching()); // nothing was delivered meanwhile
        model.refreshModel(added);
        QTRY_VERIFY(!model.isFetching());
        QVERIFY(!model.canFetchMore({}));
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.rowOf(added), 3);
        // The row may first be summed between two of addModel()'s writes; the refresh that
        // follows sums it again.
        QTRY_COMPARE(model.index(3, ModelListModel::FormatColumn).data().toString(),
                     QStringLiteral("GGUF"));
    }
}

// A page costs the GUI thread one query of model records: the sums over chunks and placements
// (hundreds of milliseconds for a page of big models) come from the loader's thread.
void TestUiBrowser::sumsAreComputedOffTheGuiThread()
{
    test::TestVault tv;
    QVERIFY(tv.ok());
    const qint64 local = tv.providerIds().value(0);
    QVERIFY(addModel(tv.registry(), QStringLiteral("llama"), QStringLiteral("gguf"),
                     QStringLiteral("Q4_K_M"), local));
    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));
    ModelListModel model;
    model.setReader(reader.get());
    // As the page arrives, the row is not summed yet: the name is there, the sums are on their
    // way (the loader sends them after the page, so they cannot have arrived before it).
    bool summedWithPage = true;
    QString nameWithPage;
    QString formatWithPage;
    connect(&model, &ModelListModel::pageLoaded, this, [&] {
        summedWithPage = model.rowData(0)->loaded;
        nameWithPage = model.index(0, ModelListModel::NameColumn).data().toString();
        formatWithPage = model.index(0, ModelListModel::FormatColumn).data().toString();
    });
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(!summedWithPage);
    QCOMPARE(nameWithPage, QStringLiteral("llama"));
    QCOMPARE(formatWithPage, QStringLiteral("…"));
    QTRY_VERIFY(allLoaded(model));
    QCOMPARE(model.index(0, ModelListModel::FormatColumn).data().toString(),
             QStringLiteral("GGUF"));
    QCOMPARE(model.index(0, ModelListModel::ProvidersColumn).data().toString(),
             QStringLiteral("local"));
}

// When a model was last checked, in a column of its own that sorts by the time ("never" first).
void TestUiBrowser::lastVerifiedColumnSorts()
{
    // The words, against a fixed "now".
    const QDateTime now(QDate(2026, 11, 23), QTime(17, 30));
    QCOMPARE(verifiedText({}, now), QStringLiteral("never"));
    QCOMPARE(verifiedText(QDateTime(QDate(2026, 11, 23), QTime(14, 5)), now),
             QStringLiteral("today 14:05"));
    QCOMPARE(verifiedText(QDateTime(QDate(2026, 11, 22), QTime(9, 12)), now),
             QStringLiteral("yesterday 09:12"));
    QCOMPARE(verifiedText(QDateTime(QDate(2026, 11, 20), QTime(23, 59)), now),
             QStringLiteral("3 days ago"));
    QCOMPARE(verifiedText(QDateTime(QDate(2026, 3, 1), QTime(8, 0)), now),
             QStringLiteral("2026-03-01"));

    test::TestVault tv;
    QVERIFY(tv.ok());
    const qint64 local = tv.providerIds().value(0);
    const qint64 checked = addModel(tv.registry(), QStringLiteral("checked"),
                                    QStringLiteral("gguf"), QStringLiteral("Q4_0"), local);
    const qint64 unchecked = addModel(tv.registry(), QStringLiteral("unchecked"),
                                      QStringLiteral("gguf"), QStringLiteral("Q8_0"), local);
    QVERIFY(checked && unchecked);
    // Its one copy is read back and found good now.
    QVERIFY(tv.registry().placementRows().setPlacementState(QStringLiteral("chunk-checked"), local,
                                                            PlacementState::Stored, true));
    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));
    ModelListModel model;
    ModelFilterProxy proxy;
    proxy.setSourceModel(&model);
    model.setReader(reader.get());
    QVERIFY(fetchPage(model));
    QCOMPARE(model.rowCount(), 2);
    QTRY_VERIFY(allLoaded(model));
    QCOMPARE(model.headerData(ModelListModel::VerifiedColumn, Qt::Horizontal).toString(),
             QStringLiteral("Last verified"));
    const QString checkedText =
        model.index(model.rowOf(checked), ModelListModel::VerifiedColumn).data().toString();
    QVERIFY2(checkedText.startsWith(QStringLiteral("today ")), qPrintable(checkedText));
    QCOMPARE(model.index(model.rowOf(unchecked), ModelListModel::VerifiedColumn).data().toString(),
             QStringLiteral("never"));

    proxy.sort(ModelListModel::VerifiedColumn, Qt::AscendingOrder);
    QCOMPARE(proxy.index(0, ModelListModel::NameColumn).data().toString(),
             QStringLiteral("unchecked"));
    proxy.sort(ModelListModel::VerifiedColumn, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, ModelListModel::NameColumn).data().toString(),
             QStringLiteral("checked"));
}

// Seen: an unfinished float of a safetensors folder showed Format "HF-CONFIG": only its
// config.json was stored, and it was the one file with a format. The format is the weights'.
void TestUiBrowser::formatComesFromTheWeights()
{
    test::TestVault tv;
    QVERIFY(tv.ok());
    Registry& r = tv.registry();
    const QString chunker = QStringLiteral("fixed:64");
    const auto modelId = r.modelRows().createModel(QStringLiteral("Qwen2.5-7B-Instruct"), {});
    QVERIFY(modelId);
    const auto config =
        r.modelRows().beginFile(*modelId, QStringLiteral("config.json"), 700, chunker);
    QVERIFY(config);
    QVERIFY(r.modelRows().appendChunks(*config, {FileChunk{0, 0, 700, QStringLiteral("c-cfg")}}));
    QVERIFY(r.modelRows().completeFile(
        *config, QByteArray(64, 'c'),
        {{QStringLiteral("format"), QStringLiteral("hf-config")},
         {QStringLiteral("architecture"), QStringLiteral("Qwen2ForCausalLM")}}));
    // The weights are not stored yet: no metadata read from them, only their names.
    for (const QString& name : {QStringLiteral("model-00001-of-00002.safetensors"),
                                QStringLiteral("model-00002-of-00002.safetensors")})
        QVERIFY(r.modelRows().beginFile(*modelId, name, 80 * 1024 * 1024, chunker));
    QVERIFY(r.modelRows().beginFile(*modelId, QStringLiteral("tokenizer.json"), 5000, chunker));

    QString error;
    auto reader = VaultReader::open(tv.vault->directory(), &error);
    QVERIFY2(reader, qPrintable(error));
    QCOMPARE(reader->row(*modelId)->format, QStringLiteral("safetensors"));

    // Once the weights are read, their metadata says the format and the quantization, however
    // small they are beside a config.json.
    const auto other = r.modelRows().createModel(QStringLiteral("gguf-with-config"), {});
    QVERIFY(other);
    const auto small = r.modelRows().beginFile(*other, QStringLiteral("config.json"), 900, chunker);
    QVERIFY(small);
    QVERIFY(r.modelRows().appendChunks(*small, {FileChunk{0, 0, 900, QStringLiteral("c-json")}}));
    QVERIFY(r.modelRows().completeFile(*small, QByteArray(64, 'd'),
                                       {{QStringLiteral("format"), QStringLiteral("hf-config")}}));
    const auto weights = r.modelRows().beginFile(*other, QStringLiteral("w.gguf"), 500, chunker);
    QVERIFY(weights);
    QVERIFY(r.modelRows().appendChunks(*weights, {FileChunk{0, 0, 500, QStringLiteral("c-w")}}));
    QVERIFY(
        r.modelRows().completeFile(*weights, QByteArray(64, 'e'),
                                   {{QStringLiteral("format"), QStringLiteral("gguf")},
                                    {QStringLiteral("quantization"), QStringLiteral("Q4_K_M")}}));
    QCOMPARE(reader->row(*other)->format, QStringLiteral("gguf"));
    QCOMPARE(reader->row(*other)->quantization, QStringLiteral("Q4_K_M"));
}

QTEST_GUILESS_MAIN(TestUiBrowser)
#include "tst_ui_browser.moc"
