// SIGTERM (logout, `systemctl --user stop`, `kill`) ends the real desktop app the way its Quit
// does: a float in progress stops where the next start resumes it, the vault's registry closes
// cleanly (no -wal left, integrity ok) and the single-instance socket goes away.
//
// The float is held in progress for certain, not by timing: its chunks go to a real WebDAV
// server (rclone) through the fault proxy, which stalls every upload after the first few.
#include "engine/engine.h"
#include "faultproxy.h"
#include "peerprocess.h"
#include "registry/registry.h"
#include "singleinstance.h"
#include "testsupport.h"
#include "testvault.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace mf;
using namespace mf::test;

namespace {

constexpr int ChunksBeforeTheStall = 3;
const QString JobKind = QStringLiteral("transfer"); // the Engine's rows in the jobs table

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

int stalledUploads(const FaultProxy& proxy)
{
    int n = 0;
    for (const FaultProxy::Seen& s : proxy.seen())
        n += s.method == "PUT" && s.fault == FaultProxy::Fault::Stall;
    return n;
}

} // namespace

class TestUiQuit : public QObject
{
    Q_OBJECT

private:
    // Runs modelfloat-cli on the vault while this thread's event loop goes on (the fault proxy
    // lives on it); its output, or "FAILED: " and its output.
    QString cli(const QStringList& args)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(mf::test::cliPath(), args + QStringList{QStringLiteral("--vault"), m_vault});
        if (!QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, JobTimeoutMs)) {
            p.kill();
            p.waitForFinished();
        }
        const QString out = QString::fromUtf8(p.readAll());
        const bool ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        return ok ? out : QStringLiteral("FAILED: ") + out;
    }

    bool startApp(QProcess& app)
    {
        app.setProcessChannelMode(QProcess::ForwardedChannels);
        app.start(mf::test::guiPath(), {QStringLiteral("--vault"), m_vault});
        return app.waitForStarted(30000);
    }

    // SIGTERM, then the checks every quit must pass.
    void terminateAndCheck(QProcess& app)
    {
        const QString socket = ui::SingleInstance::serverName(m_vault);
        // The app listens once its window is up, which may come after the engine has resumed.
        QVERIFY2(QTest::qWaitFor([&] { return QFileInfo::exists(socket); }, 30000),
                 qPrintable(socket));
        QVERIFY(::kill(pid_t(app.processId()), SIGTERM) == 0);
        // The event loop runs meanwhile: the proxy goes on serving (and stalling) the app.
        QVERIFY(QTest::qWaitFor([&] { return app.state() == QProcess::NotRunning; }, 60000));
        QCOMPARE(app.exitStatus(), QProcess::NormalExit); // not killed by the signal
        QCOMPARE(app.exitCode(), 0);
        QVERIFY2(!QFileInfo::exists(socket), "the single-instance socket was left behind");
        // The last connection to close checkpoints and removes the WAL.
        QVERIFY2(!QFileInfo::exists(m_vault + QStringLiteral("/registry.sqlite-wal")),
                 "the registry was not closed");
        {
            QSqlDatabase db =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("integrity"));
            db.setDatabaseName(m_vault + QStringLiteral("/registry.sqlite"));
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA integrity_check")) && q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("integrity"));
    }

    QTemporaryDir m_dir;
    QString m_vault;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_vault = m_dir.filePath(QStringLiteral("vault"));
        // A private runtime directory and configuration for this test and the app it starts.
        const QString runtime = m_dir.filePath(QStringLiteral("run"));
        QVERIFY(QDir().mkpath(runtime));
        QVERIFY(
            QFile::setPermissions(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime));
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("config"))));
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }

    void sigtermStopsAFloatWhereTheNextStartResumesIt()
    {
        const QString rclone = QStandardPaths::findExecutable(QStringLiteral("rclone"));
        QVERIFY2(!rclone.isEmpty(), "rclone is not installed (apt-get install rclone)");
        const quint16 davPort = PeerProcess::freePort();
        PeerProcess dav;
        QVERIFY2(dav.start(rclone,
                           {QStringLiteral("serve"), QStringLiteral("webdav"),
                            m_dir.filePath(QStringLiteral("dav")), QStringLiteral("--addr"),
                            QStringLiteral("127.0.0.1:%1").arg(davPort), QStringLiteral("--config"),
                            QStringLiteral("/dev/null")},
                           [davPort] { return PeerProcess::portAccepts(davPort); }),
                 qPrintable(dav.errorString()));
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("dav"))));
        FaultProxy proxy(davPort);
        QVERIFY(proxy.listen());

        // The vault: only the WebDAV provider (no user name, so no secret), 1 MiB chunks.
        QVERIFY(!cli({QStringLiteral("init")}).startsWith(QStringLiteral("FAILED")));
        QVERIFY(
            !cli({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("webdav"),
                  QStringLiteral("dav"), QStringLiteral("--url"), proxy.url() + QLatin1Char('/')})
                 .startsWith(QStringLiteral("FAILED")));
        QVERIFY(
            !cli({QStringLiteral("provider"), QStringLiteral("remove"), QStringLiteral("local")})
                 .startsWith(QStringLiteral("FAILED")));
        QVERIFY(!cli({QStringLiteral("config"), QStringLiteral("chunker"),
                      QStringLiteral("fixed:size=1048576")})
                     .startsWith(QStringLiteral("FAILED")));
        QVERIFY(!cli({QStringLiteral("config"), QStringLiteral("replication"), QStringLiteral("1")})
                     .startsWith(QStringLiteral("FAILED")));
        const QString model = m_dir.filePath(QStringLiteral("model.bin"));
        QVERIFY(writePseudoRandomFile(model, 12 * MiB, 18));

        // A float in progress, left queued in the vault by an engine that stops (as the app's
        // own Quit leaves it): a few chunks are stored, the next upload stalls.
        proxy.addRule([] {
            auto r = FaultProxy::Rule::of(FaultProxy::Fault::Stall, "PUT", {}, -1);
            r.skip = ChunksBeforeTheStall;
            return r;
        }());
        {
            Engine engine;
            QSignalSpy opened(&engine, &Engine::opened);
            engine.open(m_vault);
            QVERIFY(opened.wait(JobTimeoutMs));
            QCOMPARE(opened.first().first().toString(), QString());
            FloatRequest request;
            request.paths = {model};
            request.modelName = QStringLiteral("m");
            engine.floatFiles(request);
            QVERIFY(QTest::qWaitFor([&] { return stalledUploads(proxy) > 0; }, JobTimeoutMs));
        }
        proxy.releaseStalled();

        // The real app resumes it at start; SIGTERM reaches it while an upload hangs.
        {
            QProcess app;
            QVERIFY(startApp(app));
            const int before = stalledUploads(proxy);
            QVERIFY2(QTest::qWaitFor([&] { return stalledUploads(proxy) > before; }, 60000),
                     "the app did not resume the float");
            terminateAndCheck(app);
            if (QTest::currentTestFailed())
                return;
        }
        proxy.releaseStalled();
        {
            QString error;
            const auto registry =
                Registry::open(m_vault + QStringLiteral("/registry.sqlite"), &error);
            QVERIFY2(registry, qPrintable(error));
            QCOMPARE(registry->queueRows().jobs(JobKind, QStringLiteral("queued")).size(), 1);
            QCOMPARE(registry->modelRows().modelByName(QStringLiteral("m"))->state,
                     ModelRecord::State::Incomplete);
        }

        // The next start finishes it; a SIGTERM when idle is as clean.
        proxy.clearRules();
        {
            QProcess app;
            QVERIFY(startApp(app));
            QElapsedTimer sinceLook;
            QVERIFY2(QTest::qWaitFor(
                         [&] {
                             if (sinceLook.isValid() && sinceLook.elapsed() < 250)
                                 return false; // look 4 times a second, not at every turn
                             sinceLook.start();
                             QString error;
                             const auto registry = Registry::open(
                                 m_vault + QStringLiteral("/registry.sqlite"), &error);
                             const auto m =
                                 registry ? registry->modelRows().modelByName(QStringLiteral("m"))
                                          : std::nullopt;
                             return m && m->state == ModelRecord::State::Complete;
                         },
                         JobTimeoutMs),
                     "the resumed float did not finish");
            terminateAndCheck(app);
            if (QTest::currentTestFailed())
                return;
        }

        // And it restores bit-exact.
        const QString out = m_dir.filePath(QStringLiteral("restored"));
        const QString restored =
            cli({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), out});
        QVERIFY2(!restored.startsWith(QStringLiteral("FAILED")), qPrintable(restored));
        QVERIFY(readFile(out + QStringLiteral("/model.bin")) == readFile(model));
    }
};

QTEST_GUILESS_MAIN(TestUiQuit)
#include "tst_ui_quit.moc"
