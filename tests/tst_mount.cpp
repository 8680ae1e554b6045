// `modelfloat-cli mount` / `unmount`: the vault as a read-only FUSE folder, read through the one
// read path (chunk cache, fetch from any replica, verify against the CID). Real runs of the real
// CLI on a vault with two local-folder providers holding a copy of every chunk; the reads are
// real system calls (sha256sum, pread, mmap) on the mounted folder. Skipped, saying why, where
// FUSE cannot be used.

#include "clisandbox.h"
#include "mount/fusemount.h"
#include "storedchunks.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QProcess>
#include <QRandomGenerator>
#include <QtTest>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <memory>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace mf;
using test::CliResult;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr int NotFound = 3;

QStringList words(std::initializer_list<QString> parts)
{
    return QStringList(parts);
}

// Why FUSE cannot be used here, or empty.
QString fuseMissing()
{
    const int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return QStringLiteral("/dev/fuse cannot be opened (%1): no FUSE on this machine")
            .arg(QString::fromLocal8Bit(strerror(errno)));
    ::close(fd);
    if (::geteuid() != 0 && QStandardPaths::findExecutable(QStringLiteral("fusermount3")).isEmpty())
        return QStringLiteral("fusermount3 is not installed (Debian: fuse3), and this is not root");
    return {};
}

QByteArray readAllOf(const QString& path, int* error)
{
    *error = 0;
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = errno;
        return {};
    }
    QByteArray out;
    QByteArray block(int(1 * MiB), Qt::Uninitialized);
    for (;;) {
        const ssize_t n = ::read(fd, block.data(), size_t(block.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *error = errno;
            break;
        }
        if (n == 0)
            break;
        out.append(block.constData(), n);
    }
    ::close(fd);
    return out;
}

} // namespace

class TestMount : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void sha256ThroughTheMount();
    void sha256OfAGibibyteModelThroughTheMount();
    void writesAreRefused();
    void corruptCopyIsSkipped();
    void noIntactCopyIsEio();
    void randomReadsMatch();
    void mmapReadsMatch();
    void cacheStaysUnderItsCap();
    void killedMountIsCleanedUpByTheNext();
    void interruptEndsItWithAFileOpen();
    void modelsComeAndGoWithoutRemounting();
    void unmountOfAnythingElseIsRefused();
    void detachEndsBySignal();
    void offloadedModelReadsThroughTheMount();
    void llamaCppAnswersFromTheMount();

private:
    // Floats `size` pseudo-random bytes as model `name` (file "m.bin"), a copy of each chunk on
    // both providers.
    QByteArray floatModel(const QString& name, qint64 size, quint64 seed);
    bool startMount();
    bool mounted() const
    {
        struct stat st;
        return FuseMount::isModelFloatMount(m_dir) &&
               ::stat(QFile::encodeName(m_dir).constData(), &st) == 0;
    }
    QString file() const { return m_dir + QStringLiteral("/m/m.bin"); }

    std::unique_ptr<test::CliSandbox> m_box;
    std::unique_ptr<QProcess> m_mount;
    QString m_dir;
    QString m_second;
    QByteArray m_bytes;
};

void TestMount::initTestCase()
{
    if (const QString why = fuseMissing(); !why.isEmpty())
        QSKIP(qPrintable(QStringLiteral("The mount cannot be tested: ") + why));
}

void TestMount::init()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
    m_dir = m_box->path(QStringLiteral("mnt"));
    QVERIFY(QDir().mkpath(m_dir));
    m_second = m_box->path(QStringLiteral("second"));
    const CliResult add =
        m_box->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                          QStringLiteral("local"), QStringLiteral("second"), m_second}));
    QVERIFY2(add.code == 0, add.describe());
    // 256 KiB chunks: many chunks in a file small enough for a quick suite.
    m_bytes = floatModel(QStringLiteral("m"), 24 * MiB + 4321, 39);
    QVERIFY(!m_bytes.isEmpty());
}

