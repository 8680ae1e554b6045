// A restore that meets files already at its destination, driven through the widgets against a
// real Engine: Retry never replaces what the first attempt refused to; the question offers
// Replace, Keep both and Skip (with "the same for the others") in plain words, and each answer
// does exactly what it says, byte for byte; a finished restore's row opens its folder, or shows
// its path with a Copy button where no file manager answers.
#include "engine/engine.h"
#include "restoreconflictprompt.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfersmodel.h"
#include "transfersview.h"

#include <QAction>
#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QPushButton>
#include <QTreeView>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

using State = TransferInfo::State;

const QByteArray Mine("the user's own file, which no restore may touch unasked\n");

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The user's file at `path`, its folder made first.
bool put(const QString& path, const QByteArray& bytes)
{
    return QDir().mkpath(QFileInfo(path).path()) && writeFile(path, bytes);
}

// Everything in a folder, hidden files (a restore's temporaries) included.
QStringList entries(const QString& folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                                  QDir::Name);
}

} // namespace

class TestUiRestoreConflict : public QObject
{
    Q_OBJECT

private:
    // A vault with one model of two files, "a.gguf" and "b.gguf", and an Engine on it with the
    // transfers page and the conflict question, as the main window has them.
    struct Fixture
    {
        TestVault tv;
        QString sourceA, sourceB;
        Engine engine;
        TransfersModel model{&engine};
        QWidget window;
        TransfersView view{&engine, &model, &window};
        RestoreConflictPrompt prompt{&engine, &window};
        qint64 modelId = 0;

        const TransferInfo* info(qint64 id) const
        {
            const int row = model.rowOf(id);
            return row < 0 ? nullptr : model.transfer(row);
        }
        bool waitFor(qint64 id, State state)
        {
            return QTest::qWaitFor(
                [&] {
                    const TransferInfo* i = info(id);
                    return i && i->state == state;
                },
                JobTimeoutMs);
        }
        void select(qint64 id)
        {
            view.view()->selectionModel()->select(model.index(model.rowOf(id), 0),
                                                  QItemSelectionModel::ClearAndSelect |
                                                      QItemSelectionModel::Rows);
        }
        QMessageBox* waitForQuestion()
        {
            if (!QTest::qWaitFor([&] { return prompt.pendingQuestion() != nullptr; }, JobTimeoutMs))
                return nullptr;
            return prompt.pendingQuestion();
        }
        QString out(const QString& name) { return tv.path(name); }
    };

    bool setUp(Fixture& f)
    {
        if (!f.tv.ok())
            return false;
        f.tv.vault->setDefaultChunker(SmallChunks);
        const QString dir = f.tv.vault->directory();
        f.tv.vault.reset();
        f.sourceA = f.tv.path(QStringLiteral("src/a.gguf"));
        f.sourceB = f.tv.path(QStringLiteral("src/b.gguf"));
        if (!QDir().mkpath(f.tv.path(QStringLiteral("src"))) ||
            !writePseudoRandomFile(f.sourceA, MiB + 17, 41) ||
            !writePseudoRandomFile(f.sourceB, 700 * KiB, 42))
            return false;
        QSignalSpy opened(&f.engine, &Engine::opened);
        f.engine.open(dir);
        if (!opened.wait(JobTimeoutMs) || !opened.first().first().toString().isEmpty())
            return false;
        FloatRequest request;
        request.paths = {f.tv.path(QStringLiteral("src"))};
        request.modelName = QStringLiteral("Pair");
        const qint64 id = f.engine.floatFiles(request);
        if (!f.waitFor(id, State::Done))
            return false;
        f.modelId = f.info(id)->modelId;
        return f.modelId > 0;
    }

