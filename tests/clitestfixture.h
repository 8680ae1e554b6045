#pragma once

// The fixture of the modelfloat-cli end-to-end suites (tst_cli, tst_cli_badinput): the real
// executable driven through QProcess, each test in its own throw-away vault and home, and
// oracles that look at the provider folder on disk rather than at the CLI's report of itself.

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

namespace mf::test {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
// Generous: a sanitizer build on a busy machine is slow, and a hang must fail, not stall CI.
constexpr int Timeout = 300000;

inline QString toQString(const char* s)
{
    return QString::fromUtf8(s);
}
inline QString toQString(const QString& s)
{
    return s;
}

// words("float", path, "--name", name): a QStringList from literals and strings alike.
template <typename... T> inline QStringList words(const T&... parts)
{
    return QStringList{toQString(parts)...};
}

// The small chunks every float here uses, so test files stay small and fast.
inline QStringList smallCdc()
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

inline std::optional<ObjectStamp> stampOf(const QString& path)
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
inline QMap<QString, ObjectStamp> chunkObjects(const QString& root)
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

inline QString objectPathIn(const QString& root, const QString& cid)
{
    for (QDirIterator it(root, {cid}, QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
        const QString path = it.next();
        if (!path.contains(QStringLiteral("/.tmp/")))
            return path;
    }
    return {};
}

inline QByteArray readAll(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

inline int providerChunkSum(const QJsonObject& info)
{
    int sum = 0;
    for (const QJsonValue& p : info.value(QStringLiteral("providers")).toArray())
        sum += p.toObject().value(QStringLiteral("chunks")).toInt();
    return sum;
}

// The fixture every suite of this family derives from: its state and helpers; each suite
// forwards its fixture slots (init, cleanup) here.
class CliTestBase : public QObject
{
protected:
    void init();
    void cleanup();
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

inline void CliTestBase::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_vault = path(QStringLiteral("vault"));
    for (const char* d : {"home", "xdg-data", "xdg-config", "xdg-cache", "input", "out"})
        QVERIFY(QDir().mkpath(path(QString::fromUtf8(d))));
}

inline void CliTestBase::cleanup()
{
    // Make everything removable again, whatever a test changed.
    QDirIterator it(m_tmp->path(), QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        QFile::setPermissions(it.next(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    m_tmp.reset();
}

inline QProcessEnvironment CliTestBase::environment() const
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

inline void CliTestBase::start(QProcess& process, const QStringList& args) const
{
    process.setProcessEnvironment(environment());
    process.setWorkingDirectory(m_tmp->path());
    process.start(mf::test::cliPath(), args);
}

inline Result CliTestBase::run(const QStringList& args, bool addVault, int timeoutMs) const
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

inline bool CliTestBase::floatBaseline()
{
    if (!test::writePseudoRandomFile(path(QStringLiteral("input/base.bin")), 1 * MiB + 123, 7))
        return false;
    return run(words("float", path(QStringLiteral("input/base.bin")), "--quiet") + smallCdc())
               .code == 0;
}

inline QByteArray CliTestBase::listJson() const
{
    return run(words("list", "--json")).out;
}

inline void CliTestBase::checkRegistryUnchanged(const QByteArray& listBefore)
{
    const Result list = run(words("list", "--json"));
    QCOMPARE(list.code, 0);
    QCOMPARE(list.json(), QJsonDocument::fromJson(listBefore).object());
    const Result verify = run(words("verify", "--all"));
    QVERIFY2(verify.code == 0, verify.describe());
}

inline QString CliTestBase::bigFile(const QString& name, int attempt)
{
    // 96 MiB in 256 KiB chunks is hundreds of puts; a machine fast enough to float that before
    // the first object is seen gets a bigger file next time.
    const QString file = path(QStringLiteral("input/") + name);
    const qint64 size = (96 * MiB << attempt) + 12345;
    return test::writePseudoRandomFile(file, size, 1000 + quint64(attempt)) ? file : QString();
}

inline bool CliTestBase::actMidFloat(QProcess& process, const QStringList& floatArgs,
                                     int minObjects, const std::function<void(QProcess&)>& act)
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

} // namespace mf::test