void TestMount::cleanup()
{
    if (m_mount && m_mount->state() != QProcess::NotRunning) {
        const CliResult r = m_box->run(words({QStringLiteral("unmount"), m_dir}));
        if (r.code != 0 || !m_mount->waitForFinished(30000))
            m_mount->kill();
        m_mount->waitForFinished();
    }
    if (FuseMount::isModelFloatMount(m_dir)) // a killed one: never leave it behind
        ::umount2(QFile::encodeName(m_dir).constData(), MNT_DETACH);
    m_mount.reset();
    m_box.reset();
}

QByteArray TestMount::floatModel(const QString& name, qint64 size, quint64 seed)
{
    const QByteArray bytes = test::pseudoRandomBytes(size, seed);
    const QString input = m_box->path(QStringLiteral("input/") + name);
    QDir().mkpath(input);
    if (!test::writeFile(input + QStringLiteral("/m.bin"), bytes))
        return {};
    const CliResult r = m_box->run(
        words({QStringLiteral("float"), input, QStringLiteral("--name"), name,
               QStringLiteral("--quiet"), QStringLiteral("--replicas"), QStringLiteral("2"),
               QStringLiteral("--chunk-size"), QStringLiteral("256K")}));
    if (r.code != 0) {
        qWarning("%s", r.describe().constData());
        return {};
    }
    return bytes;
}

bool TestMount::startMount()
{
    m_mount = std::make_unique<QProcess>();
    m_mount->setProcessEnvironment(m_box->environment());
    m_mount->setWorkingDirectory(m_box->root());
    m_mount->start(test::CliSandbox::cli(), words({QStringLiteral("mount"), m_dir}));
    if (!m_mount->waitForStarted())
        return false;
    // Up when it says so: the folder may still be a mount a killed process left.
    QByteArray said;
    const bool up = QTest::qWaitFor(
        [&] {
            said += m_mount->readAllStandardOutput();
            return said.contains("Mounted") || m_mount->state() == QProcess::NotRunning;
        },
        60000);
    if (!up || !said.contains("Mounted") || !mounted()) {
        qWarning("mount did not come up: %s%s", said.constData(),
                 m_mount->readAllStandardError().constData());
        return false;
    }
    return true;
}

