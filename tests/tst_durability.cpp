// Durability by default (issue "Nothing lost", item 4): modelfloat-cli runs under strace, and
// the order of its system calls shows what a power cut could lose. A local object's bytes are
// flushed (fdatasync of its temporary) before it is renamed into place, and its folder
// (fsync) after, before the float ends; a restored or materialized file is flushed before its
// rename and its folder after, before the command says done. The fast mode (--no-sync, or the
// vault setting "durability fast") flushes none of them.

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int Timeout = 300000;

// One system call of interest, in the order strace saw them start.
struct Event
{
    enum class Kind { Sync, Publish } kind;
    QString path; // Sync: the file or folder flushed; Publish: the new name
    QString from; // Publish: the old name
};

// Reads an `strace -f -y -s 4096` log: fsync/fdatasync with the descriptor's path, and the
// rename/link calls that give a file its final name.
QList<Event> parseTrace(const QString& logPath)
{
    QFile f(logPath);
    QList<Event> events;
    if (!f.open(QIODevice::ReadOnly))
        return events;
    static const QRegularExpression sync(QStringLiteral("\\b(?:fdatasync|fsync)\\(\\d+<([^>]*)>"));
    static const QRegularExpression rename(
        QStringLiteral("\\b(?:rename|link)\\(\"([^\"]+)\", \"([^\"]+)\""));
    static const QRegularExpression renameAt(
        QStringLiteral("\\b(?:renameat2?|linkat)\\([^,]+, \"([^\"]+)\", [^,]+, \"([^\"]+)\""));
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (line.contains(QLatin1String("resumed>")))
            continue; // the start of the call was seen already
        if (const auto m = sync.match(line); m.hasMatch()) {
            events.append({Event::Kind::Sync, m.captured(1), {}});
        } else if (const auto r = renameAt.match(line); r.hasMatch()) {
            events.append({Event::Kind::Publish, r.captured(2), r.captured(1)});
        } else if (const auto p = rename.match(line); p.hasMatch()) {
            events.append({Event::Kind::Publish, p.captured(2), p.captured(1)});
        }
    }
    return events;
}

// Where `path` got its name (-1: never), and whether its bytes were flushed before that (under
// the temporary name) and its folder after, before the process ended.
struct Durability
{
    int published = -1;
    bool flushedBefore = false;
    bool folderAfter = false;
};

Durability durabilityOf(const QList<Event>& events, const QString& path)
{
    Durability d;
    for (int i = 0; i < events.size(); ++i)
        if (events.at(i).kind == Event::Kind::Publish && events.at(i).path == path)
            d.published = i;
    if (d.published < 0)
        return d;
    const QString from = events.at(d.published).from;
    const QString folder = QFileInfo(path).absolutePath();
    for (int i = 0; i < events.size(); ++i) {
        if (events.at(i).kind != Event::Kind::Sync)
            continue;
        if (i < d.published && events.at(i).path == from)
            d.flushedBefore = true;
        if (i > d.published && events.at(i).path == folder)
            d.folderAfter = true;
    }
    return d;
}

int syncsBelow(const QList<Event>& events, const QString& folder)
{
    int n = 0;
    for (const Event& e : events)
        if (e.kind == Event::Kind::Sync && e.path.startsWith(folder))
            ++n;
    return n;
}

// The chunk objects of a local provider folder.
QStringList objectsIn(const QString& root)
{
    QStringList out;
    const QDir dir(root);
    for (const QString& shard : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (shard.size() != 2)
            continue;
        for (const QString& name :
             QDir(dir.filePath(shard)).entryList({QStringLiteral("bafkrei*")}, QDir::Files))
            out.append(dir.filePath(shard) + QLatin1Char('/') + name);
    }
    return out;
}

struct Run
{
    int code = -1;
    QByteArray out;
    QByteArray err;
    QByteArray describe() const
    {
        return "exit " + QByteArray::number(code) + "\n--- stdout:\n" + out + "\n--- stderr:\n" +
               err;
    }
};

} // namespace

class TestDurability final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void floatFlushesEachObjectBeforeItIsRecorded();
    void restoreFlushesBeforeItSaysDone();
    void materializeFlushesBeforeItSaysDone();
    void fastModeFlushesNothing();
    void vaultSettingAndFlags();