    static QPushButton* button(QMessageBox* box, const char* name)
    {
        return box ? box->findChild<QPushButton*>(QLatin1String(name)) : nullptr;
    }

private Q_SLOTS:
    // The defect: the first attempt refused because a different file was there; Retry then
    // replaced it. A retry replays exactly the request it retries.
    void retryNeverReplacesWhatTheFirstAttemptRefused()
    {
        Fixture f;
        QVERIFY(setUp(f));
        const QString out = f.out(QStringLiteral("out"));
        QVERIFY(put(out + QStringLiteral("/a.gguf"), Mine));

        const qint64 id = f.engine.restoreModel(f.modelId, out);
        QVERIFY(f.waitFor(id, State::Failed));
        // Said in the GUI's words: what is in the way, no command-line flag.
        QVERIFY2(f.info(id)->error.contains(QStringLiteral("a.gguf")),
                 qPrintable(f.info(id)->error));
        QVERIFY2(!f.info(id)->error.contains(QStringLiteral("--")), qPrintable(f.info(id)->error));
        QCOMPARE(entries(out), QStringList{QStringLiteral("a.gguf")}); // nothing was written

        f.select(id);
        QVERIFY(f.view.retryAction()->isEnabled());
        QSignalSpy changes(&f.engine, &Engine::transferChanged);
        f.view.retryAction()->trigger();
        // It ran again (queued, then ended) ...
        QVERIFY(QTest::qWaitFor(
            [&] {
                bool requeued = false;
                for (const QList<QVariant>& c : std::as_const(changes)) {
                    const auto i = c.first().value<TransferInfo>();
                    requeued |= i.id == id && !i.isFinished();
                    if (requeued && i.id == id && i.isFinished())
                        return true;
                }
                return false;
            },
            JobTimeoutMs));
        // ... and refused again, the same way: the user's file is untouched.
        QCOMPARE(f.info(id)->state, State::Failed);
        QCOMPARE(readAll(out + QStringLiteral("/a.gguf")), Mine);
        QCOMPARE(entries(out), QStringList{QStringLiteral("a.gguf")});

        // From the GUI the restore asks instead; cancelling the question and retrying asks
        // again and still replaces nothing.
        const qint64 asked = f.engine.restoreModel(f.modelId, out, Engine::RestoreConflicts::Ask);
        QMessageBox* box = f.waitForQuestion();
        QVERIFY(box);
        QCOMPARE(f.info(asked)->state, State::Paused);
        button(box, "cancel")->click();
        QVERIFY(f.waitFor(asked, State::Cancelled));
        f.select(asked);
        QVERIFY(f.view.retryAction()->isEnabled());
        f.view.retryAction()->trigger();
        box = f.waitForQuestion();
        QVERIFY(box);
        QCOMPARE(readAll(out + QStringLiteral("/a.gguf")), Mine);
        QCOMPARE(entries(out), QStringList{QStringLiteral("a.gguf")});
        button(box, "cancel")->click();
        QVERIFY(f.waitFor(asked, State::Cancelled));
        QCOMPARE(readAll(out + QStringLiteral("/a.gguf")), Mine);
    }