void TestMount::sha256ThroughTheMount()
{
    QVERIFY(startMount());
    QCOMPARE(QDir(m_dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
             QStringList{QStringLiteral("m")});
    const QFileInfo info(file());
    QCOMPARE(info.size(), qint64(m_bytes.size()));
    // The time the model was floated: within the test's run, not 0 or now-ish by accident.
    QVERIFY2(qAbs(info.lastModified().secsTo(QDateTime::currentDateTime())) < 3600,
             qPrintable(info.lastModified().toString(Qt::ISODate)));
    const test::CliRun sum =
        test::runWithInput(QStringLiteral("sha256sum"), {file()}, {},
                           QProcessEnvironment::systemEnvironment(), m_box->root());
    QVERIFY2(sum.code == 0, sum.describe());
    const QByteArray expected =
        QCryptographicHash::hash(m_bytes, QCryptographicHash::Sha256).toHex();
    QCOMPARE(sum.out.left(64), expected);
}

// The size: a 1 GiB model, a copy of each chunk on both providers, read whole by
// sha256sum through the mount (its default chunk size, as a user floats it). Under the
// sanitizers tests/CMakeLists.txt sets a smaller size (MODELFLOAT_MOUNT_BIG_MIB).
void TestMount::sha256OfAGibibyteModelThroughTheMount()
{
    qint64 size = 1024 * MiB;
    if (qEnvironmentVariableIsSet("MODELFLOAT_MOUNT_BIG_MIB"))
        size = qEnvironmentVariableIntValue("MODELFLOAT_MOUNT_BIG_MIB") * MiB;
    const QString input = m_box->path(QStringLiteral("input/big"));
    QVERIFY(QDir().mkpath(input));
    const QString source = input + QStringLiteral("/m.bin");
    QVERIFY(test::writePseudoRandomFile(source, size, 41));
    const CliResult floated = m_box->run(
        words({QStringLiteral("float"), input, QStringLiteral("--name"), QStringLiteral("big"),
               QStringLiteral("--quiet"), QStringLiteral("--replicas"), QStringLiteral("2")}));
    QVERIFY2(floated.code == 0, floated.describe());
    QVERIFY(startMount());
    const QString through = m_dir + QStringLiteral("/big/m.bin");
    QCOMPARE(QFileInfo(through).size(), size);
    const test::CliRun sum =
        test::runWithInput(QStringLiteral("sha256sum"), {through}, {},
                           QProcessEnvironment::systemEnvironment(), m_box->root());
    QVERIFY2(sum.code == 0, sum.describe());
    QCOMPARE(sum.out.left(64), test::opensslSha256Hex(source));
}

void TestMount::writesAreRefused()
{
    QVERIFY(startMount());
    const QByteArray path = QFile::encodeName(file());
    QCOMPARE(::open(path.constData(), O_WRONLY | O_CLOEXEC), -1);
    QCOMPARE(errno, EROFS);
    QCOMPARE(::open(QFile::encodeName(m_dir + QStringLiteral("/m/new")).constData(),
                    O_WRONLY | O_CREAT | O_CLOEXEC, 0644),
             -1);
    QCOMPARE(errno, EROFS);
    QCOMPARE(::mkdir(QFile::encodeName(m_dir + QStringLiteral("/d")).constData(), 0755), -1);
    QCOMPARE(errno, EROFS);
    QCOMPARE(::unlink(path.constData()), -1);
    QCOMPARE(errno, EROFS);
    int error = 0;
    QVERIFY(readAllOf(file(), &error) == m_bytes); // nothing changed
}

void TestMount::corruptCopyIsSkipped()
{
    // Every chunk's copy on the first provider is damaged: whichever copy each fetch tries first
    // (the faster provider's), some meet a bad one, and every byte still comes right.
    const QList<test::ChunkRow> chunks =
        test::fileManifest(m_box->vault(), QStringLiteral("m.bin"));
    QVERIFY(chunks.size() >= 10);
    for (const test::ChunkRow& c : chunks)
        QVERIFY(test::flipOneByte(test::chunkObjectBelow(m_box->localStore(), c.cid)));
    QVERIFY(startMount());
    int error = 0;
    QVERIFY(readAllOf(file(), &error) == m_bytes);
    QCOMPARE(error, 0);
    // The mount said which copies it passed over.
    QByteArray said;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     said += m_mount->readAllStandardError();
                     return said.contains("is corrupt") || m_mount->state() == QProcess::NotRunning;
                 },
                 10000),
             said.constData());
    QVERIFY2(said.contains("is corrupt"), said.constData());
}

