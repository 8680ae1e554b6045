// The settings dialog: vault settings reach the vault through the Engine, this computer's go to
// QSettings, and "start at login" writes and removes a real XDG autostart entry.
#include "autostart.h"
#include "credentials/catalogkey.h"
#include "credentials/vaultcredentials.h"
#include "engine/engine.h"
#include "qrtestsupport.h"
#include "settingsdialog.h"
#include "synctestsupport.h"
#include "testvault.h"
#include "uitestsupport.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPixmap>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTcpServer>
#include <QTcpSocket>
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
        QCOMPARE(before.redundancy, RedundancyScheme::makeCopies(1));
        QVERIFY(before.flushWrites);
        tv.vault.reset();

        Engine engine;
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));

        SettingsDialog dialog(&engine, before);
        QCOMPARE(labelsShowingAmpersand(dialog), QStringList());
        dialog.findChild<QSpinBox*>(QStringLiteral("redundancyCopies"))->setValue(3);
        auto* chunker = dialog.findChild<QComboBox*>(QStringLiteral("chunker"));
        QVERIFY(chunker);
        chunker->setCurrentIndex(3); // fixed 8 MiB
        dialog.findChild<QSpinBox*>(QStringLiteral("concurrency"))->setValue(4);
        dialog.findChild<QCheckBox*>(QStringLiteral("startAtLogin"))->setChecked(true);
        QCheckBox* flush = dialog.findChild<QCheckBox*>(QStringLiteral("flushWrites"));
        QVERIFY(flush && flush->isChecked());
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

    // Issue 41: the scheme is chosen in Settings as `config redundancy` chooses it, with what it
    // costs and survives in plain words; one the providers cannot hold is refused with the
    // reason, and the vault keeps the scheme it had.
    void redundancyIsChosenInSettings()
    {
        TestVault tv;
        QVERIFY(tv.ok());
        QStringList folders;
        for (int i = 0; i < 5; ++i)
            folders.append(tv.path(QStringLiteral("store-%1").arg(i)));
        QVERIFY(useSharedFolders(tv, folders));
        const QString dir = tv.vault->directory();
        const SettingsDialog::Values before = SettingsDialog::load(&tv.registry());
        QCOMPARE(before.providers, 5);
        tv.vault.reset();
        Engine engine;
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));

        SettingsDialog dialog(&engine, before);
        auto* kind = dialog.findChild<QComboBox*>(QStringLiteral("redundancyKind"));
        auto* data = dialog.findChild<QSpinBox*>(QStringLiteral("redundancyData"));
        auto* parity = dialog.findChild<QSpinBox*>(QStringLiteral("redundancyParity"));
        auto* said = dialog.findChild<QLabel*>(QStringLiteral("redundancyDescription"));
        QVERIFY(kind && data && parity && said);
        kind->setCurrentIndex(kind->findData(int(RedundancyScheme::Kind::Shards)));
        data->setValue(4);
        parity->setValue(2);
        QVERIFY2(said->text().contains(QStringLiteral("needs 6 providers")),
                 qPrintable(said->text()));
        dialog.accept();
        QVERIFY(dialog.result() != int(QDialog::Accepted));
        bool explained = false;
        for (QLabel* label : dialog.findChildren<QLabel*>())
            explained |= label != said && label->isVisibleTo(&dialog) &&
                         label->text().contains(QStringLiteral("shards 4+2 needs 6 providers"));
        QVERIFY(explained);

        parity->setValue(1);
        QVERIFY2(said->text().startsWith(
                     QStringLiteral("1.25× the model's size, survives losing any 1 of your 5 "
                                    "providers.")),
                 qPrintable(said->text()));
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QVERIFY(QTest::qWaitFor([&] {
            auto v = Vault::open(dir, Vault::OpenMode::CreateIfMissing, nullptr);
            return v && v->redundancy() == RedundancyScheme::makeShards(4, 1);
        }));
    }

    // The local HTTP API: off by default; turned on in Settings it serves while the app runs,
    // the dialog shows where and copies the token; turned off, nothing listens.
    void apiServesWhileTheAppRuns()
    {
        QVERIFY(!SettingsDialog::load(nullptr).apiEnabled);
        TestVault tv;
        Engine engine;
        quint16 port = 0;
        openEngine(tv, engine, &port);
        if (QTest::currentTestFailed())
            return;

        SettingsDialog dialog(&engine, SettingsDialog::load(nullptr));
        auto* status = dialog.findChild<QLabel*>(QStringLiteral("apiStatus"));
        QVERIFY(status && status->text().startsWith(QStringLiteral("Off")));
        dialog.findChild<QCheckBox*>(QStringLiteral("apiEnabled"))->setChecked(true);
        dialog.findChild<QSpinBox*>(QStringLiteral("apiPort"))->setValue(port);
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QVERIFY(
            QTest::qWaitFor([&] { return !engine.apiServerStatus().url.isEmpty(); }, JobTimeoutMs));
        const ApiServerStatus serving = engine.apiServerStatus();
        QVERIFY2(serving.error.isEmpty(), qPrintable(serving.error));
        QCOMPARE(serving.url, QStringLiteral("http://127.0.0.1:%1").arg(port));
        QVERIFY(status->text().contains(serving.url));
        dialog.findChild<QPushButton*>(QStringLiteral("copyApiToken"))->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), serving.token);

        // A real request with the token is answered; the setting is kept for the next start.
        QNetworkAccessManager network;
        QNetworkRequest request(QUrl(serving.url + QStringLiteral("/api/v1/models")));
        request.setRawHeader("Authorization", "Bearer " + serving.token.toLatin1());
        QNetworkReply* reply = network.get(request);
        QSignalSpy done(reply, &QNetworkReply::finished);
        QVERIFY(done.wait(JobTimeoutMs));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY(reply->readAll().contains("\"models\""));
        delete reply;
        QVERIFY(SettingsDialog::load(nullptr).apiEnabled);

        // The web page: the dialog copies a one-time sign-in link that gives a browser a
        // session; "Sign out every browser" ends it.
        auto* webLink = dialog.findChild<QLabel*>(QStringLiteral("webLink"));
        QVERIFY(webLink);
        dialog.findChild<QPushButton*>(QStringLiteral("webSignInLink"))->click();
        QVERIFY(QTest::qWaitFor(
            [&] {
                return QGuiApplication::clipboard()->text().startsWith(serving.url +
                                                                       QStringLiteral("/signin"));
            },
            JobTimeoutMs));
        const QString link = QGuiApplication::clipboard()->text();
        QVERIFY(webLink->text().contains(link));
        // And as a QR code for a phone: zbarimg reads the exact link off the picture shown.
        auto* qr = dialog.findChild<QLabel*>(QStringLiteral("webSignInQr"));
        QVERIFY(qr && qr->isVisibleTo(&dialog));
        const QString png = QDir::temp().filePath(QStringLiteral("modelfloat-settings-qr-%1.png")
                                                      .arg(QCoreApplication::applicationPid()));
        const auto dropPng = qScopeGuard([&] { QFile::remove(png); });
        QVERIFY(qr->pixmap().toImage().save(png));
        QString zbar;
        QCOMPARE(test::zbarDecode(png, &zbar), link);
        QNetworkRequest opening{QUrl(link)};
        opening.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                             QNetworkRequest::ManualRedirectPolicy); // see the 303 itself
        QNetworkReply* signIn = network.get(opening);
        QSignalSpy signedIn(signIn, &QNetworkReply::finished);
        QVERIFY(signedIn.wait(JobTimeoutMs));
        QCOMPARE(signIn->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 303);
        const QByteArray cookie = signIn->rawHeader("Set-Cookie").split(';').first();
        delete signIn;
        QVERIFY(cookie.startsWith("mf_session="));
        const auto withCookie = [&] {
            QNetworkRequest r(QUrl(serving.url + QStringLiteral("/api/v1/session")));
            r.setRawHeader("Cookie", cookie);
            QNetworkReply* answer = network.get(r);
            QSignalSpy finished(answer, &QNetworkReply::finished);
            const int code =
                finished.wait(JobTimeoutMs)
                    ? answer->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()
                    : -1;
            delete answer;
            return code;
        };
        QCOMPARE(withCookie(), 200);
        dialog.findChild<QPushButton*>(QStringLiteral("webSignOutAll"))->click();
        QVERIFY(QTest::qWaitFor(
            [&] { return webLink->text() == QStringLiteral("Every browser is signed out."); },
            JobTimeoutMs));
        QTest::qWait(20); // the stamp is to the millisecond: let one pass
        QCOMPARE(withCookie(), 401);

        // Off: the port is closed.
        SettingsDialog again(&engine, SettingsDialog::load(nullptr));
        again.findChild<QCheckBox*>(QStringLiteral("apiEnabled"))->setChecked(false);
        again.accept();
        QVERIFY(
            QTest::qWaitFor([&] { return engine.apiServerStatus().url.isEmpty(); }, JobTimeoutMs));
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!socket.waitForConnected(5000));
        QSettings().remove(QStringLiteral("api"));
    }

    void hubEndpointsOpenOnlyWhenChosen()
    {
        QVERIFY(!SettingsDialog::load(nullptr).apiHubWithoutToken);
        TestVault tv;
        Engine engine;
        quint16 port = 0;
        openEngine(tv, engine, &port);
        if (QTest::currentTestFailed())
            return;
        SettingsDialog dialog(&engine, SettingsDialog::load(nullptr));
        auto* open = dialog.findChild<QCheckBox*>(QStringLiteral("apiHubWithoutToken"));
        QVERIFY(open);
        QVERIFY2(!open->isEnabled(), "it means nothing while the API is off");
        dialog.findChild<QCheckBox*>(QStringLiteral("apiEnabled"))->setChecked(true);
        QVERIFY(open->isEnabled());
        open->setChecked(true);
        dialog.findChild<QSpinBox*>(QStringLiteral("apiPort"))->setValue(port);
        dialog.accept();
        QVERIFY(QTest::qWaitFor([&] { return engine.apiServerStatus().hubWithoutToken; },
                                JobTimeoutMs));
        const QString url = engine.apiServerStatus().url;
        QVERIFY(dialog.findChild<QLabel*>(QStringLiteral("apiStatus"))
                    ->text()
                    .contains(QStringLiteral("no token")));
        QVERIFY(SettingsDialog::load(nullptr).apiHubWithoutToken);

        // Without a token: the Hub's model info answers (404: no such model, not 401); the
        // rest of the API still refuses.
        QNetworkAccessManager network;
        auto status = [&network](const QString& address) {
            std::unique_ptr<QNetworkReply> reply(network.get(QNetworkRequest(QUrl(address))));
            QSignalSpy done(reply.get(), &QNetworkReply::finished);
            if (!done.wait(JobTimeoutMs))
                return 0;
            return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        };
        QCOMPARE(status(url + QStringLiteral("/api/models/local/nothing-here")), 404);
        QCOMPARE(status(url + QStringLiteral("/api/v1/models")), 401);

        // Turned off again: the Hub's endpoints want the token too.
        SettingsDialog again(&engine, SettingsDialog::load(nullptr));
        again.findChild<QCheckBox*>(QStringLiteral("apiHubWithoutToken"))->setChecked(false);
        again.accept();
        QVERIFY(QTest::qWaitFor(
            [&] {
                return !engine.apiServerStatus().hubWithoutToken &&
                       !engine.apiServerStatus().url.isEmpty();
            },
            JobTimeoutMs));
        QCOMPARE(
            status(engine.apiServerStatus().url + QStringLiteral("/api/models/local/nothing-here")),
            401);
        QSettings().remove(QStringLiteral("api"));
    }

    // Issue 37: at 200 % the dialog is taller than the screen and the window manager keeps it on
    // the screen: the watched folders' text was squashed under its last line. The form scrolls
    // instead, each wrapped text as tall as its lines.
    void shortScreenScrollsInsteadOfClipping()
    {
        SettingsDialog dialog(nullptr, SettingsDialog::load(nullptr));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        // What a window manager does with a window taller than the screen's 450 px.
        dialog.setFixedHeight(450);
        QTest::qWait(50); // let the layout settle
        int wrapped = 0;
        for (QLabel* label : dialog.findChildren<QLabel*>()) {
            if (label->isHidden() || !label->wordWrap() || label->text().isEmpty())
                continue;
            ++wrapped;
            QVERIFY2(label->height() >= label->heightForWidth(label->width()),
                     qPrintable(QStringLiteral("“%1” is %2 px high, needs %3")
                                    .arg(label->text().left(40))
                                    .arg(label->height())
                                    .arg(label->heightForWidth(label->width()))));
        }
        QVERIFY(wrapped > 0);
    }

    // The app listens on 127.0.0.1 until the user types another address; then it says that
    // other computers can reach it, and a text that is no address is refused with the reason.
    void listenAddressIsTheUsersChoice()
    {
        QCOMPARE(SettingsDialog::load(nullptr).apiAddress, QStringLiteral("127.0.0.1"));
        TestVault tv;
        Engine engine;
        quint16 port = 0;
        openEngine(tv, engine, &port);
        if (QTest::currentTestFailed())
            return;
        SettingsDialog dialog(&engine, SettingsDialog::load(nullptr));
        auto* address = dialog.findChild<QLineEdit*>(QStringLiteral("apiAddress"));
        auto* warning = dialog.findChild<QLabel*>(QStringLiteral("apiAddressWarning"));
        QVERIFY(address && warning);
        QVERIFY2(!address->isEnabled(), "it means nothing while the API is off");
        dialog.findChild<QCheckBox*>(QStringLiteral("apiEnabled"))->setChecked(true);
        dialog.findChild<QSpinBox*>(QStringLiteral("apiPort"))->setValue(port);
        QVERIFY(warning->isHidden());
        address->setText(QStringLiteral("localhost:80"));
        dialog.accept();
        const QList<QLabel*> labels = dialog.findChildren<QLabel*>();
        QVERIFY(std::any_of(labels.cbegin(), labels.cend(), [](const QLabel* l) {
            return !l->isHidden() && l->text().contains(QStringLiteral("must be an IP address"));
        }));
        QCOMPARE(SettingsDialog::load(nullptr).apiAddress, QStringLiteral("127.0.0.1"));
        address->setText(QStringLiteral("0.0.0.0"));
        QVERIFY(!warning->isHidden());
        dialog.accept();
        QVERIFY(QTest::qWaitFor(
            [&] { return engine.apiServerStatus().reachableFromOtherComputers; }, JobTimeoutMs));
        QCOMPARE(SettingsDialog::load(nullptr).apiAddress, QStringLiteral("0.0.0.0"));
        // Clients on this computer still use 127.0.0.1, which it answers.
        QCOMPARE(engine.apiServerStatus().url, QStringLiteral("http://127.0.0.1:%1").arg(port));
        QVERIFY(dialog.findChild<QLabel*>(QStringLiteral("apiStatus"))
                    ->text()
                    .contains(QStringLiteral("other computers")));
        QSettings().remove(QStringLiteral("api"));
    }