private:
    QString path(const QString& name) const { return m_dir->filePath(name); }
    QString vault() const { return path(QStringLiteral("vault")); }
    QString store() const { return path(QStringLiteral("vault/local-store")); }
    // Runs modelfloat-cli on the test's vault; with `traceLog`, under strace writing there.
    Run cli(QStringList args, const QString& traceLog = {}) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_input;
};

void TestDurability::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("strace")).isEmpty())
        QFAIL("strace is not installed (apt-get install strace)");
}

void TestDurability::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    QDir().mkpath(path(QStringLiteral("home")));
    m_input = path(QStringLiteral("model.bin"));
    QVERIFY(test::writePseudoRandomFile(m_input, 3 * MiB + 777, 41));
    const Run created = cli({QStringLiteral("init")});
    QVERIFY2(created.code == 0, created.describe());
}

Run TestDurability::cli(QStringList args, const QString& traceLog) const
{
    args << QStringLiteral("--vault") << vault() << QStringLiteral("--quiet");
    QString program = mf::test::cliPath();
    if (!traceLog.isEmpty()) {
        args.prepend(program);
        args = QStringList{QStringLiteral("-f"),
                           QStringLiteral("-y"),
                           QStringLiteral("-qq"),
                           QStringLiteral("-s"),
                           QStringLiteral("4096"),
                           QStringLiteral("-e"),
                           QStringLiteral("trace=fsync,fdatasync,rename,renameat,renameat2,link,"
                                          "linkat"),
                           QStringLiteral("-o"),
                           traceLog} +
               args;
        program = QStringLiteral("strace");
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), path(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("home")));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    if (!traceLog.isEmpty()) {
        // LeakSanitizer cannot run under ptrace (it stops with a fatal error); the same code
        // paths run leak-checked in every other CLI suite, so only the traced run goes without.
        const QString asan = env.value(QStringLiteral("ASAN_OPTIONS"));
        env.insert(QStringLiteral("ASAN_OPTIONS"), asan.isEmpty()
                                                       ? QStringLiteral("detect_leaks=0")
                                                       : asan + QStringLiteral(":detect_leaks=0"));
    }
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    p.closeWriteChannel();
    Run r;
    if (!p.waitForFinished(Timeout)) {
        p.kill();
        p.waitForFinished();
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void TestDurability::floatFlushesEachObjectBeforeItIsRecorded()
{
    const QString log = path(QStringLiteral("float.strace"));
    const Run r = cli({QStringLiteral("float"), m_input, QStringLiteral("--name"),
                       QStringLiteral("m"), QStringLiteral("--chunker"), QStringLiteral("cdc"),
                       QStringLiteral("--chunk-size"), QStringLiteral("256K")},
                      log);
    QVERIFY2(r.code == 0, r.describe());
    const QList<Event> events = parseTrace(log);
    const QStringList objects = objectsIn(store());
    QVERIFY2(objects.size() >= 6, qPrintable(objects.join(QLatin1Char('\n'))));
    for (const QString& object : objects) {
        const Durability d = durabilityOf(events, object);
        QVERIFY2(d.published >= 0, qPrintable(QStringLiteral("no rename to ") + object));
        QVERIFY2(d.flushedBefore,
                 qPrintable(object + QStringLiteral(": its bytes were not flushed before its "
                                                    "rename")));
        QVERIFY2(d.folderAfter,
                 qPrintable(object + QStringLiteral(": its folder was not flushed after its "
                                                    "rename")));
    }
}

void TestDurability::restoreFlushesBeforeItSaysDone()
{
    const Run f =
        cli({QStringLiteral("float"), m_input, QStringLiteral("--name"), QStringLiteral("m")});
    QVERIFY2(f.code == 0, f.describe());
    const QString log = path(QStringLiteral("restore.strace"));
    const QString out = path(QStringLiteral("out/deeper"));
    const Run r =
        cli({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), out}, log);
    QVERIFY2(r.code == 0, r.describe());
    const QString restored = out + QStringLiteral("/model.bin");
    QCOMPARE(test::opensslSha256Hex(restored), test::opensslSha256Hex(m_input));
    const QList<Event> events = parseTrace(log);
    const Durability d = durabilityOf(events, restored);
    QVERIFY2(d.published >= 0, "the restored file was not renamed into place");
    QVERIFY2(d.flushedBefore, "the restored file was not flushed before its rename");
    QVERIFY2(d.folderAfter, "the restored file's folder was not flushed after its rename");
    // The folders the restore created are durable too: "out" holds "deeper".
    bool parentSynced = false;
    for (const Event& e : events)
        parentSynced =
            parentSynced || (e.kind == Event::Kind::Sync && e.path == path(QStringLiteral("out")));
    QVERIFY2(parentSynced, "a folder the restore created was not flushed into its parent");
}

