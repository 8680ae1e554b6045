// modelfloat-cli watch: the watched folders' list and its refusals, and `watch run` floating a
// model dropped into a watched folder (once it has stopped growing), then stopping on SIGTERM.
#include "clisandbox.h"
#include "testsupport.h"

#include <QProcess>
#include <QtTest>

using namespace mf::test;

class TestCliWatch final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listAndRefusals();
    void runFloatsDroppedModel();
};

void TestCliWatch::listAndRefusals()
{
    CliSandbox box;
    QVERIFY(box.ok());
    const QString models = box.path(QStringLiteral("home/models"));
    QVERIFY(QDir().mkpath(models));
    const CliResult none = box.run({QStringLiteral("watch"), QStringLiteral("list")});
    QVERIFY2(none.code == 0, none.describe().constData());
    QVERIFY(none.outText().contains(QStringLiteral("No folder is watched")));

    const CliResult added = box.run({QStringLiteral("watch"), QStringLiteral("add"), models});
    QVERIFY2(added.code == 0, added.describe().constData());
    const CliResult again =
        box.run({QStringLiteral("watch"), QStringLiteral("add"), QStringLiteral("home/models")});
    QCOMPARE(again.code, 5);
    QVERIFY2(again.errText().contains(QStringLiteral("is watched already")),
             again.describe().constData());
    const CliResult missing =
        box.run({QStringLiteral("watch"), QStringLiteral("add"), QStringLiteral("nope")});
    QCOMPARE(missing.code, 3);
    QVERIFY2(missing.errText().contains(QStringLiteral("does not exist")),
             missing.describe().constData());
    QVERIFY(writeFile(box.path(QStringLiteral("input/a.gguf")), "a"));
    const CliResult file = box.run(
        {QStringLiteral("watch"), QStringLiteral("add"), box.path(QStringLiteral("input/a.gguf"))});
    QCOMPARE(file.code, 6);
    QVERIFY2(file.errText().contains(QStringLiteral("is not a folder")),
             file.describe().constData());
    const CliResult vault = box.run({QStringLiteral("watch"), QStringLiteral("add"), box.vault()});
    QCOMPARE(vault.code, 6);
    QVERIFY2(vault.errText().contains(QStringLiteral("is inside the vault")),
             vault.describe().constData());
    const CliResult bad = box.run({QStringLiteral("watch"), QStringLiteral("add")});
    QCOMPARE(bad.code, 2);

    const CliResult list =
        box.run({QStringLiteral("watch"), QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(list.code == 0, list.describe().constData());
    QCOMPARE(list.json().value(QStringLiteral("folders")).toArray().size(), 1);
    const CliResult removed = box.run({QStringLiteral("watch"), QStringLiteral("remove"), models});
    QVERIFY2(removed.code == 0, removed.describe().constData());
    const CliResult notWatched =
        box.run({QStringLiteral("watch"), QStringLiteral("remove"), models});
    QCOMPARE(notWatched.code, 3);
    QVERIFY(notWatched.errText().contains(QStringLiteral("is not watched")));
    const CliResult nothingToRun = box.run({QStringLiteral("watch"), QStringLiteral("run")});
    QCOMPARE(nothingToRun.code, 2);
    QVERIFY(nothingToRun.errText().contains(QStringLiteral("No folder is watched")));
}

void TestCliWatch::runFloatsDroppedModel()
{
    CliSandbox box;
    QVERIFY(box.ok());
    const QString models = box.path(QStringLiteral("home/models"));
    QVERIFY(QDir().mkpath(models));
    const CliResult added = box.run({QStringLiteral("watch"), QStringLiteral("add"), models});
    QVERIFY2(added.code == 0, added.describe().constData());

    QProcess run;
    QProcessEnvironment env = box.environment();
    env.insert(QStringLiteral("MODELFLOAT_WATCH_STABLE_MS"), QStringLiteral("300"));
    run.setProcessEnvironment(env);
    run.setWorkingDirectory(box.root());
    run.start(CliSandbox::cli(), {QStringLiteral("watch"), QStringLiteral("run")});
    QVERIFY(run.waitForStarted());
    QByteArray said;
    auto waitFor = [&](const QByteArray& text) {
        while (!said.contains(text)) {
            if (!run.waitForReadyRead(60'000))
                return false;
            said += run.readAllStandardOutput();
        }
        return true;
    };
    QVERIFY2(waitFor("Ctrl-C stops"), said.constData());
    // Dropped in as a browser does: written under a partial name, then renamed.
    QVERIFY(writePseudoRandomFile(models + QStringLiteral("/dropped.gguf.part"), 300 * 1024, 5));
    QVERIFY(QFile::rename(models + QStringLiteral("/dropped.gguf.part"),
                          models + QStringLiteral("/dropped.gguf")));
    QVERIFY2(waitFor("Float dropped (1 file): Done"),
             QByteArray(said + run.readAllStandardError()).constData());
    QCOMPARE(said.count("Floating "), 1);
    run.terminate(); // SIGTERM: as Ctrl-C
    QVERIFY(run.waitForFinished(60'000));
    QCOMPARE(run.exitStatus(), QProcess::NormalExit);
    QCOMPARE(run.exitCode(), 0);

    const CliResult list = box.run({QStringLiteral("list")});
    QVERIFY2(list.code == 0 && list.outText().contains(QStringLiteral("dropped")),
             list.describe().constData());
    const CliResult info =
        box.run({QStringLiteral("info"), QStringLiteral("dropped"), QStringLiteral("--json")});
    QVERIFY2(info.code == 0, info.describe().constData());
    QVERIFY2(info.out.contains(opensslSha256Hex(models + QStringLiteral("/dropped.gguf"))),
             info.describe().constData());
}

QTEST_GUILESS_MAIN(TestCliWatch)
#include "tst_cli_watch.moc"
