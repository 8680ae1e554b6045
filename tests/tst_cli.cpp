// modelfloat-cli end to end: the real executable driven through QProcess, each test in its own
// throw-away vault and home. Results are checked against independent oracles (the `openssl`
// command for file contents, the provider folder on disk for what was stored) rather than
// against the CLI's own report of itself.

#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <functional>
#include <memory>
#include <numeric>
#include <sys/stat.h>
#include <unistd.h>

using namespace mf;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
// Generous: a sanitizer build on a busy machine is slow, and a hang must fail, not stall CI.
constexpr int Timeout = 300000;

QString toQString(const char* s)
{
    return QString::fromUtf8(s);
}
QString toQString(const QString& s)
{
    return s;
}

// words("float", path, "--name", name): a QStringList from literals and strings alike.
template <typename... T> QStringList words(const T&... parts)
{
    return QStringList{toQString(parts)...};
}

// The small chunks every float here uses, so test files stay small and fast.
QStringList smallCdc()
{
    return words("--chunker", "cdc", "--chunk-size", "256K");
}

struct Result
{
    int code = -1;
    QProcess::ExitStatus status = QProcess::CrashExit;
    bool finished = false;
    QByteArray out;
    QByteArray err;

    QString errText() const { return QString::fromUtf8(err); }
    QString allText() const { return QString::fromUtf8(out) + QString::fromUtf8(err); }
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
    bool isJson() const
    {
        QJsonParseError e;
        const QJsonDocument d = QJsonDocument::fromJson(out, &e);
        return e.error == QJsonParseError::NoError && d.isObject();
    }
    // For failure messages: everything the process said.
    QByteArray describe() const
    {
        return "exit " + QByteArray::number(code) + (finished ? "" : " (did not finish)") +
               (status == QProcess::CrashExit ? " (crashed)" : "") + "\n--- stdout:\n" + out +
               "\n--- stderr:\n" + err;
    }
};

// A chunk object on disk, as the kernel sees it: a rewrite changes the inode (the provider
// writes a temporary file and renames it) or at least the modification time.
struct ObjectStamp
{
    quint64 inode = 0;
    qint64 mtimeNs = 0;
    qint64 size = 0;
    bool operator==(const ObjectStamp& o) const
    {
        return inode == o.inode && mtimeNs == o.mtimeNs && size == o.size;
    }
};

std::optional<ObjectStamp> stampOf(const QString& path)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return std::nullopt;
    return ObjectStamp{quint64(st.st_ino),
                       qint64(st.st_mtim.tv_sec) * 1000000000 + qint64(st.st_mtim.tv_nsec),
                       qint64(st.st_size)};
}

// The chunk objects a local provider folder holds: files named bafkrei* in two-character shard
// folders. The provider's own ".tmp" folder holds unfinished writes, which do not count.
QMap<QString, ObjectStamp> chunkObjects(const QString& root)
{
    QMap<QString, ObjectStamp> out;
    const QDir dir(root);
    for (const QString& shard : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (shard.size() != 2)
            continue;
        const QDir sub(dir.filePath(shard));
        for (const QString& name : sub.entryList({QStringLiteral("bafkrei*")}, QDir::Files)) {
            if (name.contains(QLatin1Char('.')))
                continue;
            if (const auto s = stampOf(sub.filePath(name)))
                out.insert(name, *s);
        }
    }
    return out;
}