void TestDurability::materializeFlushesBeforeItSaysDone()
{
    const Run f =
        cli({QStringLiteral("float"), m_input, QStringLiteral("--name"), QStringLiteral("m")});
    QVERIFY2(f.code == 0, f.describe());
    const QString log = path(QStringLiteral("materialize.strace"));
    const QString out = path(QStringLiteral("plain"));
    const Run r =
        cli({QStringLiteral("materialize"), QStringLiteral("m"), QStringLiteral("--to"), out}, log);
    QVERIFY2(r.code == 0, r.describe());
    const Durability d = durabilityOf(parseTrace(log), out + QStringLiteral("/model.bin"));
    QVERIFY2(d.published >= 0, "the materialized file was not renamed into place");
    QVERIFY2(d.flushedBefore, "the materialized file was not flushed before its rename");
    QVERIFY2(d.folderAfter, "the materialized file's folder was not flushed after its rename");
}

void TestDurability::fastModeFlushesNothing()
{
    const QString floatLog = path(QStringLiteral("float.strace"));
    const Run f = cli({QStringLiteral("float"), m_input, QStringLiteral("--name"),
                       QStringLiteral("m"), QStringLiteral("--no-sync")},
                      floatLog);
    QVERIFY2(f.code == 0, f.describe());
    QVERIFY(!objectsIn(store()).isEmpty());
    QCOMPARE(syncsBelow(parseTrace(floatLog), store()), 0);

    const QString restoreLog = path(QStringLiteral("restore.strace"));
    const QString out = path(QStringLiteral("out"));
    const Run r = cli({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), out,
                       QStringLiteral("--no-sync")},
                      restoreLog);
    QVERIFY2(r.code == 0, r.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/model.bin")),
             test::opensslSha256Hex(m_input));
    const QList<Event> events = parseTrace(restoreLog);
    QVERIFY(durabilityOf(events, out + QStringLiteral("/model.bin")).published >= 0);
    QCOMPARE(syncsBelow(events, out), 0);
}

// `config durability fast` makes fast mode the vault's; --sync flushes for one command anyway;
// contradicting flags are a usage error.
void TestDurability::vaultSettingAndFlags()
{
    const Run show = cli({QStringLiteral("config"), QStringLiteral("--json")});
    QVERIFY2(show.code == 0, show.describe());
    QCOMPARE(QJsonDocument::fromJson(show.out).object().value(QStringLiteral("durability")),
             QJsonValue(QStringLiteral("flush")));
    const Run set = cli({QStringLiteral("config"), QStringLiteral("durability"),
                         QStringLiteral("fast"), QStringLiteral("--json")});
    QVERIFY2(set.code == 0, set.describe());
    QCOMPARE(QJsonDocument::fromJson(set.out).object().value(QStringLiteral("durability")),
             QJsonValue(QStringLiteral("fast")));
    QCOMPARE(
        cli({QStringLiteral("config"), QStringLiteral("durability"), QStringLiteral("maybe")}).code,
        2);

    const QString fastLog = path(QStringLiteral("fast.strace"));
    QVERIFY(cli({QStringLiteral("float"), m_input, QStringLiteral("--name"), QStringLiteral("a")},
                fastLog)
                .code == 0);
    QCOMPARE(syncsBelow(parseTrace(fastLog), store()), 0);

    const QString other = path(QStringLiteral("other.bin"));
    QVERIFY(test::writePseudoRandomFile(other, MiB + 5, 43));
    const QString syncLog = path(QStringLiteral("sync.strace"));
    QVERIFY(cli({QStringLiteral("float"), other, QStringLiteral("--name"), QStringLiteral("b"),
                 QStringLiteral("--sync")},
                syncLog)
                .code == 0);
    QVERIFY(syncsBelow(parseTrace(syncLog), store()) > 0);

    QCOMPARE(cli({QStringLiteral("restore"), QStringLiteral("a"), QStringLiteral("--to"),
                  path(QStringLiteral("x")), QStringLiteral("--sync"), QStringLiteral("--no-sync")})
                 .code,
             2);
}

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
