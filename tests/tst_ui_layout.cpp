// Layout and text of the dialogs and panes, offscreen on the real widgets: the float dialog makes
// room for its message instead of squashing the provider list; the add-provider dialog grows
// with an introduction and a longer form, keeping a kind's description clear of the Kind box; a
// file that only looks like a model says in the details what the command line says, instead of
// a column of "—". The main window opens whole on its screen, its column headers show their
// whole titles, the speed graph's legend can be read on a dark theme, and a search that finds
// nothing says so.
#include "engine/engine.h"
#include "floatdialog.h"
#include "keeponscreen.h"
#include "mainwindow.h"
#include "modelbrowser.h"
#include "modeldetails.h"
#include "modellistmodel.h"
#include "providerdialog.h"
#include "readablecolor.h"
#include "speedgraph.h"
#include "synctestsupport.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/floatjob.h"
#include "vaultreader.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScopeGuard>
#include <QScreen>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

// "W×H at X,Y on a W×H screen": where a window is, for a failure's message.
QByteArray placement(const QRect& window, const QRect& screen)
{
    return QStringLiteral("%1×%2 at %3,%4 on a %5×%6 screen")
        .arg(window.width())
        .arg(window.height())
        .arg(window.x())
        .arg(window.y())
        .arg(screen.width())
        .arg(screen.height())
        .toUtf8();
}

// Why `w` is not shown whole inside its parent (empty: it is): shorter than it asks to be, or
// reaching outside the parent's contents.
QString clipped(const QWidget* w)
{
    // Wrapped text needs the height its lines take at its width; anything else its size hint.
    const int wanted =
        w->hasHeightForWidth() ? w->heightForWidth(w->width()) : w->sizeHint().height();
    if (w->height() < wanted)
        return QStringLiteral("%1 “%2” is %3 px high, needs %4")
            .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName())
            .arg(w->height())
            .arg(wanted);
    const QWidget* parent = w->parentWidget();
    if (parent && !parent->contentsRect().contains(w->geometry()))
        return QStringLiteral("%1 reaches outside its parent")
            .arg(QString::fromLatin1(w->metaObject()->className()));
    return {};
}

// The two widgets overlap on screen.
bool overlap(const QWidget* a, const QWidget* b)
{
    const QRect ra(a->mapToGlobal(QPoint(0, 0)), a->size());
    const QRect rb(b->mapToGlobal(QPoint(0, 0)), b->size());
    return ra.intersects(rb);
}

ProviderRecord provider(qint64 id, const QString& name, const QString& health = {})
{
    ProviderRecord p;
    p.id = id;
    p.name = name;
    p.kind = QStringLiteral("local");
    p.health = health;
    return p;
}

} // namespace