QString objectPathIn(const QString& root, const QString& cid)
{
    for (QDirIterator it(root, {cid}, QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
        const QString path = it.next();
        if (!path.contains(QStringLiteral("/.tmp/")))
            return path;
    }
    return {};
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

int providerChunkSum(const QJsonObject& info)
{
    int sum = 0;
    for (const QJsonValue& p : info.value(QStringLiteral("providers")).toArray())
        sum += p.toObject().value(QStringLiteral("chunks")).toInt();
    return sum;
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void floatAndRestoreFile();
    void floatAndRestoreFolder();
    void viewsInTextAndJson();
    void catWholeFileAndRanges();
    void replicationOnExtraProviders();
    void killedFloatResumes();
    void interruptedFloatResumes();
    void missingPath();
    void unreadableFile();
    void emptyFolder();
    void zeroByteFile();
    void restoreUnknownModel();
    void restoreOverExistingFile();
    void unknownCommandAndBadOptions();
    void floatUnderExistingName();
    void providerFolderVanished();
    void corruptReplica();
    void fileChangesWhileRead();
    void restoreIntoFullDisk();
    void removeAndCollect();
    void helpForEveryCommand();

private:
    QString path(const QString& relative) const { return m_tmp->filePath(relative); }
    QString localStore() const { return m_vault + QStringLiteral("/local-store"); }
    QProcessEnvironment environment() const;
    // `args` plus --vault, so no test depends on the environment alone.
    QStringList withVault(const QStringList& args) const
    {
        return args + words("--vault", m_vault);
    }
    Result run(const QStringList& args, bool addVault = true, int timeoutMs = Timeout) const;
    void start(QProcess& process, const QStringList& args) const;
    // A complete small model, so the bad-input tests have a registry worth keeping intact.
    bool floatBaseline();
    // list --json now, to compare with after a failure.
    QByteArray listJson() const;
    // The registry is as it was and still sound.
    void checkRegistryUnchanged(const QByteArray& listBefore);
    // Starts `float file` and calls `act` once at least `minObjects` new chunk objects are on
    // disk while the float still runs. Returns false (and `process` finished) if the float ended
    // first.
    bool actMidFloat(QProcess& process, const QStringList& floatArgs, int minObjects,
                     const std::function<void(QProcess&)>& act);
    // Writes a big file for the mid-float tests; `attempt` grows it when a float was too quick.
    QString bigFile(const QString& name, int attempt);

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_vault;
};

void TestCli::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_vault = path(QStringLiteral("vault"));
    for (const char* d : {"home", "xdg-data", "xdg-config", "xdg-cache", "input", "out"})
        QVERIFY(QDir().mkpath(path(QString::fromUtf8(d))));
}

void TestCli::cleanup()
{
    // Make everything removable again, whatever a test changed.
    QDirIterator it(m_tmp->path(), QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        QFile::setPermissions(it.next(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    m_tmp.reset();
}

QProcessEnvironment TestCli::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("MODELFLOAT_VAULT"), m_vault);
    env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), path(QStringLiteral("xdg-data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("xdg-config")));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), path(QStringLiteral("xdg-cache")));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    return env;
}

void TestCli::start(QProcess& process, const QStringList& args) const
{
    process.setProcessEnvironment(environment());
    process.setWorkingDirectory(m_tmp->path());
    process.start(QStringLiteral(MODELFLOAT_CLI_PATH), args);
}

Result TestCli::run(const QStringList& args, bool addVault, int timeoutMs) const
{
    QProcess p;
    start(p, addVault ? withVault(args) : args);
    p.closeWriteChannel();
    Result r;
    if (!p.waitForStarted(30000))
        return r;
    r.finished = p.waitForFinished(timeoutMs);
    if (!r.finished) {
        p.kill();
        p.waitForFinished();
    }
    r.status = p.exitStatus();
    r.code = r.status == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

bool TestCli::floatBaseline()
{
    if (!test::writePseudoRandomFile(path(QStringLiteral("input/base.bin")), 1 * MiB + 123, 7))
        return false;
    return run(words("float", path(QStringLiteral("input/base.bin")), "--quiet") + smallCdc())
               .code == 0;
}

QByteArray TestCli::listJson() const
{
    return run(words("list", "--json")).out;
}

void TestCli::checkRegistryUnchanged(const QByteArray& listBefore)
{
    const Result list = run(words("list", "--json"));
    QCOMPARE(list.code, 0);
    QCOMPARE(list.json(), QJsonDocument::fromJson(listBefore).object());
    const Result verify = run(words("verify", "--all"));
    QVERIFY2(verify.code == 0, verify.describe());
}

QString TestCli::bigFile(const QString& name, int attempt)
{
    // 96 MiB in 256 KiB chunks is hundreds of puts; a machine fast enough to float that before
    // the first object is seen gets a bigger file next time.
    const QString file = path(QStringLiteral("input/") + name);
    const qint64 size = (96 * MiB << attempt) + 12345;
    return test::writePseudoRandomFile(file, size, 1000 + quint64(attempt)) ? file : QString();
}

bool TestCli::actMidFloat(QProcess& process, const QStringList& floatArgs, int minObjects,
                          const std::function<void(QProcess&)>& act)
{
    // Objects of earlier floats do not count.
    const qsizetype already = chunkObjects(localStore()).size();
    start(process, withVault(floatArgs));
    process.closeWriteChannel();
    if (!process.waitForStarted(30000))
        return false;
    // Poll the provider folder: the CLI prints nothing before it ends with --json.
    while (!process.waitForFinished(2)) {
        if (chunkObjects(localStore()).size() >= already + minObjects) {
            act(process);
            return true;
        }
    }
    return false;
}

void TestCli::floatAndRestoreFile()
{
    const QString file = path(QStringLiteral("input/model.gguf"));
    const qint64 size = 3 * MiB + 4321;
    QVERIFY(test::writePseudoRandomFile(file, size, 1));

    const Result fl = run(words("float", file, "--json", "--replicas", "1") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QVERIFY2(fl.isJson(), fl.describe());
    const QJsonObject j = fl.json();
    QCOMPARE(j.value(QStringLiteral("model")).toString(), QStringLiteral("model"));
    QCOMPARE(j.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(j.value(QStringLiteral("resumed")).toBool(), false);
    QCOMPARE(j.value(QStringLiteral("bytes")).toInteger(), size);
    const int chunks = j.value(QStringLiteral("chunks")).toInt();
    QVERIFY(chunks >= 3); // ~12 expected with 256 KiB average; at most 1 MiB each
    QCOMPARE(j.value(QStringLiteral("chunks_sent")).toInt(), chunks);
    QCOMPARE(j.value(QStringLiteral("bytes_sent")).toInteger(), size);
    QCOMPARE(j.value(QStringLiteral("bytes_deduplicated")).toInteger(), 0);
    // What the provider folder holds is what was sent, one object per chunk.
    const auto objects = chunkObjects(localStore());
    QCOMPARE(int(objects.size()), chunks);
    qint64 stored = 0;
    for (const ObjectStamp& s : objects)
        stored += s.size;
    QCOMPARE(stored, size);

    const QString out = path(QStringLiteral("out"));
    const Result re = run(words("restore", "model", "--to", out));
    QVERIFY2(re.code == 0, re.describe());
    QVERIFY(re.out.contains("Restored"));
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/model.gguf")),
             test::opensslSha256Hex(file));

    const Result verify = run(words("verify", "model"));
    QVERIFY2(verify.code == 0, verify.describe());
    QVERIFY(verify.out.contains("OK"));
}

void TestCli::floatAndRestoreFolder()
{
    const QString root = path(QStringLiteral("input/mymodel"));
    const QStringList files{QStringLiteral("config.json"), QStringLiteral("weights/part-1.bin"),
                            QStringLiteral("weights/part-2.bin"),
                            QStringLiteral("tokenizer/deep/nested/vocab.txt")};
    QList<qint64> sizes{1234, 2 * MiB + 17, 1 * MiB, 300 * KiB + 1};
    for (int i = 0; i < files.size(); ++i) {
        const QString f = root + QLatin1Char('/') + files.at(i);
        QVERIFY(QDir().mkpath(QFileInfo(f).absolutePath()));
        QVERIFY(test::writePseudoRandomFile(f, sizes.at(i), 100 + quint64(i)));
    }

    const Result fl = run(words("float", root, "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QCOMPARE(fl.json().value(QStringLiteral("model")).toString(), QStringLiteral("mymodel"));
    QCOMPARE(fl.json().value(QStringLiteral("bytes")).toInteger(),
             std::accumulate(sizes.begin(), sizes.end(), qint64(0)));

    // info lists every file under its path inside the folder, with the right size and hash.
    const Result info = run(words("info", "mymodel", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonArray listed = info.json().value(QStringLiteral("files")).toArray();
    QCOMPARE(listed.size(), files.size());
    for (const QJsonValue& v : listed) {
        const QJsonObject f = v.toObject();
        const int i = int(files.indexOf(f.value(QStringLiteral("path")).toString()));
        QVERIFY2(i >= 0, qPrintable(f.value(QStringLiteral("path")).toString()));
        QCOMPARE(f.value(QStringLiteral("size")).toInteger(), sizes.at(i));
        QCOMPARE(f.value(QStringLiteral("sha256")).toString().toLatin1(),
                 test::opensslSha256Hex(root + QLatin1Char('/') + files.at(i)));
        QCOMPARE(f.value(QStringLiteral("complete")).toBool(), true);
    }

    // The whole model.
    const QString all = path(QStringLiteral("out/all"));
    const Result re = run(words("restore", "mymodel", "--to", all, "--json"));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(re.json().value(QStringLiteral("files")).toArray().size(), files.size());
    for (const QString& f : files)
        QCOMPARE(test::opensslSha256Hex(all + QLatin1Char('/') + f),
                 test::opensslSha256Hex(root + QLatin1Char('/') + f));

    // One file: only it appears, at its path inside the model.
    const QString one = path(QStringLiteral("out/one"));
    const Result re1 = run(words("restore", "mymodel", files.at(3), "--to", one));
    QVERIFY2(re1.code == 0, re1.describe());
    QCOMPARE(test::opensslSha256Hex(one + QLatin1Char('/') + files.at(3)),
             test::opensslSha256Hex(root + QLatin1Char('/') + files.at(3)));
    int count = 0;
    for (QDirIterator it(one, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
         it.hasNext(); it.next())
        ++count;
    QCOMPARE(count, 1);

    // A file the model does not have.
    const Result missing = run(words("restore", "mymodel", "nope.bin", "--to", one));
    QCOMPARE(missing.code, 3);
    QVERIFY2(missing.errText().contains(QStringLiteral("nope.bin")), missing.describe());
}

void TestCli::viewsInTextAndJson()
{
    const QString file = path(QStringLiteral("input/weights.bin"));
    const qint64 size = 2 * MiB + 99;
    QVERIFY(test::writePseudoRandomFile(file, size, 2));

    const Result first = run(words("float", file, "--name", "alpha", "--json") + smallCdc());
    QVERIFY2(first.code == 0, first.describe());
    const int chunks = first.json().value(QStringLiteral("chunks")).toInt();
    QVERIFY(chunks > 1);
    QCOMPARE(first.json().value(QStringLiteral("bytes_sent")).toInteger(), size);

    // The same bytes under another name: nothing new is sent.
    const Result second = run(words("float", file, "--name", "beta", "--json") + smallCdc());
    QVERIFY2(second.code == 0, second.describe());
    const QJsonObject s = second.json();
    QCOMPARE(s.value(QStringLiteral("model")).toString(), QStringLiteral("beta"));
    QCOMPARE(s.value(QStringLiteral("chunks")).toInt(), chunks);
    QCOMPARE(s.value(QStringLiteral("bytes_sent")).toInteger(), 0);
    QCOMPARE(s.value(QStringLiteral("chunks_sent")).toInt(), 0);
    QCOMPARE(s.value(QStringLiteral("chunks_deduplicated")).toInt(), chunks);
    QCOMPARE(s.value(QStringLiteral("bytes_deduplicated")).toInteger(), size);
    QCOMPARE(int(chunkObjects(localStore()).size()), chunks);

    // list
    const Result listText = run(words("list"));
    QVERIFY2(listText.code == 0, listText.describe());
    QVERIFY(listText.out.contains("alpha"));
    QVERIFY(listText.out.contains("beta"));
    const Result list = run(words("list", "--json"));
    QVERIFY2(list.code == 0, list.describe());
    const QJsonArray models = list.json().value(QStringLiteral("models")).toArray();
    QCOMPARE(models.size(), 2);
    QStringList names;
    for (const QJsonValue& v : models) {
        const QJsonObject m = v.toObject();
        names << m.value(QStringLiteral("name")).toString();
        QCOMPARE(m.value(QStringLiteral("files")).toInt(), 1);
        QCOMPARE(m.value(QStringLiteral("bytes")).toInteger(), size);
        QCOMPARE(m.value(QStringLiteral("chunks")).toInt(), chunks);
        QCOMPARE(m.value(QStringLiteral("min_replicas")).toInt(), 1);
        QCOMPARE(m.value(QStringLiteral("health")).toString(), QStringLiteral("healthy"));
    }
    names.sort();
    QCOMPARE(names, words("alpha", "beta"));

    // info
    const Result infoText = run(words("info", "beta"));
    QVERIFY2(infoText.code == 0, infoText.describe());
    QVERIFY(infoText.out.contains("beta"));
    QVERIFY(infoText.out.contains("weights.bin"));
    const Result info = run(words("info", "beta", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonObject i = info.json();
    QCOMPARE(i.value(QStringLiteral("name")).toString(), QStringLiteral("beta"));
    QCOMPARE(i.value(QStringLiteral("complete")).toBool(), true);
    QCOMPARE(i.value(QStringLiteral("bytes")).toInteger(), size);
    QCOMPARE(i.value(QStringLiteral("unique_chunks")).toInt(), chunks);
    QCOMPARE(i.value(QStringLiteral("unique_bytes")).toInteger(), size);
    QCOMPARE(i.value(QStringLiteral("shared_bytes")).toInteger(), size); // all shared with alpha
    QCOMPARE(providerChunkSum(i), chunks);
    QCOMPARE(run(words("info", "gamma")).code, 3);

    // stats
    const Result statsText = run(words("stats"));
    QVERIFY2(statsText.code == 0, statsText.describe());
    QVERIFY(statsText.out.contains("local"));
    const Result stats = run(words("stats", "--json"));
    QVERIFY2(stats.code == 0, stats.describe());
    const QJsonObject st = stats.json();
    QCOMPARE(st.value(QStringLiteral("models")).toInt(), 2);
    QCOMPARE(st.value(QStringLiteral("files")).toInt(), 2);
    QCOMPARE(st.value(QStringLiteral("logical_bytes")).toInteger(), 2 * size);
    QCOMPARE(st.value(QStringLiteral("unique_bytes")).toInteger(), size);
    QCOMPARE(st.value(QStringLiteral("stored_bytes")).toInteger(), size);
    QCOMPARE(st.value(QStringLiteral("chunks")).toInt(), chunks);
    QCOMPARE(st.value(QStringLiteral("placements")).toInt(), chunks);
    QCOMPARE(st.value(QStringLiteral("unhealthy_placements")).toInt(), 0);
    QCOMPARE(QDir(st.value(QStringLiteral("vault")).toString()).canonicalPath(),
             QDir(m_vault).canonicalPath());

    // provider list
    const Result provText = run(words("provider", "list"));
    QVERIFY2(provText.code == 0, provText.describe());
    QVERIFY(provText.out.contains("local-store"));
    const Result prov = run(words("provider", "list", "--json"));
    QVERIFY2(prov.code == 0, prov.describe());
    const QJsonArray providers = prov.json().value(QStringLiteral("providers")).toArray();
    QCOMPARE(providers.size(), 1);
    const QJsonObject p = providers.at(0).toObject();
    QCOMPARE(p.value(QStringLiteral("name")).toString(), QStringLiteral("local"));
    QCOMPARE(p.value(QStringLiteral("kind")).toString(), QStringLiteral("local"));
    QCOMPARE(p.value(QStringLiteral("stored_bytes")).toInteger(), size);
    QCOMPARE(p.value(QStringLiteral("enabled")).toBool(), true);
    QCOMPARE(
        QDir(
            p.value(QStringLiteral("settings")).toObject().value(QStringLiteral("path")).toString())
            .canonicalPath(),
        QDir(localStore()).canonicalPath());

    // config: show, change, show again
    const Result configText = run(words("config"));
    QVERIFY2(configText.code == 0, configText.describe());
    QVERIFY(configText.out.contains("replication"));
    QVERIFY(configText.out.contains("chunker"));
    const Result config = run(words("config", "--json"));
    QVERIFY2(config.code == 0, config.describe());
    QCOMPARE(config.json().value(QStringLiteral("replication")).toInt(), 2); // a new vault's
    QVERIFY(!config.json().value(QStringLiteral("chunker")).toString().isEmpty());
    const Result set = run(words("config", "replication", "3", "--json"));
    QVERIFY2(set.code == 0, set.describe());
    QCOMPARE(set.json().value(QStringLiteral("replication")).toInt(), 3);
    QCOMPARE(run(words("config", "--json")).json().value(QStringLiteral("replication")).toInt(), 3);
    QCOMPARE(run(words("config", "replication", "0")).code, 2);
    QCOMPARE(run(words("config", "colour", "blue")).code, 2);
    QCOMPARE(run(words("config", "--json")).json().value(QStringLiteral("replication")).toInt(), 3);
}

void TestCli::catWholeFileAndRanges()
{
    const QString file = path(QStringLiteral("input/blob.bin"));
    const qint64 size = 1 * MiB + 777;
    const QByteArray bytes = test::pseudoRandomBytes(size, 3);
    QVERIFY(test::writeFile(file, bytes));
    QVERIFY2(run(words("float", file) + smallCdc()).code == 0, "float failed");

    const Result whole = run(words("cat", "blob", "blob.bin"));
    QVERIFY2(whole.code == 0, whole.describe());
    QCOMPARE(whole.out.size(), bytes.size());
    QVERIFY(whole.out == bytes);

    struct Case
    {
        const char* range;
        qint64 begin;
        qint64 end; // exclusive
    };
    const Case cases[] = {
        {"0-0", 0, 1},
        {"100-199", 100, 200},
        {"262140-700000", 262140, 700001}, // across chunk boundaries
        {"1000-", 1000, size},
        {"0-", 0, size},
    };
    for (const Case& c : cases) {
        const Result r = run(words("cat", "blob", "blob.bin", "--range", c.range));
        QVERIFY2(r.code == 0, r.describe());
        QVERIFY2(r.out == bytes.mid(c.begin, c.end - c.begin), c.range);
    }
    const QString last = QString::number(size - 1);
    const Result tail =
        run(words("cat", "blob", "blob.bin", "--range", last + QLatin1Char('-') + last));
    QVERIFY2(tail.code == 0, tail.describe());
    QCOMPARE(tail.out, bytes.right(1));

    for (const QString& bad :
         words("abc", "10-5", "5", "-5", QStringLiteral("0-") + QString::number(size),
               QString::number(size) + QLatin1Char('-'))) {
        const Result r = run(words("cat", "blob", "blob.bin", "--range", bad));
        QVERIFY2(r.code == 2, qPrintable(bad + QLatin1Char(' ') + QString::fromUtf8(r.describe())));
        QVERIFY2(r.out.isEmpty(), qPrintable(bad));
        QVERIFY2(r.errText().contains(QStringLiteral("range")), r.describe());
    }
    QCOMPARE(run(words("cat", "nosuch", "blob.bin")).code, 3);
    QCOMPARE(run(words("cat", "blob", "other.bin")).code, 3);
}

void TestCli::replicationOnExtraProviders()
{
    const QString a = path(QStringLiteral("store-a"));
    const QString b = path(QStringLiteral("store-b"));
    const Result addA = run(words("provider", "add", "local", "alpha", a));
    QVERIFY2(addA.code == 0, addA.describe());
    QVERIFY2(run(words("provider", "add", "local", "beta", b)).code == 0, "add beta");
    QCOMPARE(run(words("provider", "add", "local", "beta", b)).code, 5); // name taken
    const Result prov = run(words("provider", "list", "--json"));
    QCOMPARE(prov.json().value(QStringLiteral("providers")).toArray().size(), 3);

    const QString file = path(QStringLiteral("input/rep.bin"));
    const qint64 size = 4 * MiB + 1;
    QVERIFY(test::writePseudoRandomFile(file, size, 4));
    const Result fl = run(words("float", file, "--replicas", "2", "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QCOMPARE(fl.json().value(QStringLiteral("under_replicated_chunks")).toInt(), 0);
    QCOMPARE(fl.json().value(QStringLiteral("bytes_sent")).toInteger(), 2 * size);

    const Result info = run(words("info", "rep", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonObject i = info.json();
    const int unique = i.value(QStringLiteral("unique_chunks")).toInt();
    QVERIFY(unique > 1);
    QCOMPARE(providerChunkSum(i), 2 * unique);
    QCOMPARE(i.value(QStringLiteral("min_replicas")).toInt(), 2);
    for (const QJsonValue& v : i.value(QStringLiteral("providers")).toArray())
        QVERIFY(v.toObject().value(QStringLiteral("chunks")).toInt() <= unique);

    // The folders agree: two objects per chunk, never two on one provider (a set per folder).
    const auto inLocal = chunkObjects(localStore());
    const auto inA = chunkObjects(a);
    const auto inB = chunkObjects(b);
    QCOMPARE(int(inLocal.size() + inA.size() + inB.size()), 2 * unique);
    QSet<QString> all;
    for (const auto* m : {&inLocal, &inA, &inB})
        for (auto it = m->cbegin(); it != m->cend(); ++it)
            all.insert(it.key());
    QCOMPARE(int(all.size()), unique);

    const Result verify = run(words("verify", "rep", "--json"));
    QVERIFY2(verify.code == 0, verify.describe());
    QCOMPARE(verify.json().value(QStringLiteral("checked")).toInt(), 2 * unique);
    QCOMPARE(verify.json().value(QStringLiteral("good")).toInt(), 2 * unique);

    const Result re = run(words("restore", "rep", "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/rep.bin"))),
             test::opensslSha256Hex(file));
}

void TestCli::killedFloatResumes()
{
    QString file;
    QStringList args;
    QProcess p;
    bool killed = false;
    for (int attempt = 0; attempt < 3 && !killed; ++attempt) {
        file = bigFile(QStringLiteral("big%1.bin").arg(attempt), attempt);
        QVERIFY(!file.isEmpty());
        args = words("float", file, "--json", "--replicas", "1") + smallCdc();
        // Several objects, so that the registry has recorded at least one of them by the kill.
        killed = actMidFloat(p, args, 8, [](QProcess& proc) {
            ::kill(pid_t(proc.processId()), SIGKILL);
            proc.waitForFinished(Timeout);
        });
        if (!killed)
            qWarning("the float finished before it could be killed; trying a bigger file");
    }
    QVERIFY2(killed, "every float finished before it could be killed");
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    const qint64 size = QFileInfo(file).size();

    const auto before = chunkObjects(localStore());
    QVERIFY(before.size() >= 8);

    const Result again = run(args);
    QVERIFY2(again.code == 0, again.describe());
    const QJsonObject j = again.json();
    QCOMPARE(j.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(j.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(j.value(QStringLiteral("bytes")).toInteger(), size);
    QVERIFY2(j.value(QStringLiteral("bytes_sent")).toInteger() < size, again.describe());

    // Objects stored before the kill were not written again.
    const auto after = chunkObjects(localStore());
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        QVERIFY2(after.contains(it.key()), qPrintable(it.key()));
        QVERIFY2(after.value(it.key()) == it.value(),
                 qPrintable(it.key() + QStringLiteral(" was rewritten")));
    }

    const Result re = run(
        words("restore", QFileInfo(file).completeBaseName(), "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/")) + QFileInfo(file).fileName()),
             test::opensslSha256Hex(file));
    const Result verify = run(words("verify", "--all"));
    QVERIFY2(verify.code == 0, verify.describe());
}

void TestCli::interruptedFloatResumes()
{
    QString file;
    QStringList args;
    QProcess p;
    bool interrupted = false;
    for (int attempt = 0; attempt < 3 && !interrupted; ++attempt) {
        file = bigFile(QStringLiteral("big%1.bin").arg(attempt), attempt);
        QVERIFY(!file.isEmpty());
        args = words("float", file, "--replicas", "1") + smallCdc();
        // Several objects, so that the registry has recorded at least one of them by then.
        interrupted = actMidFloat(p, args, 8, [](QProcess& proc) {
            ::kill(pid_t(proc.processId()), SIGINT);
            proc.waitForFinished(Timeout);
        });
    }
    QVERIFY2(interrupted, "every float finished before it could be interrupted");
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 130, err);
    QVERIFY2(
        QString::fromUtf8(err).contains(QStringLiteral("again to resume"), Qt::CaseInsensitive),
        err);
    const qint64 size = QFileInfo(file).size();
    const auto before = chunkObjects(localStore());

    const Result again = run(args + words("--json"));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(again.json().value(QStringLiteral("resumed")).toBool(), true);
    QVERIFY2(again.json().value(QStringLiteral("bytes_sent")).toInteger() < size, again.describe());
    const auto after = chunkObjects(localStore());
    for (auto it = before.cbegin(); it != before.cend(); ++it)
        QVERIFY2(after.value(it.key()) == it.value(),
                 qPrintable(it.key() + QStringLiteral(" was rewritten")));

    const Result re = run(
        words("restore", QFileInfo(file).completeBaseName(), "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/")) + QFileInfo(file).fileName()),
             test::opensslSha256Hex(file));
    QVERIFY2(run(words("verify", "--all")).code == 0, "verify after resume");
}

void TestCli::missingPath()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString missing = path(QStringLiteral("input/not-there.bin"));
    const Result r = run(words("float", missing) + smallCdc());
    QCOMPARE(r.code, 6);
    QVERIFY2(r.errText().contains(missing), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("does not exist")), r.describe());
    checkRegistryUnchanged(before);
}

void TestCli::unreadableFile()
{
    if (::geteuid() == 0)
        QSKIP("Running as root: root reads a file whatever its permissions, so a chmod 000 file "
              "is still readable and cannot stand for an unreadable one");
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString file = path(QStringLiteral("input/secret.bin"));
    QVERIFY(test::writePseudoRandomFile(file, 10000, 5));
    QVERIFY(QFile::setPermissions(file, QFileDevice::Permissions()));
    const Result r = run(words("float", file) + smallCdc());
    QCOMPARE(r.code, 6);
    QVERIFY2(r.errText().contains(file), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("cannot be read")), r.describe());
    checkRegistryUnchanged(before);
}

void TestCli::emptyFolder()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString dir = path(QStringLiteral("input/empty"));
    QVERIFY(QDir().mkpath(dir + QStringLiteral("/sub/deeper"))); // folders, but no file
    const Result r = run(words("float", dir) + smallCdc());
    QCOMPARE(r.code, 6);
    QVERIFY2(r.errText().contains(dir), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("no files")), r.describe());
    checkRegistryUnchanged(before);
}

void TestCli::zeroByteFile()
{
    const QString file = path(QStringLiteral("input/empty.bin"));
    QVERIFY(test::writeFile(file, QByteArray()));
    const Result fl = run(words("float", file, "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());
    QCOMPARE(fl.json().value(QStringLiteral("bytes")).toInteger(), 0);
    QCOMPARE(fl.json().value(QStringLiteral("chunks")).toInt(), 0);

    const Result info = run(words("info", "empty", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    QCOMPARE(info.json().value(QStringLiteral("complete")).toBool(), true);
    const QJsonArray files = info.json().value(QStringLiteral("files")).toArray();
    QCOMPARE(files.size(), 1);
    // The SHA-256 of nothing.
    QCOMPARE(files.at(0).toObject().value(QStringLiteral("sha256")).toString(),
             QStringLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));

    const QString out = path(QStringLiteral("out"));
    const Result re = run(words("restore", "empty", "--to", out));
    QVERIFY2(re.code == 0, re.describe());
    const QFileInfo restored(out + QStringLiteral("/empty.bin"));
    QVERIFY(restored.isFile());
    QCOMPARE(restored.size(), 0);
    const Result cat = run(words("cat", "empty", "empty.bin"));
    QVERIFY2(cat.code == 0, cat.describe());
    QVERIFY(cat.out.isEmpty());
    QVERIFY2(run(words("verify", "--all")).code == 0, "verify");
}

void TestCli::restoreUnknownModel()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString out = path(QStringLiteral("out/x"));
    const Result r = run(words("restore", "no-such-model", "--to", out));
    QCOMPARE(r.code, 3);
    QVERIFY2(r.errText().contains(QStringLiteral("no-such-model")), r.describe());
    QVERIFY(!QFileInfo::exists(out + QStringLiteral("/base.bin")));
    QCOMPARE(run(words("verify", "no-such-model")).code, 3);
    QCOMPARE(run(words("rm", "no-such-model")).code, 3);
    checkRegistryUnchanged(before);
}

void TestCli::restoreOverExistingFile()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString out = path(QStringLiteral("out"));
    const QString dest = out + QStringLiteral("/base.bin");
    const QByteArray mine("precious bytes that must not be lost\n");
    QVERIFY(test::writeFile(dest, mine));

    const Result r = run(words("restore", "base", "--to", out));
    QCOMPARE(r.code, 5);
    QVERIFY2(r.errText().contains(dest), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("--force")), r.describe());
    QCOMPARE(readAll(dest), mine);
    // No temporary left beside it either.
    QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             words("base.bin"));

    const Result forced = run(words("restore", "base", "--to", out, "--force"));
    QVERIFY2(forced.code == 0, forced.describe());
    QCOMPARE(test::opensslSha256Hex(dest),
             test::opensslSha256Hex(path(QStringLiteral("input/base.bin"))));
    QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             words("base.bin"));
    checkRegistryUnchanged(before);
}

void TestCli::unknownCommandAndBadOptions()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();

    const Result unknown = run(words("frobnicate"));
    QCOMPARE(unknown.code, 2);
    QVERIFY2(unknown.errText().contains(QStringLiteral("frobnicate")), unknown.describe());
    QCOMPARE(run(words(), false).code, 2); // no command at all: help, but an error

    struct Case
    {
        QStringList args;
        QString mentions;
    };
    const QList<Case> cases{
        {words("float", path(QStringLiteral("input/base.bin")), "--bogus"),
         QStringLiteral("bogus")},
        {words("float", path(QStringLiteral("input/base.bin")), "--replicas", "zero"),
         QStringLiteral("--replicas")},
        {words("float", path(QStringLiteral("input/base.bin")), "--replicas", "0"),
         QStringLiteral("--replicas")},
        {words("float", path(QStringLiteral("input/base.bin")), "--chunker", "magic"),
         QStringLiteral("magic")},
        {words("float", path(QStringLiteral("input/base.bin")), "--chunk-size", "lots"),
         QStringLiteral("--chunk-size")},
        {words("float"), QStringLiteral("usage")},
        {words("restore", "base"), QStringLiteral("--to")},
        {words("restore", "base", "a", "b", "--to", path(QStringLiteral("out"))),
         QStringLiteral("usage")},
        {words("list", "extra"), QStringLiteral("usage")},
        {words("verify"), QStringLiteral("--all")},
        {words("cat", "base"), QStringLiteral("usage")},
        {words("provider", "fly"), QStringLiteral("usage")},
        {words("provider", "add", "ftp", "x", path(QStringLiteral("x"))), QStringLiteral("ftp")},
        {words("info"), QStringLiteral("usage")},
    };
    for (const Case& c : cases) {
        const Result r = run(c.args);
        QVERIFY2(r.code == 2, qPrintable(c.args.join(QLatin1Char(' ')) + QLatin1Char('\n') +
                                         QString::fromUtf8(r.describe())));
        QVERIFY2(r.errText().contains(c.mentions, Qt::CaseInsensitive),
                 qPrintable(c.args.join(QLatin1Char(' ')) + QLatin1Char('\n') +
                            QString::fromUtf8(r.describe())));
    }
    QCOMPARE(
        run(words("float", path(QStringLiteral("input/base.bin")), "--provider", "nowhere")).code,
        3);
    checkRegistryUnchanged(before);
}

void TestCli::floatUnderExistingName()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString other = path(QStringLiteral("input/other.bin"));
    QVERIFY(test::writePseudoRandomFile(other, 600 * KiB, 6));
    const auto objectsBefore = chunkObjects(localStore());

    const Result r = run(words("float", other, "--name", "base") + smallCdc());
    QCOMPARE(r.code, 5);
    QVERIFY2(r.errText().contains(QStringLiteral("base")), r.describe());
    QVERIFY2(r.errText().contains(QStringLiteral("already exists")), r.describe());
    QCOMPARE(chunkObjects(localStore()), objectsBefore); // nothing was sent
    // The same file under the same name (by default, from the file name): nothing to do,
    // which is a success, not a clash.
    const Result again = run(words("float", path(QStringLiteral("input/base.bin"))) + smallCdc());
    QVERIFY2(again.code == 0, again.describe());
    QVERIFY2(again.allText().contains(QStringLiteral("nothing to do")), again.describe());
    // The same name and path with other bytes is a clash again.
    QVERIFY(test::writePseudoRandomFile(path(QStringLiteral("input/base.bin")), 1 * MiB + 123, 8));
    QCOMPARE(run(words("float", path(QStringLiteral("input/base.bin"))) + smallCdc()).code, 5);
    QCOMPARE(chunkObjects(localStore()), objectsBefore);
    checkRegistryUnchanged(before);
}

void TestCli::providerFolderVanished()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    const QString away = m_vault + QStringLiteral("/moved-away");
    QVERIFY(QDir().rename(localStore(), away));

    const QString out = path(QStringLiteral("out/a"));
    const Result re = run(words("restore", "base", "--to", out));
    QVERIFY2(re.code != 0, re.describe());
    QVERIFY2(re.errText().contains(localStore()), re.describe());
    QVERIFY(!QFileInfo::exists(out + QStringLiteral("/base.bin")));
    if (QFileInfo::exists(out))
        QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList());

    const Result verify = run(words("verify", "--all"));
    QVERIFY2(verify.code != 0, verify.describe());
    QVERIFY2(verify.allText().contains(localStore()), verify.describe());

    const Result cat = run(words("cat", "base", "base.bin"));
    QVERIFY2(cat.code != 0, cat.describe());
    QVERIFY2(cat.errText().contains(localStore()), cat.describe());

    // Back in place, everything works as before: nothing was forgotten meanwhile.
    QVERIFY(QDir().rename(away, localStore()));
    const Result again = run(words("restore", "base", "--to", out));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/base.bin")),
             test::opensslSha256Hex(path(QStringLiteral("input/base.bin"))));
    checkRegistryUnchanged(before);
}

