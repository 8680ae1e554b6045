// One app per user and vault: a second launch, a real second process, hands its files to the
// running instance over the local socket and ends.
#include "singleinstance.h"
#include "testsupport.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace mf::ui;

namespace {

// Exit codes of the child launch.
enum ChildExit { HandedOff = 0, BecamePrimary = 3, Failed = 4 };

// Runs this test program as a second launch: `--launch VAULT FILE...`.
int launch(const QString& vault, const QStringList& files, QString* output = nullptr)
{
    QProcess child;
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(),
                QStringList{QStringLiteral("--launch"), vault} + files);
    // The parent's event loop must run while the child talks to it.
    if (!QTest::qWaitFor([&] { return child.state() == QProcess::NotRunning; }, 60000)) {
        child.kill();
        child.waitForFinished();
        return -1;
    }
    if (output)
        *output = QString::fromUtf8(child.readAll());
    return child.exitStatus() == QProcess::NormalExit ? child.exitCode() : -1;
}

} // namespace

class TestUiSingleInstance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void namesDifferPerVault()
    {
        const QString a = SingleInstance::serverName(QStringLiteral("/tmp/vault-a"));
        QCOMPARE(SingleInstance::serverName(QStringLiteral("/tmp/vault-a/")), a);
        QVERIFY(a != SingleInstance::serverName(QStringLiteral("/tmp/vault-b")));
        // no path of the vault in the socket's name
        QVERIFY(!QFileInfo(a).fileName().contains(QStringLiteral("vault")));
    }

    // The socket is in $XDG_RUNTIME_DIR (private, emptied at logout), not in /tmp for anyone to
    // see and for a killed app to leave behind; without it, in Qt's private fallback.
    void theSocketLivesInTheRuntimeDirectory()
    {
        const QByteArray saved = qgetenv("XDG_RUNTIME_DIR");
        const auto restore = qScopeGuard([&] {
            if (saved.isNull())
                qunsetenv("XDG_RUNTIME_DIR");
            else
                qputenv("XDG_RUNTIME_DIR", saved);
        });
        QTemporaryDir runtime;
        QVERIFY(QFile::setPermissions(runtime.path(),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
        const QString vault = runtime.filePath(QStringLiteral("vault"));
        const QString name = SingleInstance::serverName(vault);
        QCOMPARE(QFileInfo(name).absolutePath(), QFileInfo(runtime.path()).absoluteFilePath());
        {
            SingleInstance instance(vault);
            QSignalSpy primary(&instance, &SingleInstance::primary);
            instance.start({});
            QVERIFY(primary.wait(10000));
            QVERIFY(QFileInfo(name).exists());
        }
        QVERIFY(!QFileInfo::exists(name)); // the server removes its socket when it goes

        qunsetenv("XDG_RUNTIME_DIR");
        const QString fallback = SingleInstance::serverName(vault);
        const QFileInfo dir(QFileInfo(fallback).absolutePath());
        QVERIFY2(dir.absoluteFilePath() != QFileInfo(QDir::tempPath()).absoluteFilePath(),
                 qPrintable(fallback));
        QVERIFY(dir.isDir());
        QCOMPARE(dir.ownerId(), ::getuid());
        QCOMPARE(dir.permissions() & (QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup |
                                      QFile::ReadOther | QFile::WriteOther | QFile::ExeOther),
                 QFile::Permissions());
    }

    void secondLaunchHandsOverItsFiles()
    {
        QTemporaryDir dir;
        const QString vault = dir.filePath(QStringLiteral("vault"));
        SingleInstance first(vault);
        QSignalSpy primary(&first, &SingleInstance::primary);
        QSignalSpy activated(&first, &SingleInstance::activated);
        first.start({});
        QVERIFY(primary.wait(10000));

        const QStringList files{dir.filePath(QStringLiteral("a model.gguf")),
                                dir.filePath(QStringLiteral("ünïcode/b.safetensors"))};
        QString out;
        QCOMPARE(launch(vault, files, &out), int(HandedOff));
        QVERIFY(QTest::qWaitFor([&] { return activated.size() == 1; }, 10000));
        QCOMPARE(activated.first().first().toStringList(), files);

        // Without files it only raises the window.
        QCOMPARE(launch(vault, {}), int(HandedOff));
        QVERIFY(QTest::qWaitFor([&] { return activated.size() == 2; }, 10000));
        QVERIFY(activated.last().first().toStringList().isEmpty());

        // Another vault has its own instance.
        QCOMPARE(launch(dir.filePath(QStringLiteral("other")), {}), int(BecamePrimary));
        QCOMPARE(activated.size(), 2);
    }

    void aLeftoverSocketFileDoesNotBlockTheNextStart()
    {
        QTemporaryDir dir;
        const QString vault = dir.filePath(QStringLiteral("vault"));
        // What a crashed instance leaves: the socket's file, with nobody listening.
        const QString path = SingleInstance::serverName(vault);
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        SingleInstance next(vault);
        QSignalSpy primary(&next, &SingleInstance::primary);
        QSignalSpy failed(&next, &SingleInstance::failed);
        next.start({});
        QVERIFY(QTest::qWaitFor([&] { return !primary.isEmpty() || !failed.isEmpty(); }, 10000));
        QVERIFY2(failed.isEmpty(),
                 failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QCOMPARE(launch(vault, {QStringLiteral("/x")}), int(HandedOff));
    }

    void theRealAppHandsOverToItsFirstInstance()
    {
        QTemporaryDir dir;
        const QString vault = dir.filePath(QStringLiteral("vault"));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        const QString app = mf::test::guiPath();

        QProcess first;
        first.setProcessEnvironment(env);
        first.setProcessChannelMode(QProcess::MergedChannels);
        first.start(app, {QStringLiteral("--vault"), vault});
        QVERIFY(first.waitForStarted());
        // It is the instance once it listens (and it opened the vault).
        QVERIFY(QTest::qWaitFor(
            [&] {
                QLocalSocket probe;
                probe.connectToServer(SingleInstance::serverName(vault));
                return probe.waitForConnected(200);
            },
            30000));
        QVERIFY(QTest::qWaitFor(
            [&] { return QFileInfo::exists(vault + QStringLiteral("/registry.sqlite")); }, 30000));

        const QString model = dir.filePath(QStringLiteral("model.gguf"));
        QVERIFY(mf::test::writeFile(model, QByteArray(4096, 'x')));
        QProcess second;
        second.setProcessEnvironment(env);
        second.setProcessChannelMode(QProcess::MergedChannels);
        second.start(app, {QStringLiteral("--vault"), vault, model});
        QVERIFY(QTest::qWaitFor([&] { return second.state() == QProcess::NotRunning; }, 30000));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        QCOMPARE(first.state(), QProcess::Running); // the first one goes on, with the file

        // SIGTERM (logout, `kill`) quits like Quit: a normal exit that removes the socket.
        const QString socket = SingleInstance::serverName(vault);
        QVERIFY(QFileInfo::exists(socket));
        first.terminate();
        QVERIFY(first.waitForFinished(30000));
        QCOMPARE(first.exitStatus(), QProcess::NormalExit);
        QCOMPARE(first.exitCode(), 0);
        QVERIFY2(!QFileInfo::exists(socket), qPrintable(socket));
    }
};

int main(int argc, char** argv)
{
    if (argc >= 3 && qstrcmp(argv[1], "--launch") == 0) {
        QCoreApplication app(argc, argv);
        QStringList files = app.arguments().mid(3);
        SingleInstance instance(app.arguments().at(2));
        QObject::connect(&instance, &SingleInstance::handedOff, &app,
                         [] { QCoreApplication::exit(HandedOff); });
        QObject::connect(&instance, &SingleInstance::primary, &app,
                         [] { QCoreApplication::exit(BecamePrimary); });
        QObject::connect(&instance, &SingleInstance::failed, &app, [](const QString& e) {
            qWarning("%s", qPrintable(e));
            QCoreApplication::exit(Failed);
        });
        instance.start(files);
        return app.exec();
    }
    QCoreApplication app(argc, argv);
    TestUiSingleInstance test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ui_singleinstance.moc"
