// What kill -9 leaves behind (issue "Nothing lost", item 5), with the real modelfloat-cli killed
// while it writes a temporary: a float into local providers (their .tmp/), a float into WebDAV
// (.partial/ on the real rclone and Apache servers), a restore and a materialization (hidden
// temporaries beside the destination, or in the Hugging Face cache's blobs/). Each test first
// checks that the kills did leave temporaries, then that the next run of the same operation, or
// `collect`, removes them all, and that the results are right.

#include "faultproxy.h"
#include "hubpeer.h"
#include "testsupport.h"
#include "webdavpeer.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <functional>
#include <sys/stat.h>

using namespace mf;
using namespace mf::test;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int Timeout = 300000;

struct Run
{
    int code = -1; // -1: killed, crashed or did not finish
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
    QByteArray describe() const
    {
        return "exit " + QByteArray::number(code) + "\n--- stdout:\n" + out + "\n--- stderr:\n" +
               err;
    }
};

// Files (any name, hidden too) directly in `folder` whose names match `pattern`.
QStringList filesIn(const QString& folder, const QRegularExpression& pattern)
{
    QStringList out;
    for (const QString& name :
         QDir(folder).entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name))
        if (pattern.match(name).hasMatch())
            out.append(name);
    return out;
}

const QRegularExpression& anything()
{
    static const QRegularExpression re(QStringLiteral("^.+$"));
    return re;
}

// A restore's or materialization's temporary: ".NAME.modelfloat-...".
const QRegularExpression& hiddenTemporary()
{
    static const QRegularExpression re(QStringLiteral("^\\..+\\.modelfloat-.+$"));
    return re;
}

// Whether `folder` holds a temporary that is not among `before`.
bool hasNew(const QString& folder, const QStringList& before)
{
    for (const QString& name : filesIn(folder, hiddenTemporary()))
        if (!before.contains(name))
            return true;
    return false;
}

// Every file below `root`, relative, sorted.
QStringList treeOf(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(QDir(root).relativeFilePath(it.next()));
    out.sort();
    return out;
}

// The chunk objects in local providers' folders (not in .tmp/ or catalog/): path -> inode.
QHash<QString, quint64> objectsIn(const QStringList& roots)
{
    QHash<QString, quint64> out;
    for (const QString& root : roots) {
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            struct stat st
            {
            };
            // Chunk objects only: the catalog's (manifests, vault states, the leases a killed
            // float leaves) are small, replaceable, and not part of what a float sends.
            if (!path.contains(QLatin1String("/.tmp/")) &&
                !path.startsWith(root + QLatin1String("/catalog/")) &&
                ::stat(QFile::encodeName(path).constData(), &st) == 0)
                out.insert(path, quint64(st.st_ino));
        }
    }
    return out;
}

} // namespace

class TestLeftoversCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void killedFloatsIntoLocalFolders();
    void killedRepairs();
    void killedRestores();
    void killedMaterializations();
    void killedMaterializationsIntoTheHfCache();
    void killedFloatsIntoRclone();
    void killedFloatsIntoApache();

private:
    QString path(const QString& name) const { return m_dir->filePath(name); }
    QString vault() const { return path(QStringLiteral("vault")); }
    void start(QProcess& p, QStringList args) const;
    // Runs to the end with the event loop turning (a FaultProxy of this process may be in the
    // way), feeding `input` on stdin.
    Run run(const QStringList& args, const QByteArray& input = {}) const;
    static Run wait(QProcess& p);
    // Starts `args` and kills it with SIGKILL as soon as `ready` holds (checked every few ms);
    // false when the command ended first.
    bool killWhen(const QStringList& args, const std::function<bool()>& ready) const;
    void killedFloatsIntoWebDav(const QString& serverUrl, quint16 serverPort,
                                const QString& serverRoot);

    std::unique_ptr<QTemporaryDir> m_dir;
    QProcessEnvironment m_env;
};

void TestLeftoversCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    QDir().mkpath(path(QStringLiteral("home")));
    m_env = QProcessEnvironment::systemEnvironment();
    m_env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
    m_env.insert(QStringLiteral("XDG_DATA_HOME"), path(QStringLiteral("home")));
    m_env.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("home")));
    m_env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    const Run created = run({QStringLiteral("init")});
    QVERIFY2(created.code == 0, created.describe());
}

void TestLeftoversCli::start(QProcess& p, QStringList args) const
{
    args << QStringLiteral("--vault") << vault();
    p.setProcessEnvironment(m_env);
    p.start(mf::test::cliPath(), args);
}

