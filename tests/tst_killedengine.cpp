// The desktop app's engine killed with SIGKILL while it floats (issue "Nothing lost", item 5):
// its job row stays "running" and its providers' .tmp/ keep a half-written object. The next
// engine to open the vault takes the dead process's row over, finishes the float without sending
// again what was already stored, and leaves no temporary and no "running" row behind.
//
// The killed process is this executable itself, started with MODELFLOAT_TEST_CHILD_VAULT set: it
// then runs a real Engine (its own thread, SQLite connection and providers) that floats one file
// into that vault, as the app would.
#include "engine/engine.h"
#include "testsupport.h"
#include "testvault.h"
#include "transfer/removejob.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QtTest>

#include <csignal>
#include <sys/stat.h>

using namespace mf;
using namespace mf::test;

namespace {

using State = TransferInfo::State;

constexpr char ChildVault[] = "MODELFLOAT_TEST_CHILD_VAULT";
constexpr char ChildSource[] = "MODELFLOAT_TEST_CHILD_SOURCE";
// Set for a child that only opens the vault: it takes over the float a killed child left.
constexpr char ChildResumes[] = "MODELFLOAT_TEST_CHILD_RESUMES";
const QString ModelName = QStringLiteral("Killed");

// The child: floats $MODELFLOAT_TEST_CHILD_SOURCE into $MODELFLOAT_TEST_CHILD_VAULT with an
// Engine (or, with $MODELFLOAT_TEST_CHILD_RESUMES, resumes the float a killed child left);
// exits 0 once the float is done (the test kills it long before).
int runChild()
{
    Engine engine;
    QObject::connect(&engine, &Engine::opened, &engine, [&engine](const QString& error) {
        if (!error.isEmpty()) {
            qWarning("child: %s", qPrintable(error));
            QCoreApplication::exit(2);
            return;
        }
        if (qEnvironmentVariableIsSet(ChildResumes))
            return;
        FloatRequest request;
        request.paths = {qEnvironmentVariable(ChildSource)};
        request.modelName = ModelName;
        engine.floatFiles(request);
    });
    QObject::connect(&engine, &Engine::transferChanged, &engine, [](const TransferInfo& info) {
        if (info.isFinished() && !info.fromHistory)
            QCoreApplication::exit(info.state == State::Done ? 0 : 3);
    });
    engine.open(qEnvironmentVariable(ChildVault));
    return QCoreApplication::exec();
}

// The chunk objects in a local provider's folder (not in .tmp/, nor the catalog's objects in
// catalog/, such as the lease a killed float leaves): path -> inode.
QHash<QString, quint64> objectsIn(const QString& root, qint64* bytes = nullptr)
{
    QHash<QString, quint64> out;
    if (bytes)
        *bytes = 0;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.contains(QLatin1String("/.tmp/")) ||
            path.startsWith(root + QLatin1String("/catalog/")))
            continue;
        struct stat st
        {
        };
        if (::stat(QFile::encodeName(path).constData(), &st) != 0)
            continue; // renamed or removed meanwhile
        out.insert(path, quint64(st.st_ino));
        if (bytes)
            *bytes += qint64(st.st_size);
    }
    return out;
}

QStringList temporariesIn(const QString& root)
{
    return QDir(root + QStringLiteral("/.tmp"))
        .entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

} // namespace

class TestKilledEngine final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killedFloatIsTakenOverAndFinished();
    void aModelRemovedAfterTheKillIsNotBroughtBack();
};