void TestCli::corruptReplica()
{
    const QString extra = path(QStringLiteral("store-b"));
    QVERIFY2(run(words("provider", "add", "local", "second", extra)).code == 0, "add provider");
    const QString file = path(QStringLiteral("input/twice.bin"));
    // One chunk: the restore's only fetch goes to the provider ranked first while none has been
    // measured, the lowest id (ChunkFetcher::pickNext), so it meets the bad copy. With several
    // chunks, swarming may fetch each from the other provider and never read it.
    QVERIFY(test::writePseudoRandomFile(file, 40 * KiB, 8));
    const Result fl = run(words("float", file, "--replicas", "2", "--json") + smallCdc());
    QVERIFY2(fl.code == 0, fl.describe());

    // Alter one chunk object on the embedded provider, keeping its size.
    const auto objects = chunkObjects(localStore());
    QVERIFY(!objects.isEmpty());
    QCOMPARE(chunkObjects(extra).keys(), objects.keys()); // every chunk on both
    const QString cid = objects.firstKey();
    const QString victim = objectPathIn(localStore(), cid);
    QVERIFY(!victim.isEmpty());
    {
        QFile f(victim);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.seek(1000));
        char c = 0;
        QVERIFY(f.getChar(&c));
        QVERIFY(f.seek(1000));
        QVERIFY(f.putChar(char(c ^ 0x5a)));
    }
    const QString out = path(QStringLiteral("out"));

    // restore reads the embedded provider first, finds the bad copy, uses the other.
    const Result re = run(words("restore", "twice", "--to", out));
    QVERIFY2(re.code == 0, re.describe());
    QVERIFY2(re.errText().contains(QStringLiteral("warning")), re.describe());
    QVERIFY2(re.errText().contains(cid), re.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/twice.bin")),
             test::opensslSha256Hex(file));

    // The bad copy is no longer counted as a replica.
    const Result info = run(words("info", "twice", "--json"));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonObject i = info.json();
    QCOMPARE(i.value(QStringLiteral("health")).toString(), QStringLiteral("degraded"));
    QCOMPARE(i.value(QStringLiteral("min_replicas")).toInt(), 1);
    QCOMPARE(i.value(QStringLiteral("under_replicated")).toInt(), 1);
    QCOMPARE(providerChunkSum(i), 2 * i.value(QStringLiteral("unique_chunks")).toInt() - 1);

    const Result verify = run(words("verify", "twice"));
    QCOMPARE(verify.code, 4);
    QVERIFY2(verify.out.contains(cid.toLatin1()), verify.describe());
    QVERIFY2(verify.out.contains("corrupt"), verify.describe());
    const Result vj = run(words("verify", "--all", "--json"));
    QCOMPARE(vj.code, 4);
    QCOMPARE(vj.json().value(QStringLiteral("corrupt")).toInt(), 1);
    QCOMPARE(vj.json().value(QStringLiteral("lost")).toInt(), 0);
    QCOMPARE(vj.json().value(QStringLiteral("under_replicated")).toInt(), 1);

    // And a second restore still works.
    const Result re2 = run(words("restore", "twice", "--to", out, "--force"));
    QVERIFY2(re2.code == 0, re2.describe());
    QCOMPARE(test::opensslSha256Hex(out + QStringLiteral("/twice.bin")),
             test::opensslSha256Hex(file));
}