class TestUiLayout : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_layout"));
    }
    void init() { QSettings().clear(); }

    void floatDialogMakesRoomForItsMessage()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("weights.safetensors"));
        QVERIFY(writeFile(file, QByteArray(4096, 'w')));
        const QList<ProviderRecord> providers{
            provider(1, QStringLiteral("local")), provider(2, QStringLiteral("nas")),
            provider(3, QStringLiteral("usb-disk")),
            provider(4, QStringLiteral("nextcloud"), QStringLiteral("error: connection refused"))};
        const auto taken = [](const QString& n) { return n.startsWith(QLatin1String("taken")); };
        FloatDialog dialog(DroppedFiles::fromPaths({file}), providers,
                           RedundancyScheme::makeCopies(2), taken);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        for (QCheckBox* box : dialog.providerBoxes())
            QVERIFY2(clipped(box).isEmpty(), qPrintable(clipped(box)));

        // A message long enough to wrap over several lines.
        dialog.nameEdit()->setText(
            QStringLiteral("taken Llama 3.1 70B Instruct abliterated with the long chat template "
                           "fix and a name that goes on"));
        dialog.accept();
        QVERIFY(!dialog.errorText().isEmpty());
        QLabel* message = nullptr;
        for (QLabel* label : dialog.findChildren<QLabel*>())
            if (label->accessibleName() == QLatin1String("Problem"))
                message = label;
        QVERIFY(message);
        QTRY_VERIFY(message->isVisible());
        QTest::qWait(50); // let the layout settle
        QVERIFY2(clipped(message).isEmpty(), qPrintable(clipped(message)));
        auto* group = dialog.findChild<QGroupBox*>();
        QVERIFY(group);
        QVERIFY2(clipped(group).isEmpty(), qPrintable(clipped(group)));
        QVERIFY(!overlap(group, message));
        for (QCheckBox* box : dialog.providerBoxes())
            QVERIFY2(clipped(box).isEmpty(),
                     qPrintable(box->text() + QStringLiteral(": ") + clipped(box)));
        // The message goes with the next edit; the dialog does not stay stretched for nothing.
        dialog.nameEdit()->setText(QStringLiteral("fresh"));
        QVERIFY(message->isHidden());
    }

    void providerDialogGrowsWithItsContent()
    {
        Engine engine;
        ProviderDialog dialog(&engine, std::nullopt, {});
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        // What "Attach storage" does once the dialog is up: an introduction above the form.
        dialog.setIntro(QStringLiteral("Enter the storage that ModelFloat used on another "
                                       "computer. Once it is saved, the models kept there are "
                                       "added to this vault; nothing on the storage is changed."));
        // The local folder's one-line description first, then WebDAV's longer one.
        for (const QString& id : {QStringLiteral("local"), QStringLiteral("webdav")}) {
            const ProviderKind* kind = engine.providerFactory().kind(id);
            QVERIFY(kind);
            dialog.kindBox()->setCurrentIndex(dialog.kindBox()->findData(id));
            QTest::qWait(50); // let the layout settle
            QLabel* description = nullptr;
            for (QLabel* label : dialog.findChildren<QLabel*>())
                if (label->text() == kind->description)
                    description = label;
            QVERIFY2(description, qPrintable(id));
            QVERIFY2(clipped(description).isEmpty(),
                     qPrintable(id + QLatin1Char(' ') + clipped(description)));
            QVERIFY2(!overlap(description, dialog.kindBox()), qPrintable(id));
            QVERIFY2(!overlap(description, dialog.nameEdit()), qPrintable(id));
            // No field squashed below the height it asks for (Qt's own parts of a spin box or
            // a combo box aside: they fit their box).
            for (QWidget* field : dialog.findChildren<QWidget*>()) {
                if (field->isHidden() || field->objectName().startsWith(QLatin1String("qt_")) ||
                    (!qobject_cast<QLineEdit*>(field) && !qobject_cast<QComboBox*>(field) &&
                     !qobject_cast<QLabel*>(field)))
                    continue;
                QVERIFY2(field->height() >= field->minimumSizeHint().height() &&
                             clipped(field).isEmpty(),
                         qPrintable(id + QLatin1Char(' ') + field->accessibleName() +
                                    QLatin1Char(' ') + clipped(field)));
            }
        }
    }

    // Issue 37: the kind's own fields (a local folder's Folder and Daily upload budget) and a
    // field added below them (Attach storage's recovery key) start where Kind, Name and Quota
    // start, one column of fields, whichever kind is chosen.
    void providerDialogFieldsLineUp()
    {
        Engine engine;
        ProviderDialog dialog(&engine, std::nullopt, {});
        dialog.addRow(QStringLiteral("&Recovery key:"), new QLineEdit(&dialog));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        for (const QString& id :
             {QStringLiteral("local"), QStringLiteral("webdav"), QStringLiteral("s3")}) {
            const int index = dialog.kindBox()->findData(id);
            QVERIFY2(index >= 0, qPrintable(id));
            dialog.kindBox()->setCurrentIndex(index);
            QTest::qWait(50); // let the layout settle
            const int x = dialog.kindBox()->mapTo(&dialog, QPoint(0, 0)).x();
            int fields = 0;
            for (QWidget* field : dialog.findChildren<QWidget*>()) {
                if (!field->isVisible() ||
                    !(qobject_cast<QLineEdit*>(field) || qobject_cast<QComboBox*>(field) ||
                      qobject_cast<QSpinBox*>(field)))
                    continue;
                if (field->parentWidget() && qobject_cast<QSpinBox*>(field->parentWidget()))
                    continue; // a spin box's own line edit
                ++fields;
                QVERIFY2(field->mapTo(&dialog, QPoint(0, 0)).x() == x,
                         qPrintable(QStringLiteral("%1: “%2” starts at x %3, Kind at %4")
                                        .arg(id, field->accessibleName())
                                        .arg(field->mapTo(&dialog, QPoint(0, 0)).x())
                                        .arg(x)));
            }
            QVERIFY2(fields >= 5, qPrintable(id));
        }
    }

    void unreadableGgufSaysWhatTheCommandLineSays()
    {
        // A file named like a GGUF that is not one: floated as a plain file.
        TestVault tv;
        QVERIFY(tv.ok());
        const QString file = tv.path(QStringLiteral("x.gguf"));
        QVERIFY(writePseudoRandomFile(file, 64 * KiB, 7));
        FloatJob::Request request;
        request.paths = {file};
        request.modelName = QStringLiteral("x");
        FloatJob job(tv.vault.get(), request);
        QVERIFY(run(job));
        QVERIFY2(job.error().ok(), qPrintable(job.error().message));
        const auto model = tv.registry().modelRows().modelByName(QStringLiteral("x"));
        QVERIFY(model);
        const QString dir = tv.vault->directory();
        tv.vault.reset();

        QString error;
        auto reader = VaultReader::open(dir, &error);
        QVERIFY2(reader, qPrintable(error));
        ModelDetails details;
        details.resize(900, 700);
        details.setReader(reader.get());
        details.showModel(model->id);
        details.show();
        QStringList shown;
        for (QLabel* label : details.formatBox()->findChildren<QLabel*>())
            shown.append(label->text());
        QVERIFY2(!shown.contains(QStringLiteral("—")), qPrintable(shown.join(QLatin1Char('|'))));
        QString said;
        for (const QString& text : std::as_const(shown))
            if (text.contains(QLatin1String("not a GGUF file")))
                said = text;
        QVERIFY2(!said.isEmpty(), qPrintable(shown.join(QLatin1Char('|'))));

        // The command line says the very same words.
        QString out;
        QVERIFY2(runProcess(
                     mf::test::cliPath(),
                     {QStringLiteral("info"), QStringLiteral("x"), QStringLiteral("--vault"), dir},
                     &out),
                 qPrintable(out));
        QVERIFY2(out.contains(said), qPrintable(out + QStringLiteral("\nGUI: ") + said));
    }

    // The offscreen screen is 800×600: smaller than the window's default size, as a laptop's
    // 1920×1080 screen at 200 % is (960×540 to Qt).
    void mainWindowOpensWithinItsScreen()
    {
        Engine engine;
        MainWindow window(&engine);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QRect area = window.screen()->availableGeometry();
        QVERIFY2(area.contains(window.frameGeometry()),
                 placement(window.frameGeometry(), area).constData());
    }

    void savedGeometryLargerThanTheScreenIsKeptOnIt()
    {
        QByteArray saved;
        {
            QWidget large;
            const QRect area = large.screen()->availableGeometry();
            large.setGeometry(area.x() + 200, area.y() + 150, area.width() * 2, area.height() * 2);
            saved = large.saveGeometry();
        }
        QSettings().setValue(QStringLiteral("mainWindow/geometry"), saved);
        Engine engine;
        MainWindow window(&engine);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.screen()->availableGeometry().contains(window.frameGeometry()));
    }

    // A window left as large as its screen (maximized by hand, or by the screenshot script) came
    // back at 8,40 with its size shrunk for a frame: under a real window manager its frame ran
    // 40 px past the screen's bottom and hid the status bar. The frame's allowance around the
    // window must be on the screen too.
    void savedGeometryAsLargeAsTheScreenKeepsItsFrameOnIt()
    {
        QByteArray saved;
        {
            QWidget full;
            full.setGeometry(full.screen()->availableGeometry());
            saved = full.saveGeometry();
        }
        QSettings().setValue(QStringLiteral("mainWindow/geometry"), saved);
        Engine engine;
        MainWindow window(&engine);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QRect area = window.screen()->availableGeometry();
        const QRect framed(window.pos(), window.size().grownBy(FrameAllowance));
        QVERIFY2(area.contains(framed), placement(framed, area).constData());
    }

    void columnHeadersShowTheirWholeTitle()
    {
        Engine engine;
        MainWindow window(&engine);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QHeaderView* header = window.browser()->view()->horizontalHeader();
        for (int column = 0; column < header->count(); ++column) {
            const QString title = header->model()->headerData(column, Qt::Horizontal).toString();
            QVERIFY2(header->sectionSize(column) >= header->sectionSizeHint(column),
                     qPrintable(QStringLiteral("“%1” is %2 px wide, needs %3")
                                    .arg(title)
                                    .arg(header->sectionSize(column))
                                    .arg(header->sectionSizeHint(column))));
        }
    }

    // The health is what a user looks for first: in a 900 px window it shows whole, next to
    // the name, without scrolling sideways (it was the seventh column, cut at the window's edge).
    void healthShowsWholeInANarrowWindow()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        QVERIFY(floatTestFile(tv, QStringLiteral("narrow"), 300 * KiB, 5, 1) > 0);
        const QString dir = tv.vault->directory();
        tv.vault.reset();
        Engine engine;
        MainWindow window(&engine);
        window.resize(900, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QTableView* view = window.browser()->view();
        QVERIFY(QTest::qWaitFor([&] { return view->model()->rowCount() == 1; }, JobTimeoutMs));
        const QModelIndex health = view->model()->index(0, ModelListModel::ReplicasColumn);
        QVERIFY(QTest::qWaitFor(
            [&] { return health.data().toString().contains(QLatin1String("healthy")); },
            JobTimeoutMs));
        QCOMPARE(view->horizontalScrollBar()->value(), 0);
        const QRect cell = view->visualRect(health);
        QVERIFY2(view->viewport()->rect().contains(cell),
                 qPrintable(QStringLiteral("the health cell is at x %1..%2 of a %3 px list")
                                .arg(cell.left())
                                .arg(cell.right())
                                .arg(view->viewport()->width())));
        QVERIFY2(cell.width() >= view->sizeHintForIndex(health).width(),
                 qPrintable(QStringLiteral("“%1” gets %2 px, needs %3")
                                .arg(health.data().toString())
                                .arg(cell.width())
                                .arg(view->sizeHintForIndex(health).width())));
    }

    void modelColumnsFitTheirContent_data()
    {
        QTest::addColumn<int>("scale");
        QTest::newRow("100 %") << 1;
        QTest::newRow("200 %") << 2;
    }

    // Seen: "SAFETEN…" in the Format column and "checked just n…" in the health, at 100 % and
    // 200 %. Every column of short values is as wide as the widest value shown (the name, the
    // providers and the source are free text, elided if long).
    void modelColumnsFitTheirContent()
    {
        QFETCH(int, scale);
        const QFont font = QApplication::font();
        QFont larger = font;
        larger.setPointSizeF(font.pointSizeF() * scale);
        QApplication::setFont(larger);
        const auto restoreFont = qScopeGuard([&] { QApplication::setFont(font); });

        TestVault tv;
        QVERIFY(tv.ok());
        Registry& r = tv.registry();
        const qint64 local = tv.providerIds().value(0);
        const QString chunker = QStringLiteral("fixed:64");
        // A complete safetensors model with one copy, and a float that stopped half-way.
        const auto done = r.modelRows().createModel(QStringLiteral("Qwen2.5-0.5B-Instruct"), {});
        QVERIFY(done);
        const auto file =
            r.modelRows().beginFile(*done, QStringLiteral("model.safetensors"), 100, chunker);
        QVERIFY(file);
        QVERIFY(r.modelRows().appendChunks(*file, {FileChunk{0, 0, 100, QStringLiteral("c-st")}}));
        QVERIFY(
            r.modelRows().completeFile(*file, QByteArray(64, 'a'),
                                       {{QStringLiteral("format"), QStringLiteral("safetensors")},
                                        {QStringLiteral("quantization"), QStringLiteral("BF16")},
                                        {QStringLiteral("parameters"), 494032768.0}}));
        Placement p;
        p.cid = QStringLiteral("c-st");
        p.providerId = local;
        p.locator = p.cid;
        p.state = PlacementState::Stored;
        QVERIFY(r.placementRows().recordPlacement(p));
        QVERIFY(r.modelRows().setModelState(*done, ModelRecord::State::Complete));
        const auto unfinished =
            r.modelRows().createModel(QStringLiteral("Qwen2.5-7B-Instruct"), {});
        QVERIFY(unfinished);
        QVERIFY(r.modelRows().beginFile(*unfinished,
                                        QStringLiteral("model-00001-of-00003.safetensors"),
                                        80 * qint64(MiB), chunker));
        const QString dir = tv.vault->directory();
        tv.vault.reset();

        Engine engine;
        engine.setSyncPaused(true);
        MainWindow window(&engine);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QTableView* view = window.browser()->view();
        QVERIFY(QTest::qWaitFor([&] { return view->model()->rowCount() == 2; }, JobTimeoutMs));
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (int row = 0; row < 2; ++row)
                    if (view->model()
                            ->index(row, ModelListModel::ReplicasColumn)
                            .data()
                            .toString()
                            .isEmpty())
                        return false;
                return true;
            },
            JobTimeoutMs));
        const QList<int> freeText{ModelListModel::NameColumn, ModelListModel::ProvidersColumn,
                                  ModelListModel::SourceColumn};
        QStringList clippedCells;
        const auto check = [&] {
            clippedCells.clear();
            for (int row = 0; row < view->model()->rowCount(); ++row)
                for (int column = 0; column < ModelListModel::ColumnCount; ++column) {
                    if (freeText.contains(column))
                        continue;
                    const QModelIndex index = view->model()->index(row, column);
                    const int needs = view->sizeHintForIndex(index).width();
                    if (view->columnWidth(column) < needs)
                        clippedCells.append(QStringLiteral("“%1” gets %2 px, needs %3")
                                                .arg(index.data().toString())
                                                .arg(view->columnWidth(column))
                                                .arg(needs));
                }
            return clippedCells.isEmpty();
        };
        // The widths follow the rows as they are filled in.
        QVERIFY2(QTest::qWaitFor(check, 2000), qPrintable(clippedCells.join(QLatin1String("; "))));
    }

    // Adwaita-dark's colours: a deep blue selection meant under white text, on dark grey.
    void speedGraphLegendIsReadableOnADarkTheme()
    {
        SpeedGraph graph;
        QPalette dark = graph.palette();
        dark.setColor(QPalette::Base, QColor(0x2d, 0x2d, 0x2d));
        dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xec));
        dark.setColor(QPalette::Highlight, QColor(0x15, 0x53, 0x9e));
        dark.setColor(QPalette::LinkVisited, QColor(0x1b, 0x6a, 0xcb));
        dark.setColor(QPalette::PlaceholderText, QColor(0x55, 0x55, 0x55));
        graph.setPalette(dark);
        const QColor base = dark.color(QPalette::Base);
        QVERIFY2(contrastRatio(graph.uploadColor(), base) >= TextContrast,
                 qPrintable(graph.uploadColor().name()));
        QVERIFY2(contrastRatio(graph.downloadColor(), base) >= TextContrast,
                 qPrintable(graph.downloadColor().name()));
        QVERIFY(graph.uploadColor() != graph.downloadColor());
        // A light theme's colours that already stand out are kept as they are.
        QPalette light = graph.palette();
        light.setColor(QPalette::Base, Qt::white);
        light.setColor(QPalette::Highlight, QColor(0x30, 0x8c, 0xc6).darker(150));
        graph.setPalette(light);
        QCOMPARE(graph.uploadColor(), QColor(0x30, 0x8c, 0xc6).darker(150));
    }

    // A search that finds nothing says so in the list, and the words go with the search.
    void searchWithNoMatchesSaysSo()
    {
        ModelBrowser browser(nullptr);
        browser.resize(900, 600);
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        QLabel* note = nullptr;
        for (QLabel* label : browser.view()->viewport()->findChildren<QLabel*>())
            if (label->accessibleName() == QLatin1String("No matches"))
                note = label;
        QVERIFY(note);
        QVERIFY(!note->isVisible());
        browser.searchBox()->setText(QStringLiteral("llama 70b"));
        QTRY_VERIFY(note->isVisible());
        QVERIFY2(note->text().contains(QStringLiteral("“llama 70b”")), qPrintable(note->text()));
        QVERIFY(browser.view()->viewport()->rect().contains(note->geometry()));
        browser.searchBox()->clear();
        QVERIFY(!note->isVisible());
    }

    // With one working provider of two, the dialog offers 1 copy and says what that means.
    void floatDialogSaysWhenItOffersFewerCopies()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("weights.safetensors"));
        QVERIFY(writeFile(file, QByteArray(4096, 'w')));
        const QList<ProviderRecord> providers{
            provider(1, QStringLiteral("local")),
            provider(2, QStringLiteral("nextcloud"), QStringLiteral("error: connection refused"))};
        FloatDialog dialog(DroppedFiles::fromPaths({file}), providers,
                           RedundancyScheme::makeCopies(2), [](const QString&) { return false; });
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.replicasBox()->value(), 1);
        QVERIFY2(dialog.costText().contains(QLatin1String("wants 2 copies")),
                 qPrintable(dialog.costText()));
        QVERIFY2(dialog.costText().contains(QLatin1String("repair")),
                 qPrintable(dialog.costText()));
        QLabel* note = nullptr;
        for (QLabel* label : dialog.findChildren<QLabel*>())
            if (label->text() == dialog.costText())
                note = label;
        QVERIFY(note);
        QTest::qWait(50); // let the layout settle
        QVERIFY2(clipped(note).isEmpty(), qPrintable(clipped(note)));
        dialog.replicasBox()->setValue(2);
        QVERIFY(!dialog.costText().contains(QLatin1String("wants")));
    }
};

QTEST_MAIN(TestUiLayout)
#include "tst_ui_layout.moc"
