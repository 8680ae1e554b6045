#include "testsupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QtTest>

namespace mf::test {

namespace {
QString besideTheSuites(const char* relative)
{
    // Before the application exists its folder is unknown, and a path made then points nowhere:
    // a suite that looks for a peer there skips itself without a word.
    if (!QCoreApplication::instance())
        qFatal("The suites' folders are known only once QCoreApplication exists: make the path "
               "in a function, not in a constant built before main()");
    return QDir::cleanPath(QCoreApplication::applicationDirPath() + QLatin1Char('/') +
                           QString::fromUtf8(relative));
}
} // namespace

QString cliPath()
{
    return besideTheSuites(MODELFLOAT_APP_DIR "/modelfloat-cli");
}

QString guiPath()
{
    return besideTheSuites(MODELFLOAT_APP_DIR "/modelfloat");
}

QString testsSourceDir()
{
    return besideTheSuites(MODELFLOAT_TESTS_SOURCE_DIR);
}

namespace {
quint64 splitmix64(quint64& state)
{
    quint64 z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
} // namespace

QByteArray pseudoRandomBytes(qint64 size, quint64 seed)
{
    QByteArray out(size, Qt::Uninitialized);
    quint64 state = seed;
    char* p = out.data();
    qint64 i = 0;
    for (; i + 8 <= size; i += 8) {
        const quint64 v = splitmix64(state);
        memcpy(p + i, &v, 8);
    }
    if (i < size) {
        const quint64 v = splitmix64(state);
        memcpy(p + i, &v, size_t(size - i));
    }
    return out;
}

QByteArray describeDifference(const QByteArray& got, const QByteArray& want)
{
    if (got == want)
        return {};
    qsizetype at = 0;
    const qsizetype common = qMin(got.size(), want.size());
    while (at < common && got.at(at) == want.at(at))
        ++at;
    return QByteArray("got ") + QByteArray::number(got.size()) + " bytes, expected " +
           QByteArray::number(want.size()) + "; they differ from offset " + QByteArray::number(at);
}

bool writeFile(const QString& path, const QByteArray& data)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(data) == data.size() && f.flush();
}

qint64 bytesBelow(const QString& dir)
{
    qint64 total = 0;
    QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
    }
    return total;
}

bool writePseudoRandomFile(const QString& path, qint64 size, quint64 seed)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    const qint64 block = 4 << 20;
    for (qint64 done = 0; done < size; done += block) {
        const QByteArray b = pseudoRandomBytes(qMin(block, size - done), seed + quint64(done));
        if (f.write(b) != b.size())
            return false;
    }
    return f.flush();
}

bool writeSparseFile(const QString& path, qint64 size)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.resize(size);
}

QByteArray opensslSha256Hex(const QString& path)
{
    QProcess p;
    p.start(QStringLiteral("openssl"),
            {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"), path});
    if (!p.waitForFinished(120000) || p.exitCode() != 0)
        return {};
    return p.readAllStandardOutput().left(64);
}

bool runProcess(const QString& program, const QStringList& arguments, QString* output,
                int timeoutMs)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, arguments);
    const bool ok =
        p.waitForFinished(timeoutMs) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (output)
        *output = QString::fromLocal8Bit(p.readAll());
    return ok;
}

namespace {
const char* const InNamespaceVariable = "MODELFLOAT_TEST_IN_USER_NAMESPACE";
constexpr int ChildTimeoutMs = 300000; // the child runs a whole test; the sanitizer build is slow
} // namespace

bool mountTmpfsOrRerunInNamespace(const QString& mountPoint, const QString& size,
                                  const char* testFunction)
{
    QString output;
    if (runProcess(QStringLiteral("mount"),
                   {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                    QStringLiteral("size=") + size, QStringLiteral("tmpfs"), mountPoint},
                   &output))
        return true;
    if (qEnvironmentVariableIsSet(InNamespaceVariable)) {
        QTest::qFail(qPrintable(QStringLiteral("Cannot mount a tmpfs: ") + output), __FILE__,
                     __LINE__);
        return false;
    }
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(InNamespaceVariable), QStringLiteral("1"));
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QStringLiteral("unshare"),
                {QStringLiteral("-Urm"), QCoreApplication::applicationFilePath(),
                 QString::fromLatin1(testFunction)});
    if (!child.waitForStarted(ChildTimeoutMs)) {
        QTest::qSkip("Neither mount nor unshare is available to make a tmpfs", __FILE__, __LINE__);
        return false;
    }
    if (!child.waitForFinished(ChildTimeoutMs)) {
        QTest::qFail("The test's child process did not finish", __FILE__, __LINE__);
        return false;
    }
    const QString childOutput = QString::fromLocal8Bit(child.readAll());
    if (childOutput.contains(QStringLiteral("unshare failed"))) {
        QTest::qSkip(qPrintable(QStringLiteral("No way to mount a tmpfs: ") + childOutput),
                     __FILE__, __LINE__);
        return false;
    }
    if (child.exitStatus() != QProcess::NormalExit || child.exitCode() != 0)
        QTest::qFail(qPrintable(childOutput), __FILE__, __LINE__);
    return false;
}

void unmountTmpfs(const QString& mountPoint)
{
    runProcess(QStringLiteral("umount"), {mountPoint});
}

} // namespace mf::test