private:
    // Opens `engine` on `tv`'s vault (its secrets in the vault: this machine has no keychain,
    // and the API's token is kept with them); `port` is one free right now.
    // Settings › Recovery key: Show gives the key the CLI shows (and Copy puts it on the
    // clipboard); a mistyped key from another computer is refused with why, a good one is
    // taken and the catalog then signs with it.
    void recoveryKeyShownAndTaken()
    {
        TestVault tv;
        Engine engine;
        quint16 port = 0;
        openEngine(tv, engine, &port);
        if (QTest::currentTestFailed())
            return;
        SettingsDialog dialog(&engine, SettingsDialog::load(nullptr));
        auto* key = dialog.findChild<QLineEdit*>(QStringLiteral("recoveryKey"));
        auto* show = dialog.findChild<QPushButton*>(QStringLiteral("showRecoveryKey"));
        auto* copy = dialog.findChild<QPushButton*>(QStringLiteral("copyRecoveryKey"));
        auto* status = dialog.findChild<QLabel*>(QStringLiteral("recoveryKeyStatus"));
        QVERIFY(key && show && copy && status);
        QVERIFY(key->text().isEmpty() && !copy->isEnabled()); // hidden until asked for
        QTest::mouseClick(show, Qt::LeftButton);
        QVERIFY(QTest::qWaitFor([&] { return !key->text().isEmpty(); }, JobTimeoutMs));
        QString why;
        QVERIFY2(CatalogKey::fromRecoveryText(key->text(), &why), qPrintable(why));
        QTest::mouseClick(copy, Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), key->text());

        auto* useOther = dialog.findChild<QPushButton*>(QStringLiteral("useOtherRecoveryKey"));
        auto* input = dialog.findChild<QLineEdit*>(QStringLiteral("otherRecoveryKey"));
        auto* useThis = dialog.findChild<QPushButton*>(QStringLiteral("useThisRecoveryKey"));
        QVERIFY(useOther && input && useThis);
        QTest::mouseClick(useOther, Qt::LeftButton);
        QVERIFY(input->isVisibleTo(&dialog));
        const QString other = CatalogKey::generate().recoveryText();
        QString typo = other;
        typo[7] = typo[7] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
        QSignalSpy imported(&engine, &Engine::catalogKeyImported);
        input->setText(typo);
        QTest::mouseClick(useThis, Qt::LeftButton);
        QVERIFY(imported.wait(JobTimeoutMs));
        QVERIFY2(status->text().contains(QStringLiteral("typo")), qPrintable(status->text()));
        input->setText(other);
        QTest::mouseClick(useThis, Qt::LeftButton);
        QVERIFY(imported.wait(JobTimeoutMs));
        QVERIFY2(imported.last().at(0).toString().isEmpty(),
                 qPrintable(imported.last().at(0).toString()));
        QTest::mouseClick(show, Qt::LeftButton);
        QVERIFY(QTest::qWaitFor([&] { return key->text() == other; }, JobTimeoutMs));
    }

    static void openEngine(TestVault& tv, Engine& engine, quint16* port)
    {
        QVERIFY(tv.ok());
        QVERIFY(tv.registry().settings().setSetting(vaultcredentials::settingKey(),
                                                    vaultcredentials::plaintext()));
        const QString dir = tv.vault->directory();
        tv.vault.reset();
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            *port = probe.serverPort();
        }
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
    }
};

QTEST_MAIN(TestUiSettings)
#include "tst_ui_settings.moc"