void TestKilledEngine::killedFloatIsTakenOverAndFinished()
{
    TestVault tv(1); // the vault's own folder and one more, two replicas
    QVERIFY(tv.ok());
    tv.vault->setDefaultChunker(SmallChunks);
    const QString dir = tv.vault->directory();
    tv.vault.reset();
    const QStringList stores = {dir + QStringLiteral("/local-store"),
                                tv.path(QStringLiteral("store-extra1"))};
    const QString source = tv.path(QStringLiteral("model.bin"));
    constexpr qint64 Size = 96 * qint64(MiB);
    QVERIFY(writePseudoRandomFile(source, Size, 71));

    auto storedBytes = [&] {
        qint64 sum = 0;
        for (const QString& s : stores) {
            qint64 bytes = 0;
            objectsIn(s, &bytes);
            sum += bytes;
        }
        return sum;
    };
    auto temporaries = [&] {
        QStringList all;
        for (const QString& s : stores)
            all += temporariesIn(s);
        return all;
    };

    // Killed once some objects are stored and another is being written. A temporary seen may be
    // renamed into place before the kill lands (a put takes a few milliseconds, and a busy
    // machine may run the child on between the look and the kill), so a kill that left none is
    // followed by a new child that takes the float over, killed the same way, up to a bound.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QLatin1String(ChildVault), dir);
    env.insert(QLatin1String(ChildSource), source);
    constexpr int MaxKills = 20;
    qint64 childPid = 0;
    int kills = 0;
    while (kills < MaxKills && (kills == 0 || temporaries().isEmpty())) {
        if (kills > 0)
            env.insert(QLatin1String(ChildResumes), QStringLiteral("1"));
        QProcess child;
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(), QStringList{});
        QVERIFY(child.waitForStarted());
        childPid = child.processId();
        QVERIFY(QTest::qWaitFor(
            [&] {
                return child.state() == QProcess::NotRunning ||
                       (storedBytes() >= 8 * qint64(MiB) && !temporaries().isEmpty());
            },
            JobTimeoutMs));
        QVERIFY2(child.state() != QProcess::NotRunning,
                 "the float ended before it could be killed");
        ::kill(pid_t(childPid), SIGKILL);
        QVERIFY(child.waitForFinished());
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        ++kills;
    }
    qInfo("%d kill(s) to leave a temporary", kills);

    // What the kill left: a "running" row of the dead process, and a temporary.
    {
        auto v = Vault::open(dir, Vault::OpenMode::Existing, nullptr);
        QVERIFY(v);
        const QList<JobRow> running = v->registry().queueRows().jobRows(QStringLiteral("transfer"),
                                                                        QStringLiteral("running"));
        QCOMPARE(running.size(), 1);
        QCOMPARE(running.first().owner.section(QLatin1Char('|'), 1, 1).toLongLong(), childPid);
    }
    QVERIFY2(!temporaries().isEmpty(), "the kill left no temporary: nothing to check");
    QHash<QString, quint64> before;
    qint64 storedBefore = 0;
    for (const QString& s : stores) {
        qint64 bytes = 0;
        before.insert(objectsIn(s, &bytes));
        storedBefore += bytes;
    }
    qInfo("killed with %lld bytes stored, %d temporaries", storedBefore, int(temporaries().size()));

    // The next engine takes the row over and finishes the float.
    qint64 modelId = 0;
    {
        Engine engine;
        QHash<qint64, TransferInfo> last;
        auto record = [&](const TransferInfo& i) { last.insert(i.id, i); };
        connect(&engine, &Engine::transferAdded, this, record);
        connect(&engine, &Engine::transferChanged, this, record);
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QCOMPARE(opened.first().first().toString(), QString());
        QVERIFY(QTest::qWaitFor([&] { return last.size() == 1 && last.constBegin()->isFinished(); },
                                JobTimeoutMs));
        const TransferInfo done = *last.constBegin();
        QVERIFY2(done.state == State::Done, qPrintable(done.error));
        QCOMPARE(done.kind, TransferInfo::Kind::Float);
        QVERIFY(done.title.contains(ModelName));
        // Nothing stored before the kill was sent again, nor rewritten.
        QVERIFY2(done.sentBytes <= 2 * Size - storedBefore,
                 qPrintable(QStringLiteral("sent %1 of %2, %3 were stored before the kill")
                                .arg(done.sentBytes)
                                .arg(2 * Size)
                                .arg(storedBefore)));
        QHash<QString, quint64> after;
        for (const QString& s : stores)
            after.insert(objectsIn(s));
        for (auto it = before.constBegin(); it != before.constEnd(); ++it)
            QVERIFY2(after.value(it.key()) == it.value(), qPrintable(it.key()));
        QVERIFY2(temporaries().isEmpty(), qPrintable(temporaries().join(QLatin1Char(' '))));

        modelId = done.modelId;
        QVERIFY(modelId > 0);
        const QString out = tv.path(QStringLiteral("out"));
        const qint64 restoreId = engine.restoreModel(modelId, out);
        QVERIFY(QTest::qWaitFor(
            [&] { return last.contains(restoreId) && last[restoreId].isFinished(); },
            JobTimeoutMs));
        QVERIFY2(last[restoreId].state == State::Done, qPrintable(last[restoreId].error));
        QCOMPARE(opensslSha256Hex(out + QStringLiteral("/model.bin")), opensslSha256Hex(source));
    }

    // No row is left "running", and the killed float's row says done.
    auto v = Vault::open(dir, Vault::OpenMode::Existing, nullptr);
    QVERIFY(v);
    QVERIFY(v->registry()
                .queueRows()
                .jobRows(QStringLiteral("transfer"), QStringLiteral("running"))
                .isEmpty());
    bool floatDone = false;
    for (const JobRow& row :
         v->registry().queueRows().jobRows(QStringLiteral("transfer"), QStringLiteral("done")))
        floatDone = floatDone || row.payload.value(QStringLiteral("model")).toString() == ModelName;
    QVERIFY(floatDone);
}