void TestCli::fileChangesWhileRead()
{
    QVERIFY(floatBaseline());
    const QByteArray before = listJson();
    QString file;
    QStringList args;
    QProcess p;
    bool appended = false;
    for (int attempt = 0; attempt < 3 && !appended; ++attempt) {
        file = bigFile(QStringLiteral("growing%1.bin").arg(attempt), attempt);
        QVERIFY(!file.isEmpty());
        args = words("float", file, "--replicas", "1") + smallCdc();
        appended = actMidFloat(p, args, 1, [&file](QProcess& proc) {
            QFile f(file);
            if (f.open(QIODevice::Append))
                f.write(test::pseudoRandomBytes(64 * KiB, 99));
            f.close();
            proc.waitForFinished(Timeout);
        });
    }
    QVERIFY2(appended, "every float finished before the file could be changed");
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() == 6, QByteArray("exit " + QByteArray::number(p.exitCode()) + "\n" +
                                           p.readAllStandardOutput() + err)
                                    .constData());
    QVERIFY2(QString::fromUtf8(err).contains(QStringLiteral("changed while it was being read")),
             err);
    QVERIFY2(QString::fromUtf8(err).contains(file), err);

    // The earlier model is untouched and the vault is sound; the interrupted model is not
    // offered as complete.
    const Result list = run(words("list", "--json"));
    const QJsonArray models = list.json().value(QStringLiteral("models")).toArray();
    const QJsonArray was =
        QJsonDocument::fromJson(before).object().value(QStringLiteral("models")).toArray();
    for (const QJsonValue& v : was)
        QVERIFY2(models.contains(v), list.describe());
    for (const QJsonValue& v : models)
        if (!was.contains(v))
            QCOMPARE(v.toObject().value(QStringLiteral("health")).toString(),
                     QStringLiteral("incomplete"));
    // Checked at the end, so that a failure here does not hide how the rest behaves.
    const Result verify = run(words("verify", "--all"));
    const QString model = QFileInfo(file).completeBaseName();
    QCOMPARE(run(words("restore", model, "--to", path(QStringLiteral("out")))).code, 3);

    // Once the file holds still, the same float finishes it with the new contents.
    const Result again = run(args + words("--json"));
    QVERIFY2(again.code == 0, again.describe());
    QCOMPARE(again.json().value(QStringLiteral("bytes")).toInteger(), QFileInfo(file).size());
    const Result re = run(words("restore", model, "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/")) + QFileInfo(file).fileName()),
             test::opensslSha256Hex(file));
    QVERIFY2(run(words("verify", "--all")).code == 0, "verify after the second float");

    // The chunks of the unfinished float were never placed: they are not lost data.
    QVERIFY2(verify.code == 0, verify.describe());
}

