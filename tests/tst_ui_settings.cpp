// The settings dialog: vault settings reach the vault through the Engine, this computer's go to
// QSettings, and "start at login" writes and removes a real XDG autostart entry.
#include "autostart.h"
#include "engine/engine.h"
#include "settingsdialog.h"
#include "testvault.h"
#include "uitestsupport.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

class TestUiSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Test mode: QSettings and the autostart folder live under ~/.qttest, not the user's.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_settings"));
        autostart::setEnabled(false);
        QSettings().clear();
    }

    void autostartEntry()
    {
        QVERIFY(autostart::entryPath().contains(QStringLiteral("qttest")));
        QVERIFY(!autostart::isEnabled());
        QString error;
        QVERIFY2(autostart::setEnabled(true, &error), qPrintable(error));
        QFile entry(autostart::entryPath());
        QVERIFY(entry.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(entry.readAll());
        QVERIFY(text.startsWith(QStringLiteral("[Desktop Entry]\n")));
        QVERIFY(text.contains(QStringLiteral("Exec=\"") + QCoreApplication::applicationFilePath() +
                              QStringLiteral("\" --minimized\n")));
        QVERIFY(autostart::isEnabled());
        QVERIFY(autostart::setEnabled(false, &error));
        QVERIFY(!QFileInfo::exists(autostart::entryPath()));
    }

    void acceptAppliesEverything()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        const QString dir = tv.vault->directory();
        const SettingsDialog::Values before = SettingsDialog::load(&tv.registry());
        QCOMPARE(before.replicas, 1);
        QVERIFY(before.flushWrites);
        tv.vault.reset();

        Engine engine;
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));

        SettingsDialog dialog(&engine, before);
        QCOMPARE(labelsShowingAmpersand(dialog), QStringList());
        auto* replicas = dialog.findChildren<QSpinBox*>().at(0);
        replicas->setValue(3);
        auto* chunker = dialog.findChild<QComboBox*>();
        chunker->setCurrentIndex(3);                               // fixed 8 MiB
        dialog.findChildren<QSpinBox*>().at(1)->setValue(4);       // transfers at once
        dialog.findChildren<QCheckBox*>().at(1)->setChecked(true); // start at login
        QCheckBox* flush = dialog.findChildren<QCheckBox*>().at(2);
        QVERIFY(flush->isChecked());
        flush->setChecked(false); // fast mode
        const QString newVault = tv.path(QStringLiteral("elsewhere"));
        dialog.findChild<QLineEdit*>()->setText(newVault);
        QSignalSpy vaultChanged(&dialog, &SettingsDialog::vaultDirectoryChanged);
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(vaultChanged.size(), 1);
        QVERIFY(autostart::isEnabled());
        QCOMPARE(QSettings().value(QStringLiteral("transfers/concurrency")).toInt(), 4);
        QCOMPARE(SettingsDialog::storedVaultDirectory(), newVault);

        // The vault's settings arrive through the Engine's thread.
        QVERIFY(QTest::qWaitFor([&] {
            auto v = Vault::open(dir, Vault::OpenMode::CreateIfMissing, nullptr);
            return v && v->replicationFactor() == 3 &&
                   v->defaultChunker().toString() == ChunkerParams::fixed(8 * MiB).toString() &&
                   !v->flushWrites();
        }));

        // Bad input keeps the dialog open with the reason.
        SettingsDialog again(&engine, SettingsDialog::load(nullptr));
        again.findChild<QLineEdit*>()->setText(QStringLiteral("relative/path"));
        again.accept();
        QVERIFY(again.result() != int(QDialog::Accepted));
        bool explained = false;
        for (QLabel* label : again.findChildren<QLabel*>())
            explained |= label->text().contains(QStringLiteral("absolute"));
        QVERIFY(explained);
        autostart::setEnabled(false);
    }
};

QTEST_MAIN(TestUiSettings)
#include "tst_ui_settings.moc"