    void eachAnswerDoesWhatItSays_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::newRow("replace") << QStringLiteral("replace");
        QTest::newRow("keep both") << QStringLiteral("keepBoth");
        QTest::newRow("skip") << QStringLiteral("skip");
    }

    // One file in the way: the question names it, offers Replace / Keep both / Skip in plain
    // words, and the restore goes on with the answer.
    void eachAnswerDoesWhatItSays()
    {
        QFETCH(QString, answer);
        Fixture f;
        QVERIFY(setUp(f));
        const QString out = f.out(QStringLiteral("out"));
        const QString a = out + QStringLiteral("/a.gguf");
        const QString b = out + QStringLiteral("/b.gguf");
        const QString a2 = out + QStringLiteral("/a (2).gguf");
        QVERIFY(put(a, Mine));

        const qint64 id = f.engine.restoreModel(f.modelId, out, Engine::RestoreConflicts::Ask);
        QMessageBox* box = f.waitForQuestion();
        QVERIFY(box);
        QVERIFY(box->isVisible());
        QCOMPARE(box->windowModality(), Qt::WindowModal);
        QVERIFY2(box->text().contains(QStringLiteral("a.gguf")), qPrintable(box->text()));
        for (const QString& text : {box->text(), box->informativeText()})
            QVERIFY2(!text.contains(QStringLiteral("--")), qPrintable(text));
        QCOMPARE(button(box, "replace")->text(), QStringLiteral("Replace"));
        QCOMPARE(button(box, "keepBoth")->text(), QStringLiteral("Keep both"));
        QCOMPARE(button(box, "skip")->text(), QStringLiteral("Skip"));
        QVERIFY(button(box, "cancel"));
        QVERIFY(!box->checkBox()); // one file: nothing to apply to the others
        // Nothing is written while it waits for the answer: no partial file, no temporary.
        QCOMPARE(f.info(id)->state, State::Paused);
        // Issue 37: paused for the question, it is not one "Resume all" resumes: that would
        // only ask again behind the open question.
        QVERIFY(!f.view.resumeAllAction()->isEnabled());
        QCOMPARE(entries(out), QStringList{QStringLiteral("a.gguf")});

        button(box, answer.toLatin1().constData())->click();
        QVERIFY2(f.waitFor(id, State::Done), qPrintable(f.info(id)->error));
        QVERIFY(!f.prompt.pendingQuestion());

        QCOMPARE(opensslSha256Hex(b), opensslSha256Hex(f.sourceB));
        if (answer == QLatin1String("replace")) {
            QCOMPARE(opensslSha256Hex(a), opensslSha256Hex(f.sourceA));
            QCOMPARE(entries(out),
                     (QStringList{QStringLiteral("a.gguf"), QStringLiteral("b.gguf")}));
        } else if (answer == QLatin1String("keepBoth")) {
            QCOMPARE(readAll(a), Mine);
            QCOMPARE(opensslSha256Hex(a2), opensslSha256Hex(f.sourceA));
            QCOMPARE(entries(out),
                     (QStringList{QStringLiteral("a (2).gguf"), QStringLiteral("a.gguf"),
                                  QStringLiteral("b.gguf")}));
        } else {
            QCOMPARE(readAll(a), Mine);
            QCOMPARE(entries(out),
                     (QStringList{QStringLiteral("a.gguf"), QStringLiteral("b.gguf")}));
        }
    }

    // Several files in the way: "do the same for the others" answers them all at once; without
    // it, each is asked about in turn.
    void applyToAllAnswersEveryFile()
    {
        Fixture f;
        QVERIFY(setUp(f));
        const QString out = f.out(QStringLiteral("out"));
        QVERIFY(put(out + QStringLiteral("/a.gguf"), Mine));
        QVERIFY(put(out + QStringLiteral("/b.gguf"), Mine + "b"));

        const qint64 id = f.engine.restoreModel(f.modelId, out, Engine::RestoreConflicts::Ask);
        QMessageBox* box = f.waitForQuestion();
        QVERIFY(box);
        QVERIFY(box->checkBox());
        QCOMPARE(box->checkBox()->text(),
                 QStringLiteral("Do the same for the 1 other file already there"));
        box->checkBox()->setChecked(true);
        button(box, "keepBoth")->click();
        QVERIFY2(f.waitFor(id, State::Done), qPrintable(f.info(id)->error));
        QVERIFY(!f.prompt.pendingQuestion()); // one question was enough
        QCOMPARE(readAll(out + QStringLiteral("/a.gguf")), Mine);
        QCOMPARE(readAll(out + QStringLiteral("/b.gguf")), Mine + "b");
        QCOMPARE(opensslSha256Hex(out + QStringLiteral("/a (2).gguf")),
                 opensslSha256Hex(f.sourceA));
        QCOMPARE(opensslSha256Hex(out + QStringLiteral("/b (2).gguf")),
                 opensslSha256Hex(f.sourceB));
        QCOMPARE(entries(out).size(), 4); // and no temporary

        // Without the box ticked: a second question for the second file.
        const QString out2 = f.out(QStringLiteral("out2"));
        QVERIFY(put(out2 + QStringLiteral("/a.gguf"), Mine));
        QVERIFY(put(out2 + QStringLiteral("/b.gguf"), Mine + "b"));
        const qint64 id2 = f.engine.restoreModel(f.modelId, out2, Engine::RestoreConflicts::Ask);
        box = f.waitForQuestion();
        QVERIFY(box);
        QVERIFY(box->text().contains(QStringLiteral("a.gguf")));
        button(box, "replace")->click();
        box = f.prompt.pendingQuestion();
        QVERIFY(box);
        QVERIFY(box->text().contains(QStringLiteral("b.gguf")));
        QVERIFY(!box->checkBox()); // the last one
        button(box, "skip")->click();
        QVERIFY2(f.waitFor(id2, State::Done), qPrintable(f.info(id2)->error));
        QCOMPARE(opensslSha256Hex(out2 + QStringLiteral("/a.gguf")), opensslSha256Hex(f.sourceA));
        QCOMPARE(readAll(out2 + QStringLiteral("/b.gguf")), Mine + "b");
        QCOMPARE(entries(out2), (QStringList{QStringLiteral("a.gguf"), QStringLiteral("b.gguf")}));
    }

    // A finished restore's row opens its folder; other rows, and a restore not done, do not.
    void openFolderAfterARestore()
    {
        Fixture f;
        QVERIFY(setUp(f));
        const qint64 floatRow = f.model.transfer(0)->id;
        f.select(floatRow);
        QVERIFY(!f.view.openFolderAction()->isEnabled());
        QVERIFY(f.view.openFolderAction()->text().contains(QStringLiteral("Open folder")));

        const QString out = f.out(QStringLiteral("restored here"));
        const qint64 id = f.engine.restoreModel(f.modelId, out);
        QVERIFY(f.waitFor(id, State::Done));
        f.select(id);
        QVERIFY(f.view.openFolderAction()->isEnabled());
        QCOMPARE(f.view.folderToOpen(), QUrl::fromLocalFile(out));
        // With no file manager (none answers on the offscreen platform) the path is shown, with
        // a button that copies it.
        QVERIFY(!f.view.folderNote());
        f.view.openFolderAction()->trigger();
        QVERIFY(f.view.folderNote());
        QCOMPARE(f.view.folderNote()->informativeText(), QDir::toNativeSeparators(out));
        QAbstractButton* copy = nullptr;
        for (QAbstractButton* b : f.view.folderNote()->buttons())
            if (b->text().contains(QLatin1String("Copy path")))
                copy = b;
        QVERIFY(copy);
        copy->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), QDir::toNativeSeparators(out));
        QTRY_VERIFY(!f.view.folderNote());

        // A failed restore has nothing to show.
        const qint64 failed = f.engine.restoreModel(f.modelId, out);
        QVERIFY(f.waitFor(failed, State::Failed));
        f.select(failed);
        QVERIFY(!f.view.openFolderAction()->isEnabled());
        QVERIFY(f.view.folderToOpen().isEmpty());
    }
};

QTEST_MAIN(TestUiRestoreConflict)
#include "tst_ui_restoreconflict.moc"