void TestCli::restoreIntoFullDisk()
{
    const QString file = path(QStringLiteral("input/four.bin"));
    QVERIFY(test::writePseudoRandomFile(file, 4 * MiB, 9));
    QVERIFY2(run(words("float", file) + smallCdc()).code == 0, "float");
    const QString dest = path(QStringLiteral("tiny"));
    QVERIFY(QDir().mkpath(dest));

    // A 1 MiB tmpfs: in a private mount namespace if we may make one, else (as root) for real.
    const QString script = QStringLiteral("mount -t tmpfs -o size=1M tmpfs \"$1\" || exit 99\n"
                                          "\"$2\" restore four --to \"$1\" --vault \"$3\"\n"
                                          "echo \"@@rc=$?\"\n"
                                          "echo @@ls\n"
                                          "ls -A \"$1\"\n"
                                          "echo @@end\n");
    QString program;
    QStringList args;
    bool plainMount = false;
    if (QProcess::execute(QStringLiteral("unshare"), words("-Urm", "true")) == 0) {
        program = QStringLiteral("unshare");
        args = words("-Urm", "sh", "-c", script, "sh");
    } else if (::geteuid() == 0) {
        program = QStringLiteral("sh");
        args = words("-c", script, "sh");
        plainMount = true;
    } else {
        QSKIP("Neither user namespaces (unshare -Urm) nor root: cannot mount a small tmpfs");
    }
    args += words(dest, MODELFLOAT_CLI_PATH, m_vault);
    QProcess p;
    p.setProcessEnvironment(environment());
    p.start(program, args);
    const bool finished = p.waitForFinished(Timeout);
    if (plainMount)
        QProcess::execute(QStringLiteral("umount"), {dest});
    QVERIFY(finished);
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    const QString err = QString::fromUtf8(p.readAllStandardError());
    const QString all = out + QStringLiteral("\n--- stderr:\n") + err;
    QVERIFY2(p.exitCode() != 99, qPrintable(QStringLiteral("mount failed: ") + all));

    const auto rc = QRegularExpression(QStringLiteral("@@rc=(\\d+)")).match(out);
    QVERIFY2(rc.hasMatch(), qPrintable(all));
    QVERIFY2(rc.captured(1).toInt() != 0, qPrintable(all));
    QVERIFY2(err.contains(QStringLiteral("free space")), qPrintable(all));
    // Nothing left behind: no partial file and no temporary.
    const qsizetype from = out.indexOf(QStringLiteral("@@ls\n")) + 5;
    const qsizetype to = out.indexOf(QStringLiteral("@@end"));
    QVERIFY2(from >= 5 && to >= from, qPrintable(all));
    QVERIFY2(out.mid(from, to - from).trimmed().isEmpty(), qPrintable(all));

    // The vault is fine: the same restore into a roomy folder works.
    const Result re = run(words("restore", "four", "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/four.bin"))),
             test::opensslSha256Hex(file));
}

