// The providers page's "Sign in…" for a kind that signs in (MEGA), driven as a person would,
// offscreen, on a real Engine and the local MEGA API server: after MEGA ends the session the
// provider's test says to sign in again; the action opens the provider's dialog, the password
// typed there signs in once (one `us` on the server), the new session is kept and the password
// is not, and the provider works again.
#include "clitestsupport.h"
#include "engine/engine.h"
#include "mainwindow.h"
#include "megapeer.h"
#include "providerdialog.h"
#include "providerform.h"
#include "providerspage.h"
#include "testsupport.h"
#include "vaultreader.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QtTest>

using namespace mf;
using namespace mf::test;
using namespace mf::ui;

namespace {

const MegaPeer::Account Alice{
    QStringLiteral("alice@example.com"), QStringLiteral("alice pw 1"), false, {}};
constexpr int TimeoutMs = 120000;

} // namespace

class TestUiMegaSignIn final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    MegaPeer m_peer;

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
    int logins()
    {
        return m_peer.stats()
            .value(QStringLiteral("commands"))
            .toObject()
            .value(QStringLiteral("us"))
            .toInt();
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

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModelFloatTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_ui_megasignin"));
        QVERIFY(m_dir.isValid());
        QVERIFY2(m_peer.start({Alice}), qPrintable(m_peer.errorString()));
        // A vault with a MEGA provider, made with the CLI (secrets in the plaintext file).
        CliRun r = cli({QStringLiteral("init")});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = cli({QStringLiteral("config"), QStringLiteral("credentials"),
                 QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = cli({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("mega"),
                 QStringLiteral("cloud"), Alice.email, QStringLiteral("--api-url"), m_peer.apiUrl(),
                 QStringLiteral("--secret-stdin")},
                "password=" + Alice.password.toUtf8() + "\n");
        QVERIFY2(r.code == 0, r.describe().constData());
    }

    void signInAgainAfterMegaEndedTheSession()
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
        QVERIFY(QTest::qWaitFor(
            [&] {
                return !page->list()
                            ->findItems(QStringLiteral("cloud"), Qt::MatchExactly)
                            .isEmpty();
            },
            TimeoutMs));
        qint64 id = 0;
        for (const ProviderRecord& p : window.reader()->registry().providerRows().providers())
            if (p.name == QLatin1String("cloud"))
                id = p.id;
        QVERIFY(id > 0);
        QCOMPARE(tested(engine, id), QString());

        // MEGA ends the session: the test says to sign in again, and nothing signs in behind
        // the user's back.
        m_peer.faults({{QStringLiteral("revokeSessions"), true}});
        const int before = logins();
        QVERIFY(tested(engine, id).contains(QLatin1String("sign in again"), Qt::CaseInsensitive));
        QCOMPARE(logins(), before);

        // Sign in… on the selected provider: its dialog, the password typed, Save.
        page->highlight({QStringLiteral("cloud")}); // the list is rebuilt as results come
        QAction* signIn = page->signInAction();
        QVERIFY(signIn->isEnabled());
        signIn->trigger();
        QPointer<ProviderDialog> dialog = page->openDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->windowTitle().contains(QLatin1String("Sign in")));
        auto* password =
            qobject_cast<QLineEdit*>(dialog->form()->editor(QStringLiteral("password")));
        QVERIFY(password);
        QCOMPARE(password->echoMode(), QLineEdit::Password);
        password->setText(Alice.password);
        auto* buttons = dialog->findChild<QDialogButtonBox*>();
        QVERIFY(buttons);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Save), Qt::LeftButton);
        QVERIFY2(QTest::qWaitFor([&] { return !dialog || !dialog->isVisible(); }, TimeoutMs),
                 qPrintable(dialog ? dialog->message() : QString()));
        QCOMPARE(logins(), before + 1);

        // Works again, with the new session kept and the password nowhere.
        QCOMPARE(tested(engine, id), QString());
        QFile creds(vaultPath() + QStringLiteral("/credentials.json"));
        QVERIFY(creds.open(QIODevice::ReadOnly));
        const QByteArray stored = creds.readAll();
        QVERIFY(stored.contains("session"));
        QVERIFY(!stored.contains(Alice.password.toUtf8()));
    }
};

QTEST_MAIN(TestUiMegaSignIn)
#include "tst_ui_megasignin.moc"