Run TestLeftoversCli::wait(QProcess& p)
{
    Run r;
    if (!QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, Timeout)) {
        p.kill();
        p.waitForFinished();
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

Run TestLeftoversCli::run(const QStringList& args, const QByteArray& input) const
{
    QProcess p;
    start(p, args);
    p.write(input);
    p.closeWriteChannel();
    return wait(p);
}

bool TestLeftoversCli::killWhen(const QStringList& args, const std::function<bool()>& ready) const
{
    QProcess p;
    start(p, args);
    p.closeWriteChannel();
    const bool hit =
        QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning || ready(); }, Timeout);
    const bool killed = hit && p.state() != QProcess::NotRunning;
    if (killed)
        ::kill(pid_t(p.processId()), SIGKILL);
    wait(p);
    return killed;
}

// Floats into two local folders, killed while objects are being written, several times; then
// the same float again finishes and leaves no temporary in either .tmp/; killed again, then
// `collect` removes what that kill left.
void TestLeftoversCli::killedFloatsIntoLocalFolders()
{
    const QString store2 = path(QStringLiteral("store2"));
    const Run add = run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                         QStringLiteral("second"), store2});
    QVERIFY2(add.code == 0, add.describe());
    const QStringList tmps = {path(QStringLiteral("vault/local-store/.tmp")),
                              store2 + QStringLiteral("/.tmp")};
    auto names = [&] {
        QStringList all;
        for (const QString& t : tmps)
            for (const QString& name : filesIn(t, anything()))
                all.append(t + QLatin1Char('/') + name);
        return all;
    };
    auto leftovers = [&] { return int(names().size()); };
    const QString input = path(QStringLiteral("model.bin"));
    QVERIFY(writePseudoRandomFile(input, 48 * MiB, 11));
    const QStringList floatArgs = {QStringLiteral("float"),        input,
                                   QStringLiteral("--name"),       QStringLiteral("m"),
                                   QStringLiteral("--replicas"),   QStringLiteral("2"),
                                   QStringLiteral("--chunker"),    QStringLiteral("cdc"),
                                   QStringLiteral("--chunk-size"), QStringLiteral("1M"),
                                   QStringLiteral("--quiet")};
    const QStringList stores = {path(QStringLiteral("vault/local-store")), store2};
    auto storedBytes = [&] {
        qint64 sum = 0;
        for (const QString& object : objectsIn(stores).keys())
            sum += QFileInfo(object).size();
        return sum;
    };
    // Each round is killed once it has stored something and has a temporary of its own (one that
    // was not there before: each float first sweeps what the killed ones left). A temporary seen
    // may be renamed into place before the kill lands (a put takes a few milliseconds), so
    // rounds go on, up to a bound, until the kills have left one.
    int kills = 0;
    for (int round = 0; round < 4 || (leftovers() == 0 && round < 16); ++round) {
        const QStringList before = names();
        const qint64 storedAtStart = storedBytes();
        kills += killWhen(floatArgs,
                          [&] {
                              if (storedBytes() < storedAtStart + 2 * MiB)
                                  return false;
                              for (const QString& n : names())
                                  if (!before.contains(n))
                                      return true;
                              return false;
                          })
                     ? 1
                     : 0;
    }
    QVERIFY2(kills > 0, "every float ended before it could be killed");
    const int left = leftovers();
    QVERIFY2(left > 0, "the kills left no temporary: nothing to check");
    qInfo("%d kills left %d temporaries", kills, left);

    // What the kills stored: the resumed float neither sends it again nor rewrites it.
    const QHash<QString, quint64> before = objectsIn(stores);
    qint64 storedBefore = 0;
    for (const QString& object : before.keys())
        storedBefore += QFileInfo(object).size();
    QVERIFY2(storedBefore > 0, "the kills stored nothing: nothing to check");

    const Run resumed = run(floatArgs + QStringList{QStringLiteral("--json")});
    QVERIFY2(resumed.code == 0, resumed.describe());
    QCOMPARE(resumed.json().value(QStringLiteral("resumed")).toBool(), true);
    const qint64 sent = resumed.json().value(QStringLiteral("bytes_sent")).toInteger();
    QVERIFY2(
        sent <= 2 * 48 * MiB - storedBefore,
        qPrintable(QStringLiteral("sent %1, %2 were stored before").arg(sent).arg(storedBefore)));
    const QHash<QString, quint64> after = objectsIn(stores);
    for (auto it = before.constBegin(); it != before.constEnd(); ++it)
        QVERIFY2(after.value(it.key()) == it.value(), qPrintable(it.key()));
    for (const QString& t : tmps)
        QVERIFY2(
            filesIn(t, anything()).isEmpty(),
            qPrintable(t + QStringLiteral(": ") + filesIn(t, anything()).join(QLatin1Char(' '))));
    const QString out = path(QStringLiteral("out"));
    QVERIFY(run({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), out,
                 QStringLiteral("--quiet")})
                .code == 0);
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/model.bin")), opensslSha256Hex(input));

    // A kill of another float, then `collect`: it sweeps both folders.
    const QString other = path(QStringLiteral("other.bin"));
    QVERIFY(writePseudoRandomFile(other, 48 * MiB, 12));
    QStringList otherArgs = floatArgs;
    otherArgs[1] = other;
    otherArgs[3] = QStringLiteral("other");
    bool killed = false;
    for (int round = 0; round < 3 && leftovers() == 0; ++round)
        killed = killWhen(otherArgs, [&] { return leftovers() > 0; }) || killed;
    QVERIFY2(killed && leftovers() > 0, "no kill left a temporary to collect");
    const Run collect = run({QStringLiteral("collect"), QStringLiteral("--json")});
    QVERIFY2(collect.code == 0, collect.describe());
    QVERIFY(collect.json().value(QStringLiteral("leftovers_removed")).toInt() > 0);
    QCOMPARE(leftovers(), 0);
}