void TestCli::removeAndCollect()
{
    const QString file = path(QStringLiteral("input/shared.bin"));
    const qint64 size = 1 * MiB + 5;
    QVERIFY(test::writePseudoRandomFile(file, size, 10));
    const Result a = run(words("float", file, "--name", "one", "--json") + smallCdc());
    QVERIFY2(a.code == 0, a.describe());
    const int chunks = a.json().value(QStringLiteral("chunks")).toInt();
    QVERIFY2(run(words("float", file, "--name", "two") + smallCdc()).code == 0, "float two");
    const auto objects = chunkObjects(localStore());
    QCOMPARE(int(objects.size()), chunks);

    // "two" still uses every chunk: removing "one" frees nothing.
    const Result rm1 = run(words("rm", "one", "--json"));
    QVERIFY2(rm1.code == 0, rm1.describe());
    QCOMPARE(rm1.json().value(QStringLiteral("chunks_freed")).toInt(), 0);
    QCOMPARE(chunkObjects(localStore()), objects);
    QCOMPARE(run(words("info", "one")).code, 3);
    const Result re = run(words("restore", "two", "--to", path(QStringLiteral("out"))));
    QVERIFY2(re.code == 0, re.describe());
    QCOMPARE(test::opensslSha256Hex(path(QStringLiteral("out/shared.bin"))),
             test::opensslSha256Hex(file));

    // Nothing uses the chunks any more: they wait out the grace period (24 h), in case another
    // computer sharing the store floated the same bytes and has not published yet.
    const Result rm2 = run(words("rm", "two", "--json"));
    QVERIFY2(rm2.code == 0, rm2.describe());
    QCOMPARE(rm2.json().value(QStringLiteral("chunks_freed")).toInt(), 0);
    QCOMPARE(rm2.json().value(QStringLiteral("chunks_waiting")).toInt(), chunks);
    QCOMPARE(rm2.json().value(QStringLiteral("bytes_waiting")).toInteger(), size);
    QVERIFY(!rm2.json().value(QStringLiteral("free_after")).toString().isEmpty());
    QCOMPARE(chunkObjects(localStore()), objects);
    const Result told = run(words("collect"));
    QVERIFY2(told.allText().contains(QStringLiteral("chunks (1.00 MiB) become free after")),
             told.describe());
    // A grace period shorter than two catalog syncs is for experts only.
    QCOMPARE(run(words("config", "collect-grace", "0")).code, 2);
    QVERIFY2(run(words("config", "collect-grace", "0", "--expert")).code == 0, "grace 0");
    const Result freed = run(words("collect", "--json"));
    QVERIFY2(freed.code == 0, freed.describe());
    QCOMPARE(freed.json().value(QStringLiteral("chunks_freed")).toInt(), chunks);
    QVERIFY(chunkObjects(localStore()).isEmpty());
    QCOMPARE(run(words("list", "--json")).json().value(QStringLiteral("models")).toArray().size(),
             0);
    const Result stats = run(words("stats", "--json"));
    QCOMPARE(stats.json().value(QStringLiteral("chunks")).toInt(), 0);
    QCOMPARE(stats.json().value(QStringLiteral("stored_bytes")).toInteger(), 0);
    const Result collect = run(words("collect", "--json"));
    QVERIFY2(collect.code == 0, collect.describe());
    QCOMPARE(collect.json().value(QStringLiteral("chunks_freed")).toInt(), 0);
}