void TestMount::noIntactCopyIsEio()
{
    const QList<test::ChunkRow> chunks =
        test::fileManifest(m_box->vault(), QStringLiteral("m.bin"));
    QVERIFY(chunks.size() >= 10);
    const test::ChunkRow& bad = chunks.at(5);
    QVERIFY(test::flipOneByte(test::chunkObjectBelow(m_box->localStore(), bad.cid)));
    QVERIFY(test::flipOneByte(test::chunkObjectBelow(m_second, bad.cid)));
    QVERIFY(startMount());
    // Read whole: whatever comes before the error is the file's own bytes, none from the bad
    // chunk, and the error is EIO.
    int error = 0;
    const QByteArray got = readAllOf(file(), &error);
    QCOMPARE(error, EIO);
    QVERIFY2(got.size() <= bad.offset, qPrintable(QString::number(got.size())));
    QVERIFY(got == m_bytes.left(got.size()));
    // A read inside the chunk fails; one that keeps clear of it is served.
    const int fd = ::open(QFile::encodeName(file()).constData(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    QByteArray block(int(4 * KiB), Qt::Uninitialized);
    QCOMPARE(::pread(fd, block.data(), size_t(block.size()), bad.offset + 100), ssize_t(-1));
    QCOMPARE(errno, EIO);
    const qint64 after = chunks.at(9).offset;
    QCOMPARE(::pread(fd, block.data(), size_t(block.size()), after), ssize_t(block.size()));
    QVERIFY(block == m_bytes.mid(after, block.size()));
    ::close(fd);
}

void TestMount::randomReadsMatch()
{
    QVERIFY(startMount());
    const int fd = ::open(QFile::encodeName(file()).constData(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    QRandomGenerator random(4096);
    QByteArray block(int(4 * KiB), Qt::Uninitialized);
    for (int i = 0; i < 10000; ++i) {
        const qint64 offset = qint64(random.bounded(quint64(m_bytes.size())));
        const ssize_t n = ::pread(fd, block.data(), size_t(block.size()), offset);
        const qint64 want = qMin<qint64>(block.size(), m_bytes.size() - offset);
        QCOMPARE(qint64(n), want);
        QVERIFY2(std::memcmp(block.constData(), m_bytes.constData() + offset, size_t(want)) == 0,
                 qPrintable(QStringLiteral("at %1").arg(offset)));
    }
    ::close(fd);
}

void TestMount::mmapReadsMatch()
{
    QVERIFY(startMount());
    const int fd = ::open(QFile::encodeName(file()).constData(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    void* map = ::mmap(nullptr, size_t(m_bytes.size()), PROT_READ, MAP_SHARED, fd, 0);
    QVERIFY(map != MAP_FAILED);
    const auto* bytes = static_cast<const char*>(map);
    // Pages touched out of order first (as a loader reaching for tensors), then all of it.
    QRandomGenerator random(7);
    for (int i = 0; i < 500; ++i) {
        const qint64 at = qint64(random.bounded(quint64(m_bytes.size())));
        QCOMPARE(bytes[at], m_bytes.at(at));
    }
    QVERIFY(std::memcmp(bytes, m_bytes.constData(), size_t(m_bytes.size())) == 0);
    ::munmap(map, size_t(m_bytes.size()));
    ::close(fd);
}

void TestMount::cacheStaysUnderItsCap()
{
    const qint64 cap = 1 * MiB; // four 256 KiB chunks of a 24 MiB file
    const CliResult set = m_box->run(
        words({QStringLiteral("config"), QStringLiteral("read-cache"), QStringLiteral("1M")}));
    QVERIFY2(set.code == 0, set.describe());
    QVERIFY(startMount());
    const QString cacheDir = m_box->vault() + QStringLiteral("/chunk-cache");
    // Read in steps, looking at the cache between them: never over the cap, fetches in flight
    // (".part-" files) included.
    const int fd = ::open(QFile::encodeName(file()).constData(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    QByteArray got;
    QByteArray block(int(512 * KiB), Qt::Uninitialized);
    qint64 peak = 0;
    for (;;) {
        const ssize_t n = ::read(fd, block.data(), size_t(block.size()));
        QVERIFY(n >= 0);
        if (n == 0)
            break;
        got.append(block.constData(), n);
        peak = qMax(peak, test::bytesBelow(cacheDir));
        QVERIFY2(peak <= cap, qPrintable(QString::number(peak)));
    }
    ::close(fd);
    QVERIFY(got == m_bytes);
    QVERIFY(peak > 0); // the cache was used, within its cap
}

void TestMount::killedMountIsCleanedUpByTheNext()
{
    QVERIFY(startMount());
    int error = 0;
    QVERIFY(readAllOf(file(), &error).left(int(MiB)) == m_bytes.left(int(MiB)));
    ::kill(pid_t(m_mount->processId()), SIGKILL);
    QVERIFY(m_mount->waitForFinished());
    // The folder is still a mount, with no one behind it.
    QVERIFY(FuseMount::isModelFloatMount(m_dir));
    struct statvfs st;
    QCOMPARE(::statvfs(QFile::encodeName(m_dir).constData(), &st), -1);
    QCOMPARE(errno, ENOTCONN);
    QVERIFY(startMount());
    const QByteArray again = readAllOf(file(), &error);
    QCOMPARE(error, 0);
    QCOMPARE(again.size(), m_bytes.size());
    QVERIFY(again == m_bytes);
}

void TestMount::interruptEndsItWithAFileOpen()
{
    // A program holds a file open there (a runtime that mapped a model): Ctrl-C (SIGTERM here)
    // still ends the mount at once, and that program's next read fails rather than hang.
    QVERIFY(startMount());
    const int fd = ::open(QFile::encodeName(file()).constData(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    QByteArray block(int(4 * KiB), Qt::Uninitialized);
    QCOMPARE(::pread(fd, block.data(), size_t(block.size()), 0), ssize_t(block.size()));
    ::kill(pid_t(m_mount->processId()), SIGTERM);
    const bool ended = m_mount->waitForFinished(30000);
    const ssize_t after = ::pread(fd, block.data(), size_t(block.size()), 20 * MiB);
    ::close(fd);
    QVERIFY2(ended, "the mount waited for the open file");
    QCOMPARE(m_mount->exitCode(), 0);
    QCOMPARE(after, ssize_t(-1));
    QVERIFY(!FuseMount::isModelFloatMount(m_dir));
}

void TestMount::modelsComeAndGoWithoutRemounting()
{
    QVERIFY(startMount());
    const QByteArray other = floatModel(QStringLiteral("org/other"), 3 * MiB + 1, 40);
    QVERIFY(!other.isEmpty());
    // Listing the top folder looks at the registry again.
    QVERIFY(QDir(m_dir)
                .entryList(QDir::AllEntries | QDir::NoDotAndDotDot)
                .contains(QStringLiteral("org")));
    int error = 0;
    QVERIFY(readAllOf(m_dir + QStringLiteral("/org/other/m.bin"), &error) == other);
    // A program keeps the old file open (its pages in the kernel's cache) throughout.
    const int held =
        ::open(QFile::encodeName(m_dir + QStringLiteral("/org/other/m.bin")).constData(),
               O_RDONLY | O_CLOEXEC);
    QVERIFY(held >= 0);
    const CliResult rm = m_box->run(words({QStringLiteral("rm"), QStringLiteral("org/other")}));
    QVERIFY2(rm.code == 0, rm.describe());
    QVERIFY(!QDir(m_dir)
                 .entryList(QDir::AllEntries | QDir::NoDotAndDotDot)
                 .contains(QStringLiteral("org")));
    QVERIFY(
        QTest::qWaitFor([&] { return !QFileInfo::exists(m_dir + QStringLiteral("/org")); }, 10000));
    QVERIFY(QFileInfo::exists(file()));
    // Floated again under the same name, with other bytes of the same size: the same path reads
    // the new file, not pages the kernel kept of the old one.
    const QByteArray again = floatModel(QStringLiteral("org/other"), other.size(), 41);
    QVERIFY(!again.isEmpty() && again != other);
    QVERIFY(QDir(m_dir)
                .entryList(QDir::AllEntries | QDir::NoDotAndDotDot)
                .contains(QStringLiteral("org")));
    const QByteArray read = readAllOf(m_dir + QStringLiteral("/org/other/m.bin"), &error);
    ::close(held);
    QCOMPARE(error, 0);
    QVERIFY2(read == again, read == other ? "the old file's bytes" : "other bytes");
}

void TestMount::unmountOfAnythingElseIsRefused()
{
    const CliResult r = m_box->run(words({QStringLiteral("unmount"), m_dir}));
    QCOMPARE(r.code, NotFound);
    QVERIFY2(r.errText().contains(QStringLiteral("not a ModelFloat mount")), r.describe());
    // And a mount ends with it: the mount command exits.
    QVERIFY(startMount());
    const CliResult u = m_box->run(words({QStringLiteral("unmount"), m_dir}));
    QVERIFY2(u.code == 0, u.describe());
    QVERIFY(m_mount->waitForFinished(30000));
    QCOMPARE(m_mount->exitCode(), 0);
    QVERIFY(!FuseMount::isModelFloatMount(m_dir));
}

// The unmount the app can call from its GUI thread (issue 39): MountDetach runs fusermount3
// (when not root) without waiting on it, and says by finished() when the mount is gone; the
// thread's event loop keeps running meanwhile.
void TestMount::detachEndsBySignal()
{
    QVERIFY(startMount());
    MountDetach detach(m_dir);
    QSignalSpy ended(&detach, &MountDetach::finished);
    detach.start();
    QCOMPARE(ended.count(), 0); // never from inside start()
    QVERIFY(ended.wait(30000));
    QCOMPARE(ended.count(), 1);
    QVERIFY2(detach.ok(), qPrintable(detach.error()));
    // The mount's process ends (it may have while this thread waited: no waitForFinished()).
    QTRY_VERIFY_WITH_TIMEOUT(m_mount->state() == QProcess::NotRunning, 30000);
    QCOMPARE(m_mount->exitCode(), 0);
    QVERIFY(!FuseMount::isModelFloatMount(m_dir));

    MountDetach again(m_dir);
    QSignalSpy endedAgain(&again, &MountDetach::finished);
    again.start();
    QVERIFY(endedAgain.wait(30000));
    QVERIFY(again.notAMount());
    QVERIFY(again.error().contains(QStringLiteral("not a ModelFloat mount")));
}

// A model offloaded from this computer (its copies here gone, two elsewhere) still reads
// through the mount, bit-exact.
void TestMount::offloadedModelReadsThroughTheMount()
{
    const CliResult add = m_box->run(
        words({QStringLiteral("provider"), QStringLiteral("add"), QStringLiteral("local"),
               QStringLiteral("third"), m_box->path(QStringLiteral("third"))}));
    QVERIFY2(add.code == 0, add.describe());
    const CliResult offload = m_box->run(words({QStringLiteral("offload"), QStringLiteral("m")}));
    QVERIFY2(offload.code == 0, offload.describe());
    for (const test::ChunkRow& chunk : test::fileManifest(m_box->vault(), QStringLiteral("m.bin")))
        QCOMPARE(test::chunkObjectBelow(m_box->localStore(), chunk.cid), QString());
    QVERIFY(startMount());
    int error = 0;
    QVERIFY(readAllOf(file(), &error) == m_bytes);
    QCOMPARE(error, 0);
}

QTEST_GUILESS_MAIN(TestMount)
// llama.cpp itself (node-llama-cpp's prebuilt binary, tests/peers/llama-check.mjs) maps a tiny
// generated llama model from the mount and answers a prompt: a floating model used where people
// run models, with no restore.
void TestMount::llamaCppAnswersFromTheMount()
{
    const QString folder = m_box->path(QStringLiteral("input/tiny"));
    QVERIFY(QDir().mkpath(folder));
    const test::CliRun made = test::runWithInput(
        QStringLiteral("node"),
        {QString(mf::test::testsSourceDir() + QStringLiteral("/peers/tiny-llama-gguf.mjs")),
         folder + QStringLiteral("/tiny.gguf")});
    QVERIFY2(made.code == 0, made.describe());
    const CliResult floated = m_box->run(
        words({QStringLiteral("float"), folder, QStringLiteral("--name"), QStringLiteral("tiny"),
               QStringLiteral("--quiet"), QStringLiteral("--replicas"), QStringLiteral("2"),
               QStringLiteral("--chunk-size"), QStringLiteral("256K")}));
    QVERIFY2(floated.code == 0, floated.describe());
    QVERIFY(startMount());
    const QString model = m_dir + QStringLiteral("/tiny/tiny.gguf");
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(model), 30000);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_box->path(QStringLiteral("home")));
    const test::CliRun answer = test::runWithInput(
        QStringLiteral("node"),
        {QString(mf::test::testsSourceDir() + QStringLiteral("/peers/llama-check.mjs")), model}, {},
        env);
    QVERIFY2(answer.code == 0, answer.describe());
    QVERIFY2(answer.all().contains("\"ok\":true"), answer.describe());
    QVERIFY2(answer.all().contains("\"architecture\":\"llama\""), answer.describe());
}

#include "tst_mount.moc"