// Restores killed while they write: a rerun into the same folder leaves only the model's files;
// a killed restore that nobody reruns is cleaned by `collect`.
// Repairs killed while they put copies (issue 34, item 6): the next repair leaves no temporary
// in the folder they were writing to.
void TestLeftoversCli::killedRepairs()
{
    const QString input = path(QStringLiteral("model.bin"));
    QVERIFY(writePseudoRandomFile(input, 48 * MiB, 13));
    const Run floated =
        run({QStringLiteral("float"), input, QStringLiteral("--name"), QStringLiteral("m"),
             QStringLiteral("--chunker"), QStringLiteral("cdc"), QStringLiteral("--chunk-size"),
             QStringLiteral("1M"), QStringLiteral("--quiet")});
    QVERIFY2(floated.code == 0, floated.describe());
    // A second folder, and two copies wanted: repair has every chunk to copy there.
    const QString store2 = path(QStringLiteral("store2"));
    const Run add = run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
                         QStringLiteral("second"), store2});
    QVERIFY2(add.code == 0, add.describe());
    const Run replicate =
        run({QStringLiteral("config"), QStringLiteral("replication"), QStringLiteral("2")});
    QVERIFY2(replicate.code == 0, replicate.describe());
    const QString tmp = store2 + QStringLiteral("/.tmp");
    auto leftovers = [&] { return int(filesIn(tmp, anything()).size()); };
    // A temporary seen may be renamed into place before the kill lands: kill again, up to a
    // bound, until a kill has left one.
    int kills = 0;
    for (int round = 0; round < 16 && leftovers() == 0; ++round)
        kills += killWhen({QStringLiteral("repair"), QStringLiteral("--quiet")},
                          [&] { return leftovers() > 0; })
                     ? 1
                     : 0;
    QVERIFY2(kills > 0, "every repair ended before it could be killed");
    QVERIFY2(leftovers() > 0, "the kills left no temporary: nothing to check");
    qInfo("%d kill(s) left %d temporaries", kills, leftovers());

    const Run repaired = run({QStringLiteral("repair"), QStringLiteral("--json")});
    QVERIFY2(repaired.code == 0, repaired.describe());
    QVERIFY2(filesIn(tmp, anything()).isEmpty(),
             qPrintable(filesIn(tmp, anything()).join(QLatin1Char(' '))));
    const QString out = path(QStringLiteral("out"));
    QVERIFY(run({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"), out,
                 QStringLiteral("--quiet")})
                .code == 0);
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/model.bin")), opensslSha256Hex(input));
}