// issue 37: the app killed while it floats, the half-floated model removed with
// `modelfloat-cli rm` (a RemoveJob, as the CLI runs it), and the app started again. The float the
// killed app left queued must not resume and bring the model back: the removal cancelled it.
void TestKilledEngine::aModelRemovedAfterTheKillIsNotBroughtBack()
{
    TestVault tv(1);
    QVERIFY(tv.ok());
    tv.vault->setDefaultChunker(SmallChunks);
    const QString dir = tv.vault->directory();
    tv.vault.reset();
    const QString store = dir + QStringLiteral("/local-store");
    const QString source = tv.path(QStringLiteral("model.bin"));
    QVERIFY(writePseudoRandomFile(source, 64 * qint64(MiB), 72));

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QLatin1String(ChildVault), dir);
    env.insert(QLatin1String(ChildSource), source);
    QProcess child;
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(), QStringList{});
    QVERIFY(child.waitForStarted());
    QVERIFY(QTest::qWaitFor(
        [&] {
            qint64 bytes = 0;
            objectsIn(store, &bytes);
            return child.state() == QProcess::NotRunning || bytes >= 4 * qint64(MiB);
        },
        JobTimeoutMs));
    QVERIFY2(child.state() != QProcess::NotRunning, "the float ended before it could be killed");
    ::kill(pid_t(child.processId()), SIGKILL);
    QVERIFY(child.waitForFinished());

    {
        auto v = Vault::open(dir, Vault::OpenMode::Existing, nullptr);
        QVERIFY(v);
        QVERIFY(v->registry().modelRows().modelByName(ModelName));
        RemoveJob rm(v.get(), ModelName);
        QVERIFY(run(rm));
        QVERIFY2(rm.error().ok(), qPrintable(rm.error().message));
        QVERIFY(!v->registry().modelRows().modelByName(ModelName));
    }

    // The app starts again: its float is history, cancelled with the reason, and nothing runs.
    {
        Engine engine;
        QHash<qint64, TransferInfo> last;
        auto record = [&](const TransferInfo& i) { last.insert(i.id, i); };
        connect(&engine, &Engine::transferAdded, this, record);
        connect(&engine, &Engine::transferChanged, this, record);
        QSignalSpy opened(&engine, &Engine::opened);
        engine.open(dir);
        QVERIFY(opened.wait(JobTimeoutMs));
        QCOMPARE(opened.first().first().toString(), QString());
        QVERIFY(QTest::qWaitFor([&] { return last.size() == 1 && last.constBegin()->isFinished(); },
                                JobTimeoutMs));
        const TransferInfo cancelled = *last.constBegin();
        QCOMPARE(cancelled.kind, TransferInfo::Kind::Float);
        QCOMPARE(int(cancelled.state), int(State::Cancelled));
        QCOMPARE(cancelled.error, QStringLiteral("“%1” was removed").arg(ModelName));
    }

    auto v = Vault::open(dir, Vault::OpenMode::Existing, nullptr);
    QVERIFY(v);
    QVERIFY(!v->registry().modelRows().modelByName(ModelName));
    for (const QString& state : {QStringLiteral("queued"), QStringLiteral("running")})
        QVERIFY(v->registry().queueRows().jobRows(QStringLiteral("transfer"), state).isEmpty());
}

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    if (qEnvironmentVariableIsSet(ChildVault))
        return runChild();
    TestKilledEngine test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_killedengine.moc"
