// The Materialize dialog's text and layout, offscreen on the real widget (issue 37): its
// "Destination" label gives its mnemonic to the field instead of showing "&Destination:", and
// the dialog is as tall as what it holds, with no empty band above its buttons, whichever
// layout is chosen.
#include "materializedialog.h"
#include "uitestsupport.h"

#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QtTest>

using namespace mf::test;
using namespace mf::ui;

namespace {

// Height the dialog needs for what it holds, at its width.
int neededHeight(const QWidget& w)
{
    return w.hasHeightForWidth() ? w.heightForWidth(w.width()) : w.sizeHint().height();
}

} // namespace

class TestUiMaterialize : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void destinationLabelGivesItsMnemonicToTheField()
    {
        MaterializeDialog dialog(QStringLiteral("Llama-3.2-1B-Instruct-Q4_K_M"),
                                 QStringLiteral("local:/models/llama.gguf"));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(labelsShowingAmpersand(dialog), QStringList());
        bool labelled = false;
        for (QLabel* label : dialog.findChildren<QLabel*>())
            labelled = labelled || label->buddy() == dialog.destinationEdit();
        QVERIFY(labelled);
    }

    void noEmptyBandAboveTheButtons()
    {
        MaterializeDialog dialog(QStringLiteral("Qwen2.5-0.5B"),
                                 QStringLiteral("hf:Qwen/Qwen2.5-0.5B@0123456789abcdef"));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY2(dialog.height() <= neededHeight(dialog),
                 qPrintable(QStringLiteral("%1 px high for %2 px of content")
                                .arg(dialog.height())
                                .arg(neededHeight(dialog))));
        // The cache layout's longer hint: room for it, still no band.
        dialog.cacheButton()->setChecked(true);
        QTest::qWait(50); // let the layout settle
        QVERIFY2(dialog.height() >= neededHeight(dialog),
                 qPrintable(QStringLiteral("%1 px high, needs %2")
                                .arg(dialog.height())
                                .arg(neededHeight(dialog))));
        QVERIFY(dialog.height() <= neededHeight(dialog));
    }
};

QTEST_MAIN(TestUiMaterialize)
#include "tst_ui_materialize.moc"