void TestLeftoversCli::killedRestores()
{
    QDir().mkpath(path(QStringLiteral("in")));
    const QString a = path(QStringLiteral("in/a.bin"));
    const QString b = path(QStringLiteral("in/b.bin"));
    QVERIFY(writePseudoRandomFile(a, 40 * MiB, 21));
    QVERIFY(writePseudoRandomFile(b, 40 * MiB, 22));
    const Run f = run({QStringLiteral("float"), path(QStringLiteral("in")),
                       QStringLiteral("--name"), QStringLiteral("m"), QStringLiteral("--quiet")});
    QVERIFY2(f.code == 0, f.describe());

    const QString out = path(QStringLiteral("out"));
    const QStringList restoreArgs = {QStringLiteral("restore"), QStringLiteral("m"),
                                     QStringLiteral("--to"),    out,
                                     QStringLiteral("--force"), QStringLiteral("--quiet")};
    // Each round is killed once it has a temporary of its own (one that was not there before).
    int kills = 0;
    for (int round = 0; round < 3; ++round) {
        const QStringList before = filesIn(out, hiddenTemporary());
        kills += killWhen(restoreArgs, [&] { return hasNew(out, before); }) ? 1 : 0;
    }
    QVERIFY2(kills > 0, "every restore ended before it could be killed");
    QVERIFY2(!filesIn(out, hiddenTemporary()).isEmpty(), "the kills left no temporary");
    qInfo("%d kills left %d temporaries", kills, int(filesIn(out, hiddenTemporary()).size()));
    const Run rerun = run(restoreArgs);
    QVERIFY2(rerun.code == 0, rerun.describe());
    QCOMPARE(treeOf(out), (QStringList{QStringLiteral("a.bin"), QStringLiteral("b.bin")}));
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/a.bin")), opensslSha256Hex(a));
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/b.bin")), opensslSha256Hex(b));

    // Killed into a folder nobody restores into again: `collect` finds it in the registry.
    const QString other = path(QStringLiteral("elsewhere/deep"));
    bool killed = false;
    for (int round = 0; round < 3 && filesIn(other, hiddenTemporary()).isEmpty(); ++round)
        killed = killWhen({QStringLiteral("restore"), QStringLiteral("m"), QStringLiteral("--to"),
                           other, QStringLiteral("--force"), QStringLiteral("--quiet")},
                          [&] { return !filesIn(other, hiddenTemporary()).isEmpty(); }) ||
                 killed;
    QVERIFY2(killed && !filesIn(other, hiddenTemporary()).isEmpty(),
             "no killed restore left a temporary");
    const Run collect = run({QStringLiteral("collect"), QStringLiteral("--json")});
    QVERIFY2(collect.code == 0, collect.describe());
    QVERIFY(collect.json().value(QStringLiteral("leftovers_removed")).toInt() > 0);
    QVERIFY2(filesIn(other, hiddenTemporary()).isEmpty(),
             qPrintable(filesIn(other, hiddenTemporary()).join(QLatin1Char(' '))));
    // And a second collect has nothing left to do.
    const Run again = run({QStringLiteral("collect"), QStringLiteral("--json")});
    QCOMPARE(again.json().value(QStringLiteral("leftovers_removed")).toInt(), 0);
}

// Materializations into a plain folder, killed while they write: the rerun leaves only the
// model's files; a killed one into another folder is cleaned by `collect`.
void TestLeftoversCli::killedMaterializations()
{
    const QString input = path(QStringLiteral("model.gguf"));
    QVERIFY(writePseudoRandomFile(input, 64 * MiB, 31));
    const Run f = run({QStringLiteral("float"), input, QStringLiteral("--name"),
                       QStringLiteral("m"), QStringLiteral("--quiet")});
    QVERIFY2(f.code == 0, f.describe());
    const QString out = path(QStringLiteral("plain"));
    const QStringList args = {QStringLiteral("materialize"), QStringLiteral("m"),
                              QStringLiteral("--to"),        out,
                              QStringLiteral("--force"),     QStringLiteral("--quiet")};
    int kills = 0;
    for (int round = 0; round < 3; ++round) {
        const QStringList before = filesIn(out, hiddenTemporary());
        kills += killWhen(args, [&] { return hasNew(out, before); }) ? 1 : 0;
    }
    QVERIFY2(kills > 0 && !filesIn(out, hiddenTemporary()).isEmpty(),
             "no killed materialization left a temporary");
    qInfo("%d kills left %d temporaries", kills, int(filesIn(out, hiddenTemporary()).size()));
    const Run rerun = run(args);
    QVERIFY2(rerun.code == 0, rerun.describe());
    QCOMPARE(treeOf(out), QStringList{QStringLiteral("model.gguf")});
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/model.gguf")), opensslSha256Hex(input));

    const QString other = path(QStringLiteral("plain2"));
    bool killed = false;
    for (int round = 0; round < 3 && filesIn(other, hiddenTemporary()).isEmpty(); ++round)
        killed = killWhen({QStringLiteral("materialize"), QStringLiteral("m"),
                           QStringLiteral("--to"), other, QStringLiteral("--quiet")},
                          [&] { return !filesIn(other, hiddenTemporary()).isEmpty(); }) ||
                 killed;
    QVERIFY2(killed && !filesIn(other, hiddenTemporary()).isEmpty(),
             "no killed materialization left a temporary");
    const Run collect = run({QStringLiteral("collect"), QStringLiteral("--json")});
    QVERIFY2(collect.code == 0, collect.describe());
    QVERIFY2(filesIn(other, hiddenTemporary()).isEmpty(),
             qPrintable(filesIn(other, hiddenTemporary()).join(QLatin1Char(' '))));
}

