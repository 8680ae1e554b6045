// The providers page with Google Drive, driven as a person would, offscreen, on a real Engine
// and the local Drive server (tests/peers/drive): Add… with the OAuth client typed in signs in
// through the browser (the test plays the browser at the consent address the app opens), the
// refresh token is kept in the credential store and never in the registry; after the user
// removes ModelFloat's access the provider's test says to sign in again and nothing signs in by
// itself; Sign in… opens the provider's dialog, the client secret typed there starts one new
// browser sign-in, and the provider works again with the new grant.
#include "clitestsupport.h"
#include "drivepeer.h"
#include "engine/engine.h"
#include "mainwindow.h"
#include "providerdialog.h"
#include "providerform.h"
#include "providers/gdrive/gdriveauth.h"
#include "providerspage.h"
#include "testsupport.h"
#include "vaultreader.h"

#include <QAction>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QLineEdit>
#include <QMutex>
#include <QPushButton>
#include <QRegularExpression>
#include <QTreeWidget>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

constexpr int TimeoutMs = 120000;

} // namespace

class TestUiDriveSignIn final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    DrivePeer m_peer;
    // The consent page the app asked the browser to open (from the engine's thread).
    QMutex m_mutex;
    QList<QUrl> m_opened;

    CliRun cli(const QStringList& args, const QByteArray& input = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), m_dir.filePath(QStringLiteral("home")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("xdg-data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("xdg-config")));
        return runWithInput(mf::test::cliPath(),
                            args + QStringList{QStringLiteral("--vault"), vaultPath()}, input, env);
    }
    QString vaultPath() const { return m_dir.filePath(QStringLiteral("vault")); }
    QByteArray credentials() const
    {
        QFile f(vaultPath() + QStringLiteral("/credentials.json"));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    int openedCount()
    {
        QMutexLocker lock(&m_mutex);
        return int(m_opened.size());
    }
    QUrl lastOpened()
    {
        QMutexLocker lock(&m_mutex);
        return m_opened.isEmpty() ? QUrl() : m_opened.last();
    }
    // The engine's test of provider `id`: its error, empty when it works.
    static QString tested(Engine& engine, qint64 id)
    {
        QSignalSpy spy(&engine, &Engine::providerTested);
        engine.testProvider(id);
        if (!QTest::qWaitFor([&] { return !spy.isEmpty(); }, TimeoutMs))
            return QStringLiteral("no answer");
        return spy.first().at(1).toString();
    }
    static void type(ProviderDialog* dialog, const QString& key, const QString& text)
    {
        auto* edit = qobject_cast<QLineEdit*>(dialog->form()->editor(key));
        QVERIFY2(edit, qPrintable(key));
        edit->setText(text);
    }
    // Save, then the browser: waits for the consent page the app opens, answers it, and waits
    // for the dialog to close.
    void saveAndSignIn(ProviderDialog* dialog)
    {
        QPointer<ProviderDialog> guard(dialog);
        const int before = openedCount();
        auto* buttons = dialog->findChild<QDialogButtonBox*>();
        QVERIFY(buttons);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);
        QVERIFY2(QTest::qWaitFor([&] { return openedCount() > before; }, TimeoutMs),
                 qPrintable(guard ? guard->message() : QString()));
        QCOMPARE(openedCount(), before + 1);
        // While the browser is open the dialog says what it waits for.
        QVERIFY2(guard && guard->message().contains(QLatin1String("browser")),
                 qPrintable(guard ? guard->message() : QString()));
        int status = 0;
        const QByteArray page = m_peer.playBrowser(lastOpened(), &status);
        QCOMPARE(status, 200);
        QVERIFY(page.contains("close this page"));
        QVERIFY2(QTest::qWaitFor([&] { return !guard || !guard->isVisible(); }, TimeoutMs),
                 qPrintable(guard ? guard->message() : QString()));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_drivesignin"));
        QVERIFY(m_dir.isValid());
        QVERIFY2(m_peer.start(), qPrintable(m_peer.errorString()));
        CliRun r = cli({QStringLiteral("init")});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = cli({QStringLiteral("config"), QStringLiteral("credentials"),
                 QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
        QVERIFY2(r.code == 0, r.describe().constData());
        gdrive::setConsentPageOpener([this](const QUrl& url) {
            QMutexLocker lock(&m_mutex);
            m_opened.append(url);
        });
    }

    void cleanupTestCase() { gdrive::setConsentPageOpener({}); }

    void addThenSignInAgainAfterAccessWasRemoved()
    {
        Engine engine;
        MainWindow window(&engine);
        window.show();
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(vaultPath());
        QVERIFY(opened.wait(TimeoutMs));
        QCOMPARE(opened.first().first().toString(), QString());
        QVERIFY(QTest::qWaitFor([&] { return window.reader() != nullptr; }, TimeoutMs));
        ProvidersPage* page = window.providersPage();

        // Add…: Google Drive, the user's OAuth client, then the browser.
        page->addAction()->trigger();
        QPointer<ProviderDialog> dialog = page->openDialog();
        QVERIFY(dialog);
        const int gdrive = dialog->kindBox()->findData(QStringLiteral("gdrive"));
        QVERIFY(gdrive >= 0);
        dialog->kindBox()->setCurrentIndex(gdrive);
        dialog->nameEdit()->setText(QStringLiteral("drive"));
        type(dialog, QStringLiteral("clientId"), DrivePeer::clientId());
        type(dialog, QStringLiteral("clientSecret"), DrivePeer::clientSecret());
        type(dialog, QStringLiteral("apiUrl"), m_peer.baseUrl());
        type(dialog, QStringLiteral("authUrl"),
             m_peer.baseUrl() + QStringLiteral("/o/oauth2/v2/auth"));
        type(dialog, QStringLiteral("tokenUrl"), m_peer.baseUrl() + QStringLiteral("/token"));
        saveAndSignIn(dialog);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(QTest::qWaitFor(
            [&] {
                return !page->list()
                            ->findItems(QStringLiteral("drive"), Qt::MatchExactly)
                            .isEmpty();
            },
            TimeoutMs));
        qint64 id = 0;
        for (const ProviderRecord& p : window.reader()->registry().providerRows().providers())
            if (p.name == QLatin1String("drive"))
                id = p.id;
        QVERIFY(id > 0);
        QCOMPARE(tested(engine, id), QString());
        const QRegularExpression token(QStringLiteral("\"refreshToken\"\\s*:\\s*\"([^\"]+)\""));
        const QString refresh = token.match(QString::fromUtf8(credentials())).captured(1);
        QVERIFY(refresh.startsWith(QLatin1String("1//")));
        QVERIFY(!registryBytes(vaultPath()).contains(refresh.toUtf8()));

        // The user removes ModelFloat's access: the test says to sign in again, and nothing
        // opens a browser behind the user's back.
        QVERIFY(m_peer.revoke(refresh));
        const int browsers = openedCount();
        QVERIFY(tested(engine, id).contains(QLatin1String("sign in again"), Qt::CaseInsensitive));
        QCOMPARE(openedCount(), browsers);

        // Sign in… on the selected provider: its dialog, the client secret typed, Save, the
        // browser.
        page->highlight({QStringLiteral("drive")});
        QAction* signIn = page->signInAction();
        QVERIFY(signIn->isEnabled());
        signIn->trigger();
        dialog = page->openDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->windowTitle().contains(QLatin1String("Sign in")));
        auto* secret =
            qobject_cast<QLineEdit*>(dialog->form()->editor(QStringLiteral("clientSecret")));
        QVERIFY(secret);
        QCOMPARE(secret->echoMode(), QLineEdit::Password);
        secret->setText(DrivePeer::clientSecret());
        saveAndSignIn(dialog);
        if (QTest::currentTestFailed())
            return;

        // Works again, with a new grant kept and the revoked one gone.
        QCOMPARE(tested(engine, id), QString());
        const QByteArray stored = credentials();
        QVERIFY(stored.contains("refreshToken"));
        QVERIFY(!stored.contains(refresh.toUtf8()));
    }
};

QTEST_MAIN(TestUiDriveSignIn)
#include "tst_ui_drivesignin.moc"