void TestCli::helpForEveryCommand()
{
    const Result help = run(words("--help"), false);
    QCOMPARE(help.code, 0);
    const QString text = QString::fromUtf8(help.out);
    QVERIFY(text.contains(QStringLiteral("Exit codes")));
    const qsizetype start = text.indexOf(QStringLiteral("Commands:\n"));
    QVERIFY(start >= 0);
    QStringList commands;
    const QStringList lines = text.mid(start + 10).split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (line.trimmed().isEmpty())
            break;
        commands << line.trimmed().section(QLatin1Char(' '), 0, 0);
    }
    for (const char* expected : {"init", "config", "provider", "float", "list", "info", "stats",
                                 "restore", "cat", "verify", "rm", "collect"})
        QVERIFY2(commands.contains(QString::fromUtf8(expected)), expected);

    for (const QString& command : std::as_const(commands)) {
        const Result r = run(words(command, "--help"), false);
        QVERIFY2(r.code == 0,
                 qPrintable(command + QLatin1Char('\n') + QString::fromUtf8(r.describe())));
        QVERIFY2(QString::fromUtf8(r.out).contains(QStringLiteral("modelfloat-cli ") + command),
                 r.describe());
        QVERIFY2(r.out.contains("--vault"), qPrintable(command));
    }
    // --help must not create a vault.
    QVERIFY(!QFileInfo::exists(m_vault));

    const Result version = run(words("--version"), false);
    QCOMPARE(version.code, 0);
    QVERIFY(version.out.startsWith("modelfloat-cli "));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