// The Hugging Face cache layout: blobs are assembled in blobs/ and renamed to their ETag; a
// killed materialization leaves a temporary there, which the rerun removes, leaving exactly
// the blobs, a snapshot that resolves, and refs/main.
void TestLeftoversCli::killedMaterializationsIntoTheHfCache()
{
    const QString repo = path(QStringLiteral("repo"));
    QDir().mkpath(repo);
    QVERIFY(writePseudoRandomFile(repo + QStringLiteral("/weights.bin"), 64 * MiB, 51));
    QVERIFY(writeFile(repo + QStringLiteral("/README.md"), "# tiny\n"));
    HubPeer hub;
    QVERIFY2(hub.start({{QStringLiteral("org/tiny"), repo}}), qPrintable(hub.errorString()));
    m_env.insert(QStringLiteral("HF_ENDPOINT"), hub.endpoint());
    m_env.insert(QStringLiteral("HF_TOKEN"), HubPeer::token());
    const Run imported =
        run({QStringLiteral("import"), QStringLiteral("org/tiny"), QStringLiteral("--name"),
             QStringLiteral("tiny"), QStringLiteral("--quiet")});
    QVERIFY2(imported.code == 0, imported.describe());

    const QString cache = path(QStringLiteral("hf-cache"));
    const QString blobs = cache + QStringLiteral("/models--org--tiny/blobs");
    const QStringList args = {
        QStringLiteral("materialize"), QStringLiteral("tiny"), QStringLiteral("--to"),   cache,
        QStringLiteral("--layout"),    QStringLiteral("hf"),   QStringLiteral("--quiet")};
    int kills = 0;
    for (int round = 0; round < 3; ++round) {
        const QStringList before = filesIn(blobs, hiddenTemporary());
        kills += killWhen(args, [&] { return hasNew(blobs, before); }) ? 1 : 0;
        // A blob already whole is reused by the next run: start again from none, so that each
        // round writes the big one.
        for (const QString& b : filesIn(blobs, QRegularExpression(QStringLiteral("^[0-9a-f]+$"))))
            QFile::remove(blobs + QLatin1Char('/') + b);
    }
    QVERIFY2(kills > 0 && !filesIn(blobs, hiddenTemporary()).isEmpty(),
             "no killed materialization left a temporary");
    qInfo("%d kills left %d temporaries", kills, int(filesIn(blobs, hiddenTemporary()).size()));
    const Run rerun = run(args);
    QVERIFY2(rerun.code == 0, rerun.describe());
    const QStringList left = filesIn(blobs, anything());
    QCOMPARE(left.size(), 2); // the two blobs, named by their ETags; nothing else
    for (const QString& b : left)
        QVERIFY2(QRegularExpression(QStringLiteral("^[0-9a-f]{40,64}$")).match(b).hasMatch(),
                 qPrintable(b));
    QFile ref(cache + QStringLiteral("/models--org--tiny/refs/main"));
    QVERIFY(ref.open(QIODevice::ReadOnly));
    const QString commit = QString::fromLatin1(ref.readAll()).trimmed();
    QCOMPARE(opensslSha256Hex(cache + QStringLiteral("/models--org--tiny/snapshots/") + commit +
                              QStringLiteral("/weights.bin")),
             opensslSha256Hex(repo + QStringLiteral("/weights.bin")));
}

void TestLeftoversCli::killedFloatsIntoRclone()
{
    WebDavPeer peer;
    QVERIFY2(peer.start(path(QStringLiteral("rclone-root"))), qPrintable(peer.errorString()));
    killedFloatsIntoWebDav(peer.url(), peer.port(), peer.root());
}

void TestLeftoversCli::killedFloatsIntoApache()
{
    ApacheDavPeer peer;
    if (!peer.start())
        QFAIL(qPrintable(peer.errorString()));
    killedFloatsIntoWebDav(peer.url(), peer.port(), peer.root());
}

// A WebDAV provider behind a FaultProxy that drops every MOVE: each upload is whole in
// .partial/ and never moved into place, and the float is killed while it retries. Then the
// same float, without faults, finishes and leaves .partial/ empty; and after another such kill,
// `collect` empties it.
void TestLeftoversCli::killedFloatsIntoWebDav(const QString& serverUrl, quint16 serverPort,
                                              const QString& serverRoot)
{
    Q_UNUSED(serverUrl);
    FaultProxy proxy(serverPort);
    QVERIFY(proxy.listen());
    QVERIFY(run({QStringLiteral("config"), QStringLiteral("credentials"),
                 QStringLiteral("plaintext"), QStringLiteral("--i-understand-plaintext")})
                .code == 0);
    const Run add =
        run({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("webdav"),
             QStringLiteral("dav"), QStringLiteral("--url"), proxy.url() + QLatin1Char('/'),
             QStringLiteral("--username"), WebDavPeer::user(), QStringLiteral("--secret-stdin")},
            "password=" + WebDavPeer::password().toUtf8() + '\n');
    QVERIFY2(add.code == 0, add.describe());
    const QString partial = serverRoot + QStringLiteral("/modelfloat/.partial");
    auto uploads = [&] { return filesIn(partial, QRegularExpression(QStringLiteral("^bafkrei"))); };

    const QString input = path(QStringLiteral("model.bin"));
    QVERIFY(writePseudoRandomFile(input, 6 * MiB, 41));
    const QStringList floatArgs = {QStringLiteral("float"),        input,
                                   QStringLiteral("--name"),       QStringLiteral("m"),
                                   QStringLiteral("--provider"),   QStringLiteral("dav"),
                                   QStringLiteral("--replicas"),   QStringLiteral("1"),
                                   QStringLiteral("--chunker"),    QStringLiteral("cdc"),
                                   QStringLiteral("--chunk-size"), QStringLiteral("1M"),
                                   QStringLiteral("--quiet")};
    proxy.addRule(FaultProxy::Rule::of(FaultProxy::Fault::Drop, "MOVE", {}, -1));
    const bool killed =
        killWhen(floatArgs, [&] { return proxy.count("MOVE") > 0 && !uploads().isEmpty(); });
    QVERIFY2(killed, "the float ended before it could be killed");
    QVERIFY2(!uploads().isEmpty(), "the kill left no upload in .partial/");
    qInfo("the kill left %d uploads in .partial/", int(uploads().size()));

    proxy.clearRules();
    const Run resumed = run(floatArgs);
    QVERIFY2(resumed.code == 0, resumed.describe());
    QVERIFY2(uploads().isEmpty(), qPrintable(uploads().join(QLatin1Char(' '))));
    const QString out = path(QStringLiteral("out"));
    const Run restored = run({QStringLiteral("restore"), QStringLiteral("m"),
                              QStringLiteral("--to"), out, QStringLiteral("--quiet")});
    QVERIFY2(restored.code == 0, restored.describe());
    QCOMPARE(opensslSha256Hex(out + QStringLiteral("/model.bin")), opensslSha256Hex(input));

    // Again, and this time `collect` cleans up.
    const QString other = path(QStringLiteral("other.bin"));
    QVERIFY(writePseudoRandomFile(other, 6 * MiB, 42));
    QStringList otherArgs = floatArgs;
    otherArgs[1] = other;
    otherArgs[3] = QStringLiteral("other");
    proxy.addRule(FaultProxy::Rule::of(FaultProxy::Fault::Drop, "MOVE", {}, -1));
    const int movesBefore = proxy.count("MOVE");
    QVERIFY(killWhen(otherArgs,
                     [&] { return proxy.count("MOVE") > movesBefore && !uploads().isEmpty(); }));
    QVERIFY2(!uploads().isEmpty(), "the second kill left no upload in .partial/");
    proxy.clearRules();
    const Run collect = run({QStringLiteral("collect"), QStringLiteral("--json")});
    QVERIFY2(collect.code == 0, collect.describe());
    QVERIFY(collect.json().value(QStringLiteral("leftovers_removed")).toInt() > 0);
    QVERIFY2(uploads().isEmpty(), qPrintable(uploads().join(QLatin1Char(' '))));
}

QTEST_GUILESS_MAIN(TestLeftoversCli)
#include "tst_leftovers_cli.moc"
